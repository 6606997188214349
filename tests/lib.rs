//! What every end-to-end test needs: the real `desk-server` with demo data on a free port, and the
//! real app binary under tauri-driver + WebKitWebDriver, with its own folders for data, config and
//! logs so that tests never see each other's (or the developer's) state.
//!
//! The app under test is `target/debug/recovery-desk`, or the binary `E2E_APP` names (`make
//! test-installed` points it at the installed package's `/usr/bin/recovery-desk`).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

pub mod axe;
mod chromium;
pub mod keys;
pub use chromium::{open_chromium, Chromium};

pub const WAIT: Duration = Duration::from_secs(30);

/// A child process that is killed when the test lets go of it, pass or fail.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// tauri-driver in a process group of its own, killed whole: its WebKitWebDriver would outlive it.
struct KilledGroup(Child);

impl Drop for KilledGroup {
    fn drop(&mut self) {
        #[cfg(unix)]
        let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", self.0.id())]).status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The processes running `exe` (Linux's /proc; the end-to-end tests run on Linux only).
fn running(exe: &Path) -> Vec<u32> {
    let exe = std::fs::canonicalize(exe).unwrap_or_else(|_| exe.to_path_buf());
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_string_lossy().parse::<u32>().ok())
        .filter(|pid| std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|p| p == exe))
        .collect()
}

/// The processes named `comm` (as `/proc/PID/comm` has it, 15 characters at most) whose parent
/// runs `exe`: the WebKit processes of the console under test, say.
pub fn children_named(exe: &Path, comm: &str) -> Vec<u32> {
    let parents = running(exe);
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_string_lossy().parse::<u32>().ok())
        .filter(|pid| std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == comm))
        .filter(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let ppid = stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<u32>().ok());
            ppid.is_some_and(|p| parents.contains(&p))
        })
        .collect()
}

/// Whether `pid` has released everything it held: it is gone, or a zombie (which has closed its
/// files and sockets and waits only to be reaped).
fn finished(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

/// Whether a console still owns the single-instance name on this D-Bus session. The bus drops
/// the name only once it has noticed the owner's connection close, which can come after the
/// process is gone; a console started before that forwards to the dead one and fails ("NoReply").
fn single_instance_taken() -> bool {
    Command::new("dbus-send")
        .args(["--session", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus"])
        .args(["org.freedesktop.DBus.NameHasOwner", &format!("string:{SINGLE_INSTANCE_NAME}")])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("boolean true"))
}

pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub fn exe(name: &str) -> String {
    format!("{name}{}", std::env::consts::EXE_SUFFIX)
}

pub fn binary(name: &str) -> Result<PathBuf> {
    let p = target_dir().join("debug").join(exe(name));
    if !p.exists() {
        bail!("{} is missing: build it first (`make test` does)", p.display());
    }
    Ok(p)
}

/// The console under test.
pub fn app_binary() -> Result<PathBuf> {
    match std::env::var_os("E2E_APP") {
        Some(p) if Path::new(&p).exists() => Ok(PathBuf::from(p)),
        Some(p) => bail!("E2E_APP names {}, which does not exist", Path::new(&p).display()),
        None => binary("recovery-desk"),
    }
}

pub fn tool(name: &str) -> Result<PathBuf> {
    let home_bin = std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo/bin").join(exe(name)));
    for candidate in home_bin
        .into_iter()
        .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()).map(|d| d.join(exe(name))))
    {
        if candidate.exists() {
            return Ok(candidate);
        }
    }
    bail!("{name} is not installed: `make deps` installs it")
}

