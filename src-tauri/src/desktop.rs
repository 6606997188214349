//! What makes the console a desktop program: one instance, links from tickets, a window that
//! comes back where it was, a log file, and the facts the About box shows.

use desk_client::links::{self, LinkInbox};
use desk_client::settings::Settings;
use desk_client::AppFacts;
use tauri::{AppHandle, Emitter, Manager, Runtime, WebviewWindow};

/// The About box's facts, filled in at start (the command tests run without them).
#[derive(Default)]
pub struct Facts(std::sync::RwLock<AppFacts>);

impl Facts {
    pub fn get(&self) -> AppFacts {
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn set(&self, facts: AppFacts) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = facts;
    }

    /// The agent's choice of updates, kept for the next start; the About box shows it at once.
    pub fn choose_updates(&self, on: bool) -> Result<(), desk_api::CommandError> {
        Ok(self.0.write().unwrap_or_else(|p| p.into_inner()).choose_updates(on)?)
    }
}

/// The event that tells the UI links are waiting (it then takes them with `take_links`).
pub const LINKS_WAITING: &str = "desk://links-waiting";

/// A `recovery-desk://` link, from the command line of this start or a second one: queued for
/// the UI, which opens the place it names; a refused link queues its message instead.
pub fn take_link_args<R: Runtime>(app: &AppHandle<R>, args: &[String]) {
    // argv[0] is the program; a link is passed alone or among other arguments.
    for arg in args.iter().skip(1).filter(|a| a.starts_with(&format!("{}:", links::SCHEME))) {
        let event = links::event(arg);
        match &event.error {
            None => log::info!("opening a {} link", links::SCHEME),
            Some(why) => log::warn!("refused a {} link: {why}", links::SCHEME),
        }
        app.state::<LinkInbox>().push(event);
        let _ = app.emit(LINKS_WAITING, ());
    }
}

/// A second start of the console: it hands over its arguments and exits (the single-instance
/// plugin); this one comes to the front and opens the link, if one was given.
pub fn second_start<R: Runtime>(app: &AppHandle<R>, args: Vec<String>) {
    log::info!("a second start of the console was handed to this one");
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.unminimize();
        let _ = w.show();
        let _ = w.set_focus();
    }
    take_link_args(app, &args);
}

/// The last size, place and maximised state (the window-state plugin), then fitted: a window
/// larger than the monitor it is on now (a bigger monitor was unplugged) is shrunk to fit and
/// centred. The plugin itself ignores a saved position that no present monitor shows.
pub fn restore_window<R: Runtime>(w: &WebviewWindow<R>) {
    use tauri_plugin_window_state::{StateFlags, WindowExt};
    if let Err(e) = w.restore_state(StateFlags::all()) {
        log::warn!("could not restore the window's size and place: {e}");
    }
    fit_to_monitor(w);
}

fn fit_to_monitor<R: Runtime>(w: &WebviewWindow<R>) {
    let Ok(Some(monitor)) = w.current_monitor().or_else(|_| w.primary_monitor()) else { return };
    // The size just restored, as saved: the window's own size only follows once the system has
    // applied it.
    let Some((width, height)) = saved_size(w) else { return };
    let area = monitor.size();
    if width > area.width || height > area.height {
        log::info!("the saved window size does not fit this monitor; fitting it");
        let _ = w.unmaximize();
        let fit = tauri::PhysicalSize::new(width.min(area.width * 9 / 10), height.min(area.height * 9 / 10));
        let _ = w.set_size(fit);
        let _ = w.set_position(tauri::PhysicalPosition::new(
            monitor.position().x + ((area.width - fit.width) / 2) as i32,
            monitor.position().y + ((area.height - fit.height) / 2) as i32,
        ));
    }
}

fn saved_size<R: Runtime>(w: &WebviewWindow<R>) -> Option<(u32, u32)> {
    use tauri_plugin_window_state::AppHandleExt;
    let file = w.app_handle().path().app_config_dir().ok()?.join(w.app_handle().filename());
    let state: serde_json::Value = serde_json::from_slice(&std::fs::read(file).ok()?).ok()?;
    let s = &state[w.label()];
    Some((s["width"].as_u64()? as u32, s["height"].as_u64()? as u32))
}

