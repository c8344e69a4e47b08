//! The app's side of the remembered state ([`crate::state`]): read once at
//! start (command-line options win over it), written whole when something
//! worth keeping changed — at most once a second while keys come in, and
//! once more on the way out.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::state::{self, Memory};
use crate::ui::shell::app::{App, StartOptions, Tab};

/// The shortest time between two writes while the user types.
pub const WRITE_EVERY: Duration = Duration::from_secs(1);

/// The state file and what was last written to it.
#[derive(Debug)]
pub struct StateFile {
    path: PathBuf,
    written: String,
    at: Option<Instant>,
    pending: bool,
}

impl StateFile {
    /// The file at `path` (nothing read yet).
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            written: String::new(),
            at: None,
            pending: false,
        }
    }

    /// Where it is.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }
}

/// The key of each tab's first field: what `--addr` fills, so the state
/// must not overwrite it.
fn first_field(tab: Tab) -> &'static str {
    match tab {
        Tab::Http => "http.url",
        Tab::TcpServer => "server.listen",
        Tab::TcpClient => "client.target",
        Tab::Udp => "udp.bind",
        Tab::Relay => "relay.listen",
    }
}

impl App {
    /// Reads the state file and gives each tab what it kept, except what
    /// the command line set (`--addr`, `--mode`); a file that cannot be
    /// read becomes a notice.
    pub fn load_state(&mut self, file: StateFile, options: &StartOptions) {
        let (mut memory, notice) = state::load(file.path());
        // What the file holds now: whatever differs after the start (an
        // address or a .http file from the command line) is written at the
        // next flush.
        let on_disk = memory.to_text();
        if options.addr.is_some() {
            memory.set(
                first_field(options.tab),
                options.addr.clone().unwrap_or_default(),
            );
        }
        if let Some(mode) = options.server_mode {
            memory.set("server.mode", mode.name());
        }
        for tab in Tab::ALL {
            self.view_mut(*tab).restore(&memory);
        }
        self.notice = notice;
        let mut file = file;
        file.written = on_disk;
        self.state = Some(file);
    }

    /// What every tab keeps now.
    pub fn memory(&self) -> Memory {
        let mut memory = Memory::default();
        for tab in Tab::ALL {
            self.view(*tab).remember(&mut memory);
        }
        memory
    }

    /// After a key: writes the state if it changed and the last write is a
    /// second old; else leaves it pending for the tick.
    pub fn state_touched(&mut self) {
        self.write_state(false);
    }

    /// Whether a change waits for its write (the loop keeps ticking).
    pub fn state_pending(&self) -> bool {
        self.state.as_ref().is_some_and(|file| file.pending)
    }

    /// Writes the state now if it changed (on quit, and on the tick for a
    /// pending change).
    pub fn flush_state(&mut self) {
        self.write_state(true);
    }

    fn write_state(&mut self, now: bool) {
        let memory = self.memory();
        let Some(file) = &mut self.state else {
            return;
        };
        let text = memory.to_text();
        if text == file.written {
            file.pending = false;
            return;
        }
        let recent = file.at.is_some_and(|at| at.elapsed() < WRITE_EVERY);
        if recent && !now {
            file.pending = true;
            return;
        }
        file.pending = false;
        file.at = Some(Instant::now());
        match state::save(&file.path, &memory) {
            Ok(()) => file.written = text,
            Err(reason) => {
                // Said once; the next change tries again.
                file.written = text;
                self.notice = Some(format!("Remembered state not saved: {reason}"));
            }
        }
    }
}
