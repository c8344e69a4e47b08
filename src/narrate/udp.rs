//! A UDP socket's sentences (the UDP tab's status line and log, `netplay
//! udp serve` and `udp send`). The bind line follows the tutorial's
//! `Bind UDP on 127.0.0.1:9999...`.

use std::net::SocketAddr;

/// The socket is bound: a short form (the tab's status line) and the
/// sentence (the log). `mode` is the socket's mode name; `connected`, the
/// one peer of an ephemeral, connected socket.
pub fn bound(local: SocketAddr, connected: Option<SocketAddr>, mode: &str) -> (String, String) {
    match connected {
        Some(peer) => (
            format!("Ephemeral {local} → {peer}"),
            format!("Sending from {local} (an ephemeral port the OS chose), connected to {peer}"),
        ),
        None => (
            format!("Bound {local}"),
            format!(
                "Bind UDP on {local} (mode {mode}): no listen() for UDP, any sender's datagrams arrive"
            ),
        ),
    }
}

/// Binding failed.
pub fn cannot_bind(reason: &str) -> String {
    format!("Cannot bind: {reason}")
}

/// A rule answered a datagram.
pub fn rule_matched(from: SocketAddr, rule: usize) -> String {
    format!("{from}: rule {rule} matched")
}

/// A datagram the lossy switch dropped on receive.
pub fn lost(from: SocketAddr, len: usize) -> String {
    format!("Lost from {from}, {len} B (dropped by the lossy switch)")
}

/// A peer is no longer answered (`--no-reply-to`, Alt+B) or is again.
pub fn no_reply(peer: impl std::fmt::Display, on: bool) -> String {
    if on {
        format!("Not answering {peer}")
    } else {
        format!("Answering {peer} again")
    }
}
