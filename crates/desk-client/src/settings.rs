//! The console's settings that an IT department manages: a per-machine file, and `RECOVERY_DESK_*`
//! variables. Either one can turn updates or notifications off; neither can force them on against
//! the other, so a managed machine stays managed.
//!
//! The per-machine file lives where only administrators write, and that is not one of the per-user
//! folders Tauri's path API names: `/etc/recovery-desk/settings.json` on Linux,
//! `/Library/Application Support/Recovery Desk/settings.json` on macOS,
//! `%ProgramData%\Recovery Desk\settings.json` on Windows. `RECOVERY_DESK_MACHINE_SETTINGS` points
//! elsewhere (the tests do).
//!
//! Where the deployment leaves updates open, the agent decides: their choice is a file in their own
//! config folder (the shell names it through Tauri's path API), because the start reads it before
//! the update check, long before the webview and its storage exist.

use std::path::{Path, PathBuf};

use crate::ClientError;
use serde::{Deserialize, Serialize};

/// One on/off setting and what decided it, for the About box's diagnostics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Switch {
    pub on: bool,
    pub why: String,
    /// The deployment decided (the variable or the machine file): the agent cannot change it.
    pub managed: bool,
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
    /// WebKitGTK's GPU compositing (Linux). Off unless turned on: it loads a GL driver into the
    /// console and its web process, a quarter of their memory, for a UI of forms that does not
    /// need it.
    pub gpu_compositing: Switch,
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
    gpu_compositing: Option<bool>,
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

/// What a variable says, read once for every switch: "on" words, "off" words, or nothing (unset or
/// a word of neither kind, which leaves the choice to the machine file).
fn env_word(env_name: &str, env: &dyn Fn(&str) -> Option<String>) -> Option<bool> {
    match env(env_name).map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        Some("on" | "1" | "true" | "yes") => Some(true),
        Some("off" | "0" | "false" | "no") => Some(false),
        _ => None,
    }
}

/// The machine file's choice, or the switch's default where the file says nothing.
fn machine_or(machine: Option<bool>, default: bool) -> Switch {
    match machine {
        Some(on) => Switch { on, why: "machine settings".into(), managed: true },
        None => Switch { on: default, why: "default".into(), managed: false },
    }
}

/// The variable can only turn a setting off; the machine file can turn it off or fix it on (an IT
/// department that rolls out updates through the console wants them on everywhere).
fn switch(env_name: &str, env: &dyn Fn(&str) -> Option<String>, machine: Option<bool>) -> Switch {
    if env_word(env_name, env) == Some(false) {
        return Switch { on: false, why: env_name.to_string(), managed: true };
    }
    machine_or(machine, true)
}

/// A switch that is off unless the variable (first) or the machine file turns it on: no policy
/// is at stake, so a person may turn it on for a machine where it helps.
fn opt_in(env_name: &str, env: &dyn Fn(&str) -> Option<String>, machine: Option<bool>) -> Switch {
    match env_word(env_name, env) {
        Some(on) => Switch { on, why: env_name.to_string(), managed: true },
        None => machine_or(machine, false),
    }
}

/// The agent's own file: only what the start needs before the webview exists. Unknown keys are
/// kept out of the way (a newer console may add some), a broken file is no choice.
#[derive(Debug, Default, Serialize, Deserialize)]
struct UserFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    updates: Option<bool>,
}

/// The agent's file in the per-user config folder the shell names.
pub fn user_settings_path(config_dir: &Path) -> PathBuf {
    config_dir.join("preferences.json")
}

fn read_user_file(path: &Path) -> UserFile {
    std::fs::read_to_string(path).ok().and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default()
}

/// What the agent chose for updates, where the deployment left the choice to them.
pub fn apply_user_file(updates: Switch, path: &Path) -> Switch {
    match (updates.managed, read_user_file(path).updates) {
        (false, Some(on)) => Switch { on, why: "your choice".into(), managed: false },
        _ => updates,
    }
}

