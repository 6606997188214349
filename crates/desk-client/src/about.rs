//! The About box: the console's version beside the service's, and the diagnostics an agent copies
//! into a support ticket. Nothing secret goes in: no token, no agent data, only versions and settings.

use desk_api::{About, ManagedSetting};

use crate::{Client, Console};

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
        for (name, value) in &facts.settings {
            diagnostics.push_str(&format!("Setting {name}: {value}\n"));
        }
        About {
            app_version: facts.version.clone(),
            server_url,
            service,
            service_error,
            notifications: facts.notifications,
            diagnostics,
            managed: facts
                .settings
                .iter()
                .map(|(name, value)| ManagedSetting { name: name.clone(), value: value.clone() })
                .collect(),
        }
    }
}
