//! A server connection's two halves, plain (TCP or UNIX) or TLS, behind one small
//! interface, so the connection task is written once. The plain halves
//! keep their fast paths (waiting for readability before allocating a read
//! buffer, writing what the kernel takes without setting up a wait); TLS
//! flushes each write, so a reply is on the wire when it is reported sent.

use std::io;

use tokio::io::{AsyncReadExt, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;

use crate::pcap::tap::Wire;
use crate::stream::{ReadHalf as PlainRead, Stream, WriteHalf as PlainWrite};
use crate::tcp_server::FIRST_READ;

/// The read half.
pub(crate) enum ConnReader {
    Plain(PlainRead),
    Tls(ReadHalf<TlsStream<Wire>>),
}

/// The write half.
pub(crate) enum ConnWriter {
    Plain(PlainWrite),
    Tls(WriteHalf<TlsStream<Wire>>),
}

/// Splits a plain TCP connection.
pub(crate) fn plain(stream: TcpStream) -> (ConnReader, ConnWriter) {
    any(Stream::Tcp(stream))
}

/// Splits a plain connection of either family.
pub(crate) fn any(stream: Stream) -> (ConnReader, ConnWriter) {
    let (reader, writer) = stream.into_split();
    (ConnReader::Plain(reader), ConnWriter::Plain(writer))
}

/// Splits a TLS connection (after its handshake).
pub(crate) fn tls(stream: TlsStream<Wire>) -> (ConnReader, ConnWriter) {
    let (reader, writer) = tokio::io::split(stream);
    (ConnReader::Tls(reader), ConnWriter::Tls(writer))
}

/// Closes the connection with no shutdown of the write side first: a
/// plain write half dropped alone sends FIN, which must not go out before
/// the RST of a socket set to close with RST (`SO_LINGER` 0).
pub(crate) fn close_whole(reader: ConnReader, writer: ConnWriter) {
    match (reader, writer) {
        (ConnReader::Plain(reader), ConnWriter::Plain(writer)) => drop(reader.reunite(writer)),
        (ConnReader::Tls(reader), ConnWriter::Tls(writer)) => drop(reader.unsplit(writer)),
        (reader, writer) => drop((reader, writer)),
    }
}

impl ConnReader {
    /// Reads into `buffer`, which stays empty (no memory) until the peer
    /// first sends: an idle plain connection waits for readability alone.
    pub(crate) async fn read_lazily(&mut self, buffer: &mut Vec<u8>) -> io::Result<usize> {
        match self {
            ConnReader::Plain(reader) => {
                if buffer.is_empty() {
                    reader.readable().await?;
                    *buffer = vec![0u8; FIRST_READ];
                }
                reader.read(buffer).await
            }
            ConnReader::Tls(reader) => {
                if buffer.is_empty() {
                    *buffer = vec![0u8; FIRST_READ];
                }
                match reader.read(buffer).await {
                    // A TCP close without close_notify: the end is not
                    // authenticated, but the peer is gone all the same.
                    Err(err) if err.kind() == io::ErrorKind::UnexpectedEof => Ok(0),
                    other => other,
                }
            }
        }
    }
}

impl ConnWriter {
    /// Writes what the kernel takes now, without waiting; returns how much
    /// (always 0 for TLS, whose records go through the async path).
    pub(crate) fn try_write(&mut self, bytes: &[u8]) -> usize {
        let ConnWriter::Plain(writer) = self else {
            return 0;
        };
        let mut written = 0;
        while written < bytes.len() {
            match writer.try_write(&bytes[written..]) {
                Ok(0) | Err(_) => break,
                Ok(n) => written += n,
            }
        }
        written
    }

    /// Writes some of `bytes`; returns how much (TLS: all of it, flushed).
    pub(crate) async fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        match self {
            ConnWriter::Plain(writer) => writer.write(bytes).await,
            ConnWriter::Tls(writer) => {
                writer.write_all(bytes).await?;
                writer.flush().await?;
                Ok(bytes.len())
            }
        }
    }

    /// Shuts the write side down: FIN (TLS: close_notify, then FIN).
    pub(crate) async fn shutdown(&mut self) -> io::Result<()> {
        match self {
            ConnWriter::Plain(writer) => writer.shutdown().await,
            ConnWriter::Tls(writer) => writer.shutdown().await,
        }
    }
}
