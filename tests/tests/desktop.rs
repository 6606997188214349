//! The console as a desktop program, end to end on the real binary: one instance that takes
//! links from a second start, and a window that comes back as it was left.

use std::ffi::OsString;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use desk_e2e::keys::Tally;
use desk_e2e::{console_for, find, open_console, shot, sign_in, start_service, AppHome, WAIT};
use fantoccini::key::Key;
use fantoccini::Client;

/// Starts the console a second time with `args`, as a desktop would for a clicked link, and
/// waits for that process to hand over and exit.
fn second_start(env: &[(String, OsString)], args: &[&str]) -> Result<()> {
    let mut cmd = Command::new(desk_e2e::app_binary()?);
    cmd.args(args).stdout(Stdio::null()).stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn()?;
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            if !status.success() {
                bail!("the second start ended with {status}");
            }
            return Ok(());
        }
        if start.elapsed() > WAIT {
            let _ = child.kill();
            bail!("the second start did not hand over and exit: two consoles would share the keychain entry");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

async fn text(c: &Client, css: &str) -> Result<String> {
    Ok(find(c, css).await?.prop("textContent").await?.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_start_hands_its_link_to_the_running_console_which_opens_it_with_the_ticket() -> Result<()> {
    desk_e2e::require_display()?;
    let service = start_service("").await?;
    let (home, env, console) = console_for(&service, &[]).await?;
    let c = &console.client;
    let outcome = async {
        sign_in(c, "agent@demo.test", "demo-agent-pass", "JBSWY3DPEHPK3PXP").await?;

        second_start(&env, &["recovery-desk://account/1?ticket=T-123"])?;
        let username = find(c, "#account-detail #account-username").await?;
        assert_eq!(username.text().await?.trim(), "maria.lopez");
        // From here to "sent" by keyboard, counted: P opens the reset with the link's ticket in
        // it and the default reason; Enter sends.
        let mut tally = Tally::new("a password reset from a ticket's deep link to \"sent\"");
        tally.key(c, 'p').await?;
        let ticket = find(c, "#reset-ticket").await?.prop("value").await?.unwrap_or_default();
        assert_eq!(ticket, "T-123", "the link's ticket is filled into the next action");
        shot(c, "desktop-01-link-opened").await?;
        tally.key(c, Key::Enter).await?;
        let status = find(c, "#reset-result").await?.attr("data-status").await?.unwrap_or_default();
        assert!(["queued", "sent"].contains(&status.as_str()), "email status shown: {status}");
        tally.report()?;
        assert!(tally.keys() <= 3 && tally.clicks() == 0, "the deep-linked reset took more than three keys");
        find(c, "#reset-cancel, #dialog-close").await?.click().await?;

        // A bad link: a message, and nothing else happens (the open account stays as it was).
        second_start(&env, &["recovery-desk://account/1/password-reset?ticket=T-1"])?;
        let notice = text(c, "#link-notice").await?;
        assert!(notice.contains("This link cannot be opened"), "{notice}");
        assert_eq!(find(c, "#account-detail #account-username").await?.text().await?.trim(), "maria.lopez");
        assert!(c.find_all(fantoccini::Locator::Css("#reset-dialog")).await?.is_empty(), "a bad link opened a dialog");
        shot(c, "desktop-02-link-refused").await?;

        // The request link opens the queue's request, its ticket in the decision note.
        second_start(&env, &["recovery-desk://request/1?ticket=T-9"])?;
        find(c, "#request-view").await?;
        Ok::<_, anyhow::Error>(())
    }
    .await;
    console.close().await;
    outcome?;
    let log = home.read_logs();
    assert!(log.contains("a second start of the console was handed to this one"), "{log}");
    Ok(())
}

async fn window_rect(c: &Client) -> Result<(f64, f64, f64, f64)> {
    let r = c.get_window_rect().await.context("window rect")?;
    Ok((r.0 as f64, r.1 as f64, r.2 as f64, r.3 as f64))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_window_comes_back_as_it_was_and_never_off_screen() -> Result<()> {
    desk_e2e::require_display()?;
    let home = AppHome::new()?;
    let env = home.env();
    let app = desk_e2e::app_binary()?;

    let console = open_console(&app, &env).await?;
    find(&console.client, "#email").await?;
    console.client.set_window_rect(120, 60, 1000, 700).await?;
    let before = window_rect(&console.client).await?;
    // The console saves its window once it has been still a moment (it may be killed, not closed).
    let state = home.dir.path().join("xdg_config_home/com.recoverydesk.console/.window-state.json");
    let start = Instant::now();
    let saved_width = || {
        let text = std::fs::read_to_string(&state).unwrap_or_default();
        serde_json::from_str::<serde_json::Value>(&text).ok().and_then(|v| v["main"]["width"].as_u64())
    };
    while saved_width() != Some(1000) {
        if start.elapsed() > WAIT {
            bail!("the window's state was never saved to {}", state.display());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    console.close().await;

    let console = open_console(&app, &env).await?;
    find(&console.client, "#email").await?;
    let after = window_rect(&console.client).await?;
    console.close().await;
    assert_eq!((after.2, after.3), (before.2, before.3), "the size comes back: {before:?} then {after:?}");
    assert_eq!((after.0, after.1), (before.0, before.1), "the position comes back: {before:?} then {after:?}");

    // The monitor it was on is gone: a position no monitor shows and a size larger than this
    // one (Xvfb's 1280x800) must not leave the window off screen.
    let saved = std::fs::read_to_string(&state).with_context(|| format!("{} was not saved", state.display()))?;
    let mut v: serde_json::Value = serde_json::from_str(&saved)?;
    for (k, n) in [("x", 5000), ("y", 4000), ("prev_x", 5000), ("prev_y", 4000), ("width", 3000), ("height", 2000)] {
        v["main"][k] = n.into();
    }
    std::fs::write(&state, v.to_string())?;
    let console = open_console(&app, &env).await?;
    find(&console.client, "#email").await?;
    let (x, y, w, h) = window_rect(&console.client).await?;
    shot(&console.client, "desktop-03-window-after-lost-monitor").await?;
    console.close().await;
    assert!(x >= 0.0 && y >= 0.0 && x + w <= 1280.0 && y + h <= 800.0, "the window is off screen: {x},{y} {w}x{h}");
    Ok(())
}

/// Where the deployment leaves updates to the agent, their choice in Settings is kept in their
/// config folder and read by the next start before its update check.
#[tokio::test(flavor = "multi_thread")]
async fn the_agents_choice_of_updates_is_kept_and_read_by_the_next_start() -> Result<()> {
    desk_e2e::require_display()?;
    let service = start_service("").await?;
    let home = AppHome::new()?;
    // Neither the variable nor a machine file decides. No check may reach the real endpoint from a
    // test, so the agent's file says "off" before the first start.
    let env: Vec<_> = home.env_for(&service).into_iter().filter(|(k, _)| k != "RECOVERY_DESK_UPDATES").collect();
    let prefs = home.dir.path().join("xdg_config_home/com.recoverydesk.console/preferences.json");
    std::fs::create_dir_all(prefs.parent().context("a folder")?)?;
    std::fs::write(&prefs, r#"{"updates": false}"#)?;
    let kept = || -> Result<serde_json::Value> { Ok(serde_json::from_str(&std::fs::read_to_string(&prefs)?)?) };
    let app = desk_e2e::app_binary()?;

    let console = open_console(&app, &env).await?;
    let c = &console.client;
    let outcome = async {
        sign_in(c, "agent@demo.test", "demo-agent-pass", "JBSWY3DPEHPK3PXP").await?;
        find(c, "#nav-settings").await?.click().await?;
        let shown = |want: &'static str| async move {
            let start = Instant::now();
            loop {
                let now = text(c, "#settings-updates").await?;
                if now.trim() == want {
                    return Ok::<_, anyhow::Error>(());
                }
                if start.elapsed() > WAIT {
                    bail!("Settings shows {now:?} for updates, not {want:?}");
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        };
        shown("off (your choice)").await?;
        let checked = find(c, "#settings-updates-on").await?.prop("checked").await?;
        assert_eq!(checked.as_deref(), Some("false"));
        find(c, "#settings-updates-on").await?.click().await?;
        shown("on (your choice)").await?;
        assert_eq!(kept()?, serde_json::json!({"updates": true}));
        shot(c, "desktop-04-settings-updates-chosen").await?;
        find(c, "#settings-updates-on").await?.click().await?;
        shown("off (your choice)").await?;
        assert_eq!(kept()?, serde_json::json!({"updates": false}));
        Ok::<_, anyhow::Error>(())
    }
    .await;
    console.close().await;
    outcome?;

    // The next start reads the file the Settings view wrote, and makes no update check.
    let console = open_console(&app, &env).await?;
    find(&console.client, "#email").await?;
    console.close().await;
    let logs = home.read_logs();
    assert_eq!(logs.matches("updates are off (your choice)").count(), 2, "{logs}");
    assert!(!logs.contains("update check failed") && !logs.contains("no update"), "{logs}");
    Ok(())
}

/// A start that finds the console's name on the session bus held by something that does not
/// answer as a console (one that hangs, or is just exiting) says why and fails: no panic, no
/// second console beside the first.
#[tokio::test(flavor = "multi_thread")]
async fn a_start_that_cannot_hand_over_says_why_and_exits_without_a_panic() -> Result<()> {
    desk_e2e::require_display()?;
    let app = desk_e2e::app_binary()?;
    let _turn = desk_e2e::desktop_turn(&app).await?;
    let holder = zbus::connection::Builder::session()?.name(desk_e2e::SINGLE_INSTANCE_NAME)?.build().await?;
    // With an object server the holder answers "unknown object" at once instead of never.
    let _ = holder.object_server();
    let home = AppHome::new()?;
    let mut cmd = tokio::process::Command::new(&app);
    cmd.envs(home.env()).stdout(Stdio::null()).stderr(Stdio::piped()).kill_on_drop(true);
    let out =
        tokio::time::timeout(2 * WAIT, cmd.output()).await.context("the start neither handed over nor exited")??;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("Recovery Desk could not start") && stderr.contains("running instance"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    Ok(())
}
