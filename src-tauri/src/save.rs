//! Where an export goes: the OS save dialog, opened from Rust so that the webview never names a
//! path to write to.

use std::path::PathBuf;
use std::sync::Arc;

use tauri::{AppHandle, Runtime};
use tauri_plugin_dialog::DialogExt;

pub trait ChooseSavePath: Send + Sync {
    /// Blocks until the agent chose a file or cancelled (None).
    fn choose(&self, suggested_name: &str, extension: &str) -> Option<PathBuf>;
}

/// The state the export command asks.
#[derive(Clone)]
pub struct SavePath(pub Arc<dyn ChooseSavePath>);

pub struct Dialog<R: Runtime>(pub AppHandle<R>);

impl<R: Runtime> ChooseSavePath for Dialog<R> {
    fn choose(&self, suggested_name: &str, extension: &str) -> Option<PathBuf> {
        self.0
            .dialog()
            .file()
            .set_title("Export the audit log")
            .set_file_name(suggested_name)
            .add_filter(extension.to_uppercase(), &[extension])
            .blocking_save_file()
            .and_then(|p| p.into_path().ok())
    }
}

/// Saves into a fixed folder without asking. Set by `RECOVERY_DESK_SAVE_DIR` for the end-to-end
/// tests, which cannot click through a native dialog.
pub struct IntoDir(pub PathBuf);

impl ChooseSavePath for IntoDir {
    fn choose(&self, suggested_name: &str, _: &str) -> Option<PathBuf> {
        Some(self.0.join(suggested_name))
    }
}

/// Asks off the async runtime (the dialog blocks) with a name that says what and when.
pub async fn ask(save: &SavePath, format: desk_api::ExportFormat) -> Option<PathBuf> {
    let ext = match format {
        desk_api::ExportFormat::Csv => "csv",
        desk_api::ExportFormat::Ndjson => "ndjson",
    };
    let name = format!("audit-{}.{ext}", chrono::Utc::now().format("%Y%m%d-%H%M%S"));
    let chooser = save.0.clone();
    tokio::task::spawn_blocking(move || chooser.choose(&name, ext)).await.ok().flatten()
}
