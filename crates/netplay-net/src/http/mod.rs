//! HTTP/1.1 and HTTPS over a socket, the tutorial's first program grown up:
//! the exact bytes that went out, the exact head that came back, the body
//! streamed to disk with a preview in memory, and curl-like timings.

pub mod body;
pub mod content_length;
pub mod fetch;
pub mod har;
pub mod lenient;
pub(crate) mod proxied;
pub mod request;
pub mod response;
pub mod sse;
pub use super::tls;

use std::net::SocketAddr;
use std::time::Duration;

pub use body::{BodySummary, Spool};
pub use fetch::{fetch, BodyTarget, FetchHandle, FetchRequest, Refuse};
pub use response::Head;
pub use tls::{TlsInfo, TlsOptions};

/// Bytes of the request as sent carried in [`HttpEvent::RequestSent`]: the
/// whole head and the start of any body (an upload is not copied whole).
pub const REQUEST_PREVIEW: usize = 64 * 1024;

/// The default limit for a whole request, from lookup to the last byte.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Cumulative times since the request started, as `curl -w` reports them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timings {
    /// Name lookup done (absent for an address literal).
    pub dns: Option<Duration>,
    /// TCP connected.
    pub connect: Option<Duration>,
    /// TLS handshake done.
    pub tls: Option<Duration>,
    /// First response byte arrived.
    pub first_byte: Option<Duration>,
    /// Everything done (or failed).
    pub total: Duration,
}

/// What one HTTP request reports, in order.
#[derive(Debug, Clone)]
pub enum HttpEvent {
    /// The host name resolved.
    Resolved {
        /// Every address, in the order tried.
        addrs: Vec<SocketAddr>,
    },
    /// What the connection was made with, as four lines: the name
    /// connected to, the address, the Host header, the TLS server name
    /// (`--resolve` and `--connect-to` change the first two only).
    Names(Box<[String; 4]>),
    /// The way through a proxy: its handshake, line by line (or the note
    /// that plain HTTP goes to it whole).
    Proxy(Vec<String>),
    /// Connected: the socket's 4-tuple.
    Connected {
        /// This side.
        local: SocketAddr,
        /// The server.
        remote: SocketAddr,
    },
    /// The TLS handshake finished. (Large events are boxed: every event
    /// is as big as the largest, and a busy log moves thousands a second.)
    TlsEstablished(Box<TlsInfo>),
    /// The request bytes as written to the socket.
    RequestSent(crate::Payload),
    /// A 1xx interim response, shown and skipped.
    Interim(Box<Head>),
    /// The final response head.
    Head(Box<Head>),
    /// Trailer fields after a chunked body.
    Trailers(Vec<(String, Vec<u8>)>),
    /// The body's framing did something a strict parser refuses (said
    /// once per kind per response).
    Warning(String),
    /// The upgraded WebSocket: the checked 101, each frame either way,
    /// reassembled messages, broken rules.
    WebSocket(Box<crate::ws::WsEvent>),
    /// One Server-Sent Event of a `text/event-stream` body, as it arrived
    /// (the body itself still streams and is saved whole).
    Sse(Box<sse::SseEvent>),
    /// The response is complete.
    Done {
        /// The body.
        body: Box<BodySummary>,
        /// Timings.
        timings: Timings,
    },
    /// The body was saved to a file.
    Saved(std::path::PathBuf),
    /// Saving the body failed.
    SaveFailed(String),
    /// The request failed; what arrived so far is kept.
    Failed {
        /// One-line reason.
        reason: String,
        /// Timings up to the failure.
        timings: Timings,
        /// The part of the body that arrived, if the head did.
        body: Option<Box<BodySummary>>,
    },
}

/// Copies a spooled body to a new file in `dir` (never overwriting) on a
/// blocking thread; reports [`HttpEvent::Saved`] or [`HttpEvent::SaveFailed`]
/// under `id`.
pub fn save_body(
    engine: &crate::Engine,
    id: crate::RequestId,
    spool: std::sync::Arc<Spool>,
    dir: std::path::PathBuf,
    name: String,
) {
    engine.save_with(
        move || body::save_spool(&spool, &dir, &name),
        move |outcome| {
            let event = match outcome {
                Ok(path) => HttpEvent::Saved(path),
                Err(reason) => HttpEvent::SaveFailed(reason),
            };
            crate::Event::Http(id, event)
        },
    );
}
