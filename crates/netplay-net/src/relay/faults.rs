//! The relay's faults (Toxiproxy's set, for raw TCP), per direction, and the
//! pacing arithmetic they need. Pure data: the pump in
//! `relay::pump` applies them.

use std::time::Duration;

use crate::format::human_duration;

/// Which way bytes travel through a relayed pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dir {
    /// Client → server (what the client writes).
    Up,
    /// Server → client (what the server answers).
    Down,
}

impl Dir {
    /// Both directions, up first.
    pub const BOTH: [Dir; 2] = [Dir::Up, Dir::Down];

    /// `client → server` or `server → client`.
    pub fn arrow(self) -> &'static str {
        match self {
            Dir::Up => "client → server",
            Dir::Down => "server → client",
        }
    }

    /// `up` or `down`, as `--direction` and `--json` spell it.
    pub fn name(self) -> &'static str {
        match self {
            Dir::Up => "up",
            Dir::Down => "down",
        }
    }

    /// The array index of this direction (`[up, down]`).
    pub fn index(self) -> usize {
        match self {
            Dir::Up => 0,
            Dir::Down => 1,
        }
    }

    /// The other direction.
    pub fn reverse(self) -> Dir {
        match self {
            Dir::Up => Dir::Down,
            Dir::Down => Dir::Up,
        }
    }
}

/// The faults on one direction. The default is none: bytes pass as read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Faults {
    /// Each chunk waits this long before it is written; order is kept.
    pub latency: Duration,
    /// A random extra delay in `-jitter..=jitter` on top of the latency.
    pub jitter: Duration,
    /// At most this many bytes a second.
    pub bandwidth: Option<u64>,
    /// Each chunk is written in pieces of this many bytes…
    pub slice: Option<usize>,
    /// …with this delay between pieces.
    pub slice_delay: Duration,
    /// The pair is closed once this many bytes went this way.
    pub limit: Option<u64>,
    /// Both sides are closed with RST: at the first read of a pair opened
    /// with it on, at once for live pairs when it is switched on.
    pub reset: bool,
    /// Bytes read this way are dropped; both sides stay open.
    pub blackhole: bool,
    /// A FIN waits this long before it is forwarded.
    pub slow_close: Duration,
}

/// The default delay between slices (`--slice-delay`).
pub const DEFAULT_SLICE_DELAY: Duration = Duration::from_millis(10);

/// Pieces a bandwidth limit writes per second: small enough to be smooth,
/// large enough not to wake for every byte.
const BANDWIDTH_STEPS_PER_SECOND: u64 = 20;

impl Faults {
    /// Whether bytes pass straight through (the fast path). A slow close
    /// only matters at the end, so it does not count.
    pub fn is_plain(&self) -> bool {
        self.latency.is_zero()
            && self.jitter.is_zero()
            && self.bandwidth.is_none()
            && self.slice.is_none()
            && self.limit.is_none()
            && !self.reset
            && !self.blackhole
    }

    /// Whether any fault is on.
    pub fn any(&self) -> bool {
        !self.is_plain() || !self.slow_close.is_zero()
    }

    /// The faults that are on, in words (`latency 200 ms ± 50 ms`, …).
    pub fn describe(&self) -> Vec<String> {
        let mut on = Vec::new();
        if !self.latency.is_zero() || !self.jitter.is_zero() {
            let mut text = format!("latency {}", human_duration(self.latency));
            if !self.jitter.is_zero() {
                text.push_str(&format!(" ± {}", human_duration(self.jitter)));
            }
            on.push(text);
        }
        if let Some(rate) = self.bandwidth {
            on.push(format!("bandwidth {} B/s", crate::format::count(rate)));
        }
        if let Some(slice) = self.slice {
            on.push(format!(
                "slicer {slice} B every {}",
                human_duration(self.slice_delay)
            ));
        }
        if let Some(limit) = self.limit {
            on.push(format!("limit {} B", crate::format::count(limit)));
        }
        if self.reset {
            on.push("reset".into());
        }
        if self.blackhole {
            on.push("blackhole".into());
        }
        if !self.slow_close.is_zero() {
            on.push(format!("slow close {}", human_duration(self.slow_close)));
        }
        on
    }

