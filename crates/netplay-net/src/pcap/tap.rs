//! A capture taken under TLS: a stream wrapper that adds every byte read
//! and written on the TCP socket — ciphertext, when TLS runs over it — to
//! a pcapng file, and a key log that puts the session's secrets in the
//! same file (a Decryption Secrets Block), so Wireshark opens it
//! decrypted.
//!
//! The wrapper is polled, not awaited, so it cannot wait for a writer
//! task: it writes into a buffered file under a lock. Each poll adds one
//! read's or one write's packets (at most a few per 64 KiB), and only a
//! fetch that was asked to capture pays for it.

use std::io::{BufWriter, Write as _};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::SystemTime;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::flow::{TcpFlow, CLIENT, SERVER};
use super::PcapWriter;

struct State {
    writer: Option<PcapWriter<BufWriter<std::fs::File>>>,
    file: Option<crate::files::Replacing>,
    error: Option<String>,
    /// Packets held until the handshake's secrets are known.
    held: Option<Held>,
}

/// Wireshark decrypts a TLS session only with its secrets read before the
/// first encrypted record — but the record that lets rustls derive them
/// has passed the tap by then. So a TLS flow's packets wait here until the
/// handshake secrets are logged, and the file gets the secrets first.
#[derive(Default)]
struct Held {
    packets: Vec<(SystemTime, Vec<u8>)>,
    bytes: usize,
    secrets: Vec<u8>,
}

/// Held packets past this are written without waiting (a handshake is a
/// few kilobytes).
const HOLD_LIMIT: usize = 1024 * 1024;

/// A pcapng file written from inside poll functions.
pub struct SyncCapture {
    state: Mutex<State>,
}

impl std::fmt::Debug for SyncCapture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SyncCapture")
    }
}

impl SyncCapture {
    /// A capture that will replace `target` when finished.
    pub fn create(target: &std::path::Path, comment: &str) -> Result<Arc<Self>, String> {
        let mut file = crate::files::Replacing::private(target)
            .map_err(|reason| format!("cannot capture to {reason}"))?;
        let clone = file
            .file()
            .try_clone()
            .map_err(|err| format!("cannot capture: {err}"))?;
        let writer = PcapWriter::new(BufWriter::new(clone), comment)
            .map_err(|err| format!("cannot capture: {err}"))?;
        Ok(Arc::new(Self {
            state: Mutex::new(State {
                writer: Some(writer),
                file: Some(file),
                error: None,
                held: None,
            }),
        }))
    }

    /// [`SyncCapture::create`] for a front end: a new file named
    /// `stem-<time>.pcapng` in `dir` (never one that exists); finish it
    /// with [`crate::Engine::finish_capture`].
    pub fn create_new(
        dir: &std::path::Path,
        stem: &str,
        comment: &str,
    ) -> Result<Arc<Self>, String> {
        Self::create(&super::capture::fresh_name(dir, stem)?, comment)
    }

    fn with(
        &self,
        write: impl FnOnce(&mut PcapWriter<BufWriter<std::fs::File>>) -> std::io::Result<()>,
    ) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.error.is_some() {
            return;
        }
        if let Some(writer) = state.writer.as_mut() {
            if let Err(err) = write(writer) {
                state.error = Some(format!("writing the capture failed: {err}"));
            }
        }
    }

    fn packets(&self, packets: Vec<Vec<u8>>) {
        let at = SystemTime::now();
        {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(held) = state.held.as_mut() {
                held.bytes += packets.iter().map(Vec::len).sum::<usize>();
                held.packets
                    .extend(packets.into_iter().map(|packet| (at, packet)));
                if held.bytes > HOLD_LIMIT {
                    drop(state);
                    self.release(None);
                }
                return;
            }
        }
        self.with(|writer| {
            packets
                .iter()
                .try_for_each(|packet| writer.packet(at, packet))
        });
    }

    /// Holds this capture's packets until a TLS handshake's secrets are
    /// logged (see [`Held`]).
    pub fn hold_for_secrets(&self) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.held.get_or_insert_with(Held::default);
    }

    /// Writes what is held: `secrets` first, then the packets.
    fn release(&self, more_secrets: Option<&[u8]>) {
        let held = {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            state.held.take()
        };
        let mut held = held.unwrap_or_default();
        if let Some(more) = more_secrets {
            held.secrets.extend_from_slice(more);
        }
        self.with(|writer| {
            if !held.secrets.is_empty() {
                writer.tls_secrets(&held.secrets)?;
            }
            held.packets
                .iter()
                .try_for_each(|(at, packet)| writer.packet(*at, packet))
        });
    }

    /// TLS secrets, NSS key log lines, for the records that follow.
    pub fn secrets(&self, keylog: &[u8]) {
        let write_now = {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            match state.held.as_mut() {
                // The server's first traffic secret (TLS 1.3: logged with
                // the others as the server's Finished is read) or the
                // master secret (TLS 1.2): enough to read the whole session.
                Some(_)
                    if keylog.starts_with(b"SERVER_TRAFFIC_SECRET_0 ")
                        || keylog.starts_with(b"CLIENT_RANDOM ") =>
                {
                    false
                }
                Some(held) => {
                    held.secrets.extend_from_slice(keylog);
                    return;
                }
                None => true,
            }
        };
        if write_now {
            self.with(|writer| writer.tls_secrets(keylog));
        } else {
            self.release(Some(keylog));
        }
    }

    /// Whether nothing was captured (a connection that never opened).
    pub fn is_empty(&self) -> bool {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let written = state.writer.as_ref().map_or(0, PcapWriter::packets);
        written == 0
            && state
                .held
                .as_ref()
                .is_none_or(|held| held.packets.is_empty())
    }

    /// Writes the file whole and puts it in place: where, and how many
    /// packets (or why it failed).
    pub fn finish(&self) -> Result<(PathBuf, u64), String> {
        // A handshake that never finished: its packets go as they are.
        self.release(None);
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(error) = state.error.take() {
            return Err(error);
        }
        let writer = state
            .writer
            .take()
            .ok_or("the capture was finished already")?;
        let packets = writer.packets();
        writer
            .into_inner()
            .flush()
            .map_err(|err| format!("writing the capture failed: {err}"))?;
        let file = state
            .file
            .take()
            .ok_or("the capture was finished already")?;
        Ok((file.finish()?, packets))
    }
}

