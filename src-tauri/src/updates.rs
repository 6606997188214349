//! Updates through the updater plugin: a manifest at the configured endpoint, an artifact whose
//! minisign signature must verify against the public key in `tauri.conf.json`. An update with a
//! bad or missing signature is refused and logged; nothing is installed. Off when
//! `RECOVERY_DESK_UPDATES=off` or the machine settings say so (managed deployments roll out
//! updates themselves).

use desk_client::settings::Switch;
use tauri::{AppHandle, Runtime};
use tauri_plugin_updater::{Update, UpdaterExt};

/// An update whose artifact was downloaded and whose signature verified.
pub struct Verified {
    pub update: Update,
    pub bytes: Vec<u8>,
}

/// `Ok(None)`: updates are off (no request is made) or there is no newer version. `Err` says why an
/// update was refused (a bad or missing signature, a manifest that does not parse) or not asked.
pub async fn fetch_verified<R: Runtime>(app: &AppHandle<R>, switch: &Switch) -> Result<Option<Verified>, String> {
    if !switch.on {
        return Ok(None);
    }
    let updater = app.updater().map_err(|e| format!("the updater is not set up: {e}"))?;
    let Some(update) = updater.check().await.map_err(|e| format!("update check failed: {e}"))? else {
        return Ok(None);
    };
    let bytes =
        update.download(|_, _| {}, || {}).await.map_err(|e| format!("update {} refused: {e}", update.version))?;
    Ok(Some(Verified { update, bytes }))
}

/// At start, in the background: a verified update is installed (it takes effect at the next
/// start); a refused one is only logged.
pub fn check_in_background<R: Runtime>(app: AppHandle<R>, switch: Switch) {
    if !switch.on {
        log::info!("updates are off ({})", switch.why);
        return;
    }
    tauri::async_runtime::spawn(async move {
        match fetch_verified(&app, &switch).await {
            Ok(Some(Verified { update, bytes })) => match update.install(&bytes) {
                Ok(()) => log::info!("update {} installed; it takes effect at the next start", update.version),
                Err(e) => log::warn!("update {} could not be installed: {e}", update.version),
            },
            Ok(None) => log::info!("no update"),
            Err(e) => log::warn!("{e}"),
        }
    });
}
