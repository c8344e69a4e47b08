//! Errors explained: for each kind of failure the engine reports (the
//! system calls' errors and UDP's ICMP port unreachable), what it means in
//! plain words and what to try. The reasons themselves are written in
//! [`crate::error`], [`crate::resolve`] and [`crate::udp`]; this module
//! recognises them by the words those write, and a table test builds each
//! reason with the real functions so the two cannot drift apart.

/// A kind of failure with an explanation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trouble {
    /// Connection refused (TCP RST to a SYN).
    Refused,
    /// ICMP port unreachable after a UDP datagram.
    PortUnreachable,
    /// Connection reset by peer.
    Reset,
    /// Broken pipe: written after the peer closed.
    BrokenPipe,
    /// A connect or lookup that got no answer in time.
    TimedOut,
    /// A request whose connection was made, then nothing (more) came in
    /// time: a slow or stuck server, not a host that is down.
    Stalled,
    /// Address (and port) already in use.
    AddrInUse,
    /// Permission denied, usually a port below 1024.
    PermissionDenied,
    /// Address not available on this machine.
    AddrNotAvailable,
    /// Network or host unreachable.
    Unreachable,
    /// Out of file descriptors.
    TooManyFiles,
    /// A datagram larger than UDP allows.
    DatagramTooLarge,
    /// A name that did not resolve.
    Dns,
}

impl Trouble {
    /// Every kind, for the table test and docs/errors.md.
    pub const ALL: [Trouble; 13] = [
        Trouble::Refused,
        Trouble::PortUnreachable,
        Trouble::Reset,
        Trouble::BrokenPipe,
        Trouble::TimedOut,
        Trouble::Stalled,
        Trouble::AddrInUse,
        Trouble::PermissionDenied,
        Trouble::AddrNotAvailable,
        Trouble::Unreachable,
        Trouble::TooManyFiles,
        Trouble::DatagramTooLarge,
        Trouble::Dns,
    ];

    /// What it means and what to try, in one or two sentences.
    pub fn explanation(self) -> &'static str {
        match self {
            Trouble::Refused => "Nothing is listening on that port at that host, or a firewall answered with a reset. Start the server (or check the port number), then try again.",
            Trouble::PortUnreachable => "The other host answered with ICMP \"port unreachable\": nothing listens on that UDP port. UDP itself never says so; the kernel tells netplay on its next send or receive.",
            Trouble::Reset => "The peer (or something in between) aborted the connection with RST: it crashed, closed with unread data, or refused what it got. The peer's own log says why.",
            Trouble::BrokenPipe => "Bytes were written after the peer had closed its side: it is gone. Reconnect to talk again.",
            Trouble::Stalled => "The connection was made, but the server stopped sending (or never answered the request) before the limit: it is slow or stuck, not down. Allow a longer timeout (--timeout), or look at the server.",
            Trouble::TimedOut => "No answer at all: the host is down or the address is wrong, or a firewall silently drops the packets (a refusal would have been quick). Check the address, or allow a longer timeout.",
            Trouble::AddrInUse => "Another socket is already bound to that address and port: another program or tab. (A closed connection's TIME_WAIT does not block a listener here: netplay sets SO_REUSEADDR, as most servers do.) Stop the other one, or pick another port.",
            Trouble::PermissionDenied => "Ports below 1024 are privileged: only root, or a program with CAP_NET_BIND_SERVICE, may listen on them. Use a port above 1023.",
            Trouble::AddrNotAvailable => "That IP address is not one of this machine's, so nothing can be bound to it. Use 127.0.0.1 (this machine only), 0.0.0.0 (every interface) or one of this host's addresses.",
            Trouble::Unreachable => "The kernel has no route to that network or host (or a router answered ICMP unreachable). Check the address, and this machine's network connection.",
            Trouble::TooManyFiles => "Every socket is a file descriptor, and this process has reached its limit. Close some connections, or raise the limit with `ulimit -n`.",
            Trouble::DatagramTooLarge => "One UDP datagram carries at most 65,507 bytes of data over IPv4 (65,527 over IPv6), and often less on a real network. Send less per datagram.",
            Trouble::Dns => "The name could not be turned into an address: a typo, no network, or no DNS server answering. Check the name, or use an IP address.",
        }
    }

    /// The kind of failure a one-line reason describes, from the words the
    /// engine uses for it.
    pub fn of(reason: &str) -> Option<Trouble> {
        let text = reason.to_ascii_lowercase();
        let has = |words: &str| text.contains(words);
        Some(if has("port unreachable") {
            Trouble::PortUnreachable
        } else if has("refused the connection") || has("connection refused") {
            Trouble::Refused
        } else if has("reset by peer") {
            Trouble::Reset
        } else if has("broken pipe") {
            Trouble::BrokenPipe
        } else if has("unknown host") || (has("looking up") && has("timed out")) {
            Trouble::Dns
        } else if has("timed out")
            && (has("while reading the body")
                || has("while waiting for the response")
                || has("while sending the request"))
        {
            Trouble::Stalled
        } else if has("timed out") || has("did not answer within") {
            Trouble::TimedOut
        } else if has("already in use") {
            Trouble::AddrInUse
        } else if has("permission denied") && !has("socket file") && !has("directory's mode") {
            Trouble::PermissionDenied
        } else if has("not available on this machine") || has("address not available") {
            Trouble::AddrNotAvailable
        } else if has("unreachable") {
            Trouble::Unreachable
        } else if has("too many open files") {
            Trouble::TooManyFiles
        } else if has("datagram too large") {
            Trouble::DatagramTooLarge
        } else {
            return None;
        })
    }
}

