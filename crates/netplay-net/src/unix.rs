//! UNIX domain sockets: what a failed connect means, and who is on the
//! other end (SO_PEERCRED, read by tokio).

use tokio::net::UnixStream;

/// The longest path a UNIX socket address holds (`sun_path`, less its NUL).
pub const MAX_PATH: usize = 107;

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

/// Connects to the socket file at `path` (`shown`: as it is displayed),
/// after checking it is one; a failure in words. Every client of a socket
/// file goes through here (tcp connect, fetch --unix-socket, the relay).
pub async fn connect(path: &std::path::Path, shown: &str) -> Result<UnixStream, String> {
    check_path(path, shown)?;
    UnixStream::connect(path)
        .await
        .map_err(|err| connect_error(&err, shown))
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
        std::io::ErrorKind::WouldBlock => format!(
            "{shown} takes no connection now: its server's backlog is full (it is not accepting)"
        ),
        _ if err.raw_os_error() == Some(libc::EPROTOTYPE) => {
            format!("{shown} is a datagram (or seqpacket) socket, not a stream one")
        }
        _ => format!(
            "cannot connect to {shown}: {}",
            crate::error::os_reason(err)
        ),
    }
}

/// The peer's process and user, as the kernel knows them.
pub fn peer_words(stream: &UnixStream) -> String {
    let cred = match crate::stream::Endpoint::unix_peer(stream) {
        crate::stream::Endpoint::Unix(end) => end.cred,
        crate::stream::Endpoint::Ip(_) => None,
    };
    match cred {
        Some(cred) => match cred.pid {
            Some(pid) => format!("peer pid {pid}, uid {}, gid {}", cred.uid, cred.gid),
            None => format!("peer uid {}, gid {}", cred.uid, cred.gid),
        },
        None => "peer unknown".to_string(),
    }
}

/// The path of a `unix:/path` address (`None`: not a UNIX address).
pub fn path_of(addr: &str) -> Option<&str> {
    addr.trim().strip_prefix("unix:")
}

/// A socket file a listener made: removed when the listener stops, if it
/// is still the same file (another server may have replaced it since).
pub struct SocketFile {
    path: String,
    identity: Option<(u64, u64)>,
}

impl SocketFile {
    /// Its path, as given.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The socket file's device and inode, as made: what a connect to any
    /// name of it (a hard link, a symlink, another spelling) reaches.
    pub fn identity(&self) -> Option<(u64, u64)> {
        self.identity
    }
}

/// The device and inode a connect to `path` reaches (symlinks followed).
pub fn reached(path: &str) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path)
        .ok()
        .map(|meta| (meta.dev(), meta.ino()))
}

fn identity(path: &str) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::symlink_metadata(path)
        .ok()
        .map(|meta| (meta.dev(), meta.ino()))
}

impl Drop for SocketFile {
    fn drop(&mut self) {
        if self.identity.is_some() && identity(&self.path) == self.identity {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// What is at a socket file's path now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileState {
    /// Nothing: free to bind.
    Free,
    /// A socket something accepts on.
    InUse,
    /// A socket nothing accepts on: its server has gone without removing it.
    Stale,
}

/// Says whether `path` is free, in use or a stale socket file (anything
/// that is not a socket is an error, as is a path too long).
pub async fn file_state(path: &str) -> Result<FileState, String> {
    let shown = crate::text::sanitize_str(path);
    match std::fs::symlink_metadata(path) {
        Err(_) => {
            check_path(std::path::Path::new(path), &shown)?;
            return Ok(FileState::Free);
        }
        // A listener makes its own socket file: a link there (to a socket
        // or not, dangling or not) is someone else's, never replaced.
        Ok(meta) if meta.file_type().is_symlink() => {
            return Err(format!(
                "{shown} is a symbolic link: a listener makes its own socket file there, and never replaces another file"
            ));
        }
        Ok(_) => check_path(std::path::Path::new(path), &shown)?,
    }
    match UnixStream::connect(path).await {
        Ok(_) => Ok(FileState::InUse),
        Err(err) if err.kind() == std::io::ErrorKind::ConnectionRefused => Ok(FileState::Stale),
        // A server whose backlog is full, or a datagram socket: in use.
        Err(err)
            if err.kind() == std::io::ErrorKind::WouldBlock
                || err.raw_os_error() == Some(libc::EPROTOTYPE) =>
        {
            Ok(FileState::InUse)
        }
        Err(err) => Err(connect_error(&err, &shown)),
    }
}

/// Removes a stale socket file at `path` (asked for: `--unlink-stale`);
/// `Ok(true)` when there was one. A socket something accepts on, or a file
/// that is not a socket, is left alone and reported.
pub async fn remove_stale(path: &str) -> Result<bool, String> {
    let shown = crate::text::sanitize_str(path);
    match file_state(path).await? {
        FileState::Free => Ok(false),
        FileState::InUse => Err(format!("{shown}: a server accepts on it: not removed")),
        FileState::Stale => std::fs::remove_file(path)
            .map(|()| true)
            .map_err(|err| format!("cannot remove {shown}: {}", crate::error::os_reason(&err))),
    }
}

/// Binds a UNIX listener at `path`. A file already there is never
/// removed: a stale socket, one in use, and a non-socket each get their
/// own reason.
pub(crate) async fn bind(path: &str) -> Result<(tokio::net::UnixListener, SocketFile), String> {
    let shown = crate::text::sanitize_str(path);
    if path.is_empty() {
        return Err("unix: needs the socket file's path, e.g. unix:/tmp/app.sock".into());
    }
    match file_state(path).await? {
        FileState::Free => {}
        FileState::InUse => {
            return Err(format!(
                "{shown} is in use: another socket is bound there"
            ))
        }
        FileState::Stale => {
            return Err(format!(
                "{shown} is a stale socket file (nothing accepts on it: its server has gone): remove it to listen there"
            ))
        }
    }
    match tokio::net::UnixListener::bind(path) {
        Ok(listener) => {
            let identity = identity(path);
            let file = SocketFile {
                path: path.to_string(),
                identity,
            };
            Ok((listener, file))
        }
        Err(err) => Err(match err.kind() {
            std::io::ErrorKind::NotFound => {
                format!("cannot bind {shown}: its directory does not exist")
            }
            std::io::ErrorKind::PermissionDenied => {
                format!("cannot bind {shown}: permission denied (the directory's mode)")
            }
            std::io::ErrorKind::AddrInUse => format!("{shown} already exists"),
            _ => format!("cannot bind {shown}: {}", crate::error::os_reason(&err)),
        }),
    }
}
