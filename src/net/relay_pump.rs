//! One direction of a relayed pair: read from one side, write to the
//! other. With no fault on and nothing held, each read is written at once
//! (the fast path, as `copy_bidirectional`). Otherwise reads go through a
//! bounded queue where they can be held, edited, dropped, delayed, paced and
//! sliced, in order; a full queue stops the reads, so the sender feels TCP's
//! back-pressure instead of growing our memory.

use std::collections::VecDeque;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::error::stream_error;
use super::relay::{
    Context, Dir, DirCommand, HeldChunk, RelayConfig, RelayEvent, Side, HOLD_LIMIT,
    MAX_QUEUED_CHUNKS,
};
use super::relay_faults::{Faults, Jitter};
use super::{ConnId, ConnStats};

/// Bytes asked for by the first read; a read that fills it grows the buffer
/// to [`READ_BUFFER`], so thousands of idle pairs stay small.
const FIRST_READ: usize = 4 * 1024;

/// The most bytes asked for per read.
const READ_BUFFER: usize = 16 * 1024;

/// What the pair tells a pump.
#[derive(Debug)]
pub(crate) enum PumpCommand {
    /// A user's command for this direction.
    Do(DirCommand),
    /// The relay's settings changed: read them again now (a pump waiting
    /// on a read would otherwise see them only at its next read).
    Refresh,
}

/// How a direction ended.
#[derive(Debug)]
pub(crate) enum PumpEnd {
    /// The sender's FIN was forwarded after everything queued.
    Finished,
    /// The limit fault was reached: this many bytes went this way.
    Limit(u64),
    /// The reset fault fired.
    Reset,
    /// A socket error, in words, naming the side.
    Failed(String),
}

struct Chunk {
    seq: u64,
    bytes: Arc<[u8]>,
    /// Bytes already written (a sliced or paced chunk goes in pieces).
    offset: usize,
    /// Not written before this (latency and jitter).
    due: Instant,
    /// Whether the UI was told it is held.
    announced: bool,
    /// Released while the hold stays on (step, release all).
    released: bool,
}

/// One direction's state.
pub(crate) struct Pump {
    context: Context,
    pair: ConnId,
    dir: Dir,
    stats: Arc<ConnStats>,
    commands: mpsc::Receiver<PumpCommand>,
    held: bool,
    queue: VecDeque<Chunk>,
    queued_bytes: usize,
    /// Bytes written this way, for the limit.
    sent: u64,
    next_seq: u64,
    /// The due time of the newest queued chunk: later chunks never overtake.
    last_due: Instant,
    /// Pacing: nothing is written before this (slice delay, bandwidth).
    not_before: Instant,
    jitter: Jitter,
}

impl Pump {
    pub(crate) fn new(
        context: Context,
        pair: ConnId,
        dir: Dir,
        stats: Arc<ConnStats>,
        commands: mpsc::Receiver<PumpCommand>,
        held: bool,
    ) -> Self {
        let now = Instant::now();
        Self {
            context,
            pair,
            dir,
            stats,
            commands,
            held,
            queue: VecDeque::new(),
            queued_bytes: 0,
            sent: 0,
            next_seq: 1,
            last_due: now,
            not_before: now,
            jitter: Jitter::new(pair.0.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ dir.index() as u64),
        }
    }

    fn receiver(&self) -> Side {
        Side::reading(self.dir.reverse())
    }

    fn failed(&self, side: Side, err: &std::io::Error) -> PumpEnd {
        PumpEnd::Failed(format!("{}: {}", side.name(), stream_error(err)))
    }

    /// When the front chunk may be written, if it may be at all (not held).
    fn front_due(&self) -> Option<Instant> {
        let front = self.queue.front()?;
        (!self.held || front.released).then(|| front.due.max(self.not_before))
    }

