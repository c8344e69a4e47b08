//! UDP: one task per socket. A bound socket answers whoever sends to it
//! (greet, echo, or silent), as the tutorial's server did with no
//! `listen()`; an unbound send opens an ephemeral socket *connected* to the
//! target, so replies are listed and an ICMP port-unreachable surfaces as
//! "connection refused" on the next receive (an unconnected socket never
//! hears of it). The lossy switch applies on receive.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::UdpSocket;
use tokio::sync::mpsc;

use super::{Engine, Event, SocketId, StopFlag};
use crate::behaviour::burst::{self, BurstTracker, MAX_BURST};
pub use crate::behaviour::loop_guard::Blocked;
use crate::behaviour::loop_guard::{LoopGuard, MAX_BLOCKED};
use crate::behaviour::lossy::{Lossy, LossyConfig};
use crate::error::{bind_error, os_reason};
use crate::resolve::{bind_first, resolve};

/// Datagrams the lossy switch may hold back at once; past it a delayed
/// datagram is dropped and counted (`overflow`), so a flood cannot grow
/// memory while delays are on.
pub const MAX_HELD: usize = 1024;

/// Bytes the lossy switch may hold back at once (1,024 full-size datagrams
/// would be 64 MiB).
pub const MAX_HELD_BYTES: usize = 4 * 1024 * 1024;

/// The largest UDP payload over IPv4 (65,535 − 8 UDP − 20 IP header bytes).
pub const MAX_DATAGRAM_V4: usize = 65_507;
/// The largest UDP payload over IPv6 (without jumbograms).
pub const MAX_DATAGRAM_V6: usize = 65_527;

/// How long a name lookup may take.
const RESOLVE_LIMIT: Duration = Duration::from_secs(5);

mod arrival;
mod event;
pub mod group;
pub mod mode;
pub mod pktinfo;
pub mod stats;
mod timed_sends;

pub use event::UdpEvent;
pub use group::UdpOptions;
pub use mode::UdpMode;
pub use stats::{UdpSnapshot, UdpStats};

enum SocketCommand {
    Send {
        target: String,
        bytes: Vec<u8>,
    },
    /// A send that says when it is done (paced senders wait for it).
    SendThen {
        target: String,
        bytes: Vec<u8>,
        /// Whether the datagram was sent (dropped: the target did not
        /// resolve).
        done: tokio::sync::oneshot::Sender<bool>,
    },
    Mode(UdpMode),
    NoReply(Blocked, bool),
    Rules(Option<Arc<crate::behaviour::rules::Rules>>),
    Capture(Option<crate::pcap::Capture>),
    Lossy(Option<LossyConfig>),
    Burst {
        target: String,
        count: u32,
        size: usize,
        wait: Duration,
    },
}

/// Controls one UDP socket; dropping it closes the socket.
pub struct UdpHandle {
    id: SocketId,
    commands: mpsc::UnboundedSender<SocketCommand>,
    stop: tokio::sync::watch::Sender<bool>,
}

impl UdpHandle {
    /// The id every event of this socket carries.
    pub fn id(&self) -> SocketId {
        self.id
    }

    /// Sends one datagram to `target` (`host:port`, resolved).
    pub fn send(&self, target: &str, bytes: Vec<u8>) {
        let _ = self.commands.send(SocketCommand::Send {
            target: target.to_string(),
            bytes,
        });
    }

    /// Changes what is done with received datagrams.
    pub fn set_mode(&self, mode: UdpMode) {
        let _ = self.commands.send(SocketCommand::Mode(mode));
    }

    /// The rules rules mode answers by, from the next datagram on.
    pub fn set_rules(&self, rules: Option<Arc<crate::behaviour::rules::Rules>>) {
        let _ = self.commands.send(SocketCommand::Rules(rules));
    }

    /// Writes every datagram the socket reads or sends from now on into
    /// `capture` (or stops); the file is finished when its last handle,
    /// this socket's included, is gone.
    pub fn set_capture(&self, capture: Option<crate::pcap::Capture>) {
        let _ = self.commands.send(SocketCommand::Capture(capture));
    }

    /// Turns the lossy switch on (with a fresh generator) or off.
    pub fn set_lossy(&self, lossy: Option<LossyConfig>) {
        let _ = self.commands.send(SocketCommand::Lossy(lossy));
    }

    /// Sends `count` numbered datagrams of `size` bytes to `target` and
    /// reports the replies `wait` after the last activity.
    pub fn burst(&self, target: &str, count: u32, size: usize, wait: Duration) {
        let _ = self.commands.send(SocketCommand::Burst {
            target: target.to_string(),
            count,
            size,
            wait,
        });
    }

