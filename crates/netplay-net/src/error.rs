//! One-line, human reasons for socket errors, naming the address concerned,
//! so every pane can show what went wrong and what to try.

pub use crate::format::human_duration;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

/// Why binding a listener or socket to `addr` failed.
pub fn bind_error(err: &io::Error, addr: SocketAddr) -> String {
    match err.kind() {
        io::ErrorKind::AddrInUse => format!(
            "address {addr} already in use: another program (or tab) is bound there; stop it or pick another port"
        ),
        io::ErrorKind::PermissionDenied => {
            if addr.port() < 1024 && addr.port() != 0 {
                format!(
                    "permission denied for {addr}: ports below 1024 need root or CAP_NET_BIND_SERVICE; try a port above 1023"
                )
            } else {
                format!("permission denied binding {addr}")
            }
        }
        io::ErrorKind::AddrNotAvailable => format!(
            "address {} is not available on this machine: use 127.0.0.1, ::1, 0.0.0.0 or one of this host's addresses",
            addr.ip()
        ),
        _ => format!("cannot bind {addr}: {}", os_reason(err)),
    }
}

/// Why connecting to `addr` failed.
pub fn connect_error(err: &io::Error, addr: SocketAddr) -> String {
    match err.kind() {
        io::ErrorKind::ConnectionRefused => {
            format!("connection refused by {addr}: nothing is listening on that port")
        }
        io::ErrorKind::TimedOut => format!("connecting to {addr} timed out"),
        io::ErrorKind::AddrNotAvailable => {
            format!("cannot reach {addr}: address not available from this machine")
        }
        _ if is_unreachable(err) => format!("{addr} is unreachable: {}", os_reason(err)),
        _ => format!("cannot connect to {addr}: {}", os_reason(err)),
    }
}

/// A connect that did not finish within `limit`.
pub fn connect_timeout(addr: SocketAddr, limit: Duration) -> String {
    format!(
        "connecting to {addr} timed out after {}: no answer (a firewall dropping packets?)",
        human_duration(limit)
    )
}

/// Why an established connection failed mid-stream.
pub fn stream_error(err: &io::Error) -> String {
    match err.kind() {
        io::ErrorKind::ConnectionReset => "connection reset by peer (RST)".to_string(),
        io::ErrorKind::ConnectionAborted => "connection aborted".to_string(),
        io::ErrorKind::BrokenPipe => "broken pipe: the peer is gone".to_string(),
        io::ErrorKind::TimedOut => "connection timed out".to_string(),
        _ => os_reason(err),
    }
}

/// Why accepting a connection failed (the listener keeps running).
pub fn accept_error(err: &io::Error) -> String {
    if is_too_many_files(err) {
        "too many open files: cannot accept more connections until some close (raise `ulimit -n`)"
            .to_string()
    } else {
        format!("accept failed: {}", os_reason(err))
    }
}

/// Whether `err` is EMFILE/ENFILE: the process or system is out of descriptors.
pub fn is_too_many_files(err: &io::Error) -> bool {
    matches!(err.raw_os_error(), Some(23 | 24))
}

fn is_unreachable(err: &io::Error) -> bool {
    // ENETUNREACH (101), EHOSTUNREACH (113) on Linux
    matches!(err.raw_os_error(), Some(101 | 113))
}

/// The OS error text without Rust's "(os error N)" suffix.
pub fn os_reason(err: &io::Error) -> String {
    let text = err.to_string();
    match text.find(" (os error") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_name_the_address() {
        let addr: SocketAddr = "127.0.0.1:80".parse().unwrap();
        let denied = io::Error::from(io::ErrorKind::PermissionDenied);
        assert!(bind_error(&denied, addr).contains("below 1024"));
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        assert_eq!(
            connect_error(&refused, addr),
            "connection refused by 127.0.0.1:80: nothing is listening on that port"
        );
        assert!(accept_error(&io::Error::from_raw_os_error(24)).starts_with("too many open files"));
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(Duration::from_millis(250)), "250 ms");
        assert_eq!(human_duration(Duration::from_secs(5)), "5 s");
        assert_eq!(human_duration(Duration::from_millis(1500)), "1.5 s");
    }
}
