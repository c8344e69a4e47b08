//! The network engine: real sockets on tokio tasks, typed commands in, typed
//! events out. It knows nothing of the terminal UI, so it can be driven and
//! tested alone over loopback.
//!
//! Every listener and every connection runs on its own task — the async
//! counterpart of the tutorial's thread-per-connection server. A front end
//! holds a handle per listener or connection ([`tcp_server::ServerHandle`],
//! [`tcp_client::ClientHandle`]); sending on a handle never blocks, and
//! dropping it stops the task.
//!
//! Events travel on one bounded channel. Lifecycle events (listening,
//! accepted, closed, errors) wait for room, so they are never lost. Data
//! events (each read and write) are delivered one of two ways, chosen when
//! the engine is made:
//! - **for a screen** ([`Engine::new`]): offered without waiting. When the
//!   front end falls behind they are counted in [`Engine::dropped_events`]
//!   instead of slowing the network, and carry a [`PREVIEW_LIMIT`] preview.
//! - **for data** ([`Engine::lossless`], the headless commands): every data
//!   event waits for room, so none is lost and the network slows to the
//!   reader's pace (TCP back-pressure, as `nc` does). With an unlimited
//!   preview each event carries the whole read, so stdout gets every byte.
//!
//! Byte and message counters live in [`ConnStats`], shared atomics that are
//! exact whatever the channel does.

#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod acceptor;
pub mod behaviour;
pub mod clock;
mod command_queue;
pub mod error;
pub mod explain;
pub mod files;
pub mod format;
pub mod http;
pub mod json;
pub mod kernel;
mod listener;
pub mod names;
pub mod pcap;
pub mod proxy;
pub mod record;
pub mod relay;
pub mod resolve;
pub mod stream;
pub mod tcp_client;
pub mod tcp_server;
pub mod text;
pub mod timed;
pub mod tls;
pub mod udp;
pub mod unix;
pub mod ws;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use crate::files::PrivateDir;

use tokio::sync::{mpsc, watch};

/// Bytes of each read or write carried in an event for display; the exact
/// length travels beside them.
pub const PREVIEW_LIMIT: usize = 1024;

/// Events the channel holds before data events start being counted as dropped.
pub const EVENT_CHANNEL_CAPACITY: usize = 16_384;

/// Identifies one listener for its whole life; a restarted server gets a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServerId(pub u64);

/// Identifies one accepted connection, unique across all listeners.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub u64);

/// Identifies one outgoing connection attempt; a reconnect gets a new one, so
/// a late event from an old connection is recognised as stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientId(pub u64);

/// Identifies one HTTP request; a new request gets a new one, so events of
/// a cancelled or replaced request are recognised as stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u64);

/// Identifies one UDP socket for its whole life; a rebind gets a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SocketId(pub u64);

impl std::fmt::Display for ConnId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Preview bytes kept inside the event itself: a read this short (most
/// chat lines, every 64-byte benchmark message) costs no allocation, and
/// no free on the front end's thread.
pub const INLINE_PREVIEW: usize = 64;

/// The bytes of a preview: inline up to [`INLINE_PREVIEW`], else on the heap.
pub type PreviewBytes = smallvec::SmallVec<[u8; INLINE_PREVIEW]>;

/// The first bytes of one read or write, with its exact length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    /// At most [`PREVIEW_LIMIT`] bytes from the start of the data.
    pub preview: PreviewBytes,
    /// The full length of the read or write.
    pub len: usize,
}

impl Payload {
    /// Captures the preview of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Self::first(bytes, PREVIEW_LIMIT)
    }

    /// Captures at most `limit` bytes of `bytes`.
    pub fn first(bytes: &[u8], limit: usize) -> Self {
        Self {
            preview: PreviewBytes::from_slice(&bytes[..bytes.len().min(limit)]),
            len: bytes.len(),
        }
    }
}

/// Exact per-connection counters, shared between the connection's task
/// (which writes them) and the UI (which reads them at draw time).
#[derive(Debug)]
pub struct ConnStats {
    /// When the connection was established.
    pub opened: Instant,
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
    reads: AtomicU64,
    writes: AtomicU64,
    /// When the first read and write happened: nanoseconds after `opened`,
    /// plus one (0: not yet). Set once, for the connection's timeline.
    first_read: AtomicU64,
    first_write: AtomicU64,
    /// WebSocket messages each way (0 on plain TCP).
    messages_in: AtomicU64,
    messages_out: AtomicU64,
}

