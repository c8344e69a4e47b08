//! The TCP client: one task per outgoing connection, from name lookup to
//! close, with half-close (FIN) on request.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use crate::error::stream_error;
use crate::kernel::sockopts::SockOpt;
use crate::kernel::tcp_info::SocketFd;
use crate::record::recorder::{RecordFor, RecordTo, Recorder};
use crate::record::{Side, Way};

pub use crate::tcp_server::Busy;
use crate::tls::TlsOptions;
use crate::{ClientId, CloseReason, ConnStats, Engine, Event, StopFlag};

mod converse;
mod establish;
mod event;
mod unix;
pub use event::ClientEvent;

/// The default limit for resolving and connecting.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Sends that may wait for the connection task (a peer that never reads
/// stops the writes; past this, sends are refused instead of piling up).
pub const SEND_QUEUE: usize = 64;

/// Option changes (and recording switches) that may wait for the
/// connection task.
const OPTION_QUEUE: usize = 8;

/// Reads that may wait for a replay comparing them (the read loop waits
/// for room: none is lost).
const TAP_QUEUE: usize = 16;

/// Bytes asked for per read.
const READ_BUFFER: usize = 16 * 1024;

#[derive(Debug)]
enum ClientCommand {
    /// Bytes to write, and who to tell once they are written.
    Send(Vec<u8>, Option<tokio::sync::oneshot::Sender<()>>),
    ShutdownWrite,
}

/// Controls one outgoing connection. Dropping it (or
/// [`ClientHandle::disconnect`]) closes the connection.
pub struct ClientHandle {
    id: ClientId,
    commands: mpsc::Sender<ClientCommand>,
    options: mpsc::Sender<SockOpt>,
    record: mpsc::Sender<Option<RecordTo>>,
    stop: watch::Sender<bool>,
}

impl ClientHandle {
    /// The id every event of this connection carries.
    pub fn id(&self) -> ClientId {
        self.id
    }

    /// Writes bytes to the connection (in order with earlier sends).
    /// `Err` when [`SEND_QUEUE`] sends are already waiting: the peer is not
    /// reading (or the connection has ended).
    pub fn send(&self, bytes: Vec<u8>) -> Result<(), Busy> {
        self.commands
            .try_send(ClientCommand::Send(bytes, None))
            .map_err(|_| Busy)
    }

    /// A writer for a producer that must not lose data (stdin in `netplay
    /// tcp connect`): it waits for room instead of refusing.
    pub fn writer(&self) -> ClientWriter {
        ClientWriter(self.commands.clone())
    }

    /// Shuts down the write side only: the peer reads EOF, replies still
    /// arrive. Queued after every send made before it.
    pub fn shutdown_write(&self) -> Result<(), Busy> {
        self.commands
            .try_send(ClientCommand::ShutdownWrite)
            .map_err(|_| Busy)
    }

    /// Sets a socket option (or only reads them: [`SockOpt::Read`]); the
    /// read-back arrives as [`ClientEvent::Options`]. Taken at once, even
    /// while a write waits for a peer that does not read.
    pub fn set_option(&self, opt: SockOpt) -> Result<(), Busy> {
        self.options.try_send(opt).map_err(|_| Busy)
    }

    /// Starts recording the connection from now on to a new file (or
    /// stops: `None`); [`Event::Record`] reports the file. Taken at once,
    /// like an option.
    pub fn record(&self, to: Option<RecordTo>) -> Result<(), Busy> {
        self.record.try_send(to).map_err(|_| Busy)
    }

    /// Sends `bytes` on `schedule` (every N ms, jitter, count) until the
    /// count is reached, the connection ends, or the returned handle is
    /// dropped. Each send waits until the last one is written, so the
    /// count is what the socket took.
    pub fn repeat(
        &self,
        engine: &Engine,
        bytes: Vec<u8>,
        schedule: crate::timed::Repeat,
    ) -> crate::timed::Repeating {
        let writer = self.writer();
        crate::timed::Repeating::start(engine, schedule, bytes, move |bytes| {
            let writer = writer.clone();
            async move { writer.send_confirmed(bytes).await }
        })
    }

    /// Sends each of `count` pieces in order (a file, one block or line by
    /// line), each once the one before is written; the returned handle
    /// counts them and stops them when dropped.
    pub fn send_pieces(
        &self,
        engine: &Engine,
        pieces: impl Iterator<Item = Vec<u8>> + Send + 'static,
        count: u64,
    ) -> crate::timed::Repeating {
        let writer = self.writer();
        crate::timed::Repeating::each(engine, pieces, count, move |bytes| {
            let writer = writer.clone();
            async move { writer.send_confirmed(bytes).await }
        })
    }

