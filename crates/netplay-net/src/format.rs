//! How netplay writes numbers and times for people, in one place: the TUI,
//! the headless commands and the engine's messages all use these.

use std::time::Duration;

/// `7s`, `2m05s`, `1h02m` — a connection's age at a glance.
pub fn age(duration: Duration) -> String {
    let secs = duration.as_secs();
    if secs < 60 {
        format!("{secs}s")
    } else if secs < 3600 {
        format!("{}m{:02}s", secs / 60, secs % 60)
    } else {
        format!("{}h{:02}m", secs / 3600, (secs / 60) % 60)
    }
}

/// An exact count with thousands separators: `2,000,000`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, c) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A number in at most five columns: exact below 10,000, else three
/// significant digits with k, M, G, T (`12.3k`, `3.77G`), for tables.
pub fn compact(n: u64) -> String {
    if n < 10_000 {
        return n.to_string();
    }
    let units = [("k", 1e3), ("M", 1e6), ("G", 1e9), ("T", 1e12)];
    let value = n as f64;
    let (unit, scale) = units
        .iter()
        .rev()
        .find(|(_, scale)| value >= *scale)
        .copied()
        .unwrap_or(("k", 1e3));
    let scaled = value / scale;
    if scaled >= 100.0 {
        format!("{scaled:.0}{unit}")
    } else if scaled >= 10.0 {
        format!("{scaled:.1}{unit}")
    } else {
        format!("{scaled:.2}{unit}")
    }
}

/// Bytes in binary units for tables: `512 B`, `1.5 KiB`, `2.0 GiB` (at
/// most eight columns; the exact count is in the detail views and in
/// `--json`).
pub fn bytes(n: u64) -> String {
    if n < 1024 {
        return format!("{n} B");
    }
    let units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    // Compared as printed: 1023.6 KiB rounds to 1024 and is 1.0 MiB.
    while (value * 10.0).round() / 10.0 >= 1023.5 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    if (value * 10.0).round() / 10.0 >= 99.95 {
        format!("{value:.0} {}", units[unit])
    } else {
        format!("{value:.1} {}", units[unit])
    }
}

/// `1 read`, `2 reads`: an exact count with its noun.
pub fn plural(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{} {noun}s", count(n))
    }
}

/// `0.6 ms`, `12.3 ms`, `1.25 s`: request times deserve a decimal.
pub fn precise(duration: Duration) -> String {
    if duration < Duration::from_secs(1) {
        format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
    } else {
        format!("{:.2} s", duration.as_secs_f64())
    }
}

/// `1.5 s`, `250 ms`, `5 s`.
pub fn human_duration(duration: Duration) -> String {
    let ms = duration.as_millis();
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms % 1000 == 0 {
        format!("{} s", ms / 1000)
    } else {
        format!("{:.1} s", duration.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_numbers_fit_five_columns() {
        assert_eq!(compact(9_999), "9999");
        assert_eq!(compact(12_345), "12.3k");
        assert_eq!(compact(3_771_495_838), "3.77G");
        assert_eq!(compact(250_000_000), "250M");
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(2_171_600_896), "2.0 GiB");
        assert_eq!(bytes(1_572_864), "1.5 MiB");
        assert_eq!(bytes(1023 * 1024), "1023 KiB");
        assert_eq!(bytes(u64::MAX), "16.0 EiB");
        assert_eq!(bytes(102_399), "100 KiB");
        assert_eq!(bytes(1_048_575), "1.0 MiB");
    }
}
