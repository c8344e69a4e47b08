//! Wall-clock timestamps for log and transcript entries.

use chrono::{DateTime, Local};

/// When an entry was recorded. Kept as the system time (one cheap clock
/// read per entry: a busy connection records thousands a second) and shown
/// in local time when it is formatted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Stamp(std::time::SystemTime);

impl Stamp {
    /// The current time.
    pub fn now() -> Self {
        Self(std::time::SystemTime::now())
    }

    /// A given time.
    pub fn at(time: std::time::SystemTime) -> Self {
        Self(time)
    }

    fn local(&self) -> DateTime<Local> {
        DateTime::<Local>::from(self.0)
    }

    /// `15:04:05.123`, for the screen.
    pub fn clock(&self) -> String {
        self.local().format("%H:%M:%S%.3f").to_string()
    }

    /// `2026-11-25 15:04:05.123 +01:00`, for saved files.
    pub fn full(&self) -> String {
        self.local().format("%Y-%m-%d %H:%M:%S%.3f %:z").to_string()
    }

    /// `20261125-150405`, for file names.
    pub fn file_part(&self) -> String {
        self.local().format("%Y%m%d-%H%M%S").to_string()
    }
}
