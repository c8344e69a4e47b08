//! The TCP server: one task for the listener, one per accepted connection.
//!
//! ```text
//! ServerHandle ──commands──► listener task ──accept──► connection task (one each)
//!      │                          │                        │
//!      └── config (watch) ────────┴────────────────────────┘ behaviour, delay
//! ```

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};
use tokio_rustls::TlsAcceptor;

use crate::acceptor::Acceptor;
use crate::behaviour::greet::ServerConfig;
use crate::stream::{Endpoint, Stream, StreamListener};
mod conn;
mod conn_io;
mod websocket;

pub use websocket::{WsEvent, WsOptions};

use super::{CloseReason, ConnId, ConnStats, Engine, Event, Payload, ServerId, StopFlag};
use conn::Connection;

/// The largest read (the tutorial used 1024; larger reads keep throughput
/// close to a plain tokio echo server).
pub const READ_BUFFER: usize = 64 * 1024;

/// The first read buffer of a connection, allocated when the peer first
/// sends: an idle connection holds no read buffer at all, and one that only
/// chats holds this much. A read that fills it doubles it, up to
/// [`READ_BUFFER`].
pub const FIRST_READ: usize = 2 * 1024;

/// Messages that may wait for one connection to take them (a peer that
/// never reads stops its connection's writes; past this, sends to it are
/// refused with a warning instead of piling up in memory).
pub const CONN_QUEUE: usize = 256;

/// Commands that may wait for the listener task.
const COMMAND_QUEUE: usize = 1024;

/// How long a name lookup for a bind address may take.
const RESOLVE_LIMIT: Duration = Duration::from_secs(5);

/// What a TCP listener and its connections report.
#[derive(Debug, Clone)]
pub enum ServerEvent {
    /// Bound and accepting.
    Listening {
        /// The address actually bound (shows the port the OS chose for
        /// `:0`), or the socket file (`unix:/path`).
        local: Endpoint,
    },
    /// Could not start: bad address, in use, permission denied, …
    StartFailed {
        /// One-line reason.
        reason: String,
    },
    /// Accepting one connection failed; the listener keeps running.
    AcceptFailed {
        /// One-line reason.
        reason: String,
    },
    /// A connection was closed at once: the `max_connections` limit was reached.
    Rejected {
        /// Who tried to connect.
        peer: Endpoint,
        /// The limit in force.
        limit: usize,
    },
    /// A new connection, with its full 4-tuple (on a UNIX socket: the
    /// socket file, and the client's pid/uid/gid from `SO_PEERCRED`).
    Accepted {
        /// The connection's id.
        conn: ConnId,
        /// The client's address and port (or its credentials).
        peer: Endpoint,
        /// This side's address and port (or the socket file).
        local: Endpoint,
        /// Live counters.
        stats: Arc<ConnStats>,
    },
    /// One read returned data (each read is its own event: TCP is a stream,
    /// and reads need not match the sender's writes).
    Received {
        /// Which connection.
        conn: ConnId,
        /// What arrived.
        data: Payload,
    },
    /// One read written straight back, whole (echo mode without a reply
    /// delay): one event where `Received` and `Sent` would carry the same
    /// bytes twice. A partial or delayed echo is `Received`, then `Sent`.
    Echoed {
        /// Which connection.
        conn: ConnId,
        /// What arrived and went back.
        data: Payload,
    },
    /// Bytes were written to the connection.
    Sent {
        /// Which connection.
        conn: ConnId,
        /// What was written.
        data: Payload,
    },
    /// The peer shut down its write side but the connection stays open
    /// (manual mode lets the user still reply).
    PeerHalfClosed {
        /// Which connection.
        conn: ConnId,
    },
    /// A connection ended.
    Closed {
        /// Which connection.
        conn: ConnId,
        /// Who or what ended it.
        reason: CloseReason,
    },
    /// Something went wrong that ends nothing: a send refused because the
    /// connection's queue is full, accept backing off, …
    Warning {
        /// One-line reason.
        reason: String,
    },
    /// The listener stopped and every connection is closed.
    Stopped,
    /// A TLS handshake finished (a TLS listener only).
    TlsAccepted {
        /// Which connection.
        conn: ConnId,
        /// `TLSv1.3`, `TLSv1.2`.
        version: String,
        /// The cipher suite.
        cipher: String,
        /// The server name the client asked for (SNI), if any.
        sni: Option<String>,
        /// The ALPN protocol agreed, if any.
        alpn: Option<String>,
    },
    /// The kernel's view of a connection (`TCP_INFO`), when asked for:
    /// every second, and once more just before the close (`last`).
    TcpInfo {
        /// Which connection.
        conn: ConnId,
        /// The sample.
        info: crate::kernel::tcp_info::TcpInfo,
        /// Whether this is the sample taken at the close.
        last: bool,
    },
    /// A connection's socket options as the kernel reports them, after a
    /// [`ServerHandle::set_option`] (or `Err`: why it was not set).
    Options {
        /// Which connection.
        conn: ConnId,
        /// The read-back.
        options: Result<crate::kernel::sockopts::SockOptions, String>,
    },
    /// A rule answered a line (rules mode).
    RuleMatched {
        /// Which connection.
        conn: ConnId,
        /// The rule's line in the rules file.
        rule: usize,
    },
    /// What a WebSocket connection did (a server with WebSocket on).
    /// Boxed: rare beside the data events, and larger.
    WebSocket {
        /// Which connection.
        conn: ConnId,
        /// The handshake, a frame, a message, a broken rule.
        event: Box<WsEvent>,
    },
    /// A TLS handshake failed; the connection is closed next.
    TlsFailed {
        /// Which connection.
        conn: ConnId,
        /// One-line reason ("client sent plain text to a TLS port").
        reason: String,
    },
}

