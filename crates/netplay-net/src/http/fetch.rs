//! One request on one task: resolve, connect, TLS, write the raw request,
//! read and parse the response, spool the body — each step timed, all of it
//! within the request's timeout, cancelled when the handle drops.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use url::Url;

mod websocket;

pub use websocket::WsSend;

use super::body::{BodyCollector, BodyFile};
use super::response::{Output, ResponseParser};
use super::tls::{self, TlsOptions};
use super::{HttpEvent, Timings};
use crate::error::{connect_error, human_duration, stream_error};
use crate::files::Replacing;
use crate::{Engine, Event, Payload, RequestId, StopFlag};

/// Everything needed to send one request.
#[derive(Debug, Clone)]
pub struct FetchRequest {
    /// Where to connect (scheme, host, port).
    pub url: Url,
    /// The exact bytes to write.
    pub wire: Vec<u8>,
    /// Whether the method is HEAD (its response has no body).
    pub head_request: bool,
    /// Certificate checking for https.
    pub tls: TlsOptions,
    /// Limit for the whole exchange.
    pub timeout: Duration,
    /// Where the body goes besides the in-memory preview.
    pub body: BodyTarget,
    /// Heads that end the request before any body is kept (so a refused
    /// response never replaces a file).
    pub refuse: Refuse,
    /// Capture the connection (ciphertext under TLS, with the session's
    /// secrets) into this pcapng file (`fetch --pcap`).
    pub capture: Option<std::sync::Arc<crate::pcap::tap::SyncCapture>>,
    /// `--resolve` and `--connect-to` (the Host header and the TLS name
    /// stay the URL's).
    pub names: std::sync::Arc<crate::names::Overrides>,
    /// Go through this proxy (a tunnel; plain HTTP to an HTTP proxy goes
    /// whole, in absolute form).
    pub proxy: Option<std::sync::Arc<crate::proxy::Proxy>>,
    /// Connect to this UNIX socket instead of the URL's host (curl's
    /// `--unix-socket`); names and proxies do not apply then.
    pub unix_socket: Option<std::path::PathBuf>,
}

/// Responses a front end refuses (`fetch --strict`, `fetch --fail`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Refuse {
    /// A head that is not valid HTTP/1.1.
    pub invalid_head: bool,
    /// A status of 400 or more.
    pub error_status: bool,
}

impl Refuse {
    /// Why `head` is refused, if it is.
    pub fn reason(&self, head: &super::Head) -> Option<String> {
        if self.invalid_head {
            if let Some(summary) = head.invalid_summary() {
                return Some(format!("{summary} (--strict)"));
            }
        }
        if self.error_status && head.status >= 400 {
            return Some(format!("the server answered {} (--fail)", head.status));
        }
        None
    }
}

/// Where a response body is written as it arrives.
#[derive(Debug, Clone, Default)]
pub enum BodyTarget {
    /// A temporary spool file, deleted when the last holder of the summary
    /// drops it (the TUI saves from it).
    #[default]
    Spool,
    /// This file: written beside it under a temporary name, and put in its
    /// place only when the body is complete (a failed download leaves a
    /// file that was there intact). A missing directory fails at once.
    File(std::path::PathBuf),
    /// Each piece, in order, on this channel; a full channel slows the
    /// download (back-pressure) instead of growing memory.
    Stream(tokio::sync::mpsc::Sender<Vec<u8>>),
}

/// A request in flight; dropping it (or [`FetchHandle::cancel`]) cancels it.
pub struct FetchHandle {
    id: RequestId,
    stop: tokio::sync::watch::Sender<bool>,
    websocket: tokio::sync::mpsc::Sender<WsSend>,
}

impl FetchHandle {
    /// The id every event of this request carries.
    pub fn id(&self) -> RequestId {
        self.id
    }

    /// Abandons the request; a `Failed { reason: "cancelled" }` follows.
    pub fn cancel(&self) {
        self.stop.send_replace(true);
    }

    /// Asks the upgraded WebSocket to send a message, ping or close;
    /// `false` when none is open or 64 requests already wait.
    pub fn ws_send(&self, what: WsSend) -> bool {
        self.websocket.try_send(what).is_ok()
    }
}

impl Drop for FetchHandle {
    fn drop(&mut self) {
        self.cancel();
    }
}

