//! UNIX domain sockets: what a failed connect means, and who is on the
//! other end (SO_PEERCRED, read by tokio).

use tokio::net::UnixStream;

/// A failed connect to the socket file at `shown`, in words.
pub fn connect_error(err: &std::io::Error, shown: &str) -> String {
    match err.kind() {
        std::io::ErrorKind::NotFound => format!("no socket file at {shown}"),
        std::io::ErrorKind::ConnectionRefused => format!(
            "nothing accepts on {shown}: a stale socket file (its server has gone), or not a socket"
        ),
        std::io::ErrorKind::PermissionDenied => {
            format!("permission denied on {shown} (the socket file's mode or group)")
        }
        _ => format!(
            "cannot connect to {shown}: {}",
            crate::error::os_reason(err)
        ),
    }
}

/// The peer's process and user, as the kernel knows them.
pub fn peer_words(stream: &UnixStream) -> String {
    match stream.peer_cred() {
        Ok(cred) => match cred.pid() {
            Some(pid) => format!("peer pid {pid}, uid {}, gid {}", cred.uid(), cred.gid()),
            None => format!("peer uid {}, gid {}", cred.uid(), cred.gid()),
        },
        Err(_) => "peer unknown".to_string(),
    }
}
