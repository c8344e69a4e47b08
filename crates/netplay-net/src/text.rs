//! The untrusted-bytes gate, and its inverse for the user's own input.
//!
//! Everything that came from the network reaches the screen only through
//! [`sanitize`]: ratatui writes ESC, CSI, OSC, BEL, CR and C1 bytes to the
//! terminal unchanged, so a peer that could get one of those into a cell could
//! move the cursor, retitle the window or write to the clipboard. The gate
//! shows every such character visibly instead of deleting it, so a learner
//! sees exactly what arrived.
//!
//! The escaped form is the same syntax [`parse_escapes`] accepts, so what the
//! transcript shows can be typed back into a message input byte for byte.

use std::fmt::Write as _;

/// Columns a TAB expands to (tab stops every this many columns).
pub const TAB_WIDTH: usize = 4;

/// Turns untrusted bytes into text that is safe to put in a terminal cell.
///
/// - valid UTF-8 printable characters pass through;
/// - TAB expands to spaces; LF and CR are shown as the two characters `\n`
///   and `\r`, so a learner sees where line endings fell;
/// - every other control character (C0, DEL, C1 U+0080–U+009F) becomes
///   `\xNN` (C0, DEL) or `\u{NN}` (C1);
/// - bidi controls and invisible separators become `\u{NNNN}`;
/// - invalid UTF-8 becomes `\xNN`, one per byte;
/// - a backslash becomes `\\`, so the output is unambiguous.
pub fn sanitize(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + bytes.len() / 8);
    sanitize_into(&mut out, bytes, usize::MAX);
    out
}

/// [`sanitize`], appended to `out`, stopping before the escaped text would
/// pass `limit` bytes (an escape is never cut in two). Returns whether all
/// of `bytes` was written. A log line's bounded preview costs the same
/// whatever the size of the read.
pub fn sanitize_into(out: &mut String, bytes: &[u8], limit: usize) -> bool {
    let end = out.len().saturating_add(limit);
    let mut column = 0usize;
    let mut rest = bytes;
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(valid) => return push_str_escaped(out, valid, &mut column, end),
            Err(err) => {
                let (valid, after) = rest.split_at(err.valid_up_to());
                // `valid` is valid UTF-8 by construction of `valid_up_to`.
                if let Ok(text) = std::str::from_utf8(valid) {
                    if !push_str_escaped(out, text, &mut column, end) {
                        return false;
                    }
                }
                let bad = err.error_len().unwrap_or(after.len()).max(1);
                for byte in &after[..bad] {
                    if out.len() + 4 > end {
                        return false;
                    }
                    let _ = write!(out, "\\x{byte:02x}");
                    column += 4;
                }
                rest = &after[bad..];
            }
        }
    }
    true
}

/// Sanitizes text that is already a `str` but still untrusted (header values
/// decoded elsewhere, resolver messages, OS error strings quoting peer data).
pub fn sanitize_str(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut column = 0;
    push_str_escaped(&mut out, text, &mut column, usize::MAX);
    out
}

/// Bytes from the network on their way to a terminal: through the gate,
/// line by line, the line breaks kept (so a reply still reads as lines).
pub fn for_terminal(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    for piece in bytes.split_inclusive(|b| *b == b'\n') {
        let (line, newline) = match piece.strip_suffix(b"\n") {
            Some(line) => (line, true),
            None => (piece, false),
        };
        out.extend_from_slice(sanitize(line).as_bytes());
        if newline {
            out.push(b'\n');
        }
    }
    out
}

/// A person's own text (an address, a host name they typed) quoted in a
/// sentence: what could drive the terminal is escaped, the rest — its
/// backslashes too — stays as typed, so `a\b` is not shown as `a\\b`.
pub fn typed(text: &str) -> String {
    escape_unsafe(text)
}