/// Starts `request` on its own task.
pub fn fetch(engine: &Engine, request: FetchRequest) -> FetchHandle {
    let id = RequestId(engine.next_id());
    let (stop_tx, stop) = StopFlag::new();
    let task = Fetch {
        engine: engine.clone(),
        id,
        started: Instant::now(),
        timings: Timings::default(),
        phase: "resolving",
        body: None,
        target: None,
        sse: None,
        streaming: Arc::new(AtomicBool::new(false)),
        stream_read_at: Arc::new(std::sync::atomic::AtomicU64::new(u64::MAX)),
    };
    let (websocket, commands) = tokio::sync::mpsc::channel(64);
    engine.spawn(task.run(request, stop, commands));
    FetchHandle {
        id,
        stop: stop_tx,
        websocket,
    }
}

mod reach;

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

struct Fetch {
    engine: Engine,
    id: RequestId,
    started: Instant,
    timings: Timings,
    phase: &'static str,
    body: Option<BodyCollector>,
    /// The user's file for [`BodyTarget::File`], opened before connecting.
    target: Option<Replacing>,
    /// The body read as Server-Sent Events (a `text/event-stream` answer).
    sse: Option<super::sse::SseParser>,
    /// Set once an event stream began: the request's time limit no longer
    /// applies (a stream lives until the server ends it or it is cancelled).
    streaming: Arc<AtomicBool>,
    /// An event stream's last read, in ms from the start (`u64::MAX`: not
    /// an event stream): the request's limit counts its silence.
    stream_read_at: Arc<std::sync::atomic::AtomicU64>,
}

const READ_BUFFER: usize = 64 * 1024;

/// How the exchange ended.
enum Ended {
    Done(Result<(), String>),
    Cancelled,
    TimedOut,
    /// An event stream said nothing for the whole limit.
    Silent,
}

impl Fetch {
    async fn emit(&self, event: HttpEvent) {
        self.engine.emit(Event::Http(self.id, event)).await;
    }

    fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    async fn run(
        mut self,
        request: FetchRequest,
        mut stop: StopFlag,
        mut commands: tokio::sync::mpsc::Receiver<WsSend>,
    ) {
        if let BodyTarget::File(path) = &request.body {
            // A file that cannot be written fails the request before any
            // byte is downloaded.
            match Replacing::create(path) {
                Ok(target) => self.target = Some(target),
                Err(reason) => {
                    self.timings.total = self.elapsed();
                    self.emit(HttpEvent::Failed {
                        reason,
                        timings: self.timings,
                        body: None,
                    })
                    .await;
                    return;
                }
            }
        }
        let limit = request.timeout;
        let ended = {
            let streaming = Arc::clone(&self.streaming);
            let read_at = Arc::clone(&self.stream_read_at);
            let started = self.started;
            let exchange = self.exchange(&request, &mut commands);
            tokio::pin!(exchange);
            let deadline = tokio::time::sleep(limit);
            tokio::pin!(deadline);
            loop {
                tokio::select! {
                    biased;
                    () = stop.stopped() => break Ended::Cancelled,
                    result = &mut exchange => break Ended::Done(result),
                    () = &mut deadline => {
                        if !streaming.load(Ordering::Relaxed) {
                            break Ended::TimedOut;
                        }
                        // An event stream may run for ever, but not silent
                        // for longer than the limit; a WebSocket has no limit.
                        let next = match read_at.load(Ordering::Relaxed) {
                            u64::MAX => tokio::time::Instant::now() + Duration::from_secs(365 * 24 * 3600),
                            last => tokio::time::Instant::from_std(started) + Duration::from_millis(last) + limit,
                        };
                        if next <= tokio::time::Instant::now() {
                            break Ended::Silent;
                        }
                        deadline.as_mut().reset(next);
                    }
                }
            }
        };
        let outcome = match ended {
            Ended::Done(result) => result,
            Ended::Cancelled => Err("cancelled".to_string()),
            Ended::TimedOut => Err(timed_out(limit, self.phase)),
            Ended::Silent => Err(format!(
                "the event stream was silent for {} (the request's time limit)",
                human_duration(limit)
            )),
        };
        self.timings.total = self.elapsed();
        let complete = outcome.is_ok();
        let body = self.body.take().map(|body| body.finish(complete));
        let event = match (outcome, body) {
            (Ok(()), Some(body)) => HttpEvent::Done {
                body: Box::new(body),
                timings: self.timings,
            },
            (Ok(()), None) => HttpEvent::Failed {
                reason: "internal: finished without a body collector".into(),
                timings: self.timings,
                body: None,
            },
            (Err(reason), body) => HttpEvent::Failed {
                reason,
                timings: self.timings,
                body: body.map(Box::new),
            },
        };
        self.emit(event).await;
    }

