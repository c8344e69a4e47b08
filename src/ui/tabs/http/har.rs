//! Alt+H: the HTTP tab's exchange as a HAR 1.2 entry, added to
//! `./netplay.har` (made, or appended to and kept valid) on the engine's
//! blocking pool — the disk never holds up the screen. Alt+K: each next
//! exchange as its own pcapng file.

use std::path::PathBuf;

use super::{HttpTab, Status};
use crate::narrate::Kind;
use crate::net::http::har;
use crate::net::Engine;

/// Where Alt+H adds the exchange.
pub const HAR_FILE: &str = "netplay.har";

impl HttpTab {
    pub(super) fn add_to_har(&mut self, engine: &Engine) {
        let exchange = &self.exchange;
        let (Some(url), Some(started)) = (exchange.url.as_ref(), exchange.started) else {
            self.status = Status::new(Kind::Error, "Nothing to add yet: send a request first");
            return;
        };
        if !exchange.finished {
            self.status = Status::new(
                Kind::Error,
                "Still receiving: add the exchange when it has ended",
            );
            return;
        }
        let timings = exchange.timings.unwrap_or_default();
        let entry = har::entry(&har::Exchange {
            started,
            url,
            request: &exchange.wire,
            addresses: exchange.socket,
            tls: exchange.tls.as_ref(),
            head: exchange.head.as_ref(),
            body: exchange.body.as_ref(),
            timings: &timings,
        });
        engine.append_har(PathBuf::from(HAR_FILE), entry);
        self.status = Status::new(Kind::Info, format!("Adding the exchange to {HAR_FILE}…"));
    }

    /// The capture file of an exchange about to start, when Alt+K armed
    /// one (a file that cannot be made is said; the request goes on).
    pub(super) fn capture_plan(
        &mut self,
        engine: &Engine,
        unix_socket: bool,
    ) -> Option<std::sync::Arc<crate::net::pcap::tap::SyncCapture>> {
        if unix_socket {
            return None; // a UNIX socket has no IP packets to capture
        }
        self.capture.begin(engine).unwrap_or_else(|reason| {
            self.status = Status::new(Kind::Error, format!("Not captured: {reason}"));
            None
        })
    }

    /// Alt+K: capture each next exchange (or stop).
    pub(super) fn toggle_capture(&mut self) {
        let (kind, text) = self.capture.toggle(self.handle.is_some());
        self.status = Status::new(kind, text);
    }

    /// An exchange's capture is written whole (or failed).
    pub fn on_captured(&mut self, outcome: Result<PathBuf, String>) {
        let (kind, text) = crate::ui::widgets::capture::report(outcome);
        self.status = Status::new(kind, text);
    }

    /// The outcome of Alt+H.
    pub fn on_har_added(&mut self, outcome: Result<PathBuf, String>) {
        self.status = match outcome {
            Ok(path) => Status::new(
                Kind::Good,
                format!(
                    "Added the exchange to {} (HAR 1.2; open it in a browser's devtools or any HAR viewer)",
                    crate::text::sanitize_str(&path.display().to_string())
                ),
            ),
            Err(reason) => Status::new(Kind::Error, format!("Not added: {reason}")),
        };
    }
}