    /// Closes the connection (or abandons the attempt) at once.
    pub fn disconnect(&self) {
        self.stop.send_replace(true);
    }
}

/// Writes to a connection with back-pressure: each call waits until the
/// connection task has room, so a peer that reads slowly slows the producer
/// down and memory stays at [`SEND_QUEUE`] messages. Holding one does not
/// keep the connection open.
#[derive(Clone)]
pub struct ClientWriter(mpsc::Sender<ClientCommand>);

impl ClientWriter {
    /// Queues `bytes`, waiting for room; `false` when the connection ended.
    pub async fn send(&self, bytes: Vec<u8>) -> bool {
        self.0.send(ClientCommand::Send(bytes, None)).await.is_ok()
    }

    /// Queues `bytes` and waits until they are written: `Sent`, or `Ended`
    /// when the connection ended first.
    pub async fn send_confirmed(&self, bytes: Vec<u8>) -> crate::timed::SendOutcome {
        let (done, written) = tokio::sync::oneshot::channel();
        let queued = self
            .0
            .send(ClientCommand::Send(bytes, Some(done)))
            .await
            .is_ok();
        match queued && written.await.is_ok() {
            true => crate::timed::SendOutcome::Sent,
            false => crate::timed::SendOutcome::Ended,
        }
    }

    /// Queues the half-close (FIN) after everything sent before it.
    pub async fn shutdown_write(&self) {
        let _ = self.0.send(ClientCommand::ShutdownWrite).await;
    }
}

impl Drop for ClientHandle {
    fn drop(&mut self) {
        self.disconnect();
    }
}

/// Starts connecting to `target` (`host:port`) and returns the handle at
/// once; the outcome arrives as events.
pub fn connect(engine: &Engine, target: &str, timeout: Duration) -> ClientHandle {
    connect_with(engine, target, timeout, None)
}

/// [`connect`], then a TLS handshake when `tls` is given; the session is
/// then the same transcript, and a half-close sends `close_notify`, then FIN.
pub fn connect_with(
    engine: &Engine,
    target: &str,
    timeout: Duration,
    tls: Option<TlsOptions>,
) -> ClientHandle {
    open(
        engine,
        target,
        Connect {
            capture: None,
            names: Arc::default(),
            proxy: None,
            write_after_peer_fin: false,
            timeout,
            tls,
            tcp_info: false,
            record: None,
            replay: None,
        },
    )
}

/// How to connect.
#[derive(Debug, Clone, Default)]
pub struct Connect {
    /// Limit for the lookup, the connect and the TLS handshake each.
    pub timeout: Duration,
    /// TLS after connecting, when given.
    pub tls: Option<TlsOptions>,
    /// Report `TCP_INFO` every second and once more at the close
    /// ([`ClientEvent::TcpInfo`]).
    pub tcp_info: bool,
    /// Record the session from its first byte to a new file.
    pub record: Option<RecordTo>,
    /// Play a recording's client side once connected, comparing the
    /// server's answers ([`ClientEvent::Replayed`] says how it went).
    pub replay: Option<Replay>,
    /// `--resolve` and `--connect-to` (the TLS server name stays the
    /// target's).
    pub names: Arc<crate::names::Overrides>,
    /// Reach the target through this proxy.
    pub proxy: Option<Arc<crate::proxy::Proxy>>,
    /// After the peer's FIN, keep the write side open while writes keep
    /// coming (a pause of a second ends it) or until it is shut
    /// down here — TCP's half-close, so a piped upload is sent whole; when
    /// false, the peer's FIN ends the connection.
    pub write_after_peer_fin: bool,
    /// Capture the connection into this pcapng file (under TLS: the
    /// records and the session's secrets). The file is the caller's to
    /// finish once the session has ended ([`ClientEvent::Closed`] or
    /// [`ClientEvent::ConnectFailed`]: the socket is gone by then).
    pub capture: Option<Arc<crate::pcap::tap::SyncCapture>>,
}

/// A recording to play on a new connection.
#[derive(Debug, Clone)]
pub struct Replay {
    /// The recording.
    pub recording: Arc<crate::record::Recording>,
    /// How long the server may stay silent while a recorded answer is due.
    pub limit: Duration,
}

