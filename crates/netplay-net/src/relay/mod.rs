//! The relay: listen, and for each accepted client open a connection to the
//! target, then carry the bytes both ways — watching every read, holding,
//! editing and injecting on request, and applying faults (latency,
//! bandwidth, slicing, limits, resets, blackholes, slow closes).
//!
//! One task per listener (accepting, routing commands) and one per pair.
//! A pair's two directions are two pumps (`relay::pump`) polled
//! inside the pair's task, as `copy_bidirectional` does, so the fast path
//! (no fault, nothing held) is read → write with no hop in between.
//!
//! Bounds: each direction holds at most [`HOLD_LIMIT`] bytes in at most
//! [`MAX_QUEUED_CHUNKS`] chunks; past that the pump stops reading that
//! side, so TCP's own back-pressure reaches the sender. Commands wait in
//! bounded queues and are refused ([`Busy`]) when full.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use crate::acceptor::Acceptor;
use crate::command_queue;
mod capture;
pub mod faults;
mod pair;
pub mod proxy_serve;
mod pump;
mod websocket;

use super::{ConnId, ConnStats, Engine, Event, Payload, StopFlag};
use crate::stream::{Endpoint, Stream, StreamListener};
pub use crate::tcp_server::Busy;
pub use faults::{Dir, Faults, Jitter, DEFAULT_SLICE_DELAY};
use pair::Pair;

/// Bytes one direction of a pair may hold (held, delayed or paced) before
/// it stops reading from its sender.
pub const HOLD_LIMIT: usize = 1024 * 1024;

/// The most bytes a direction asks for per read (a plain tokio echo
/// server's 64 KiB: a 1 MiB stream in 16 reads, not 64). The relay-wide
/// budget may be passed by at most one such read per direction.
pub const READ_BUFFER: usize = 64 * 1024;

/// Chunks one direction may hold, whatever their size (a peer writing one
/// byte at a time must not grow the queue by a million entries).
pub const MAX_QUEUED_CHUNKS: usize = 4096;

/// Bytes all the pairs of one relay may hold together (held, delayed,
/// paced): past it, directions that queue stop reading their senders
/// until others drain, so a thousand flooding pairs cannot take a
/// gigabyte.
pub const RELAY_BUDGET: usize = 64 * 1024 * 1024;

/// Commands one pair direction may have waiting.
const PAIR_QUEUE: usize = 64;

/// Commands the listener may have waiting.
const COMMAND_QUEUE: usize = 1024;

/// The default limit for resolving the target and connecting to it.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Identifies one relay listener for its whole life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RelayId(pub u64);

/// Which end of a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The accepted client.
    Client,
    /// The upstream server (the target).
    Server,
}

impl Side {
    /// `client` or `server`.
    pub fn name(self) -> &'static str {
        match self {
            Side::Client => "client",
            Side::Server => "server",
        }
    }

    /// The side a direction reads from.
    pub fn reading(dir: Dir) -> Side {
        match dir {
            Dir::Up => Side::Client,
            Dir::Down => Side::Server,
        }
    }
}

/// What the relay does, changeable while it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RelayConfig {
    /// The faults on each direction (`[up, down]`).
    pub faults: [Faults; 2],
    /// Whether new pairs start with each direction held (`[up, down]`).
    pub hold_new: [bool; 2],
    /// Pairs open at once; a client past it is closed at accept
    /// (`relay --max-conn`).
    pub max_pairs: Option<usize>,
}

/// The counters of a pair, per direction (`[up, down]`): `bytes_in`/`reads`
/// are what was read from the sender, `bytes_out`/`writes` what was
/// written to the receiver.
pub type PairStats = [Arc<ConnStats>; 2];

/// A chunk held in a direction's queue, whole (at most one read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldChunk {
    /// Its number in this direction, from 1.
    pub seq: u64,
    /// Its bytes, whole: an edit starts from them.
    pub bytes: Arc<[u8]>,
    /// After a WebSocket upgrade, the whole message it is (unmasked): an
    /// edit then replaces the message's payload and the relay writes the
    /// frame again.
    pub message: Option<Arc<crate::ws::message::Message>>,
}

