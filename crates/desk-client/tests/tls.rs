//! Corporate networks: the console trusts a company CA given as the extra CA file, and nothing it
//! was not given. The service is the real one, behind a TLS front signed by a CA the test makes.

mod support;

use desk_client::{tls, Client};
use desk_server::test_support::{spawn_service, TestService};
use support::tls::company_ca_front;

async fn service() -> TestService {
    spawn_service(|config| config.demo_accounts = 20).await
}

fn host_port(url: &str) -> String {
    url.trim_start_matches("http://").trim_end_matches('/').to_string()
}

#[tokio::test]
async fn client_trusts_a_company_ca_given_as_the_extra_ca_file() {
    let TestService { running, dir: _dir, .. } = service().await;
    let front = company_ca_front(host_port(&running.url())).await;
    let roots = tls::load(&front.ca_file).unwrap();
    let client = Client::with_roots(&front.url, roots).unwrap();
    let v = client.version().await.expect("the service behind the company CA answers");
    assert_eq!(v.version, env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn client_refuses_a_service_signed_by_a_ca_it_was_not_given() {
    let TestService { running, dir: _dir, .. } = service().await;
    let front = company_ca_front(host_port(&running.url())).await;
    let client = Client::with_roots(&front.url, Vec::new()).unwrap();
    assert!(client.version().await.is_err(), "an unknown CA must not be trusted");
}

#[test]
fn an_unreadable_or_empty_extra_ca_file_is_an_error_not_fewer_roots() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.pem");
    let err = tls::load(&missing).unwrap_err().to_string();
    assert!(err.contains("missing.pem"), "{err}");
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "not a certificate\n").unwrap();
    let err = tls::load(&empty).unwrap_err().to_string();
    assert!(err.contains("no PEM certificate"), "{err}");
}