/// Keeps the agent's choice of updates for the next start (the check runs once, at start). Refused
/// where the deployment decides; written whole through a temporary file, so a crash leaves the old
/// choice or the new one.
pub fn choose_updates(current: &Switch, path: &Path, on: bool) -> Result<Switch, ClientError> {
    if current.managed {
        let why = format!("updates are decided on this computer by its IT department ({})", current.why);
        return Err(ClientError::Managed(why));
    }
    let unsaved =
        |e: std::io::Error| ClientError::LocalFile(format!("your choice could not be kept in {}: {e}", path.display()));
    let mut file = read_user_file(path);
    file.updates = Some(on);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(unsaved)?;
    }
    let partial = path.with_extension("json.partial");
    let text = serde_json::to_string_pretty(&file).expect("a struct of options serialises");
    std::fs::write(&partial, text).map_err(unsaved)?;
    std::fs::rename(&partial, path).map_err(unsaved)?;
    Ok(Switch { on, why: "your choice".into(), managed: false })
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
        gpu_compositing: opt_in("RECOVERY_DESK_GPU_COMPOSITING", env, file.gpu_compositing),
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
        assert_eq!(s.updates, Switch { on: false, why: "RECOVERY_DESK_UPDATES".into(), managed: true });
        assert!(s.notifications.on);

        let machine = dir.path().join("settings.json");
        std::fs::write(&machine, r#"{"updates": false, "notifications": false}"#).unwrap();
        let s = load(&env_of(&[("RECOVERY_DESK_UPDATES", "on")]), &machine);
        assert_eq!(
            s.updates,
            Switch { on: false, why: "machine settings".into(), managed: true },
            "a variable cannot override policy"
        );
        assert!(!s.notifications.on);
    }

    #[test]
    fn gpu_compositing_is_off_unless_the_variable_or_the_machine_file_turns_it_on() {
        let dir = tempfile::tempdir().unwrap();
        let machine = dir.path().join("settings.json");
        assert!(!load(&env_of(&[]), &machine).gpu_compositing.on);
        std::fs::write(&machine, r#"{"gpu_compositing": true}"#).unwrap();
        assert_eq!(
            load(&env_of(&[]), &machine).gpu_compositing,
            Switch { on: true, why: "machine settings".into(), managed: true }
        );
        let s = load(&env_of(&[("RECOVERY_DESK_GPU_COMPOSITING", "off")]), &machine);
        assert_eq!(s.gpu_compositing, Switch { on: false, why: "RECOVERY_DESK_GPU_COMPOSITING".into(), managed: true });
    }

    #[test]
    fn a_broken_machine_file_turns_nothing_on() {
        let dir = tempfile::tempdir().unwrap();
        let machine = dir.path().join("settings.json");
        std::fs::write(&machine, r#"{"updates": tru"#).unwrap();
        let s = load(&env_of(&[]), &machine);
        assert!(!s.updates.on && !s.notifications.on && !s.gpu_compositing.on);
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

    #[test]
    fn the_agent_chooses_updates_only_where_the_deployment_leaves_them_open() {
        let dir = tempfile::tempdir().unwrap();
        let user = user_settings_path(&dir.path().join("config"));
        let machine = dir.path().join("machine.json");
        let open = load(&env_of(&[]), &machine).updates;
        assert!(!open.managed);
        assert_eq!(apply_user_file(open.clone(), &user), open, "no file: the default stands");

        let off = choose_updates(&open, &user, false).unwrap();
        assert_eq!(off, Switch { on: false, why: "your choice".into(), managed: false });
        assert_eq!(apply_user_file(open.clone(), &user), off, "the next start reads the choice");
        let on = choose_updates(&off, &user, true).unwrap();
        assert!(on.on);
        assert!(apply_user_file(open.clone(), &user).on);
        assert!(!user.with_extension("json.partial").exists());

        // The variable or the machine file decide: the agent's file is not read, and not written.
        let by_env = load(&env_of(&[("RECOVERY_DESK_UPDATES", "off")]), &machine).updates;
        assert_eq!(apply_user_file(by_env.clone(), &user), by_env);
        let before = std::fs::read_to_string(&user).unwrap();
        let err = choose_updates(&by_env, &user, true).unwrap_err();
        assert_eq!(err.code(), desk_api::ErrorCode::Forbidden);
        assert!(err.to_string().contains("RECOVERY_DESK_UPDATES"), "{err}");
        std::fs::write(&machine, r#"{"updates": true}"#).unwrap();
        let fixed_on = load(&env_of(&[]), &machine).updates;
        assert_eq!(fixed_on, Switch { on: true, why: "machine settings".into(), managed: true });
        assert_eq!(choose_updates(&fixed_on, &user, false).unwrap_err().code(), desk_api::ErrorCode::Forbidden);
        assert_eq!(std::fs::read_to_string(&user).unwrap(), before);
    }

    #[test]
    fn a_broken_user_file_is_no_choice_and_is_replaced_by_the_next_one() {
        let dir = tempfile::tempdir().unwrap();
        let user = dir.path().join("preferences.json");
        std::fs::write(&user, r#"{"updates": fals"#).unwrap();
        let open = load(&env_of(&[]), &dir.path().join("absent.json")).updates;
        assert_eq!(apply_user_file(open.clone(), &user), open);
        choose_updates(&open, &user, false).unwrap();
        assert!(!apply_user_file(open, &user).on);
    }

    #[test]
    fn a_choice_that_cannot_be_written_says_where() {
        let dir = tempfile::tempdir().unwrap();
        // A file where the folder should be: no folder can be made there, even as root.
        std::fs::write(dir.path().join("config"), "").unwrap();
        let user = user_settings_path(&dir.path().join("config"));
        let open = load(&env_of(&[]), &dir.path().join("absent.json")).updates;
        let err = choose_updates(&open, &user, false).unwrap_err();
        assert_eq!(err.code(), desk_api::ErrorCode::InvalidInput);
        assert!(err.to_string().contains("preferences.json"), "{err}");
    }
}
