//! The desktop shell: a window, the console's state and one-line commands over `desk-client`.
//! The app builder is generic over the runtime so that tests run it on the mock runtime.

mod admin_commands;
mod browser;
mod commands;
pub mod desktop;
pub mod save;
pub mod updates;

use std::sync::Arc;

use desk_client::links::LinkInbox;
use desk_client::{settings, Console, KeyringStore, TokenStore, DEFAULT_SERVER_URL};
use tauri::{Builder, Manager, Runtime};

/// The keychain entry "stay signed in" uses.
pub const KEYCHAIN_SERVICE: &str = "recovery-desk";
pub const KEYCHAIN_USER: &str = "session";

/// Registers the console's state and every command on a builder of any runtime.
pub fn build<R: Runtime>(builder: Builder<R>, store: Arc<dyn TokenStore>, default_server_url: String) -> Builder<R> {
    build_with(builder, Console::new(store, default_server_url))
}

pub fn build_with<R: Runtime>(builder: Builder<R>, console: Console) -> Builder<R> {
    builder.manage(console).manage(LinkInbox::default()).manage(desktop::Facts::default()).invoke_handler(
        tauri::generate_handler![
            commands::about,
            commands::choose_updates,
            commands::take_links,
            commands::session_status,
            commands::sign_in,
            commands::sign_out,
            commands::search_accounts,
            commands::get_account,
            commands::send_password_reset,
            commands::send_answer_reset,
            commands::account_activity,
            commands::check_address,
            commands::reveal_address,
            commands::queue_counts,
            commands::queue_list,
            commands::queue_claim_next,
            commands::request_detail,
            commands::request_claim,
            commands::request_renew,
            commands::request_release,
            commands::request_note,
            commands::request_decide,
            commands::request_second_approval,
            commands::request_reassign,
            commands::list_agents,
            commands::request_evidence,
            commands::audit_query,
            commands::audit_verify,
            commands::audit_export,
            commands::audit_figures,
            admin_commands::staff_list,
            admin_commands::staff_invite,
            admin_commands::staff_set_role,
            admin_commands::staff_disable,
            admin_commands::staff_enable,
            admin_commands::staff_mfa_reset,
            admin_commands::staff_approve_mfa_reset,
            admin_commands::sso_settings,
            admin_commands::set_sso_required,
            admin_commands::unlock_account,
            admin_commands::end_sessions,
            admin_commands::send_verification_email,
            admin_commands::caller_challenge,
            admin_commands::caller_check,
            admin_commands::sso_availability,
            admin_commands::sign_in_sso,
        ],
    )
}

/// Linux without GPU compositing (the default): what WebKitGTK and GTK are told so that they
/// draw in software and set up no more GL than WebKit needs. Compositing off took the PSS at the
/// sign-in screen from 299 to 220 MiB here (`make bench-console`); the DMA-BUF renderer (the
/// compositor's way of handing frames to the console) and GTK's own GL, neither used then, took
/// 14 MiB more off (214 → 200 MiB measured per process after 15 s at the sign-in screen).
const SOFTWARE_DRAWING: [(&str, &str); 3] =
    [("WEBKIT_DISABLE_COMPOSITING_MODE", "1"), ("WEBKIT_DISABLE_DMABUF_RENDERER", "1"), ("GDK_GL", "disable")];