/// A point-in-time copy of [`ConnStats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatsSnapshot {
    /// Bytes received.
    pub bytes_in: u64,
    /// Bytes sent.
    pub bytes_out: u64,
    /// Reads that returned data (a TCP "message" is one read: the stream has
    /// no message boundaries of its own).
    pub reads: u64,
    /// Writes issued.
    pub writes: u64,
    /// WebSocket messages received (whole, after reassembly).
    pub messages_in: u64,
    /// WebSocket messages sent.
    pub messages_out: u64,
}

impl ConnStats {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            opened: Instant::now(),
            bytes_in: AtomicU64::new(0),
            bytes_out: AtomicU64::new(0),
            reads: AtomicU64::new(0),
            writes: AtomicU64::new(0),
            first_read: AtomicU64::new(0),
            first_write: AtomicU64::new(0),
            messages_in: AtomicU64::new(0),
            messages_out: AtomicU64::new(0),
        })
    }

    /// Counts one WebSocket message, received or sent.
    pub(crate) fn record_message(&self, inbound: bool) {
        let counter = if inbound {
            &self.messages_in
        } else {
            &self.messages_out
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn record_read(&self, len: usize) {
        self.bytes_in.fetch_add(len as u64, Ordering::Relaxed);
        if self.reads.fetch_add(1, Ordering::Relaxed) == 0 {
            self.first_read
                .store(self.since_opened(), Ordering::Relaxed);
        }
    }

    fn record_write(&self, len: usize) {
        self.bytes_out.fetch_add(len as u64, Ordering::Relaxed);
        if self.writes.fetch_add(1, Ordering::Relaxed) == 0 {
            self.first_write
                .store(self.since_opened(), Ordering::Relaxed);
        }
    }

    fn since_opened(&self) -> u64 {
        u64::try_from(self.opened.elapsed().as_nanos())
            .unwrap_or(u64::MAX - 1)
            .saturating_add(1)
    }

    fn moment(&self, stored: &AtomicU64) -> Option<Instant> {
        match stored.load(Ordering::Relaxed) {
            0 => None,
            nanos => Some(self.opened + std::time::Duration::from_nanos(nanos - 1)),
        }
    }

    /// When the first read returned data (for the timeline: the event that
    /// reports it may reach the screen a frame later).
    pub fn first_read(&self) -> Option<Instant> {
        self.moment(&self.first_read)
    }

    /// When the first write was made.
    pub fn first_write(&self) -> Option<Instant> {
        self.moment(&self.first_write)
    }

    /// Reads the counters now.
    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            bytes_in: self.bytes_in.load(Ordering::Relaxed),
            bytes_out: self.bytes_out.load(Ordering::Relaxed),
            reads: self.reads.load(Ordering::Relaxed),
            writes: self.writes.load(Ordering::Relaxed),
            messages_in: self.messages_in.load(Ordering::Relaxed),
            messages_out: self.messages_out.load(Ordering::Relaxed),
        }
    }
}

/// Who ended a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseReason {
    /// The peer closed (EOF after its FIN).
    Peer,
    /// This side closed it: a disconnect, a kick, or the greet protocol's `exit`.
    Local(String),
    /// The listener it belonged to was stopped.
    ServerStopped,
    /// A socket error ended it (reset, timeout, …), described in words.
    Error(String),
}

impl std::fmt::Display for CloseReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CloseReason::Peer => write!(f, "closed by peer"),
            CloseReason::Local(why) => write!(f, "closed by netplay: {why}"),
            CloseReason::ServerStopped => write!(f, "server stopped"),
            CloseReason::Error(reason) => write!(f, "error: {reason}"),
        }
    }
}

/// Everything the engine reports, tagged with the listener or connection it
/// concerns.
#[derive(Debug, Clone)]
pub enum Event {
    /// From a TCP listener or one of its connections.
    Server(ServerId, tcp_server::ServerEvent),
    /// From an outgoing TCP connection.
    Client(ClientId, tcp_client::ClientEvent),
    /// From an HTTP request.
    Http(RequestId, http::HttpEvent),
    /// From a UDP socket.
    Udp(SocketId, udp::UdpEvent),
    /// From a relay listener or one of its pairs.
    Relay(relay::RelayId, relay::RelayEvent),
    /// A save asked for with [`Engine::save`] is done: the file, or why not.
    Saved(SaveFor, Result<std::path::PathBuf, String>),
    /// A recording of a connection started or ended.
    Record(record::recorder::RecordNews),
}

/// Who asked for a save: the outcome is routed back to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveFor {
    /// The TCP Server tab's log.
    ServerLog,
    /// The TCP Client tab's transcript.
    ClientTranscript,
    /// The UDP tab's packet list.
    UdpPackets,
    /// The Relay tab's log.
    RelayLog,
    /// The HTTP tab's exchange, added to a HAR file.
    HttpHar,
    /// The TCP Client tab's capture of one connection (pcapng).
    ClientCapture,
    /// The UDP tab's capture (pcapng).
    UdpCapture,
    /// The HTTP tab's capture of one exchange (pcapng).
    HttpCapture,
    /// The TCP Server tab's capture (pcapng), written whole.
    ServerCapture,
    /// The Relay tab's capture (pcapng), written whole.
    RelayCapture,
}