/// The window-state plugin writes its file when the app exits normally; a console that is killed
/// or crashes would lose the last size and place. So each move or resize also saves, once the
/// window has been still for half a second.
pub fn save_window_state_when_still<R: Runtime>(w: &WebviewWindow<R>) {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;
    use tauri_plugin_window_state::{AppHandleExt, StateFlags};
    let generation = Arc::new(AtomicU64::new(0));
    let app = w.app_handle().clone();
    w.on_window_event(move |event| {
        if !matches!(event, tauri::WindowEvent::Moved(_) | tauri::WindowEvent::Resized(_)) {
            return;
        }
        let mine = generation.fetch_add(1, Ordering::SeqCst) + 1;
        let (generation, app) = (generation.clone(), app.clone());
        tauri::async_runtime::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            if generation.load(Ordering::SeqCst) == mine {
                if let Err(e) = app.save_window_state(StateFlags::all()) {
                    log::warn!("could not save the window's size and place: {e}");
                }
            }
        });
    });
}

/// The log plugin: a rotating file in the OS's log folder (5 files of 2 MB), info by default,
/// `RECOVERY_DESK_LOG=debug|warn|…` to change. Secrets never reach it: the token, passwords and
/// codes are `SecretText`, which prints as `[redacted]`, and the e2e test scans the file.
pub fn log_plugin<R: Runtime>() -> tauri::plugin::TauriPlugin<R> {
    use tauri_plugin_log::{RotationStrategy, Target, TargetKind};
    let level = std::env::var("RECOVERY_DESK_LOG")
        .ok()
        .and_then(|l| l.parse::<log::LevelFilter>().ok())
        .unwrap_or(log::LevelFilter::Info);
    tauri_plugin_log::Builder::new()
        .clear_targets()
        .target(Target::new(TargetKind::LogDir { file_name: None }))
        .target(Target::new(TargetKind::Stderr))
        .level(level)
        // Dependencies talk a lot at info (HTTP connection pools, D-Bus); ours is what matters.
        .level_for("hyper_util", log::LevelFilter::Warn)
        .level_for("reqwest", log::LevelFilter::Warn)
        .level_for("zbus", log::LevelFilter::Warn)
        .level_for("tracing", log::LevelFilter::Warn)
        .max_file_size(2 * 1024 * 1024)
        .rotation_strategy(RotationStrategy::KeepSome(5))
        .build()
}

/// The agent's own settings file, in the per-user config folder (Tauri's path API names it for
/// each system); `None` when the system names none.
pub fn user_settings_file<R: Runtime>(app: &AppHandle<R>) -> Option<std::path::PathBuf> {
    match app.path().app_config_dir() {
        Ok(dir) => Some(desk_client::settings::user_settings_path(&dir)),
        Err(e) => {
            log::warn!("no config folder for the agent's settings: {e}");
            None
        }
    }
}

/// What the About box and "Copy diagnostics" say about this build and machine. `settings.updates`
/// already holds the agent's choice (read from `user_file` at start).
pub fn facts<R: Runtime>(app: &AppHandle<R>, settings: &Settings, user_file: Option<std::path::PathBuf>) -> AppFacts {
    let log_dir = app.path().app_log_dir().map(|p| p.display().to_string()).unwrap_or_else(|e| format!("unknown: {e}"));
    AppFacts {
        version: app.package_info().version.to_string(),
        platform: format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
        webview: tauri::webview_version().unwrap_or_else(|e| format!("unknown: {e}")),
        log_dir,
        notifications: settings.notifications.on,
        updates: settings.updates.clone(),
        user_file,
        settings: vec![
            ("notifications".into(), settings.notifications.describe()),
            ("GPU compositing".into(), settings.gpu_compositing.describe()),
            (
                "extra CA file".into(),
                settings.extra_ca_file.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "none".into()),
            ),
            ("machine settings".into(), settings.machine_file.clone()),
        ],
    }
}
