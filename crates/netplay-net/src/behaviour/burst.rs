//! Bursts: N numbered datagrams out, and an exact account of the replies —
//! how many came back, which are missing, duplicated or out of order.

use std::time::Duration;

/// The most datagrams one burst sends.
pub const MAX_BURST: u32 = 100_000;

/// The marker every burst datagram starts with.
const MARKER: &[u8] = b"netplay-burst ";

/// The payload of datagram `seq` of burst `id`, padded with dots to `size`
/// bytes (never shorter than its header).
pub fn payload(id: u64, seq: u32, size: usize) -> Vec<u8> {
    let mut bytes = format!("netplay-burst {id} {seq} ").into_bytes();
    if bytes.len() < size {
        bytes.resize(size, b'.');
    }
    bytes
}

/// Finds `(burst id, seq)` in a datagram (a greet reply wraps the payload in
/// `Hello, …!`, an echo returns it as is).
pub fn parse(datagram: &[u8]) -> Option<(u64, u32)> {
    let at = datagram.windows(MARKER.len()).position(|w| w == MARKER)?;
    let rest = &datagram[at + MARKER.len()..];
    let text = std::str::from_utf8(&rest[..rest.len().min(40)])
        .ok()
        .or_else(|| {
            // the tail may hold a cut multi-byte character; the numbers are ASCII
            let end = rest
                .iter()
                .position(|b| !b.is_ascii())
                .unwrap_or(rest.len());
            std::str::from_utf8(&rest[..end.min(40)]).ok()
        })?;
    let mut words = text.split(' ');
    let id = words.next()?.parse().ok()?;
    let seq = words.next()?.parse().ok()?;
    Some((id, seq))
}

/// What came back from one burst.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BurstReport {
    /// The burst's id.
    pub id: u64,
    /// Datagrams sent.
    pub sent: u32,
    /// Size of each.
    pub size: usize,
    /// Replies received in all (duplicates included).
    pub replies: u32,
    /// Distinct datagrams answered.
    pub answered: u32,
    /// Datagrams never answered.
    pub missing: u32,
    /// Replies beyond the first for a datagram.
    pub duplicates: u32,
    /// Replies that arrived after a reply to a later datagram.
    pub out_of_order: u32,
    /// From the first send to the report.
    pub elapsed: Duration,
}

impl std::fmt::Display for BurstReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "burst #{}: sent {} × {} B · {} replies · {} missing · {} duplicated · {} out of order",
            self.id,
            self.sent,
            self.size,
            self.replies,
            self.missing,
            self.duplicates,
            self.out_of_order
        )
    }
}

/// Counts replies to one burst.
#[derive(Debug, Clone)]
pub struct BurstTracker {
    id: u64,
    sent: u32,
    size: usize,
    seen: Vec<u8>,
    replies: u32,
    duplicates: u32,
    out_of_order: u32,
    highest: Option<u32>,
}

impl BurstTracker {
    /// A tracker for burst `id` of `count` datagrams of `size` bytes.
    pub fn new(id: u64, count: u32, size: usize) -> Self {
        Self {
            id,
            sent: 0,
            size,
            seen: vec![0; count.min(MAX_BURST) as usize],
            replies: 0,
            duplicates: 0,
            out_of_order: 0,
            highest: None,
        }
    }

    /// The burst's id.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Records that one more datagram went out.
    pub fn sent_one(&mut self) {
        self.sent += 1;
    }

    /// Takes a received datagram; returns whether it answered this burst.
    pub fn reply(&mut self, datagram: &[u8]) -> bool {
        let Some((id, seq)) = parse(datagram) else {
            return false;
        };
        if id != self.id || seq as usize >= self.seen.len() {
            return false;
        }
        self.replies += 1;
        let slot = &mut self.seen[seq as usize];
        if *slot > 0 {
            self.duplicates += 1;
        } else if self.highest.is_some_and(|h| seq < h) {
            self.out_of_order += 1;
        }
        *slot = slot.saturating_add(1);
        self.highest = Some(self.highest.map_or(seq, |h| h.max(seq)));
        true
    }

    /// The account so far.
    pub fn report(&self, elapsed: Duration) -> BurstReport {
        let answered = self.seen.iter().filter(|n| **n > 0).count() as u32;
        BurstReport {
            id: self.id,
            sent: self.sent,
            size: self.size,
            replies: self.replies,
            answered,
            missing: self.sent.saturating_sub(answered),
            duplicates: self.duplicates,
            out_of_order: self.out_of_order,
            elapsed,
        }
    }

    /// Whether every datagram sent has been answered.
    pub fn complete(&self) -> bool {
        self.sent as usize == self.seen.len() && self.seen.iter().all(|n| *n > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_through_greet_and_echo() {
        let p = payload(3, 17, 64);
        assert_eq!(p.len(), 64);
        assert_eq!(parse(&p), Some((3, 17)));
        let greeted = crate::behaviour::greet::hello(&p);
        assert_eq!(parse(&greeted), Some((3, 17)));
        assert_eq!(
            payload(1, 123_456, 4).len(),
            "netplay-burst 1 123456 ".len()
        );
        assert_eq!(parse(b"Hello, world!"), None);
    }

    #[test]
    fn counts_missing_duplicates_and_reordering() {
        let mut t = BurstTracker::new(9, 5, 32);
        for _ in 0..5 {
            t.sent_one();
        }
        for seq in [0, 2, 1, 2, 4] {
            assert!(t.reply(&payload(9, seq, 32)));
        }
        assert!(!t.reply(&payload(8, 0, 32)), "another burst");
        assert!(!t.reply(&payload(9, 99, 32)), "out of range");
        let r = t.report(Duration::ZERO);
        assert_eq!((r.replies, r.answered, r.missing), (5, 4, 1));
        assert_eq!((r.duplicates, r.out_of_order), (1, 1));
        assert!(!t.complete());
    }
}