    /// Stops (`on`) or resumes automatic replies to `peer`.
    pub fn no_reply_to(&self, peer: Blocked, on: bool) {
        let _ = self.commands.send(SocketCommand::NoReply(peer, on));
    }

    /// Closes the socket.
    pub fn close(&self) {
        self.stop.send_replace(true);
    }
}

impl Drop for UdpHandle {
    fn drop(&mut self) {
        self.close();
    }
}

/// Where a socket's local address comes from.
#[derive(Debug, Clone)]
pub enum Bind {
    /// Bind this typed address.
    Address(String),
    /// Bind an ephemeral port of the target's family and connect to it.
    EphemeralFor(String),
}

/// Opens a socket and returns its handle at once; the outcome arrives as
/// [`UdpEvent::Bound`] or [`UdpEvent::BindFailed`].
pub fn open(engine: &Engine, bind: Bind, mode: UdpMode, lossy: Option<LossyConfig>) -> UdpHandle {
    open_with(engine, bind, (mode, lossy), UdpOptions::default())
}

/// [`open`] with multicast groups to join, multicast settings and
/// `SO_BROADCAST` ([`UdpOptions`]); each is said as [`UdpEvent::Note`].
pub fn open_with(
    engine: &Engine,
    bind: Bind,
    (mode, lossy): (UdpMode, Option<LossyConfig>),
    options: UdpOptions,
) -> UdpHandle {
    let id = SocketId(engine.next_id());
    let (commands, command_rx) = mpsc::unbounded_channel();
    let (stop_tx, stop) = StopFlag::new();
    let task = Task {
        engine: engine.clone(),
        id,
        mode,
        rules: None,
        replies: 0,
        lossy: lossy.map(Lossy::new),
        stats: Arc::new(UdpStats::default()),
        connected: None,
        local: None,
        guard: LoopGuard::new(),
        held: 0,
        held_bytes: 0,
        burst: None,
        next_burst: 1,
        capture: None,
        options,
        arrival: None,
    };
    engine.spawn(task.run(bind, command_rx, stop));
    UdpHandle {
        id,
        commands,
        stop: stop_tx,
    }
}

struct ActiveBurst {
    tracker: BurstTracker,
    started: Instant,
    wait: Duration,
    deadline: tokio::time::Instant,
}

struct Task {
    engine: Engine,
    id: SocketId,
    mode: UdpMode,
    rules: Option<Arc<crate::behaviour::rules::Rules>>,
    /// Replies sent by rules (`{{n}}`).
    replies: u64,
    lossy: Option<Lossy>,
    stats: Arc<UdpStats>,
    connected: Option<SocketAddr>,
    local: Option<SocketAddr>,
    burst: Option<ActiveBurst>,
    next_burst: u64,
    guard: LoopGuard,
    /// Datagrams the lossy switch holds back right now (at most
    /// [`MAX_HELD`]).
    held: usize,
    /// Their bytes (at most [`MAX_HELD_BYTES`]).
    held_bytes: usize,
    /// Every datagram read or sent goes here too, when set.
    capture: Option<crate::pcap::Capture>,
    /// Groups, multicast settings, `SO_BROADCAST`.
    options: UdpOptions,
    /// Where the datagram being handled was sent, when to a group or a
    /// broadcast address.
    arrival: Option<pktinfo::Arrival>,
}

/// A datagram held back by the lossy switch.
struct Delayed {
    from: SocketAddr,
    bytes: Vec<u8>,
    note: String,
    /// Where it was sent, when to a group or a broadcast address.
    arrival: Option<pktinfo::Arrival>,
}

impl Task {
    async fn emit(&self, event: UdpEvent) {
        self.engine.emit(Event::Udp(self.id, event)).await;
    }

    async fn offer(&self, make: impl FnOnce() -> UdpEvent) {
        self.engine.offer(|| Event::Udp(self.id, make())).await;
    }

