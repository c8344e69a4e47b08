//! The pump's socket calls: writes that watch the sender for a reset while
//! a receiver holds them up, and reads that make their buffer only once
//! there is something to read.

use crate::stream::{ReadHalf, WriteHalf};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::{Duration, Instant};

use super::FIRST_READ;

/// How often a write blocked on a receiver that reads nothing checks the
/// sender for a reset.
const SENDER_CHECK: Duration = Duration::from_millis(500);

/// A write that failed, and on which side.
pub(super) enum Broken {
    /// Writing to the receiver failed.
    Receiver(std::io::Error),
    /// The sender reset the connection while we were waiting to write.
    Sender(std::io::Error),
}

/// Writes what the kernel takes now, without waiting; how much that was.
pub(super) fn try_write_all(writer: &mut WriteHalf, bytes: &[u8]) -> Result<usize, Broken> {
    let mut written = 0;
    while written < bytes.len() {
        match writer.try_write(&bytes[written..]) {
            Ok(0) => break,
            Ok(n) => written += n,
            Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => break,
            Err(err) => return Err(Broken::Receiver(err)),
        }
    }
    Ok(written)
}

/// Writes all of `bytes` to the receiver. While a receiver that reads
/// nothing holds the write up, the sender is watched too: a reset from it
/// must end the pair now, not when the receiver reads again.
pub(super) async fn write_watching(
    writer: &mut WriteHalf,
    bytes: &[u8],
    reader: &ReadHalf,
) -> Result<(), Broken> {
    // Usually the kernel takes it all at once: no future, no wait.
    let written = try_write_all(writer, bytes)?;
    if written == bytes.len() {
        return Ok(());
    }
    let write = writer.write_all(&bytes[written..]);
    tokio::pin!(write);
    let mut check_at: Option<Instant> = None;
    loop {
        tokio::select! {
            biased;
            done = &mut write => return done.map_err(Broken::Receiver),
            ready = reader.readable(), if check_at.is_none() => {
                let error = match ready {
                    Err(err) => Some(err),
                    Ok(()) => reader.take_error().ok().flatten(),
                };
                if let Some(err) = error {
                    return Err(Broken::Sender(err));
                }
                // Readable with data (not an error): check again later
                // rather than spin on a readiness that stays set.
                check_at = Some(Instant::now() + SENDER_CHECK);
            }
            () = async { tokio::time::sleep_until(check_at.unwrap_or_else(Instant::now)).await }, if check_at.is_some() => {
                check_at = None;
            }
        }
    }
}

/// Reads into `buffer`, which is made ([`FIRST_READ`] bytes) only once the
/// sender has something to read. Reads at most `cap` bytes (a held direction's room: the hold bound is
/// exact, not one read buffer past it).
pub(super) async fn read_lazily(
    reader: &mut ReadHalf,
    buffer: &mut Vec<u8>,
    cap: usize,
) -> std::io::Result<usize> {
    if buffer.is_empty() {
        reader.readable().await?;
        buffer.resize(FIRST_READ, 0);
    }
    let len = buffer.len().min(cap.max(1));
    reader.read(&mut buffer[..len]).await
}
