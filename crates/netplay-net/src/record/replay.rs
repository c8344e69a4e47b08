//! Replay a recorded session ([`crate::record`]) as the other side.
//!
//! As a mock server, each connection gets what the recorded server sent,
//! in order; before each piece, it waits until the client has sent at
//! least as many bytes as the recorded client had by then (or, with
//! `timing`, until the recorded moment). As a client, the recorded client's
//! bytes are sent the same way and the server's answers are compared with
//! the recording, byte by byte.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::record::{Entry, Recording, Way};

/// A connection to replay over: a socket, or one tapped into a capture
/// (`--pcap`).
pub trait Conn: AsyncRead + AsyncWrite + Unpin + Send {}

impl<S: AsyncRead + AsyncWrite + Unpin + Send> Conn for S {}

/// How long `--serve` waits for a quiet client before closing.
pub const CLIENT_IDLE: Duration = Duration::from_secs(60);

/// Where a server's answers first differed from the recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// What `offset` counts.
    pub unit: Unit,
    /// The first differing byte (from 0) or message (from 1).
    pub offset: usize,
    /// The recording's bytes from there (at most 32), or its message in
    /// words.
    pub expected: Vec<u8>,
    /// The server's bytes from there (at most 32), or its message in words.
    pub got: Vec<u8>,
}

/// What a [`Difference`] counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Bytes of a plain session.
    Byte,
    /// Messages of a WebSocket session.
    Message,
    /// A WebSocket session's upgrade: the server did not answer `101`.
    Upgrade,
}

impl Difference {
    /// Where it is, in words: `byte 12`, `message 2`, `the upgrade`.
    pub fn place(&self) -> String {
        match self.unit {
            Unit::Byte => format!("byte {}", self.offset),
            Unit::Message => format!("message {}", self.offset),
            Unit::Upgrade => "the upgrade".to_string(),
        }
    }
}

/// What the played client has read so far, checked against the recording
/// as it arrives: bytes, or a WebSocket's messages.
pub(crate) trait Answers {
    /// Takes one read (empty: the connection closed); the first
    /// difference it shows, if any.
    fn take(&mut self, read: Vec<u8>) -> Option<Difference>;
    /// Whether the connection closed.
    fn closed(&self) -> bool;
    /// How far the answers got: bytes, or messages.
    fn progress(&self) -> usize;
    /// How far the recorded answers went.
    fn expected(&self) -> usize;
    /// The verdict once nothing more comes.
    fn verdict(&self) -> Option<Difference>;
}

/// What the replayed side sends and what it waits for: `mine` is the
/// side being played, the other side's bytes are awaited.
/// The recorded side's sends, in order, each with when it was sent and how
/// many of the other side's bytes had arrived by then. Borrowed from the
/// recording: every connection replays from the one shared copy (a 119 MB
/// recording and 10 slow clients must not make ten copies).
fn script(recording: &Recording, mine: Way) -> impl Iterator<Item = (Duration, &[u8], usize)> + '_ {
    let mut theirs_so_far = 0;
    recording
        .entries
        .iter()
        .filter_map(move |entry| match entry {
            Entry::Data { at, way, bytes } if *way == mine => {
                Some((*at, bytes.as_slice(), theirs_so_far))
            }
            Entry::Data { bytes, .. } => {
                theirs_so_far += bytes.len();
                None
            }
            _ => None,
        })
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
    mut stream: impl Conn,
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
                let n = read_or_quiet(&mut stream, &mut buffer).await?;
                if n == 0 {
                    return Ok(received);
                }
                received += n;
            }
        }
        // A client that takes none of it for as long is gone too.
        tokio::time::timeout(CLIENT_IDLE, stream.write_all(bytes))
            .await
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))??;
    }
    // The rest the recorded client sent, then the close.
    let rest = total(recording, server_sends.opposite());
    while received < rest {
        let n = read_or_quiet(&mut stream, &mut buffer).await?;
        if n == 0 {
            break;
        }
        received += n;
    }
    stream.shutdown().await?;
    Ok(received)
}