/// How long a client has to finish its TLS handshake.
pub const TLS_HANDSHAKE_LIMIT: Duration = Duration::from_secs(10);

/// Commands a front end sends to a running server.
#[derive(Debug)]
enum ServerCommand {
    Send(ConnId, Vec<u8>),
    Broadcast(Vec<u8>),
    Kick(ConnId),
    Forward(ConnId, ConnCommand),
    Record(Option<crate::record::recorder::RecordTo>),
}

/// Commands the listener forwards to one connection.
#[derive(Debug)]
pub(crate) enum ConnCommand {
    Send(Vec<u8>),
    /// Set a socket option (or only read them back).
    Option(crate::kernel::sockopts::SockOpt),
    /// Sample `TCP_INFO` every second (the detail view is open on it).
    Watch(bool),
    /// Record from now on to a new file, or stop. Boxed: the command
    /// queue's blocks hold 32 of the largest variant, per connection.
    Record(Option<Box<crate::record::recorder::RecordTo>>),
}

/// Controls one running listener. Dropping it (or [`ServerHandle::stop`])
/// stops the listener and closes every connection.
pub struct ServerHandle {
    id: ServerId,
    commands: mpsc::Sender<ServerCommand>,
    config: watch::Sender<ServerConfig>,
    rules: watch::Sender<Option<Arc<crate::behaviour::rules::Rules>>>,
    websocket: watch::Sender<Option<Arc<WsOptions>>>,
    capture: watch::Sender<Option<crate::pcap::Capture>>,
    stop: watch::Sender<bool>,
}

impl ServerHandle {
    /// The id every event of this listener carries.
    pub fn id(&self) -> ServerId {
        self.id
    }

    /// Changes behaviour and delay for every connection, live.
    pub fn set_config(&self, config: ServerConfig) {
        self.config.send_replace(config);
    }

    /// The rules rules mode answers by, for every connection from its next
    /// line on (`None`: no rule, no reply).
    pub fn set_rules(&self, rules: Option<Arc<crate::behaviour::rules::Rules>>) {
        self.rules.send_replace(rules);
    }

    /// WebSocket on (each connection accepted from now on must upgrade
    /// first, and the mode answers messages) or off.
    pub fn set_websocket(&self, options: Option<WsOptions>) {
        self.websocket.send_replace(options.map(Arc::new));
    }

    /// Captures every new connection into `capture` as its own flow
    /// (pcapng for Wireshark), or stops (open connections keep theirs).
    pub fn set_capture(&self, capture: Option<crate::pcap::Capture>) {
        self.capture.send_replace(capture);
    }

    /// Sends bytes to one connection. `Err` when the listener has
    /// `COMMAND_QUEUE` (1,024) commands waiting already (or has ended).
    pub fn send(&self, conn: ConnId, bytes: Vec<u8>) -> Result<(), Busy> {
        self.command(ServerCommand::Send(conn, bytes))
    }

    /// Sends bytes to every open connection.
    pub fn broadcast(&self, bytes: Vec<u8>) -> Result<(), Busy> {
        self.command(ServerCommand::Broadcast(bytes))
    }

    /// Closes one connection from the server side.
    pub fn kick(&self, conn: ConnId) -> Result<(), Busy> {
        self.command(ServerCommand::Kick(conn))
    }

    /// Sets a socket option on one connection (or only reads them:
    /// `SockOpt::Read`); the read-back arrives as [`ServerEvent::Options`].
    /// Queued behind that connection's earlier sends.
    pub fn set_option(
        &self,
        conn: ConnId,
        opt: crate::kernel::sockopts::SockOpt,
    ) -> Result<(), Busy> {
        self.command(ServerCommand::Forward(conn, ConnCommand::Option(opt)))
    }