/// What a relay reports.
#[derive(Debug, Clone)]
pub enum RelayEvent {
    /// Listening; new clients will be relayed to `target`.
    Listening {
        /// The bound address (or socket file).
        local: Endpoint,
    },
    /// Could not listen (the reason, in words).
    StartFailed {
        /// Why.
        reason: String,
    },
    /// The listener stopped; every pair was closed first.
    Stopped,
    /// An accept failed; the listener keeps going.
    AcceptFailed {
        /// Why.
        reason: String,
    },
    /// Something the user should know (a refused command, …).
    Warning {
        /// What.
        reason: String,
    },
    /// A client arrived; its upstream connection is being opened.
    Accepted {
        /// The pair.
        pair: ConnId,
        /// The client's address (on a UNIX socket: its pid/uid/gid).
        client: Endpoint,
        /// Our address on the client's connection (or the socket file).
        local: Endpoint,
        /// When it was accepted (for the pair's timeline: the screen may
        /// learn of it a frame later).
        at: std::time::Instant,
    },
    /// The upstream connection is open: bytes flow from now on.
    UpstreamOpen {
        /// The pair.
        pair: ConnId,
        /// Our address on the upstream connection.
        local: Endpoint,
        /// The server's address (or socket file, and its pid/uid/gid).
        remote: Endpoint,
        /// The pair's counters.
        stats: PairStats,
    },
    /// A proxy client named its target (the relay as a proxy).
    ProxyAsked {
        /// The pair.
        pair: ConnId,
        /// The request, in words.
        words: String,
    },
    /// The upstream could not be reached; the client was closed.
    UpstreamFailed {
        /// The pair.
        pair: ConnId,
        /// Why, naming the target and the client.
        reason: String,
    },
    /// The server answered the client's upgrade with 101: WebSocket
    /// frames follow, told as [`RelayEvent::WsFrame`].
    WsUpgraded {
        /// The pair.
        pair: ConnId,
    },
    /// A WebSocket frame passed (the bytes are relayed as they are).
    /// Boxed: rarer than reads, and larger.
    WsFrame {
        /// The pair.
        pair: ConnId,
        /// Which way.
        dir: Dir,
        /// Its head, and the start of its payload, unmasked.
        frame: Box<(crate::ws::Head, Payload)>,
    },
    /// One read, going `dir`.
    Relayed {
        /// The pair.
        pair: ConnId,
        /// Which way.
        dir: Dir,
        /// What was read.
        data: Payload,
    },
    /// A chunk is held (a hold was on when it arrived, or was switched on).
    Held {
        /// The pair.
        pair: ConnId,
        /// Which way.
        dir: Dir,
        /// The chunk.
        chunk: HeldChunk,
    },
    /// A held chunk was edited; it stays held.
    Edited {
        /// The pair.
        pair: ConnId,
        /// Which way.
        dir: Dir,
        /// The chunk, with its new bytes.
        chunk: HeldChunk,
    },
    /// A held chunk left the queue: released (sent) or dropped.
    Unheld {
        /// The pair.
        pair: ConnId,
        /// Which way.
        dir: Dir,
        /// The chunk's number.
        seq: u64,
        /// Whether it was dropped instead of sent.
        dropped: bool,
    },
    /// Bytes typed by the user were written `dir`.
    Injected {
        /// The pair.
        pair: ConnId,
        /// Which way.
        dir: Dir,
        /// What was written.
        data: Payload,
    },
    /// `side` sent its FIN (we read EOF from it).
    FinReceived {
        /// The pair.
        pair: ConnId,
        /// Who.
        side: Side,
    },
    /// We forwarded a FIN to `side` (shutdown of our write side to it).
    FinSent {
        /// The pair.
        pair: ConnId,
        /// To whom.
        side: Side,
    },
    /// The kernel's view of one side's socket, every second while
    /// watched ([`PairCommand::Watch`]).
    TcpInfo {
        /// The pair.
        pair: ConnId,
        /// Whose socket: ours to the client, or ours to the server.
        side: Side,
        /// The sample.
        info: crate::kernel::tcp_info::TcpInfo,
    },
    /// One side's socket options as read back after
    /// [`PairCommand::Option`] (or why the change failed).
    Options {
        /// The pair.
        pair: ConnId,
        /// Whose socket.
        side: Side,
        /// The read-back.
        options: Result<crate::kernel::sockopts::SockOptions, String>,
    },
    /// A fault acted (a limit reached, a reset sent).
    Fault {
        /// The pair.
        pair: ConnId,
        /// What happened, in words.
        what: String,
    },
    /// The pair is closed, both sides.
    Closed {
        /// The pair.
        pair: ConnId,
        /// Why, in words.
        reason: String,
        /// Whether it ended with an error or a reset.
        error: bool,
    },
}

/// What can be done to one direction of a pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirCommand {
    /// Hold (queue) what is read from now on, or stop holding (releasing all).
    Hold(bool),
    /// Release every held chunk (the hold stays on for new ones).
    ReleaseAll,
    /// Release the oldest held chunk.
    Step,
    /// Drop the held chunk `seq`.
    Drop(u64),
    /// Replace the bytes of held chunk `seq` (the payload, when the chunk
    /// is a WebSocket message: the relay writes its frame again).
    Edit(u64, Vec<u8>),
    /// Write these bytes now, ahead of anything held.
    Inject(Vec<u8>),
    /// Write one WebSocket frame with this opcode and payload (masked when
    /// it goes to the server) at the next message boundary: now if the
    /// receiver is between messages, else right after the message it is
    /// in the middle of.
    InjectFrame(crate::ws::Opcode, Vec<u8>),
}

