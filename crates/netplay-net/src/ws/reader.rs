//! Turns the bytes one side of a WebSocket receives into frames and
//! messages, checking every rule of RFC 6455 a peer can break. A frame is
//! buffered until it is whole, a fragmented message until its last frame:
//! both bounded by the message cap, past which the peer is refused (1009).
//! Nothing recurses and nothing grows without a bound.

use super::frame::{self, apply_mask, parse_head, Head, Opcode};

/// The default message cap (a frame or a reassembled message).
pub const MAX_MESSAGE: usize = 16 * 1024 * 1024;

/// The most frames one message may take (a flood of empty fragments is
/// refused with 1009, as a message too big).
pub const MAX_FRAGMENTS: usize = 65_536;

/// Buffer room kept between frames.
const RETAINED: usize = 64 * 1024;

/// How much of each frame's payload a [`Read::Frame`] keeps for display.
pub const FRAME_PREVIEW: usize = 256;

/// Which end reads: a server reads masked client frames, a client reads
/// unmasked server frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The end that accepted the upgrade.
    Server,
    /// The end that asked for it.
    Client,
}

/// One thing a read brought.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Read {
    /// A frame, as it was on the wire (its payload unmasked).
    Frame {
        /// Its head.
        head: Head,
        /// The start of its payload, unmasked (the message has it all).
        preview: crate::Payload,
    },
    /// A whole message (one frame, or fragments reassembled).
    Message {
        /// Text (valid UTF-8) or binary.
        text: bool,
        /// All of it.
        data: Vec<u8>,
        /// How many frames carried it.
        frames: usize,
    },
    /// A ping, with its payload (to be answered with a pong).
    Ping(Vec<u8>),
    /// A pong.
    Pong(Vec<u8>),
    /// The peer's close frame: its code (none when the payload was empty)
    /// and reason.
    Close {
        /// The status code.
        code: Option<u16>,
        /// The reason, as text.
        reason: String,
    },
    /// The peer broke a rule. `code`: the close code the rule calls for;
    /// `fatal`: the connection must end (always in strict mode, and where
    /// reading on is impossible).
    Violation {
        /// What was wrong, in words.
        reason: String,
        /// The close code to fail the connection with.
        code: u16,
        /// Whether reading stops here.
        fatal: bool,
    },
}

/// The reading state of one side of a WebSocket.
pub struct Reader {
    role: Role,
    strict: bool,
    max_message: usize,
    buffer: Vec<u8>,
    /// A fragmented message in progress: text or not, the bytes, frames.
    partial: Option<(bool, Vec<u8>, usize)>,
    failed: bool,
}

impl Reader {
    /// A reader for `role`; `strict` fails the connection on every broken
    /// rule (as a real endpoint must), otherwise only where reading on is
    /// impossible, so a learner can see what a lenient peer would do.
    pub fn new(role: Role, strict: bool, max_message: usize) -> Self {
        Self {
            role,
            strict,
            max_message,
            buffer: Vec::new(),
            partial: None,
            failed: false,
        }
    }

    /// Whether a fatal violation ended reading.
    pub fn failed(&self) -> bool {
        self.failed
    }

    /// Bytes held for a frame not yet whole.
    pub fn buffered(&self) -> usize {
        self.buffer.len()
    }

    /// Bytes held in all: a frame not yet whole and the fragments of a
    /// message not yet ended.
    pub fn held(&self) -> usize {
        self.buffer.len() + self.partial.as_ref().map_or(0, |(_, data, _)| data.len())
    }

