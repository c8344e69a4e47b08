//! Replay a recorded session ([`crate::record`]) as the other side.
//!
//! As a mock server, each connection gets what the recorded server sent,
//! in order; before each piece, it waits until the client has sent at
//! least as many bytes as the recorded client had by then (or, with
//! `timing`, until the recorded moment). As a client, the recorded client's
//! bytes are sent the same way and the server's answers are compared with
//! the recording, byte by byte.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::record::{Entry, Recording, Way};

/// Where a server's answers first differed from the recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// The offset of the first differing byte in the answers.
    pub offset: usize,
    /// The recording's bytes from there (at most 32).
    pub expected: Vec<u8>,
    /// The server's bytes from there (at most 32).
    pub got: Vec<u8>,
}

/// What the replayed side sends and what it waits for: `mine` is the
/// side being played, the other side's bytes are awaited.
fn script(recording: &Recording, mine: Way) -> Vec<(Duration, Vec<u8>, usize)> {
    let mut theirs_so_far = 0;
    let mut steps = Vec::new();
    for entry in &recording.entries {
        if let Entry::Data { at, way, bytes } = entry {
            if *way == mine {
                steps.push((*at, bytes.clone(), theirs_so_far));
            } else {
                theirs_so_far += bytes.len();
            }
        }
    }
    steps
}

fn total(recording: &Recording, way: Way) -> usize {
    recording
        .entries
        .iter()
        .map(|entry| match entry {
            Entry::Data { way: w, bytes, .. } if *w == way => bytes.len(),
            _ => 0,
        })
        .sum()
}

/// Plays the recorded server to one accepted client (from a recording
/// made at either end: its header says which direction the server's
/// bytes went). Only the
/// count of the client's bytes is kept (a client that floods costs no
/// memory); returns it.
pub async fn serve_one(
    mut stream: TcpStream,
    recording: &Recording,
    timing: bool,
) -> std::io::Result<usize> {
    let started = tokio::time::Instant::now();
    let mut received = 0usize;
    let mut buffer = vec![0u8; 16 * 1024];
    let server_sends = recording.side.server_sends();
    for (at, bytes, wait_for) in script(recording, server_sends) {
        if timing {
            tokio::time::sleep_until(started + at).await;
        } else {
            while received < wait_for {
                let n = stream.read(&mut buffer).await?;
                if n == 0 {
                    return Ok(received);
                }
                received += n;
            }
        }
        stream.write_all(&bytes).await?;
    }
    // The rest the recorded client sent, then the close.
    let rest = total(recording, server_sends.opposite());
    while received < rest {
        let n = stream.read(&mut buffer).await?;
        if n == 0 {
            break;
        }
        received += n;
    }
    stream.shutdown().await?;
    Ok(received)
}

/// The connection a recorded client is played over: a socket of its own
/// (`netplay replay --connect`), or a client tab's connection, whose
/// received bytes are tapped off its read loop (every byte, in order, on a
/// bounded channel the read loop waits on).
pub enum PlayOver {
    /// A socket of its own.
    Stream(TcpStream),
    /// An engine client connection.
    Client {
        /// Sends on the connection, in order with its other sends.
        writer: super::tcp_client::ClientWriter,
        /// Every byte the connection reads.
        tap: tokio::sync::mpsc::Receiver<Vec<u8>>,
    },
}

impl PlayOver {
    async fn send(&mut self, bytes: Vec<u8>) -> std::io::Result<()> {
        match self {
            PlayOver::Stream(stream) => stream.write_all(&bytes).await,
            PlayOver::Client { writer, .. } => match writer.send(bytes).await {
                true => Ok(()),
                false => Err(std::io::ErrorKind::NotConnected.into()),
            },
        }
    }

    /// The next bytes read; empty when the connection closed.
    async fn receive(&mut self, buffer: &mut [u8]) -> std::io::Result<Vec<u8>> {
        match self {
            PlayOver::Stream(stream) => {
                let n = stream.read(buffer).await?;
                Ok(buffer[..n].to_vec())
            }
            PlayOver::Client { tap, .. } => Ok(tap.recv().await.unwrap_or_default()),
        }
    }
}

/// Plays the recorded client against a server and compares its answers
/// with the recording's; `Ok(None)` when they are the same. `limit` is how
/// long the server may stay silent while an answer is due.
pub async fn play_client(
    stream: TcpStream,
    recording: &Recording,
    limit: Duration,
) -> std::io::Result<Option<Difference>> {
    play_client_over(PlayOver::Stream(stream), recording, limit).await
}

/// [`play_client`] over either kind of connection.
pub async fn play_client_over(
    mut over: PlayOver,
    recording: &Recording,
    limit: Duration,
) -> std::io::Result<Option<Difference>> {
    let server_sends = recording.side.server_sends();
    let expected: Vec<u8> = recording
        .entries
        .iter()
        .filter_map(|entry| match entry {
            Entry::Data { way, bytes, .. } if *way == server_sends => Some(bytes.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    let mut got = Vec::new();
    let mut buffer = vec![0u8; 16 * 1024];
    for (_, bytes, wait_for) in script(recording, server_sends.opposite()) {
        while got.len() < wait_for {
            match tokio::time::timeout(limit, over.receive(&mut buffer)).await {
                Err(_) => return Ok(compare(&expected, &got)),
                Ok(Ok(read)) if read.is_empty() => return Ok(compare(&expected, &got)),
                Ok(Ok(read)) => got.extend_from_slice(&read),
                Ok(Err(err)) => return Err(err),
            }
            if let Some(difference) = compare_prefix(&expected, &got) {
                return Ok(Some(difference));
            }
        }
        over.send(bytes).await?;
    }
    while got.len() < expected.len() {
        match tokio::time::timeout(limit, over.receive(&mut buffer)).await {
            Err(_) => break,
            Ok(Ok(read)) if read.is_empty() => break,
            Ok(Ok(read)) => got.extend_from_slice(&read),
            Ok(Err(err)) => return Err(err),
        }
        if let Some(difference) = compare_prefix(&expected, &got) {
            return Ok(Some(difference));
        }
    }
    Ok(compare(&expected, &got))
}

/// The first difference between what arrived so far and the start of the
/// expected bytes (more than expected counts as a difference).
fn compare_prefix(expected: &[u8], got: &[u8]) -> Option<Difference> {
    let offset = expected
        .iter()
        .zip(got)
        .position(|(a, b)| a != b)
        .or((got.len() > expected.len()).then_some(expected.len()))?;
    Some(difference(expected, got, offset))
}

fn compare(expected: &[u8], got: &[u8]) -> Option<Difference> {
    compare_prefix(expected, got)
        .or((got.len() < expected.len()).then(|| difference(expected, got, got.len())))
}

fn difference(expected: &[u8], got: &[u8], offset: usize) -> Difference {
    let excerpt = |bytes: &[u8]| {
        bytes
            .get(offset..)
            .unwrap_or(&[])
            .iter()
            .take(32)
            .copied()
            .collect()
    };
    Difference {
        offset,
        expected: excerpt(expected),
        got: excerpt(got),
    }
}
