//! One accepted connection of the TCP server, from the TLS handshake (on a
//! TLS listener) to the close: reads, the behaviour's replies, the user's
//! sends, kicks, idle and stalled-write timeouts.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};
use tokio_rustls::TlsAcceptor;

use crate::behaviour::greet::{greet, Behaviour, GreetAction, ServerConfig, WELCOME};
use crate::behaviour::http_responder::HttpResponder;
use crate::error::{human_duration, stream_error};
use crate::pcap::flow::{CLIENT, SERVER};
use crate::pcap::tap::Wire;
use crate::record::recorder::{record, record_life, RecordFor, RecordTo, Recorder};
use crate::record::{Side, Way};
use crate::stream::{Endpoint, Stream};
use crate::tcp_server::conn_io::{self, ConnReader, ConnWriter};
use crate::tcp_server::websocket::{WsAction, WsConn};
use crate::tcp_server::{ConnCommand, ServerEvent, READ_BUFFER, TLS_HANDSHAKE_LIMIT};
use crate::{CloseReason, ConnId, ConnStats, Engine, Event, ServerId};

pub(crate) struct Connection {
    engine: Engine,
    server: ServerId,
    conn: ConnId,
    /// This connection's own receiver (cloned at accept, so `has_changed`
    /// tracks what this connection has seen).
    config: watch::Receiver<ServerConfig>,
    /// The rules of rules mode (read at each line, so edits apply at once).
    rules: Option<watch::Receiver<Option<Arc<crate::behaviour::rules::Rules>>>>,
    /// Record from the first byte (boxed: most connections never record,
    /// and every idle connection is this task's size).
    record: Option<Box<RecordTo>>,
    /// Captured into this pcapng file, as a flow (boxed, as `record`).
    capture: Option<Box<crate::pcap::Capture>>,
    /// WebSocket on: upgrade first, then answer messages.
    websocket: Option<Arc<super::WsOptions>>,
}

/// Why a connection task must end now.
enum Interrupt {
    Stop,
    Kick,
}

impl Connection {
    pub(crate) fn new(
        engine: Engine,
        server: ServerId,
        conn: ConnId,
        config: watch::Receiver<ServerConfig>,
    ) -> Self {
        Self {
            engine,
            server,
            conn,
            config,
            rules: None,
            record: None,
            capture: None,
            websocket: None,
        }
    }

    /// Speaks WebSocket on this connection (`None`: plain TCP).
    pub(crate) fn with_websocket(mut self, options: Option<Arc<super::WsOptions>>) -> Self {
        self.websocket = options;
        self
    }

    /// Records this connection from its first byte to a new file.
    pub(crate) fn capturing(mut self, capture: Option<crate::pcap::Capture>) -> Self {
        self.capture = capture.map(Box::new);
        self
    }

    pub(crate) fn recording(mut self, to: Option<RecordTo>) -> Self {
        self.record = to.map(Box::new);
        self
    }

    fn recorder(&self, to: RecordTo, local: &Endpoint, peer: &Endpoint) -> Recorder {
        Recorder::start(
            &self.engine,
            to,
            RecordFor::ServerConn(self.server, self.conn),
            Side::Server,
            &local.to_string(),
            &peer.to_string(),
        )
    }

    /// The rules this connection answers by in rules mode.
    pub(crate) fn with_rules(
        mut self,
        rules: watch::Receiver<Option<Arc<crate::behaviour::rules::Rules>>>,
    ) -> Self {
        self.rules = Some(rules);
        self
    }

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

