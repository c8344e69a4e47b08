//! Keeps automatic UDP replies (greet, echo) from feeding an endless loop.
//!
//! A UDP server that answers every datagram can be turned against itself or
//! against another answering server: one forged datagram, from one server's
//! address to the other's, and the two bounce it back and forth forever at
//! full speed. Three guards, each cheap per datagram:
//! - **own addresses**: a datagram whose source is this socket itself (any
//!   of the machine's addresses, not only loopback) is never answered;
//! - **ping-pong**: a peer whose datagrams are our last reply to it (echo)
//!   or that reply greeted (`Hello, <reply>!`, line ending kept as greet
//!   keeps it), each within a moment of our reply, [`PING_PONG_STREAK`]
//!   times running, is paused. A client that merely repeats itself a few
//!   times (retransmits, `udp send ping ping ping`) stays below it;
//! - **budget**: at most [`REPLY_BUDGET`] automatic replies per peer per
//!   second. A loop needs *every* datagram answered, so one skipped reply
//!   ends any loop the other two guards did not recognise. In echo mode a
//!   peer that passed the one-echo test (it sent again: a client) is not
//!   held to it while trusted — a closed-loop client on loopback runs past
//!   20,000 a second, and its replies must not stop.
//!
//! In echo mode a datagram that is our last reply coming back proves
//! nothing: a client that sends the same bytes again and again (an echo
//! benchmark, a heartbeat, a game's keep-alive) looks exactly like a loop
//! with another echo server. So there it is never paused for that alone:
//! the budget ends a fast loop, and a slower one is *reported* (the peer
//! and its rate, once), so the person can stop answering that peer
//! ([`LoopGuard::block`]: `--no-reply-to`, or the UDP tab's key).
//!
//! Every pause is reported once, in words, and every table here is bounded.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hasher};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

/// Automatic replies one peer may get per second.
pub const REPLY_BUDGET: u32 = 20_000;
/// In echo mode, echoes one peer may send straight back within a second
/// before one of them is not answered, once, as a test: a loop of one
/// datagram between two echo servers (on one machine they bounce it
/// 8,000–20,000 times a second) ends there, while a client sends again —
/// it is then known to be a client and never tested again. The reference
/// UDP echo benchmark, 32 sockets on two cores, runs at ~3,300 a second
/// per socket, under it.
pub const ECHO_BOUNCE_BUDGET: u32 = 5_000;

/// Bounces in a row that count as a ping-pong loop.
pub const PING_PONG_STREAK: u32 = 16;
/// How soon after our reply a datagram must come to count as a bounce (a
/// loop between two machines answers within a round trip; a person does not).
pub const BOUNCE_WINDOW: Duration = Duration::from_millis(250);
/// How long automatic replies to a looping peer stay paused.
pub const PAUSE: Duration = Duration::from_secs(5);
/// Peers remembered at once (a flood of forged sources only resets it).
const MAX_PEERS: usize = 4096;
/// Addresses whose "is it ours?" answer is remembered.
const MAX_OWN_CACHE: usize = 256;

/// What to do with a datagram that would be answered automatically.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Answer it.
    Reply,
    /// Do not answer; already reported.
    Skip,
    /// Do not answer, and say so once: the reason in words.
    Pause(String),
    /// Answer it, and say this once: a peer that may be a loop.
    ReplyAndWarn(String),
}

/// Echoed bounces a second (every datagram of that second one) before a
/// peer is reported as a possible loop.
pub const REPORT_RATE: u32 = 20;

/// A peer never to answer: one address, or every port of an IP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blocked {
    /// This address and port.
    Addr(SocketAddr),
    /// Every port of this IP.
    Ip(IpAddr),
}

impl Blocked {
    /// Reads `IP:PORT`, `[IPv6]:PORT` or a bare IP.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if let Ok(addr) = text.parse::<SocketAddr>() {
            return Ok(Blocked::Addr(addr));
        }
        let bare = text.trim_start_matches('[').trim_end_matches(']');
        bare.parse::<IpAddr>().map(Blocked::Ip).map_err(|_| {
            format!(
                "not an address: {} (IP:PORT, [IPv6]:PORT or an IP)",
                crate::text::sanitize_str(text)
            )
        })
    }

    fn covers(&self, from: SocketAddr) -> bool {
        match self {
            Blocked::Addr(addr) => *addr == from || canonical(*addr) == canonical(from),
            Blocked::Ip(ip) => canonical_ip(*ip) == canonical_ip(from.ip()),
        }
    }
}

