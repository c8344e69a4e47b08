//! The TCP server: one task for the listener, one per accepted connection.
//!
//! ```text
//! ServerHandle ──commands──► listener task ──accept──► connection task (one each)
//!      │                          │                        │
//!      └── config (watch) ────────┴────────────────────────┘ behaviour, delay
//! ```

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use super::accept_backoff::FdPressure;
use super::conn_io::{self, ConnWriter};
use super::error::{accept_error, human_duration, is_too_many_files, stream_error};
use super::greet::{greet, Behaviour, GreetAction, ServerConfig, WELCOME};
use super::http_responder::HttpResponder;
use super::resolve::bind_first;
use super::{CloseReason, ConnId, ConnStats, Engine, Event, Payload, ServerId, StopSignal};

/// The largest read (the tutorial used 1024; larger reads keep throughput
/// close to a plain tokio echo server).
pub const READ_BUFFER: usize = 16 * 1024;

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
        /// The address actually bound (shows the port the OS chose for `:0`).
        local: SocketAddr,
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
        peer: SocketAddr,
        /// The limit in force.
        limit: usize,
    },
    /// A new connection, with its full 4-tuple.
    Accepted {
        /// The connection's id.
        conn: ConnId,
        /// The client's address and port.
        peer: SocketAddr,
        /// This side's address and port.
        local: SocketAddr,
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
}

/// Commands the listener forwards to one connection.
#[derive(Debug)]
enum ConnCommand {
    Send(Vec<u8>),
}

/// Controls one running listener. Dropping it (or [`ServerHandle::stop`])
/// stops the listener and closes every connection.
pub struct ServerHandle {
    id: ServerId,
    commands: mpsc::Sender<ServerCommand>,
    config: watch::Sender<ServerConfig>,
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

    fn command(&self, command: ServerCommand) -> Result<(), Busy> {
        self.commands.try_send(command).map_err(|_| Busy)
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
    let id = ServerId(engine.next_id());
    let (commands, command_rx) = mpsc::channel(COMMAND_QUEUE);
    let (config_tx, config_rx) = watch::channel(config);
    let (stop_tx, stop) = StopSignal::new();
    let task = Listener {
        engine: engine.clone(),
        id,
        config: config_rx,
        stop,
        tls,
    };
    let addr = addr.to_string();
    engine.spawn(task.run(addr, command_rx));
    ServerHandle {
        id,
        commands,
        config: config_tx,
        stop: stop_tx,
    }
}

struct Listener {
    engine: Engine,
    id: ServerId,
    config: watch::Receiver<ServerConfig>,
    stop: StopSignal,
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

    async fn run(self, addr: String, mut commands: mpsc::Receiver<ServerCommand>) {
        let listener = match self.bind(&addr).await {
            Ok(listener) => listener,
            Err(reason) => {
                self.emit(ServerEvent::StartFailed { reason }).await;
                return;
            }
        };
        match listener.local_addr() {
            Ok(local) => self.emit(ServerEvent::Listening { local }).await,
            Err(err) => {
                self.emit(ServerEvent::StartFailed {
                    reason: format!("bound, but cannot read the local address: {err}"),
                })
                .await;
                return;
            }
        }
        let mut conns: HashMap<ConnId, ConnEntry> = HashMap::new();
        let mut tasks: JoinSet<ConnId> = JoinSet::new();
        let mut stop = self.stop.clone();
        let mut out_of_files = FdPressure::default();
        loop {
            let resume = out_of_files.resume_at;
            tokio::select! {
                () = stop.stopped() => break,
                () = tokio::time::sleep_until(resume.unwrap_or_else(tokio::time::Instant::now)), if resume.is_some() => {
                    out_of_files.resume_at = None;
                }
                command = commands.recv() => match command {
                    None => break,
                    Some(command) => {
                        if let Some(reason) = Self::dispatch(&mut conns, command) {
                            self.emit(ServerEvent::Warning { reason }).await;
                        }
                    }
                },
                Some(done) = tasks.join_next() => {
                    if let Ok(conn) = done {
                        conns.remove(&conn);
                    }
                }
                accepted = listener.accept(), if resume.is_none() => match accepted {
                    Ok((stream, peer)) => {
                        if let Some(reason) = out_of_files.recovered() {
                            self.emit(ServerEvent::Warning { reason }).await;
                        }
                        let limit = self.config.borrow().max_connections;
                        if let Some(limit) = limit.filter(|limit| conns.len() >= *limit) {
                            drop(stream);
                            self.emit(ServerEvent::Rejected { peer, limit }).await;
                            continue;
                        }
                        let conn = ConnId(self.engine.next_id());
                        let (commands_tx, commands_rx) = mpsc::channel(CONN_QUEUE);
                        let (kick_tx, kick) = oneshot::channel();
                        conns.insert(conn, ConnEntry { commands: commands_tx, kick: Some(kick_tx) });
                        let connection = Connection {
                            engine: self.engine.clone(),
                            server: self.id,
                            conn,
                            config: self.config.clone(),
                        };
                        tasks.spawn_on(connection.run(stream, peer, self.tls.clone(), commands_rx, kick), &self.engine.runtime);
                    }
                    Err(err) if is_too_many_files(&err) => {
                        // Back off instead of spinning on a full descriptor
                        // table; the waiting peers stay in the backlog.
                        if let Some(reason) = out_of_files.failed(&err) {
                            self.emit(ServerEvent::AcceptFailed { reason }).await;
                        }
                    }
                    Err(err) => {
                        self.emit(ServerEvent::AcceptFailed { reason: accept_error(&err) }).await;
                    }
                },
            }
        }
        drop(listener);
        // Connections see the same stop signal (or their entry dropping) and
        // close themselves, reporting each close.
        drop(conns);
        while tasks.join_next().await.is_some() {}
        self.emit(ServerEvent::Stopped).await;
    }