    /// Carries bytes from `reader` to `writer` until the sender's FIN is
    /// forwarded, a fault ends the pair, or a socket fails.
    pub(crate) async fn run(
        mut self,
        reader: &mut OwnedReadHalf,
        writer: &mut OwnedWriteHalf,
    ) -> PumpEnd {
        let mut buffer = vec![0u8; FIRST_READ];
        let mut eof = false;
        let mut config: watch::Receiver<RelayConfig> = self.context.config.clone();
        let mut faults = config.borrow_and_update().faults[self.dir.index()];
        // A reset that was on when the pair opened fires at the first read
        // (so the peer is mid-conversation, as a real reset would find it);
        // one switched on later fires at once.
        let reset_at_start = faults.reset;
        let mut commands_open = true;
        loop {
            // One atomic load per turn; the settings are copied only when
            // they changed.
            if config.has_changed().unwrap_or(false) {
                faults = config.borrow_and_update().faults[self.dir.index()];
            }
            if faults.reset && !reset_at_start {
                return PumpEnd::Reset;
            }
            if let Some(due) = self.front_due() {
                if due <= Instant::now() {
                    match self.write_front(writer, &faults).await {
                        Ok(true) => continue,
                        Ok(false) => return PumpEnd::Limit(self.sent),
                        Err(end) => return end,
                    }
                }
            }
            if faults.limit.is_some_and(|limit| self.sent >= limit) {
                return PumpEnd::Limit(self.sent);
            }
            if eof && self.queue.is_empty() {
                return self.forward_fin(writer, &faults).await;
            }
            let due = self.front_due();
            let can_read =
                !eof && self.queued_bytes < HOLD_LIMIT && self.queue.len() < MAX_QUEUED_CHUNKS;
            tokio::select! {
                biased;
                command = self.commands.recv(), if commands_open => match command {
                    Some(PumpCommand::Do(command)) => {
                        if let Err(end) = self.apply(command, writer).await {
                            return end;
                        }
                    }
                    Some(PumpCommand::Refresh) => {}
                    None => commands_open = false,
                },
                // Built only when polled: no timer is touched on the fast path.
                () = async { tokio::time::sleep_until(due.unwrap_or_else(Instant::now)).await }, if due.is_some() => {}
                read = reader.read(&mut buffer), if can_read => match read {
                    Ok(0) => {
                        eof = true;
                        let side = Side::reading(self.dir);
                        self.context.emit(RelayEvent::FinReceived { pair: self.pair, side }).await;
                    }
                    Ok(n) => {
                        self.stats.record_read(n);
                        let (pair, dir) = (self.pair, self.dir);
                        let engine = &self.context.engine;
                        self.context
                            .offer(|| RelayEvent::Relayed { pair, dir, data: engine.payload(&buffer[..n]) })
                            .await;
                        if faults.reset {
                            return PumpEnd::Reset;
                        }
                        if faults.blackhole {
                            continue;
                        }
                        if !self.held && self.queue.is_empty() && faults.is_plain() {
                            if let Err(err) = writer.write_all(&buffer[..n]).await {
                                return self.failed(self.receiver(), &err);
                            }
                            self.stats.record_write(n);
                            self.sent += n as u64;
                        } else {
                            self.enqueue(&buffer[..n], &faults).await;
                        }
                        if n == buffer.len() && buffer.len() < READ_BUFFER {
                            buffer.resize(READ_BUFFER, 0);
                        }
                    }
                    Err(err) => return self.failed(Side::reading(self.dir), &err),
                },
            }
        }
    }

    async fn forward_fin(&mut self, writer: &mut OwnedWriteHalf, faults: &Faults) -> PumpEnd {
        if !faults.slow_close.is_zero() {
            tokio::time::sleep(faults.slow_close).await;
        }
        if let Err(err) = writer.shutdown().await {
            return self.failed(self.receiver(), &err);
        }
        let side = self.receiver();
        self.context
            .emit(RelayEvent::FinSent {
                pair: self.pair,
                side,
            })
            .await;
        PumpEnd::Finished
    }

    async fn enqueue(&mut self, bytes: &[u8], faults: &Faults) {
        let now = Instant::now();
        let due = (now + self.jitter.delay(faults.latency, faults.jitter)).max(self.last_due);
        self.last_due = due;
        let seq = self.next_seq;
        self.next_seq += 1;
        let bytes: Arc<[u8]> = Arc::from(bytes);
        self.queued_bytes += bytes.len();
        self.queue.push_back(Chunk {
            seq,
            bytes: Arc::clone(&bytes),
            offset: 0,
            due,
            announced: self.held,
            released: false,
        });
        if self.held {
            self.announce(HeldChunk { seq, bytes }).await;
        }
    }

    async fn announce(&self, chunk: HeldChunk) {
        let (pair, dir) = (self.pair, self.dir);
        self.context
            .emit(RelayEvent::Held { pair, dir, chunk })
            .await;
    }

