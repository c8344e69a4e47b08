//! The built binary as a test peer: run it, read its stdout lines with a
//! deadline, stop it with a signal.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_netplay");

/// The binary with `args`, its data directory (netplay's local CA) in a
/// directory of this test run, never the user's, and no proxy from the
/// environment (a test that wants one sets it).
pub fn netplay(args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command.args(args);
    command.env("XDG_DATA_HOME", data_home());
    for name in PROXY_VARIABLES {
        command.env_remove(name);
    }
    command
}

/// curl's proxy variables, which netplay honours.
const PROXY_VARIABLES: [&str; 7] = [
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// `$XDG_DATA_HOME` for every netplay this test run starts: one local CA
/// for the run, as a user has one.
pub fn data_home() -> std::path::PathBuf {
    static DIR: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("netplay-it-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("the test run's data directory");
        dir
    })
    .clone()
}

/// A running `netplay … serve`, its stdout lines arriving on a channel.
pub struct Server {
    /// The process.
    pub child: Child,
    /// Its stdout, line by line.
    pub lines: mpsc::Receiver<String>,
}

impl Server {
    pub fn start(args: &[&str]) -> Self {
        Self::start_in(std::path::Path::new("."), args)
    }

    /// [`Server::start`] with `dir` as the working directory.
    pub fn start_in(dir: &std::path::Path, args: &[&str]) -> Self {
        let mut child = netplay(args)
            .current_dir(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn netplay");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Self { child, lines }
    }

    /// Waits for a stdout line containing `needle`.
    pub fn line_with(&self, needle: &str) -> String {
        loop {
            match self.lines.recv_timeout(super::WAIT) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => continue,
                Err(_) => panic!("no stdout line with {needle:?}"),
            }
        }
    }

    /// The address from the "Listening on" / "Bind UDP on" line.
    pub fn address(&self, marker: &str) -> SocketAddr {
        let line = self.line_with(marker);
        let rest = line.split(marker).nth(1).expect("address");
        rest.split_whitespace()
            .next()
            .and_then(|addr| addr.trim_end_matches("...").parse().ok())
            .unwrap_or_else(|| panic!("no address in {line:?}"))
    }

    /// SIGTERM, then the exit status and everything left on stdout.
    pub fn terminate(self) -> (i32, Vec<String>) {
        self.stop_with("-TERM")
    }

    /// `kill SIGNAL`, then the exit status and everything left on stdout.
    pub fn stop_with(mut self, signal: &str) -> (i32, Vec<String>) {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        let code = self.child.wait().expect("wait").code().unwrap_or(-1);
        // The reader thread may still be forwarding the last lines: read
        // until it sees the end of stdout (the channel then disconnects).
        let mut rest = Vec::new();
        while let Ok(line) = self.lines.recv_timeout(super::WAIT) {
            rest.push(line);
        }
        (code, rest)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits for a child with a deadline (a hung command fails the test).
pub fn wait_output(child: Child) -> Output {
    let (tx, rx) = mpsc::channel();
    let id = child.id();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(output) => output.expect("output"),
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", &id.to_string()])
                .status();
            panic!("netplay did not finish in 30 s");
        }
    }
}

/// Waits until one of process `pid`'s threads waits on a full pipe.
pub fn wait_until_blocked_on_a_pipe(pid: u32) {
    let tasks = format!("/proc/{pid}/task");
    let deadline = std::time::Instant::now() + super::WAIT;
    loop {
        let state: String = std::fs::read_dir(&tasks)
            .into_iter()
            .flatten()
            .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("wchan")).ok())
            .collect::<Vec<_>>()
            .join(" ");
        if state.contains("pipe") {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never blocked: {state}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
