//! The desktop shell: a window, the console's state and one-line commands over `desk-client`.
//! The app builder is generic over the runtime so that tests run it on the mock runtime.

mod admin_commands;
mod browser;
mod commands;
pub mod save;

use std::sync::Arc;

use desk_client::{Console, KeyringStore, TokenStore, DEFAULT_SERVER_URL};
use tauri::{Builder, Runtime};

/// The keychain entry "stay signed in" uses.
pub const KEYCHAIN_SERVICE: &str = "recovery-desk";
pub const KEYCHAIN_USER: &str = "session";

/// Registers the console's state and every command on a builder of any runtime.
pub fn build<R: Runtime>(builder: Builder<R>, store: Arc<dyn TokenStore>, default_server_url: String) -> Builder<R> {
    build_with(builder, Console::new(store, default_server_url))
}

pub fn build_with<R: Runtime>(builder: Builder<R>, console: Console) -> Builder<R> {
    builder.manage(console).invoke_handler(tauri::generate_handler![
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
    ])
}

pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn,recovery_desk=info".into()),
        )
        .init();
    let server_url = std::env::var("RECOVERY_DESK_SERVER_URL").unwrap_or_else(|_| DEFAULT_SERVER_URL.to_string());
    let store: Arc<dyn TokenStore> = Arc::new(KeyringStore::new(KEYCHAIN_SERVICE, KEYCHAIN_USER));
    // Minutes without input before the console signs the agent out; 0 turns the lock off.
    let idle_secs = std::env::var("RECOVERY_DESK_IDLE_LOCK_MINUTES")
        .ok()
        .and_then(|m| m.trim().parse::<u64>().ok())
        .map(|m| m * 60)
        .unwrap_or(desk_client::DEFAULT_IDLE_LOCK_SECS);
    build_with(tauri::Builder::default(), Console::new(store, server_url).with_idle_lock_secs(idle_secs))
        .plugin(tauri_plugin_dialog::init())
        .setup(|app| {
            use tauri::Manager;
            let chooser: Arc<dyn save::ChooseSavePath> = match std::env::var_os("RECOVERY_DESK_SAVE_DIR") {
                Some(dir) => Arc::new(save::IntoDir(dir.into())),
                None => Arc::new(save::Dialog(app.handle().clone())),
            };
            app.manage(save::SavePath(chooser));
            Ok(())
        })
        .run(tauri::generate_context!())
        .expect("error while running Recovery Desk");
}
