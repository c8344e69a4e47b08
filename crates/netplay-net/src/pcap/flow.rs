//! One TCP connection made up from what netplay saw of it: the three-way
//! handshake, every read as segments cut to the MSS with sequence and
//! acknowledgement numbers that match the bytes each way, an ACK from the
//! receiver after each, and the FINs (or a RST) as they happened.

use std::net::SocketAddr;

use super::packet::{self, ACK, FIN, MSS, PSH, RST, SYN};

/// The two ends: `0` the client (it sent the SYN), `1` the server.
#[derive(Debug, Clone)]
pub struct TcpFlow {
    ends: [SocketAddr; 2],
    /// The next sequence number each end sends.
    next: [u32; 2],
    fin: [bool; 2],
    open: bool,
    closed: bool,
    id: u16,
}

/// The client's end.
pub const CLIENT: usize = 0;
/// The server's end.
pub const SERVER: usize = 1;

impl TcpFlow {
    /// A flow between `client` and `server`, not open yet.
    pub fn new(client: SocketAddr, server: SocketAddr) -> Self {
        // Fixed initial sequence numbers from the ports: Wireshark shows
        // relative numbers anyway, and the same session gives the same file.
        let isn = |addr: SocketAddr| u32::from(addr.port()).wrapping_mul(0x9e37_79b9);
        Self {
            ends: [client, server],
            next: [isn(client), isn(server)],
            fin: [false, false],
            open: false,
            closed: false,
            id: 1,
        }
    }

    fn segment(&mut self, from: usize, flags: u8, payload: &[u8]) -> Vec<u8> {
        let (src, dst) = (self.ends[from], self.ends[1 - from]);
        let packet = packet::tcp(
            src,
            dst,
            self.next[from],
            self.next[1 - from],
            flags,
            payload,
            self.id,
        );
        self.id = self.id.wrapping_add(1);
        packet
    }

    /// The three-way handshake, once.
    pub fn open(&mut self) -> Vec<Vec<u8>> {
        if self.open {
            return Vec::new();
        }
        self.open = true;
        let syn = self.segment(CLIENT, SYN, b"");
        self.next[CLIENT] = self.next[CLIENT].wrapping_add(1);
        let syn_ack = self.segment(SERVER, SYN | ACK, b"");
        self.next[SERVER] = self.next[SERVER].wrapping_add(1);
        let ack = self.segment(CLIENT, ACK, b"");
        vec![syn, syn_ack, ack]
    }

    /// One read's bytes sent by `from`, as segments, and the receiver's ACK.
    pub fn data(&mut self, from: usize, bytes: &[u8]) -> Vec<Vec<u8>> {
        let mut packets = self.open();
        if bytes.is_empty() || self.closed {
            return packets;
        }
        let mut pieces = bytes.chunks(MSS).peekable();
        while let Some(piece) = pieces.next() {
            let flags = if pieces.peek().is_none() {
                ACK | PSH
            } else {
                ACK
            };
            packets.push(self.segment(from, flags, piece));
            self.next[from] = self.next[from].wrapping_add(piece.len() as u32);
        }
        packets.push(self.segment(1 - from, ACK, b""));
        packets
    }

    /// `from` sent its FIN; the other end acknowledges it.
    pub fn fin(&mut self, from: usize) -> Vec<Vec<u8>> {
        let mut packets = self.open();
        if self.fin[from] || self.closed {
            return packets;
        }
        self.fin[from] = true;
        packets.push(self.segment(from, FIN | ACK, b""));
        self.next[from] = self.next[from].wrapping_add(1);
        packets.push(self.segment(1 - from, ACK, b""));
        packets
    }

    /// The connection ended: a FIN from each end that had not sent one
    /// (the client's first).
    pub fn close(&mut self) -> Vec<Vec<u8>> {
        self.close_first(CLIENT)
    }

    /// The connection ended, `first` closing first: a FIN from each end
    /// that had not sent one.
    pub fn close_first(&mut self, first: usize) -> Vec<Vec<u8>> {
        let mut packets = Vec::new();
        for end in [first, 1 - first] {
            if self.open && !self.fin[end] {
                packets.extend(self.fin(end));
            }
        }
        self.closed = true;
        packets
    }

    /// `from` reset the connection.
    pub fn reset(&mut self, from: usize) -> Vec<Vec<u8>> {
        let mut packets = self.open();
        if !self.closed {
            packets.push(self.segment(from, RST | ACK, b""));
            self.closed = true;
        }
        packets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seq_ack(packet: &[u8]) -> (u32, u32, u8) {
        let tcp = &packet[20..];
        let seq = u32::from_be_bytes(tcp[4..8].try_into().unwrap());
        let ack = u32::from_be_bytes(tcp[8..12].try_into().unwrap());
        (seq, ack, tcp[13])
    }

    #[test]
    fn sequence_numbers_follow_the_bytes_each_way() {
        let mut flow = TcpFlow::new(
            "127.0.0.1:40000".parse().unwrap(),
            "127.0.0.1:9999".parse().unwrap(),
        );
        let handshake = flow.open();
        assert_eq!(handshake.len(), 3);
        let (c0, _, syn) = seq_ack(&handshake[0]);
        let (s0, ack, _) = seq_ack(&handshake[1]);
        assert_eq!((syn, ack), (SYN, c0 + 1));
        let welcome = flow.data(SERVER, b"Welcome!");
        assert_eq!(seq_ack(&welcome[0]), (s0 + 1, c0 + 1, ACK | PSH));
        assert_eq!(
            seq_ack(&welcome[1]),
            (c0 + 1, s0 + 9, ACK),
            "the client ACKs 8 bytes"
        );
        let big = flow.data(CLIENT, &vec![0; MSS + 1]);
        assert_eq!(big.len(), 3, "two segments and an ACK");
        assert_eq!(seq_ack(&big[1]).0, c0 + 1 + MSS as u32);
        let fin = flow.close();
        assert_eq!(fin.len(), 4, "FIN, ACK each way");
        assert_eq!(seq_ack(&fin[0]).2, FIN | ACK);
        assert!(
            flow.data(CLIENT, b"late").is_empty(),
            "nothing after the close"
        );
    }
}
