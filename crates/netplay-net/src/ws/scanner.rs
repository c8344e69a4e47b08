//! Frames seen in passing: the relay forwards a WebSocket's bytes as they
//! are and, for display, tells each frame's head and the start of its
//! payload (unmasked). Unlike [`super::Reader`], nothing is buffered but
//! a head (at most 14 bytes) and a preview, so a peer's 1 GiB frame costs
//! the relay no memory; rules are not enforced here (the endpoints do).

use super::frame::{parse_head, Head};
use crate::Payload;

/// How much of each frame's payload is kept for display.
pub const PREVIEW: usize = 256;

/// The scanning state of one direction.
#[derive(Debug, Default)]
pub struct Scanner {
    head: Vec<u8>,
    current: Option<Current>,
    /// A data frame without FIN passed: its message goes on.
    in_message: bool,
}

/// A frame that passed.
#[derive(Debug)]
pub struct Passed {
    /// Its head.
    pub head: Head,
    /// Its length and the start of its payload, unmasked.
    pub payload: Payload,
    /// Where it ends in the bytes that completed it.
    pub end: usize,
    /// Whether a message ends with it (a final data frame, or a control
    /// frame outside a fragmented message): the relay may cut there.
    pub boundary: bool,
}

#[derive(Debug)]
struct Current {
    head: Head,
    remaining: u64,
    offset: u64,
    preview: Vec<u8>,
}

impl Scanner {
    /// A scanner at a frame boundary.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the bytes so far end between messages.
    pub fn at_boundary(&self) -> bool {
        self.head.is_empty() && self.current.is_none() && !self.in_message
    }

    /// Takes the next bytes of the stream; the frames they completed.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Passed> {
        let all = bytes.len();
        let mut bytes = bytes;
        let mut done = Vec::new();
        while !bytes.is_empty() {
            match self.current.as_mut() {
                None => {
                    // Collect the head one byte at a time: at most 14.
                    self.head.push(bytes[0]);
                    bytes = &bytes[1..];
                    if let Some(head) = parse_head(&self.head) {
                        self.head.clear();
                        self.current = Some(Current {
                            head,
                            remaining: head.len,
                            offset: 0,
                            preview: Vec::new(),
                        });
                        self.finish_if_empty(&mut done, all - bytes.len());
                    }
                }
                Some(current) => {
                    let take = usize::try_from(current.remaining)
                        .unwrap_or(usize::MAX)
                        .min(bytes.len());
                    let room = PREVIEW.saturating_sub(current.preview.len()).min(take);
                    for (i, byte) in bytes[..room].iter().enumerate() {
                        let at = current.offset as usize + i;
                        let key = current.head.mask.map_or(0, |key| key[at % 4]);
                        current.preview.push(byte ^ key);
                    }
                    current.offset += take as u64;
                    current.remaining -= take as u64;
                    bytes = &bytes[take..];
                    self.finish_if_empty(&mut done, all - bytes.len());
                }
            }
        }
        done
    }

    fn finish_if_empty(&mut self, done: &mut Vec<Passed>, end: usize) {
        if self.current.as_ref().is_some_and(|c| c.remaining == 0) {
            if let Some(current) = self.current.take() {
                let head = current.head;
                let payload = Payload {
                    preview: crate::PreviewBytes::from_vec(current.preview),
                    len: usize::try_from(head.len).unwrap_or(usize::MAX),
                };
                if !head.opcode.is_control() {
                    self.in_message = !head.fin;
                }
                let boundary = !self.in_message;
                done.push(Passed {
                    head,
                    payload,
                    end,
                    boundary,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ws::frame::{encode, Opcode};

    #[test]
    fn frames_are_told_whole_however_the_bytes_are_cut() {
        let mut wire = Vec::new();
        encode(&mut wire, false, Opcode::Text, b"Hel", Some([9, 8, 7, 6]));
        encode(
            &mut wire,
            true,
            Opcode::Continuation,
            b"lo",
            Some([1, 1, 1, 1]),
        );
        encode(&mut wire, true, Opcode::Binary, &vec![5u8; 70_000], None);
        encode(&mut wire, true, Opcode::Pong, b"", None);
        let mut scanner = Scanner::new();
        let frames: Vec<_> = wire
            .chunks(7)
            .flat_map(|piece| scanner.feed(piece))
            .collect();
        assert_eq!(frames.len(), 4);
        assert_eq!(&frames[0].payload.preview[..], b"Hel");
        assert_eq!(frames[1].head.opcode, Opcode::Continuation);
        assert_eq!(&frames[1].payload.preview[..], b"lo");
        assert_eq!(
            (frames[2].payload.len, frames[2].payload.preview.len()),
            (70_000, PREVIEW)
        );
        assert_eq!(
            (frames[3].head.opcode, frames[3].payload.len),
            (Opcode::Pong, 0)
        );
        let boundaries: Vec<bool> = frames.iter().map(|f| f.boundary).collect();
        assert_eq!(boundaries, [false, true, true, true]);
        assert!(scanner.at_boundary());
    }

    #[test]
    fn boundaries_fall_after_whole_messages_with_their_offsets() {
        let mut wire = Vec::new();
        encode(&mut wire, false, Opcode::Binary, b"ab", None);
        encode(&mut wire, true, Opcode::Ping, b"", None);
        encode(&mut wire, true, Opcode::Continuation, b"c", None);
        let first = 4;
        let mut scanner = Scanner::new();
        let passed = scanner.feed(&wire[..first + 1]);
        assert_eq!((passed[0].end, passed[0].boundary), (first, false));
        assert!(!scanner.at_boundary(), "mid-message");
        let passed = scanner.feed(&wire[first + 1..]);
        assert_eq!(
            (passed[0].end, passed[0].boundary),
            (1, false),
            "a ping inside"
        );
        assert_eq!((passed[1].end, passed[1].boundary), (4, true));
    }

    #[test]
    fn a_huge_frame_costs_no_memory() {
        let mut scanner = Scanner::new();
        let mut head = vec![0x82, 127];
        head.extend_from_slice(&(1u64 << 40).to_be_bytes());
        assert!(scanner.feed(&head).is_empty());
        for _ in 0..100 {
            assert!(scanner.feed(&[0u8; 65536]).is_empty());
        }
        assert_eq!(
            scanner.current.as_ref().map(|c| c.preview.len()),
            Some(PREVIEW)
        );
    }
}