/// Where a tapped stream's packets go: written at once ([`SyncCapture`]),
/// or handed to a capture's writer task, the stream waiting for room when
/// its queue is full (back-pressure, never a dropped packet).
pub enum Sink {
    /// Written at once.
    Direct(Arc<SyncCapture>),
    /// A writer task's queue.
    Task(Box<TaskSink>),
}

type Reserving = Pin<
    Box<
        dyn std::future::Future<
                Output = Result<
                    tokio::sync::mpsc::OwnedPermit<super::capture::Block>,
                    tokio::sync::mpsc::error::SendError<()>,
                >,
            > + Send,
    >,
>;

/// The queue side of [`Sink::Task`].
pub struct TaskSink {
    sender: tokio::sync::mpsc::Sender<super::capture::Block>,
    pending: std::collections::VecDeque<(SystemTime, Vec<u8>)>,
    reserving: Option<Reserving>,
}

impl Sink {
    pub(crate) fn task(sender: tokio::sync::mpsc::Sender<super::capture::Block>) -> Self {
        Sink::Task(Box::new(TaskSink {
            sender,
            pending: std::collections::VecDeque::new(),
            reserving: None,
        }))
    }

    fn add(&mut self, packets: Vec<Vec<u8>>) {
        match self {
            Sink::Direct(capture) => capture.packets(packets),
            Sink::Task(task) => {
                let at = SystemTime::now();
                task.pending.extend(packets.into_iter().map(|p| (at, p)));
            }
        }
    }

    /// Hands what is pending to the writer; `Pending` while its queue is
    /// full (the waker is woken when there is room).
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Sink::Task(task) = self else {
            return Poll::Ready(());
        };
        while !task.pending.is_empty() {
            let reserving = task
                .reserving
                .get_or_insert_with(|| Box::pin(task.sender.clone().reserve_owned()));
            match reserving.as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(reserved) => {
                    task.reserving = None;
                    let Ok(permit) = reserved else {
                        task.pending.clear(); // the writer failed and said so
                        break;
                    };
                    if let Some((at, packet)) = task.pending.pop_front() {
                        permit.send(super::capture::Block::Packet(at, packet));
                    }
                }
            }
        }
        Poll::Ready(())
    }
}

/// A stream whose bytes go to a capture as one TCP flow; `ours` is the
/// end this side is ([`CLIENT`] for a fetch, [`SERVER`] for a server's
/// connection).
pub struct Tapped<S> {
    inner: S,
    sink: Sink,
    flow: TcpFlow,
    ours: usize,
}

impl<S> Tapped<S> {
    /// Taps `inner`, a connection `client` → `server`: the handshake is
    /// added now.
    pub fn new(
        inner: S,
        mut sink: Sink,
        (client, server): (std::net::SocketAddr, std::net::SocketAddr),
        ours: usize,
    ) -> Self {
        let mut flow = TcpFlow::new(client, server);
        sink.add(flow.open());
        Self {
            inner,
            sink,
            flow,
            ours,
        }
    }

