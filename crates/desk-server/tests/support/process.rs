//! The service as its own process (`desk-server serve …`), for the tests that need one: to kill
//! it with SIGKILL, or to read its memory from `/proc`. It is ready when it prints the line that
//! says where it listens; it is killed when dropped.

use std::process::{Command, Stdio};

use desk_server::test_support::Listening;

pub struct Instance {
    pub process: Listening,
    pub url: String,
}

/// Starts `desk-server serve` with `args` and `env` on a free port of the loopback.
pub fn serve(args: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> Instance {
    let mut command = Command::new(env!("CARGO_BIN_EXE_desk-server"));
    command.arg("serve").args(args).args(["--bind", "127.0.0.1:0"]).envs(env.iter().copied()).stderr(Stdio::null());
    let process = Listening::start(command, "desk-server");
    let url = process.first_line.strip_prefix("Recovery Desk service listening on ").unwrap_or_else(|| {
        panic!("the service did not start: {:?}", process.first_line);
    });
    Instance { url: url.trim_end_matches('/').to_string(), process }
}
