//! Faults between the console and the service: a TCP proxy of the test's own sits between the
//! console's client (`Console`, as the Tauri shell uses it) and the real service, and adds latency,
//! loses an answer (the request reached the service, the connection is reset before the answer
//! gets back), or loses it while the service restarts. Nothing is lost or done twice, and what the
//! agent is told is a stable code, never a transport error's text.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use desk_api::{Decision, DecisionRequest, ErrorCode, QueueFilter, ReasonCode, RequestState, ResetRequest};
use desk_client::{Console, MemoryStore};
use desk_server::test_support::{agent_sign_in, spawn_service, TestService};
use desk_server::SystemClock;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};

/// Where the proxy sends what it receives.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Upstream {
    Up(SocketAddr),
    /// The service is being restarted: new connections wait until it is up again.
    Restarting,
    /// The service is gone: new connections are reset as soon as they are accepted.
    Down,
}

struct Proxy {
    addr: SocketAddr,
    upstream: watch::Sender<Upstream>,
    latency: std::sync::Mutex<Duration>,
    /// Armed: the next request that arrives loses its answer.
    lose_next: std::sync::Mutex<Option<Upstream>>,
    /// Answers the proxy threw away.
    lost: AtomicUsize,
    answer_lost: Notify,
}

impl Proxy {
    async fn start(to: SocketAddr) -> Arc<Proxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy = Arc::new(Proxy {
            addr: listener.local_addr().unwrap(),
            upstream: watch::channel(Upstream::Up(to)).0,
            latency: Default::default(),
            lose_next: Default::default(),
            lost: AtomicUsize::new(0),
            answer_lost: Notify::new(),
        });
        let p = proxy.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(p.clone().pipe(client));
            }
        });
        proxy
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The next request reaches the service, but its answer is dropped and the console's
    /// connection reset; the upstream then becomes `after`.
    fn lose_next_answer(&self, after: Upstream) {
        *self.lose_next.lock().unwrap() = Some(after);
    }

    async fn pipe(self: Arc<Self>, mut client: TcpStream) {
        let mut rx = self.upstream.subscribe();
        let to = loop {
            match *rx.borrow_and_update() {
                Upstream::Up(addr) => break addr,
                Upstream::Down => {
                    let _ = client.set_zero_linger();
                    return;
                }
                Upstream::Restarting => {}
            }
            if rx.changed().await.is_err() {
                return;
            }
        };
        let Ok(mut service) = TcpStream::connect(to).await else {
            let _ = client.set_zero_linger();
            return;
        };
        let (mut from_client, mut from_service) = ([0u8; 16 * 1024], [0u8; 16 * 1024]);
        let mut doomed: Option<Upstream> = None;
        loop {
            tokio::select! {
                n = client.read(&mut from_client) => {
                    let Ok(n @ 1..) = n else { return };
                    if doomed.is_none() {
                        doomed = self.lose_next.lock().unwrap().take();
                    }
                    self.delay().await;
                    if service.write_all(&from_client[..n]).await.is_err() {
                        return;
                    }
                }
                n = service.read(&mut from_service) => {
                    let Ok(n @ 1..) = n else { return };
                    if let Some(after) = doomed {
                        // The service answered: the work is done. The console never hears of it.
                        self.upstream.send_replace(after);
                        self.lost.fetch_add(1, Ordering::SeqCst);
                        let _ = client.set_zero_linger();
                        drop(client);
                        self.answer_lost.notify_one();
                        return;
                    }
                    self.delay().await;
                    if client.write_all(&from_service[..n]).await.is_err() {
                        return;
                    }
                }
            }
        }
    }

    async fn delay(&self) {
        let d = *self.latency.lock().unwrap();
        if !d.is_zero() {
            tokio::time::sleep(d).await;
        }
    }
}

async fn service() -> TestService {
    spawn_service(|config| config.demo_accounts = 200).await
}

async fn signed_in(proxy: &Proxy) -> Console {
    let console = Console::new(Arc::new(MemoryStore::default()), proxy.url());
    console.sign_in(agent_sign_in(&proxy.url(), false)).await.unwrap();
    console
}

fn reset() -> ResetRequest {
    ResetRequest { reason: ReasonCode::EmailNotReceived, ticket: "SUP-4242".into(), note: None }
}

async fn count(db: &sqlx::AnyPool, sql: &str, id: i64) -> i64 {
    sqlx::query_scalar(sql).bind(id).fetch_one(db).await.unwrap()
}

const RESET_EMAILS: &str = "SELECT COUNT(*) FROM outbox WHERE account_id = $1 AND kind = 'password_reset'";
const RESETS: &str = "SELECT COUNT(*) FROM agent_actions WHERE account_id = $1";

