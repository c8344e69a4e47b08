//! A stream socket of either family — TCP, named by an IP 4-tuple, or a
//! UNIX domain socket, named by a path and the peer's credentials — so the
//! listeners, the server's connections and the relay's pumps are written
//! once. Each call is one `match` on the family: a branch, not a box or a
//! virtual call, on the hot path.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{tcp, unix, TcpListener, TcpStream, UnixListener, UnixStream};

use crate::kernel::tcp_info::SocketFd;

/// One end of a connection: an IP address and port, or a UNIX socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// TCP: an address and a port.
    Ip(SocketAddr),
    /// A UNIX domain socket (boxed: an endpoint is in every accept event
    /// and connection task, and most are TCP).
    Unix(Box<UnixEnd>),
}

/// One end of a UNIX socket connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnixEnd {
    /// The socket file, sanitized, when this end has one (a listener's
    /// side does; a connecting client is usually unnamed).
    pub path: Option<String>,
    /// Who holds the other end, as the kernel tells (`SO_PEERCRED`): on
    /// the peer's endpoint only.
    pub cred: Option<Cred>,
}

/// A UNIX peer's process and user, as the kernel recorded them when it
/// connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cred {
    /// Its process id (`None` where the kernel does not say).
    pub pid: Option<i32>,
    /// Its user id.
    pub uid: u32,
    /// Its group id.
    pub gid: u32,
}

impl Endpoint {
    /// The IP address and port (`None` for a UNIX socket).
    pub fn ip(&self) -> Option<SocketAddr> {
        match self {
            Endpoint::Ip(addr) => Some(*addr),
            Endpoint::Unix(_) => None,
        }
    }

    /// The end in a table cell's few columns: the address, a UNIX peer's
    /// `pid 42` (else its `uid 1000`), or the socket file.
    pub fn short(&self) -> String {
        match self {
            Endpoint::Ip(addr) => addr.to_string(),
            Endpoint::Unix(end) => match (&end.cred, &end.path) {
                (Some(Cred { pid: Some(pid), .. }), _) => format!("pid {pid}"),
                (_, Some(path)) => format!("unix:{path}"),
                (Some(cred), None) => format!("uid {}", cred.uid),
                (None, None) => "unix".to_string(),
            },
        }
    }

    /// A UNIX socket's end.
    pub fn is_unix(&self) -> bool {
        matches!(self, Endpoint::Unix(_))
    }

    /// The UNIX end at the socket file `path` (shown sanitized).
    pub fn unix_path(path: &str) -> Self {
        Endpoint::Unix(Box::new(UnixEnd {
            path: Some(crate::text::sanitize_str(path)),
            cred: None,
        }))
    }

    /// The peer on `stream`: unnamed, with the kernel's credentials.
    pub fn unix_peer(stream: &UnixStream) -> Self {
        let cred = stream.peer_cred().ok().map(|cred| Cred {
            pid: cred.pid(),
            uid: cred.uid(),
            gid: cred.gid(),
        });
        let path = stream
            .peer_addr()
            .ok()
            .and_then(|addr| {
                addr.as_pathname()
                    .map(|path| path.to_string_lossy().into_owned())
            })
            .map(|path| crate::text::sanitize_str(&path));
        Endpoint::Unix(Box::new(UnixEnd { path, cred }))
    }
}

impl From<SocketAddr> for Endpoint {
    fn from(addr: SocketAddr) -> Self {
        Endpoint::Ip(addr)
    }
}

impl std::fmt::Display for Cred {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.pid {
            Some(pid) => write!(f, "pid {pid} uid {} gid {}", self.uid, self.gid),
            None => write!(f, "uid {} gid {}", self.uid, self.gid),
        }
    }
}

/// `127.0.0.1:80`, `unix:/run/x.sock`, a peer's `pid 42 uid 1000 gid
/// 1000`, or both: `unix:/run/x.sock (pid 1 uid 0 gid 0)`.
impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Endpoint::Ip(addr) => write!(f, "{addr}"),
            Endpoint::Unix(end) => match (&end.path, &end.cred) {
                (Some(path), Some(cred)) => write!(f, "unix:{path} ({cred})"),
                (Some(path), None) => write!(f, "unix:{path}"),
                (None, Some(cred)) => write!(f, "{cred}"),
                (None, None) => write!(f, "unix (unnamed)"),
            },
        }
    }
}

