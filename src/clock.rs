//! Wall-clock timestamps for log and transcript entries.

use chrono::{DateTime, Local};

/// When an entry was recorded, in local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Stamp(DateTime<Local>);

impl Stamp {
    /// The current time.
    pub fn now() -> Self {
        Self(Local::now())
    }

    /// `15:04:05.123`, for the screen.
    pub fn clock(&self) -> String {
        self.0.format("%H:%M:%S%.3f").to_string()
    }

    /// `2026-11-25 15:04:05.123 +01:00`, for saved files.
    pub fn full(&self) -> String {
        self.0.format("%Y-%m-%d %H:%M:%S%.3f %:z").to_string()
    }

    /// `20261125-150405`, for file names.
    pub fn file_part(&self) -> String {
        self.0.format("%Y%m%d-%H%M%S").to_string()
    }
}