#[tokio::test]
async fn added_latency_slows_the_console_but_changes_nothing() {
    let s = service().await;
    let proxy = Proxy::start(s.running.addr).await;
    *proxy.latency.lock().unwrap() = Duration::from_millis(150);
    let console = signed_in(&proxy).await;
    let page = console.search("maria.lopez", None).await.unwrap();
    let id = page.items[0].id;
    let sent = console.password_reset(id, reset(), "latency-1").await.unwrap();
    assert_eq!(console.account(id).await.unwrap().recent_emails[0].id, sent.email.id);
    assert_eq!(count(s.running.state.db.pool(), RESET_EMAILS, id).await, 1);
    assert_eq!(proxy.lost.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_reset_whose_answer_is_lost_is_retried_under_its_key_and_sends_one_email() {
    let s = service().await;
    let proxy = Proxy::start(s.running.addr).await;
    let console = signed_in(&proxy).await;
    proxy.lose_next_answer(Upstream::Up(s.running.addr));
    // The first send reached the service and its answer was lost; the console sent it again with
    // the same Idempotency-Key and got the first answer back.
    let sent = console.password_reset(3, reset(), "lost-answer-1").await.expect("the retry answers");
    assert_eq!(proxy.lost.load(Ordering::SeqCst), 1, "no answer was lost: the fault did not happen");
    let db = s.running.state.db.pool();
    assert_eq!(count(db, RESET_EMAILS, 3).await, 1, "the retry sent a second email");
    assert_eq!(count(db, RESETS, 3).await, 1);
    let email: i64 = sqlx::query_scalar("SELECT id FROM outbox WHERE account_id = 3").fetch_one(db).await.unwrap();
    assert_eq!(sent.email.id, email);
}

#[tokio::test]
async fn a_lost_answer_with_the_service_gone_is_a_clear_retried_error_and_sending_again_is_safe() {
    let s = service().await;
    let proxy = Proxy::start(s.running.addr).await;
    let console = signed_in(&proxy).await;
    proxy.lose_next_answer(Upstream::Down);
    let err = console.password_reset(4, reset(), "gone-1").await.unwrap_err();
    let shown = err.to_command_error();
    assert_eq!(shown.code, ErrorCode::ConnectionLost, "{shown:?}");
    assert!(!shown.message.contains("error sending request") && !shown.message.contains("hyper"), "{shown:?}");
    assert!(shown.message.contains(&proxy.url()), "{shown:?}");
    assert!(!err.ends_session());
    // The service comes back; the agent sends the same action again (the dialog keeps its key).
    proxy.upstream.send_replace(Upstream::Up(s.running.addr));
    console.password_reset(4, reset(), "gone-1").await.unwrap();
    assert_eq!(count(s.running.state.db.pool(), RESET_EMAILS, 4).await, 1);
}

#[tokio::test]
async fn a_service_restart_in_the_middle_of_a_decision_decides_once() {
    let s = service().await;
    let proxy = Proxy::start(s.running.addr).await;
    let console = signed_in(&proxy).await;
    let claimed = console.claim_next().await.unwrap();
    let id = claimed.item.id;
    proxy.lose_next_answer(Upstream::Restarting);
    let decision = DecisionRequest {
        decision: Decision::Reject,
        checklist: vec![],
        note: "The statement contradicts the account's history.".into(),
        message: Some("We could not confirm that the account is yours.".into()),
    };
    let decide = tokio::spawn({
        let console = Arc::new(console);
        let c = console.clone();
        async move { (c.decide(id, decision, "restart-1").await, console) }
    });
    // The decision is committed and its answer lost; the service stops and starts again on the
    // same database while the console retries.
    proxy.answer_lost.notified().await;
    let TestService { running, config, dir: _dir } = s;
    running.stop().await;
    let restarted = desk_server::start(config, Arc::new(SystemClock)).await.unwrap();
    proxy.upstream.send_replace(Upstream::Up(restarted.addr));
    let (answer, console) = decide.await.unwrap();
    let detail = answer.expect("the retry after the restart answers");
    assert_eq!(detail.item.state, RequestState::Rejected);
    assert_eq!(proxy.lost.load(Ordering::SeqCst), 1);
    let db = restarted.state.db.pool();
    let rejections = "SELECT COUNT(*) FROM request_steps WHERE request_id = $1 AND action = 'reject'";
    assert_eq!(count(db, rejections, id).await, 1, "the request was decided twice");
    let told: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE subject = 'Your request was declined'")
        .fetch_one(db)
        .await
        .unwrap();
    assert_eq!(told, 1, "the user was told twice");
    // The console goes on working against the restarted service.
    let rejected = QueueFilter { state: Some(RequestState::Rejected), ..Default::default() };
    assert!(console.queue_list(rejected, None).await.unwrap().items.iter().any(|i| i.id == id));
}
