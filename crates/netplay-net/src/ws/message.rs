//! A whole message as the relay holds it: the frames from its first byte
//! to its last (with any control frame sent between its fragments), read
//! back as one payload to show and edit, and written again after an edit.

use super::frame::{apply_mask, encode, parse_head, Opcode};

/// A held message, unmasked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Text, binary — or a control frame's opcode when the chunk is one.
    pub opcode: Opcode,
    /// The data frames' payloads joined, unmasked (a control frame's own
    /// payload when the chunk is one).
    pub payload: Vec<u8>,
    /// How many frames carried it (control frames between fragments too).
    pub frames: usize,
    /// The first data frame's masking key (client → server frames).
    pub mask: Option<[u8; 4]>,
}

struct Frame<'a> {
    first_byte: u8,
    opcode: Opcode,
    mask: Option<[u8; 4]>,
    /// The whole frame, head and payload, as on the wire.
    wire: &'a [u8],
    /// Where its payload starts in `wire`.
    payload_at: usize,
}

/// Splits `bytes` into whole frames; `None` unless they are exactly that.
fn frames(mut bytes: &[u8]) -> Option<Vec<Frame<'_>>> {
    let mut frames = Vec::new();
    while !bytes.is_empty() {
        let head = parse_head(bytes)?;
        let len = usize::try_from(head.len).ok()?;
        let end = head.head_len.checked_add(len)?;
        let wire = bytes.get(..end)?;
        frames.push(Frame {
            first_byte: bytes[0],
            opcode: head.opcode,
            mask: head.mask,
            wire,
            payload_at: head.head_len,
        });
        bytes = &bytes[end..];
    }
    Some(frames)
}

fn unmasked(frame: &Frame<'_>) -> Vec<u8> {
    let mut payload = frame.wire[frame.payload_at..].to_vec();
    if let Some(key) = frame.mask {
        apply_mask(&mut payload, key);
    }
    payload
}

/// Reads the message `bytes` carry (whole frames, as the relay cut them).
pub fn read(bytes: &[u8]) -> Option<Message> {
    let frames = frames(bytes)?;
    let data: Vec<&Frame<'_>> = frames.iter().filter(|f| !f.opcode.is_control()).collect();
    let (opcode, mask, payload) = match data.first() {
        Some(first) => (
            first.opcode,
            first.mask,
            data.iter().flat_map(|frame| unmasked(frame)).collect(),
        ),
        None => {
            let only = frames.first()?;
            (only.opcode, only.mask, unmasked(only))
        }
    };
    Some(Message {
        opcode,
        payload,
        frames: frames.len(),
        mask,
    })
}

/// The bytes of `bytes`' message with its payload replaced: control frames
/// sent between its fragments first, as they were, then the message as one
/// frame with the first frame's opcode, reserved bits and masking key.
pub fn rewrite(bytes: &[u8], payload: &[u8]) -> Option<Vec<u8>> {
    let frames = frames(bytes)?;
    let data: Vec<&Frame<'_>> = frames.iter().filter(|f| !f.opcode.is_control()).collect();
    let mut out = Vec::with_capacity(payload.len() + 14);
    for control in frames.iter().filter(|f| f.opcode.is_control()) {
        if !data.is_empty() {
            out.extend_from_slice(control.wire);
        }
    }
    let first = data.first().copied().or(frames.first())?;
    let start = out.len();
    encode(&mut out, true, first.opcode, payload, first.mask);
    // The reserved bits as they were (an extension's flag stays set).
    out[start] |= first.first_byte & 0x70;
    Some(out)
}

/// One frame to inject: masked with a fresh key when it goes to the
/// server, as a client's must be.
pub fn frame(opcode: Opcode, payload: &[u8], to_server: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 14);
    let mask = to_server.then(super::handshake::new_mask);
    encode(&mut out, true, opcode, payload, mask);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fragmented_message_with_a_ping_between_reads_as_one_and_rewrites_whole() {
        let mut wire = Vec::new();
        encode(&mut wire, false, Opcode::Text, b"Hel", Some([1, 2, 3, 4]));
        encode(&mut wire, true, Opcode::Ping, b"?", Some([5, 5, 5, 5]));
        encode(
            &mut wire,
            true,
            Opcode::Continuation,
            b"lo",
            Some([7, 7, 7, 7]),
        );
        let message = read(&wire).unwrap();
        assert_eq!(message.opcode, Opcode::Text);
        assert_eq!(message.payload, b"Hello");
        assert_eq!((message.frames, message.mask), (3, Some([1, 2, 3, 4])));

        let edited = rewrite(&wire, b"Hello, edited").unwrap();
        let again = read(&edited).unwrap();
        assert_eq!(again.payload, b"Hello, edited");
        assert_eq!(again.frames, 2, "the ping stays, the message is one frame");
        assert_eq!(frames(&edited).unwrap()[0].opcode, Opcode::Ping);
        assert_eq!(again.mask, Some([1, 2, 3, 4]));
    }

    #[test]
    fn a_lone_control_frame_is_its_own_message_and_bad_bytes_are_none() {
        let mut ping = Vec::new();
        encode(&mut ping, true, Opcode::Ping, b"abc", None);
        let message = read(&ping).unwrap();
        assert_eq!(
            (message.opcode, &message.payload[..]),
            (Opcode::Ping, &b"abc"[..])
        );
        assert_eq!(
            read(&rewrite(&ping, b"xyz").unwrap()).unwrap().payload,
            b"xyz"
        );
        assert!(read(&ping[..3]).is_none(), "a cut frame is not a message");
        assert!(read(&[0x81, 0x7f, 0xff]).is_none());
    }

    #[test]
    fn the_reserved_bits_survive_an_edit_and_injected_frames_are_masked_upward() {
        let mut wire = Vec::new();
        encode(&mut wire, true, Opcode::Binary, b"zz", None);
        wire[0] |= 0x40;
        let edited = rewrite(&wire, b"yy").unwrap();
        assert_eq!(edited[0], 0xc2);
        assert!(parse_head(&frame(Opcode::Text, b"hi", true))
            .unwrap()
            .mask
            .is_some());
        assert!(parse_head(&frame(Opcode::Text, b"hi", false))
            .unwrap()
            .mask
            .is_none());
    }
}
