//! Socket options, live: set on an open connection, then read back from the
//! kernel, so what is shown is the effective value (Linux doubles a buffer
//! size it is given, and says so only when asked).
//!
//! socket2 makes the calls; the connection tasks apply a [`SockOpt`] on
//! their own socket (through [`crate::kernel::tcp_info::SocketFd`]) and report the
//! read-back as an event.

use std::time::Duration;

use crate::kernel::tcp_info::SocketFd;

/// Keepalive when it is turned on here: the first probe after 10 s of
/// silence, then every 5 s, and the connection is dropped after 3 probes
/// go unanswered (the kernel's defaults are 2 h, 75 s and 9).
pub const KEEPALIVE_IDLE: Duration = Duration::from_secs(10);
/// See [`KEEPALIVE_IDLE`].
pub const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(5);
/// See [`KEEPALIVE_IDLE`].
pub const KEEPALIVE_COUNT: u32 = 3;

/// The buffer sizes a front end cycles through.
pub const BUFFER_SIZES: [usize; 3] = [4 * 1024, 64 * 1024, 256 * 1024];

/// The IP TTLs (IPv6 hop limits) a front end cycles through; 64 is Linux's
/// default.
pub const TTLS: [u32; 4] = [64, 1, 16, 255];

/// One change to make on a connection's socket (or none: [`SockOpt::Read`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SockOpt {
    /// Only read the options back.
    Read,
    /// `TCP_NODELAY`: `true` sends each write at once, `false` lets Nagle's
    /// algorithm hold small writes while earlier data is unacknowledged.
    NoDelay(bool),
    /// `SO_KEEPALIVE`, with [`KEEPALIVE_IDLE`], interval and count when on.
    KeepAlive(bool),
    /// `SO_LINGER` 0: the close sends a reset (RST) instead of FIN, and
    /// anything unsent is thrown away.
    CloseWithReset(bool),
    /// `SO_RCVBUF` and `SO_SNDBUF`, both to this many bytes.
    Buffers(usize),
    /// `IP_TTL` (`IPV6_UNICAST_HOPS` on IPv6).
    Ttl(u32),
}

/// The options of one socket as the kernel reports them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SockOptions {
    /// `TCP_NODELAY`.
    pub nodelay: bool,
    /// `SO_KEEPALIVE`.
    pub keepalive: bool,
    /// `TCP_KEEPIDLE`.
    pub keepalive_idle: Duration,
    /// `TCP_KEEPINTVL`.
    pub keepalive_interval: Duration,
    /// `TCP_KEEPCNT`.
    pub keepalive_count: u32,
    /// `SO_LINGER`: `Some(0)` closes with a reset.
    pub linger: Option<Duration>,
    /// `SO_RCVBUF` as read back.
    pub recv_buffer: usize,
    /// `SO_SNDBUF` as read back.
    pub send_buffer: usize,
    /// `IP_TTL` or `IPV6_UNICAST_HOPS`.
    pub ttl: u32,
}

impl SockOptions {
    /// One line with every option, for the log.
    pub fn line(&self) -> String {
        let keepalive = if self.keepalive {
            format!(
                "on (idle {} s, every {} s, {} probes)",
                self.keepalive_idle.as_secs(),
                self.keepalive_interval.as_secs(),
                self.keepalive_count
            )
        } else {
            "off".to_string()
        };
        format!(
            "options nodelay {} · keepalive {keepalive} · close with {} · rcvbuf {} B · sndbuf {} B · ttl {}",
            if self.nodelay { "on" } else { "off (Nagle)" },
            if self.closes_with_reset() { "RST" } else { "FIN" },
            self.recv_buffer,
            self.send_buffer,
            self.ttl
        )
    }

    /// Whether a close sends RST (`SO_LINGER` 0).
    pub fn closes_with_reset(&self) -> bool {
        self.linger == Some(Duration::ZERO)
    }
}

