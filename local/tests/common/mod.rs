//! The real `microblog-local` binary as a test server, for this crate's
//! integration tests (`microblog-tests` depends on this crate, so its
//! helpers cannot serve here).

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};

/// A running server, killed when dropped.
pub struct Server {
    child: Child,
    /// `127.0.0.1:<port>`, from the line it prints when it listens.
    pub addr: String,
    /// Its standard output after that line (the log, and what it prints
    /// when it stops): keep it open, or read it, for as long as it runs.
    pub output: Option<BufReader<ChildStdout>>,
}

impl Server {
    /// Runs `command` (which starts the server with `--port 0`) with its
    /// standard output piped, and waits for the address it listens on.
    pub fn start(mut command: Command) -> Server {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("microblog-local starts");
        let mut output = BufReader::new(child.stdout.take().unwrap());
        let mut server = Server {
            child,
            addr: String::new(),
            output: None,
        };
        // Log lines may come first (a warning naming the engine's own
        // endpoint, say): the address is on the line saying it listens.
        let mut line = String::new();
        while !line.contains("listening on http://") {
            line.clear();
            if output.read_line(&mut line).unwrap() == 0 {
                panic!("microblog-local stopped before it listened");
            }
        }
        server.addr = line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .to_string();
        server.output = Some(output);
        server
    }

    /// The process id.
    #[allow(dead_code)] // each test binary compiles this module; not all ask
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
