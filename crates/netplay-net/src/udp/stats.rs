//! A UDP socket's exact counters: written by its task, read by the UI at
//! draw time, exact whatever the event channel drops.

use std::sync::atomic::{AtomicU64, Ordering};

/// Exact counters of one socket, read by the UI at draw time.
#[derive(Debug, Default)]
pub struct UdpStats {
    pub(crate) datagrams_in: AtomicU64,
    pub(crate) bytes_in: AtomicU64,
    pub(crate) datagrams_out: AtomicU64,
    pub(crate) bytes_out: AtomicU64,
    pub(crate) lost: AtomicU64,
    pub(crate) duplicated: AtomicU64,
    pub(crate) overflow: AtomicU64,
}

/// A copy of [`UdpStats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UdpSnapshot {
    /// Datagrams received from the network (before the lossy switch).
    pub datagrams_in: u64,
    /// Bytes in those datagrams.
    pub bytes_in: u64,
    /// Datagrams sent.
    pub datagrams_out: u64,
    /// Bytes in those datagrams.
    pub bytes_out: u64,
    /// Received datagrams dropped by the lossy switch.
    pub lost: u64,
    /// Received datagrams delivered twice by the lossy switch.
    pub duplicated: u64,
    /// Of `lost`: those dropped because the lossy switch already held
    /// [`crate::udp::MAX_HELD`] delayed datagrams.
    pub overflow: u64,
}

impl UdpStats {
    /// Reads the counters now.
    pub fn snapshot(&self) -> UdpSnapshot {
        UdpSnapshot {
            datagrams_in: self.datagrams_in.load(Ordering::Relaxed),
            bytes_in: self.bytes_in.load(Ordering::Relaxed),
            datagrams_out: self.datagrams_out.load(Ordering::Relaxed),
            bytes_out: self.bytes_out.load(Ordering::Relaxed),
            lost: self.lost.load(Ordering::Relaxed),
            duplicated: self.duplicated.load(Ordering::Relaxed),
            overflow: self.overflow.load(Ordering::Relaxed),
        }
    }
}