/// Connects as `how` says; the outcome arrives as events.
pub fn open(engine: &Engine, target: &str, how: Connect) -> ClientHandle {
    let id = ClientId(engine.next_id());
    let (commands, command_rx) = mpsc::channel(SEND_QUEUE);
    let (options, option_rx) = mpsc::channel(OPTION_QUEUE);
    let (record, record_rx) = mpsc::channel(OPTION_QUEUE);
    let (stop_tx, stop) = StopFlag::new();
    let task = Client {
        engine: engine.clone(),
        id,
        stop,
    };
    let receivers = Controls {
        options: option_rx,
        record: record_rx,
    };
    // The player writes like any producer that must not lose data.
    let writer = how.replay.is_some().then(|| ClientWriter(commands.clone()));
    engine.spawn(task.run(target.to_string(), how, command_rx, receivers, writer));
    ClientHandle {
        id,
        commands,
        options,
        record,
        stop: stop_tx,
    }
}

struct Client {
    engine: Engine,
    id: ClientId,
    stop: StopFlag,
}

impl Client {
    async fn emit(&self, event: ClientEvent) {
        self.engine.emit(Event::Client(self.id, event)).await;
    }

    async fn offer(&self, make: impl FnOnce() -> ClientEvent) {
        self.engine.offer(|| Event::Client(self.id, make())).await;
    }

    async fn run(
        self,
        target: String,
        how: Connect,
        commands: mpsc::Receiver<ClientCommand>,
        controls: Controls,
        player: Option<ClientWriter>,
    ) {
        if let Some(path) = target.strip_prefix("unix:") {
            let path = path.to_string();
            return self.run_unix(path, how, (commands, controls), player).await;
        }
        let Connect {
            timeout,
            tls,
            tcp_info,
            record,
            replay,
            capture,
            names,
            proxy,
            write_after_peer_fin,
        } = how;
        // A bad CA file is the user's to fix: say so before any traffic.
        let tls = match tls
            .map(|options| crate::tls::client(&options, &[]))
            .transpose()
        {
            Ok(tls) => tls,
            Err(reason) => {
                self.emit(ClientEvent::ConnectFailed { reason }).await;
                return;
            }
        };
        let mut stop = self.stop.clone();
        // Timed from here: building the TLS settings (the root store) is
        // not the network's time.
        let started = tokio::time::Instant::now();
        let stream = tokio::select! {
            biased;
            () = stop.stopped() => {
                self.emit(ClientEvent::ConnectFailed { reason: "cancelled".into() }).await;
                return;
            }
            result = self.establish(&target, timeout, (&names, proxy.as_deref())) => match result {
                Ok(stream) => stream,
                Err(reason) => {
                    self.emit(ClientEvent::ConnectFailed { reason }).await;
                    return;
                }
            },
        };
        let (local, remote) = match (stream.local_addr(), stream.peer_addr()) {
            (Ok(local), Ok(remote)) => (local, remote),
            (Err(err), _) | (_, Err(err)) => {
                let reason = CloseReason::Error(stream_error(&err));
                self.emit(ClientEvent::Closed { reason }).await;
                return;
            }
        };
        let _ = stream.set_nodelay(true);
        let recorder = record.map(|to| self.recorder(to, &local.to_string(), &remote.to_string()));
        // The tap is on before the first read: a greeting is compared too.
        let tap = match (replay, player) {
            (Some(replay), Some(writer)) => Some(self.play(replay, writer)),
            _ => None,
        };
        let probe = Probe {
            write_after_peer_fin,
            socket: SocketFd::of(&stream),
            every_second: tcp_info,
            options: controls.options,
            record: controls.record,
            recorder: std::sync::Mutex::new(recorder),
            tap,
            addrs: (local.to_string(), remote.to_string()),
        };
        let stats = ConnStats::new();
        self.emit(ClientEvent::Connected {
            local,
            remote,
            stats: Arc::clone(&stats),
        })
        .await;
        let reason = match tls {
            None => match &capture {
                Some(capture) => {
                    let tapped = crate::pcap::tap::Tapped::client(
                        stream,
                        Arc::clone(capture),
                        local,
                        remote,
                    );
                    self.converse(tapped, &stats, probe, commands).await
                }
                None => self.converse(stream, &stats, probe, commands).await,
            },
            Some(client) => {
                let connect = stats.opened.saturating_duration_since(started.into_std());
                let host = target
                    .rsplit_once(':')
                    .map_or(target.as_str(), |(host, _)| host);
                let name = match client.server_name(host) {
                    Ok(name) => name,
                    Err(reason) => {
                        self.emit(ClientEvent::ConnectFailed { reason }).await;
                        return;
                    }
                };
                let mut config = Arc::clone(&client.config);
                let stream = match &capture {
                    Some(capture) => {
                        // The records as they go, and the secrets beside them.
                        capture.hold_for_secrets();
                        let config = Arc::make_mut(&mut config);
                        let also = Some(Arc::clone(&config.key_log));
                        let log = crate::pcap::tap::CaptureKeyLog::new(Arc::clone(capture), also);
                        config.key_log = Arc::new(log);
                        let tapped = crate::pcap::tap::Tapped::client(
                            stream,
                            Arc::clone(capture),
                            local,
                            remote,
                        );
                        crate::pcap::tap::Wire::Tapped(Box::new(tapped))
                    }
                    None => crate::pcap::tap::Wire::Plain(stream),
                };
                let shown = remote.to_string();
                let handshake = self
                    .tls_handshake(
                        (&client, config, name),
                        stream,
                        (&stats, connect),
                        (timeout, &shown),
                    )
                    .await;
                match handshake {
                    Ok(stream) => self.converse(stream, &stats, probe, commands).await,
                    Err(reason) => {
                        self.emit(ClientEvent::ConnectFailed { reason }).await;
                        return;
                    }
                }
            }
        };
        self.emit(ClientEvent::Closed { reason }).await;
    }