/// The engine's shared context: where events go, and the id counter. Cheap to
/// clone; every task holds one.
#[derive(Clone)]
pub struct Engine {
    events: mpsc::Sender<Event>,
    /// Made on first use; removed when the engine and every spool in it are
    /// gone.
    spool_dir: Arc<OnceLock<Result<Arc<PrivateDir>, String>>>,
    lossless: bool,
    /// Whether data events are made at all (`-q` shows none of them).
    data_events: bool,
    preview_limit: usize,
    dropped: Arc<DropShards>,
    next_id: Arc<AtomicU64>,
    runtime: tokio::runtime::Handle,
}

impl Engine {
    /// Creates an engine whose tasks run on `runtime`, and the receiver its
    /// events arrive on.
    pub fn new(runtime: tokio::runtime::Handle) -> (Self, mpsc::Receiver<Event>) {
        Self::with_capacity(runtime, EVENT_CHANNEL_CAPACITY)
    }

    /// Like [`Engine::new`] with a chosen event channel capacity (tests use a
    /// small one to exercise the drop path).
    pub fn with_capacity(
        runtime: tokio::runtime::Handle,
        capacity: usize,
    ) -> (Self, mpsc::Receiver<Event>) {
        let (events, rx) = mpsc::channel(capacity.max(1));
        (
            Self {
                events,
                spool_dir: Arc::new(OnceLock::new()),
                lossless: false,
                data_events: true,
                preview_limit: PREVIEW_LIMIT,
                dropped: Arc::new(DropShards::default()),
                next_id: Arc::new(AtomicU64::new(1)),
                runtime,
            },
            rx,
        )
    }

    /// An engine whose data events are never dropped: each waits for room
    /// on a channel of `capacity`, and carries at most `preview_limit` bytes
    /// (`usize::MAX`: the whole read or datagram, which a read buffer
    /// bounds). Memory stays bounded by `capacity` times the largest read.
    pub fn lossless(
        runtime: tokio::runtime::Handle,
        capacity: usize,
        preview_limit: usize,
    ) -> (Self, mpsc::Receiver<Event>) {
        let (mut engine, rx) = Self::with_capacity(runtime, capacity);
        engine.lossless = true;
        engine.preview_limit = preview_limit;
        (engine, rx)
    }

    /// This engine with no data events at all (reads, writes, samples,
    /// rule matches): for a front end that shows none of them (`-q`), so
    /// the data path builds no preview, allocates nothing and wakes nobody
    /// per read. Counters in [`ConnStats`] stay exact.
    pub fn without_data_events(mut self) -> Self {
        self.data_events = false;
        self
    }

    /// Saves `contents` as a new file `name` in `dir` — never over an
    /// existing file ([`crate::files::save_new`]) — on a blocking thread, so
    /// a slow disk never holds up the UI. [`Event::Saved`] reports it.
    pub fn save(&self, asker: SaveFor, dir: std::path::PathBuf, name: String, contents: Vec<u8>) {
        self.save_with(
            move || {
                crate::files::save_new(&dir, &name, |file| {
                    std::io::Write::write_all(file, &contents)
                })
            },
            move |result| Event::Saved(asker, result),
        );
    }

    /// Adds a HAR entry to the file at `path` (made, or appended to and
    /// kept valid) on a blocking thread; [`Event::Saved`] with
    /// [`SaveFor::HttpHar`] reports it.
    pub fn append_har(&self, path: std::path::PathBuf, entry: serde_json::Value) {
        self.save_with(
            move || crate::http::har::append(&path, entry).map(|_| path),
            |result| Event::Saved(SaveFor::HttpHar, result),
        );
    }

    /// The one way netplay saves: `job` runs on a blocking thread, and its
    /// outcome comes back as the event `report` makes of it.
    pub(crate) fn save_with(
        &self,
        job: impl FnOnce() -> Result<std::path::PathBuf, String> + Send + 'static,
        report: impl FnOnce(Result<std::path::PathBuf, String>) -> Event + Send + 'static,
    ) {
        let engine = self.clone();
        self.spawn(async move {
            let outcome = match tokio::task::spawn_blocking(job).await {
                Ok(outcome) => outcome,
                Err(err) => Err(format!("the save failed: {err}")),
            };
            engine.emit(report(outcome)).await;
        });
    }

