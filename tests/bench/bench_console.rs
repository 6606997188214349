//! `make bench-console`: figures, not assertions, for the release console beside Chromium.
//!
//! - the release binary's size and each bundle's;
//! - start: from the process's start to the sign-in screen's `signin-interactive` mark (read over
//!   WebDriver), median of 10 starts;
//! - memory: PSS of the app and its WebKit processes at the sign-in screen, and after signing in,
//!   a search and opening an account;
//! - the same `ui/dist` in Chromium (`chromium` + `chromium-driver`, Debian's) with the IPC answered
//!   by a stub, at the same sign-in screen: start and PSS, and the ratios Tauri / Chromium.
//!
//! Run under Xvfb (`scripts/with-test-session.sh`); Linux only (it reads /proc).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use desk_e2e::{find, free_port, open_console, sign_in, start_service, wait_for_port, AppHome, Killed};
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder};
use serde_json::json;

const RUNS: usize = 10;

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Every process: (pid, parent pid, exe, command line).
fn processes() -> Vec<(u32, u32, PathBuf, String)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else { continue };
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // The parent pid is the 2nd field after the command name's closing parenthesis.
        let ppid =
            stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse().ok()).unwrap_or(0);
        let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap_or_default();
        let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        out.push((pid, ppid, exe, String::from_utf8_lossy(&cmd).replace('\0', " ")));
    }
    out
}

/// `root` and every process below it.
fn tree(root: u32) -> Vec<u32> {
    let all = processes();
    let mut pids = vec![root];
    let mut i = 0;
    while i < pids.len() {
        let parent = pids[i];
        pids.extend(all.iter().filter(|p| p.1 == parent).map(|p| p.0));
        i += 1;
    }
    pids
}

fn pss_kib(pid: u32) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
    text.lines().find(|l| l.starts_with("Pss:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()).unwrap_or(0)
}

fn pss_mib(pids: &[u32]) -> f64 {
    pids.iter().map(|p| pss_kib(*p)).sum::<u64>() as f64 / 1024.0
}

/// When a process started, in ms since the epoch (/proc/PID/stat field 22, in clock ticks after boot).
fn started_ms(pid: u32) -> Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let ticks: f64 =
        stat.rsplit_once(')').and_then(|(_, r)| r.split_whitespace().nth(19)?.parse().ok()).context("stat")?;
    let btime: f64 = std::fs::read_to_string("/proc/stat")?
        .lines()
        .find_map(|l| l.strip_prefix("btime ")?.trim().parse().ok())
        .context("btime")?;
    // USER_HZ is 100 on every Linux this runs on.
    Ok((btime + ticks / 100.0) * 1000.0)
}

/// The sign-in screen's mark as ms since the epoch.
async fn mark_ms(c: &Client) -> Result<f64> {
    find(c, "#email").await?;
    for _ in 0..100 {
        let v = c
            .execute(
                "const m = performance.getEntriesByName('signin-interactive')[0]; return m ? performance.timeOrigin + m.startTime : null;",
                vec![],
            )
            .await?;
        if let Some(ms) = v.as_f64() {
            return Ok(ms);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("the sign-in screen never set its mark")
}

fn newest_with_exe(exe: &Path) -> Result<u32> {
    let exe = std::fs::canonicalize(exe)?;
    processes().into_iter().filter(|p| p.2 == exe).map(|p| p.0).max().context("the app's process")
}

async fn tauri(app: &Path, service_url: &str) -> Result<(f64, f64, f64)> {
    let mut starts = Vec::new();
    let (mut at_sign_in, mut after) = (0.0, 0.0);
    for run in 0..RUNS {
        let home = AppHome::new()?;
        let mut env = home.env();
        env.push(("RECOVERY_DESK_SERVER_URL".into(), service_url.into()));
        let console = open_console(app, &env).await?;
        let c = &console.client;
        let mark = mark_ms(c).await?;
        let pid = newest_with_exe(app)?;
        starts.push(mark - started_ms(pid)?);
        if run == RUNS - 1 {
            // Let the web process settle as a person would see it, then measure.
            tokio::time::sleep(Duration::from_secs(2)).await;
            at_sign_in = pss_mib(&tree(pid));
            sign_in(c, "agent@demo.test", "demo-agent-pass", "JBSWY3DPEHPK3PXP").await?;
            let search = find(c, "#search").await?;
            search.send_keys("maria.lopez").await?;
            search.send_keys(&Key::Enter.to_string()).await?;
            find(c, "#results [data-testid=result][data-id='1']").await?.click().await?;
            find(c, "#account-detail #account-username").await?;
            tokio::time::sleep(Duration::from_secs(2)).await;
            after = pss_mib(&tree(pid));
        }
        console.close().await;
    }
    Ok((median(starts), at_sign_in, after))
}

/// `ui/dist` with a first script that answers the IPC as a signed-out console would.
fn stubbed_ui(dist: &Path, into: &Path) -> Result<()> {
    for e in walk(dist)? {
        let rel = e.strip_prefix(dist)?;
        let to = into.join(rel);
        std::fs::create_dir_all(to.parent().unwrap())?;
        std::fs::copy(&e, &to)?;
    }
    let stub = r#"<script>
window.__TAURI_INTERNALS__ = {
  metadata: { currentWindow: { label: 'main' }, currentWebview: { windowLabel: 'main', label: 'main' } },
  transformCallback: () => 0,
  invoke: async (cmd) => {
    if (cmd === 'session_status') return { signed_in: false, agent: null, server_url: 'http://127.0.0.1:8787', expires_at: null, ends_at: null, notice: null, idle_lock_secs: 900 };
    if (cmd === 'take_links') return [];
    if (cmd === 'plugin:event|listen') return 0;
    throw { code: 'not_signed_in', message: 'stub' };
  },
};
</script>"#;
    let index = into.join("index.html");
    let html = std::fs::read_to_string(&index)?.replacen("<head>", &format!("<head>{stub}"), 1);
    std::fs::write(index, html)?;
    Ok(())
}

fn walk(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        if p.is_dir() {
            out.extend(walk(&p)?);
        } else {
            out.push(p);
        }
    }
    Ok(out)
}

/// Serves `root` on loopback (a handful of static files; no more HTTP than that needs).
async fn serve(root: PathBuf) -> Result<u16> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        loop {
            let Ok((mut s, _)) = listener.accept().await else { return };
            let root = root.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let n = s.read(&mut buf).await.unwrap_or(0);
                let req = String::from_utf8_lossy(&buf[..n]);
                let path = req.split_whitespace().nth(1).unwrap_or("/").split('?').next().unwrap_or("/").to_string();
                let path = if path == "/" { "/index.html".to_string() } else { path };
                let file = root.join(path.trim_start_matches('/'));
                let (status, body) = match std::fs::read(&file) {
                    Ok(b) if !path.contains("..") => ("200 OK", b),
                    _ => ("404 Not Found", Vec::new()),
                };
                let ctype = match file.extension().and_then(|e| e.to_str()) {
                    Some("html") => "text/html",
                    Some("js") => "text/javascript",
                    Some("css") => "text/css",
                    Some("svg") => "image/svg+xml",
                    _ => "application/octet-stream",
                };
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = s.write_all(head.as_bytes()).await;
                let _ = s.write_all(&body).await;
            });
        }
    });
    Ok(port)
}

