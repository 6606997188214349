//! Opens a URL in the system browser (single sign-on happens there, not in the webview, as RFC
//! 8252 asks of native apps). `RECOVERY_DESK_BROWSER` names another program, e.g. for tests.

use std::process::Command;

pub fn open(url: &str) -> Result<(), String> {
    let mut cmd = match std::env::var_os("RECOVERY_DESK_BROWSER") {
        Some(program) => {
            let mut c = Command::new(program);
            c.arg(url);
            c
        }
        None if cfg!(target_os = "macos") => {
            let mut c = Command::new("open");
            c.arg(url);
            c
        }
        None if cfg!(target_os = "windows") => {
            let mut c = Command::new("rundll32");
            c.args(["url.dll,FileProtocolHandler", url]);
            c
        }
        None => {
            let mut c = Command::new("xdg-open");
            c.arg(url);
            c
        }
    };
    cmd.spawn().map(|_| ()).map_err(|e| e.to_string())
}