    /// Takes the bytes of one read; what they completed, in order.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Read> {
        let mut out = Vec::new();
        if self.failed {
            return out;
        }
        self.buffer.extend_from_slice(bytes);
        let mut at = 0;
        while !self.failed {
            let Some(head) = parse_head(&self.buffer[at..]) else {
                break;
            };
            if head.len >> 63 != 0 {
                let reason = "a 64-bit length with its top bit set (RFC 6455 §5.2: it must be 0)"
                    .to_string();
                self.fail(&mut out, reason, 1002, true);
                break;
            }
            // A continuation counts with the message it continues, before
            // any of its payload is held.
            let so_far = match (head.opcode, &self.partial) {
                (Opcode::Continuation, Some((_, data, _))) => data.len() as u64,
                _ => 0,
            };
            if head.len > self.max_message as u64 {
                self.fail(
                    &mut out,
                    format!(
                        "a frame of {} B is over the message cap of {} B",
                        head.len, self.max_message
                    ),
                    1009,
                    true,
                );
                break;
            }
            if so_far + head.len > self.max_message as u64 {
                let reason = format!(
                    "a fragmented message over the message cap of {} B",
                    self.max_message
                );
                self.fail(&mut out, reason, 1009, true);
                break;
            }
            // A frame strict mode will refuse anyway is refused at its
            // head: a peer does not get to make us hold its payload first.
            if self.strict && head.len > 125 {
                if let Some(reason) = self.refused_at_head(&head) {
                    self.fail(&mut out, reason, 1002, true);
                    break;
                }
            }
            // Below the cap, so it fits a usize: no wrapping.
            let Some(total) = usize::try_from(head.len)
                .ok()
                .and_then(|len| len.checked_add(head.head_len))
            else {
                self.fail(
                    &mut out,
                    "a frame length this machine cannot hold".into(),
                    1009,
                    true,
                );
                break;
            };
            if self.buffer.len() - at < total {
                break;
            }
            let mut payload = self.buffer[at + head.head_len..at + total].to_vec();
            at += total;
            if let Some(key) = head.mask {
                apply_mask(&mut payload, key);
            }
            self.frame(head, payload, &mut out);
        }
        self.buffer.drain(..at);
        // A big frame's room is given back once it is read: an idle
        // connection holds no leftover megabytes.
        if self.buffer.capacity() > RETAINED && self.buffer.len() <= RETAINED {
            self.buffer.shrink_to(RETAINED);
        }
        out
    }

    /// The rule a frame breaks by its head alone, if any (the same words
    /// [`Reader::frame`] uses).
    fn refused_at_head(&self, head: &Head) -> Option<String> {
        match (self.role, head.mask.is_some()) {
            (Role::Server, false) => {
                return Some(
                    "a client frame without a mask (a client must mask every frame)".into(),
                )
            }
            (Role::Client, true) => {
                return Some("a masked server frame (a server must not mask)".into())
            }
            _ => {}
        }
        if head.rsv != 0 {
            return Some(format!(
                "RSV bits {:03b} set, but no extension was agreed",
                head.rsv
            ));
        }
        if let Opcode::Reserved(bits) = head.opcode {
            return Some(format!("reserved opcode {bits}"));
        }
        head.opcode.is_control().then(|| {
            format!(
                "a {} frame of {} B (control frames carry at most 125)",
                head.opcode.name(),
                head.len
            )
        })
    }

    fn fail(&mut self, out: &mut Vec<Read>, reason: String, code: u16, fatal: bool) {
        let fatal = fatal || self.strict;
        self.failed |= fatal;
        out.push(Read::Violation {
            reason,
            code,
            fatal,
        });
    }

    fn frame(&mut self, head: Head, payload: Vec<u8>, out: &mut Vec<Read>) {
        out.push(Read::Frame {
            head,
            preview: crate::Payload::first(&payload, FRAME_PREVIEW),
        });
        if head.rsv != 0 {
            let reason = format!("RSV bits {:03b} set, but no extension was agreed", head.rsv);
            self.fail(out, reason, 1002, false);
        }
        match (self.role, head.mask.is_some()) {
            (Role::Server, false) => self.fail(
                out,
                "a client frame without a mask (a client must mask every frame)".into(),
                1002,
                false,
            ),
            (Role::Client, true) => self.fail(
                out,
                "a masked server frame (a server must not mask)".into(),
                1002,
                false,
            ),
            _ => {}
        }
        if self.failed {
            return;
        }
        if head.opcode.is_control() {
            if head.len > 125 {
                self.fail(
                    out,
                    format!(
                        "a {} frame of {} B (control frames carry at most 125)",
                        head.opcode.name(),
                        head.len
                    ),
                    1002,
                    false,
                );
            }
            if !head.fin {
                self.fail(
                    out,
                    format!(
                        "a fragmented {} frame (control frames are never fragmented)",
                        head.opcode.name()
                    ),
                    1002,
                    false,
                );
            }
            if self.failed {
                return;
            }
        }
        match head.opcode {
            Opcode::Reserved(bits) => {
                self.fail(out, format!("reserved opcode {bits}"), 1002, true);
            }
            Opcode::Ping => out.push(Read::Ping(payload)),
            Opcode::Pong => out.push(Read::Pong(payload)),
            Opcode::Close => self.close(payload, out),
            Opcode::Text | Opcode::Binary => {
                if self.partial.is_some() {
                    let reason = "a new message began before the fragmented one ended".into();
                    self.fail(out, reason, 1002, true);
                    return;
                }
                let text = head.opcode == Opcode::Text;
                if head.fin {
                    self.message(text, payload, 1, out);
                } else {
                    self.partial = Some((text, payload, 1));
                }
            }
            Opcode::Continuation => {
                let Some((text, mut data, frames)) = self.partial.take() else {
                    self.fail(
                        out,
                        "a continuation frame with no message to continue".into(),
                        1002,
                        true,
                    );
                    return;
                };
                if frames >= MAX_FRAGMENTS {
                    let reason = format!("a message in more than {MAX_FRAGMENTS} frames");
                    self.fail(out, reason, 1009, true);
                    return;
                }
                if data.len() + payload.len() > self.max_message {
                    let reason = format!(
                        "a fragmented message over the message cap of {} B",
                        self.max_message
                    );
                    self.fail(out, reason, 1009, true);
                    return;
                }
                data.extend_from_slice(&payload);
                if head.fin {
                    self.message(text, data, frames + 1, out);
                } else {
                    self.partial = Some((text, data, frames + 1));
                }
            }
        }
    }

    fn message(&mut self, text: bool, data: Vec<u8>, frames: usize, out: &mut Vec<Read>) {
        if text && std::str::from_utf8(&data).is_err() {
            self.fail(
                out,
                "a text message that is not valid UTF-8".into(),
                1007,
                false,
            );
            if self.failed {
                return;
            }
        }
        out.push(Read::Message { text, data, frames });
    }

    fn close(&mut self, payload: Vec<u8>, out: &mut Vec<Read>) {
        let (code, reason) = match payload.len() {
            0 => (None, String::new()),
            1 => {
                self.fail(
                    out,
                    "a close frame of 1 byte (a code takes 2)".into(),
                    1002,
                    false,
                );
                (None, String::new())
            }
            _ => {
                let code = u16::from_be_bytes([payload[0], payload[1]]);
                if !frame::close_code_is_valid(code) {
                    self.fail(
                        out,
                        format!("close code {code}: {}", frame::close_code_words(code)),
                        1002,
                        false,
                    );
                }
                let reason = match std::str::from_utf8(&payload[2..]) {
                    Ok(reason) => reason.to_string(),
                    Err(_) => {
                        self.fail(
                            out,
                            "a close reason that is not valid UTF-8".into(),
                            1007,
                            false,
                        );
                        String::from_utf8_lossy(&payload[2..]).into_owned()
                    }
                };
                (Some(code), reason)
            }
        };
        if !self.failed {
            out.push(Read::Close { code, reason });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ws::frame::encode;

    fn client_frame(fin: bool, opcode: Opcode, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        encode(
            &mut out,
            fin,
            opcode,
            payload,
            Some([0x12, 0x34, 0x56, 0x78]),
        );
        out
    }

    fn messages(reads: &[Read]) -> Vec<(bool, Vec<u8>, usize)> {
        reads
            .iter()
            .filter_map(|read| match read {
                Read::Message { text, data, frames } => Some((*text, data.clone(), *frames)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn fragments_and_an_interleaved_ping_arrive_in_order_byte_by_byte() {
        let mut wire = client_frame(false, Opcode::Text, b"Hel");
        wire.extend(client_frame(true, Opcode::Ping, b"?"));
        wire.extend(client_frame(true, Opcode::Continuation, b"lo"));
        let mut reader = Reader::new(Role::Server, true, MAX_MESSAGE);
        let mut reads = Vec::new();
        for byte in &wire {
            reads.extend(reader.feed(std::slice::from_ref(byte)));
        }
        assert!(reads.contains(&Read::Ping(b"?".to_vec())));
        assert_eq!(messages(&reads), vec![(true, b"Hello".to_vec(), 2)]);
        assert_eq!(reader.buffered(), 0);
    }

    fn violation(reads: &[Read]) -> Option<(String, u16)> {
        reads.iter().find_map(|read| match read {
            Read::Violation { reason, code, .. } => Some((reason.clone(), *code)),
            _ => None,
        })
    }

    #[test]
    fn a_frame_refused_by_its_head_is_refused_before_its_payload_is_held() {
        // One frame over the cap: said as a frame, not as a fragmented message.
        let mut big = vec![0x82, 0x80 | 127];
        big.extend_from_slice(&(17u64 << 20).to_be_bytes());
        big.extend_from_slice(&[1, 2, 3, 4]);
        let mut reader = Reader::new(Role::Server, true, MAX_MESSAGE);
        let (reason, code) = violation(&reader.feed(&big)).unwrap();
        assert_eq!(code, 1009);
        assert!(
            reason.starts_with("a frame of 17825792 B is over"),
            "{reason}"
        );
        // Strict: an unmasked 1 MiB client frame fails at its head.
        let mut unmasked = vec![0x82, 127];
        unmasked.extend_from_slice(&(1u64 << 20).to_be_bytes());
        let mut reader = Reader::new(Role::Server, true, MAX_MESSAGE);
        let (reason, code) = violation(&reader.feed(&unmasked)).unwrap();
        assert_eq!(code, 1002);
        assert!(reason.contains("without a mask"), "{reason}");
        assert!(reader.failed());
        // Lenient reads it whole, flagged.
        let mut reader = Reader::new(Role::Server, false, MAX_MESSAGE);
        assert!(
            violation(&reader.feed(&unmasked)).is_none(),
            "not yet: the payload is awaited"
        );
        let reads = reader.feed(&vec![7u8; 1 << 20]);
        assert!(violation(&reads).is_some_and(|(r, _)| r.contains("without a mask")));
        assert!(!reader.failed());
    }

    #[test]
    fn each_broken_rule_is_named_with_its_close_code() {
        let cases: Vec<(Vec<u8>, u16, &str)> = vec![
            (
                {
                    let mut w = Vec::new();
                    encode(&mut w, true, Opcode::Text, b"x", None);
                    w
                },
                1002,
                "without a mask",
            ),
            (
                client_frame(true, Opcode::Text, &[0xff, 0xfe]),
                1007,
                "not valid UTF-8",
            ),
            (
                client_frame(true, Opcode::Ping, &[0; 126]),
                1002,
                "at most 125",
            ),
            (
                client_frame(true, Opcode::Reserved(3), b""),
                1002,
                "reserved opcode 3",
            ),
            (
                client_frame(true, Opcode::Continuation, b"x"),
                1002,
                "no message to continue",
            ),
            (
                {
                    let mut w = client_frame(true, Opcode::Text, b"x");
                    w[0] |= 0x40;
                    w
                },
                1002,
                "RSV bits 100",
            ),
            (
                client_frame(true, Opcode::Close, &[0x03, 0xe8 - 1]),
                1002,
                "close code 999",
            ),
        ];
        for (wire, code, words) in cases {
            let mut reader = Reader::new(Role::Server, true, MAX_MESSAGE);
            let reads = reader.feed(&wire);
            let violation = reads.iter().find_map(|read| match read {
                Read::Violation {
                    reason,
                    code,
                    fatal,
                } => Some((reason.clone(), *code, *fatal)),
                _ => None,
            });
            let (reason, got, fatal) =
                violation.unwrap_or_else(|| panic!("no violation for {words}"));
            assert!(reason.contains(words), "{reason}");
            assert_eq!((got, fatal), (code, true), "{words}");
            assert!(
                messages(&reads).is_empty(),
                "{words}: nothing delivered after it"
            );
            assert!(reader
                .feed(&client_frame(true, Opcode::Text, b"more"))
                .is_empty());
        }
    }

    #[test]
    fn lenient_reading_flags_and_goes_on() {
        let mut reader = Reader::new(Role::Server, false, MAX_MESSAGE);
        let mut wire = client_frame(true, Opcode::Text, b"x");
        wire[0] |= 0x40;
        wire.extend(client_frame(true, Opcode::Text, b"next"));
        let reads = reader.feed(&wire);
        assert!(reads
            .iter()
            .any(|r| matches!(r, Read::Violation { fatal: false, .. })));
        assert_eq!(messages(&reads).len(), 2);
    }

    #[test]
    fn the_message_cap_holds_for_a_frame_and_for_fragments() {
        // A head announcing 1 GiB is refused before any of it is buffered.
        let mut reader = Reader::new(Role::Server, true, 1024);
        let mut head = vec![0x82, 0x80 | 127];
        head.extend_from_slice(&(1u64 << 30).to_be_bytes());
        head.extend_from_slice(&[1, 2, 3, 4]);
        let reads = reader.feed(&head);
        assert!(matches!(
            reads.last(),
            Some(Read::Violation { code: 1009, .. })
        ));
        // Fragments of 600 B each: the second crosses 1 KiB.
        let mut reader = Reader::new(Role::Server, true, 1024);
        let mut reads = reader.feed(&client_frame(false, Opcode::Binary, &[0; 600]));
        reads.extend(reader.feed(&client_frame(false, Opcode::Continuation, &[0; 600])));
        assert!(matches!(
            reads.last(),
            Some(Read::Violation { code: 1009, .. })
        ));
        // A polite message just under the cap passes.
        let mut reader = Reader::new(Role::Server, true, 1024);
        let reads = reader.feed(&client_frame(true, Opcode::Binary, &[7; 1024]));
        assert_eq!(messages(&reads).len(), 1);
    }

    #[test]
    fn a_close_gives_its_code_and_reason() {
        let mut reader = Reader::new(Role::Client, true, MAX_MESSAGE);
        let mut wire = Vec::new();
        encode(
            &mut wire,
            true,
            Opcode::Close,
            &frame::close_payload(1001, "bye"),
            None,
        );
        let reads = reader.feed(&wire);
        assert!(reads.contains(&Read::Close {
            code: Some(1001),
            reason: "bye".into()
        }));
    }

    #[test]
    fn lengths_that_would_wrap_or_have_the_top_bit_are_refused_without_a_panic() {
        for (len, code) in [
            (u64::MAX - 9, 1002),
            (1u64 << 63, 1002),
            ((1u64 << 62) + 3, 1009),
        ] {
            let mut reader = Reader::new(Role::Server, true, usize::MAX);
            let mut wire = vec![0x82, 0xff];
            wire.extend_from_slice(&len.to_be_bytes());
            wire.extend_from_slice(&[1, 2, 3, 4]);
            wire.extend_from_slice(&[0; 20]);
            let reads = reader.feed(&wire);
            if code == 1009 && usize::BITS == 64 {
                // Within usize: held for more bytes, no panic, no wrap.
                assert!(
                    reads.is_empty()
                        || matches!(reads.last(), Some(Read::Violation { code: 1009, .. }))
                );
            } else {
                assert!(
                    matches!(reads.last(), Some(Read::Violation { code: c, .. }) if *c == code),
                    "{len}: {reads:?}"
                );
            }
        }
    }

    #[test]
    fn a_continuation_over_the_cap_is_refused_at_its_head_and_empty_fragments_are_capped() {
        let mut reader = Reader::new(Role::Server, true, 1000);
        let mut reads = reader.feed(&client_frame(false, Opcode::Binary, &[0; 900]));
        // Only the head of a 200 B continuation: 1,100 B would be over.
        let mut head = client_frame(false, Opcode::Continuation, &[0; 200]);
        head.truncate(8);
        reads.extend(reader.feed(&head));
        assert!(
            matches!(reads.last(), Some(Read::Violation { code: 1009, .. })),
            "{reads:?}"
        );

        let mut reader = Reader::new(Role::Server, true, MAX_MESSAGE);
        let mut reads = reader.feed(&client_frame(false, Opcode::Text, b""));
        let empty = client_frame(false, Opcode::Continuation, b"");
        for _ in 0..MAX_FRAGMENTS {
            if reader.failed() {
                break;
            }
            reads.extend(reader.feed(&empty));
        }
        assert!(reader.failed());
        assert!(matches!(
            reads.last(),
            Some(Read::Violation { code: 1009, .. })
        ));
    }

    #[test]
    fn a_big_frames_buffer_is_given_back() {
        let mut reader = Reader::new(Role::Server, true, MAX_MESSAGE);
        let reads = reader.feed(&client_frame(true, Opcode::Binary, &vec![1; 4 << 20]));
        assert_eq!(messages(&reads).len(), 1);
        assert!(
            reader.buffer.capacity() <= RETAINED,
            "{}",
            reader.buffer.capacity()
        );
    }
}