/// What can be done to a whole pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PairCommand {
    /// A command for one direction.
    Dir(Dir, DirCommand),
    /// Close both sides (FIN).
    Close,
    /// Close both sides with RST.
    Reset,
    /// Set an option on our socket to `Side` (or only read them back).
    Option(Side, crate::kernel::sockopts::SockOpt),
    /// Sample `TCP_INFO` of our socket to `Side` every second, or stop.
    Watch(Option<Side>),
    /// Record the pair from now on to a new file, or stop (boxed: the
    /// pair's queue holds blocks of the largest variant).
    Record(Option<Box<crate::record::recorder::RecordTo>>),
}

enum RelayCommand {
    Pair(ConnId, PairCommand),
    Record(Option<crate::record::recorder::RecordTo>),
}

/// Controls a running relay; dropping it stops the relay.
pub struct RelayHandle {
    id: RelayId,
    commands: mpsc::Sender<RelayCommand>,
    config: watch::Sender<RelayConfig>,
    capture: watch::Sender<Option<crate::pcap::Capture>>,
    stop: watch::Sender<bool>,
}

impl RelayHandle {
    /// Captures every new pair into `capture` (pcapng for Wireshark), both
    /// legs as flows, or stops (open pairs keep theirs).
    pub fn set_capture(&self, capture: Option<crate::pcap::Capture>) {
        self.capture.send_replace(capture);
    }

    /// The relay's id (its events carry it).
    pub fn id(&self) -> RelayId {
        self.id
    }

    /// Sends `command` to `pair`; refused when the queue is full.
    pub fn command(&self, pair: ConnId, command: PairCommand) -> Result<(), Busy> {
        self.commands
            .try_send(RelayCommand::Pair(pair, command))
            .map_err(|_| Busy)
    }

    /// Records every pair, one new file each, both directions as each
    /// side sent them (before any fault): the open pairs from now, each
    /// new one from its first byte (or stops: `None`). Seen from the
    /// client: `out` is what the client sent, `in` what the server sent.
    pub fn record(&self, to: Option<crate::record::recorder::RecordTo>) -> Result<(), Busy> {
        self.commands
            .try_send(RelayCommand::Record(to))
            .map_err(|_| Busy)
    }

    /// Changes the faults and hold settings; live pairs see them at once.
    pub fn set_config(&self, config: RelayConfig) {
        self.config.send_replace(config);
    }

    /// Stops listening and closes every pair.
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }
}

/// Starts a relay listening on `listen` that forwards each client to
/// `target`; the outcome arrives as [`RelayEvent::Listening`] or
/// [`RelayEvent::StartFailed`].
pub fn start(
    engine: &Engine,
    listen: &str,
    target: &str,
    config: RelayConfig,
    connect_timeout: Duration,
) -> RelayHandle {
    let upstream = proxy_serve::Upstream::Fixed(target.to_string());
    start_with(engine, listen, upstream, config, connect_timeout)
}

/// [`start`] with the upstream as given: a fixed target, or the relay as
/// a proxy where each client names its own ([`proxy_serve`]).
pub fn start_with(
    engine: &Engine,
    listen: &str,
    upstream: proxy_serve::Upstream,
    config: RelayConfig,
    connect_timeout: Duration,
) -> RelayHandle {
    let (target, proxy) = match upstream {
        proxy_serve::Upstream::Fixed(target) => (target, None),
        proxy_serve::Upstream::Proxy(serve) => (String::new(), Some(Arc::new(serve))),
    };
    let id = RelayId(engine.next_id());
    let (commands, command_rx) = mpsc::channel(COMMAND_QUEUE);
    let (config_tx, config_rx) = watch::channel(config);
    let (capture_tx, capture_rx) = watch::channel(None);
    let (stop_tx, stop) = StopFlag::new();
    let listener = Listener {
        context: Context {
            engine: engine.clone(),
            relay: id,
            target,
            proxy,
            connect_timeout,
            config: config_rx,
            stop,
            budget: Arc::new(tokio::sync::Semaphore::new(RELAY_BUDGET)),
            listening: None,
            listening_file: None,
            capture: capture_rx,
        },
    };
    engine.spawn(listener.run(listen.to_string(), command_rx));
    RelayHandle {
        id,
        commands,
        config: config_tx,
        capture: capture_tx,
        stop: stop_tx,
    }
}