    async fn run(
        mut self,
        bind: Bind,
        mut commands: mpsc::UnboundedReceiver<SocketCommand>,
        mut stop: StopFlag,
    ) {
        let socket = match self.open(&bind).await {
            Ok(socket) => socket,
            Err(reason) => {
                self.emit(UdpEvent::BindFailed { reason }).await;
                return;
            }
        };
        let local = match socket.local_addr() {
            Ok(local) => local,
            Err(err) => {
                self.emit(UdpEvent::BindFailed {
                    reason: os_reason(&err),
                })
                .await;
                return;
            }
        };
        let said = match self.options.apply(&socket) {
            Ok(said) => said,
            Err(reason) => return self.emit(UdpEvent::BindFailed { reason }).await,
        };
        self.local = Some(local);
        self.emit(UdpEvent::Bound {
            local,
            connected: self.connected,
            stats: Arc::clone(&self.stats),
        })
        .await;
        for text in said {
            self.emit(UdpEvent::Note { text }).await;
        }
        // A socket that may hear a group or a broadcast reads each
        // arrival's destination too (IP_PKTINFO); others keep recvfrom.
        let mut destinations = match pktinfo::wanted(local, &self.options) {
            true => match pktinfo::Destinations::switch_on(&socket, local) {
                Ok(destinations) => Some(destinations),
                Err(err) => {
                    let reason = format!(
                        "arrivals to a group or broadcast address will not be marked: IP_PKTINFO: {}",
                        crate::error::os_reason(&err)
                    );
                    self.emit(UdpEvent::Error { reason }).await;
                    None
                }
            },
            false => None,
        };
        let (delayed_tx, mut delayed_rx) = mpsc::unbounded_channel::<Delayed>();
        let mut buffer = vec![0u8; 65_536];
        // At most this many waiting datagrams after one read before the
        // loop looks at commands and the stop again.
        const RECV_BATCH: usize = 63;
        loop {
            let burst_deadline = self.burst.as_ref().map(|b| b.deadline);
            tokio::select! {
                biased;
                () = stop.stopped() => break,
                command = commands.recv() => match command {
                    None => break,
                    Some(command) => self.command(&socket, command, &mut buffer, &delayed_tx).await,
                },
                received = receive(&socket, &mut buffer, destinations.as_mut()) => match received {
                    Ok((len, from, arrival)) => {
                        self.arrival = arrival;
                        self.arrived(&socket, from, &buffer[..len], &delayed_tx).await;
                        // Datagrams already waiting are taken now, without
                        // another turn of the loop (a busy echo answers
                        // them in a batch, as a plain server would).
                        for _ in 0..RECV_BATCH {
                            match try_receive(&socket, &mut buffer, destinations.as_mut()) {
                                Ok((len, from, arrival)) => {
                                    self.arrival = arrival;
                                    self.arrived(&socket, from, &buffer[..len], &delayed_tx).await;
                                }
                                Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => break,
                                Err(err) => {
                                    self.receive_error(&err).await;
                                    break;
                                }
                            }
                        }
                    }
                    Err(err) => self.receive_error(&err).await,
                },
                Some(delayed) = delayed_rx.recv() => {
                    self.arrival = delayed.arrival;
                    self.held = self.held.saturating_sub(1);
                    self.held_bytes = self.held_bytes.saturating_sub(delayed.bytes.len());
                    self.deliver(&socket, delayed.from, &delayed.bytes, Some(delayed.note)).await;
                }
                () = sleep_until(burst_deadline), if burst_deadline.is_some() => self.finish_burst().await,
            }
        }
        if self.burst.is_some() {
            self.finish_burst().await;
        }
        for text in self.options.leave(&socket) {
            self.emit(UdpEvent::Note { text }).await;
        }
        self.emit(UdpEvent::Closed).await;
    }

    async fn open(&mut self, bind: &Bind) -> Result<UdpSocket, String> {
        match bind {
            Bind::Address(text) => {
                // `239.1.2.3:9000@127.0.0.1`: the group's port, joined.
                let (address, iface) = match text.rsplit_once('@') {
                    Some((address, iface)) => (address, Some(iface)),
                    None => (text.as_str(), None),
                };
                let group = address
                    .parse::<SocketAddr>()
                    .ok()
                    .filter(|a| a.ip().is_multicast());
                if let Some(group) = group {
                    let spec = match iface {
                        Some(iface) => format!("{}@{iface}", group.ip()),
                        None => group.ip().to_string(),
                    };
                    self.options.join.push(group::Group::parse(&spec)?);
                    let any = SocketAddr::new(unspecified_for(group).ip(), group.port());
                    return group::bind_shared(any).map_err(|err| bind_error(&err, any));
                }
                if self.options.shares_port() {
                    let addr = resolve(text, RESOLVE_LIMIT).await?;
                    let addr = *addr.first().ok_or("no address")?;
                    return group::bind_shared(addr).map_err(|err| bind_error(&err, addr));
                }
                bind_first(text, RESOLVE_LIMIT, UdpSocket::bind).await
            }
            Bind::EphemeralFor(target) => {
                let remote = resolve(target, RESOLVE_LIMIT)
                    .await?
                    .into_iter()
                    .next()
                    .ok_or("no address")?;
                let any = unspecified_for(remote);
                let socket = UdpSocket::bind(any)
                    .await
                    .map_err(|err| bind_error(&err, any))?;
                // A group or a broadcast address is not one peer: replies
                // come from each member's own address, so no connect.
                let kind = group::destination_kind(remote);
                if kind.is_some() || self.options.broadcast {
                    self.options.broadcast |= kind == Some("broadcast");
                    return Ok(socket);
                }
                socket.connect(remote).await.map_err(|err| match err.kind() {
                    std::io::ErrorKind::PermissionDenied => format!(
                        "{remote} looks like a broadcast address: sending there needs SO_BROADCAST (--broadcast, EACCES without it)"
                    ),
                    _ => format!(
                        "cannot connect the UDP socket to {remote}: {}",
                        os_reason(&err)
                    ),
                })?;
                self.connected = Some(remote);
                Ok(socket)
            }
        }
    }

