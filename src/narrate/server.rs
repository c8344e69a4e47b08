//! A TCP server's sentences (the TCP Server tab's log and `netplay tcp
//! serve`). The wording follows the tutorial: `Accept new connection from 127.0.0.1:35985...`,
//! `Connection from 127.0.0.1:35985 closed.`

use std::collections::HashMap;

use super::{Kind, Narration};
use crate::net::tcp_server::ServerEvent;
use crate::net::{CloseReason, ConnId};

/// Turns server events into sentences, remembering each connection's peer
/// (already written out: a busy connection's every read names it).
#[derive(Debug, Default)]
pub struct ServerNarrator {
    peers: HashMap<ConnId, String>,
}

impl ServerNarrator {
    /// A narrator that has seen nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The peer of `conn`, as written when it was accepted.
    pub fn peer(&self, conn: ConnId) -> std::borrow::Cow<'_, str> {
        match self.peers.get(&conn) {
            Some(peer) => std::borrow::Cow::Borrowed(peer),
            None => std::borrow::Cow::Owned(conn.to_string()),
        }
    }

    /// The sentence for `event`; `mode` names the server's behaviour.
    pub fn narrate(&mut self, event: &ServerEvent, mode: &str) -> Narration {
        match event {
            ServerEvent::Listening { local } => Narration::new(
                Kind::Good,
                format!("Listening on {local} (mode {mode}). Waiting for connection..."),
            ),
            ServerEvent::StartFailed { reason } => {
                Narration::new(Kind::Error, format!("Cannot listen: {reason}"))
            }
            ServerEvent::AcceptFailed { reason } | ServerEvent::Warning { reason } => {
                Narration::new(Kind::Error, reason.clone())
            }
            ServerEvent::Accepted {
                conn, peer, local, ..
            } => {
                self.peers.insert(*conn, peer.to_string());
                Narration::new(
                    Kind::Info,
                    format!("Accept new connection from {peer}... ({conn}, local {local})"),
                )
            }
            ServerEvent::Rejected { peer, limit } => Narration::new(
                Kind::Error,
                format!("Refused connection from {peer}: {limit} connections open (--max-conn)"),
            ),
            ServerEvent::Received { conn, data } => Narration {
                kind: Kind::In,
                text: format!("{conn} received {} B from {}: ", data.len, self.peer(*conn)),
                data: Some(data.clone()),
            },
            ServerEvent::Echoed { conn, data } => Narration {
                kind: Kind::Echo,
                text: format!("{conn} echoed {} B back to {}: ", data.len, self.peer(*conn)),
                data: Some(data.clone()),
            },
            ServerEvent::Sent { conn, data } => Narration {
                kind: Kind::Out,
                text: format!("{conn} sent {} B to {}: ", data.len, self.peer(*conn)),
                data: Some(data.clone()),
            },
            ServerEvent::PeerHalfClosed { conn } => Narration::new(
                Kind::Info,
                format!(
                    "{conn} {} shut down its write side (FIN): the connection stays open for a reply",
                    self.peer(*conn)
                ),
            ),
            ServerEvent::Closed { conn, reason } => {
                let peer = self.peer(*conn).into_owned();
                self.peers.remove(conn);
                let kind = if matches!(reason, CloseReason::Error(_)) {
                    Kind::Error
                } else {
                    Kind::Info
                };
                Narration::new(
                    kind,
                    format!("Connection from {peer} closed. ({conn}, {reason})"),
                )
            }
            ServerEvent::Stopped => Narration::new(
                Kind::Info,
                "Stopped listening; every connection is closed.".to_string(),
            ),
            ServerEvent::TlsAccepted {
                conn,
                version,
                cipher,
                sni,
                alpn,
            } => Narration::new(
                Kind::Good,
                format!(
                    "{conn} TLS handshake done with {}: {version} · {cipher} · SNI {} · ALPN {}",
                    self.peer(*conn),
                    sni.as_deref().unwrap_or("none"),
                    alpn.as_deref().unwrap_or("none")
                ),
            ),
            ServerEvent::TcpInfo { conn, info, .. } => Narration::new(
                Kind::Info,
                format!("{conn} {}", info.line()),
            ),
            ServerEvent::RuleMatched { conn, rule } => {
                Narration::new(Kind::Info, format!("{conn} rule {rule} matched"))
            }
            ServerEvent::Options { conn, options } => match options {
                Ok(options) => Narration::new(Kind::Info, format!("{conn} {}", options.line())),
                Err(reason) => Narration::new(Kind::Error, format!("{conn} {reason}")),
            },
            ServerEvent::WebSocket { conn, event } => super::websocket::narrate(*conn, event),
            ServerEvent::TlsFailed { conn, reason } => Narration::new(
                Kind::Error,
                format!("{conn} TLS handshake with {} failed: {reason}", self.peer(*conn)),
            ),
        }
    }
}
