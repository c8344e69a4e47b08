//! A UDP socket's timed sends: the message on a schedule, a file's pieces
//! one datagram each, or a list of messages in turn — each send waiting
//! until the socket task has sent the one before, so nothing piles up in
//! the command queue and the count is what the socket sent.

use super::{SocketCommand, UdpHandle};
use crate::timed::{Repeat, Repeating, SendOutcome};
use crate::Engine;

impl UdpHandle {
    /// Sends the next of `pieces` to `target` as one datagram on
    /// `schedule`, until they run out, the count is reached, the socket
    /// closes, or the returned handle is dropped. A datagram the socket
    /// could not send (too large, an ICMP error) is not counted.
    pub fn send_each(
        &self,
        engine: &Engine,
        target: &str,
        schedule: Repeat,
        pieces: impl Iterator<Item = Vec<u8>> + Send + 'static,
    ) -> Repeating {
        let commands = self.commands.clone();
        let target = target.to_string();
        Repeating::start_each(engine, schedule, pieces, move |bytes| {
            let (done, sent) = tokio::sync::oneshot::channel();
            let queued = commands
                .send(SocketCommand::SendThen {
                    target: target.clone(),
                    bytes,
                    done,
                })
                .is_ok();
            async move {
                match (queued, sent.await) {
                    (true, Ok(true)) => SendOutcome::Sent,
                    (true, Ok(false)) => SendOutcome::Failed,
                    _ => SendOutcome::Ended,
                }
            }
        })
    }

    /// Sends `bytes` to `target` on `schedule`.
    pub fn repeat(
        &self,
        engine: &Engine,
        target: &str,
        bytes: Vec<u8>,
        schedule: Repeat,
    ) -> Repeating {
        self.send_each(engine, target, schedule, std::iter::repeat(bytes))
    }

    /// Sends each of `count` pieces to `target` once, back to back.
    pub fn send_pieces(
        &self,
        engine: &Engine,
        target: &str,
        pieces: impl Iterator<Item = Vec<u8>> + Send + 'static,
        count: u64,
    ) -> Repeating {
        let schedule = Repeat::new(
            std::time::Duration::ZERO,
            std::time::Duration::ZERO,
            Some(count.max(1)),
            0,
        );
        self.send_each(engine, target, schedule, pieces)
    }
}