    async fn command(
        &mut self,
        socket: &UdpSocket,
        command: SocketCommand,
        buffer: &mut [u8],
        delayed: &mpsc::UnboundedSender<Delayed>,
    ) {
        match command {
            SocketCommand::Mode(mode) => self.mode = mode,
            SocketCommand::NoReply(peer, on) => {
                let refused = if on {
                    (!self.guard.block(peer)).then(|| {
                        format!(
                            "cannot stop answering {peer}: {MAX_BLOCKED} peers are blocked already"
                        )
                    })
                } else {
                    self.guard.unblock(peer);
                    None
                };
                self.emit(UdpEvent::NoReply { peer, on, refused }).await;
            }
            SocketCommand::Rules(rules) => self.rules = rules,
            SocketCommand::Capture(capture) => self.capture = capture,
            SocketCommand::Lossy(lossy) => self.lossy = lossy.map(Lossy::new),
            SocketCommand::Send { target, bytes } => {
                if let Some(to) = self.target(socket, &target).await {
                    self.send(socket, to, &bytes).await;
                }
            }
            SocketCommand::SendThen {
                target,
                bytes,
                done,
            } => {
                if let Some(to) = self.target(socket, &target).await {
                    let sent = self.send(socket, to, &bytes).await;
                    let _ = done.send(sent);
                }
            }
            SocketCommand::Burst {
                target,
                count,
                size,
                wait,
            } => {
                let Some(to) = self.target(socket, &target).await else {
                    return;
                };
                if self.burst.is_some() {
                    self.finish_burst().await;
                }
                let count = count.clamp(1, MAX_BURST);
                let id = self.next_burst;
                self.next_burst += 1;
                self.burst = Some(ActiveBurst {
                    tracker: BurstTracker::new(id, count, size),
                    started: Instant::now(),
                    wait,
                    deadline: tokio::time::Instant::now() + wait,
                });
                for seq in 0..count {
                    let payload = burst::payload(id, seq, size);
                    let sent = self.send(socket, to, &payload).await;
                    match &mut self.burst {
                        Some(burst) if burst.tracker.id() == id => {
                            if sent {
                                burst.tracker.sent_one();
                            }
                            burst.deadline = tokio::time::Instant::now() + burst.wait;
                        }
                        _ => break,
                    }
                    // Take the replies in as they come, so a long burst
                    // never overflows this socket's receive buffer.
                    while let Ok((len, from)) = socket.try_recv_from(buffer) {
                        // A reply to the burst (recvfrom: no destination read).
                        self.arrival = None;
                        let datagram = buffer[..len].to_vec();
                        self.arrived(socket, from, &datagram, delayed).await;
                    }
                    if seq % 64 == 63 {
                        tokio::task::yield_now().await;
                    }
                }
            }
        }
    }

    /// Resolves a send target; an ephemeral socket follows it by reconnecting.
    async fn target(&mut self, socket: &UdpSocket, text: &str) -> Option<SocketAddr> {
        let to = match resolve(text, RESOLVE_LIMIT).await {
            Ok(addrs) => match addrs.first() {
                Some(addr) => *addr,
                None => return None,
            },
            Err(reason) => {
                self.emit(UdpEvent::Error { reason }).await;
                return None;
            }
        };
        if let Some(connected) = self.connected {
            if connected != to {
                if connected.is_ipv4() != to.is_ipv4() {
                    self.emit(UdpEvent::Error {
                        reason: format!(
                            "this socket is {}; {to} needs the other IP version: unbind and send again",
                            if connected.is_ipv4() { "IPv4" } else { "IPv6" }
                        ),
                    })
                    .await;
                    return None;
                }
                if let Err(err) = socket.connect(to).await {
                    self.emit(UdpEvent::Error {
                        reason: format!(
                            "cannot connect the UDP socket to {to}: {}",
                            os_reason(&err)
                        ),
                    })
                    .await;
                    return None;
                }
                self.connected = Some(to);
            }
        }
        Some(to)
    }