/// A read that counts a client quiet for [`CLIENT_IDLE`] as gone, so
/// idle clients cannot hold connections (and descriptors) open.
pub(crate) async fn read_or_quiet(
    stream: &mut (impl AsyncRead + Unpin),
    buffer: &mut [u8],
) -> std::io::Result<usize> {
    tokio::time::timeout(CLIENT_IDLE, stream.read(buffer))
        .await
        .unwrap_or(Ok(0))
}

/// The connection a recorded client is played over: a socket of its own
/// (`netplay replay --connect`), or a client tab's connection, whose
/// received bytes are tapped off its read loop (every byte, in order, on a
/// bounded channel the read loop waits on).
pub enum PlayOver {
    /// A socket of its own.
    Stream(Box<dyn Conn>),
    /// An engine client connection.
    Client {
        /// Sends on the connection, in order with its other sends.
        writer: crate::tcp_client::ClientWriter,
        /// Every byte the connection reads.
        tap: tokio::sync::mpsc::Receiver<Vec<u8>>,
    },
}

/// The sending half of a [`PlayOver`].
enum Sink {
    Stream(tokio::io::WriteHalf<Box<dyn Conn>>),
    Client(crate::tcp_client::ClientWriter),
}

/// The receiving half of a [`PlayOver`].
enum Source {
    Stream(tokio::io::ReadHalf<Box<dyn Conn>>),
    Client(tokio::sync::mpsc::Receiver<Vec<u8>>),
}

impl PlayOver {
    fn split(self) -> (Source, Sink) {
        match self {
            PlayOver::Stream(stream) => {
                let (reader, writer) = tokio::io::split(stream);
                (Source::Stream(reader), Sink::Stream(writer))
            }
            PlayOver::Client { writer, tap } => (Source::Client(tap), Sink::Client(writer)),
        }
    }
}

impl Sink {
    async fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            Sink::Stream(stream) => stream.write_all(bytes).await,
            // Written, not only queued: a verdict never comes while
            // recorded bytes still wait to go.
            Sink::Client(writer) => match writer.send_confirmed(bytes.to_vec()).await {
                crate::timed::SendOutcome::Sent => Ok(()),
                _ => Err(std::io::ErrorKind::NotConnected.into()),
            },
        }
    }
}

impl Source {
    /// The next bytes read; empty when the connection closed.
    async fn receive(&mut self, buffer: &mut [u8]) -> std::io::Result<Vec<u8>> {
        match self {
            Source::Stream(stream) => {
                let n = stream.read(buffer).await?;
                Ok(buffer[..n].to_vec())
            }
            Source::Client(tap) => Ok(tap.recv().await.unwrap_or_default()),
        }
    }
}

/// What the client's side has read so far, checked against the recording
/// as it arrives (bounded: more than recorded is already a difference).
struct ByteAnswers {
    expected: Vec<u8>,
    got: Vec<u8>,
    closed: bool,
}

impl Answers for ByteAnswers {
    fn take(&mut self, read: Vec<u8>) -> Option<Difference> {
        if read.is_empty() {
            self.closed = true;
            return None;
        }
        self.got.extend_from_slice(&read);
        compare_prefix(&self.expected, &self.got)
    }

    fn closed(&self) -> bool {
        self.closed
    }

    fn progress(&self) -> usize {
        self.got.len()
    }

    fn expected(&self) -> usize {
        self.expected.len()
    }

    fn verdict(&self) -> Option<Difference> {
        compare(&self.expected, &self.got)
    }
}

/// Sends one recorded piece while reading the server: a server that
/// answers before it reads must not stall us (both sides blocked writing),
/// nor the client tab's read loop that feeds the tap. `stall`: how long
/// the send may make no progress while nothing arrives.
async fn send_reading(
    sink: &mut Sink,
    source: &mut Source,
    bytes: &[u8],
    answers: &mut impl Answers,
    stall: Duration,
) -> std::io::Result<Option<Difference>> {
    let mut buffer = vec![0u8; 16 * 1024];
    let quiet = tokio::time::sleep(stall);
    tokio::pin!(quiet);
    // In pieces, so a slow but steady reader counts as progress.
    for piece in bytes.chunks(SEND_PIECE) {
        let send = sink.send(piece);
        tokio::pin!(send);
        loop {
            tokio::select! {
                done = &mut send => {
                    done?;
                    quiet.as_mut().reset(tokio::time::Instant::now() + stall);
                    break;
                }
                read = source.receive(&mut buffer), if !answers.closed() => {
                    if let Some(difference) = answers.take(read?) {
                        return Ok(Some(difference));
                    }
                    quiet.as_mut().reset(tokio::time::Instant::now() + stall);
                }
                () = &mut quiet => {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        format!(
                            "the server took none of the recorded client's bytes for {}",
                            crate::error::human_duration(stall)
                        ),
                    ))
                }
            }
        }
    }
    Ok(None)
}

