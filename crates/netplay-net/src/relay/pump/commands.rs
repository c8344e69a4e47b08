//! A user's commands on one direction of a pair: hold, step, release,
//! drop, edit and inject — on whole messages once the pair speaks
//! WebSocket (see [`super::messages`]).

use std::sync::Arc;

use super::{held_chunk, write_watching, Pump, PumpEnd};
use crate::relay::{DirCommand, HeldChunk, RelayEvent};
use crate::stream::{ReadHalf, WriteHalf};

/// Injected frames that may wait for the end of a message at once.
const MAX_WAITING: usize = 64;

impl Pump {
    pub(super) async fn apply(
        &mut self,
        command: DirCommand,
        reader: &ReadHalf,
        writer: &mut WriteHalf,
    ) -> Result<(), PumpEnd> {
        match command {
            DirCommand::Hold(on) => {
                self.held = on;
                if !on {
                    // Nothing waits for the rest of a message: what was
                    // gathered goes on.
                    self.flush_gathered().await;
                }
                if on {
                    let waiting: Vec<HeldChunk> = self
                        .queue
                        .iter_mut()
                        .filter(|chunk| !chunk.announced && chunk.offset == 0)
                        .map(|chunk| {
                            chunk.announced = true;
                            held_chunk(chunk.seq, Arc::clone(&chunk.bytes), chunk.message)
                        })
                        .collect();
                    for chunk in waiting {
                        self.announce(chunk).await;
                    }
                }
            }
            DirCommand::ReleaseAll => {
                // The start of a message still gathering goes too.
                self.flush_gathered().await;
                self.queue.iter_mut().for_each(|c| c.released = true);
            }
            DirCommand::Step => {
                if self.queue.iter().all(|chunk| chunk.released) {
                    self.flush_gathered().await;
                }
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
                    self.budget.add_permits(chunk.charged);
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
            // Edited down to nothing: nothing to send, as a drop.
            DirCommand::Edit(seq, bytes) if bytes.is_empty() => {
                return Box::pin(self.apply(DirCommand::Drop(seq), reader, writer)).await;
            }
            DirCommand::Edit(seq, bytes) => {
                let found = self
                    .queue
                    .iter_mut()
                    .find(|chunk| chunk.seq == seq && chunk.offset == 0);
                if let Some(chunk) = found {
                    // A message's new payload goes in its frame again.
                    let bytes = match chunk.message {
                        true => crate::ws::message::rewrite(&chunk.bytes, &bytes).unwrap_or(bytes),
                        false => bytes,
                    };
                    let bytes: Arc<[u8]> = Arc::from(bytes);
                    self.queued_bytes = self.queued_bytes - chunk.bytes.len() + bytes.len();
                    chunk.bytes = Arc::clone(&bytes);
                    let (pair, dir) = (self.pair, self.dir);
                    let chunk = held_chunk(seq, bytes, chunk.message);
                    self.context
                        .emit(RelayEvent::Edited { pair, dir, chunk })
                        .await;
                }
            }
            DirCommand::InjectFrame(opcode, payload) => {
                let to_server = self.dir == crate::relay::Dir::Up;
                let frame = crate::ws::message::frame(opcode, &payload, to_server);
                let boundary = self.queue.iter().position(|chunk| chunk.boundary);
                let front_begun = self.queue.front().is_some_and(|c| c.offset > 0);
                if self.written_at_boundary && !front_begun {
                    return Box::pin(self.apply(DirCommand::Inject(frame), reader, writer)).await;
                }
                match boundary {
                    // Right after the message being written (or queued),
                    // and after frames injected there before.
                    Some(at) => {
                        let mut at = at + 1;
                        while self.queue.get(at).is_some_and(|chunk| chunk.injected) {
                            at += 1;
                        }
                        self.push_injected(at, frame);
                    }
                    None if self.waiting.len() < MAX_WAITING => self.waiting.push(frame),
                    None => {
                        let reason = format!(
                            "{}: {MAX_WAITING} frames already wait for the end of a message; not injected",
                            self.pair
                        );
                        self.context.emit(RelayEvent::Warning { reason }).await;
                    }
                }
            }
            DirCommand::Inject(bytes) if bytes.is_empty() => {}
            // A chunk half written (sliced, paced) is finished first: the
            // typed bytes go right after it, never inside it.
            DirCommand::Inject(bytes) if self.queue.front().is_some_and(|c| c.offset > 0) => {
                self.push_injected(1, bytes);
            }
            DirCommand::Inject(bytes) => {
                if let Err(broken) = write_watching(writer, &bytes, reader).await {
                    return Err(self.broken(broken));
                }
                self.stats.record_write(bytes.len());
                self.sent += bytes.len() as u64;
                if let Some(legs) = &self.legs {
                    legs.wrote(&bytes).await;
                }
                let (pair, dir) = (self.pair, self.dir);
                let data = self.context.engine.payload(&bytes);
                self.context
                    .emit(RelayEvent::Injected { pair, dir, data })
                    .await;
            }
        }
        Ok(())
    }

    /// Queues the start of a message still being gathered, as bytes.
    async fn flush_gathered(&mut self) {
        if let Some(piece) = self.cutter.flush() {
            let faults = self.context.config.borrow().faults[self.dir.index()];
            self.push_piece(piece, &faults).await;
        }
    }
}