    /// Writes the next piece of the front chunk. `Ok(false)`: the limit is
    /// reached.
    async fn write_front(
        &mut self,
        writer: &mut OwnedWriteHalf,
        faults: &Faults,
    ) -> Result<bool, PumpEnd> {
        let Some(front) = self.queue.front_mut() else {
            return Ok(true);
        };
        let (seq, starting, announced) = (front.seq, front.offset == 0, front.announced);
        let remaining = front.bytes.len() - front.offset;
        let piece = faults.piece(remaining, self.sent);
        if piece == 0 {
            return Ok(false);
        }
        let bytes = Arc::clone(&front.bytes);
        let start = front.offset;
        if starting && announced {
            let pair = self.pair;
            let dir = self.dir;
            self.context
                .emit(RelayEvent::Unheld {
                    pair,
                    dir,
                    seq,
                    dropped: false,
                })
                .await;
        }
        if let Err(err) = writer.write_all(&bytes[start..start + piece]).await {
            return Err(self.failed(self.receiver(), &err));
        }
        self.stats.record_write(piece);
        self.sent += piece as u64;
        self.queued_bytes -= piece;
        let more = piece < remaining;
        if let Some(front) = self.queue.front_mut() {
            front.offset += piece;
            // A chunk begun is finished even if a hold comes on meanwhile.
            front.released = true;
        }
        if !more {
            self.queue.pop_front();
        }
        let pause = faults.pause_after(piece, more);
        self.not_before = Instant::now() + pause;
        Ok(faults.limit.is_none_or(|limit| self.sent < limit))
    }

    async fn apply(
        &mut self,
        command: DirCommand,
        writer: &mut OwnedWriteHalf,
    ) -> Result<(), PumpEnd> {
        match command {
            DirCommand::Hold(on) => {
                self.held = on;
                if on {
                    let waiting: Vec<HeldChunk> = self
                        .queue
                        .iter_mut()
                        .filter(|chunk| !chunk.announced && chunk.offset == 0)
                        .map(|chunk| {
                            chunk.announced = true;
                            HeldChunk {
                                seq: chunk.seq,
                                bytes: Arc::clone(&chunk.bytes),
                            }
                        })
                        .collect();
                    for chunk in waiting {
                        self.announce(chunk).await;
                    }
                }
            }
            DirCommand::ReleaseAll => self.queue.iter_mut().for_each(|c| c.released = true),
            DirCommand::Step => {
                if let Some(chunk) = self.queue.iter_mut().find(|chunk| !chunk.released) {
                    chunk.released = true;
                }
            }
            DirCommand::Drop(seq) => {
                let at = self
                    .queue
                    .iter()
                    .position(|chunk| chunk.seq == seq && chunk.offset == 0);
                if let Some(chunk) = at.and_then(|at| self.queue.remove(at)) {
                    self.queued_bytes -= chunk.bytes.len();
                    let (pair, dir) = (self.pair, self.dir);
                    self.context
                        .emit(RelayEvent::Unheld {
                            pair,
                            dir,
                            seq,
                            dropped: true,
                        })
                        .await;
                }
            }
            DirCommand::Edit(seq, bytes) => {
                let found = self
                    .queue
                    .iter_mut()
                    .find(|chunk| chunk.seq == seq && chunk.offset == 0);
                if let Some(chunk) = found {
                    let bytes: Arc<[u8]> = Arc::from(bytes);
                    self.queued_bytes = self.queued_bytes - chunk.bytes.len() + bytes.len();
                    chunk.bytes = Arc::clone(&bytes);
                    let (pair, dir) = (self.pair, self.dir);
                    let chunk = HeldChunk { seq, bytes };
                    self.context
                        .emit(RelayEvent::Edited { pair, dir, chunk })
                        .await;
                }
            }
            DirCommand::Inject(bytes) => {
                if let Err(err) = writer.write_all(&bytes).await {
                    return Err(self.failed(self.receiver(), &err));
                }
                self.stats.record_write(bytes.len());
                self.sent += bytes.len() as u64;
                let (pair, dir) = (self.pair, self.dir);
                let data = self.context.engine.payload(&bytes);
                self.context
                    .emit(RelayEvent::Injected { pair, dir, data })
                    .await;
            }
        }
        Ok(())
    }
}
