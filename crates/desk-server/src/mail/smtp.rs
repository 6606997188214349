//! Delivery over SMTP with `lettre`. One connection per email (no pool): an attempt either ends with
//! the server's `250` to the message's final dot, or it is a failure to retry.

use std::time::Duration;

use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::SmtpConfig;

/// How long one attempt may take, connection to the final reply.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);

/// The longest `last_error` kept.
const MAX_ERROR_CHARS: usize = 500;

pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The From address's domain, for Message-IDs.
    domain: String,
}

/// `Auto-Submitted: auto-generated` (RFC 3834): mail written by a program, which out-of-office
/// replies and other automatic answers must not answer.
#[derive(Debug, Clone)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_string())
    }
}

impl std::fmt::Debug for SmtpSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSender").field("from", &self.from.to_string()).finish_non_exhaustive()
    }
}

impl SmtpSender {
    pub fn new(config: &SmtpConfig) -> anyhow::Result<Self> {
        let from: Mailbox =
            config.from.parse().map_err(|e| anyhow::anyhow!("smtp.from {:?} is not an address: {e}", config.from))?;
        // Plain SMTP is only for a relay on this machine (`Config::validate` refuses it elsewhere).
        // Over TLS the relay's certificate must chain to the OS's store or to `smtp.ca_file`.
        let builder = if config.tls {
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
                .tls(Tls::Wrapper(tls_parameters(config)?))
        } else if config.starttls {
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
                .tls(Tls::Required(tls_parameters(config)?))
        } else if config.host_is_loopback() {
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
        } else {
            anyhow::bail!("smtp: plain SMTP to {} is refused; set smtp.starttls or smtp.tls", config.host);
        };
        let mut builder = builder.port(config.port).timeout(Some(ATTEMPT_TIMEOUT));
        if let (Some(user), Some(password)) = (&config.username, &config.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.expose().to_string()));
        }
        let domain = from.email.domain().to_string();
        Ok(Self { transport: builder.build(), from, domain })
    }

    /// Sends one plain-text email. `Ok` only once the server accepted the message. The error is the
    /// failure's text, fit to store and log: it never holds the body.
    ///
    /// `message_key` names the email, not the attempt: every attempt carries the same Message-ID,
    /// so a copy sent again after a sender died between the server's `250` and marking the row
    /// sent is one the receiving side can recognise and drop.
    pub async fn send(&self, to: &str, subject: &str, body: &str, message_key: &str) -> Result<(), String> {
        let to: Mailbox = to.parse().map_err(|e| format!("the recipient address is not valid: {e}"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            // Without a Message-ID, filters such as SpamAssassin's MISSING_MID send the mail to spam.
            .message_id(Some(format!("<{message_key}@{}>", self.domain)))
            .header(AutoSubmitted)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_string())
            .map_err(|e| format!("cannot build the message: {e}"))?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) => Err(describe(&e)),
        }
    }
}

/// TLS to `config.host`, trusting the OS's certificate store (lettre's native roots) and the
/// configured extra CA file.
fn tls_parameters(config: &SmtpConfig) -> anyhow::Result<TlsParameters> {
    let mut tls = TlsParameters::builder(config.host.clone());
    if let Some(path) = &config.ca_file {
        let pem = std::fs::read(path).map_err(|e| anyhow::anyhow!("smtp.ca_file {}: {e}", path.display()))?;
        let cert = Certificate::from_pem(&pem)
            .map_err(|e| anyhow::anyhow!("smtp.ca_file {} holds no PEM certificate: {e}", path.display()))?;
        tls = tls.add_root_certificate(cert);
    }
    tls.build().map_err(|e| anyhow::anyhow!("smtp TLS settings: {e}"))
}

/// The error and its causes in one line, cut to a bounded length.
fn describe(e: &lettre::transport::smtp::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    let text: String = text.chars().filter(|c| !c.is_control()).collect();
    if text.chars().count() > MAX_ERROR_CHARS {
        text.chars().take(MAX_ERROR_CHARS).collect::<String>() + "…"
    } else {
        text
    }
}
