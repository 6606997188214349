#[test]
fn generated_typescript_is_not_stale() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../ui/src/lib/contract.ts");
    let committed = std::fs::read_to_string(path).expect("ui/src/lib/contract.ts is missing: run `make gen`");
    assert!(
        committed == desk_api::typescript(),
        "ui/src/lib/contract.ts is stale: run `make gen` and commit the result"
    );
}