/// The explanation for a one-line reason, when its kind is known.
pub fn hint(reason: &str) -> Option<&'static str> {
    Trouble::of(reason).map(Trouble::explanation)
}

#[cfg(test)]
mod tests {
    use std::io::{Error, ErrorKind};
    use std::net::SocketAddr;
    use std::time::Duration;

    use super::*;
    use crate::error::{accept_error, bind_error, connect_error, connect_timeout, stream_error};

    /// A UNIX socket's permission problem is the file's or its directory's
    /// mode, not a privileged port.
    #[test]
    fn a_socket_files_permission_is_not_a_ports() {
        let denied = Error::from(ErrorKind::PermissionDenied);
        let connect = crate::unix::connect_error(&denied, "/run/x.sock");
        assert_ne!(
            Trouble::of(&connect),
            Some(Trouble::PermissionDenied),
            "{connect}"
        );
        let bind = "cannot bind /run/x.sock: permission denied (the directory's mode)";
        assert_ne!(Trouble::of(bind), Some(Trouble::PermissionDenied));
    }

    /// Each kind, with a reason made by the function that really writes it.
    #[test]
    fn every_reason_the_engine_writes_is_explained() {
        let addr: SocketAddr = "192.0.2.1:80".parse().unwrap();
        let low: SocketAddr = "127.0.0.1:80".parse().unwrap();
        let table: Vec<(String, Trouble)> = vec![
            (connect_error(&Error::from(ErrorKind::ConnectionRefused), addr), Trouble::Refused),
            ("upstream 127.0.0.1:9 refused the connection (nothing listening): closed client #4".into(), Trouble::Refused),
            ("connection refused: ICMP port unreachable from 127.0.0.1:9 — nothing listens there".into(), Trouble::PortUnreachable),
            (stream_error(&Error::from(ErrorKind::ConnectionReset)), Trouble::Reset),
            (stream_error(&Error::from(ErrorKind::BrokenPipe)), Trouble::BrokenPipe),
            (connect_timeout(addr, Duration::from_secs(5)), Trouble::TimedOut),
            (connect_error(&Error::from(ErrorKind::TimedOut), addr), Trouble::TimedOut),
            (bind_error(&Error::from(ErrorKind::AddrInUse), addr), Trouble::AddrInUse),
            (bind_error(&Error::from(ErrorKind::PermissionDenied), low), Trouble::PermissionDenied),
            (bind_error(&Error::from(ErrorKind::AddrNotAvailable), addr), Trouble::AddrNotAvailable),
            (connect_error(&Error::from_raw_os_error(101), addr), Trouble::Unreachable),
            (connect_error(&Error::from_raw_os_error(113), addr), Trouble::Unreachable),
            (accept_error(&Error::from_raw_os_error(24)), Trouble::TooManyFiles),
            ("datagram too large: 70000 bytes; a UDP/IPv4 datagram carries at most 65507".into(), Trouble::DatagramTooLarge),
            ("unknown host 'nosuch.invalid': failed to lookup address information".into(), Trouble::Dns),
            ("looking up 'slow.example' timed out after 5 s".into(), Trouble::Dns),
            (crate::http::fetch::timed_out(Duration::from_secs(30), "reading the body"), Trouble::Stalled),
            (crate::http::fetch::timed_out(Duration::from_secs(30), "waiting for the response"), Trouble::Stalled),
            (crate::http::fetch::timed_out(Duration::from_secs(30), "connecting"), Trouble::TimedOut),
        ];
        for (reason, trouble) in &table {
            assert_eq!(Trouble::of(reason), Some(*trouble), "{reason}");
        }
        for trouble in Trouble::ALL {
            assert!(
                table.iter().any(|(_, t)| *t == trouble),
                "{trouble:?} untested"
            );
            let text = trouble.explanation();
            assert!(!text.contains('\n') && text.len() > 40, "{trouble:?}");
        }
        assert_eq!(hint("the server sent nonsense"), None);
    }
}