impl std::fmt::Display for Blocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Blocked::Addr(addr) => write!(f, "{addr}"),
            Blocked::Ip(ip) => write!(f, "{ip} (every port)"),
        }
    }
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is (a dual-stack
/// socket sees IPv4 peers that way).
fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn canonical(addr: SocketAddr) -> SocketAddr {
    SocketAddr::new(canonical_ip(addr.ip()), addr.port())
}

/// Peers blocked at once (each check walks the list).
pub const MAX_BLOCKED: usize = 64;

/// Replies to one peer remembered, to recognise any of them coming back:
/// a loop may carry several datagrams at once (two forged ones, or two
/// copies), each bouncing in turn.
const REMEMBERED_REPLIES: usize = 4;

/// How long a peer that proved itself a client (it sent again after the
/// echo held back) is trusted before it may be tested again: a loop with
/// several datagrams in flight loses one per test.
pub const CLIENT_TRUST: Duration = Duration::from_secs(5);

/// What we last sent a peer: the digests of the last few replies as they
/// are and greeted, and when the newest went.
#[derive(Debug, Clone, Copy)]
struct LastReply {
    echoed: [u64; REMEMBERED_REPLIES],
    greeted: [u64; REMEMBERED_REPLIES],
    /// Where the next reply's digests go.
    next: usize,
    at: Instant,
}

#[derive(Debug)]
struct Peer {
    last_reply: Option<LastReply>,
    streak: u32,
    window_start: Instant,
    replies_in_window: u32,
    /// Datagrams this window that were our last reply coming back as is.
    echoes_in_window: u32,
    /// Whether this peer was reported as a possible loop.
    warned: bool,
    /// Where the one-echo loop test stands for this peer.
    probe: Probe,
    paused_until: Option<Instant>,
}

/// The one-echo loop test of a peer that sends our echoes straight back
/// faster than [`ECHO_BOUNCE_BUDGET`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Probe {
    /// Not tested.
    Untested,
    /// One echo was not answered; a loop would now fall silent.
    Skipped,
    /// It sent again after the skipped echo: a client, trusted until then.
    Client(Instant),
}

/// The loop guards of one socket.
#[derive(Debug, Default)]
pub struct LoopGuard {
    peers: HashMap<SocketAddr, Peer>,
    own_ips: HashMap<IpAddr, bool>,
    blocked: Vec<Blocked>,
}

impl LoopGuard {
    /// A guard with nothing remembered.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether a datagram from `from` was sent by the socket bound to
    /// `local` itself. A socket bound to a wildcard address receives its own
    /// datagrams with any of the machine's addresses as source; whether an
    /// address is the machine's is asked of the kernel (binding to it
    /// succeeds only then), once per address.
    pub fn is_own(&mut self, local: SocketAddr, from: SocketAddr) -> bool {
        if local == from {
            return true;
        }
        if local.port() != from.port() || !local.ip().is_unspecified() {
            return false;
        }
        if from.ip().is_loopback() {
            return true;
        }
        if let Some(known) = self.own_ips.get(&from.ip()) {
            return *known;
        }
        let ours = is_local_address(from.ip());
        if self.own_ips.len() >= MAX_OWN_CACHE {
            self.own_ips.clear();
        }
        self.own_ips.insert(from.ip(), ours);
        ours
    }

    /// Never answers `peer` again (until [`LoopGuard::unblock`]); false
    /// when [`MAX_BLOCKED`] peers are blocked already.
    pub fn block(&mut self, peer: Blocked) -> bool {
        if self.blocked.contains(&peer) {
            return true;
        }
        if self.blocked.len() >= MAX_BLOCKED {
            return false;
        }
        self.blocked.push(peer);
        true
    }

    /// Answers `peer` again.
    pub fn unblock(&mut self, peer: Blocked) {
        self.blocked.retain(|blocked| *blocked != peer);
    }

    /// Whether `from` is blocked.
    pub fn is_blocked(&self, from: SocketAddr) -> bool {
        self.blocked.iter().any(|blocked| blocked.covers(from))
    }

