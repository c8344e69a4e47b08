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

    /// `2026-11-25T15:04:05.123+01:00` (RFC 3339), for JSON.
    pub fn rfc3339(&self) -> String {
        self.local().format("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string()
    }

    /// `20261125-150405`, for file names.
    pub fn file_part(&self) -> String {
        self.local().format("%Y%m%d-%H%M%S").to_string()
    }
}

/// Writes [`Stamp::full`] for many stamps a second cheaply: the local
/// date, time to the second and UTC offset are worked out once per second
/// (a busy log writes a line per read), only the milliseconds each time.
#[derive(Debug, Default)]
pub struct FullStamps {
    second: Option<u64>,
    prefix: String,
    zone: String,
}

impl FullStamps {
    /// Appends `stamp` as `2026-11-25 15:04:05.123 +01:00` to `out`.
    pub fn push(&mut self, out: &mut String, stamp: Stamp) {
        let Ok(since) = stamp.0.duration_since(std::time::UNIX_EPOCH) else {
            out.push_str(&stamp.full());
            return;
        };
        if self.second != Some(since.as_secs()) {
            let local = stamp.local();
            self.prefix = local.format("%Y-%m-%d %H:%M:%S").to_string();
            self.zone = local.format(" %:z").to_string();
            self.second = Some(since.as_secs());
        }
        out.push_str(&self.prefix);
        let millis = since.subsec_millis();
        out.push('.');
        for digit in [millis / 100, millis / 10 % 10, millis % 10] {
            out.push(char::from(b'0' + digit as u8));
        }
        out.push_str(&self.zone);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_stamps_are_rfc_3339() {
        let text = Stamp::now().rfc3339();
        let parsed = chrono::DateTime::parse_from_rfc3339(&text);
        assert!(parsed.is_ok(), "{text}");
    }

    #[test]
    fn cached_stamps_read_as_full_stamps() {
        let mut stamps = FullStamps::default();
        let start = std::time::SystemTime::now();
        for millis in [0u64, 1, 999, 1000, 1001, 61_000, 86_400_123] {
            let stamp = Stamp::at(start + std::time::Duration::from_millis(millis));
            let mut out = String::new();
            stamps.push(&mut out, stamp);
            assert_eq!(out, stamp.full());
        }
    }
}
