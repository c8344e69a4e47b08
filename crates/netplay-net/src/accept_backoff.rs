//! What a listener does when the process is out of file descriptors
//! (EMFILE/ENFILE): accept fails at once for every waiting peer, so a naive
//! loop spins and floods the log.

use std::time::Duration;

use crate::error::accept_error;

/// The accept loop's state while the process is out of file descriptors:
/// it waits (100 ms, doubling to 1 s) instead of spinning, reports at most
/// one line a second with a count, and one line when accepting works again.
#[derive(Default)]
pub struct FdPressure {
    /// When accepting may be tried again (while out of descriptors).
    pub resume_at: Option<tokio::time::Instant>,
    backoff: Duration,
    unreported: u64,
    total: u64,
    last_report: Option<tokio::time::Instant>,
}

impl FdPressure {
    /// An accept failed for want of descriptors: the line to report, at most one a second.
    pub fn failed(&mut self, err: &std::io::Error) -> Option<String> {
        let now = tokio::time::Instant::now();
        self.backoff = (self.backoff * 2).clamp(Duration::from_millis(100), Duration::from_secs(1));
        self.resume_at = Some(now + self.backoff);
        self.unreported += 1;
        self.total += 1;
        if self
            .last_report
            .is_some_and(|last| now.duration_since(last) < Duration::from_secs(1))
        {
            return None;
        }
        self.last_report = Some(now);
        let count = std::mem::take(&mut self.unreported);
        Some(format!(
            "{} ({count} failed attempt(s) since the last line; retrying every {} ms)",
            accept_error(err),
            self.backoff.as_millis()
        ))
    }

    /// An accept worked: the line saying so after a shortage, once.
    pub fn recovered(&mut self) -> Option<String> {
        if self.total == 0 {
            return None;
        }
        let total = std::mem::take(&mut self.total);
        *self = Self::default();
        Some(format!(
            "Accepting again: file descriptors freed up after {total} failed attempt(s)"
        ))
    }
}