/// A connected stream socket.
#[derive(Debug)]
pub(crate) enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

/// A stream's read half.
#[derive(Debug)]
pub(crate) enum ReadHalf {
    Tcp(tcp::OwnedReadHalf),
    Unix(unix::OwnedReadHalf),
}

/// A stream's write half.
#[derive(Debug)]
pub(crate) enum WriteHalf {
    Tcp(tcp::OwnedWriteHalf),
    Unix(unix::OwnedWriteHalf),
}

impl Stream {
    /// This side's end (`path` names a UNIX socket's side, which the kernel
    /// reports unnamed on an accepted stream).
    pub(crate) fn local(&self, path: Option<&str>) -> Endpoint {
        match self {
            Stream::Tcp(stream) => Endpoint::Ip(
                stream
                    .local_addr()
                    .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0))),
            ),
            Stream::Unix(_) => Endpoint::Unix(Box::new(UnixEnd {
                path: path.map(crate::text::sanitize_str),
                cred: None,
            })),
        }
    }

    /// The other side's end (a UNIX peer: its credentials).
    pub(crate) fn peer(&self) -> io::Result<Endpoint> {
        match self {
            Stream::Tcp(stream) => stream.peer_addr().map(Endpoint::Ip),
            Stream::Unix(stream) => Ok(Endpoint::unix_peer(stream)),
        }
    }

    /// Nagle off (TCP; a UNIX socket has no Nagle).
    pub(crate) fn set_nodelay(&self) {
        if let Stream::Tcp(stream) = self {
            let _ = stream.set_nodelay(true);
        }
    }

    /// The socket, for options and `TCP_INFO` (a UNIX socket answers those
    /// with an error, reported as such).
    pub(crate) fn fd(&self) -> SocketFd {
        match self {
            Stream::Tcp(stream) => SocketFd::of(stream),
            Stream::Unix(stream) => SocketFd::of(stream),
        }
    }

    /// The TCP stream, if it is one.
    pub(crate) fn into_tcp(self) -> Result<TcpStream, Self> {
        match self {
            Stream::Tcp(stream) => Ok(stream),
            other => Err(other),
        }
    }

    pub(crate) fn into_split(self) -> (ReadHalf, WriteHalf) {
        match self {
            Stream::Tcp(stream) => {
                let (read, write) = stream.into_split();
                (ReadHalf::Tcp(read), WriteHalf::Tcp(write))
            }
            Stream::Unix(stream) => {
                let (read, write) = stream.into_split();
                (ReadHalf::Unix(read), WriteHalf::Unix(write))
            }
        }
    }
}

impl ReadHalf {
    /// Waits until a read would not block (data, the end, or an error).
    pub(crate) async fn readable(&self) -> io::Result<()> {
        match self {
            ReadHalf::Tcp(half) => half.readable().await,
            ReadHalf::Unix(half) => half.readable().await,
        }
    }

    /// The socket's pending error (a reset), taking it.
    pub(crate) fn take_error(&self) -> io::Result<Option<io::Error>> {
        match self {
            ReadHalf::Tcp(half) => half.as_ref().take_error(),
            ReadHalf::Unix(half) => half.as_ref().take_error(),
        }
    }

    /// The whole stream again, or the halves back when they do not match.
    pub(crate) fn reunite(self, write: WriteHalf) -> Result<Stream, (ReadHalf, WriteHalf)> {
        match (self, write) {
            (ReadHalf::Tcp(read), WriteHalf::Tcp(write)) => read
                .reunite(write)
                .map(Stream::Tcp)
                .map_err(|err| (ReadHalf::Tcp(err.0), WriteHalf::Tcp(err.1))),
            (ReadHalf::Unix(read), WriteHalf::Unix(write)) => read
                .reunite(write)
                .map(Stream::Unix)
                .map_err(|err| (ReadHalf::Unix(err.0), WriteHalf::Unix(err.1))),
            (read, write) => Err((read, write)),
        }
    }
}