/// Escapes only the characters that could drive a terminal, leaving
/// backslashes alone: for text that already passed [`sanitize`] once.
pub fn escape_unsafe(text: &str) -> String {
    text.chars()
        .map(|c| {
            if is_unsafe_char(c) {
                format!("\\u{{{:x}}}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Whether `c` must never reach a terminal cell as itself.
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control() || is_bidi_or_invisible(c)
}

fn is_bidi_or_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2069}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            // Shown as nothing, so text can hide in them: the soft hyphen,
            // Hangul fillers, the Mongolian vowel separator, variation
            // selectors and the tag characters (invisible ASCII).
            | '\u{00AD}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{3164}'
            | '\u{FFA0}'
            | '\u{180E}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{E0000}'..='\u{E007F}'
            | '\u{E0100}'..='\u{E01EF}'
    )
}

/// Escapes `text` onto `out`, up to `end` (a length of `out`): returns
/// false, with the character that would pass it left out, when it stopped.
fn push_str_escaped(out: &mut String, text: &str, column: &mut usize, end: usize) -> bool {
    // Plain printable ASCII, the common case, is copied in one piece.
    let mut rest = text;
    while !rest.is_empty() {
        let plain = rest
            .bytes()
            .position(|b| !(0x20..0x7f).contains(&b) || b == b'\\')
            .unwrap_or(rest.len());
        if plain > 0 {
            let room = end.saturating_sub(out.len());
            if plain > room {
                out.push_str(&rest[..room]);
                return false;
            }
            out.push_str(&rest[..plain]);
            *column += plain;
            rest = &rest[plain..];
            continue;
        }
        let Some(c) = rest.chars().next() else {
            break;
        };
        rest = &rest[c.len_utf8()..];
        let before = out.len();
        match c {
            '\t' => {
                let spaces = TAB_WIDTH - (*column % TAB_WIDTH);
                out.extend(std::iter::repeat_n(' ', spaces));
            }
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x80 && c.is_control() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if is_unsafe_char(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
        if out.len() > end {
            out.truncate(before);
            return false;
        }
        *column += if c.is_ascii() || is_unsafe_char(c) {
            out.len() - before
        } else {
            1
        };
    }
    true
}

/// Writes `bytes` in netplay's escape syntax so that [`parse_escapes`]
/// gives exactly `bytes` back (an edit of held relay bytes starts from
/// it). Unlike [`sanitize`], tabs are kept as `\t`, so nothing is lost; the
/// result holds no unsafe character either.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\0' => out.push_str("\\0"),
                '\\' => out.push_str("\\\\"),
                c if (c as u32) < 0x80 && c.is_control() => {
                    let _ = write!(out, "\\x{:02x}", c as u32);
                }
                c if is_unsafe_char(c) => {
                    let _ = write!(out, "\\u{{{:x}}}", c as u32);
                }
                c => out.push(c),
            }
        }
        for byte in chunk.invalid() {
            let _ = write!(out, "\\x{byte:02x}");
        }
    }
    out
}

/// Why a message the user typed could not be turned into bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscapeError {
    /// Character offset of the offending backslash.
    pub at: usize,
    /// What is wrong, in words.
    pub reason: String,
}

impl std::fmt::Display for EscapeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (at column {})", self.reason, self.at + 1)
    }
}