pub fn run() {
    let mut settings = settings::load(&|k| std::env::var(k).ok(), &settings::machine_settings_path());
    desk_client::tls::set_extra_ca_file(settings.extra_ca_file.clone());
    // Before GTK and WebKit start (they read them once), while this is the only thread; a value
    // the agent or IT already set is left as it is.
    if cfg!(target_os = "linux") && !settings.gpu_compositing.on {
        for (name, value) in SOFTWARE_DRAWING {
            if std::env::var_os(name).is_none() {
                std::env::set_var(name, value);
            }
        }
    }
    let server_url = std::env::var("RECOVERY_DESK_SERVER_URL").unwrap_or_else(|_| DEFAULT_SERVER_URL.to_string());
    let store: Arc<dyn TokenStore> = Arc::new(KeyringStore::new(KEYCHAIN_SERVICE, KEYCHAIN_USER));
    // Minutes without input before the console signs the agent out; 0 turns the lock off.
    let idle_secs = std::env::var("RECOVERY_DESK_IDLE_LOCK_MINUTES")
        .ok()
        .and_then(|m| m.trim().parse::<u64>().ok())
        .map(|m| m * 60)
        .unwrap_or(desk_client::DEFAULT_IDLE_LOCK_SECS);
    // The single-instance plugin first: a second start hands its arguments (a link) to the running
    // console and exits before it touches the keychain, so two instances never share its entry.
    let builder = tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, args, _cwd| desktop::second_start(app, args)))
        .plugin(desktop::log_plugin())
        // The main window's state is restored in setup (desktop::restore_window), then fitted.
        .plugin(tauri_plugin_window_state::Builder::default().skip_initial_state("main").build())
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_updater::Builder::new().build())
        .plugin(tauri_plugin_dialog::init());
    let outcome = build_with(builder, Console::new(store, server_url).with_idle_lock_secs(idle_secs))
        .setup(move |app| {
            log::info!("Recovery Desk {} starting", app.package_info().version);
            let chooser: Arc<dyn save::ChooseSavePath> = match std::env::var_os("RECOVERY_DESK_SAVE_DIR") {
                Some(dir) => Arc::new(save::IntoDir(dir.into())),
                None => Arc::new(save::Dialog(app.handle().clone())),
            };
            app.manage(save::SavePath(chooser));
            // The agent's choice of updates is read before the check below, where the deployment
            // leaves it to them.
            let user_file = desktop::user_settings_file(app.handle());
            if let Some(path) = &user_file {
                settings.updates = settings::apply_user_file(settings.updates.clone(), path);
            }
            app.state::<desktop::Facts>().set(desktop::facts(app.handle(), &settings, user_file));
            if let Some(w) = app.get_webview_window("main") {
                desktop::restore_window(&w);
                desktop::save_window_state_when_still(&w);
            }
            links_at_start(app.handle());
            updates::check_in_background(app.handle().clone(), settings.updates.clone());
            Ok(())
        })
        .run(tauri::generate_context!());
    if let Err(e) = outcome {
        // Most often a second start that found a console holding the single-instance name but
        // could not hand its arguments over (that console hangs or is just exiting): a message
        // and a failed exit, not a panic (an abort in release builds).
        log::error!("Recovery Desk could not start: {e}");
        eprintln!("Recovery Desk could not start: {e}");
        std::process::exit(1);
    }
}

/// A link the console was started with. On Linux and Windows it is an argument (a second start's
/// arguments come through the single-instance plugin); on macOS the system hands links over as
/// events, which the deep-link plugin turns into `on_open_url`.
fn links_at_start<R: Runtime>(app: &tauri::AppHandle<R>) {
    if cfg!(target_os = "macos") {
        use tauri_plugin_deep_link::DeepLinkExt;
        let handle = app.clone();
        app.deep_link().on_open_url(move |event| {
            let args: Vec<String> =
                std::iter::once(String::new()).chain(event.urls().iter().map(|u| u.to_string())).collect();
            desktop::take_link_args(&handle, &args);
        });
    } else {
        // Registered at run time too, for a console run from its folder rather than installed
        // (installers register the scheme themselves).
        #[cfg(any(windows, target_os = "linux"))]
        {
            use tauri_plugin_deep_link::DeepLinkExt;
            if let Err(e) = app.deep_link().register_all() {
                log::warn!("could not register the recovery-desk:// scheme: {e}");
            }
        }
        desktop::take_link_args(app, &std::env::args().collect::<Vec<_>>());
    }
}