async fn chromium(ui_dist: &Path) -> Result<(f64, f64)> {
    let site = tempfile::tempdir()?;
    stubbed_ui(ui_dist, site.path())?;
    let port = serve(site.path().to_path_buf()).await?;
    let mut starts = Vec::new();
    let mut pss = 0.0;
    for run in 0..RUNS {
        let profile = tempfile::tempdir()?;
        let driver_port = free_port();
        let _driver = Killed(
            Command::new("chromedriver")
                .arg(format!("--port={driver_port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .context("start chromedriver (apt-get install chromium-driver)")?,
        );
        wait_for_port(driver_port).await?;
        let caps = json!({"browserName": "chrome", "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--no-sandbox", "--disable-gpu", "--window-size=1200,780",
                     format!("--user-data-dir={}", profile.path().display()),
                     format!("--app=http://127.0.0.1:{port}/")]}});
        let c = ClientBuilder::rustls()?
            .capabilities(caps.as_object().unwrap().clone())
            .connect(&format!("http://127.0.0.1:{driver_port}"))
            .await?;
        let mark = mark_ms(&c).await?;
        let dir = profile.path().display().to_string();
        let procs: Vec<(u32, u32)> = processes()
            .into_iter()
            .filter(|p| p.3.contains(&format!("--user-data-dir={dir}")))
            .map(|p| (p.0, p.1))
            .collect();
        let main = procs.iter().find(|p| !procs.iter().any(|q| q.0 == p.1)).map(|p| p.0).context("chromium")?;
        starts.push(mark - started_ms(main)?);
        if run == RUNS - 1 {
            tokio::time::sleep(Duration::from_secs(2)).await;
            pss = pss_mib(&tree(main));
        }
        let _ = c.close().await;
    }
    Ok((median(starts), pss))
}

#[tokio::main]
async fn main() -> Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let app = root.join("target/dist/recovery-desk");
    if !app.exists() {
        bail!("{} is missing: `make dist` builds it", app.display());
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    println!("release binary        {:>8.1} MiB  {}", mib(std::fs::metadata(&app)?.len()), app.display());
    for f in walk(&root.join("target/dist/bundle")).unwrap_or_default() {
        let name = f.file_name().unwrap_or_default().to_string_lossy().to_string();
        if [".deb", ".rpm", ".AppImage", ".dmg", ".msi", ".exe"].iter().any(|e| name.ends_with(e)) {
            println!("bundle                {:>8.1} MiB  {name}", mib(std::fs::metadata(&f)?.len()));
        }
    }
    let service = start_service("").await?;
    let (t_start, t_signin, t_after) = tauri(&app, &service.url).await?;
    let (c_start, c_signin) = chromium(&root.join("ui/dist")).await?;
    println!(
        "start to sign-in      Tauri {t_start:>7.0} ms   Chromium {c_start:>7.0} ms   ratio {:.2} (median of {RUNS})",
        t_start / c_start
    );
    println!(
        "PSS at sign-in        Tauri {t_signin:>7.0} MiB  Chromium {c_signin:>7.0} MiB  ratio {:.2}",
        t_signin / c_signin
    );
    println!("PSS after sign-in, search, open account: Tauri {t_after:.0} MiB");
    Ok(())
}