    /// Starts the player of a replay; returns the tap its bytes come on.
    fn play(&self, replay: Replay, writer: ClientWriter) -> mpsc::Sender<Vec<u8>> {
        let (tap, tapped) = mpsc::channel(TAP_QUEUE);
        let over = crate::record::replay::PlayOver::Client {
            writer,
            tap: tapped,
        };
        let (engine, id) = (self.engine.clone(), self.id);
        self.engine.spawn(async move {
            let outcome =
                crate::record::replay::play_client_over(over, &replay.recording, replay.limit)
                    .await
                    .map_err(|err| stream_error(&err));
            engine
                .emit(Event::Client(id, ClientEvent::Replayed(outcome)))
                .await;
        });
        tap
    }

    fn recorder(&self, to: RecordTo, local: &str, remote: &str) -> Recorder {
        Recorder::start(
            &self.engine,
            to,
            RecordFor::Client(self.id),
            Side::Client,
            local,
            remote,
        )
    }

    /// The recorder, if one is on (a clone: the lock is not held across
    /// the wait for the disk).
    fn recording(recording: &Recording) -> Option<Recorder> {
        recording.lock().ok().and_then(|on| on.clone())
    }

    /// Records, and forgets a recorder whose file failed.
    async fn record(recording: &Recording, way: Way, bytes: &[u8]) {
        if let Some(recorder) = Self::recording(recording) {
            if !recorder.data(way, bytes).await {
                Self::switch_recorder(recording, None);
            }
        }
    }

    async fn record_life(recording: &Recording, what: &str) {
        if let Some(recorder) = Self::recording(recording) {
            recorder.life(what).await;
        }
    }

    fn switch_recorder(recording: &Recording, recorder: Option<Recorder>) {
        if let Ok(mut on) = recording.lock() {
            *on = recorder;
        }
    }
}

/// The connection's socket for `TCP_INFO` and the live options (open for
/// as long as the conversation runs), whether to sample every second, and
/// the option changes asked for.
struct Probe {
    /// See [`Connect::write_after_peer_fin`].
    write_after_peer_fin: bool,
    socket: SocketFd,
    every_second: bool,
    options: mpsc::Receiver<SockOpt>,
    /// Recording switched on (to a new file) or off.
    record: mpsc::Receiver<Option<RecordTo>>,
    /// Taken by the conversation, where the read loop and the write side
    /// (both in this task) share it.
    recorder: Recording,
    /// A replay's copy of every byte read (taken by the conversation).
    tap: Option<mpsc::Sender<Vec<u8>>>,
    /// Both ends as a recording names them.
    addrs: (String, String),
}

/// The recorder, if one is on.
type Recording = std::sync::Mutex<Option<Recorder>>;

/// What the handle changes beside the data: options and recording.
struct Controls {
    options: mpsc::Receiver<SockOpt>,
    record: mpsc::Receiver<Option<RecordTo>>,
}
