//! The accept side of every netplay listener (the TCP server, the relay,
//! `replay`): one [`Acceptor`], so that what a listener does when the
//! process is out of file descriptors (EMFILE/ENFILE) is written once.
//! Accept then fails at once for every waiting peer, so a naive loop spins
//! and floods the log; the acceptor backs off instead.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

use crate::error::{accept_error, is_too_many_files};
use crate::stream::{Endpoint, Stream, StreamListener};

/// A bound listener and its back-off state.
pub struct Acceptor {
    listener: StreamListener,
    pressure: FdPressure,
}

/// What one [`Acceptor::accept`] gives: a TCP stream and its peer's
/// address (inside the engine, a stream of either family and its
/// [`Endpoint`]).
pub enum Accepted<S = TcpStream, P = SocketAddr> {
    /// A peer. `recovered`: the line to report when this accept ends a
    /// shortage of file descriptors.
    Peer {
        /// The connection.
        stream: S,
        /// Its address.
        peer: P,
        /// Accepting works again (once, after failures).
        recovered: Option<String>,
    },
    /// Accepting failed: the line to report (`None` while out of file
    /// descriptors and already reported within the second).
    Failed(Option<String>),
}

impl Acceptor {
    /// Accepts on `listener`.
    pub fn new(listener: TcpListener) -> Self {
        Self::any(StreamListener::Tcp(listener))
    }

    /// Accepts on a listener of either family.
    pub(crate) fn any(listener: StreamListener) -> Self {
        Self {
            listener,
            pressure: FdPressure::default(),
        }
    }

    /// The next TCP peer (see [`Acceptor::accept_any`]).
    pub async fn accept(&mut self) -> Accepted {
        match self.accept_any().await {
            Accepted::Peer {
                stream: Stream::Tcp(stream),
                peer: Endpoint::Ip(peer),
                recovered,
            } => Accepted::Peer {
                stream,
                peer,
                recovered,
            },
            Accepted::Peer { .. } => Accepted::Failed(Some("not a TCP connection".into())),
            Accepted::Failed(reason) => Accepted::Failed(reason),
        }
    }

    /// The next peer, after waiting out a back-off. Cancel-safe: a
    /// `select!` may drop it at any point and call again.
    pub(crate) async fn accept_any(&mut self) -> Accepted<Stream, Endpoint> {
        if let Some(at) = self.pressure.resume_at {
            tokio::time::sleep_until(at).await;
            self.pressure.resume_at = None;
        }
        match self.listener.accept().await {
            Ok((stream, peer)) => Accepted::Peer {
                stream,
                peer,
                recovered: self.pressure.recovered(),
            },
            // Back off instead of spinning on a full descriptor table; the
            // waiting peers stay in the backlog.
            Err(err) if is_too_many_files(&err) => Accepted::Failed(self.pressure.failed(&err)),
            Err(err) => Accepted::Failed(Some(accept_error(&err))),
        }
    }
}

/// The accept loop's state while the process is out of file descriptors:
/// it waits (100 ms, doubling to 1 s) instead of spinning, reports at most
/// one line a second with a count, and one line when accepting works again.
#[derive(Default)]
struct FdPressure {
    resume_at: Option<tokio::time::Instant>,
    backoff: Duration,
    unreported: u64,
    total: u64,
    last_report: Option<tokio::time::Instant>,
}

impl FdPressure {
    fn failed(&mut self, err: &std::io::Error) -> Option<String> {
        let now = tokio::time::Instant::now();
        self.backoff = (self.backoff * 2).clamp(Duration::from_millis(100), Duration::from_secs(1));
        self.resume_at = Some(now + self.backoff);
        self.unreported += 1;
        self.total += 1;
        if self
            .last_report
            .is_some_and(|last| now.duration_since(last) < Duration::from_secs(1))
        {
            return None;
        }
        self.last_report = Some(now);
        let count = std::mem::take(&mut self.unreported);
        Some(format!(
            "{} ({count} failed attempt(s) since the last line; retrying every {} ms)",
            accept_error(err),
            self.backoff.as_millis()
        ))
    }

    fn recovered(&mut self) -> Option<String> {
        if self.total == 0 {
            return None;
        }
        let total = std::mem::take(&mut self.total);
        *self = Self::default();
        Some(format!(
            "Accepting again: file descriptors freed up after {total} failed attempt(s)"
        ))
    }
}
