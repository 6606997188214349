//! The OS's certificate store is trusted: a CA the system trusts (here through `SSL_CERT_FILE`,
//! which the native-roots loader honours on every system) works without any setting of the
//! console's. Its own test binary: it changes the process's environment.

mod support;

use std::sync::Arc;

use desk_client::Client;
use desk_server::{Config, SystemClock};
use support::tls::company_ca_front;

#[tokio::test]
async fn client_trusts_a_ca_of_the_os_certificate_store() {
    let dir = tempfile::tempdir().unwrap();
    // Demo mode: a service of its own keys, no key file to set up.
    let config = Config {
        db: dir.path().join("desk.db").display().to_string(),
        bind: "127.0.0.1:0".parse().unwrap(),
        demo: true,
        demo_accounts: 20,
        ..Config::default()
    };
    let running = desk_server::start(config, Arc::new(SystemClock)).await.unwrap();
    let front = company_ca_front(running.url().trim_start_matches("http://").trim_end_matches('/').to_string()).await;
    std::env::set_var("SSL_CERT_FILE", &front.ca_file);
    std::env::remove_var("SSL_CERT_DIR");
    let client = Client::new(&front.url).unwrap();
    let v = client.version().await.expect("a CA of the OS store is trusted");
    assert_eq!(v.version, env!("CARGO_PKG_VERSION"));
}
