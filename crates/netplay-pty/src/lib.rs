//! Drives the real `netplay` binary in a pseudo-terminal, the way a person
//! does: real key byte sequences in, everything it prints fed through a
//! terminal emulator (vt100), and waits — with a deadline, never a fixed
//! sleep — until the emulated screen shows some text.
//!
//! On any failed wait the whole emulated screen is printed, so a red CI run
//! shows what a person would have seen.
//!
//! The binary is the `netplay` next to the running test or bench's own
//! `deps/` folder (cargo builds it for the package's tests and benches), or
//! `$NETPLAY_BIN` when set.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use portable_pty::{native_pty_system, Child, CommandBuilder, MasterPty, PtySize};

/// How long one wait may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(15);

/// The terminal side: emulator state and every byte the program wrote.
pub struct Term {
    /// The emulator.
    pub parser: vt100::Parser,
    /// Every byte netplay wrote to the terminal, in order.
    pub raw: Vec<u8>,
    /// Whether the program's side of the pty is closed (it exited).
    pub closed: bool,
}

struct Shared {
    term: Mutex<Term>,
    changed: Condvar,
}

/// A running `netplay` in a pseudo-terminal.
pub struct Netplay {
    child: Box<dyn Child + Send + Sync>,
    master: Box<dyn MasterPty + Send>,
    writer: Box<dyn Write + Send>,
    shared: Arc<Shared>,
    /// The folder netplay runs in (saved logs land here).
    pub dir: PathBuf,
}

fn size(cols: u16, rows: u16) -> PtySize {
    PtySize {
        rows,
        cols,
        pixel_width: 0,
        pixel_height: 0,
    }
}

impl Netplay {
    /// Starts netplay in a `cols` × `rows` terminal with `args`.
    pub fn start(cols: u16, rows: u16, args: &[&str]) -> Self {
        Self::start_with_env(cols, rows, args, &[])
    }

    /// Like [`Netplay::start`], with extra environment variables.
    pub fn start_with_env(cols: u16, rows: u16, args: &[&str], env: &[(&str, &str)]) -> Self {
        Self::start_limited(cols, rows, args, env, None)
    }