    /// Samples one connection's `TCP_INFO` every second while `on`
    /// ([`ServerEvent::TcpInfo`]), for a view that shows it.
    pub fn watch(&self, conn: ConnId, on: bool) -> Result<(), Busy> {
        self.command(ServerCommand::Forward(conn, ConnCommand::Watch(on)))
    }

    fn command(&self, command: ServerCommand) -> Result<(), Busy> {
        self.commands.try_send(command).map_err(|_| Busy)
    }

    /// Records every connection, one new file each: the open ones from
    /// now, each new one from its first byte (or stops: `None`).
    /// [`Event::Record`] reports each file.
    pub fn record(&self, to: Option<crate::record::recorder::RecordTo>) -> Result<(), Busy> {
        self.command(ServerCommand::Record(to))
    }

    /// Stops listening and closes every connection; a [`ServerEvent::Stopped`]
    /// follows.
    pub fn stop(&self) {
        self.stop.send_replace(true);
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A command was not taken: its queue is full (or the task has ended).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

impl std::fmt::Display for Busy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "too many sends are still waiting for the peer to read")
    }
}

/// Starts a listener on `addr` (resolved first) and returns its handle at
/// once; the outcome arrives as [`ServerEvent::Listening`] or
/// [`ServerEvent::StartFailed`].
pub fn start(engine: &Engine, addr: &str, config: ServerConfig) -> ServerHandle {
    start_with(engine, addr, config, None)
}

/// [`start`], speaking TLS on every connection when `tls` is given (the
/// handshake first, then the behaviour as usual).
pub fn start_with(
    engine: &Engine,
    addr: &str,
    config: ServerConfig,
    tls: Option<TlsAcceptor>,
) -> ServerHandle {
    start_websocket(engine, addr, config, tls, None)
}

/// [`start_with`], with WebSocket on from the first connection when
/// `websocket` is given (see [`ServerHandle::set_websocket`]).
pub fn start_websocket(
    engine: &Engine,
    addr: &str,
    config: ServerConfig,
    tls: Option<TlsAcceptor>,
    websocket: Option<WsOptions>,
) -> ServerHandle {
    let id = ServerId(engine.next_id());
    let (commands, command_rx) = mpsc::channel(COMMAND_QUEUE);
    let (config_tx, config_rx) = watch::channel(config);
    let (rules_tx, rules_rx) = watch::channel(None);
    let (websocket_tx, websocket_rx) = watch::channel(websocket.map(Arc::new));
    let (capture_tx, capture_rx) = watch::channel(None);
    let (stop_tx, stop) = StopFlag::new();
    let task = Listener {
        engine: engine.clone(),
        id,
        config: config_rx,
        rules: rules_rx,
        websocket: websocket_rx,
        capture: capture_rx,
        stop,
        tls,
    };
    let addr = addr.to_string();
    engine.spawn(task.run(addr, command_rx));
    ServerHandle {
        id,
        commands,
        config: config_tx,
        rules: rules_tx,
        websocket: websocket_tx,
        capture: capture_tx,
        stop: stop_tx,
    }
}

struct Listener {
    engine: Engine,
    id: ServerId,
    config: watch::Receiver<ServerConfig>,
    rules: watch::Receiver<Option<Arc<crate::behaviour::rules::Rules>>>,
    websocket: watch::Receiver<Option<Arc<WsOptions>>>,
    capture: watch::Receiver<Option<crate::pcap::Capture>>,
    stop: StopFlag,
    tls: Option<TlsAcceptor>,
}

struct ConnEntry {
    commands: mpsc::Sender<ConnCommand>,
    /// Sending kicks the connection; dropping it (the listener stopping)
    /// stops it. A oneshot: the connection waits on it without touching
    /// anything shared.
    kick: Option<oneshot::Sender<()>>,
}

impl Listener {
    async fn emit(&self, event: ServerEvent) {
        self.engine.emit(Event::Server(self.id, event)).await;
    }

    async fn run(self, addr: String, commands: mpsc::Receiver<ServerCommand>) {
        let listener = match StreamListener::bind(&addr, RESOLVE_LIMIT).await {
            Ok(listener) => listener,
            Err(reason) => {
                self.emit(ServerEvent::StartFailed { reason }).await;
                return;
            }
        };
        match listener.local() {
            Ok(local) => self.emit(ServerEvent::Listening { local }).await,
            Err(err) => {
                self.emit(ServerEvent::StartFailed {
                    reason: format!("bound, but cannot read the local address: {err}"),
                })
                .await;
                return;
            }
        }
        let (engine, id, stop) = (self.engine.clone(), self.id, self.stop.clone());
        let live = Live {
            unix_path: listener.unix_path().map(Arc::from),
            listener: self,
            record_new: None,
        };
        let next_id = || ConnId(engine.next_id());
        crate::listener::run(
            live,
            Acceptor::any(listener),
            commands,
            stop,
            next_id,
            &engine.runtime,
        )
        .await;
        engine.emit(Event::Server(id, ServerEvent::Stopped)).await;
    }