/// Makes the change `opt` asks for; `Err` is a one-line reason.
pub fn apply(socket: SocketFd, opt: SockOpt) -> Result<(), String> {
    socket
        .with(|sock| match opt {
            SockOpt::Read => Ok(()),
            SockOpt::NoDelay(on) => sock.set_tcp_nodelay(on),
            SockOpt::KeepAlive(false) => sock.set_keepalive(false),
            SockOpt::KeepAlive(true) => {
                let params = socket2::TcpKeepalive::new()
                    .with_time(KEEPALIVE_IDLE)
                    .with_interval(KEEPALIVE_INTERVAL)
                    .with_retries(KEEPALIVE_COUNT);
                sock.set_tcp_keepalive(&params)
                    .and_then(|()| sock.set_keepalive(true))
            }
            SockOpt::CloseWithReset(on) => sock.set_linger(on.then_some(Duration::ZERO)),
            SockOpt::Buffers(bytes) => sock
                .set_recv_buffer_size(bytes)
                .and_then(|()| sock.set_send_buffer_size(bytes)),
            SockOpt::Ttl(ttl) => {
                if is_ipv6(&sock) {
                    sock.set_unicast_hops_v6(ttl)
                } else {
                    sock.set_ttl_v4(ttl)
                }
            }
        })
        .map_err(|err| format!("{opt:?} not set: {}", crate::error::os_reason(&err)))
}

/// Reads every option back from the kernel.
pub fn read(socket: SocketFd) -> Result<SockOptions, String> {
    socket
        .with(|sock| {
            Ok::<_, std::io::Error>(SockOptions {
                nodelay: sock.tcp_nodelay()?,
                keepalive: sock.keepalive()?,
                keepalive_idle: sock.tcp_keepalive_time()?,
                keepalive_interval: sock.tcp_keepalive_interval()?,
                keepalive_count: sock.tcp_keepalive_retries()?,
                linger: sock.linger()?,
                recv_buffer: sock.recv_buffer_size()?,
                send_buffer: sock.send_buffer_size()?,
                ttl: if is_ipv6(&sock) {
                    sock.unicast_hops_v6()?
                } else {
                    sock.ttl_v4()?
                },
            })
        })
        .map_err(|err| {
            format!(
                "socket options unreadable: {}",
                crate::error::os_reason(&err)
            )
        })
}

/// Whether the socket is set to close with RST (`SO_LINGER` 0): then a
/// close must not shut the write side down first, which would send FIN.
pub fn closes_with_reset(socket: SocketFd) -> bool {
    socket.with(|sock| sock.linger().ok() == Some(Some(Duration::ZERO)))
}

/// Applies `opt`, then reads back: what a connection task reports.
pub fn apply_and_read(socket: SocketFd, opt: SockOpt) -> Result<SockOptions, String> {
    apply(socket, opt)?;
    read(socket)
}

fn is_ipv6(sock: &socket2::SockRef<'_>) -> bool {
    sock.local_addr()
        .map(|addr| addr.is_ipv6())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> (std::net::TcpStream, std::net::TcpStream) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        (server, client)
    }

    #[test]
    fn the_kernel_doubles_a_receive_buffer_and_reads_every_option_back() {
        let (stream, _peer) = pair();
        let socket = SocketFd::of(&stream);
        let set = 64 * 1024;
        let back = apply_and_read(socket, SockOpt::Buffers(set)).unwrap();
        if cfg!(target_os = "linux") {
            assert_eq!(back.recv_buffer, 2 * set, "Linux doubles SO_RCVBUF");
            assert_eq!(back.send_buffer, 2 * set, "and SO_SNDBUF");
        }
        let back = apply_and_read(socket, SockOpt::NoDelay(false)).unwrap();
        assert!(!back.nodelay);
        let back = apply_and_read(socket, SockOpt::KeepAlive(true)).unwrap();
        assert!(back.keepalive);
        assert_eq!(back.keepalive_idle, KEEPALIVE_IDLE);
        assert_eq!(back.keepalive_interval, KEEPALIVE_INTERVAL);
        assert_eq!(back.keepalive_count, KEEPALIVE_COUNT);
        let back = apply_and_read(socket, SockOpt::CloseWithReset(true)).unwrap();
        assert!(back.closes_with_reset());
        let back = apply_and_read(socket, SockOpt::Ttl(16)).unwrap();
        assert_eq!(back.ttl, 16);
        let back = apply_and_read(socket, SockOpt::CloseWithReset(false)).unwrap();
        assert!(!back.closes_with_reset());
    }
}