    /// Like [`Netplay::start_with_env`], under an address-space limit of
    /// `kib` KiB (`ulimit -v`): what a run may allocate at most.
    pub fn start_limited(
        cols: u16,
        rows: u16,
        args: &[&str],
        env: &[(&str, &str)],
        kib: Option<u64>,
    ) -> Self {
        let pair = native_pty_system()
            .openpty(size(cols, rows))
            .expect("open a pty");
        let dir = std::env::temp_dir().join(format!(
            "netplay-e2e-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let mut command = match kib {
            None => {
                let mut command = CommandBuilder::new(binary());
                command.args(args);
                command
            }
            Some(kib) => {
                let mut command = CommandBuilder::new("sh");
                command.arg("-c");
                command.arg(format!("ulimit -v {kib} && exec \"$0\" \"$@\""));
                command.arg(binary());
                command.args(args);
                command
            }
        };
        command.cwd(&dir);
        command.env("TERM", "xterm-256color");
        // Each run remembers into its own directory, never the user's.
        command.env("XDG_STATE_HOME", dir.join("state"));
        // …and keeps its local CA there too.
        command.env("XDG_DATA_HOME", dir.join("data"));
        for (key, value) in env {
            command.env(key, value);
        }
        let child = pair.slave.spawn_command(command).expect("spawn netplay");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let writer = pair.master.take_writer().expect("pty writer");
        let shared = Arc::new(Shared {
            term: Mutex::new(Term {
                parser: vt100::Parser::new(rows.max(1), cols.max(1), 0),
                raw: Vec::new(),
                closed: false,
            }),
            changed: Condvar::new(),
        });
        let feed = Arc::clone(&shared);
        std::thread::spawn(move || {
            let mut buffer = [0u8; 8192];
            loop {
                let n = reader.read(&mut buffer).unwrap_or(0);
                let mut term = feed.term.lock().unwrap_or_else(|e| e.into_inner());
                if n == 0 {
                    term.closed = true;
                    feed.changed.notify_all();
                    return;
                }
                term.parser.process(&buffer[..n]);
                term.raw.extend_from_slice(&buffer[..n]);
                feed.changed.notify_all();
            }
        });
        Self {
            child,
            master: pair.master,
            writer,
            shared,
            dir,
        }
    }

    /// Starts netplay in a 120 × 40 terminal.
    pub fn launch() -> Self {
        Self::start(120, 40, &[])
    }

    /// The terminal state, locked.
    pub fn term(&self) -> MutexGuard<'_, Term> {
        self.shared.term.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The emulated screen as text, one line per row.
    pub fn screen_text(&self) -> String {
        self.term().parser.screen().contents()
    }

    /// Writes raw bytes as if typed.
    pub fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).expect("write to pty");
        self.writer.flush().expect("flush pty");
    }

    /// Alt+`c` (ESC prefix, as terminals send it).
    pub fn press_alt(&mut self, c: char) {
        self.send(format!("\x1b{c}").as_bytes());
    }

    /// Ctrl+`c` for a letter.
    pub fn press_ctrl(&mut self, c: char) {
        let byte = (c.to_ascii_lowercase() as u8) & 0x1f;
        self.send(&[byte]);
    }

    /// Types text character by character as one write.
    pub fn type_text(&mut self, text: &str) {
        self.send(text.as_bytes());
    }

    /// Enter.
    pub fn press_enter(&mut self) {
        self.send(b"\r");
    }

    /// Tab.
    pub fn press_tab(&mut self) {
        self.send(b"\t");
    }

    /// Shift+Tab.
    pub fn press_backtab(&mut self) {
        self.send(b"\x1b[Z");
    }

    /// Home, as xterm sends it.
    pub fn press_home(&mut self) {
        self.send(b"\x1b[H");
    }

    /// Esc on its own.
    pub fn press_esc(&mut self) {
        self.send(b"\x1b");
    }

    /// F1 … F12 as xterm sends them.
    pub fn press_f(&mut self, n: u8) {
        let sequence: &[u8] = match n {
            1 => b"\x1bOP",
            2 => b"\x1bOQ",
            3 => b"\x1bOR",
            4 => b"\x1bOS",
            5 => b"\x1b[15~",
            6 => b"\x1b[17~",
            7 => b"\x1b[18~",
            8 => b"\x1b[19~",
            9 => b"\x1b[20~",
            10 => b"\x1b[21~",
            11 => b"\x1b[23~",
            12 => b"\x1b[24~",
            _ => panic!("no F{n}"),
        };
        self.send(sequence);
    }

    /// Replaces the focused field's text (Ctrl+U clears to the line start).
    pub fn fill_field(&mut self, text: &str) {
        self.send(b"\x1b[F"); // End
        self.press_ctrl('u');
        self.type_text(text);
    }

    /// Waits until `check` holds for the terminal, or fails showing the screen.
    pub fn wait_until(&self, what: &str, mut check: impl FnMut(&Term) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        let mut term = self.term();
        loop {
            if check(&term) {
                return term.parser.screen().contents();
            }
            let now = Instant::now();
            if now >= deadline {
                panic!(
                    "timed out after {WAIT:?} waiting for {what}; the screen was:\n{}\n{}",
                    "─".repeat(40),
                    term.parser.screen().contents()
                );
            }
            term = self
                .shared
                .changed
                .wait_timeout(term, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Waits until the screen shows `text`; returns the screen.
    pub fn wait_for_text(&self, text: &str) -> String {
        self.wait_until(&format!("{text:?} on screen"), |term| {
            term.parser.screen().contents().contains(text)
        })
    }

    /// Waits until the screen no longer shows `text`.
    pub fn wait_for_no_text(&self, text: &str) -> String {
        self.wait_until(&format!("{text:?} to disappear"), |term| {
            !term.parser.screen().contents().contains(text)
        })
    }

    /// Resizes the pty (the program gets SIGWINCH) and the emulator.
    pub fn resize(&mut self, cols: u16, rows: u16) {
        self.term().parser.set_size(rows.max(1), cols.max(1));
        self.master.resize(size(cols, rows)).expect("resize pty");
    }

    /// Bytes written so far (a marker for [`Netplay::raw_since`]).
    pub fn raw_len(&self) -> usize {
        self.term().raw.len()
    }

    /// Bytes written since `mark`.
    pub fn raw_since(&self, mark: usize) -> Vec<u8> {
        self.term().raw[mark..].to_vec()
    }

    /// Waits for the process to exit, returning its exit code.
    pub fn wait_exit(&mut self) -> u32 {
        self.wait_until("netplay to exit", |term| term.closed);
        self.child.wait().expect("wait for netplay").exit_code()
    }

    /// The process id, for /proc readings.
    pub fn pid(&self) -> u32 {
        self.child.process_id().expect("pid")
    }

    /// CPU time (user + system) the process has used so far.
    pub fn cpu_time(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).expect("stat");
        // Fields after the parenthesised command name; utime and stime are
        // fields 14 and 15 of the whole line.
        let after = &stat[stat.rfind(')').expect("comm") + 2..];
        let fields: Vec<&str> = after.split_whitespace().collect();
        let ticks: u64 =
            fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
        Duration::from_secs_f64(ticks as f64 / clock_ticks() as f64)
    }

    /// Reads the port out of "Listening on HOST:PORT" on the screen.
    pub fn listening_port(&self) -> u16 {
        self.port_after("Listening on ")
    }

    /// Reads the port out of "MARKER HOST:PORT" on the screen.
    pub fn port_after(&self, marker: &str) -> u16 {
        let screen = self.wait_for_text(marker);
        screen
            .split(marker)
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|addr| addr.rsplit(':').next())
            .and_then(|port| {
                port.trim_end_matches(|c: char| !c.is_ascii_digit())
                    .parse()
                    .ok()
            })
            .unwrap_or_else(|| panic!("no port on screen:\n{screen}"))
    }
}

impl Drop for Netplay {
    fn drop(&mut self) {
        // Quit the way a person does first, so netplay cleans up after
        // itself (spooled bodies); kill only if that does not work.
        if !self.term().closed {
            let _ = self.writer.write_all(b"\x03");
            let _ = self.writer.flush();
            let deadline = Instant::now() + Duration::from_secs(3);
            let mut term = self.term();
            while !term.closed && Instant::now() < deadline {
                term = self
                    .shared
                    .changed
                    .wait_timeout(term, deadline - Instant::now())
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn clock_ticks() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(100)
}

/// The netplay binary to drive: `$NETPLAY_BIN`, else `target/<profile>/netplay`
/// beside the running executable's `deps/` folder.
pub fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("NETPLAY_BIN") {
        return PathBuf::from(path);
    }
    let me = std::env::current_exe().expect("the running executable's path");
    let profile = me
        .parent()
        .and_then(|deps| deps.parent())
        .expect("a test binary lives in target/<profile>/deps");
    profile.join("netplay")
}
