//! An HTTP exchange's words (the HTTP tab's connection view and `netplay
//! fetch -v` / `--timing`): where the name led, which socket carried it,
//! and how long each step took, counted from the start as `curl -w` does.

use std::net::SocketAddr;
use std::time::Duration;

use crate::net::http::Timings;

/// The addresses the name resolved to.
pub fn resolved(addrs: &[SocketAddr]) -> String {
    let list: Vec<String> = addrs.iter().map(ToString::to_string).collect();
    format!("Resolved to {}", list.join(", "))
}

/// The connection's two ends (the 4-tuple).
pub fn connected(local: SocketAddr, remote: SocketAddr) -> String {
    format!("Connected {local} (you) ⇄ {remote} (server)")
}

/// Each step's name and when it was done, since the start (`None`: the
/// step did not happen, e.g. no DNS for an address, no TLS for http://).
pub fn timing_steps(timings: &Timings) -> [(&'static str, Option<Duration>); 5] {
    [
        ("DNS", timings.dns),
        ("connect", timings.connect),
        ("TLS", timings.tls),
        ("first byte", timings.first_byte),
        ("total", Some(timings.total)),
    ]
}

/// A step's time in milliseconds, to the microsecond; `—` when it did not
/// happen.
pub fn millis(value: Option<Duration>) -> String {
    value.map_or("—".to_string(), |d| {
        format!("{:.3} ms", d.as_secs_f64() * 1000.0)
    })
}

/// The timings on one line (`fetch --timing`).
pub fn timings_line(timings: &Timings) -> String {
    let steps: Vec<String> = timing_steps(timings)
        .iter()
        .map(|(name, value)| format!("{name}: {}", millis(*value)))
        .collect();
    steps.join("  ")
}
