//! WebSocket frames as they are on the wire (RFC 6455 §5.2): the head's
//! bits — FIN, RSV1-3, opcode, MASK and its key, the length in one of its
//! three forms — parsed and written by hand, because what netplay shows
//! is exactly what a protocol library normalises away (mask keys, reserved
//! bits, fragmentation, a reserved opcode).

/// A frame's opcode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opcode {
    /// More of a fragmented message.
    Continuation,
    /// UTF-8 text.
    Text,
    /// Bytes.
    Binary,
    /// The closing handshake (a code and a reason).
    Close,
    /// Are you there?
    Ping,
    /// I am (or an unasked heartbeat).
    Pong,
    /// 3-7 and 11-15: reserved; a peer must fail the connection.
    Reserved(u8),
}

impl Opcode {
    /// The opcode of the low four bits of `byte`.
    pub fn from_bits(byte: u8) -> Self {
        match byte & 0x0f {
            0 => Opcode::Continuation,
            1 => Opcode::Text,
            2 => Opcode::Binary,
            8 => Opcode::Close,
            9 => Opcode::Ping,
            10 => Opcode::Pong,
            other => Opcode::Reserved(other),
        }
    }

    /// The four bits on the wire.
    pub fn bits(self) -> u8 {
        match self {
            Opcode::Continuation => 0,
            Opcode::Text => 1,
            Opcode::Binary => 2,
            Opcode::Close => 8,
            Opcode::Ping => 9,
            Opcode::Pong => 10,
            Opcode::Reserved(bits) => bits & 0x0f,
        }
    }

    /// Close, ping and pong (and the reserved 11-15): never fragmented,
    /// at most 125 bytes.
    pub fn is_control(self) -> bool {
        self.bits() & 0x08 != 0
    }

    /// The word for it in the frame view and the log.
    pub fn name(self) -> &'static str {
        match self {
            Opcode::Continuation => "continuation",
            Opcode::Text => "text",
            Opcode::Binary => "binary",
            Opcode::Close => "close",
            Opcode::Ping => "ping",
            Opcode::Pong => "pong",
            Opcode::Reserved(_) => "reserved",
        }
    }
}

/// A frame's head, as read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// The last frame of its message.
    pub fin: bool,
    /// RSV1, RSV2, RSV3 as the three low bits (`0b100` is RSV1).
    pub rsv: u8,
    /// What the frame carries.
    pub opcode: Opcode,
    /// The masking key, when the frame is masked (every client frame).
    pub mask: Option<[u8; 4]>,
    /// The payload's length.
    pub len: u64,
    /// The head's own length (2 to 14 bytes).
    pub head_len: usize,
}

/// Reads a head from the start of `bytes`; `None` until all of it is there.
pub fn parse_head(bytes: &[u8]) -> Option<Head> {
    let (&first, rest) = bytes.split_first()?;
    let &second = rest.first()?;
    let masked = second & 0x80 != 0;
    let (len, mut at) = match second & 0x7f {
        126 => (
            u64::from(u16::from_be_bytes(bytes.get(2..4)?.try_into().ok()?)),
            4,
        ),
        127 => (u64::from_be_bytes(bytes.get(2..10)?.try_into().ok()?), 10),
        short => (u64::from(short), 2),
    };
    let mask = if masked {
        let key: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
        at += 4;
        Some(key)
    } else {
        None
    };
    Some(Head {
        fin: first & 0x80 != 0,
        rsv: (first >> 4) & 0x07,
        opcode: Opcode::from_bits(first),
        mask,
        len,
        head_len: at,
    })
}

/// XORs `payload` with the masking key (masking and unmasking are the
/// same operation).
pub fn apply_mask(payload: &mut [u8], key: [u8; 4]) {
    for (i, byte) in payload.iter_mut().enumerate() {
        *byte ^= key[i % 4];
    }
}

/// Appends one whole frame to `out`: the head in its shortest length form,
/// then the payload (masked with `mask` when given, as a client must).
pub fn encode(out: &mut Vec<u8>, fin: bool, opcode: Opcode, payload: &[u8], mask: Option<[u8; 4]>) {
    out.push(if fin { 0x80 } else { 0 } | opcode.bits());
    let mask_bit = if mask.is_some() { 0x80 } else { 0 };
    match payload.len() {
        len @ 0..=125 => out.push(mask_bit | len as u8),
        len @ 126..=0xffff => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        len => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    let start = out.len() + if mask.is_some() { 4 } else { 0 };
    if let Some(key) = mask {
        out.extend_from_slice(&key);
    }
    out.extend_from_slice(payload);
    if let Some(key) = mask {
        apply_mask(&mut out[start..], key);
    }
}

/// A close frame's payload: the code, big-endian, then the reason.
pub fn close_payload(code: u16, reason: &str) -> Vec<u8> {
    let mut payload = code.to_be_bytes().to_vec();
    // A control frame carries at most 125 bytes: the reason is cut at a
    // character boundary to fit.
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    payload.extend_from_slice(&reason.as_bytes()[..end]);
    payload
}

/// What a close code means, in words (RFC 6455 §7.4.1 and the IANA list).
pub fn close_code_words(code: u16) -> &'static str {
    match code {
        1000 => "normal closure",
        1001 => "going away",
        1002 => "protocol error",
        1003 => "unsupported data",
        1005 => "no status received",
        1006 => "closed without a close frame",
        1007 => "invalid payload data (not UTF-8)",
        1008 => "policy violation",
        1009 => "message too big",
        1010 => "a required extension is missing",
        1011 => "internal server error",
        1012 => "service restart",
        1013 => "try again later",
        1014 => "bad gateway",
        1015 => "TLS handshake failure",
        3000..=3999 => "registered for libraries and frameworks",
        4000..=4999 => "private use",
        _ => "not a valid close code",
    }
}

/// Whether a close frame may carry `code` (1005, 1006 and 1015 are for
/// reports only, never sent; below 1000 and unassigned ranges are invalid).
pub fn close_code_is_valid(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_round_trip_in_each_length_form() {
        for len in [0usize, 125, 126, 65_535, 65_536] {
            for mask in [None, Some([1, 2, 3, 4])] {
                let payload = vec![b'x'; len];
                let mut wire = Vec::new();
                encode(&mut wire, true, Opcode::Binary, &payload, mask);
                let head = parse_head(&wire).unwrap();
                assert_eq!((head.fin, head.rsv, head.opcode), (true, 0, Opcode::Binary));
                assert_eq!((head.len, head.mask), (len as u64, mask));
                assert_eq!(wire.len(), head.head_len + len);
                let mut body = wire[head.head_len..].to_vec();
                if let Some(key) = head.mask {
                    apply_mask(&mut body, key);
                }
                assert!(body == payload);
                // Any shorter prefix of the head is not enough.
                for cut in 0..head.head_len {
                    assert_eq!(parse_head(&wire[..cut]), None, "{cut} of {len}");
                }
            }
        }
    }

    #[test]
    fn reserved_bits_and_opcodes_are_read_not_refused() {
        let head = parse_head(&[0x80 | 0x40 | 0x10 | 0x03, 0x00]).unwrap();
        assert_eq!(head.rsv, 0b101);
        assert_eq!(head.opcode, Opcode::Reserved(3));
        assert!(!Opcode::Reserved(3).is_control());
        assert!(Opcode::Reserved(11).is_control());
    }

    #[test]
    fn a_close_reason_is_cut_to_fit_a_control_frame() {
        let payload = close_payload(1000, &"é".repeat(100));
        assert!(payload.len() <= 125);
        assert!(std::str::from_utf8(&payload[2..]).is_ok());
    }
}
