//! A ring buffer with exact totals: every log and transcript in netplay is
//! one, so memory stays bounded however much traffic arrives, and the view can
//! always say how many entries it no longer holds.

use std::collections::VecDeque;

/// Entries kept by default in each log and transcript.
pub const DEFAULT_CAPACITY: usize = 10_000;

/// Keeps the newest `capacity` entries and counts everything ever pushed.
#[derive(Debug, Clone)]
pub struct Ring<T> {
    entries: VecDeque<T>,
    capacity: usize,
    total: u64,
}

impl<T> Ring<T> {
    /// A ring that keeps at most `capacity` entries (at least one).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            entries: VecDeque::with_capacity(capacity.min(1024)),
            capacity,
            total: 0,
        }
    }

    /// Appends an entry, dropping the oldest one when full.
    pub fn push(&mut self, entry: T) {
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
        self.total += 1;
    }

    /// Entries ever pushed, including dropped ones.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Entries pushed out of the ring to make room.
    pub fn dropped(&self) -> u64 {
        self.total - self.entries.len() as u64
    }

    /// Entries held now.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The most entries this ring holds.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The entry with absolute sequence number `seq` (0 = first ever pushed),
    /// if it is still held.
    pub fn get_seq(&self, seq: u64) -> Option<&T> {
        let index = seq.checked_sub(self.dropped())?;
        self.entries.get(usize::try_from(index).ok()?)
    }

    /// Held entries, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + ExactSizeIterator {
        self.entries.iter()
    }

    /// Drops every held entry; totals keep counting from where they were.
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_newest_and_counts_exactly() {
        let mut ring = Ring::new(3);
        for i in 0..10 {
            ring.push(i);
        }
        assert_eq!(ring.iter().copied().collect::<Vec<_>>(), vec![7, 8, 9]);
        assert_eq!(ring.total(), 10);
        assert_eq!(ring.dropped(), 7);
        assert_eq!(ring.get_seq(7), Some(&7));
        assert_eq!(ring.get_seq(6), None);
        assert_eq!(ring.get_seq(10), None);
    }

    #[test]
    fn clear_counts_as_dropped() {
        let mut ring = Ring::new(5);
        ring.push(1);
        ring.push(2);
        ring.clear();
        assert_eq!(ring.total(), 2);
        assert_eq!(ring.dropped(), 2);
        assert!(ring.is_empty());
    }
}
