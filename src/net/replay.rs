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

/// Plays the recorded server to one accepted client (the recording was
/// made by a client: its `in` bytes are what the server sent). Only the
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
    for (at, bytes, wait_for) in script(recording, Way::In) {
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
    let rest = total(recording, Way::Out);
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

/// Plays the recorded client against a server and compares its answers
/// with the recording's; `Ok(None)` when they are the same. `limit` is how
/// long the server may stay silent while an answer is due.
pub async fn play_client(
    mut stream: TcpStream,
    recording: &Recording,
    limit: Duration,
) -> std::io::Result<Option<Difference>> {
    let expected: Vec<u8> = recording
        .entries
        .iter()
        .filter_map(|entry| match entry {
            Entry::Data {
                way: Way::In,
                bytes,
                ..
            } => Some(bytes.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    let mut got = Vec::new();
    let mut buffer = vec![0u8; 16 * 1024];
    for (_, bytes, wait_for) in script(recording, Way::Out) {
        while got.len() < wait_for {
            match tokio::time::timeout(limit, stream.read(&mut buffer)).await {
                Ok(Ok(0)) | Err(_) => return Ok(compare(&expected, &got)),
                Ok(Ok(n)) => got.extend_from_slice(&buffer[..n]),
                Ok(Err(err)) => return Err(err),
            }
            if let Some(difference) = compare_prefix(&expected, &got) {
                return Ok(Some(difference));
            }
        }
        stream.write_all(&bytes).await?;
    }
    while got.len() < expected.len() {
        match tokio::time::timeout(limit, stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Err(_) => break,
            Ok(Ok(n)) => got.extend_from_slice(&buffer[..n]),
            Ok(Err(err)) => return Err(err),
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
