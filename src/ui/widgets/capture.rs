//! Alt+K: capture into pcapng files for Wireshark, or stop.
//!
//! Two shapes. [`CaptureSwitch`] (TCP Server, Relay, UDP) hands one live
//! file to the running server, relay or socket: every new connection
//! (pair, datagram) goes into it, and it is finished once the last one it
//! holds has closed. [`CaptureEach`] (TCP Client, HTTP) arms a capture for
//! the connections that follow, one file each, taken under TLS with the
//! session's keys so Wireshark opens it decrypted. Both tell their end as
//! a line for the tab to say.

use std::path::PathBuf;
use std::sync::Arc;

use crate::narrate::Kind;
use crate::net::pcap::tap::SyncCapture;
use crate::net::pcap::Capture;
use crate::net::{Engine, SaveFor};

/// A line for the tab's status or log.
pub type Said = (Kind, String);

/// What a [`CaptureSwitch`] says, in its tab's words.
pub struct Words {
    /// Files are `stem-<time>.pcapng` in the current directory.
    pub stem: &'static str,
    /// What goes in: "every new connection".
    pub what: &'static str,
    /// Said when the capture stops.
    pub off: &'static str,
    /// Said when there is nothing to capture yet.
    pub idle: &'static str,
}

/// The capture switch of a tab with one running server, relay or socket.
pub struct CaptureSwitch {
    on: Option<Capture>,
    words: Words,
    asker: SaveFor,
}

impl CaptureSwitch {
    /// Off; its file's end is told as [`crate::net::Event::Saved`] for `asker`.
    pub fn new(words: Words, asker: SaveFor) -> Self {
        Self {
            on: None,
            words,
            asker,
        }
    }

    /// Switches: `set` hands the capture (or `None`) to the running
    /// server, relay or socket — `None` when there is none (then no file
    /// is made).
    pub fn toggle<T>(
        &mut self,
        engine: &Engine,
        running: Option<&T>,
        set: impl FnOnce(&T, Option<Capture>),
    ) -> Said {
        let Some(running) = running else {
            self.on = None;
            return (Kind::Error, self.words.idle.to_string());
        };
        if self.on.take().is_some() {
            set(running, None);
            return (Kind::Info, self.words.off.to_string());
        }
        let stem = self.words.stem;
        let capture = match Capture::start_new(engine, &PathBuf::from("."), stem, self.asker) {
            Ok(capture) => capture,
            Err(reason) => return (Kind::Error, reason),
        };
        set(running, Some(capture.clone()));
        self.on = Some(capture);
        let what = self.words.what;
        let text =
            format!("Capturing {what} to {stem}-<time>.pcapng (open it in Wireshark; Alt+K stops)");
        (Kind::Good, text)
    }

    /// Stops with the server, relay or socket.
    pub fn stop(&mut self) {
        self.on = None;
    }
}

/// The line that says a capture's file is written whole (or failed).
pub fn report(outcome: Result<PathBuf, String>) -> Said {
    match outcome {
        Ok(path) => (
            Kind::Good,
            format!(
                "Capture written: {} (wireshark {0})",
                crate::text::sanitize_str(&path.display().to_string())
            ),
        ),
        Err(reason) => (Kind::Error, format!("Capture failed: {reason}")),
    }
}

/// The capture of a tab that opens one connection at a time: armed, each
/// connection from then on gets its own file.
pub struct CaptureEach {
    armed: bool,
    stem: &'static str,
    asker: SaveFor,
    /// The file of the connection under way, finished when it ends.
    current: Option<(Arc<SyncCapture>, Engine)>,
}

impl CaptureEach {
    /// Off; files are `stem-<time>.pcapng` in the current directory, their
    /// ends told as [`crate::net::Event::Saved`] for `asker`.
    pub fn new(stem: &'static str, asker: SaveFor) -> Self {
        Self {
            armed: false,
            stem,
            asker,
            current: None,
        }
    }

    /// Whether the next connection will be captured.
    pub fn is_armed(&self) -> bool {
        self.armed
    }

    /// Arms or disarms; the connection under way keeps its file.
    pub fn toggle(&mut self, connected: bool) -> Said {
        self.armed = !self.armed;
        let stem = self.stem;
        match (self.armed, connected) {
            (true, false) => (
                Kind::Good,
                format!("Capture on: each connection from now goes to its own {stem}-<time>.pcapng (TLS with its keys; Alt+K stops)"),
            ),
            (true, true) => (
                Kind::Good,
                format!("Capture on from the next connection (this one began uncaptured): {stem}-<time>.pcapng each; Alt+K stops"),
            ),
            (false, _) => (Kind::Info, "Capture off for the next connections".to_string()),
        }
    }

    /// The file for the connection about to open, when armed (`Err`: why
    /// it could not be made; the connection goes on uncaptured).
    pub fn begin(&mut self, engine: &Engine) -> Result<Option<Arc<SyncCapture>>, String> {
        // A connection that never said it ended still gets its file.
        self.end();
        if !self.armed {
            return Ok(None);
        }
        let comment = "Written live by the netplay TUI.";
        let capture = SyncCapture::create_new(&PathBuf::from("."), self.stem, comment)?;
        self.current = Some((Arc::clone(&capture), engine.clone()));
        Ok(Some(capture))
    }

    /// The connection ended: its file is finished on the engine's
    /// blocking pool, its end told as [`crate::net::Event::Saved`]. One
    /// that never opened (refused, unreachable) leaves no file.
    pub fn end(&mut self) {
        if let Some((capture, engine)) = self.current.take() {
            if !capture.is_empty() {
                engine.finish_capture(self.asker, capture);
            }
        }
    }
}