    /// Finishes a connection's capture on a blocking thread (its socket
    /// is closed by now); [`Event::Saved`] for `asker` tells the file or
    /// why it failed.
    pub fn finish_capture(&self, asker: SaveFor, capture: Arc<crate::pcap::tap::SyncCapture>) {
        self.save_with(
            move || capture.finish().map(|(path, _)| path),
            move |outcome| Event::Saved(asker, outcome),
        );
    }

    /// The private directory (mode 0700) that body spools go in.
    fn spool_dir(&self) -> Result<Arc<PrivateDir>, String> {
        self.spool_dir
            .get_or_init(|| PrivateDir::create().map(Arc::new))
            .clone()
    }

    /// The part of `bytes` a data event carries.
    fn payload(&self, bytes: &[u8]) -> Payload {
        Payload::first(bytes, self.preview_limit)
    }

    /// Data events not delivered because the receiver was behind. Counters
    /// in [`ConnStats`] still include them.
    pub fn dropped_events(&self) -> u64 {
        self.dropped.sum()
    }

    /// A read-only handle on the drop count that does not keep the event
    /// channel open (an `Engine` clone would).
    pub fn drop_counter(&self) -> DropCounter {
        DropCounter(Arc::clone(&self.dropped))
    }

    fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Delivers a lifecycle event, waiting for room: these are never dropped.
    async fn emit(&self, event: Event) {
        // An error means the front end is gone; there is nobody left to tell.
        let _ = self.events.send(event).await;
    }

    /// Delivers a data event: in a lossless engine it waits for room; else
    /// it is offered without waiting and counted when there is no room.
    /// `make` builds the event only when it will be sent, so a busy front
    /// end costs the network no preview copies.
    async fn offer(&self, make: impl FnOnce() -> Event) {
        if !self.data_events {
            return;
        }
        if self.lossless {
            // Room now (the usual case): no waiting future is set up.
            match self.events.try_send(make()) {
                Ok(()) | Err(mpsc::error::TrySendError::Closed(_)) => {}
                // Boxed: the wait is rare, and every connection task would
                // otherwise carry its state (an idle one is that task).
                Err(mpsc::error::TrySendError::Full(event)) => {
                    let events = self.events.clone();
                    let wait: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> =
                        Box::pin(async move {
                            let _ = events.send(event).await;
                        });
                    wait.await;
                }
            }
            return;
        }
        match self.events.try_reserve() {
            Ok(permit) => permit.send(make()),
            Err(mpsc::error::TrySendError::Full(())) => {
                self.dropped.add_one();
            }
            Err(mpsc::error::TrySendError::Closed(())) => {}
        }
    }

    fn spawn<F>(&self, task: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        self.runtime.spawn(task);
    }
}

/// Reads [`Engine::dropped_events`] without holding the engine.
#[derive(Clone)]
pub struct DropCounter(Arc<DropShards>);

impl DropCounter {
    /// Data events dropped so far.
    pub fn get(&self) -> u64 {
        self.0.sum()
    }
}

/// The drop count, spread over cache lines: when the front end is behind,
/// every read on every connection counts a drop, and one shared counter
/// would bounce its cache line between the cores on each. Each thread adds
/// to its own shard; a read adds them up (exact once the adds are done).
#[derive(Default)]
struct DropShards([Shard; DROP_SHARDS]);

const DROP_SHARDS: usize = 8;

#[derive(Default)]
#[repr(align(64))]
struct Shard(AtomicU64);

impl DropShards {
    fn add_one(&self) {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        thread_local! {
            static SHARD: usize = (NEXT.fetch_add(1, Ordering::Relaxed) as usize) % DROP_SHARDS;
        }
        let shard = SHARD.with(|shard| *shard);
        self.0[shard].0.fetch_add(1, Ordering::Relaxed);
    }

    fn sum(&self) -> u64 {
        self.0.iter().map(|s| s.0.load(Ordering::Relaxed)).sum()
    }
}

/// A one-way "stop now" signal that many tasks can wait on; the sender
/// dropping counts as a stop too, so a forgotten handle never leaks a task.
#[derive(Clone)]
pub(crate) struct StopFlag(watch::Receiver<bool>);

impl StopFlag {
    pub(crate) fn new() -> (watch::Sender<bool>, Self) {
        let (tx, rx) = watch::channel(false);
        (tx, Self(rx))
    }

    /// Resolves once the stop was requested or the sender is gone.
    pub(crate) async fn stopped(&mut self) {
        let _ = self.0.wait_for(|stop| *stop).await;
    }
}
#[cfg(test)]
mod event_size {
    /// Every event is as large as the largest variant, and a busy log moves
    /// a few hundred thousand a second through the channel: rare, large
    /// variants keep their bulk in a box.
    #[test]
    fn an_event_stays_small() {
        assert!(std::mem::size_of::<super::Event>() <= 160);
    }
}
