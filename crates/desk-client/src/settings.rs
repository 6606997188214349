//! The console's settings that an IT department manages: a per-machine file, and `RECOVERY_DESK_*`
//! variables. Either one can turn updates or notifications off; neither can force them on against
//! the other, so a managed machine stays managed.
//!
//! The per-machine file lives where only administrators write, and that is not one of the per-user
//! folders Tauri's path API names: `/etc/recovery-desk/settings.json` on Linux,
//! `/Library/Application Support/Recovery Desk/settings.json` on macOS,
//! `%ProgramData%\Recovery Desk\settings.json` on Windows. `RECOVERY_DESK_MACHINE_SETTINGS` points
//! elsewhere (the tests do).

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// One on/off setting and what decided it, for the About box's diagnostics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Switch {
    pub on: bool,
    pub why: String,
}

impl Switch {
    pub fn describe(&self) -> String {
        format!("{} ({})", if self.on { "on" } else { "off" }, self.why)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub updates: Switch,
    pub notifications: Switch,
    /// A CA file (PEM) trusted besides the OS's store.
    pub extra_ca_file: Option<PathBuf>,
    /// Where the settings file was looked for, and whether it was read.
    pub machine_file: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct MachineFile {
    updates: Option<bool>,
    notifications: Option<bool>,
    extra_ca_file: Option<PathBuf>,
}

pub fn machine_settings_path() -> PathBuf {
    if let Some(p) = std::env::var_os("RECOVERY_DESK_MACHINE_SETTINGS") {
        return PathBuf::from(p);
    }
    if cfg!(windows) {
        let base =
            std::env::var_os("ProgramData").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(r"C:\ProgramData"));
        base.join("Recovery Desk").join("settings.json")
    } else if cfg!(target_os = "macos") {
        PathBuf::from("/Library/Application Support/Recovery Desk/settings.json")
    } else {
        PathBuf::from("/etc/recovery-desk/settings.json")
    }
}

fn switch(env_name: &str, env: &dyn Fn(&str) -> Option<String>, machine: Option<bool>) -> Switch {
    let env_value = env(env_name).map(|v| v.trim().to_ascii_lowercase());
    if matches!(env_value.as_deref(), Some("off" | "0" | "false" | "no")) {
        return Switch { on: false, why: env_name.to_string() };
    }
    if machine == Some(false) {
        return Switch { on: false, why: "machine settings".into() };
    }
    Switch { on: true, why: "default".into() }
}

/// Reads the machine file (a missing file is no settings; a broken one is reported in `machine_file`
/// and treated as turning nothing on) and the environment.
pub fn load(env: &dyn Fn(&str) -> Option<String>, machine_path: &Path) -> Settings {
    let (file, state) = match std::fs::read_to_string(machine_path) {
        Ok(text) => match serde_json::from_str::<MachineFile>(&text) {
            Ok(f) => (f, "read"),
            // Unreadable policy: the safe reading of a managed machine's file is "off".
            Err(_) => {
                (MachineFile { updates: Some(false), notifications: Some(false), ..Default::default() }, "invalid")
            }
        },
        Err(_) => (MachineFile::default(), "absent"),
    };
    let extra_ca_file =
        env("RECOVERY_DESK_EXTRA_CA_FILE").filter(|v| !v.is_empty()).map(PathBuf::from).or(file.extra_ca_file);
    Settings {
        updates: switch("RECOVERY_DESK_UPDATES", env, file.updates),
        notifications: switch("RECOVERY_DESK_NOTIFICATIONS", env, file.notifications),
        extra_ca_file,
        machine_file: format!("{} ({state})", machine_path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    }

    #[test]
    fn updates_are_on_unless_the_variable_or_the_machine_file_turns_them_off() {
        let dir = tempfile::tempdir().unwrap();
        let none = dir.path().join("absent.json");
        assert!(load(&env_of(&[]), &none).updates.on);
        let s = load(&env_of(&[("RECOVERY_DESK_UPDATES", "off")]), &none);
        assert_eq!(s.updates, Switch { on: false, why: "RECOVERY_DESK_UPDATES".into() });
        assert!(s.notifications.on);

        let machine = dir.path().join("settings.json");
        std::fs::write(&machine, r#"{"updates": false, "notifications": false}"#).unwrap();
        let s = load(&env_of(&[("RECOVERY_DESK_UPDATES", "on")]), &machine);
        assert_eq!(
            s.updates,
            Switch { on: false, why: "machine settings".into() },
            "a variable cannot override policy"
        );
        assert!(!s.notifications.on);
    }

    #[test]
    fn a_broken_machine_file_turns_nothing_on() {
        let dir = tempfile::tempdir().unwrap();
        let machine = dir.path().join("settings.json");
        std::fs::write(&machine, r#"{"updates": tru"#).unwrap();
        let s = load(&env_of(&[]), &machine);
        assert!(!s.updates.on && !s.notifications.on);
        assert!(s.machine_file.ends_with("(invalid)"), "{}", s.machine_file);
    }

    #[test]
    fn the_extra_ca_file_comes_from_the_variable_before_the_machine_file() {
        let dir = tempfile::tempdir().unwrap();
        let machine = dir.path().join("settings.json");
        std::fs::write(&machine, r#"{"extra_ca_file": "/etc/ssl/company.pem"}"#).unwrap();
        assert_eq!(load(&env_of(&[]), &machine).extra_ca_file, Some(PathBuf::from("/etc/ssl/company.pem")));
        let s = load(&env_of(&[("RECOVERY_DESK_EXTRA_CA_FILE", "/x.pem")]), &machine);
        assert_eq!(s.extra_ca_file, Some(PathBuf::from("/x.pem")));
    }
}