/// Turns a typed message with escapes (`\xNN`, `\u{NNNN}`, `\r`, `\n`, `\t`, `\0`, `\\`)
/// into the bytes to send, so a user can send any byte from a text field.
pub fn parse_escapes(text: &str) -> Result<Vec<u8>, EscapeError> {
    // Works on the bytes: `\` and every escape are ASCII, which never occur
    // inside a multi-byte character, so plain runs are copied whole (a
    // 250 MiB recording line used to become a 1 GiB `Vec<char>` first).
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    let mut plain = 0;
    let hex = |b: Option<&u8>| b.and_then(|b| char::from(*b).to_digit(16));
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            i += 1;
            continue;
        }
        out.extend_from_slice(&bytes[plain..i]);
        // Positions are in characters, as a person counts them.
        let error = |reason: &str| EscapeError {
            at: text[..i].chars().count(),
            reason: reason.to_string(),
        };
        let step = match bytes.get(i + 1) {
            Some(b'n') => {
                out.push(b'\n');
                2
            }
            Some(b'r') => {
                out.push(b'\r');
                2
            }
            Some(b't') => {
                out.push(b'\t');
                2
            }
            Some(b'0') => {
                out.push(0);
                2
            }
            Some(b'\\') => {
                out.push(b'\\');
                2
            }
            Some(b'x') => match (hex(bytes.get(i + 2)), hex(bytes.get(i + 3))) {
                (Some(hi), Some(lo)) => {
                    out.push((hi * 16 + lo) as u8);
                    4
                }
                _ => return Err(error("\\x needs two hex digits, like \\x1b")),
            },
            Some(b'u') => {
                let braced = (bytes.get(i + 2) == Some(&b'{'))
                    .then(|| bytes[i + 3..].iter().take(7).position(|b| *b == b'}'))
                    .flatten()
                    .and_then(|digits| {
                        let hex = std::str::from_utf8(&bytes[i + 3..i + 3 + digits]).ok()?;
                        Some((u32::from_str_radix(hex, 16).ok()?, hex.to_string(), digits))
                    });
                let Some((code, hex, digits)) = braced else {
                    return Err(error("\\u needs a code point in braces, like \\u{202e}"));
                };
                let Some(c) = char::from_u32(code) else {
                    return Err(error(&format!(
                        "\\u{{{hex}}} is not a character: past \\u{{10ffff}} or a surrogate (d800–dfff)"
                    )));
                };
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                4 + digits
            }
            Some(_) => {
                let other = text[i + 1..].chars().next().unwrap_or_default();
                return Err(error(&format!(
                    "unknown escape \\{other}: use \\xNN, \\u{{…}}, \\r, \\n, \\t, \\0 or \\\\"
                )));
            }
            None => return Err(error("a lone \\ at the end: write \\\\ for a backslash")),
        };
        i += step;
        plain = i;
    }
    out.extend_from_slice(&bytes[plain..]);
    Ok(out)
}

/// Bytes shown per hex dump line.
pub const HEX_BYTES_PER_LINE: usize = 16;

/// Formats bytes as a classic hex dump: offset, 16 hex bytes, ASCII column
/// (non-printable bytes as `.`). The output is always safe to display.
pub fn hex_dump(bytes: &[u8]) -> Vec<String> {
    hex_dump_with(bytes, HEX_BYTES_PER_LINE)
}