    /// Taps a client's connection from `local` to `remote` into `capture`.
    pub fn client(
        inner: S,
        capture: Arc<SyncCapture>,
        local: std::net::SocketAddr,
        remote: std::net::SocketAddr,
    ) -> Self {
        Self::new(inner, Sink::Direct(capture), (local, remote), CLIENT)
    }
}

impl<S> Drop for Tapped<S> {
    fn drop(&mut self) {
        let packets = self.flow.close_first(self.ours);
        self.sink.add(packets);
        // Whatever still waits for the writer's queue goes with a task of
        // its own (a drop cannot wait).
        if let Sink::Task(task) = &mut self.sink {
            let pending = std::mem::take(&mut task.pending);
            let sender = task.sender.clone();
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move {
                    for (at, packet) in pending {
                        if sender
                            .send(super::capture::Block::Packet(at, packet))
                            .await
                            .is_err()
                        {
                            return;
                        }
                    }
                });
            }
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Tapped<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        std::task::ready!(self.sink.poll_drain(cx));
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        let theirs = if self.ours == CLIENT { SERVER } else { CLIENT };
        match &polled {
            Poll::Ready(Ok(())) => {
                let read = &buf.filled()[before..];
                let packets = if read.is_empty() {
                    self.flow.fin(theirs)
                } else {
                    self.flow.data(theirs, read)
                };
                self.sink.add(packets);
            }
            // The peer's RST, as it happened (not FINs at the drop).
            Poll::Ready(Err(err)) if err.kind() == std::io::ErrorKind::ConnectionReset => {
                let packets = self.flow.reset(theirs);
                self.sink.add(packets);
            }
            _ => {}
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tapped<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        std::task::ready!(self.sink.poll_drain(cx));
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = &polled {
            let ours = self.ours;
            let packets = self.flow.data(ours, &buf[..*n]);
            self.sink.add(packets);
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        std::task::ready!(self.sink.poll_drain(cx));
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        std::task::ready!(self.sink.poll_drain(cx));
        let polled = Pin::new(&mut self.inner).poll_shutdown(cx);
        if let Poll::Ready(Ok(())) = &polled {
            let ours = self.ours;
            let packets = self.flow.fin(ours);
            self.sink.add(packets);
        }
        polled
    }
}

/// Puts a TLS session's secrets in the capture as rustls derives them
/// (and passes them on to another key log: `--keylog`, `SSLKEYLOGFILE`).
pub struct CaptureKeyLog {
    capture: Arc<SyncCapture>,
    also: Option<Arc<dyn rustls::KeyLog>>,
}

impl CaptureKeyLog {
    /// Secrets to `capture`, and to `also`.
    pub fn new(capture: Arc<SyncCapture>, also: Option<Arc<dyn rustls::KeyLog>>) -> Self {
        Self { capture, also }
    }
}

impl std::fmt::Debug for CaptureKeyLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CaptureKeyLog")
    }
}

impl rustls::KeyLog for CaptureKeyLog {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        let line = crate::tls::keylog::nss_line(label, client_random, secret);
        self.capture.secrets(line.as_bytes());
        if let Some(also) = &self.also {
            also.log(label, client_random, secret);
        }
    }
}

/// A TLS session's socket: TCP, tapped under its TLS when a capture is
/// on, or a UNIX socket.
pub enum Wire {
    /// As it is.
    Plain(tokio::net::TcpStream),
    /// Its bytes captured.
    Tapped(Box<Tapped<tokio::net::TcpStream>>),
    /// A UNIX socket (never captured: no IP packets).
    Unix(tokio::net::UnixStream),
}

impl AsyncRead for Wire {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Wire::Plain(stream) => Pin::new(stream).poll_read(cx, buf),
            Wire::Tapped(stream) => Pin::new(stream.as_mut()).poll_read(cx, buf),
            Wire::Unix(stream) => Pin::new(stream).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Wire {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Wire::Plain(stream) => Pin::new(stream).poll_write(cx, buf),
            Wire::Tapped(stream) => Pin::new(stream.as_mut()).poll_write(cx, buf),
            Wire::Unix(stream) => Pin::new(stream).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Wire::Plain(stream) => Pin::new(stream).poll_flush(cx),
            Wire::Tapped(stream) => Pin::new(stream.as_mut()).poll_flush(cx),
            Wire::Unix(stream) => Pin::new(stream).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Wire::Plain(stream) => Pin::new(stream).poll_shutdown(cx),
            Wire::Tapped(stream) => Pin::new(stream.as_mut()).poll_shutdown(cx),
            Wire::Unix(stream) => Pin::new(stream).poll_shutdown(cx),
        }
    }
}