    async fn bind(&self, addr: &str) -> Result<TcpListener, String> {
        bind_first(addr, RESOLVE_LIMIT, TcpListener::bind).await
    }

    /// Hands a command to its connection(s); returns a warning for the
    /// connections whose queue was full (those sends are not made).
    fn dispatch(conns: &mut HashMap<ConnId, ConnEntry>, command: ServerCommand) -> Option<String> {
        let mut refused = Vec::new();
        let mut hand = |conn: ConnId, entry: &ConnEntry, bytes: Vec<u8>| {
            if let Err(mpsc::error::TrySendError::Full(_)) =
                entry.commands.try_send(ConnCommand::Send(bytes))
            {
                refused.push(conn);
            }
        };
        match command {
            ServerCommand::Send(conn, bytes) => {
                if let Some(entry) = conns.get(&conn) {
                    hand(conn, entry, bytes);
                }
            }
            ServerCommand::Broadcast(bytes) => {
                for (conn, entry) in conns.iter() {
                    hand(*conn, entry, bytes.clone());
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

struct Connection {
    engine: Engine,
    server: ServerId,
    conn: ConnId,
    /// This connection's own receiver (cloned at accept, so `has_changed`
    /// tracks what this connection has seen).
    config: watch::Receiver<ServerConfig>,
}

/// Why a connection task must end now.
enum Interrupt {
    Stop,
    Kick,
}

impl Connection {
    async fn emit(&self, event: ServerEvent) {
        self.engine.emit(Event::Server(self.server, event)).await;
    }

    async fn offer(&self, make: impl FnOnce() -> ServerEvent) {
        self.engine
            .offer(|| Event::Server(self.server, make()))
            .await;
    }

    /// Resolves when the server stops or this connection is kicked. Made
    /// once per connection and polled by reference from every wait, so a
    /// read or a reply costs no new watch futures.
    async fn interrupted(kick: oneshot::Receiver<()>) -> Interrupt {
        match kick.await {
            Ok(()) => Interrupt::Kick,
            // The sender went away: the listener dropped its table while
            // stopping (or ended), which is a stop, not a kick.
            Err(_) => Interrupt::Stop,
        }
    }

    async fn run(
        mut self,
        stream: TcpStream,
        peer: SocketAddr,
        tls: Option<TlsAcceptor>,
        mut commands: mpsc::Receiver<ConnCommand>,
        kick: oneshot::Receiver<()>,
    ) -> ConnId {
        let conn = self.conn;
        let local = stream
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
        let _ = stream.set_nodelay(true);
        let stats = ConnStats::new();
        self.emit(ServerEvent::Accepted {
            conn,
            peer,
            local,
            stats: Arc::clone(&stats),
        })
        .await;
        let interrupted = Self::interrupted(kick);
        tokio::pin!(interrupted);
        let (mut reader, mut writer) = match tls {
            None => conn_io::plain(stream),
            Some(acceptor) => {
                let handshake = tokio::select! {
                    interrupt = &mut interrupted => Err(match interrupt {
                        Interrupt::Stop => CloseReason::ServerStopped,
                        Interrupt::Kick => CloseReason::Local("kicked".into()),
                    }),
                    accepted = tokio::time::timeout(TLS_HANDSHAKE_LIMIT, acceptor.accept(stream)) => match accepted {
                        Ok(Ok(stream)) => Ok(stream),
                        Ok(Err(err)) => Err(CloseReason::Error(super::tls::errors::server_from_io(&err))),
                        Err(_) => Err(CloseReason::Error(format!(
                            "client did not finish its TLS handshake within {}",
                            human_duration(TLS_HANDSHAKE_LIMIT)
                        ))),
                    },
                };
                match handshake {
                    Ok(stream) => {
                        let session = stream.get_ref().1;
                        self.emit(ServerEvent::TlsAccepted {
                            conn,
                            version: super::tls::version_name(session.protocol_version()),
                            cipher: session
                                .negotiated_cipher_suite()
                                .map(|suite| format!("{:?}", suite.suite()))
                                .unwrap_or_else(|| "unknown".into()),
                            sni: session.server_name().map(crate::text::sanitize_str),
                            alpn: session.alpn_protocol().map(crate::text::sanitize),
                        })
                        .await;
                        conn_io::tls(stream)
                    }
                    Err(reason) => {
                        if let CloseReason::Error(why) = &reason {
                            self.emit(ServerEvent::TlsFailed {
                                conn,
                                reason: why.clone(),
                            })
                            .await;
                        }
                        self.emit(ServerEvent::Closed { conn, reason }).await;
                        return conn;
                    }
                }
            }
        };
        let mut io = Writer {
            writer: &mut writer,
            stats: &stats,
        };
        let mut http = HttpResponder::new(peer, local);
        let mut buffer: Vec<u8> = Vec::new();
        let mut peer_done = false;
        let idle_limit = self.config.borrow().idle_timeout;
        let mut config: ServerConfig;
        let idle = tokio::time::sleep(idle_limit.unwrap_or(Duration::MAX / 4));
        tokio::pin!(idle);
        // A reply blocked on a peer that reads nothing counts as idle too:
        // otherwise such a peer would hold its slot (`--max-conn`) forever.
        let stall_timer = tokio::time::sleep(Duration::MAX / 4);
        tokio::pin!(stall_timer);
        let mut stall = Stall {
            timer: stall_timer,
            limit: idle_limit,
        };
        let reason = 'conn: {
            let first = *self.config.borrow_and_update();
            config = first;
            if first.behaviour == Behaviour::Greet {
                if let Err(reason) = self
                    .reply(
                        &mut io,
                        WELCOME,
                        first.reply_delay,
                        &mut interrupted,
                        &mut stall,
                    )
                    .await
                {
                    break 'conn reason;
                }
            }
            loop {
                tokio::select! {
                    biased;
                    interrupt = &mut interrupted => {
                        break 'conn match interrupt {
                            Interrupt::Stop => CloseReason::ServerStopped,
                            Interrupt::Kick => CloseReason::Local("kicked".into()),
                        };
                    }
                    () = &mut idle, if idle_limit.is_some() => {
                        let limit = idle_limit.unwrap_or_default();
                        break 'conn CloseReason::Local(format!("idle for {} (--idle-timeout)", human_duration(limit)));
                    }
                    command = commands.recv() => match command {
                        Some(ConnCommand::Send(bytes)) => {
                            if let Err(reason) = self.reply(&mut io, &bytes, Duration::ZERO, &mut interrupted, &mut stall).await {
                                break 'conn reason;
                            }
                        }
                        None => break 'conn CloseReason::ServerStopped,
                    },
                    read = reader.read_lazily(&mut buffer), if !peer_done => {
                        if let Some(limit) = idle_limit {
                            idle.as_mut().reset(tokio::time::Instant::now() + limit);
                        }
                        let grow = matches!(read, Ok(n) if n == buffer.len() && n < READ_BUFFER);
                        match read {
                        Ok(0) => {
                            if self.config.borrow_and_update().behaviour == Behaviour::Manual {
                                peer_done = true;
                                self.emit(ServerEvent::PeerHalfClosed { conn }).await;
                            } else {
                                break 'conn CloseReason::Peer;
                            }
                        }
                        Ok(n) => {
                            let chunk = &buffer[..n];
                            stats.record_read(n);
                            self.offer(|| ServerEvent::Received { conn, data: self.engine.payload(chunk) }).await;
                            // The shared config is read only when it changed:
                            // every connection reading its lock per message
                            // would bounce one cache line between the cores.
                            if self.config.has_changed().unwrap_or(false) {
                                config = *self.config.borrow_and_update();
                            }
                            let outcome = match config.behaviour {
                                Behaviour::Greet => match greet(chunk) {
                                    GreetAction::Reply(reply) => self.reply(&mut io, &reply, config.reply_delay, &mut interrupted, &mut stall).await,
                                    GreetAction::Close => Err(CloseReason::Local("client sent exit".into())),
                                },
                                Behaviour::Echo => self.reply(&mut io, chunk, config.reply_delay, &mut interrupted, &mut stall).await,
                                Behaviour::Discard | Behaviour::Manual => Ok(()),
                                Behaviour::Http => {
                                    let mut outcome = Ok(());
                                    for reply in http.feed(chunk) {
                                        outcome = self.reply(&mut io, &reply.bytes, config.reply_delay, &mut interrupted, &mut stall).await;
                                        if outcome.is_ok() && reply.close {
                                            outcome = Err(CloseReason::Local("HTTP response sent with Connection: close".into()));
                                        }
                                        if outcome.is_err() {
                                            break;
                                        }
                                    }
                                    outcome
                                }
                            };
                            if let Err(reason) = outcome {
                                break 'conn reason;
                            }
                        }
                        Err(err) => break 'conn CloseReason::Error(stream_error(&err)),
                        }
                        if grow {
                            buffer.resize(buffer.len() * 2, 0);
                        }
                    }
                }
            }
        };
        if !matches!(reason, CloseReason::Error(_)) {
            let _ = writer.shutdown().await;
        }
        drop(writer);
        drop(reader);
        self.emit(ServerEvent::Closed { conn, reason }).await;
        conn
    }

    /// Waits `delay`, then writes `bytes`; a stop or kick interrupts either.
    /// Without a delay the kernel usually takes the whole reply at once, and
    /// then no waiting is set up at all.
    async fn reply<F: std::future::Future<Output = Interrupt>>(
        &self,
        io: &mut Writer<'_>,
        bytes: &[u8],
        delay: Duration,
        interrupted: &mut std::pin::Pin<&mut F>,
        stall: &mut Stall<'_>,
    ) -> Result<(), CloseReason> {
        let written = if delay.is_zero() {
            io.writer.try_write(bytes)
        } else {
            0
        };
        if written < bytes.len() {
            let stall_limit = stall.limit;
            if let Some(limit) = stall_limit {
                stall
                    .timer
                    .as_mut()
                    .reset(tokio::time::Instant::now() + delay + limit);
            }
            let rest = &bytes[written..];
            let interrupt_reason = |interrupt| match interrupt {
                Interrupt::Stop => CloseReason::ServerStopped,
                Interrupt::Kick => CloseReason::Local("kicked".into()),
            };
            if !delay.is_zero() {
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    interrupt = interrupted.as_mut() => return Err(interrupt_reason(interrupt)),
                }
            }
            // Written piece by piece, so that progress (a slow reader) is
            // told apart from a stall (a peer that reads nothing).
            let mut offset = 0;
            while offset < rest.len() {
                tokio::select! {
                    written = io.writer.write(&rest[offset..]) => {
                        match written {
                            Ok(0) => return Err(CloseReason::Error("the peer stopped taking data".into())),
                            Ok(n) => offset += n,
                            Err(err) => return Err(CloseReason::Error(stream_error(&err))),
                        }
                        if let Some(limit) = stall_limit {
                            stall.timer.as_mut().reset(tokio::time::Instant::now() + limit);
                        }
                    }
                    () = stall.timer.as_mut(), if stall_limit.is_some() => {
                        return Err(CloseReason::Local(format!(
                            "the peer read nothing for {} (--idle-timeout)",
                            human_duration(stall_limit.unwrap_or_default())
                        )));
                    }
                    interrupt = interrupted.as_mut() => return Err(interrupt_reason(interrupt)),
                }
            }
        }
        io.stats.record_write(bytes.len());
        self.offer(|| ServerEvent::Sent {
            conn: self.conn,
            data: self.engine.payload(bytes),
        })
        .await;
        Ok(())
    }
}

/// The write-stall timer of a connection: a reply that makes no progress
/// for `limit` (the idle timeout) ends the connection.
struct Stall<'a> {
    timer: std::pin::Pin<&'a mut tokio::time::Sleep>,
    limit: Option<Duration>,
}

/// A connection's write half and its counters.
struct Writer<'a> {
    writer: &'a mut ConnWriter,
    stats: &'a ConnStats,
}
