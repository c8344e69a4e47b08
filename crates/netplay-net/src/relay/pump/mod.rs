//! One direction of a relayed pair: read from one side, write to the
//! other. With no fault on and nothing held, each read is written at once
//! (the fast path, as `copy_bidirectional`). Otherwise reads go through a
//! bounded queue where they can be held, edited, dropped, delayed, paced and
//! sliced, in order; a full queue stops the reads, so the sender feels TCP's
//! back-pressure instead of growing our memory.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::stream::{ReadHalf, WriteHalf};
use std::time::Duration;
use tokio::io::AsyncWriteExt;

use tokio::sync::{watch, Semaphore};
use tokio::time::Instant;

use crate::command_queue;
use crate::error::stream_error;
use crate::record::recorder::{record, record_life, Recorder};
use crate::record::Way;
use crate::relay::faults::{Faults, Jitter};
use crate::relay::{
    Context, Dir, DirCommand, HeldChunk, RelayConfig, RelayEvent, Side, HOLD_LIMIT,
    MAX_QUEUED_CHUNKS,
};
use crate::{ConnId, ConnStats};

/// Bytes asked for by the first read; a read that fills it grows the buffer
/// to [`READ_BUFFER`], so thousands of idle pairs stay small.
const FIRST_READ: usize = 4 * 1024;

use crate::relay::READ_BUFFER;

mod allowance;
mod commands;
mod io;
mod messages;

use io::{read_lazily, try_write_all, write_watching, Broken};

use super::websocket::Seen;
use messages::{Cutter, Piece};

/// What the pair tells a pump.
#[derive(Debug)]
pub(crate) enum PumpCommand {
    /// A user's command for this direction.
    Do(DirCommand),
    /// The relay's settings changed: read them again now (a pump waiting
    /// on a read would otherwise see them only at its next read).
    Refresh,
    /// Record what this direction reads from now on, or stop (boxed: the
    /// queue holds blocks of the largest variant).
    Record(Option<Box<Recorder>>),
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
    /// Typed by the user (inject), not read from the sender.
    injected: bool,
    /// Bytes of the relay-wide budget this chunk holds, returned when it
    /// leaves the queue.
    charged: usize,
    /// One whole WebSocket message (edited as its payload).
    message: bool,
    /// It ends between messages (always, before an upgrade).
    boundary: bool,
}

/// One direction's state.
pub(crate) struct Pump {
    context: Context,
    pair: ConnId,
    dir: Dir,
    stats: Arc<ConnStats>,
    commands: command_queue::Receiver<PumpCommand>,
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
    /// The bandwidth's clock: when the bytes written so far may all have
    /// gone at the set rate. Writes run ahead of it by up to
    /// [`BANDWIDTH_BURST`], so tiny reads do not each wait for a timer.
    paced_until: Instant,
    jitter: Jitter,
    /// Every queued byte of the relay holds a permit: all pairs together
    /// hold at most [`crate::relay::RELAY_BUDGET`].
    budget: Arc<Semaphore>,
    /// The pair's recording, shared by both directions, while on.
    recorder: Option<Recorder>,
    /// WebSocket frames, told once the pair upgrades.
    watch: super::websocket::Watch,
    /// Set by the server → client direction when the 101 passes.
    upgraded: Arc<std::sync::atomic::AtomicBool>,
    /// Queued bytes of an upgraded pair, gathered into whole messages.
    cutter: Cutter,
    /// Whether what was written so far ends between messages: a frame
    /// injected now may go at once.
    written_at_boundary: bool,
    /// Frames injected while the receiver is mid-message: they go right
    /// after the message's end.
    waiting: Vec<Vec<u8>>,
    /// The pair's legs in a capture, while on (boxed: rarely on).
    legs: Option<Box<super::capture::Legs>>,
    /// Bytes this direction may still carry, when bounded (the relay as
    /// an HTTP proxy: one request's body); past it, reads are dropped.
    allowance: Option<u64>,
    /// Bytes dropped past the allowance.
    dropped: u64,
}

/// Where a read's frames start and where its messages end.
struct Framing<'a> {
    /// The read brought the 101: frames start at this byte.
    frames_from: Option<usize>,
    /// Where messages end in the read.
    cuts: &'a [usize],
    /// The stream before the read ended between messages.
    aligned: bool,
}

