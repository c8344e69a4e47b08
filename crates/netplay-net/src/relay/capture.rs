//! A relayed pair in a capture (`relay --pcap`): two flows, as a capture
//! on the relay's machine would show them — the client's connection to
//! the relay (leg A) and the relay's to the server (leg B). Each direction
//! adds what it reads to one leg and what it writes to the other, so a
//! held, edited, dropped or injected chunk shows as it went out.

use std::net::SocketAddr;

use super::Dir;
use crate::pcap::flow::{CLIENT, SERVER};
use crate::pcap::{Capture, FlowTap};

/// Both legs of a pair.
#[derive(Clone)]
pub(crate) struct PairCapture {
    /// Client ↔ relay.
    a: FlowTap,
    /// Relay ↔ server.
    b: FlowTap,
}

/// What one direction adds to: the leg it reads from and the leg it
/// writes to, each with the end that sends.
pub(crate) struct Legs {
    read: (FlowTap, usize),
    write: (FlowTap, usize),
}

impl PairCapture {
    /// The pair's flows: `client` → `local` (the relay's listening
    /// socket), `up_local` → `server`.
    pub(crate) fn new(
        capture: &Capture,
        (client, local): (SocketAddr, SocketAddr),
        (up_local, server): (SocketAddr, SocketAddr),
    ) -> Self {
        Self {
            a: capture.flow(client, local),
            b: capture.flow(up_local, server),
        }
    }

    /// Both handshakes.
    pub(crate) async fn open(&self) {
        self.a.open().await;
        self.b.open().await;
    }

    /// The legs of `dir`.
    pub(crate) fn legs(&self, dir: Dir) -> Legs {
        match dir {
            // The client sends on A; the relay, as B's client, writes on B.
            Dir::Up => Legs {
                read: (self.a.clone(), CLIENT),
                write: (self.b.clone(), CLIENT),
            },
            Dir::Down => Legs {
                read: (self.b.clone(), SERVER),
                write: (self.a.clone(), SERVER),
            },
        }
    }

    /// The pair ended: the FINs not seen yet, or the relay's resets.
    pub(crate) async fn close(&self, reset: bool) {
        if reset {
            self.a.reset(SERVER).await;
            self.b.reset(CLIENT).await;
        } else {
            self.a.close().await;
            self.b.close().await;
        }
    }
}

impl Legs {
    /// Bytes read from the sender.
    pub(crate) async fn read(&self, bytes: &[u8]) {
        self.read.0.data(self.read.1, bytes).await;
    }

    /// Bytes written to the receiver.
    pub(crate) async fn wrote(&self, bytes: &[u8]) {
        self.write.0.data(self.write.1, bytes).await;
    }

    /// The sender's FIN.
    pub(crate) async fn read_fin(&self) {
        self.read.0.fin(self.read.1).await;
    }

    /// Our FIN to the receiver.
    pub(crate) async fn wrote_fin(&self) {
        self.write.0.fin(self.write.1).await;
    }
}