    /// Decides whether `incoming` from `from` gets an automatic reply;
    /// `echo`: the reply will be `incoming` itself (echo mode).
    pub fn check(
        &mut self,
        from: SocketAddr,
        incoming: &[u8],
        now: Instant,
        echo: bool,
    ) -> Verdict {
        if !self.blocked.is_empty() && self.is_blocked(from) {
            return Verdict::Skip;
        }
        if self.peers.len() >= MAX_PEERS && !self.peers.contains_key(&from) {
            // One entry makes room (a flood of forged sources must not wipe
            // every peer's budget and tests at once).
            if let Some(old) = self.peers.keys().next().copied() {
                self.peers.remove(&old);
            }
        }
        let peer = self.peers.entry(from).or_insert_with(|| Peer {
            last_reply: None,
            streak: 0,
            window_start: now,
            replies_in_window: 0,
            echoes_in_window: 0,
            warned: false,
            probe: Probe::Untested,
            paused_until: None,
        });
        match peer.probe {
            // A loop of one datagram ends at the echo not answered: this
            // peer sent again, so it is a client (for a while: a loop of
            // several datagrams would look the same, and loses one per test).
            Probe::Skipped => peer.probe = Probe::Client(now + CLIENT_TRUST),
            Probe::Client(until) if now >= until => peer.probe = Probe::Untested,
            _ => {}
        }
        if let Some(until) = peer.paused_until {
            if now < until {
                return Verdict::Skip;
            }
            peer.paused_until = None;
            peer.streak = 0;
        }
        let (echoed, greeted) = match peer.last_reply {
            Some(last) if now.duration_since(last.at) <= BOUNCE_WINDOW => {
                let digest = digest(incoming);
                (
                    last.echoed.contains(&digest),
                    last.greeted.contains(&digest),
                )
            }
            _ => (false, false),
        };
        // In echo mode our reply coming back as is may be a client
        // repeating itself: only a greeting coming back is a sure loop.
        let bounced = greeted || (echoed && !echo);
        if bounced {
            peer.streak += 1;
        } else {
            peer.streak = 0;
        }
        if peer.streak >= PING_PONG_STREAK {
            peer.paused_until = Some(now + PAUSE);
            peer.last_reply = None;
            return Verdict::Pause(format!(
                "Automatic replies to {from} paused for {} s: it sends our replies back (a ping-pong loop)",
                PAUSE.as_secs()
            ));
        }
        let mut warning = None;
        if now.duration_since(peer.window_start) >= Duration::from_secs(1) {
            // Every datagram of a whole second was our reply back, fast:
            // a loop, or a client repeating itself. Said once; answered.
            let rate = peer.echoes_in_window;
            if echo && !peer.warned && rate >= REPORT_RATE && rate + 1 >= peer.replies_in_window {
                peer.warned = true;
                warning = Some(format!(
                    "{from} sends every echo straight back, {rate}/s: a client repeating itself, or a loop with another echo server. Still answered; to stop: --no-reply-to {from} (UDP tab: Alt+B)"
                ));
            }
            peer.window_start = now;
            peer.replies_in_window = 0;
            peer.echoes_in_window = 0;
        }
        if echoed
            && echo
            && peer.echoes_in_window >= ECHO_BOUNCE_BUDGET
            && peer.probe == Probe::Untested
        {
            peer.probe = Probe::Skipped;
            return Verdict::Pause(format!(
                "Loop guard: {from} sent our echo straight back {ECHO_BOUNCE_BUDGET} times within a second: one echo not answered, which ends a loop with another echo server (a client that sends again is answered, and may be tested again in 5 s)"
            ));
        }
        let proven_client = echo && matches!(peer.probe, Probe::Client(until) if now < until);
        if peer.replies_in_window >= REPLY_BUDGET && !proven_client {
            peer.paused_until = Some(peer.window_start + Duration::from_secs(1));
            return Verdict::Pause(format!(
                "Automatic replies to {from} paused for the rest of this second: over {REPLY_BUDGET} replies/s (loop guard)"
            ));
        }
        peer.replies_in_window += 1;
        if echoed {
            peer.echoes_in_window += 1;
        }
        match warning {
            Some(warning) => Verdict::ReplyAndWarn(warning),
            None => Verdict::Reply,
        }
    }

