//! Alt+K on the TCP Server and Relay tabs: capture every new connection
//! (pair) into one pcapng file for Wireshark, or stop. The file is
//! written as the connections go and finished once the last one it holds
//! has closed; its end is said in the tab.

use std::path::PathBuf;

use crate::narrate::Kind;
use crate::net::pcap::Capture;
use crate::net::{Engine, SaveFor};
use crate::ui::widgets::console::Console;

/// The capture switch of a tab.
pub struct CaptureSwitch {
    on: Option<Capture>,
    stem: &'static str,
    asker: SaveFor,
}

impl CaptureSwitch {
    /// Off; files will be `stem-<time>.pcapng` in the current directory.
    pub fn new(stem: &'static str, asker: SaveFor) -> Self {
        Self {
            on: None,
            stem,
            asker,
        }
    }

    /// Whether new connections are being captured.
    pub fn is_on(&self) -> bool {
        self.on.is_some()
    }

    /// Switches: `set` hands the capture (or `None`) to the running
    /// server or relay, `false` when there is none.
    pub fn toggle(
        &mut self,
        engine: &Engine,
        console: &mut Console,
        set: impl FnOnce(Option<Capture>) -> bool,
    ) {
        if self.on.take().is_some() {
            set(None);
            console.say(
                Kind::Info,
                "Capture off for new connections: the file is finished once the ones in it close",
            );
            return;
        }
        let capture = match Capture::start_new(engine, &PathBuf::from("."), self.stem, self.asker) {
            Ok(capture) => capture,
            Err(reason) => return console.say(Kind::Error, reason),
        };
        if !set(Some(capture.clone())) {
            return console.say(Kind::Error, "Not running: start it first, then Alt+K");
        }
        self.on = Some(capture);
        console.say(
            Kind::Good,
            format!(
                "Capturing every new connection to {}-<time>.pcapng (open it in Wireshark; Alt+K stops)",
                self.stem
            ),
        );
    }

    /// Stops with the server or relay.
    pub fn stop(&mut self) {
        self.on = None;
    }

    /// The file is written whole (or failed).
    pub fn report(&mut self, console: &mut Console, outcome: Result<PathBuf, String>) {
        match outcome {
            Ok(path) => console.say(
                Kind::Good,
                format!(
                    "Capture written: {} (wireshark {0})",
                    crate::text::sanitize_str(&path.display().to_string())
                ),
            ),
            Err(reason) => console.say(Kind::Error, format!("Capture failed: {reason}")),
        }
    }
}