/// What every pair of one relay shares.
#[derive(Clone)]
pub(crate) struct Context {
    pub(crate) engine: Engine,
    pub(crate) relay: RelayId,
    pub(crate) target: String,
    /// The relay as a proxy: each client names its target.
    pub(crate) proxy: Option<Arc<proxy_serve::ProxyServe>>,
    pub(crate) connect_timeout: Duration,
    pub(crate) config: watch::Receiver<RelayConfig>,
    pub(crate) stop: StopFlag,
    /// The relay-wide byte budget of queued data ([`RELAY_BUDGET`]).
    pub(crate) budget: Arc<tokio::sync::Semaphore>,
    /// The address the relay listens on, once bound (a pair refuses to
    /// relay to it: that would be itself).
    pub(crate) listening: Option<Endpoint>,
    /// The socket file it listens on, as device and inode (a UNIX
    /// listener): a target that reaches it is itself, whatever its name.
    pub(crate) listening_file: Option<(u64, u64)>,
    /// Where new pairs are captured, while on.
    pub(crate) capture: watch::Receiver<Option<crate::pcap::Capture>>,
}

impl Context {
    pub(crate) async fn emit(&self, event: RelayEvent) {
        self.engine.emit(Event::Relay(self.relay, event)).await;
    }

    pub(crate) async fn offer(&self, make: impl FnOnce() -> RelayEvent) {
        self.engine.offer(|| Event::Relay(self.relay, make())).await;
    }
}

struct Listener {
    context: Context,
}

impl Listener {
    async fn run(mut self, addr: String, commands: mpsc::Receiver<RelayCommand>) {
        let context = &mut self.context;
        let listener = match StreamListener::bind(&addr, context.connect_timeout).await {
            Ok(listener) => listener,
            Err(reason) => return context.emit(RelayEvent::StartFailed { reason }).await,
        };
        match listener.local() {
            Ok(local) => {
                context.listening = Some(local.clone());
                context.listening_file = listener.unix_identity();
                context.emit(RelayEvent::Listening { local }).await
            }
            Err(err) => {
                let reason = format!("bound, but cannot read the local address: {err}");
                return context.emit(RelayEvent::StartFailed { reason }).await;
            }
        }
        let (context, stop) = (self.context.clone(), self.context.stop.clone());
        let live = Live {
            unix_path: listener.unix_path().map(std::sync::Arc::from),
            context: self.context,
            record_new: None,
        };
        let next_id = || ConnId(context.engine.next_id());
        crate::listener::run(
            live,
            Acceptor::any(listener),
            commands,
            stop,
            next_id,
            &context.engine.runtime,
        )
        .await;
        context.emit(RelayEvent::Stopped).await;
    }
}

/// The relay's side of the listener loop: its pairs and where new ones
/// record to.
struct Live {
    context: Context,
    /// The socket file of a UNIX listener (each pair's local end).
    unix_path: Option<Arc<str>>,
    record_new: Option<crate::record::recorder::RecordTo>,
}

impl crate::listener::Connections for Live {
    type Command = RelayCommand;
    type Handle = command_queue::Sender<PairCommand>;

    fn limit(&self) -> Option<usize> {
        self.context.config.borrow().max_pairs
    }

    fn command(
        &mut self,
        pairs: &mut HashMap<ConnId, Self::Handle>,
        command: RelayCommand,
    ) -> Option<String> {
        match command {
            RelayCommand::Record(to) => {
                self.record_new.clone_from(&to);
                let mut refused = Vec::new();
                for (pair, queue) in pairs.iter() {
                    if queue
                        .try_send(PairCommand::Record(to.clone().map(Box::new)))
                        .is_err()
                    {
                        refused.push(pair.to_string());
                    }
                }
                refused.sort();
                (!refused.is_empty())
                    .then(|| format!("Recording not switched for {}: {Busy}", refused.join(", ")))
            }
            RelayCommand::Pair(pair, command) => match pairs.get(&pair) {
                None => Some(format!("{pair} is closed: nothing to do")),
                Some(queue) => queue
                    .try_send(command)
                    .err()
                    .map(|_| format!("{pair}: {Busy}")),
            },
        }
    }

    fn start(
        &mut self,
        pair: ConnId,
        stream: Stream,
        client: Endpoint,
    ) -> (
        Self::Handle,
        impl std::future::Future<Output = ConnId> + Send + 'static,
    ) {
        let (queue, queue_rx) = command_queue::channel(PAIR_QUEUE);
        let task = Pair::new(self.context.clone(), pair).recording(self.record_new.clone());
        (
            queue,
            task.run(stream, (client, self.unix_path.clone()), queue_rx),
        )
    }

    async fn report(&self, report: crate::listener::Report) {
        use crate::listener::Report;
        let event = match report {
            Report::Warning(reason) => RelayEvent::Warning { reason },
            Report::Refused { peer, limit } => RelayEvent::Warning {
                reason: format!("Refused connection from {peer}: {limit} pairs open (--max-conn)"),
            },
            Report::AcceptFailed(reason) => RelayEvent::AcceptFailed { reason },
        };
        self.context.emit(event).await;
    }
}