impl WriteHalf {
    /// Writes what the kernel takes now, without waiting.
    pub(crate) fn try_write(&self, bytes: &[u8]) -> io::Result<usize> {
        match self {
            WriteHalf::Tcp(half) => half.try_write(bytes),
            WriteHalf::Unix(half) => half.try_write(bytes),
        }
    }
}

macro_rules! each {
    ($self:ident, $inner:ident => $body:expr, $($variant:path),+) => {
        match $self.get_mut() {
            $($variant($inner) => $body,)+
        }
    };
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        each!(self, s => Pin::new(s).poll_read(cx, buf), Stream::Tcp, Stream::Unix)
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        each!(self, s => Pin::new(s).poll_write(cx, buf), Stream::Tcp, Stream::Unix)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each!(self, s => Pin::new(s).poll_flush(cx), Stream::Tcp, Stream::Unix)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each!(self, s => Pin::new(s).poll_shutdown(cx), Stream::Tcp, Stream::Unix)
    }
}

impl AsyncRead for ReadHalf {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        each!(self, s => Pin::new(s).poll_read(cx, buf), ReadHalf::Tcp, ReadHalf::Unix)
    }
}

impl AsyncWrite for WriteHalf {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        each!(self, s => Pin::new(s).poll_write(cx, buf), WriteHalf::Tcp, WriteHalf::Unix)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each!(self, s => Pin::new(s).poll_flush(cx), WriteHalf::Tcp, WriteHalf::Unix)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each!(self, s => Pin::new(s).poll_shutdown(cx), WriteHalf::Tcp, WriteHalf::Unix)
    }
}

/// A bound listener of either family.
pub(crate) enum StreamListener {
    Tcp(TcpListener),
    Unix {
        listener: UnixListener,
        /// The socket file this listener made, removed when it stops.
        file: crate::unix::SocketFile,
    },
}

impl StreamListener {
    /// Binds `addr`: `unix:/path` is a UNIX socket (a stale socket file
    /// there is reported, not removed), anything else is resolved and the
    /// first address that binds is taken.
    pub(crate) async fn bind(addr: &str, limit: std::time::Duration) -> Result<Self, String> {
        match crate::unix::path_of(addr) {
            Some(path) => {
                let (listener, file) = crate::unix::bind(path).await?;
                Ok(StreamListener::Unix { listener, file })
            }
            None => crate::resolve::bind_first(addr, limit, TcpListener::bind)
                .await
                .map(StreamListener::Tcp),
        }
    }

    /// Where it listens.
    pub(crate) fn local(&self) -> io::Result<Endpoint> {
        match self {
            StreamListener::Tcp(listener) => listener.local_addr().map(Endpoint::Ip),
            StreamListener::Unix { file, .. } => Ok(Endpoint::unix_path(file.path())),
        }
    }

    /// The socket file's device and inode (a UNIX listener).
    pub(crate) fn unix_identity(&self) -> Option<(u64, u64)> {
        match self {
            StreamListener::Tcp(_) => None,
            StreamListener::Unix { file, .. } => file.identity(),
        }
    }

    /// The socket file's path (a UNIX listener).
    pub(crate) fn unix_path(&self) -> Option<&str> {
        match self {
            StreamListener::Tcp(_) => None,
            StreamListener::Unix { file, .. } => Some(file.path()),
        }
    }

    /// The next connection and who made it.
    pub(crate) async fn accept(&self) -> io::Result<(Stream, Endpoint)> {
        match self {
            StreamListener::Tcp(listener) => {
                let (stream, peer) = listener.accept().await?;
                Ok((Stream::Tcp(stream), Endpoint::Ip(peer)))
            }
            StreamListener::Unix { listener, .. } => {
                let (stream, _) = listener.accept().await?;
                let peer = Endpoint::unix_peer(&stream);
                Ok((Stream::Unix(stream), peer))
            }
        }
    }
}
