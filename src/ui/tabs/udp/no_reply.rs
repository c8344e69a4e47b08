//! The UDP tab's "stop answering this peer" switch (Alt+B): the way out of
//! a loop with another answering server that the loop guard reports but
//! cannot tell from a client repeating itself (see `net::behaviour::loop_guard`).

use std::net::SocketAddr;

use crate::net::udp::{Blocked, UdpHandle};

/// The peers not answered, and the last one reported as a possible loop.
#[derive(Debug, Default)]
pub struct NoReply {
    suspect: Option<SocketAddr>,
    blocked: Vec<SocketAddr>,
}

impl NoReply {
    /// A peer the loop guard reported: Alt+B then stops answering it.
    pub fn suspect(&mut self, peer: SocketAddr) {
        self.suspect = Some(peer);
    }

    /// Switches replies to `chosen` (the selected packet's peer), or else
    /// to the last reported peer, off or back on; the status line's text,
    /// or why nothing was done.
    pub fn toggle(
        &mut self,
        socket: Option<&UdpHandle>,
        chosen: Option<SocketAddr>,
    ) -> Result<String, String> {
        let Some(socket) = socket else {
            return Err("Not bound: there is nobody to stop answering".into());
        };
        let Some(peer) = chosen.or(self.suspect) else {
            return Err("No peer to stop answering: select a datagram from it first".into());
        };
        let on = !self.blocked.contains(&peer);
        socket.no_reply_to(Blocked::Addr(peer), on);
        Ok(if on {
            format!("Stopping replies to {peer} (Alt+B again answers it)")
        } else {
            format!("Answering {peer} again")
        })
    }

    /// The socket confirmed a change.
    pub fn confirmed(&mut self, peer: Blocked, on: bool) {
        let Blocked::Addr(peer) = peer else {
            return;
        };
        self.blocked.retain(|blocked| *blocked != peer);
        if on {
            self.blocked.push(peer);
            if self.suspect == Some(peer) {
                self.suspect = None;
            }
        }
    }

    /// How many peers are not answered (shown in the status).
    pub fn count(&self) -> usize {
        self.blocked.len()
    }

    /// The socket closed: a new one answers everybody.
    pub fn clear(&mut self) {
        *self = Self::default();
    }
}
