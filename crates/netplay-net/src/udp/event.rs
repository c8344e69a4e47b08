//! What a UDP socket reports to its front end.

use std::net::SocketAddr;
use std::sync::Arc;

use crate::behaviour::burst::BurstReport;
use crate::behaviour::loop_guard::Blocked;
use crate::udp::stats::UdpStats;
use crate::Payload;

/// What a UDP socket reports.
#[derive(Debug, Clone)]
pub enum UdpEvent {
    /// Bound (and, for an ephemeral socket, connected).
    Bound {
        /// The local address; shows the port the OS chose.
        local: SocketAddr,
        /// The peer an ephemeral socket is connected to.
        connected: Option<SocketAddr>,
        /// Live counters.
        stats: Arc<UdpStats>,
    },
    /// What was asked of the socket besides its address (a group joined,
    /// `SO_BROADCAST`, the multicast TTL…), in words.
    Note {
        /// The line.
        text: String,
    },
    /// Could not bind; the task has ended.
    BindFailed {
        /// One-line reason.
        reason: String,
    },
    /// A datagram was delivered (after the lossy switch, if on).
    Received {
        /// The source address and port (what a reply goes back to).
        from: SocketAddr,
        /// The datagram, or its preview, with its exact length.
        data: Payload,
        /// Set when the lossy switch duplicated or delayed it.
        note: Option<String>,
        /// Set when it was sent to a multicast group or a broadcast
        /// address (read with IP_PKTINFO), not to this socket alone.
        to: Option<Box<super::pktinfo::Arrival>>,
    },
    /// A rule answered a datagram (rules mode).
    RuleMatched {
        /// Who sent it.
        from: SocketAddr,
        /// The rule's line in the rules file.
        rule: usize,
    },
    /// A datagram went straight back to its sender (echo mode, the
    /// socket took it at once): one event where `Received` and `Sent`
    /// would carry the same bytes twice.
    Echoed {
        /// Who sent it, and got it back.
        peer: SocketAddr,
        /// The datagram, or its preview, with its exact length.
        data: Payload,
    },
    /// A datagram was sent.
    Sent {
        /// The destination address and port.
        to: SocketAddr,
        /// The datagram, or its preview, with its exact length.
        data: Payload,
    },
    /// The lossy switch dropped a received datagram.
    Lost {
        /// The source address and port of the dropped datagram.
        from: SocketAddr,
        /// Its exact length.
        len: usize,
    },
    /// A peer sends every echo straight back (a client repeating
    /// itself, or a loop with another echo server): said once per peer;
    /// it is still answered.
    LoopSuspect {
        /// The peer.
        peer: SocketAddr,
        /// The sentence, with its rate.
        reason: String,
    },
    /// Automatic replies to a peer were switched off (`on`) or on again.
    NoReply {
        /// The peer (an address, or every port of an IP).
        peer: Blocked,
        /// Whether replies to it are now off.
        on: bool,
        /// Why it could not be done, if it could not.
        refused: Option<String>,
    },
    /// A send or receive failed; the socket keeps running.
    Error {
        /// One-line reason.
        reason: String,
    },
    /// A burst's account.
    BurstDone(BurstReport),
    /// The socket is closed.
    Closed,
}