    pub(crate) async fn run(
        mut self,
        stream: Stream,
        (peer, unix_path): (Endpoint, Option<Arc<str>>),
        tls: Option<TlsAcceptor>,
        mut commands: mpsc::Receiver<ConnCommand>,
        kick: oneshot::Receiver<()>,
    ) -> ConnId {
        let conn = self.conn;
        let local = stream.local(unix_path.as_deref());
        drop(unix_path);
        stream.set_nodelay();
        let fd = stream.fd();
        // Packets are IP packets: a UNIX socket's connection is not captured.
        if peer.is_unix() {
            self.capture = None;
        }
        let stats = ConnStats::new();
        self.emit(ServerEvent::Accepted {
            conn,
            peer: peer.clone(),
            local: local.clone(),
            stats: Arc::clone(&stats),
        })
        .await;
        let interrupted = Self::interrupted(kick);
        tokio::pin!(interrupted);
        let (mut reader, mut writer) = match (tls, stream.into_tcp()) {
            (None, Ok(stream)) => conn_io::plain(stream),
            (None, Err(stream)) => conn_io::any(stream),
            (Some(acceptor), stream) => {
                // Captured under TLS (the records as they went, the keys
                // beside them), not as the plaintext above it.
                let stream = match (stream, self.capture.take()) {
                    (Ok(stream), Some(capture)) => match peer.ip().zip(local.ip()) {
                        Some(ips) => Wire::Tapped(Box::new(capture.tap(stream, ips, SERVER))),
                        None => Wire::Plain(stream),
                    },
                    (Ok(stream), None) | (Err(Stream::Tcp(stream)), _) => Wire::Plain(stream),
                    (Err(Stream::Unix(stream)), _) => Wire::Unix(stream),
                };
                let handshake = tokio::select! {
                    interrupt = &mut interrupted => Err(match interrupt {
                        Interrupt::Stop => CloseReason::ServerStopped,
                        Interrupt::Kick => CloseReason::Local("kicked".into()),
                    }),
                    // Boxed: the handshake's state (a TLS session is a few
                    // KiB) lives on the heap, for TLS connections only, so
                    // a plain idle connection's task stays small.
                    done = Box::pin(tls_handshake(acceptor, stream, conn)) => done,
                };
                match handshake {
                    Ok((halves, event)) => {
                        self.emit(event).await;
                        halves
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
        let recorder = self
            .record
            .take()
            .map(|to| self.recorder(*to, &local, &peer));
        // Boxed: most connections are plain TCP, and an idle one is this
        // task's size.
        let mut websocket = self
            .websocket
            .take()
            .map(|options| Box::new(WsConn::new(options, peer.clone(), Arc::clone(&stats))));
        let mut io = Writer {
            writer: &mut writer,
            stats: &stats,
            recorder,
            // Frames are told as frames, not as the bytes written.
            silent: websocket.is_some(),
            tap: self
                .capture
                .take()
                .zip(peer.ip().zip(local.ip()))
                .map(|(capture, (peer, local))| capture.flow(peer, local)),
        };
        record_life(&mut io.recorder, "connected").await;
        if let Some(tap) = &io.tap {
            tap.open().await;
        }
        // Made at the first request (boxed): most connections never speak
        // HTTP, and every idle connection is this task's size.
        let mut http: Option<Box<HttpResponder>> = None;
        // Made at the first line in rules mode, as `http` is.
        let mut lines: Option<Box<crate::behaviour::rules::LineSplitter>> = None;
        let mut replies: u64 = 0;
        let mut buffer: Vec<u8> = Vec::new();
        let mut peer_done = false;
        let idle_limit = self.config.borrow().idle_timeout;
        let always_sampling = self.config.borrow().tcp_info;
        let mut sampling = always_sampling;
        let mut ticker = tokio::time::interval(Duration::from_secs(1));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
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
            if first.behaviour == Behaviour::Greet && websocket.is_none() {
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
            'reads: loop {
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
                    _ = ticker.tick(), if sampling => {
                        if let Ok(info) = crate::kernel::tcp_info::sample(&fd) {
                            self.offer(|| ServerEvent::TcpInfo { conn, info, last: false }).await;
                        }
                    }
                    command = commands.recv() => match command {
                        Some(ConnCommand::Send(bytes)) => {
                            let sent = match websocket.as_mut() {
                                Some(ws) => {
                                    let actions = ws.typed(&bytes);
                                    self.websocket_actions(&mut io, actions, &mut interrupted, &mut stall).await
                                }
                                None => self.reply(&mut io, &bytes, Duration::ZERO, &mut interrupted, &mut stall).await,
                            };
                            if let Err(reason) = sent {
                                break 'conn reason;
                            }
                        }
                        Some(ConnCommand::Option(opt)) => {
                            let options = crate::kernel::sockopts::apply_and_read(fd, opt);
                            self.emit(ServerEvent::Options { conn, options }).await;
                        }
                        Some(ConnCommand::Record(to)) => {
                            io.recorder = to.map(|to| self.recorder(*to, &local, &peer));
                        }
                        Some(ConnCommand::Watch(on)) => {
                            sampling = always_sampling || on;
                            if sampling {
                                ticker.reset_immediately();
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
                                record_life(&mut io.recorder, "peer_half_close").await;
                                if let Some(tap) = &io.tap {
                                    tap.fin(CLIENT).await;
                                }
                                self.emit(ServerEvent::PeerHalfClosed { conn }).await;
                            } else {
                                break 'conn CloseReason::Peer;
                            }
                        }
                        Ok(n) => {
                            let chunk = &buffer[..n];
                            stats.record_read(n);
                            record(&mut io.recorder, Way::In, chunk).await;
                            if let Some(tap) = &io.tap {
                                tap.data(CLIENT, chunk).await;
                            }
                            // The shared config is read only when it changed:
                            // every connection reading its lock per message
                            // would bounce one cache line between the cores.
                            if self.config.has_changed().unwrap_or(false) {
                                config = *self.config.borrow_and_update();
                            }
                            if let Some(ws) = websocket.as_mut() {
                                let rules = self.rules.as_ref().and_then(|rules| rules.borrow().clone());
                                let actions = ws.feed(chunk, config.behaviour, rules.as_deref());
                                if let Err(reason) = self.websocket_actions(&mut io, actions, &mut interrupted, &mut stall).await {
                                    break 'conn reason;
                                }
                                if grow {
                                    buffer.resize(buffer.len() * 2, 0);
                                }
                                continue 'reads;
                            }
                            let echo_now = config.behaviour == Behaviour::Echo && config.reply_delay.is_zero();
                            let written = if echo_now { io.writer.try_write(chunk) } else { 0 };
                            if echo_now && written == n {
                                io.stats.record_write(n);
                                record(&mut io.recorder, Way::Out, chunk).await;
                                if let Some(tap) = &io.tap {
                                    tap.data(SERVER, chunk).await;
                                }
                                self.offer(|| ServerEvent::Echoed { conn, data: self.engine.payload(chunk) }).await;
                                if grow {
                                    buffer.resize(buffer.len() * 2, 0);
                                }
                                continue 'reads;
                            }
                            self.offer(|| ServerEvent::Received { conn, data: self.engine.payload(chunk) }).await;
                            let outcome = match config.behaviour {
                                Behaviour::Greet => match greet(chunk) {
                                    GreetAction::Reply(reply) => self.reply(&mut io, &reply, config.reply_delay, &mut interrupted, &mut stall).await,
                                    GreetAction::Close => Err(CloseReason::Local("client sent exit".into())),
                                },
                                Behaviour::Echo => self.reply_rest(&mut io, chunk, written, config.reply_delay, &mut interrupted, &mut stall).await,
                                Behaviour::Discard | Behaviour::Manual => Ok(()),
                                Behaviour::Rules => {
                                    let rules = self.rules.as_ref().and_then(|rules| rules.borrow().clone());
                                    let mut outcome = Ok(());
                                    for line in lines.get_or_insert_with(Box::default).feed(chunk) {
                                        let Some(matched) = rules.as_ref().and_then(|rules| rules.answer(&line, replies + 1, &peer)) else {
                                            continue;
                                        };
                                        let rule = matched.rule;
                                        self.offer(|| ServerEvent::RuleMatched { conn, rule }).await;
                                        outcome = match matched.action {
                                            crate::behaviour::rules::Action::Reply(bytes) => {
                                                replies += 1;
                                                self.reply(&mut io, &bytes, config.reply_delay, &mut interrupted, &mut stall).await
                                            }
                                            crate::behaviour::rules::Action::Close => Err(CloseReason::Local(format!("rule {rule}: close"))),
                                            crate::behaviour::rules::Action::Ignore => Ok(()),
                                        };
                                        if outcome.is_err() {
                                            break;
                                        }
                                    }
                                    outcome
                                }
                                Behaviour::Http => {
                                    let mut outcome = Ok(());
                                    let http = http.get_or_insert_with(|| Box::new(HttpResponder::new(peer.clone(), local.clone())));
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
        let mut recorder = io.recorder.take();
        let tap = io.tap.take();
        // An option asked for before the close still applies to it (close
        // with RST, then kick), even if sends were queued ahead of it.
        while let Ok(command) = commands.try_recv() {
            if let ConnCommand::Option(opt) = command {
                let _ = crate::kernel::sockopts::apply(fd, opt);
            }
        }
        // Closing with RST (SO_LINGER 0, set by the user) means no FIN first.
        if !matches!(reason, CloseReason::Error(_))
            && !crate::kernel::sockopts::closes_with_reset(fd)
        {
            // Bounded: a TLS close must send close_notify, and a peer that
            // reads nothing would otherwise hold the close (and a stop of
            // the whole server) forever. Past the limit the socket is
            // simply dropped.
            let _ = tokio::time::timeout(CLOSE_LIMIT, writer.shutdown()).await;
        }
        // The socket is still open: what the kernel saw, to the end.
        if sampling {
            if let Ok(info) = crate::kernel::tcp_info::sample(&fd) {
                self.emit(ServerEvent::TcpInfo {
                    conn,
                    info,
                    last: true,
                })
                .await;
            }
        }
        if crate::kernel::sockopts::closes_with_reset(fd) {
            conn_io::close_whole(reader, writer);
        } else {
            drop(writer);
            drop(reader);
        }
        record_life(&mut recorder, "closed").await;
        if let Some(tap) = tap {
            // The end that closed first sends the first FIN.
            let first = if matches!(reason, CloseReason::Peer) {
                CLIENT
            } else {
                SERVER
            };
            tap.close_first(first).await;
        }
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
        self.reply_rest(io, bytes, written, delay, interrupted, stall)
            .await
    }

    /// [`Self::reply`] once `written` bytes of `bytes` are already out.
    async fn reply_rest<F: std::future::Future<Output = Interrupt>>(
        &self,
        io: &mut Writer<'_>,
        bytes: &[u8],
        written: usize,
        delay: Duration,
        interrupted: &mut std::pin::Pin<&mut F>,
        stall: &mut Stall<'_>,
    ) -> Result<(), CloseReason> {
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
        record(&mut io.recorder, Way::Out, bytes).await;
        if let Some(tap) = &io.tap {
            tap.data(SERVER, bytes).await;
        }
        if !io.silent {
            self.offer(|| ServerEvent::Sent {
                conn: self.conn,
                data: self.engine.payload(bytes),
            })
            .await;
        }
        Ok(())
    }

    /// Carries out what the websocket layer asked for, in order: tell,
    /// write, or end the connection.
    async fn websocket_actions<F: std::future::Future<Output = Interrupt>>(
        &self,
        io: &mut Writer<'_>,
        actions: Vec<WsAction>,
        interrupted: &mut std::pin::Pin<&mut F>,
        stall: &mut Stall<'_>,
    ) -> Result<(), CloseReason> {
        let conn = self.conn;
        for action in actions {
            match action {
                WsAction::Tell(event) => {
                    let event = ServerEvent::WebSocket {
                        conn,
                        event: Box::new(event),
                    };
                    match &event {
                        // Frames are data: a busy front end may drop them.
                        ServerEvent::WebSocket { event: ws, .. }
                            if matches!(
                                **ws,
                                super::WsEvent::Frame { .. } | super::WsEvent::Message { .. }
                            ) =>
                        {
                            self.offer(|| event).await;
                        }
                        _ => self.emit(event).await,
                    }
                }
                WsAction::Write(bytes) => {
                    self.reply(io, &bytes, Duration::ZERO, interrupted, stall)
                        .await?
                }
                WsAction::End(reason) => return Err(reason),
            }
        }
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
    /// What both directions are recorded to, while on.
    recorder: Option<Recorder>,
    /// Writes are not told as `Sent` (a WebSocket tells its frames).
    silent: bool,
    /// The connection's flow in a capture, while on.
    tap: Option<crate::pcap::FlowTap>,
}

/// Performs a TLS connection's handshake; the split halves and the event
/// that tells what was negotiated, or why it failed.
async fn tls_handshake(
    acceptor: TlsAcceptor,
    stream: Wire,
    conn: ConnId,
) -> Result<((ConnReader, ConnWriter), ServerEvent), CloseReason> {
    match tokio::time::timeout(TLS_HANDSHAKE_LIMIT, acceptor.accept(stream)).await {
        Ok(Ok(stream)) => {
            let session = stream.get_ref().1;
            let event = ServerEvent::TlsAccepted {
                conn,
                version: crate::tls::version_name(session.protocol_version()),
                cipher: session
                    .negotiated_cipher_suite()
                    .map(|suite| format!("{:?}", suite.suite()))
                    .unwrap_or_else(|| "unknown".into()),
                sni: session.server_name().map(crate::text::sanitize_str),
                alpn: session.alpn_protocol().map(crate::text::sanitize),
            };
            Ok((conn_io::tls(stream), event))
        }
        Ok(Err(err)) => Err(CloseReason::Error(crate::tls::errors::server_from_io(&err))),
        Err(_) => Err(CloseReason::Error(format!(
            "client did not finish its TLS handshake within {}",
            human_duration(TLS_HANDSHAKE_LIMIT)
        ))),
    }
}

/// How long a close may wait for the peer to take our last bytes (TLS's
/// close_notify included).
const CLOSE_LIMIT: Duration = Duration::from_secs(1);

#[cfg(test)]
mod tests {
    /// Every open connection is one of these futures: its size is most of
    /// what an idle connection costs (the 5,000-connection test measures
    /// the whole). A TLS session kept inline would add kilobytes to every
    /// plain connection too.
    #[test]
    fn a_plain_connection_task_stays_small() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let (engine, _events) = crate::Engine::new(tokio::runtime::Handle::current());
            let (_config_tx, config) =
                tokio::sync::watch::channel(crate::behaviour::greet::ServerConfig::default());
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let stream = tokio::net::TcpStream::connect(listener.local_addr().unwrap())
                .await
                .unwrap();
            let (_commands_tx, commands) = tokio::sync::mpsc::channel(1);
            let (_kick_tx, kick) = tokio::sync::oneshot::channel();
            let conn = super::Connection::new(engine, crate::ServerId(1), crate::ConnId(1), config);
            let peer: std::net::SocketAddr = "127.0.0.1:1".parse().unwrap();
            let task = conn.run(
                crate::stream::Stream::Tcp(stream),
                (peer.into(), None),
                None,
                commands,
                kick,
            );
            let size = std::mem::size_of_val(&task);
            eprintln!("a connection task is {size} B");
            assert!(size <= 3 * 1024, "a connection task is {size} B");
        });
    }
}