    /// Remembers the reply sent to `to` at `now`, to recognise it coming
    /// back: as it is (an echo server) or greeted (a greet server).
    pub fn replied(&mut self, to: SocketAddr, reply: &[u8], now: Instant) {
        if let Some(peer) = self.peers.get_mut(&to) {
            let (echoed, greeted) = (digest(reply), greeted_digest(reply));
            let last = peer.last_reply.get_or_insert(LastReply {
                echoed: [echoed; REMEMBERED_REPLIES],
                greeted: [greeted; REMEMBERED_REPLIES],
                next: 0,
                at: now,
            });
            last.echoed[last.next] = echoed;
            last.greeted[last.next] = greeted;
            last.next = (last.next + 1) % REMEMBERED_REPLIES;
            last.at = now;
        }
    }
}

fn digest(bytes: &[u8]) -> u64 {
    digest_parts(&[bytes])
}

/// The digest of `greet::hello(reply)`, hashed piece by piece instead of
/// building the greeting (this runs once per automatic reply).
fn greeted_digest(reply: &[u8]) -> u64 {
    let (body, eol) = crate::behaviour::greet::split_line_ending(reply);
    digest_parts(&[b"Hello, ", body, b"!", eol])
}

/// One hash over the concatenation of `parts` (no length prefixes, so the
/// same bytes hash the same however they are cut).
fn digest_parts(parts: &[&[u8]]) -> u64 {
    let mut hasher = DefaultHasher::new();
    for part in parts {
        hasher.write(part);
    }
    hasher.finish()
}

