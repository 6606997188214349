//! Corporate networks: the service's SMTP client requires STARTTLS and trusts the OS's certificate
//! store plus the configured `smtp.ca_file`. A relay on loopback with a certificate signed by a CA
//! the test makes takes a reset email only when that CA is configured.

#[path = "support/session.rs"]
mod session;

#[path = "support/pg.rs"]
#[allow(dead_code)]
mod pg;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use desk_server::config::SmtpConfig;
use desk_server::demo::{AGENT_EMAIL, AGENT_PASSWORD, AGENT_TOTP};
use desk_server::test_support::spawn_service;
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::TlsAcceptor;

/// A relay that offers STARTTLS, and after the handshake takes messages: each one's DATA is kept.
async fn starttls_relay(acceptor: TlsAcceptor) -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let got = Arc::new(Mutex::new(Vec::new()));
    let kept = got.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut plain, _)) = listener.accept().await else { return };
            let (acceptor, kept) = (acceptor.clone(), kept.clone());
            tokio::spawn(async move {
                let mut r = BufReader::new(&mut plain);
                let _ = r.get_mut().write_all(b"220 relay.test ESMTP\r\n").await;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let cmd = line.trim().to_ascii_uppercase();
                    if cmd.starts_with("EHLO") {
                        let _ = r.get_mut().write_all(b"250-relay.test\r\n250 STARTTLS\r\n").await;
                    } else if cmd == "STARTTLS" {
                        let _ = r.get_mut().write_all(b"220 go ahead\r\n").await;
                        break;
                    } else {
                        let _ = r.get_mut().write_all(b"530 5.7.0 STARTTLS first\r\n").await;
                    }
                }
                drop(r);
                // A client that refuses the certificate ends here.
                let Ok(tls) = acceptor.accept(plain).await else { return };
                let _ = serve_mail(tls, &kept).await;
            });
        }
    });
    (port, got)
}

async fn serve_mail<S: AsyncRead + AsyncWrite + Unpin>(s: S, kept: &Mutex<Vec<String>>) -> std::io::Result<()> {
    let mut r = BufReader::new(s);
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let cmd = line.trim().to_ascii_uppercase();
        let reply: &[u8] = if cmd.starts_with("EHLO") {
            b"250 relay.test\r\n"
        } else if cmd == "DATA" {
            r.get_mut().write_all(b"354 go on\r\n").await?;
            let mut data = String::new();
            loop {
                let mut l = String::new();
                if r.read_line(&mut l).await? == 0 {
                    return Ok(());
                }
                if l.trim_end() == "." {
                    break;
                }
                data.push_str(&l);
            }
            kept.lock().unwrap().push(data);
            b"250 queued\r\n"
        } else if cmd == "QUIT" {
            r.get_mut().write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            b"250 ok\r\n"
        };
        r.get_mut().write_all(reply).await?;
    }
}

/// A new CA, and the relay's certificate for `localhost` signed by it: (CA PEM, acceptor).
fn company_ca() -> (String, TlsAcceptor) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_string()]).unwrap().signed_by(&key, &issuer).unwrap();
    let config = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(cert.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .unwrap();
    (ca_cert.pem(), TlsAcceptor::from(Arc::new(config)))
}

/// Starts the service with STARTTLS to the relay, sends a reset, and answers the outbox row's
/// status and last error once delivery succeeded or failed once.
async fn reset_over_starttls(trust_company_ca: bool) -> (String, Option<String>, usize) {
    let (ca_pem, acceptor) = company_ca();
    let (port, got) = starttls_relay(acceptor).await;
    let ca_dir = tempfile::tempdir().unwrap();
    let ca_file = ca_dir.path().join("company-ca.pem");
    std::fs::write(&ca_file, ca_pem).unwrap();
    let postgres = pg::postgres_database().await;
    let service = spawn_service(|config| {
        if let Some(url) = postgres {
            config.db = url;
        }
        config.demo_accounts = 20;
        config.smtp = Some(SmtpConfig {
            host: "localhost".into(),
            port,
            from: "Recovery Desk <no-reply@desk.test>".into(),
            starttls: true,
            ca_file: trust_company_ca.then_some(ca_file),
            tls: false,
            username: None,
            password: None,
        });
    })
    .await;
    let running = &service.running;
    let http = reqwest::Client::new();
    let token = session::sign_in(&http, &running.url(), AGENT_EMAIL, AGENT_PASSWORD, AGENT_TOTP).await;
    let reset = http
        .post(format!("{}/v1/accounts/1/password-reset", running.url()))
        .bearer_auth(&token)
        .header("Idempotency-Key", "tls-1")
        .json(&json!({"reason": "forgot_password", "ticket": "SUP-TLS"}));
    let sent = session::answer(reset).await;
    let id = sent["email"]["id"].as_i64().unwrap();
    let start = Instant::now();
    loop {
        let (status, attempts, error): (String, i64, Option<String>) =
            sqlx::query_as("SELECT status, attempts, last_error FROM outbox WHERE id = $1")
                .bind(id)
                .fetch_one(running.state.db.pool())
                .await
                .unwrap();
        if status == "sent" || attempts > 0 {
            return (status, error, got.lock().unwrap().len());
        }
        assert!(start.elapsed() < Duration::from_secs(10), "no delivery attempt: {status}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn smtp_delivers_over_starttls_to_a_relay_signed_by_the_configured_company_ca() {
    let (status, error, messages) = reset_over_starttls(true).await;
    assert_eq!(status, "sent", "{error:?}");
    assert_eq!(messages, 1);
}

#[tokio::test]
async fn smtp_refuses_a_relay_whose_ca_is_neither_in_the_os_store_nor_configured() {
    let (status, error, messages) = reset_over_starttls(false).await;
    assert_ne!(status, "sent");
    assert_eq!(messages, 0, "nothing may go to a relay that cannot prove who it is");
    let error = error.unwrap_or_default().to_lowercase();
    assert!(error.contains("certificate") || error.contains("issuer"), "{error}");
}