    /// Hands a command to its connection(s); returns a warning for the
    /// connections whose queue was full (those sends are not made).
    fn dispatch(conns: &mut HashMap<ConnId, ConnEntry>, command: ServerCommand) -> Option<String> {
        let mut refused = Vec::new();
        let mut hand = |conn: ConnId, entry: &ConnEntry, command: ConnCommand| {
            if let Err(mpsc::error::TrySendError::Full(_)) = entry.commands.try_send(command) {
                refused.push(conn);
            }
        };
        match command {
            ServerCommand::Send(conn, bytes) => {
                if let Some(entry) = conns.get(&conn) {
                    hand(conn, entry, ConnCommand::Send(bytes));
                }
            }
            ServerCommand::Forward(conn, command) => {
                if let Some(entry) = conns.get(&conn) {
                    hand(conn, entry, command);
                }
            }
            ServerCommand::Record(to) => {
                for (conn, entry) in conns.iter() {
                    hand(*conn, entry, ConnCommand::Record(to.clone().map(Box::new)));
                }
                if !refused.is_empty() {
                    refused.sort();
                    let list: Vec<String> = refused.iter().map(ToString::to_string).collect();
                    return Some(format!(
                        "Recording not switched for {}: their queue is full (the peer reads nothing)",
                        list.join(", ")
                    ));
                }
                return None;
            }
            ServerCommand::Broadcast(bytes) => {
                for (conn, entry) in conns.iter() {
                    hand(*conn, entry, ConnCommand::Send(bytes.clone()));
                }
            }
            ServerCommand::Kick(conn) => {
                if let Some(entry) = conns.get_mut(&conn) {
                    if let Some(kick) = entry.kick.take() {
                        let _ = kick.send(());
                    }
                }
            }
        }
        if refused.is_empty() {
            return None;
        }
        refused.sort();
        let list: Vec<String> = refused.iter().map(ToString::to_string).collect();
        Some(format!(
            "Not sent to {}: {CONN_QUEUE} messages already wait for the peer to read",
            list.join(", ")
        ))
    }
}

/// The server's side of the listener loop: its connections and where new
/// ones record to.
struct Live {
    listener: Listener,
    /// The socket file of a UNIX listener (each connection's local end).
    unix_path: Option<Arc<str>>,
    record_new: Option<crate::record::recorder::RecordTo>,
}

impl crate::listener::Connections for Live {
    type Command = ServerCommand;
    type Handle = ConnEntry;

    fn limit(&self) -> Option<usize> {
        self.listener.config.borrow().max_connections
    }

    fn command(
        &mut self,
        live: &mut HashMap<ConnId, ConnEntry>,
        command: ServerCommand,
    ) -> Option<String> {
        if let ServerCommand::Record(to) = &command {
            self.record_new.clone_from(to);
        }
        Listener::dispatch(live, command)
    }

    fn start(
        &mut self,
        conn: ConnId,
        stream: Stream,
        peer: Endpoint,
    ) -> (
        ConnEntry,
        impl std::future::Future<Output = ConnId> + Send + 'static,
    ) {
        let listener = &self.listener;
        let (commands_tx, commands_rx) = mpsc::channel(CONN_QUEUE);
        let (kick_tx, kick) = oneshot::channel();
        let entry = ConnEntry {
            commands: commands_tx,
            kick: Some(kick_tx),
        };
        let connection = Connection::new(
            listener.engine.clone(),
            listener.id,
            conn,
            listener.config.clone(),
        )
        .with_rules(listener.rules.clone())
        .with_websocket(listener.websocket.borrow().clone())
        .recording(self.record_new.clone())
        .capturing(listener.capture.borrow().clone());
        (
            entry,
            connection.run(
                stream,
                (peer, self.unix_path.clone()),
                listener.tls.clone(),
                commands_rx,
                kick,
            ),
        )
    }

    async fn report(&self, report: crate::listener::Report) {
        use crate::listener::Report;
        let event = match report {
            Report::Warning(reason) => ServerEvent::Warning { reason },
            Report::Refused { peer, limit } => ServerEvent::Rejected { peer, limit },
            Report::AcceptFailed(reason) => ServerEvent::AcceptFailed { reason },
        };
        self.listener.emit(event).await;
    }
}