/// Whether `ip` is one of this machine's addresses: binding a socket to it
/// succeeds only then (EADDRNOTAVAIL otherwise). Nothing is sent.
pub fn is_local_address(ip: IpAddr) -> bool {
    std::net::UdpSocket::bind(SocketAddr::new(ip, 0)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer() -> SocketAddr {
        "127.0.0.1:4000".parse().unwrap()
    }

    #[test]
    fn an_echo_bouncing_back_at_once_pauses_that_peer_once() {
        let mut guard = LoopGuard::new();
        let now = Instant::now();
        // The first datagram is no bounce; then each one is our reply back.
        for _ in 0..=PING_PONG_STREAK - 1 {
            assert_eq!(guard.check(peer(), b"ping", now, false), Verdict::Reply);
            guard.replied(peer(), b"ping", now);
        }
        assert!(matches!(
            guard.check(peer(), b"ping", now, false),
            Verdict::Pause(reason) if reason.contains("ping-pong")
        ));
        assert_eq!(guard.check(peer(), b"ping", now, false), Verdict::Skip);
        assert_eq!(
            guard.check(peer(), b"ping", now + PAUSE, false),
            Verdict::Reply
        );
    }

    #[test]
    fn a_client_repeating_itself_slowly_or_a_few_times_is_answered() {
        let mut guard = LoopGuard::new();
        let mut now = Instant::now();
        for _ in 0..100 {
            assert_eq!(guard.check(peer(), b"ping", now, false), Verdict::Reply);
            guard.replied(peer(), b"ping", now);
            now += BOUNCE_WINDOW * 2; // a heartbeat, not a bounce
        }
        let mut guard = LoopGuard::new();
        for _ in 0..6 {
            assert_eq!(guard.check(peer(), b"ping", now, false), Verdict::Reply);
            guard.replied(peer(), b"ping", now);
        }
    }

    #[test]
    fn greetings_with_a_line_ending_are_recognised() {
        let mut guard = LoopGuard::new();
        let now = Instant::now();
        let mut message = b"x\n".to_vec();
        let mut last = Verdict::Reply;
        for _ in 0..=PING_PONG_STREAK {
            last = guard.check(peer(), &message, now, false);
            if last != Verdict::Reply {
                break;
            }
            let reply = crate::behaviour::greet::hello(&message);
            guard.replied(peer(), &reply, now);
            message = crate::behaviour::greet::hello(&reply);
        }
        assert!(matches!(last, Verdict::Pause(_)), "{last:?}");
    }

    #[test]
    fn growing_greetings_are_a_loop_but_a_burst_is_not() {
        let mut guard = LoopGuard::new();
        let now = Instant::now();
        let mut message = b"x".to_vec();
        let mut verdicts = Vec::new();
        for _ in 0..=PING_PONG_STREAK {
            verdicts.push(guard.check(peer(), &message, now, false));
            let reply = [b"Hello, ".as_slice(), &message, b"!"].concat();
            guard.replied(peer(), &reply, now);
            message = [b"Hello, ".as_slice(), &reply, b"!"].concat();
        }
        assert!(matches!(verdicts.last(), Some(Verdict::Pause(_))));

        let mut guard = LoopGuard::new();
        for seq in 0..1000u32 {
            let datagram = seq.to_be_bytes();
            assert_eq!(guard.check(peer(), &datagram, now, false), Verdict::Reply);
            guard.replied(
                peer(),
                &[b"Hello, ".as_slice(), &datagram, b"!"].concat(),
                now,
            );
        }
    }

    #[test]
    fn the_greeted_digest_is_the_digest_of_the_greeting() {
        for reply in [&b"x"[..], b"x\n", b"x\r\n", b""] {
            assert_eq!(
                greeted_digest(reply),
                digest(&crate::behaviour::greet::hello(reply))
            );
        }
    }

    #[test]
    fn the_budget_caps_replies_per_second() {
        let mut guard = LoopGuard::new();
        let now = Instant::now();
        for seq in 0..REPLY_BUDGET {
            assert_eq!(
                guard.check(peer(), &seq.to_be_bytes(), now, false),
                Verdict::Reply
            );
        }
        assert!(matches!(
            guard.check(peer(), b"more", now, false),
            Verdict::Pause(_)
        ));
        assert_eq!(guard.check(peer(), b"more", now, false), Verdict::Skip);
        let later = now + Duration::from_secs(1);
        assert_eq!(guard.check(peer(), b"more", later, false), Verdict::Reply);
    }

    #[test]
    fn an_echo_client_repeating_itself_fast_is_answered_and_reported_once() {
        let mut guard = LoopGuard::new();
        let start = Instant::now();
        let mut warnings = Vec::new();
        // 5,000 a second for three seconds, every one our echo back.
        for n in 0..15_000u32 {
            let now = start + Duration::from_micros(200 * u64::from(n));
            match guard.check(peer(), b"ping", now, true) {
                Verdict::Reply => {}
                Verdict::ReplyAndWarn(warning) => warnings.push(warning),
                other => panic!("datagram {n}: {other:?}"),
            }
            guard.replied(peer(), b"ping", now);
        }
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].contains("--no-reply-to 127.0.0.1:4000"),
            "{}",
            warnings[0]
        );
        assert!(warnings[0].contains("/s"), "{}", warnings[0]);
    }

    #[test]
    fn a_fast_echo_bouncer_loses_one_echo_once_and_a_client_comes_back() {
        let mut guard = LoopGuard::new();
        let now = Instant::now();
        // The first datagram is no bounce (nothing was sent back yet).
        let mut verdicts = (0..=ECHO_BOUNCE_BUDGET + 1).map(|_| {
            let verdict = guard.check(peer(), b"loop", now, true);
            guard.replied(peer(), b"loop", now);
            verdict
        });
        let answered = ECHO_BOUNCE_BUDGET as usize + 1;
        assert!(verdicts
            .by_ref()
            .take(answered)
            .all(|v| v == Verdict::Reply));
        assert!(
            matches!(verdicts.next(), Some(Verdict::Pause(r)) if r.contains("one echo not answered"))
        );
        drop(verdicts);
        // A loop would now be silent; this peer sends again: a client,
        // answered for CLIENT_TRUST, however fast.
        for _ in 0..2 * ECHO_BOUNCE_BUDGET {
            assert_eq!(
                guard.check(peer(), b"loop", now + Duration::from_millis(100), true),
                Verdict::Reply
            );
            guard.replied(peer(), b"loop", now + Duration::from_millis(100));
        }
        // Different datagrams as fast are no loop in echo mode.
        let mut guard = LoopGuard::new();
        for seq in 0..2 * ECHO_BOUNCE_BUDGET {
            let datagram = seq.to_be_bytes();
            assert_eq!(guard.check(peer(), &datagram, now, true), Verdict::Reply);
            guard.replied(peer(), &datagram, now);
        }
    }

    #[test]
    fn a_loop_of_two_datagrams_is_tested_and_trust_runs_out() {
        let mut guard = LoopGuard::new();
        let start = Instant::now();
        let mut held_back = Vec::new();
        // Two different datagrams bouncing in turn, 10,000 a second, for
        // 12 s: each test holds one echo back (a loop would lose one
        // datagram each time); a peer still sending is trusted for
        // CLIENT_TRUST, then tested again.
        for n in 0..120_000u32 {
            let now = start + Duration::from_micros(100 * u64::from(n));
            let datagram: &[u8] = if n % 2 == 0 { b"first" } else { b"second" };
            match guard.check(peer(), datagram, now, true) {
                Verdict::Pause(reason) => {
                    assert!(reason.contains("one echo not answered"), "{reason}");
                    held_back.push(now);
                }
                Verdict::Reply | Verdict::ReplyAndWarn(_) => guard.replied(peer(), datagram, now),
                Verdict::Skip => {}
            }
        }
        assert!(held_back.len() >= 2, "{held_back:?}");
        assert!(held_back[1].duration_since(held_back[0]) >= CLIENT_TRUST);
    }

    #[test]
    fn a_proven_client_is_echoed_past_the_budget() {
        let mut guard = LoopGuard::new();
        let start = Instant::now();
        // The same datagram again and again, 30,000 a second, for 3 s: one
        // echo held back by the test; every other one answered.
        let mut held_back = 0;
        for n in 0..90_000u32 {
            let now = start + Duration::from_nanos(33_334 * u64::from(n));
            match guard.check(peer(), b"beat", now, true) {
                Verdict::Reply | Verdict::ReplyAndWarn(_) => guard.replied(peer(), b"beat", now),
                Verdict::Pause(reason) => {
                    assert!(reason.contains("one echo not answered"), "{reason}");
                    held_back += 1;
                }
                Verdict::Skip => panic!("datagram {n} not answered"),
            }
        }
        assert_eq!(held_back, 1);
    }

    #[test]
    fn forged_sources_make_room_one_peer_at_a_time() {
        let mut guard = LoopGuard::new();
        let now = Instant::now();
        for n in 0..=MAX_PEERS as u32 + 10 {
            let from = SocketAddr::from(([10, 0, (n >> 8) as u8, n as u8], 9));
            guard.check(from, b"x", now, true);
        }
        assert_eq!(guard.peers.len(), MAX_PEERS);
    }

    #[test]
    fn a_blocked_peer_is_never_answered_and_others_still_are() {
        let mut guard = LoopGuard::new();
        let now = Instant::now();
        assert!(guard.block(Blocked::parse("127.0.0.1:4000").unwrap()));
        assert_eq!(guard.check(peer(), b"x", now, true), Verdict::Skip);
        let other: SocketAddr = "127.0.0.1:4001".parse().unwrap();
        assert_eq!(guard.check(other, b"x", now, true), Verdict::Reply);
        // An IPv4 peer seen by a dual-stack socket is the same peer.
        let mapped: SocketAddr = "[::ffff:127.0.0.1]:4000".parse().unwrap();
        assert_eq!(guard.check(mapped, b"x", now, true), Verdict::Skip);
        guard.block(Blocked::parse("[::1]").unwrap());
        let v6: SocketAddr = "[::1]:9".parse().unwrap();
        assert_eq!(guard.check(v6, b"x", now, true), Verdict::Skip);
        guard.unblock(Blocked::parse("127.0.0.1:4000").unwrap());
        assert_eq!(guard.check(peer(), b"x", now, true), Verdict::Reply);
        assert!(Blocked::parse("not an address").is_err());
        for port in 0..MAX_BLOCKED as u16 {
            guard.block(Blocked::Addr(SocketAddr::from(([10, 0, 0, 1], port))));
        }
        assert!(!guard.block(Blocked::Addr(SocketAddr::from(([10, 0, 0, 2], 1)))));
    }

    #[test]
    fn own_addresses_are_recognised_by_asking_the_kernel() {
        let mut guard = LoopGuard::new();
        let wildcard: SocketAddr = "0.0.0.0:5000".parse().unwrap();
        assert!(guard.is_own(wildcard, "127.0.0.1:5000".parse().unwrap()));
        assert!(!guard.is_own(wildcard, "127.0.0.1:5001".parse().unwrap()));
        // TEST-NET-1 is never assigned to a machine.
        assert!(!guard.is_own(wildcard, "192.0.2.1:5000".parse().unwrap()));
        assert!(is_local_address("127.0.0.1".parse().unwrap()));
        assert!(!is_local_address("192.0.2.1".parse().unwrap()));
        let bound: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        assert!(guard.is_own(bound, bound));
    }
}