/// [`hex_dump`] with `per_line` bytes a line (8 fits narrow panes).
pub fn hex_dump_with(bytes: &[u8], per_line: usize) -> Vec<String> {
    let per_line = per_line.max(1);
    bytes
        .chunks(per_line)
        .enumerate()
        .map(|(index, chunk)| {
            let mut line = format!("{:08x}  ", index * per_line);
            for slot in 0..per_line {
                match chunk.get(slot) {
                    Some(byte) => {
                        let _ = write!(line, "{byte:02x} ");
                    }
                    None => line.push_str("   "),
                }
                if slot == 7 && per_line > 8 {
                    line.push(' ');
                }
            }
            line.push(' ');
            line.push('|');
            line.extend(chunk.iter().map(|&b| {
                if b.is_ascii_graphic() || b == b' ' {
                    b as char
                } else {
                    '.'
                }
            }));
            line.push('|');
            line
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_passes() {
        assert_eq!(sanitize(b"Hello, Michael!"), "Hello, Michael!");
        assert_eq!(sanitize("héllo 世界".as_bytes()), "héllo 世界");
    }

    #[test]
    fn line_endings_are_visible() {
        assert_eq!(sanitize(b"a\r\nb\n"), "a\\r\\nb\\n");
    }

    #[test]
    fn tab_expands_to_next_stop() {
        assert_eq!(sanitize(b"a\tb"), "a   b");
        assert_eq!(sanitize(b"\tx"), "    x");
    }

    #[test]
    fn backslash_is_doubled() {
        assert_eq!(sanitize(b"C:\\x"), "C:\\\\x");
    }

    #[test]
    fn escape_round_trip() {
        let bytes = b"\x1b[2J\x00\xff\\ok\r\n";
        let shown = sanitize(bytes);
        // invalid UTF-8 and controls come back byte for byte
        assert_eq!(parse_escapes(&shown).unwrap(), bytes.to_vec());
    }

    #[test]
    fn parse_escapes_errors_are_clear() {
        let err = parse_escapes("ab\\q").unwrap_err();
        assert_eq!(err.at, 2);
        let err = parse_escapes("éé\\q").unwrap_err();
        assert_eq!(err.at, 2, "counted in characters");
        assert_eq!(parse_escapes("é\\x41ü").unwrap(), "éAü".as_bytes());
        assert!(err.reason.contains("unknown escape \\q"));
        assert!(parse_escapes("\\x4").is_err());
        assert!(parse_escapes("x\\").is_err());
        assert_eq!(parse_escapes("\\x41\\t").unwrap(), b"A\t");
        assert_eq!(parse_escapes("\\u{e9}!").unwrap(), "é!".as_bytes());
        assert!(parse_escapes("\\u{zz}").is_err());
        assert!(
            parse_escapes("\\u{d800}").is_err(),
            "surrogates are not chars"
        );
        // A code point past the last one is named as such, not as missing.
        let err = parse_escapes("\\u{110000}").unwrap_err();
        assert!(
            err.reason.contains("\\u{110000} is not a character"),
            "{}",
            err.reason
        );
        let err = parse_escapes("\\u202e").unwrap_err();
        assert!(err.reason.contains("in braces"), "{}", err.reason);
    }

    #[test]
    fn bytes_for_a_terminal_keep_their_lines_and_lose_their_escapes() {
        let shown = for_terminal(b"one\x1b]0;x\x07\ntwo\n");
        assert_eq!(shown, b"one\\x1b]0;x\\x07\ntwo\n");
    }

    #[test]
    fn invisible_characters_are_shown_escaped() {
        for hidden in [
            '\u{E0068}',
            '\u{00AD}',
            '\u{3164}',
            '\u{180E}',
            '\u{FE0F}',
            '\u{115F}',
        ] {
            let text = format!("a{hidden}b");
            let shown = sanitize(text.as_bytes());
            assert!(!shown.contains(hidden), "{hidden:?} passed: {shown}");
            assert!(!escape_unsafe(&text).contains(hidden), "{hidden:?}");
        }
    }

    /// Sequences a hostile peer would send, and what must be shown instead.
    const CORPUS: &[(&[u8], &str)] = &[
        (b"\x1b[2J\x1b[H", "\\x1b[2J\\x1b[H"),       // CSI: clear, home
        (b"\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07"), // OSC 0: window title
        (b"\x1b]52;c;aGk=\x07", "\\x1b]52;c;aGk=\\x07"), // OSC 52: clipboard
        (b"\x1b]8;;http://x\x1b\\", "\\x1b]8;;http://x\\x1b\\\\"), // OSC 8 with ST
        (b"\x1bPq#0\x1b\\", "\\x1bPq#0\\x1b\\\\"),   // DCS (sixel)
        ("\u{9b}31m".as_bytes(), "\\u{9b}31m"),      // C1 CSI as UTF-8
        (b"\x9b31m", "\\x9b31m"),                    // C1 CSI as a raw byte
        (b"a\x7fb", "a\\x7fb"),                      // DEL
        (b"\x07\x08\x0e\x0f\x00", "\\x07\\x08\\x0e\\x0f\\x00"), // BEL BS SO SI NUL
        ("\u{202e}evil\u{202c}".as_bytes(), "\\u{202e}evil\\u{202c}"), // bidi override
        (
            "\u{2066}x\u{2069}\u{200f}\u{61c}".as_bytes(),
            "\\u{2066}x\\u{2069}\\u{200f}\\u{61c}",
        ),
        (b"\xff\xfe ok \xe2\x82", "\\xff\\xfe ok \\xe2\\x82"), // invalid UTF-8
    ];

    #[test]
    fn hostile_corpus_is_shown_not_obeyed() {
        for (input, expected) in CORPUS {
            let shown = sanitize(input);
            assert_eq!(&shown, expected, "input {input:?}");
            assert!(!shown.chars().any(is_unsafe_char), "{shown:?}");
        }
    }

    #[test]
    fn hex_dump_layout() {
        let lines = hex_dump(b"Welcome!\x00\x01\x02\x03\x04\x05\x06\x07tail");
        assert_eq!(
            lines[0],
            "00000000  57 65 6c 63 6f 6d 65 21  00 01 02 03 04 05 06 07  |Welcome!........|"
        );
        assert_eq!(
            lines[1],
            "00000010  74 61 69 6c                                       |tail|"
        );
        assert!(hex_dump(b"").is_empty());
        assert_eq!(
            hex_dump_with(b"Welcome!", 8),
            vec!["00000000  57 65 6c 63 6f 6d 65 21  |Welcome!|"]
        );
    }
}