/// What the UI is told of a held chunk: a whole message is read back.
fn held_chunk(seq: u64, bytes: Arc<[u8]>, message: bool) -> HeldChunk {
    let message = message
        .then(|| crate::ws::message::read(&bytes))
        .flatten()
        .map(Arc::new);
    HeldChunk {
        seq,
        bytes,
        message,
    }
}

/// How far writes may run ahead of the bandwidth's clock.
const BANDWIDTH_BURST: Duration = Duration::from_millis(20);

impl Drop for Pump {
    fn drop(&mut self) {
        let charged: usize = self.queue.iter().map(|chunk| chunk.charged).sum();
        self.budget.add_permits(charged + self.cutter.charged);
    }
}

impl Pump {
    /// Shares the pair's WebSocket switch (both directions hold one).
    pub(crate) fn websocket(mut self, upgraded: Arc<std::sync::atomic::AtomicBool>) -> Self {
        self.upgraded = upgraded;
        self
    }

    pub(crate) fn new(
        context: Context,
        pair: ConnId,
        dir: Dir,
        stats: Arc<ConnStats>,
        commands: command_queue::Receiver<PumpCommand>,
        held: bool,
    ) -> Self {
        let now = Instant::now();
        Self {
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
            paced_until: now,
            jitter: Jitter::new(pair.0.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ dir.index() as u64),
            budget: Arc::clone(&context.budget),
            context,
            recorder: None,
            watch: super::websocket::Watch::default(),
            upgraded: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            cutter: Cutter::default(),
            written_at_boundary: true,
            waiting: Vec::new(),
            legs: None,
            allowance: None,
            dropped: 0,
        }
    }

    /// Captures what this direction reads and writes.
    pub(crate) fn capturing(mut self, legs: Option<super::capture::Legs>) -> Self {
        self.legs = legs.map(Box::new);
        self
    }

    /// Records what this direction reads (as the sender sent it).
    pub(crate) fn recording(mut self, recorder: Option<Recorder>) -> Self {
        self.recorder = recorder;
        self
    }

    /// In a recording seen from the client: up is what it sent.
    fn way(&self) -> Way {
        match self.dir {
            Dir::Up => Way::Out,
            Dir::Down => Way::In,
        }
    }

    fn receiver(&self) -> Side {
        Side::reading(self.dir.reverse())
    }

    fn failed(&self, side: Side, err: &std::io::Error) -> PumpEnd {
        PumpEnd::Failed(format!("{}: {}", side.name(), stream_error(err)))
    }

    fn broken(&self, broken: Broken) -> PumpEnd {
        match broken {
            Broken::Receiver(err) => self.failed(self.receiver(), &err),
            Broken::Sender(err) => self.failed(Side::reading(self.dir), &err),
        }
    }

    /// When the front chunk may be written, if it may be at all (not held).
    fn front_due(&self) -> Option<Instant> {
        let front = self.queue.front()?;
        (!self.held || front.released).then(|| front.due.max(self.not_before))
    }