    /// The largest piece to write now of a chunk with `remaining` bytes,
    /// after `sent` bytes went this way, under the slicer, the bandwidth and
    /// the limit. Never 0 for a non-empty chunk unless the limit is reached.
    pub fn piece(&self, remaining: usize, sent: u64) -> usize {
        let mut piece = remaining;
        if let Some(slice) = self.slice {
            piece = piece.min(slice.max(1));
        }
        if let Some(rate) = self.bandwidth {
            let step = (rate / BANDWIDTH_STEPS_PER_SECOND).max(1);
            piece = piece.min(usize::try_from(step).unwrap_or(usize::MAX));
        }
        if let Some(limit) = self.limit {
            let left = limit.saturating_sub(sent);
            piece = piece.min(usize::try_from(left).unwrap_or(usize::MAX));
        }
        piece
    }

    /// How long to wait after writing a piece with `more` of its chunk
    /// still to go: the slice delay between pieces.
    pub fn pause_after(&self, _len: usize, more: bool) -> Duration {
        if more && self.slice.is_some() {
            self.slice_delay
        } else {
            Duration::ZERO
        }
    }

    /// The time the bandwidth allows for `len` bytes, if it is limited.
    pub fn paced(&self, len: usize) -> Option<Duration> {
        let rate = self.bandwidth.filter(|rate| *rate > 0)?;
        Some(Duration::from_secs_f64(len as f64 / rate as f64))
    }
}

/// A small, fast, seeded random source for jitter (splitmix64). Jitter
/// needs spread, not secrecy, so no crate is pulled in for it.
#[derive(Debug, Clone)]
pub struct Jitter(u64);

impl Jitter {
    /// A source seeded with `seed` (the pair id and the clock).
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// `latency` moved by a random amount in `-jitter..=jitter` (never
    /// below zero).
    pub fn delay(&mut self, latency: Duration, jitter: Duration) -> Duration {
        if jitter.is_zero() {
            return latency;
        }
        let span = jitter.as_micros().min(u128::from(u64::MAX / 2)) as u64;
        let offset = self.next() % (2 * span + 1);
        let shifted = latency.as_micros() as i128 + i128::from(offset) - i128::from(span);
        Duration::from_micros(shifted.max(0) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_respect_slicer_bandwidth_and_limit() {
        let mut faults = Faults::default();
        assert!(faults.is_plain());
        assert_eq!(faults.piece(1000, 0), 1000);
        faults.slice = Some(3);
        assert_eq!(faults.piece(1000, 0), 3);
        assert_eq!(faults.pause_after(3, true), Duration::ZERO);
        faults.slice_delay = DEFAULT_SLICE_DELAY;
        assert_eq!(faults.pause_after(3, true), DEFAULT_SLICE_DELAY);
        assert_eq!(faults.pause_after(3, false), Duration::ZERO);
        faults.slice = None;
        faults.bandwidth = Some(2000);
        assert_eq!(
            faults.piece(1000, 0),
            100,
            "a twentieth of a second's worth"
        );
        assert_eq!(faults.paced(100), Some(Duration::from_millis(50)));
        faults.limit = Some(120);
        assert_eq!(faults.piece(1000, 50), 70);
        assert_eq!(faults.piece(1000, 120), 0);
        assert!(!faults.is_plain());
        assert_eq!(
            faults.describe(),
            ["bandwidth 2,000 B/s".to_string(), "limit 120 B".to_string()]
        );
    }

    #[test]
    fn jitter_stays_within_its_span() {
        let mut jitter = Jitter::new(7);
        let latency = Duration::from_millis(100);
        let span = Duration::from_millis(20);
        let delays: Vec<Duration> = (0..1000).map(|_| jitter.delay(latency, span)).collect();
        assert!(delays
            .iter()
            .all(|d| *d >= latency - span && *d <= latency + span));
        assert!(delays.iter().any(|d| *d < latency) && delays.iter().any(|d| *d > latency));
        assert_eq!(jitter.delay(latency, Duration::ZERO), latency);
    }
}
