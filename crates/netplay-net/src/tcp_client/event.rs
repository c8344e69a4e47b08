//! What an outgoing connection reports, in order.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::tls::TlsInfo;
use crate::{CloseReason, ConnStats, Payload};

/// What an outgoing connection reports.
#[derive(Debug, Clone)]
pub enum ClientEvent {
    /// The target's name resolved to these addresses (tried in order).
    Resolved {
        /// Every address the resolver returned.
        addrs: Vec<SocketAddr>,
        /// How `--connect-to` / `--resolve` changed where it goes, if they did.
        via: Option<String>,
    },
    /// A proxy opened the tunnel: its handshake, line by line.
    Proxy {
        /// What was said each way.
        lines: Vec<String>,
    },
    /// Trying one address.
    Connecting {
        /// The address being tried.
        remote: SocketAddr,
    },
    /// Connected: the socket's full 4-tuple.
    Connected {
        /// This side's address and ephemeral port.
        local: SocketAddr,
        /// The server's address and port.
        remote: SocketAddr,
        /// Live counters.
        stats: Arc<ConnStats>,
    },
    /// Connected over a UNIX domain socket (`unix:/path`).
    ConnectedUnix {
        /// The socket file, as shown.
        path: String,
        /// Who is on the other end (SO_PEERCRED), in words.
        peer: String,
        /// Live counters.
        stats: Arc<ConnStats>,
    },
    /// The TLS handshake finished (a TLS connection only).
    TlsEstablished {
        /// What was negotiated, the chain and the verification result.
        info: Box<TlsInfo>,
        /// The TCP connect alone (from the first SYN's attempt to the
        /// connection, lookup included).
        connect: Duration,
        /// The TLS handshake alone (from the connection to its end).
        handshake: Duration,
        /// When the handshake finished: a timeline marks it here, so the
        /// words and the timeline tell the same time.
        done: std::time::Instant,
    },
    /// The kernel's view of the connection (`TCP_INFO`), when asked for:
    /// every second, and once more just before the close (`last`).
    TcpInfo {
        /// The sample.
        info: crate::kernel::tcp_info::TcpInfo,
        /// Whether this is the sample taken at the close.
        last: bool,
    },
    /// The socket's options as the kernel reports them, after a
    /// [`ClientHandle::set_option`] (or `Err`: why it was not set).
    Options(Result<crate::kernel::sockopts::SockOptions, String>),
    /// Lookup, connect or the TLS handshake failed; the task has ended.
    ConnectFailed {
        /// One-line reason.
        reason: String,
    },
    /// One read returned data.
    Received(Payload),
    /// Bytes were written.
    Sent(Payload),
    /// A replay asked for in [`Connect::replay`] ended: `Ok(None)` when
    /// the server answered as recorded, else where it first differed (or
    /// why the replay stopped).
    Replayed(Result<Option<crate::record::replay::Difference>, String>),
    /// This side's write half is shut down (FIN sent); reads continue.
    WriteShutdown,
    /// The peer sent its FIN while our write side stays open
    /// ([`super::Connect::write_after_peer_fin`]): nothing more comes in;
    /// what we send still goes out until we shut down too.
    PeerHalfClosed,
    /// The connection ended; the task has ended.
    Closed {
        /// Who or what ended it.
        reason: CloseReason,
    },
}
