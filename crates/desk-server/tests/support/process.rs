//! The service as its own process (`desk-server serve …`), for the tests that need one: to kill
//! it with SIGKILL, or to read its memory from `/proc`. It is ready when it prints the line that
//! says where it listens; it is killed when dropped.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};

pub struct Instance {
    pub child: Child,
    pub url: String,
    /// Kept open, so that nothing the service prints later meets a closed pipe.
    _stdout: BufReader<ChildStdout>,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `desk-server serve` with `args` and `env` on a free port of the loopback.
pub fn serve(args: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> Instance {
    let mut child = Command::new(env!("CARGO_BIN_EXE_desk-server"))
        .arg("serve")
        .args(args)
        .args(["--bind", "127.0.0.1:0"])
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("desk-server starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("a pipe"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("the service's first line");
    let url = line.trim().strip_prefix("Recovery Desk service listening on ").unwrap_or_else(|| {
        panic!("the service did not start: {line:?}");
    });
    Instance { url: url.trim_end_matches('/').to_string(), child, _stdout: stdout }
}
