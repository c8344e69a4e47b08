//! The kernel's view of a TCP connection: Linux's `TCP_INFO`, read with
//! `getsockopt` — round-trip time, congestion window, segments,
//! retransmits, what is still unacknowledged or unsent. Elsewhere every
//! read says "n/a on this OS".
//!
//! This is the one module with `unsafe`: `getsockopt` is a C call that
//! writes into a struct we provide. No well-kept crate wraps `TCP_INFO`
//! without a bindgen build (socket2 and nix do not offer it), and `libc`
//! is already in the tree through tokio. [`SocketFd`] lends the same
//! socket to socket2 for the live options (`net::sockopts`).
#![allow(unsafe_code)]

use std::os::fd::{AsRawFd, RawFd};

/// A connection's socket, by descriptor, for the kernel's view and the
/// live options while the stream itself is split into halves (or wrapped
/// in TLS) inside the connection task. Made only from a live stream, and
/// kept only by the task that owns that stream, beside it: it is used
/// while the stream is open, never after.
#[derive(Debug, Clone, Copy)]
pub struct SocketFd(RawFd);

impl SocketFd {
    /// The socket of `stream`, which the caller keeps open for as long as
    /// it uses this.
    pub fn of(stream: &impl std::os::fd::AsFd) -> Self {
        Self(stream.as_fd().as_raw_fd())
    }

    /// The socket as socket2 sees it, for setting and reading options.
    pub fn with<R>(&self, use_it: impl FnOnce(socket2::SockRef<'_>) -> R) -> R {
        // SAFETY: a `SocketFd` is made from a live stream and used only by
        // the task that owns that stream, while it is open (see the type's
        // doc), so the descriptor is open and is this socket for the
        // borrow's whole life, which ends with this call.
        let fd = unsafe { std::os::fd::BorrowedFd::borrow_raw(self.0) };
        use_it(socket2::SockRef::from(&fd))
    }
}

impl AsRawFd for SocketFd {
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

/// What the kernel knows about one connection, sampled at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcpInfo {
    /// The TCP state (`ESTABLISHED`, `FIN_WAIT1`, …) as the kernel numbers it.
    pub state: u8,
    /// Smoothed round-trip time, microseconds.
    pub rtt_us: u32,
    /// Round-trip time variance, microseconds.
    pub rttvar_us: u32,
    /// The smallest round-trip time seen, microseconds.
    pub min_rtt_us: u32,
    /// Congestion window, in segments.
    pub cwnd: u32,
    /// Slow-start threshold, in segments (`u32::MAX >> 1`: not set yet).
    pub ssthresh: u32,
    /// Maximum segment size for sending, bytes.
    pub mss: u32,
    /// Path MTU, bytes.
    pub pmtu: u32,
    /// Retransmissions of the current segment.
    pub retrans: u8,
    /// Retransmissions over the connection's life.
    pub total_retrans: u32,
    /// Segments sent and not yet acknowledged.
    pub unacked: u32,
    /// Bytes the peer acknowledged.
    pub bytes_acked: u64,
    /// Bytes received.
    pub bytes_received: u64,
    /// Segments sent.
    pub segs_out: u32,
    /// Segments received.
    pub segs_in: u32,
    /// The recent delivery rate, bytes per second.
    pub delivery_rate: u64,
    /// Bytes written by us and not yet sent by the kernel.
    pub notsent_bytes: u32,
    /// The send queue: bytes written and not yet acknowledged by the peer
    /// (`ss`'s Send-Q).
    pub send_queue: u32,
    /// The receive queue: bytes arrived and not yet read by us (`ss`'s
    /// Recv-Q).
    pub recv_queue: u32,
}

/// The slow-start threshold's "not set yet" value.
pub const SSTHRESH_INFINITE: u32 = 0x7fff_ffff;

impl TcpInfo {
    /// The state's name, as `ss` prints it.
    pub fn state_name(&self) -> &'static str {
        match self.state {
            1 => "ESTABLISHED",
            2 => "SYN_SENT",
            3 => "SYN_RECV",
            4 => "FIN_WAIT1",
            5 => "FIN_WAIT2",
            6 => "TIME_WAIT",
            7 => "CLOSE",
            8 => "CLOSE_WAIT",
            9 => "LAST_ACK",
            10 => "LISTEN",
            11 => "CLOSING",
            _ => "UNKNOWN",
        }
    }

    /// `rtt 0.04 ms · cwnd 10`: the two numbers worth a glance.
    pub fn brief(&self) -> String {
        format!("rtt {} · cwnd {}", micros(self.rtt_us), self.cwnd)
    }

