//! The keychain store against a real Secret Service (gnome-keyring under dbus-run-session, as
//! `make test` starts it). No mock: this is the store "stay signed in" uses.

use desk_api::SecretText;
use desk_client::{KeyringStore, StoredSession, TokenStore};

#[test]
fn keychain_round_trip_on_the_real_secret_service() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some() || cfg!(not(target_os = "linux")),
        "no session bus: run the tests through `make test`, which starts dbus and gnome-keyring"
    );
    let user = format!("test-{}", std::process::id());
    let store = KeyringStore::new("recovery-desk-test", &user);
    store.clear().unwrap();
    assert!(store.load().unwrap().is_none());

    let session = StoredSession { server_url: "http://127.0.0.1:8787".into(), token: SecretText::new("tok-123456") };
    store.save(&session).unwrap();
    let back = store.load().unwrap().expect("the saved session");
    assert_eq!(back.server_url, "http://127.0.0.1:8787");
    assert_eq!(back.token.expose(), "tok-123456");

    // A second store object (a restarted app) sees the same entry.
    let again = KeyringStore::new("recovery-desk-test", &user);
    assert_eq!(again.load().unwrap().unwrap().token.expose(), "tok-123456");

    store.clear().unwrap();
    assert!(again.load().unwrap().is_none(), "sign-out deletes it from the keychain");
    store.clear().unwrap();
}