pub async fn wait_for_port(port: u16) -> Result<()> {
    let start = Instant::now();
    while start.elapsed() < WAIT {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("nothing listened on port {port} within {WAIT:?}")
}

pub async fn find(c: &Client, css: &str) -> Result<Element> {
    c.wait().at_most(WAIT).for_element(Locator::Css(css)).await.with_context(|| format!("waiting for {css}"))
}

/// Chooses the option of the `<select>` at `css` whose value is `value` as a keyboard user does:
/// arrow keys on the closed list, which WebKitGTK moves through without opening its menu.
/// WebDriver's own way, a click on the `<option>`, never returned in WebKitGTK with GPU
/// compositing off (the console's default on Linux): like a screenshot (see [`shot`]), it waits
/// for a paint that a page at rest does not make.
pub async fn choose(c: &Client, css: &str, value: &str) -> Result<()> {
    let select = find(c, css).await?;
    let at = c
        .execute(
            "const s = document.querySelector(arguments[0]);
             return [s.selectedIndex, [...s.options].findIndex(o => o.value === arguments[1])];",
            vec![json!(css), json!(value)],
        )
        .await?;
    let (from, to) = (at[0].as_i64().context("selectedIndex")?, at[1].as_i64().context("index")?);
    if to < 0 {
        bail!("{css} has no option {value:?}");
    }
    let key = if to > from { fantoccini::key::Key::Down } else { fantoccini::key::Key::Up };
    if to != from {
        select.send_keys(&String::from(char::from(key)).repeat(to.abs_diff(from) as usize)).await?;
    }
    let chosen = select.prop("value").await?.unwrap_or_default();
    if chosen != value {
        bail!("{css}: the keys chose {chosen:?}, not {value:?}");
    }
    Ok(())
}

/// Waits until nothing matches `css` (a dialog closed, a banner went).
pub async fn gone(c: &Client, css: &str) -> Result<()> {
    let start = Instant::now();
    while !c.find_all(Locator::Css(css)).await?.is_empty() {
        if start.elapsed() > WAIT {
            bail!("{css} was still there after {WAIT:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// A screenshot of the screen as it is now, and axe-core's check of it: every screen a test
/// shows is one the accessibility audit has passed.
pub async fn shot(c: &Client, name: &str) -> Result<()> {
    // Let the last DOM change paint.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let dir = target_dir().join("e2e-screenshots");
    std::fs::create_dir_all(&dir)?;
    // Without GPU compositing (the console's default on Linux), WebKitWebDriver takes a
    // screenshot at the page's next paint, and a page at rest never paints: the command waited
    // for ever (the WebDriver traffic showed it pending until a script changed the page). So the
    // page repaints for the next two seconds with an invisible change: a transparent outline on
    // and off.
    c.execute(
        "let n = 0; const t = setInterval(() => {
           document.documentElement.style.outline = n % 2 ? '' : '1px solid transparent';
           if (++n >= 20) { clearInterval(t); document.documentElement.style.outline = ''; }
         }, 100);",
        vec![],
    )
    .await?;
    std::fs::write(dir.join(format!("{name}.png")), c.screenshot().await?)?;
    axe::check(c, name).await
}

/// Every TOTP code a test typed, for the log scan.
static CODES_TYPED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

pub fn totp_now(secret: &str) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    // Keep clear of a step boundary so the code is still valid when the service checks it.
    let into_step = now % 30;
    let at = if into_step > 25 { now + 5 } else { now };
    let code = desk_server::totp::code_at(secret, at).unwrap();
    CODES_TYPED.lock().unwrap().push(code.clone());
    code
}

/// What of the secrets a run handled appears in `log`: the demo passwords and TOTP secrets,
/// `extra` (e.g. a password a user chose), every TOTP code typed (as a number of its own), and
/// any session token the service issued (found by hashing each token-shaped word of the log and
/// looking the hash up in the service's database) or its stored hash.
pub async fn secrets_in_log(log: &str, service_db: &Path, extra: &[&str]) -> Result<Vec<String>> {
    use sha2::{Digest, Sha256};
    let mut found = Vec::new();
    let fixed = [
        "demo-agent-pass",
        "demo-lead-pass",
        "demo-admin-pass",
        "JBSWY3DPEHPK3PXP",
        "KRSXG5CTMVRXEZLU",
        "MFRGGZDFMZTWQ2LK",
        "GEZDGNBVGY3TQOJQ",
    ];
    for s in fixed.iter().chain(extra) {
        if log.contains(s) {
            found.push(format!("secret {s}"));
        }
    }
    let words: Vec<&str> = log.split(|c: char| !c.is_ascii_alphanumeric() && c != '-' && c != '_').collect();
    for code in CODES_TYPED.lock().unwrap().iter() {
        if log.split(|c: char| !c.is_ascii_digit()).any(|w| w == code) {
            found.push(format!("TOTP code {code}"));
        }
    }
    let db = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=ro", service_db.display())).await?;
    let hashes: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM agent_sessions").fetch_all(&db).await?;
    db.close().await;
    if hashes.is_empty() {
        bail!("the service issued no session: the scan would prove nothing");
    }
    for w in words.iter().filter(|w| w.len() >= 40) {
        if hashes.contains(&hex::encode(Sha256::digest(w.as_bytes()))) {
            found.push("a session token".into());
        }
        if hashes.iter().any(|h| h == w) {
            found.push("a session token's hash".into());
        }
    }
    Ok(found)
}

/// The real service on a free port, with demo data, in a folder of its own.
pub struct Service {
    pub url: String,
    pub dir: tempfile::TempDir,
    _process: Killed,
}

pub async fn start_service(config: &str) -> Result<Service> {
    let dir = tempfile::tempdir()?;
    let config_path = dir.path().join("desk.toml");
    std::fs::write(&config_path, config)?;
    let port = free_port();
    let process = Killed(
        Command::new(binary("desk-server")?)
            .args(["serve", "--demo", "--config"])
            .arg(&config_path)
            .arg("--db")
            .arg(dir.path().join("desk.db"))
            .args(["--bind", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("start desk-server")?,
    );
    wait_for_port(port).await?;
    Ok(Service { url: format!("http://127.0.0.1:{port}"), dir, _process: process })
}

/// The folders the app keeps its state in (data, config, cache, logs): one set per test.
pub struct AppHome {
    pub dir: tempfile::TempDir,
}

impl AppHome {
    pub fn new() -> Result<Self> {
        Ok(AppHome { dir: tempfile::tempdir()? })
    }

    /// The variables that point the app's folders (Tauri's path API, WebKit's storage) here.
    pub fn env(&self) -> Vec<(String, OsString)> {
        let d = self.dir.path();
        let mut env: Vec<(String, OsString)> = ["XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"]
            .iter()
            .map(|k| (k.to_string(), d.join(k.to_lowercase()).into_os_string()))
            .collect();
        // No update checks against the real endpoint from tests (src-tauri/tests/updates.rs tests them).
        env.push(("RECOVERY_DESK_UPDATES".into(), "off".into()));
        // Machine settings of this machine stay out of the tests.
        env.push(("RECOVERY_DESK_MACHINE_SETTINGS".into(), d.join("machine-settings.json").into_os_string()));
        env
    }

    /// [`Self::env`], and the service the console is to use.
    pub fn env_for(&self, service: &Service) -> Vec<(String, OsString)> {
        let mut env = self.env();
        env.push(("RECOVERY_DESK_SERVER_URL".into(), service.url.clone().into()));
        env
    }

    /// Where the log plugin writes on Linux: the app's data folder under XDG_DATA_HOME.
    pub fn log_dir(&self) -> PathBuf {
        self.dir.path().join("xdg_data_home").join("com.recoverydesk.console").join("logs")
    }

    pub fn read_logs(&self) -> String {
        let mut all = String::new();
        if let Ok(entries) = std::fs::read_dir(self.log_dir()) {
            for e in entries.flatten() {
                all.push_str(&std::fs::read_to_string(e.path()).unwrap_or_default());
            }
        }
        all
    }
}

/// The console is one instance per desktop session (the single-instance plugin): tests of one
/// binary take turns with it.
static DESKTOP: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A WebDriver session on the app; the driver process ends with it.
pub struct Console {
    pub client: Client,
    app: PathBuf,
    _driver: KilledGroup,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

impl Console {
    /// Ends the session and waits for the app to be gone: a console still shutting down would
    /// take the next start's place (one instance per desktop session) and that start would exit.
    pub async fn close(self) {
        let pids = running(&self.app);
        let _ = self.client.clone().close().await;
        // Gone from `running` is not enough: a process loses its `/proc/…/exe` link early in its
        // exit, while its D-Bus connection (and the single-instance name on it) lives on a little
        // longer; a console started in that window forwards to the dying one and panics with
        // "NoReply". Wait until each has let go of its files too.
        let start = Instant::now();
        while !pids.iter().all(|p| finished(*p)) && start.elapsed() < WAIT {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        for pid in running(&self.app) {
            let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
        }
    }
}

/// This test's turn with the desktop, once the previous test's console is gone (see
/// `Console::close`). For a test that starts `app` itself, without WebDriver.
pub async fn desktop_turn(app: &Path) -> Result<tokio::sync::MutexGuard<'static, ()>> {
    let turn = DESKTOP.lock().await;
    let start = Instant::now();
    while !running(app).is_empty() || single_instance_taken() {
        if start.elapsed() > WAIT {
            bail!("another {} is still running (or its single-instance name is still taken)", app.display());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(turn)
}

/// The console's single-instance name on the session bus.
pub const SINGLE_INSTANCE_NAME: &str = "com.recoverydesk.console.SingleInstance";

/// Starts tauri-driver with the app's environment, and opens the app through it.
/// The app under test (`app_binary`) with a home of its own, pointed at `service`, with `extra`
/// variables: the home, the variables it was started with (to start it again), and the console.
pub async fn console_for(
    service: &Service,
    extra: &[(&str, OsString)],
) -> Result<(AppHome, Vec<(String, OsString)>, Console)> {
    let home = AppHome::new()?;
    let mut env = home.env_for(service);
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
    let console = open_console(&app_binary()?, &env).await?;
    Ok((home, env, console))
}

pub async fn open_console(app: &Path, env: &[(String, OsString)]) -> Result<Console> {
    let turn = desktop_turn(app).await?;
    let driver_port = free_port();
    let native_port = free_port();
    let mut cmd = Command::new(tool("tauri-driver")?);
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    cmd.args(["--port", &driver_port.to_string(), "--native-port", &native_port.to_string()])
        .args(["--native-driver", "/usr/bin/WebKitWebDriver"]);
    // E2E_VERBOSE=1 shows the driver's and the app's output.
    if std::env::var_os("E2E_VERBOSE").is_none() {
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let driver = KilledGroup(cmd.spawn().context("start tauri-driver")?);
    wait_for_port(driver_port).await?;

    // Two TLS backends are linked in (reqwest's and fantoccini's); name the one to use.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let caps = json!({"browserName": "wry", "tauri:options": {"application": app}});
    let mut builder = ClientBuilder::rustls()?;
    builder.capabilities(caps.as_object().unwrap().clone());
    let url = format!("http://127.0.0.1:{driver_port}");
    let connect = builder.connect(&url);
    // An app that exits at once (e.g. handing over to a running one) leaves the driver waiting;
    // a loaded machine may take a while to start WebKit, so the guard is generous.
    let client = tokio::time::timeout(3 * WAIT, connect)
        .await
        .context("the app did not start under WebDriver")?
        .context("open a WebDriver session on the app")?;
    Ok(Console { client, app: app.to_path_buf(), _driver: driver, _turn: turn })
}

/// Signs in through the sign-in screen and waits for the lookup screen.
pub async fn sign_in(c: &Client, email: &str, password: &str, totp_secret: &str) -> Result<()> {
    find(c, "#email").await?.send_keys(email).await?;
    find(c, "#password").await?.send_keys(password).await?;
    find(c, "#totp").await?.send_keys(&totp_now(totp_secret)).await?;
    find(c, "#sign-in").await?.click().await?;
    find(c, "#search").await?;
    Ok(())
}

pub fn require_display() -> Result<()> {
    if std::env::var_os("DISPLAY").is_none() && cfg!(target_os = "linux") {
        bail!("no X display: run through `make test`, which starts Xvfb");
    }
    Ok(())
}