    /// Sends one datagram; returns whether it went out.
    async fn send(&self, socket: &UdpSocket, to: SocketAddr, bytes: &[u8]) -> bool {
        let limit = if to.is_ipv4() {
            MAX_DATAGRAM_V4
        } else {
            MAX_DATAGRAM_V6
        };
        if bytes.len() > limit {
            self.emit(UdpEvent::Error {
                reason: format!(
                    "datagram too large: {} bytes; a UDP/{} datagram carries at most {limit}",
                    bytes.len(),
                    if to.is_ipv4() { "IPv4" } else { "IPv6" }
                ),
            })
            .await;
            return false;
        }
        let sent = if self.connected.is_some() {
            socket.send(bytes).await
        } else {
            socket.send_to(bytes, to).await
        };
        match sent {
            Ok(_) => {
                self.captured(to, bytes, true).await;
                self.stats.datagrams_out.fetch_add(1, Ordering::Relaxed);
                self.stats
                    .bytes_out
                    .fetch_add(bytes.len() as u64, Ordering::Relaxed);
                self.offer(|| UdpEvent::Sent {
                    to,
                    data: self.engine.payload(bytes),
                })
                .await;
                true
            }
            Err(err) => {
                self.emit(UdpEvent::Error {
                    reason: send_error(&err, to),
                })
                .await;
                false
            }
        }
    }

    /// A datagram between `peer` and this socket into the capture, if
    /// one is on: sent to the peer (`out`) or read from it. An unspecified
    /// local address (0.0.0.0) is written as the peer's family's address
    /// the peer reached: loopback's, for a loopback peer.
    pub(super) async fn captured(&self, peer: SocketAddr, bytes: &[u8], out: bool) {
        let (Some(capture), Some(mut local)) = (&self.capture, self.local) else {
            return;
        };
        if local.ip().is_unspecified() {
            local.set_ip(peer.ip());
        }
        let (from, to) = if out { (local, peer) } else { (peer, local) };
        capture.datagram(from, to, bytes).await;
    }

    async fn receive_error(&self, err: &std::io::Error) {
        let reason = match (err.kind(), self.connected) {
            (std::io::ErrorKind::ConnectionRefused, Some(peer)) => format!(
                "connection refused: ICMP port unreachable from {peer} — nothing listens there"
            ),
            _ => format!("receive failed: {}", os_reason(err)),
        };
        self.emit(UdpEvent::Error { reason }).await;
    }

    async fn finish_burst(&mut self) {
        if let Some(burst) = self.burst.take() {
            let report = burst.tracker.report(burst.started.elapsed());
            self.emit(UdpEvent::BurstDone(report)).await;
        }
    }
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

fn unspecified_for(remote: SocketAddr) -> SocketAddr {
    match remote.ip() {
        IpAddr::V4(_) => SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
        IpAddr::V6(_) => SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0),
    }
}

fn send_error(err: &std::io::Error, to: SocketAddr) -> String {
    match err.kind() {
        std::io::ErrorKind::ConnectionRefused => {
            format!("connection refused: an earlier datagram to {to} got ICMP port unreachable")
        }
        _ if err.raw_os_error() == Some(90) => {
            format!("datagram too large for {to} (EMSGSIZE)")
        }
        std::io::ErrorKind::PermissionDenied => format!(
            "sending to {to} was refused (EACCES): a broadcast address needs SO_BROADCAST (--broadcast)"
        ),
        _ => format!("sending to {to} failed: {}", os_reason(err)),
    }
}

/// The next datagram, with its destination when `destinations` is on.
async fn receive(
    socket: &UdpSocket,
    buffer: &mut [u8],
    destinations: Option<&mut pktinfo::Destinations>,
) -> std::io::Result<(usize, SocketAddr, Option<pktinfo::Arrival>)> {
    match destinations {
        Some(destinations) => destinations.recv(socket, buffer).await,
        None => socket
            .recv_from(buffer)
            .await
            .map(|(len, from)| (len, from, None)),
    }
}

/// [`receive`] without waiting (`WouldBlock`: nothing waits).
fn try_receive(
    socket: &UdpSocket,
    buffer: &mut [u8],
    destinations: Option<&mut pktinfo::Destinations>,
) -> std::io::Result<(usize, SocketAddr, Option<pktinfo::Arrival>)> {
    match destinations {
        Some(destinations) => destinations.try_recv(socket, buffer),
        None => socket
            .try_recv_from(buffer)
            .map(|(len, from)| (len, from, None)),
    }
}
