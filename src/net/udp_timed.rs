//! A UDP socket's timed sends: the message on a schedule, and a file's
//! pieces one datagram each, paced by the socket task.

use super::{SocketCommand, UdpHandle};
use crate::net::Engine;

impl UdpHandle {
    /// Sends `bytes` to `target` on `schedule` until the count is reached,
    /// the socket closes, or the returned handle is dropped.
    pub fn repeat(
        &self,
        engine: &Engine,
        target: &str,
        bytes: Vec<u8>,
        schedule: crate::net::timed::Repeat,
    ) -> crate::net::timed::Repeating {
        let commands = self.commands.clone();
        let target = target.to_string();
        crate::net::timed::Repeating::start(engine, schedule, move || {
            let sent = commands
                .send(SocketCommand::Send {
                    target: target.clone(),
                    bytes: bytes.clone(),
                })
                .is_ok();
            std::future::ready(sent)
        })
    }

    /// Sends each of `pieces` to `target` as one datagram, in order; each
    /// waits until the socket task has sent the one before, so a large
    /// file never piles up in the command queue.
    pub fn send_pieces(
        &self,
        engine: &Engine,
        target: &str,
        pieces: Vec<Vec<u8>>,
    ) -> crate::net::timed::Repeating {
        let commands = self.commands.clone();
        let target = target.to_string();
        crate::net::timed::Repeating::each(engine, pieces, move |bytes| {
            let (done, sent) = tokio::sync::oneshot::channel();
            let queued = commands
                .send(SocketCommand::SendThen {
                    target: target.clone(),
                    bytes,
                    done,
                })
                .is_ok();
            async move { queued && sent.await.is_ok() }
        })
    }
}
