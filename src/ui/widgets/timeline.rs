//! The life of a connection, with timestamps: connect started, connected,
//! the TLS handshake, the first byte each way, FIN sent and received (who
//! closed first), RST, closed — and what the kernel keeps afterwards.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::format::human_duration;

/// The marks of one connection, in the order they happened.
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    start: Option<Instant>,
    marks: Vec<(Instant, String)>,
    seen: Vec<&'static str>,
}

impl Timeline {
    /// A new connection attempt: the clock starts.
    pub fn start(&mut self) {
        self.begin("connect started");
    }

    /// The clock starts with `what` (an accepted connection: "accepted").
    pub fn begin(&mut self, what: &str) {
        self.begin_at(Instant::now(), what);
    }

    /// The clock starts at `at` with `what` (when the engine saw it).
    pub fn begin_at(&mut self, at: Instant, what: &str) {
        *self = Self::default();
        self.start = Some(at);
        self.mark_at(at, what);
    }

    /// Something happened now.
    pub fn mark(&mut self, what: impl Into<String>) {
        self.mark_at(Instant::now(), what);
    }

    /// Something happened at `at` (the engine's own time for it, which
    /// may be earlier than the screen learns of it): kept in time order.
    pub fn mark_at(&mut self, at: Instant, what: impl Into<String>) {
        if self.start.is_some() {
            let place = self.marks.partition_point(|(when, _)| *when <= at);
            self.marks.insert(place, (at, what.into()));
        }
    }

    /// Something that counts only the first time (the first byte).
    pub fn mark_once(&mut self, key: &'static str) {
        self.mark_once_at(key, None);
    }

    /// [`Timeline::mark_once`] at `at` when known, else now.
    pub fn mark_once_at(&mut self, key: &'static str, at: Option<Instant>) {
        if !self.seen.contains(&key) {
            self.seen.push(key);
            self.mark_at(at.unwrap_or_else(Instant::now), key);
        }
    }

    /// The lines with `marks` added in time order where their moment is
    /// known — the first byte each way, which the connection's counters
    /// stamp: read when shown, never marked per data event.
    pub fn lines_with(&self, marks: &[(&'static str, Option<Instant>)]) -> Vec<String> {
        let mut timeline = self.clone();
        for (key, at) in marks {
            if at.is_some() {
                timeline.mark_once_at(key, *at);
            }
        }
        timeline.lines()
    }

    /// One line per mark: `+1.2 ms  first byte in`.
    pub fn lines(&self) -> Vec<String> {
        let Some(start) = self.start else {
            return Vec::new();
        };
        self.marks
            .iter()
            .map(|(at, what)| {
                format!(
                    "  +{:<9} {what}",
                    offset(at.saturating_duration_since(start))
                )
            })
            .collect()
    }
}

fn offset(at: Duration) -> String {
    if at < Duration::from_millis(1) {
        format!("{} µs", at.as_micros())
    } else if at < Duration::from_secs(1) {
        format!("{:.1} ms", at.as_secs_f64() * 1000.0)
    } else {
        human_duration(at)
    }
}

/// Who ended the connection, for the kernel's part of the story.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// This side sent the first FIN.
    WeClosedFirst,
    /// The peer sent the first FIN.
    PeerClosedFirst,
    /// A reset ended it.
    Reset,
}

/// [`what_the_kernel_keeps`] for a connection of either family: a UNIX
/// socket has no TIME_WAIT.
pub fn what_the_kernel_keeps_at(
    ending: Ending,
    local: &crate::net::stream::Endpoint,
    remote: &crate::net::stream::Endpoint,
) -> String {
    match (local.ip(), remote.ip()) {
        (Some(local), Some(remote)) => what_the_kernel_keeps(ending, local, remote),
        _ => "A UNIX socket keeps nothing after the close: no TIME_WAIT (that guards against stray IP segments, and there are none here); the socket file stays until its server removes it.".to_string(),
    }
}

/// What the kernel keeps after the close, in one sentence, checked against
/// `/proc/net/tcp` where it can be.
pub fn what_the_kernel_keeps(ending: Ending, local: SocketAddr, remote: SocketAddr) -> String {
    match ending {
        Ending::WeClosedFirst => {
            let mut seen = match crate::net::kernel::time_wait::in_time_wait(local, remote) {
                Some(true) => " (it is in /proc/net/tcp's TIME_WAIT list now".to_string(),
                Some(false) => {
                    " (not in TIME_WAIT yet: the peer's FIN may still be on its way".to_string()
                }
                None => String::new(),
            };
            if let Some(count) = crate::net::kernel::time_wait::count_local(local) {
                seen.push_str(&format!(
                    "; {} on {local} in all)",
                    crate::format::plural(count as u64, "connection")
                ));
            }
            format!(
                "You closed first, so the kernel keeps {local} ⇄ {remote} in TIME_WAIT for about 60 s{seen}: late segments of this connection cannot be taken for a new one."
            )
        }
        Ending::PeerClosedFirst => format!(
            "The peer closed first, so the peer's side keeps TIME_WAIT for about 60 s; {local} is free again at once."
        ),
        Ending::Reset => {
            "A reset ends a connection at once: neither side keeps TIME_WAIT.".to_string()
        }
    }
}