    /// One line with every field, for `--tcp-info` and the log.
    pub fn line(&self) -> String {
        let ssthresh = if self.ssthresh >= SSTHRESH_INFINITE {
            "∞".to_string()
        } else {
            self.ssthresh.to_string()
        };
        format!(
            "tcp_info {} · rtt {} ± {} (min {}) · cwnd {} · ssthresh {} · mss {} · pmtu {} · retrans {}/{} · unacked {} · acked {} B · received {} B · segs out {} / in {} · delivery {} B/s · notsent {} B · send-q {} B · recv-q {} B",
            self.state_name(),
            micros(self.rtt_us),
            micros(self.rttvar_us),
            micros(self.min_rtt_us),
            self.cwnd,
            ssthresh,
            self.mss,
            self.pmtu,
            self.retrans,
            self.total_retrans,
            self.unacked,
            self.bytes_acked,
            self.bytes_received,
            self.segs_out,
            self.segs_in,
            self.delivery_rate,
            self.notsent_bytes,
            self.send_queue,
            self.recv_queue
        )
    }
}

/// Microseconds for people: `40 µs`, `1.25 ms`.
pub fn micros(us: u32) -> String {
    if us < 1000 {
        format!("{us} µs")
    } else {
        format!("{:.2} ms", f64::from(us) / 1000.0)
    }
}

/// Reads `TCP_INFO` from a connected socket.
#[cfg(target_os = "linux")]
pub fn sample(socket: &impl AsRawFd) -> Result<TcpInfo, String> {
    let fd = socket.as_raw_fd();
    // SAFETY: `tcp_info` is a plain C struct of integers, for which all
    // zeroes is a valid value.
    let mut raw: libc::tcp_info = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
    // SAFETY: `fd` is an open socket borrowed for the duration of the call;
    // `raw` and `len` are valid for writes of `len` bytes, and the kernel
    // writes at most `len` bytes (fewer on older kernels: the rest stays 0).
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            (&mut raw as *mut libc::tcp_info).cast::<libc::c_void>(),
            &mut len,
        )
    };
    if rc != 0 {
        return Err(format!(
            "TCP_INFO unavailable: {}",
            crate::error::os_reason(&std::io::Error::last_os_error())
        ));
    }
    let queue = |request: libc::Ioctl| {
        let mut bytes: libc::c_int = 0;
        // SAFETY: SIOCOUTQ and SIOCINQ (FIONREAD) write one `int` through
        // the pointer, which is valid for that write; `fd` is open as above.
        let rc = unsafe { libc::ioctl(fd, request, &mut bytes as *mut libc::c_int) };
        if rc == 0 {
            u32::try_from(bytes).unwrap_or(0)
        } else {
            0
        }
    };
    Ok(TcpInfo {
        state: raw.tcpi_state,
        rtt_us: raw.tcpi_rtt,
        rttvar_us: raw.tcpi_rttvar,
        min_rtt_us: raw.tcpi_min_rtt,
        cwnd: raw.tcpi_snd_cwnd,
        ssthresh: raw.tcpi_snd_ssthresh,
        mss: raw.tcpi_snd_mss,
        pmtu: raw.tcpi_pmtu,
        retrans: raw.tcpi_retransmits,
        total_retrans: raw.tcpi_total_retrans,
        unacked: raw.tcpi_unacked,
        bytes_acked: raw.tcpi_bytes_acked,
        bytes_received: raw.tcpi_bytes_received,
        segs_out: raw.tcpi_segs_out,
        segs_in: raw.tcpi_segs_in,
        delivery_rate: raw.tcpi_delivery_rate,
        notsent_bytes: raw.tcpi_notsent_bytes,
        send_queue: queue(libc::TIOCOUTQ),
        recv_queue: queue(libc::FIONREAD),
    })
}

/// Reads `TCP_INFO`: not on this OS.
#[cfg(not(target_os = "linux"))]
pub fn sample<T>(_socket: &T) -> Result<TcpInfo, String> {
    Err("TCP_INFO: n/a on this OS".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loopback_connection_has_a_small_round_trip_time() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (mut server, _) = listener.accept().unwrap();
        // A few round trips so the kernel has measured one.
        for _ in 0..5 {
            std::io::Write::write_all(&mut client, b"ping").unwrap();
            let mut buf = [0u8; 4];
            std::io::Read::read_exact(&mut server, &mut buf).unwrap();
            std::io::Write::write_all(&mut server, b"pong").unwrap();
            std::io::Read::read_exact(&mut client, &mut buf).unwrap();
        }
        let info = sample(&client).unwrap();
        assert_eq!(info.state_name(), "ESTABLISHED");
        assert!(info.rtt_us > 0 && info.rtt_us < 10_000, "{}", info.line());
        assert!(info.cwnd > 0 && info.mss > 0, "{}", info.line());
        assert!(
            info.segs_out >= 5 && info.bytes_received >= 20,
            "{}",
            info.line()
        );
        assert!(!info.line().contains('\n'));
    }
}
