//! A minimal RFC 5321 server on a loopback port, for the tests that watch what the service sends:
//! it keeps every message it accepted, can fail the next connections in set ways, and can
//! demand AUTH PLAIN.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// How one connection goes wrong.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fault {
    /// `554` instead of the `220` greeting, then hang up.
    Refuse554AtGreeting,
    /// `451` to MAIL FROM (a temporary refusal).
    Refuse451AtMail,
    /// `354` to DATA, read a little of the message, then close the socket.
    DropInData,
}

#[derive(Debug, Clone)]
pub struct Received {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    /// The message as sent after DATA, without the final dot.
    pub data: String,
}

#[derive(Default)]
struct ServerState {
    /// Faults for the next connections, in order; once empty, connections are served normally.
    faults: VecDeque<Fault>,
    connections: usize,
    /// Every complete message: those the server answered `250` after the final dot.
    messages: Vec<Received>,
    /// The user and password of every successful AUTH.
    logins: Vec<(String, String)>,
}

#[derive(Clone)]
pub struct SmtpServer {
    pub port: u16,
    state: Arc<Mutex<ServerState>>,
    /// How long to wait before answering the final dot (to hold an attempt in flight).
    reply_delay: Duration,
    /// When set, the server offers AUTH PLAIN and refuses mail until a client signs in with these.
    auth: Option<(String, String)>,
}

impl SmtpServer {
    pub async fn start(faults: impl IntoIterator<Item = Fault>, reply_delay: Duration) -> Self {
        Self::start_full(faults, reply_delay, None).await
    }

    pub async fn start_full(
        faults: impl IntoIterator<Item = Fault>,
        reply_delay: Duration,
        auth: Option<(String, String)>,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(ServerState { faults: faults.into_iter().collect(), ..Default::default() }));
        let server = SmtpServer { port, state, reply_delay, auth };
        let s = server.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                let fault = {
                    let mut st = s.state.lock().unwrap();
                    st.connections += 1;
                    st.faults.pop_front()
                };
                let s = s.clone();
                tokio::spawn(async move {
                    let _ = s.session(stream, fault).await;
                });
            }
        });
        server
    }

    /// A server that wants AUTH with this user and password.
    pub async fn start_with_auth(user: &str, password: &str) -> Self {
        Self::start_full([], Duration::ZERO, Some((user.into(), password.into()))).await
    }

    pub fn logins(&self) -> Vec<(String, String)> {
        self.state.lock().unwrap().logins.clone()
    }

    pub fn messages(&self) -> Vec<Received> {
        self.state.lock().unwrap().messages.clone()
    }

    pub fn connections(&self) -> usize {
        self.state.lock().unwrap().connections
    }

    async fn session(&self, stream: TcpStream, fault: Option<Fault>) -> std::io::Result<()> {
        let (r, mut w) = stream.into_split();
        let mut r = BufReader::new(r);
        if fault == Some(Fault::Refuse554AtGreeting) {
            w.write_all(b"554 5.3.2 test server is not accepting mail\r\n").await?;
            return Ok(());
        }
        w.write_all(b"220 smtp.test ESMTP ready\r\n").await?;
        let (mut mail_from, mut rcpt_to) = (String::new(), Vec::new());
        let mut signed_in = self.auth.is_none();
        loop {
            let Some(line) = read_line(&mut r).await? else { return Ok(()) };
            let upper = line.to_ascii_uppercase();
            if upper.starts_with("EHLO") && self.auth.is_some() {
                w.write_all(b"250-smtp.test greets you\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n").await?;
            } else if upper.starts_with("AUTH PLAIN ") {
                use base64::Engine;
                let raw = base64::engine::general_purpose::STANDARD.decode(line[11..].trim()).unwrap_or_default();
                let parts: Vec<String> =
                    raw.split(|b| *b == 0).map(|p| String::from_utf8_lossy(p).into_owned()).collect();
                let given = (parts.get(1).cloned().unwrap_or_default(), parts.get(2).cloned().unwrap_or_default());
                if Some(&given) == self.auth.as_ref() {
                    signed_in = true;
                    self.state.lock().unwrap().logins.push(given);
                    w.write_all(b"235 2.7.0 signed in\r\n").await?;
                } else {
                    w.write_all(b"535 5.7.8 wrong user or password\r\n").await?;
                }
            } else if upper.starts_with("MAIL FROM:") && !signed_in {
                w.write_all(b"530 5.7.0 sign in first\r\n").await?;
            } else if upper.starts_with("EHLO") {
                w.write_all(b"250-smtp.test greets you\r\n250-8BITMIME\r\n250 SIZE 1000000\r\n").await?;
            } else if upper.starts_with("HELO") {
                w.write_all(b"250 smtp.test\r\n").await?;
            } else if upper.starts_with("MAIL FROM:") {
                if fault == Some(Fault::Refuse451AtMail) {
                    w.write_all(b"451 4.3.0 test server says try again later\r\n").await?;
                    continue;
                }
                mail_from = line[10..].trim().to_string();
                rcpt_to.clear();
                w.write_all(b"250 2.1.0 OK\r\n").await?;
            } else if upper.starts_with("RCPT TO:") {
                rcpt_to.push(line[8..].trim().to_string());
                w.write_all(b"250 2.1.5 OK\r\n").await?;
            } else if upper == "DATA" {
                w.write_all(b"354 end data with <CR><LF>.<CR><LF>\r\n").await?;
                if fault == Some(Fault::DropInData) {
                    let mut some = [0u8; 16];
                    let _ = r.read(&mut some).await?;
                    // Dropping both halves closes the connection in the middle of the message.
                    return Ok(());
                }
                let mut data = String::new();
                loop {
                    let Some(l) = read_line(&mut r).await? else { return Ok(()) };
                    if l == "." {
                        break;
                    }
                    // Undo dot-stuffing (RFC 5321 4.5.2).
                    data.push_str(l.strip_prefix('.').unwrap_or(&l));
                    data.push_str("\r\n");
                }
                tokio::time::sleep(self.reply_delay).await;
                self.state.lock().unwrap().messages.push(Received {
                    mail_from: mail_from.clone(),
                    rcpt_to: rcpt_to.clone(),
                    data,
                });
                w.write_all(b"250 2.0.0 OK queued\r\n").await?;
            } else if upper == "RSET" || upper == "NOOP" {
                w.write_all(b"250 2.0.0 OK\r\n").await?;
            } else if upper == "QUIT" {
                w.write_all(b"221 2.0.0 bye\r\n").await?;
                return Ok(());
            } else {
                w.write_all(b"502 5.5.2 command not implemented\r\n").await?;
            }
        }
    }
}

/// One line without its CRLF; `None` at end of stream.
async fn read_line(r: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> std::io::Result<Option<String>> {
    let mut buf = Vec::new();
    if r.read_until(b'\n', &mut buf).await? == 0 {
        return Ok(None);
    }
    while matches!(buf.last(), Some(b'\n' | b'\r')) {
        buf.pop();
    }
    Ok(Some(String::from_utf8_lossy(&buf).into_owned()))
}
