//! A TCP client's sentences (the TCP Client tab's log and `netplay tcp
//! connect`).

use std::net::SocketAddr;
use std::time::Duration;

use crate::format::human_duration;

/// The connection is up: the 4-tuple, as the tutorial shows it.
pub fn connected(local: SocketAddr, remote: SocketAddr) -> String {
    format!("Connected: local {local} (you) ⇄ remote {remote} (server)")
}

/// The TLS handshake finished (and how long the TCP connect took before it).
pub fn tls_done(handshake: Duration, connect: Duration) -> String {
    format!(
        "TLS handshake done in {} (the connect took {})",
        human_duration(handshake),
        human_duration(connect)
    )
}

/// The next attempt of `--reconnect` / the tab's reconnect.
pub fn reconnecting(wait: Duration, attempt: u64) -> String {
    format!(
        "Reconnecting in {} (attempt {attempt})",
        human_duration(wait)
    )
}