/// How much of a recorded piece is sent at a time (each piece sent is
/// progress).
const SEND_PIECE: usize = 16 * 1024;

/// Plays the recorded client against a server and compares its answers
/// with the recording's; `Ok(None)` when they are the same. `limit` is how
/// long the server may stay silent while an answer is due.
pub async fn play_client(
    stream: impl Conn + 'static,
    recording: &Recording,
    limit: Duration,
) -> std::io::Result<Option<Difference>> {
    play_client_over(PlayOver::Stream(Box::new(stream)), recording, limit).await
}

/// [`play_client`] over either kind of connection. A WebSocket session
/// is played as messages ([`super::replay_ws`]).
pub async fn play_client_over(
    over: PlayOver,
    recording: &Recording,
    limit: Duration,
) -> std::io::Result<Option<Difference>> {
    let (source, sink) = over.split();
    if let Some(plan) = super::replay_ws::plan(recording) {
        let answers = super::replay_ws::WsAnswers::new(recording);
        let sends = std::iter::once((plan.request(), 0)).chain(plan.client_sends(recording));
        return play(source, sink, answers, sends, limit).await;
    }
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
    let answers = ByteAnswers {
        expected,
        got: Vec::new(),
        closed: false,
    };
    let sends = script(recording, server_sends.opposite()).map(|(_, bytes, after)| (bytes, after));
    play(source, sink, answers, sends, limit).await
}

/// Sends each piece once the answers got as far as they had when it was
/// recorded, checking them as they come.
async fn play<'a>(
    mut source: Source,
    mut sink: Sink,
    mut answers: impl Answers,
    sends: impl Iterator<Item = (&'a [u8], usize)>,
    limit: Duration,
) -> std::io::Result<Option<Difference>> {
    let mut buffer = vec![0u8; 16 * 1024];
    let stall = limit * 5;
    for (bytes, wait_for) in sends {
        if let Some(difference) =
            await_answers(&mut source, &mut answers, &mut buffer, limit, wait_for).await?
        {
            return Ok(Some(difference));
        }
        if answers.progress() < wait_for {
            // Silent past the limit, or closed: what came is compared.
            return Ok(answers.verdict());
        }
        if let Some(difference) =
            send_reading(&mut sink, &mut source, bytes, &mut answers, stall).await?
        {
            return Ok(Some(difference));
        }
    }
    let all = answers.expected();
    if let Some(difference) =
        await_answers(&mut source, &mut answers, &mut buffer, limit, all).await?
    {
        return Ok(Some(difference));
    }
    Ok(answers.verdict())
}

/// Reads until the answers got to `wanted`, the connection closed, the
/// server was silent for `limit`, or a difference showed.
async fn await_answers(
    source: &mut Source,
    answers: &mut impl Answers,
    buffer: &mut [u8],
    limit: Duration,
    wanted: usize,
) -> std::io::Result<Option<Difference>> {
    // Silence is counted from the last answer that got further: a server
    // that pings, or trickles a frame it never ends, is still silent.
    let mut deadline = tokio::time::Instant::now() + limit;
    let mut progress = answers.progress();
    while answers.progress() < wanted && !answers.closed() {
        match tokio::time::timeout_at(deadline, source.receive(buffer)).await {
            Err(_) => break,
            Ok(read) => {
                if let Some(difference) = answers.take(read?) {
                    return Ok(Some(difference));
                }
                if answers.progress() > progress {
                    progress = answers.progress();
                    deadline = tokio::time::Instant::now() + limit;
                }
            }
        }
    }
    Ok(None)
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
        unit: Unit::Byte,
        offset,
        expected: excerpt(expected),
        got: excerpt(got),
    }
}
