//! A helper process of a test (the service, an OpenID provider) that says on its first line of
//! output that it is ready and where; it is killed when dropped, however the test ends.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};

pub struct Listening {
    child: Child,
    /// What it printed first.
    pub first_line: String,
    /// Kept open, so that nothing it prints later meets a closed pipe.
    _stdout: BufReader<ChildStdout>,
}

impl Listening {
    /// Starts `command` with its output piped and waits for its first line.
    pub fn start(mut command: Command, what: &str) -> Self {
        let mut child = command.stdout(Stdio::piped()).spawn().unwrap_or_else(|e| panic!("{what} starts: {e}"));
        let mut stdout = BufReader::new(child.stdout.take().expect("a pipe"));
        let mut first_line = String::new();
        stdout.read_line(&mut first_line).unwrap_or_else(|e| panic!("{what} writes its first line: {e}"));
        Listening { child, first_line: first_line.trim().to_string(), _stdout: stdout }
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL, as a crash would end it, and waits for it to be gone.
    pub fn kill(&mut self) -> std::io::Result<()> {
        self.child.kill()?;
        self.child.wait().map(drop)
    }
}

impl Drop for Listening {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
