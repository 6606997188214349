//! The About box: the console's version beside the service's, and the diagnostics an agent copies
//! into a support ticket. Nothing secret goes in: no token, no agent data, only versions and settings.

use std::path::PathBuf;

use desk_api::{About, ManagedSetting, UpdatesSetting};

use crate::settings::{self, Switch};
use crate::{Client, ClientError, Console};

/// What the shell knows of itself: its version, the system, where it logs, which settings apply.
#[derive(Debug, Clone, Default)]
pub struct AppFacts {
    pub version: String,
    pub platform: String,
    pub webview: String,
    pub log_dir: String,
    /// `(name, value)` of each setting in force, e.g. `("updates", "off (RECOVERY_DESK_UPDATES)")`.
    pub settings: Vec<(String, String)>,
    /// Whether OS notifications are on (the settings decide).
    pub notifications: bool,
    /// Whether the console updates itself at start; listed first among the settings.
    pub updates: Switch,
    /// The agent's own settings file; `None` when the shell has no config folder for it.
    pub user_file: Option<PathBuf>,
}

impl AppFacts {
    /// The agent turns updates on or off for the next start (see [`settings::choose_updates`]).
    pub fn choose_updates(&mut self, on: bool) -> Result<(), ClientError> {
        let Some(path) = &self.user_file else {
            return Err(ClientError::LocalFile("this console has no folder for your settings".into()));
        };
        self.updates = settings::choose_updates(&self.updates, path, on)?;
        Ok(())
    }
}

impl Console {
    pub async fn about(&self, facts: &AppFacts) -> About {
        let server_url = self.server_url().await;
        let answer = match Client::new(&server_url) {
            Ok(c) => c.version().await,
            Err(e) => Err(e),
        };
        let (service, service_error) = match answer {
            Ok(v) => (Some(v), None),
            Err(e) => (None, Some(e.to_string())),
        };
        let service_line = match (&service, &service_error) {
            (Some(v), _) => format!("{} (API {})", v.version, v.api),
            (None, Some(e)) => format!("unknown: {e}"),
            (None, None) => "unknown".into(),
        };
        let mut diagnostics = format!(
            "Recovery Desk {}\nService: {service_line} at {server_url}\nSystem: {}\nWebview: {}\nLogs: {}\n",
            facts.version, facts.platform, facts.webview, facts.log_dir
        );
        let settings: Vec<(String, String)> = std::iter::once(("updates".to_string(), facts.updates.describe()))
            .chain(facts.settings.iter().cloned())
            .collect();
        for (name, value) in &settings {
            diagnostics.push_str(&format!("Setting {name}: {value}\n"));
        }
        About {
            app_version: facts.version.clone(),
            server_url,
            service,
            service_error,
            notifications: facts.notifications,
            diagnostics,
            managed: settings.into_iter().map(|(name, value)| ManagedSetting { name, value }).collect(),
            updates: UpdatesSetting {
                on: facts.updates.on,
                decided_by: facts.updates.why.clone(),
                agent_may_change: !facts.updates.managed && facts.user_file.is_some(),
            },
        }
    }
}