    async fn exchange(
        &mut self,
        request: &FetchRequest,
        commands: &mut tokio::sync::mpsc::Receiver<WsSend>,
    ) -> Result<(), String> {
        let url = &request.url;
        let host = url.host_str().ok_or("the URL has no host")?.to_string();
        let port = url
            .port_or_known_default()
            .ok_or("the URL has no port and no known default")?;
        let authority = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        // A bad CA file is the user's to fix: say so before touching the network.
        let tls_client = if matches!(url.scheme(), "https" | "wss") {
            Some(tls::client(&request.tls, &["http/1.1"])?)
        } else {
            None
        };
        let (stream, wire) = match &request.unix_socket {
            Some(path) => {
                self.reach_unix(request, path, (&host, port), tls_client.is_some())
                    .await?
            }
            None => {
                self.reach_tcp(request, (&host, port, &authority), tls_client.is_some())
                    .await?
            }
        };
        let mut io: Box<dyn Io> = if let Some(client) = tls_client {
            self.phase = "in the TLS handshake";
            let name = client.server_name(&host)?;
            let mut config = std::sync::Arc::clone(&client.config);
            if let Some(capture) = &request.capture {
                capture.hold_for_secrets();
                // The session's secrets go into the capture too.
                let config = std::sync::Arc::make_mut(&mut config);
                let also = Some(std::sync::Arc::clone(&config.key_log));
                let log =
                    crate::pcap::tap::CaptureKeyLog::new(std::sync::Arc::clone(capture), also);
                config.key_log = std::sync::Arc::new(log);
            }
            let connector = tokio_rustls::TlsConnector::from(config);
            let tls_stream = connector
                .connect(name.clone(), stream)
                .await
                .map_err(|err| client.describe(&err))?;
            self.timings.tls = Some(self.elapsed());
            let info = client.info(tls_stream.get_ref().1, &name);
            self.emit(HttpEvent::TlsEstablished(Box::new(info))).await;
            Box::new(tls_stream)
        } else {
            Box::new(stream)
        };

        self.phase = "sending the request";
        io.write_all(&wire)
            .await
            .map_err(|err| format!("sending the request failed: {}", stream_error(&err)))?;
        io.flush()
            .await
            .map_err(|err| format!("sending the request failed: {}", stream_error(&err)))?;
        self.emit(HttpEvent::RequestSent(Payload::first(
            &super::proxied::shown(&wire),
            super::REQUEST_PREVIEW,
        )))
        .await;

        self.phase = "waiting for the response";
        let mut parser = ResponseParser::new(request.head_request);
        let mut buffer = vec![0u8; READ_BUFFER];
        loop {
            let read = io.read(&mut buffer).await;
            if self.sse.is_some() {
                let now = self.elapsed().as_millis() as u64;
                self.stream_read_at.store(now, Ordering::Relaxed);
            }
            let eof = match &read {
                Ok(n) => *n == 0,
                Err(err) => err.kind() == std::io::ErrorKind::UnexpectedEof,
            };
            let outputs = match read {
                Ok(0) => parser.finish().map_err(|e| e.0)?,
                Ok(n) => {
                    if self.timings.first_byte.is_none() {
                        self.timings.first_byte = Some(self.elapsed());
                    }
                    parser.feed(&buffer[..n]).map_err(|e| e.0)?
                }
                Err(err) if err.kind() == std::io::ErrorKind::UnexpectedEof => {
                    // A TLS peer that closed without close_notify: treat as end of stream.
                    parser.finish().map_err(|e| e.0)?
                }
                Err(err) => {
                    return Err(match &self.body {
                        Some(body) => {
                            format!("{} after {} body bytes", stream_error(&err), body.size())
                        }
                        None => format!("{} while {}", stream_error(&err), self.phase),
                    })
                }
            };
            for output in outputs {
                match output {
                    Output::Interim(head) => self.emit(HttpEvent::Interim(Box::new(head))).await,
                    Output::Head(head)
                        if head.status == 101
                            && websocket::upgrade_key(&request.wire).is_some() =>
                    {
                        let key = websocket::upgrade_key(&request.wire).unwrap_or_default();
                        let offered = websocket::offered_protocols(&request.wire);
                        let checked = crate::ws::handshake::check_response(
                            101,
                            &head.headers,
                            &key,
                            &offered,
                        );
                        self.body = Some(BodyCollector::new(None, BodyFile::None));
                        self.emit(HttpEvent::Head(Box::new(head))).await;
                        let protocol = checked.map_err(|why| format!("no WebSocket: {why}"))?;
                        self.streaming.store(true, Ordering::Relaxed);
                        let path = request.url.path().to_string();
                        self.emit(HttpEvent::WebSocket(Box::new(
                            crate::ws::WsEvent::Upgraded { path, protocol },
                        )))
                        .await;
                        return self.websocket(&mut io, parser.take_rest(), commands).await;
                    }
                    Output::Head(head) => {
                        if let Some(reason) = request.refuse.reason(&head) {
                            self.emit(HttpEvent::Head(Box::new(head))).await;
                            return Err(reason);
                        }
                        let encoding = head
                            .header("content-encoding")
                            .map(|v| String::from_utf8_lossy(v).into_owned());
                        let file = match (&request.body, self.target.take()) {
                            (_, Some(target)) => BodyFile::Target(target),
                            (BodyTarget::Spool, None) => match self.engine.spool_dir() {
                                Ok(dir) => BodyFile::Spool(dir),
                                Err(reason) => BodyFile::Unavailable(reason),
                            },
                            _ => BodyFile::None,
                        };
                        self.body = Some(BodyCollector::new(encoding.as_deref(), file));
                        self.phase = "reading the body";
                        if head
                            .header("content-type")
                            .is_some_and(super::sse::is_event_stream)
                        {
                            self.sse = Some(super::sse::SseParser::new());
                            self.stream_read_at
                                .store(self.elapsed().as_millis() as u64, Ordering::Relaxed);
                            self.streaming.store(true, Ordering::Relaxed);
                            self.phase = "reading the event stream";
                        }
                        self.emit(HttpEvent::Head(Box::new(head))).await;
                    }
                    Output::Body(piece) => {
                        if let Some(body) = &mut self.body {
                            body.push(&piece);
                        }
                        let events = self
                            .sse
                            .as_mut()
                            .map(|sse| sse.feed(&piece))
                            .unwrap_or_default();
                        for event in events {
                            self.emit(HttpEvent::Sse(Box::new(event))).await;
                        }
                        if let BodyTarget::Stream(stream) = &request.body {
                            if stream.send(piece).await.is_err() {
                                return Err("the body's reader went away".into());
                            }
                        }
                    }
                    Output::Trailers(trailers) => self.emit(HttpEvent::Trailers(trailers)).await,
                    Output::Warning(words) => self.emit(HttpEvent::Warning(words)).await,
                    Output::Done => return Ok(()),
                }
            }
            if eof {
                return Ok(());
            }
        }
    }
}

async fn connect_any(addrs: &[SocketAddr]) -> Result<TcpStream, String> {
    let mut reasons = Vec::new();
    for addr in addrs {
        match TcpStream::connect(addr).await {
            Ok(stream) => return Ok(stream),
            Err(err) => reasons.push(connect_error(&err, *addr)),
        }
    }
    let mut reason = reasons
        .pop()
        .unwrap_or_else(|| "no address to connect to".into());
    if !reasons.is_empty() {
        reason.push_str(&format!(
            " (and {} other address(es) failed)",
            reasons.len()
        ));
    }
    Err(reason)
}

/// The reason of a request that ran out of time `while` in a phase
/// (`reading the body`): the words [`crate::explain`] tells apart.
pub fn timed_out(limit: std::time::Duration, phase: &str) -> String {
    format!("timed out after {} while {phase}", human_duration(limit))
}
