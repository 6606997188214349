//! Updates: the console's updater (the plugin, configured as the app configures it) against a
//! local update server. A signed update is downloaded and verified; one with a bad, missing or
//! mismatched signature is refused; with updates off, no request is made at all.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine;
use desk_client::settings::Switch;
use serde_json::{json, Value};
use tauri::test::{mock_builder, mock_context, noop_assets};

const ARTIFACT: &[u8] = b"the new console, packed";

#[derive(Clone)]
struct Server {
    manifest: Value,
    hits: Arc<AtomicUsize>,
}

async fn manifest(State(s): State<Server>) -> Json<Value> {
    s.hits.fetch_add(1, Ordering::SeqCst);
    Json(s.manifest.clone())
}

async fn artifact(State(s): State<Server>) -> &'static [u8] {
    s.hits.fetch_add(1, Ordering::SeqCst);
    ARTIFACT
}

fn b64(text: String) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// The updater's name for this system, as the manifest lists it.
fn target() -> String {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    format!("{os}-{}", std::env::consts::ARCH)
}

struct Keys {
    pk_b64: String,
    kp: minisign::KeyPair,
}

fn keys() -> Keys {
    let kp = minisign::KeyPair::generate_unencrypted_keypair().unwrap();
    Keys { pk_b64: b64(kp.pk.to_box().unwrap().to_string()), kp }
}

/// A signature as the Tauri CLI writes it: the trusted comment names the version signed for.
fn sign(keys: &Keys, data: &[u8], version: &str) -> String {
    let trusted = format!("timestamp:1700000000\tfile:console.tar.gz\tversion:{version}");
    let sig = minisign::sign(Some(&keys.kp.pk), &keys.kp.sk, data, Some(&trusted), Some("test")).unwrap();
    b64(sig.to_string())
}

/// Serves `signature` (or none) for an update to 9.9.9, and runs the console's updater on it.
async fn check(signature: Option<String>, updates_on: bool, pubkey: &str) -> (Result<Option<usize>, String>, usize) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let mut platform = json!({"url": format!("{base}/console.tar.gz")});
    if let Some(sig) = signature {
        platform["signature"] = json!(sig);
    }
    let server = Server {
        manifest: json!({"version": "9.9.9", "notes": "", "pub_date": "2026-11-27T00:00:00Z", "platforms": {target(): platform}}),
        hits: Arc::new(AtomicUsize::new(0)),
    };
    let hits = server.hits.clone();
    let router =
        Router::new().route("/latest.json", get(manifest)).route("/console.tar.gz", get(artifact)).with_state(server);
    tokio::spawn(async move { axum::serve(listener, router).await });

    let mut context = mock_context(noop_assets());
    // The app's own settings (tauri.conf.json), but this test's key and server; plain HTTP on loopback.
    context.config_mut().plugins.0.insert(
        "updater".into(),
        json!({"pubkey": pubkey, "endpoints": [format!("{base}/latest.json")],
               "requireSignedVersion": true, "dangerousInsecureTransportProtocol": true}),
    );
    let app = mock_builder().plugin(tauri_plugin_updater::Builder::new().build()).build(context).unwrap();
    let switch = Switch {
        on: updates_on,
        why: if updates_on { "default" } else { "RECOVERY_DESK_UPDATES" }.into(),
        managed: !updates_on,
    };
    let result = recovery_desk_lib::updates::fetch_verified(app.handle(), &switch).await;
    (result.map(|v| v.map(|v| v.bytes.len())), hits.load(Ordering::SeqCst))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signed_update_is_downloaded_and_verified() {
    let k = keys();
    let (result, hits) = check(Some(sign(&k, ARTIFACT, "9.9.9")), true, &k.pk_b64).await;
    assert_eq!(result, Ok(Some(ARTIFACT.len())));
    assert_eq!(hits, 2, "the manifest and the artifact");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_update_signed_over_other_bytes_is_refused() {
    let k = keys();
    let (result, _) = check(Some(sign(&k, b"something else", "9.9.9")), true, &k.pk_b64).await;
    let err = result.unwrap_err();
    assert!(err.contains("refused"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_update_signed_by_another_key_is_refused() {
    let (k, other) = (keys(), keys());
    let (result, _) = check(Some(sign(&other, ARTIFACT, "9.9.9")), true, &k.pk_b64).await;
    assert!(result.is_err(), "{result:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_update_without_a_signature_is_refused() {
    let k = keys();
    let (result, _) = check(None, true, &k.pk_b64).await;
    assert!(result.is_err(), "{result:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_old_release_signed_for_another_version_is_refused() {
    let k = keys();
    let (result, _) = check(Some(sign(&k, ARTIFACT, "0.0.1")), true, &k.pk_b64).await;
    assert!(result.is_err(), "a genuine old artifact must not pass as 9.9.9: {result:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn with_updates_off_nothing_is_asked() {
    let k = keys();
    let (result, hits) = check(Some(sign(&k, ARTIFACT, "9.9.9")), false, &k.pk_b64).await;
    assert_eq!(result, Ok(None));
    assert_eq!(hits, 0, "no request when updates are off");
}