    /// Carries bytes from `reader` to `writer` until the sender's FIN is
    /// forwarded, a fault ends the pair, or a socket fails.
    pub(crate) async fn run(mut self, reader: &mut ReadHalf, writer: &mut WriteHalf) -> PumpEnd {
        // No buffer until the sender first sends: an idle pair holds none.
        let mut buffer: Vec<u8> = Vec::new();
        let mut eof = false;
        let mut config: watch::Receiver<RelayConfig> = self.context.config.clone();
        let mut faults = config.borrow_and_update().faults[self.dir.index()];
        // A reset that is on fires at the next read (so a new pair is reset
        // mid-conversation, as a real reset would find it); switching it on
        // resets live pairs at once, which the pair sees (see relay_pair).
        let mut commands_open = true;
        let budget = Arc::clone(&self.budget);
        loop {
            // One atomic load per turn; the settings are copied only when
            // they changed.
            if config.has_changed().unwrap_or(false) {
                faults = config.borrow_and_update().faults[self.dir.index()];
            }
            if let Some(due) = self.front_due() {
                if due <= Instant::now() {
                    match self.write_front(reader, writer, &faults).await {
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
            let queued = self.queued_bytes + self.cutter.len();
            let room = queued < HOLD_LIMIT && self.queue.len() < MAX_QUEUED_CHUNKS;
            // A read that may be queued needs the relay-wide budget too;
            // without it the sender waits (back-pressure), as when full.
            let queueing = !self.is_plain(&faults);
            // A buffer not made yet will be FIRST_READ bytes.
            let wanted = if buffer.is_empty() {
                FIRST_READ
            } else {
                buffer.len()
            };
            let budgeted = !queueing || self.budget.available_permits() >= wanted;
            let can_read = !eof && room && budgeted;
            // Queued bytes stop at the bound exactly: a read takes no more
            // than the room left.
            let cap = if queueing {
                HOLD_LIMIT.saturating_sub(queued)
            } else {
                usize::MAX
            };
            let waiting_for_budget = !eof && room && !budgeted;
            tokio::select! {
                biased;
                command = self.commands.recv(), if commands_open => match command {
                    Some(PumpCommand::Do(command)) => {
                        if let Err(end) = self.apply(command, reader, writer).await {
                            return end;
                        }
                    }
                    Some(PumpCommand::Refresh) => {}
                    Some(PumpCommand::Record(recorder)) => self.recorder = recorder.map(|r| *r),
                    None => commands_open = false,
                },
                // Built only when polled: no timer is touched on the fast path.
                () = async { tokio::time::sleep_until(due.unwrap_or_else(Instant::now)).await }, if due.is_some() => {}
                // Wakes when other pairs give budget back (the permit is
                // returned at once: this only waits).
                _ = budget.acquire_many(READ_BUFFER as u32), if waiting_for_budget => {}
                read = read_lazily(reader, &mut buffer, cap), if can_read => match read {
                    Ok(0) => {
                        eof = true;
                        let fin = match self.dir {
                            Dir::Up => "half_close",
                            Dir::Down => "peer_half_close",
                        };
                        record_life(&mut self.recorder, fin).await;
                        if let Some(legs) = &self.legs {
                            legs.read_fin().await;
                        }
                        // The sender is done: a message it left unfinished
                        // goes as it is, and frames waiting for its end
                        // after it.
                        if let Some(piece) = self.cutter.flush() {
                            self.push_piece(piece, &faults).await;
                        }
                        for frame in std::mem::take(&mut self.waiting) {
                            self.push_injected(self.queue.len(), frame);
                        }
                        let side = Side::reading(self.dir);
                        self.context.emit(RelayEvent::FinReceived { pair: self.pair, side }).await;
                    }
                    Ok(n) => {
                        self.stats.record_read(n);
                        let read = n;
                        // Bounded only for the relay as an HTTP proxy.
                        let n = match self.allowance {
                            None => n,
                            Some(_) => self.within_allowance(n).await,
                        };
                        if n == 0 {
                            if read == buffer.len() && buffer.len() < READ_BUFFER {
                                buffer.resize(READ_BUFFER, 0);
                            }
                            continue;
                        }
                        let way = self.way();
                        record(&mut self.recorder, way, &buffer[..n]).await;
                        if let Some(legs) = &self.legs {
                            legs.read(&buffer[..n]).await;
                        }
                        let aligned = self.watch.at_boundary();
                        let mut cuts = Vec::new();
                        let mut frames_from = None;
                        let seen = self.watch.read(self.dir, &buffer[..n], &self.upgraded);
                        for seen in &seen {
                            match seen {
                                Seen::Upgraded { at } => frames_from = Some(*at),
                                Seen::Frame(passed) if passed.boundary => cuts.push(passed.end),
                                Seen::Frame(_) => {}
                            }
                        }
                        // A change of faults made while this read waited
                        // applies to what it brought (the Refresh command
                        // may still be queued behind it).
                        if config.has_changed().unwrap_or(false) {
                            faults = config.borrow_and_update().faults[self.dir.index()];
                        }
                        let (pair, dir) = (self.pair, self.dir);
                        let engine = &self.context.engine;
                        if self.is_plain(&faults) {
                            // Forwarded first, told after: the bytes do not
                            // wait for a preview to be made and sent. A
                            // write that has to wait is told before it waits.
                            let taken = try_write_all(writer, &buffer[..n]);
                            self.context
                                .offer(|| RelayEvent::Relayed { pair, dir, data: engine.payload(&buffer[..n]) })
                                .await;
                            self.tell_frames(seen).await;
                            let written = match taken {
                                Ok(taken) if taken < n => write_watching(writer, &buffer[taken..n], reader).await,
                                Ok(_) => Ok(()),
                                Err(broken) => Err(broken),
                            };
                            if let Err(broken) = written {
                                return self.broken(broken);
                            }
                            self.stats.record_write(n);
                            self.sent += n as u64;
                            self.written_at_boundary = self.watch.at_boundary();
                            if let Some(legs) = &self.legs {
                                legs.wrote(&buffer[..n]).await;
                            }
                        } else {
                            self.context
                                .offer(|| RelayEvent::Relayed { pair, dir, data: engine.payload(&buffer[..n]) })
                                .await;
                            self.tell_frames(seen).await;
                            if faults.reset {
                                return PumpEnd::Reset;
                            }
                            if faults.blackhole {
                                continue;
                            }
                            let framing = Framing { frames_from, cuts: &cuts, aligned };
                            self.enqueue_read(&buffer[..n], framing, &faults).await;
                        }
                        if n == buffer.len().min(cap) && buffer.len() < READ_BUFFER {
                            buffer.resize(READ_BUFFER, 0);
                        }
                    }
                    Err(err) => return self.failed(Side::reading(self.dir), &err),
                },
            }
        }
    }

    async fn forward_fin(&mut self, writer: &mut WriteHalf, faults: &Faults) -> PumpEnd {
        if !faults.slow_close.is_zero() {
            tokio::time::sleep(faults.slow_close).await;
        }
        if let Err(err) = writer.shutdown().await {
            return self.failed(self.receiver(), &err);
        }
        if let Some(legs) = &self.legs {
            legs.wrote_fin().await;
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

    /// Tells the WebSocket frames a read completed, after the read's own
    /// line (the upgrade is never dropped; frames are offered, as reads).
    async fn tell_frames(&self, seen: Vec<Seen>) {
        for seen in seen {
            let event = super::websocket::event(self.pair, self.dir, seen);
            match event {
                RelayEvent::WsUpgraded { .. } => self.context.emit(event).await,
                _ => self.context.offer(|| event).await,
            }
        }
    }

    /// Nothing held, queued, gathered or waiting, and no fault: a read
    /// is written at once.
    fn is_plain(&self, faults: &Faults) -> bool {
        !self.held
            && self.queue.is_empty()
            && faults.is_plain()
            && self.cutter.len() == 0
            && self.waiting.is_empty()
    }

    /// Queues one read: as it is, or — once the pair speaks WebSocket —
    /// cut into whole messages.
    async fn enqueue_read(&mut self, bytes: &[u8], framing: Framing<'_>, faults: &Faults) {
        if !self.watch.is_frames() {
            let charged = self.charge(bytes.len());
            let piece = Piece {
                bytes: bytes.to_vec(),
                message: false,
                boundary: true,
                charged,
            };
            return self.push_piece(piece, faults).await;
        }
        // The read that brought the 101: its head is bytes, frames follow.
        let (at, aligned) = match framing.frames_from {
            Some(at) => (at, true),
            None => (0, framing.aligned),
        };
        if at > 0 {
            let charged = self.charge(at);
            let head = Piece {
                bytes: bytes[..at].to_vec(),
                message: false,
                boundary: true,
                charged,
            };
            self.push_piece(head, faults).await;
        }
        let cuts: Vec<usize> = framing.cuts.iter().map(|cut| cut - at).collect();
        let charged = self.charge(bytes.len() - at);
        let mut pieces = self.cutter.cut(&bytes[at..], &cuts, aligned, charged);
        // Whole messages are gathered only while held (to step and edit
        // them): a fault alone must not keep the start of a message — or a
        // ping sent between its fragments — waiting for its end.
        if !self.held {
            pieces.extend(self.cutter.flush());
        }
        for piece in pieces {
            self.push_piece(piece, faults).await;
        }
    }

    async fn push_piece(&mut self, piece: Piece, faults: &Faults) {
        let now = Instant::now();
        let due = (now + self.jitter.delay(faults.latency, faults.jitter)).max(self.last_due);
        self.last_due = due;
        let seq = self.next_seq;
        self.next_seq += 1;
        let bytes: Arc<[u8]> = Arc::from(piece.bytes);
        self.queued_bytes += bytes.len();
        self.queue.push_back(Chunk {
            seq,
            bytes: Arc::clone(&bytes),
            offset: 0,
            due,
            announced: self.held,
            released: false,
            injected: false,
            charged: piece.charged,
            message: piece.message,
            boundary: piece.boundary,
        });
        if piece.boundary {
            for frame in std::mem::take(&mut self.waiting) {
                self.push_injected(self.queue.len(), frame);
            }
        }
        if self.held {
            self.announce(held_chunk(seq, bytes, piece.message)).await;
        }
    }

    /// Puts typed bytes in the queue at `at`, released: nothing before
    /// them is cut by them.
    fn push_injected(&mut self, at: usize, bytes: Vec<u8>) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.queued_bytes += bytes.len();
        self.queue.insert(
            at.min(self.queue.len()),
            Chunk {
                seq,
                bytes: Arc::from(bytes),
                offset: 0,
                due: Instant::now(),
                announced: false,
                released: true,
                injected: true,
                charged: 0,
                message: false,
                boundary: true,
            },
        );
    }

    /// Takes `len` bytes of the relay-wide budget if it has them (the read
    /// was allowed because it did; another pair may have taken them since,
    /// and then this one read goes over by at most one buffer).
    fn charge(&self, len: usize) -> usize {
        let Ok(permits) = u32::try_from(len) else {
            return 0;
        };
        match self.budget.try_acquire_many(permits) {
            Ok(permit) => {
                permit.forget();
                len
            }
            Err(_) => 0,
        }
    }

    /// Takes the front chunk off the queue and gives its budget back.
    fn pop_front(&mut self) {
        if let Some(chunk) = self.queue.pop_front() {
            self.budget.add_permits(chunk.charged);
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
        reader: &ReadHalf,
        writer: &mut WriteHalf,
        faults: &Faults,
    ) -> Result<bool, PumpEnd> {
        let Some(front) = self.queue.front_mut() else {
            return Ok(true);
        };
        let (seq, starting, announced, injected) = (
            front.seq,
            front.offset == 0,
            front.announced,
            front.injected,
        );
        let remaining = front.bytes.len() - front.offset;
        if remaining == 0 {
            self.pop_front(); // edited down to nothing
            return Ok(true);
        }
        let piece = if injected {
            remaining // typed bytes go as typed
        } else {
            faults.piece(remaining, self.sent)
        };
        if piece == 0 {
            return Ok(false);
        }
        let bytes = Arc::clone(&front.bytes);
        let start = front.offset;
        if starting && announced {
            let (pair, dir) = (self.pair, self.dir);
            self.context
                .emit(RelayEvent::Unheld {
                    pair,
                    dir,
                    seq,
                    dropped: false,
                })
                .await;
        }
        if let Err(broken) = write_watching(writer, &bytes[start..start + piece], reader).await {
            return Err(self.broken(broken));
        }
        self.stats.record_write(piece);
        self.sent += piece as u64;
        self.queued_bytes -= piece;
        if let Some(legs) = &self.legs {
            legs.wrote(&bytes[start..start + piece]).await;
        }
        let more = piece < remaining;
        if let Some(front) = self.queue.front_mut() {
            front.offset += piece;
            // A chunk begun is finished even if a hold comes on meanwhile.
            front.released = true;
        }
        self.written_at_boundary = !more && self.queue.front().is_some_and(|c| c.boundary);
        if !more {
            self.pop_front();
        }
        if injected {
            let (pair, dir) = (self.pair, self.dir);
            let data = self.context.engine.payload(&bytes);
            self.context
                .emit(RelayEvent::Injected { pair, dir, data })
                .await;
            return Ok(true);
        }
        let now = Instant::now();
        let mut not_before = now + faults.pause_after(piece, more);
        if let Some(paced) = faults.paced(piece) {
            self.paced_until = self.paced_until.max(now) + paced;
            if let Some(ahead) = self.paced_until.checked_sub(BANDWIDTH_BURST) {
                not_before = not_before.max(ahead);
            }
        }
        self.not_before = not_before;
        Ok(faults.limit.is_none_or(|limit| self.sent < limit))
    }
}
