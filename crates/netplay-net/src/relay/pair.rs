//! One relayed pair: the accepted client, its own upstream connection, and
//! the two pumps between them, from the upstream connect to the close of
//! both sides.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpStream;

use crate::command_queue;
use crate::error::{connect_error, human_duration};
use crate::kernel::tcp_info::SocketFd;
use crate::record::recorder::{record_life, RecordFor, RecordTo, Recorder};
use crate::relay::proxy_serve::{Asked, Failure};
use crate::relay::pump::{Pump, PumpCommand, PumpEnd};
use crate::relay::Side;
use crate::relay::{Context, Dir, PairCommand, PairStats, RelayEvent};
use crate::resolve::resolve;
use crate::stream::{Endpoint, ReadHalf, Stream, WriteHalf};
use crate::{ConnId, ConnStats};

/// Commands one direction may have waiting inside the pair.
const DIR_QUEUE: usize = 64;

/// How a pair ends.
enum Outcome {
    /// Both FINs forwarded: a clean close.
    Finished,
    /// Closed by us (a command, the relay stopping); FIN to both.
    Closed(String),
    /// Closed with RST to both sides.
    Reset(String),
}

pub(crate) struct Pair {
    context: Context,
    pair: ConnId,
    /// Record from the first byte.
    record: Option<Box<RecordTo>>,
    /// What the client may send past its request (the relay as an HTTP
    /// proxy, absolute form): the rest is not relayed.
    allowance: Option<u64>,
}

impl Pair {
    pub(crate) fn new(context: Context, pair: ConnId) -> Self {
        Self {
            context,
            pair,
            record: None,
            allowance: None,
        }
    }

    /// Records this pair from its first byte to a new file.
    pub(crate) fn recording(mut self, to: Option<RecordTo>) -> Self {
        self.record = to.map(Box::new);
        self
    }

    /// A recorder for this pair, seen from its client: `out` is what the
    /// client sent, `in` what the server sent.
    fn recorder(&self, to: RecordTo, client: &Endpoint, server: &Endpoint) -> Recorder {
        Recorder::start(
            &self.context.engine,
            to,
            RecordFor::RelayPair(self.context.relay, self.pair),
            crate::record::Side::Client,
            &client.to_string(),
            &server.to_string(),
        )
    }

