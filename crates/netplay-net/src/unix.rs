//! UNIX domain sockets: what a failed connect means, and who is on the
//! other end (SO_PEERCRED, read by tokio).

use tokio::net::UnixStream;

/// The longest path a UNIX socket address holds (`sun_path`, less its NUL).
const MAX_PATH: usize = 107;

/// Says, before connecting, what is wrong with `path` as a socket: too
/// long, or a file that is not a socket (a regular file, a directory, a
/// FIFO). A missing file is left to the connect, which says so.
pub fn check_path(path: &std::path::Path, shown: &str) -> Result<(), String> {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::FileTypeExt;
    if path.as_os_str().as_bytes().len() > MAX_PATH {
        return Err(format!(
            "{shown}: a UNIX socket path holds at most {MAX_PATH} bytes"
        ));
    }
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(());
    };
    let kind = meta.file_type();
    let what = if kind.is_socket() {
        return Ok(());
    } else if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_file() {
        "a regular file"
    } else {
        "a device"
    };
    Err(format!("{shown} is {what}, not a socket"))
}

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
