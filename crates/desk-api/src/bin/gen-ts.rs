//! Writes the UI's contract types: `cargo run -p desk-api --bin gen-ts -- ui/src/lib/contract.ts`.
fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| "ui/src/lib/contract.ts".into());
    std::fs::write(&path, desk_api::typescript()).unwrap_or_else(|e| panic!("cannot write {path}: {e}"));
    println!("wrote {path}");
}