    /// Runs the pair to its end; returns its id for the listener's books.
    pub(crate) async fn run(
        mut self,
        mut client: Stream,
        (client_addr, unix_path): (Endpoint, Option<Arc<str>>),
        mut commands: command_queue::Receiver<PairCommand>,
    ) -> ConnId {
        let pair = self.pair;
        let local = client.local(unix_path.as_deref());
        self.context
            .emit(RelayEvent::Accepted {
                pair,
                client: client_addr.clone(),
                local: local.clone(),
                at: std::time::Instant::now(),
            })
            .await;
        let mut stop = self.context.stop.clone();
        // As a proxy, the client names its target first.
        let asked = match self.asked(&mut client).await {
            Ok(asked) => asked,
            Err(reason) => {
                drop(client);
                let reason = format!("{reason}: closed client {pair}");
                self.context
                    .emit(RelayEvent::UpstreamFailed { pair, reason })
                    .await;
                self.closed("refused as a proxy request".into(), true).await;
                return pair;
            }
        };
        let target = asked
            .as_ref()
            .map_or_else(|| self.context.target.clone(), |asked| asked.target.clone());
        self.allowance = asked.as_ref().and_then(|asked| asked.allowance);
        let upstream = tokio::select! {
            biased;
            () = stop.stopped() => Err(("relay stopped before the upstream answered".to_string(), Failure::Unreachable)),
            // Only the relay's own target may be a UNIX socket: a proxy
            // client names host:port, never a file on this machine.
            result = self.connect(&target, asked.is_none()) => result,
        };
        let upstream = match (upstream, &self.context.proxy, &asked) {
            (Ok(mut upstream), Some(serve), Some(asked)) => {
                let bound = (upstream.local(None).ip().or(local.ip()))
                    .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)));
                let told = serve.answer(&mut client, asked.reply, Ok(bound)).await;
                let forwarded = match asked.first.is_empty() {
                    true => Ok(()),
                    false => tokio::io::AsyncWriteExt::write_all(&mut upstream, &asked.first).await,
                };
                match told.and(forwarded) {
                    Ok(()) => Ok(upstream),
                    Err(err) => Err(format!("the proxy client's connection broke: {err}")),
                }
            }
            (Ok(upstream), _, _) => Ok(upstream),
            (Err((reason, failure)), Some(serve), Some(asked)) => {
                let _ = serve.answer(&mut client, asked.reply, Err(failure)).await;
                Err(reason)
            }
            (Err((reason, _)), _, _) => Err(reason),
        };
        if let (Ok(_), Some(asked)) = (&upstream, &asked) {
            if !asked.first.is_empty() {
                // The forwarded head, as it went to the server.
                let data = self.context.engine.payload(&asked.first);
                self.context
                    .emit(RelayEvent::Relayed {
                        pair,
                        dir: crate::relay::Dir::Up,
                        data,
                    })
                    .await;
            }
        }
        let upstream = match upstream {
            Ok(upstream) => upstream,
            Err(reason) => {
                drop(client);
                let reason = format!("{reason}: closed client {pair}");
                self.context
                    .emit(RelayEvent::UpstreamFailed {
                        pair,
                        reason: reason.clone(),
                    })
                    .await;
                self.closed(reason, true).await;
                return pair;
            }
        };
        client.set_nodelay();
        upstream.set_nodelay();
        let stats: PairStats = [ConnStats::new(), ConnStats::new()];
        let (up_local, up_remote) = match upstream.peer() {
            Ok(remote) => (upstream.local(None), remote),
            Err(err) => {
                self.closed(format!("upstream socket: {err}"), true).await;
                return pair;
            }
        };
        self.context
            .emit(RelayEvent::UpstreamOpen {
                pair,
                local: up_local.clone(),
                remote: up_remote.clone(),
                stats: stats.clone(),
            })
            .await;
        let mut recorder = self
            .record
            .take()
            .map(|to| self.recorder(*to, &client_addr, &up_remote));
        record_life(&mut recorder, "connected").await;
        // Packets are IP packets: a pair with a UNIX side is not captured.
        let ips = match (client_addr.ip(), local.ip(), up_local.ip(), up_remote.ip()) {
            (Some(client), Some(local), Some(up_local), Some(server)) => {
                Some(((client, local), (up_local, server)))
            }
            _ => None,
        };
        let capture = self.context.capture.borrow().clone().zip(ips).map(
            |(capture, (client_leg, server_leg))| {
                super::capture::PairCapture::new(&capture, client_leg, server_leg)
            },
        );
        if let Some(capture) = &capture {
            capture.open().await;
        }
        let addrs = (client_addr, up_remote);
        let sockets = [client.fd(), upstream.fd()];
        let (mut client_read, mut client_write) = client.into_split();
        let (mut server_read, mut server_write) = upstream.into_split();
        let outcome = self
            .relay(
                (&mut client_read, &mut client_write),
                (&mut server_read, &mut server_write),
                &stats,
                &mut commands,
                sockets,
                (&mut recorder, addrs, capture.as_ref()),
            )
            .await;
        record_life(&mut recorder, "closed").await;
        if let Some(capture) = capture {
            capture.close(matches!(outcome, Outcome::Reset(_))).await;
        }
        match outcome {
            Outcome::Finished => self.closed("both sides closed".into(), false).await,
            Outcome::Closed(why) => {
                // A side set to close with RST (SO_LINGER 0) gets no FIN
                // first: its halves are put back together, then dropped.
                for (socket, read, write) in [
                    (sockets[0], client_read, client_write),
                    (sockets[1], server_read, server_write),
                ] {
                    if crate::kernel::sockopts::closes_with_reset(socket) {
                        drop(read.reunite(write));
                    } else {
                        drop(write);
                    }
                }
                self.closed(why, false).await;
            }
            Outcome::Reset(why) => {
                // SO_LINGER 0: the close sends RST instead of FIN. The halves
                // are put back together first: a write half dropped alone
                // would send a FIN before the RST.
                for (read, write) in [(client_read, client_write), (server_read, server_write)] {
                    // A UNIX socket has no RST: it is closed.
                    if let Ok(Stream::Tcp(stream)) = read.reunite(write) {
                        let _ = stream.set_zero_linger();
                    }
                }
                self.closed(why, true).await;
            }
        }
        pair
    }

    async fn closed(&self, reason: String, error: bool) {
        let pair = self.pair;
        self.context
            .emit(RelayEvent::Closed {
                pair,
                reason,
                error,
            })
            .await;
    }

    /// As a proxy: the client's request, told as [`RelayEvent::ProxyAsked`]
    /// (`None` for a relay with a fixed target).
    async fn asked(&self, client: &mut Stream) -> Result<Option<Asked>, String> {
        let Some(serve) = &self.context.proxy else {
            return Ok(None);
        };
        let asked = serve.accept(client, self.context.connect_timeout).await?;
        let (pair, words) = (self.pair, asked.words.clone());
        self.context
            .emit(RelayEvent::ProxyAsked { pair, words })
            .await;
        Ok(Some(asked))
    }

    /// Opens the upstream connection, trying each resolved address in
    /// turn; a `unix:/path` target (`fixed`: the relay's own) is a UNIX
    /// socket.
    async fn connect(&self, target: &str, fixed: bool) -> Result<Stream, (String, Failure)> {
        let limit = self.context.connect_timeout;
        if let Some(path) = crate::unix::path_of(target).filter(|_| fixed) {
            return self.connect_unix(path).await.map(Stream::Unix);
        }
        let addrs = resolve(target, limit)
            .await
            .map_err(|reason| (format!("upstream {target}: {reason}"), Failure::Unreachable))?;
        let mut failure = Failure::Unreachable;
        let mut last = format!("upstream {target}: no address to try");
        for addr in addrs {
            if self.is_ourselves(addr) {
                failure = Failure::NotAllowed;
                last = format!(
                    "upstream {addr} is this relay's own listen address: it would relay to itself"
                );
                continue;
            }
            match tokio::time::timeout(limit, TcpStream::connect(addr)).await {
                Ok(Ok(stream)) => return Ok(Stream::Tcp(stream)),
                Ok(Err(err)) if err.kind() == std::io::ErrorKind::ConnectionRefused => {
                    failure = Failure::Refused;
                    last = format!("upstream {addr} refused the connection (nothing listening)");
                }
                Ok(Err(err)) => last = format!("upstream {}", connect_error(&err, addr)),
                Err(_) => {
                    last = format!(
                        "upstream {addr} did not answer within {}",
                        human_duration(limit)
                    )
                }
            }
        }
        Err((last, failure))
    }

    /// Opens the upstream UNIX socket at `path`.
    async fn connect_unix(&self, path: &str) -> Result<tokio::net::UnixStream, (String, Failure)> {
        let shown = crate::text::sanitize_str(path);
        // By device and inode: a hard link, a symlink or another spelling
        // of our own socket file is still us.
        let ours = self.context.listening_file;
        if ours.is_some() && crate::unix::reached(path) == ours {
            let reason =
                format!("upstream {shown} is this relay's own socket: it would relay to itself");
            return Err((reason, Failure::NotAllowed));
        }
        let connect = crate::unix::connect(std::path::Path::new(path), &shown);
        let limit = self.context.connect_timeout;
        match tokio::time::timeout(limit, connect).await {
            Ok(Ok(stream)) => Ok(stream),
            Ok(Err(reason)) => Err((format!("upstream {reason}"), Failure::Refused)),
            Err(_) => Err((
                format!(
                    "upstream {shown} did not accept within {}",
                    human_duration(limit)
                ),
                Failure::Unreachable,
            )),
        }
    }

    /// Whether `addr` is where this relay listens (a loop to itself).
    fn is_ourselves(&self, addr: SocketAddr) -> bool {
        self.context
            .listening
            .as_ref()
            .and_then(Endpoint::ip)
            .is_some_and(|listen| {
                // 0.0.0.0 and :: reach this host, and ::ffff:127.0.0.1 is
                // 127.0.0.1: each may be the relay itself.
                let (ip, listen_ip) = (addr.ip().to_canonical(), listen.ip().to_canonical());
                let this_host = ip.is_unspecified() || ip.is_loopback();
                listen.port() == addr.port()
                    && (listen_ip == ip
                        || (listen_ip.is_unspecified() && this_host)
                        || (ip.is_unspecified() && listen_ip.is_loopback()))
            })
    }

    async fn relay(
        &self,
        client: (&mut ReadHalf, &mut WriteHalf),
        server: (&mut ReadHalf, &mut WriteHalf),
        stats: &PairStats,
        commands: &mut command_queue::Receiver<PairCommand>,
        sockets: [SocketFd; 2],
        (recorder, addrs, capture): (
            &mut Option<Recorder>,
            (Endpoint, Endpoint),
            Option<&super::capture::PairCapture>,
        ),
    ) -> Outcome {
        let socket = |side: Side| match side {
            Side::Client => sockets[0],
            Side::Server => sockets[1],
        };
        let mut watched: Option<Side> = None;
        let mut ticker = tokio::time::interval(std::time::Duration::from_secs(1));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let hold = self.context.config.borrow().hold_new;
        let (up_tx, up_rx) = command_queue::channel(DIR_QUEUE);
        let (down_tx, down_rx) = command_queue::channel(DIR_QUEUE);
        let upgraded = super::websocket::switch();
        let pump = |dir: Dir, rx| {
            let stats = std::sync::Arc::clone(&stats[dir.index()]);
            Pump::new(
                self.context.clone(),
                self.pair,
                dir,
                stats,
                rx,
                hold[dir.index()],
            )
            .recording(recorder.clone())
            .capturing(capture.map(|capture| capture.legs(dir)))
            .websocket(std::sync::Arc::clone(&upgraded))
        };
        let up = pump(Dir::Up, up_rx)
            .allowance(self.allowance)
            .run(client.0, server.1);
        let down = pump(Dir::Down, down_rx).run(server.0, client.1);
        tokio::pin!(up, down);
        let (mut up_done, mut down_done) = (false, false);
        let mut stop = self.context.stop.clone();
        let mut config = self.context.config.clone();
        config.borrow_and_update();
        let mut config_open = true;
        // Both waits are made once and polled by reference: this loop turns
        // at every read of either direction, and a new watch future each
        // turn registered (and unregistered) a waiter under a lock.
        let stopped = stop.stopped();
        tokio::pin!(stopped);
        let changed = next_change(config);
        tokio::pin!(changed);
        loop {
            if up_done && down_done {
                return Outcome::Finished;
            }
            let (dir, end) = tokio::select! {
                () = &mut stopped => return Outcome::Closed("relay stopped".into()),
                command = commands.recv() => match command {
                    None => return Outcome::Closed("relay stopped".into()),
                    Some(PairCommand::Close) => return Outcome::Closed("closed by netplay".into()),
                    Some(PairCommand::Reset) => return Outcome::Reset("reset by netplay: RST sent to both sides".into()),
                    Some(PairCommand::Option(side, opt)) => {
                        let options = crate::kernel::sockopts::apply_and_read(socket(side), opt);
                        self.context.emit(RelayEvent::Options { pair: self.pair, side, options }).await;
                        continue;
                    }
                    Some(PairCommand::Record(to)) => {
                        *recorder = to.map(|to| self.recorder(*to, &addrs.0, &addrs.1));
                        for queue in [&up_tx, &down_tx] {
                            // A direction whose queue is full keeps its
                            // old switch; one that has finished needs none.
                            let _ = queue.try_send(PumpCommand::Record(recorder.clone().map(Box::new)));
                        }
                        continue;
                    }
                    Some(PairCommand::Watch(side)) => {
                        watched = side;
                        ticker.reset_immediately();
                        continue;
                    }
                    Some(PairCommand::Dir(dir, command)) => {
                        let queue = match dir { Dir::Up => &up_tx, Dir::Down => &down_tx };
                        match queue.try_send(PumpCommand::Do(command)) {
                            Ok(()) => {}
                            Err(command_queue::TrySendError::Full(_)) => self.warn_busy(dir).await,
                            Err(command_queue::TrySendError::Closed(_)) => self.warn_finished(dir).await,
                        }
                        continue;
                    }
                },
                _ = ticker.tick(), if watched.is_some() => {
                    if let Some(side) = watched {
                        if let Ok(info) = crate::kernel::tcp_info::sample(&socket(side)) {
                            let pair = self.pair;
                            self.context.offer(|| RelayEvent::TcpInfo { pair, side, info }).await;
                        }
                    }
                    continue;
                }
                (open, mut config) = &mut changed, if config_open => {
                    config_open = open;
                    // Reset on resets the pair now, even while a pump waits
                    // on a receiver that reads nothing. Any change seen while
                    // it is on fires it: changes in quick succession (off,
                    // then on again) may be seen as one, and a pair opened
                    // with reset on would be reset at its next read anyway.
                    let reset_on = config.borrow_and_update().faults.iter().any(|faults| faults.reset);
                    changed.set(next_change(config));
                    if open && reset_on {
                        self.fault("reset: RST sent to both sides".into()).await;
                        return Outcome::Reset("reset fault".into());
                    }
                    // A full queue already wakes its pump.
                    let _ = up_tx.try_send(PumpCommand::Refresh);
                    let _ = down_tx.try_send(PumpCommand::Refresh);
                    continue;
                }
                end = &mut up, if !up_done => (Dir::Up, end),
                end = &mut down, if !down_done => (Dir::Down, end),
            };
            match end {
                PumpEnd::Finished => match dir {
                    Dir::Up => up_done = true,
                    Dir::Down => down_done = true,
                },
                PumpEnd::Limit(sent) => {
                    let what = format!("limit: {sent} B went {}; closed both sides", dir.arrow());
                    self.fault(what).await;
                    return Outcome::Closed("limit reached".into());
                }
                PumpEnd::Reset => {
                    self.fault("reset: RST sent to both sides".into()).await;
                    return Outcome::Reset("reset fault".into());
                }
                // One side failed: the other is told the same way (RST), as
                // a direct connection would have told it.
                PumpEnd::Failed(reason) => return Outcome::Reset(reason),
            }
        }
    }

    async fn fault(&self, what: String) {
        let pair = self.pair;
        self.context.emit(RelayEvent::Fault { pair, what }).await;
    }

    async fn warn_finished(&self, dir: Dir) {
        let reason = format!(
            "{}: {} is finished (its FIN was forwarded): nothing more goes that way",
            self.pair,
            dir.arrow()
        );
        self.context.emit(RelayEvent::Warning { reason }).await;
    }

    async fn warn_busy(&self, dir: Dir) {
        let reason = format!(
            "{}: too many commands waiting {} (the peer is not reading)",
            self.pair,
            dir.arrow()
        );
        self.context.emit(RelayEvent::Warning { reason }).await;
    }
}

/// Waits for the relay's settings to change; gives the receiver back, and
/// whether the sender is still there.
async fn next_change(
    mut config: tokio::sync::watch::Receiver<crate::relay::RelayConfig>,
) -> (
    bool,
    tokio::sync::watch::Receiver<crate::relay::RelayConfig>,
) {
    let open = config.changed().await.is_ok();
    (open, config)
}
