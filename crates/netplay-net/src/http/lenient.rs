//! The second look at a response head that strict parsing (httparse)
//! refused: what did the server actually send? A debugging tool must show
//! a broken response, above all when it is broken, so this reads the head
//! line by line, keeps every header it can, and names each line's problem.
//!
//! It is used for display and framing only, after strict parsing failed;
//! it never reads past [`super::response::MAX_HEAD`] and never recurses.

/// One line of the raw head that is not valid HTTP/1.1, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The line's index in the raw head (0 is the status line).
    pub line: usize,
    /// The reason, in words.
    pub reason: String,
}

/// A head read leniently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LenientHead {
    /// Bytes of the head, through its blank line.
    pub len: usize,
    /// `1` for HTTP/1.1.
    pub minor_version: u8,
    /// The status code.
    pub status: u16,
    /// The reason phrase, raw.
    pub reason: Vec<u8>,
    /// Every header that has a name, in order; a folded line is joined to
    /// the header before it.
    pub headers: Vec<(String, Vec<u8>)>,
    /// Each offending line, in order.
    pub problems: Vec<Problem>,
}

/// What a lenient read found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lenient {
    /// The blank line that ends the head has not arrived yet.
    Partial,
    /// Not even a status line: this is not an HTTP response.
    NotHttp,
    /// A head, with its problems.
    Head(LenientHead),
    /// More lines than a head may have ([`super::response::MAX_HEADERS`]).
    TooManyLines,
}

/// Reads `bytes` as a response head, as leniently as can still be framed.
pub fn parse(bytes: &[u8]) -> Lenient {
    let Some(len) = head_end(bytes) else {
        return Lenient::Partial;
    };
    let mut lines = bytes[..len].split_inclusive(|b| *b == b'\n');
    let Some(first) = lines.next() else {
        return Lenient::NotHttp;
    };
    let mut problems = Vec::new();
    let Some((minor_version, status, reason)) = status_line(first, &mut problems) else {
        return Lenient::NotHttp;
    };
    let mut headers: Vec<(String, Vec<u8>)> = Vec::new();
    for (index, raw) in lines.enumerate() {
        let line = index + 1;
        if line > super::response::MAX_HEADERS + 1 {
            return Lenient::TooManyLines;
        }
        let (text, crlf) = match raw.strip_suffix(b"\r\n") {
            Some(text) => (text, true),
            None => (raw.strip_suffix(b"\n").unwrap_or(raw), false),
        };
        if text.is_empty() {
            if !crlf {
                problems.push(Problem {
                    line,
                    reason: "bare LF ends the head (CRLF expected)".into(),
                });
            }
            break;
        }
        let mut reasons = Vec::new();
        if !crlf {
            reasons.push("bare LF line ending (CRLF expected)".to_string());
        }
        if matches!(text.first(), Some(b' ' | b'\t')) {
            reasons.push("obs-fold: a continuation line (obsolete line folding)".into());
            if let Some((_, value)) = headers.last_mut() {
                value.push(b' ');
                value.extend_from_slice(trim(text));
            }
        } else if let Some(colon) = text.iter().position(|b| *b == b':') {
            let name = &text[..colon];
            let value = trim(&text[colon + 1..]);
            if name.last().is_some_and(|b| *b == b' ' || *b == b'\t') {
                reasons.push("space before the colon".into());
            }
            let name = trim(name);
            if name.is_empty() || !name.iter().all(|b| is_token(*b)) {
                reasons.push("the name is not a valid token".into());
            }
            if let Some((at, byte)) = text
                .iter()
                .enumerate()
                .skip(colon + 1)
                .find(|(_, b)| is_control(**b))
            {
                reasons.push(format!("control byte 0x{byte:02x} at offset {at}"));
            }
            if std::str::from_utf8(value).is_err() {
                reasons.push("non-UTF-8 bytes in the value".into());
            }
            headers.push((String::from_utf8_lossy(name).into_owned(), value.to_vec()));
        } else {
            reasons.push("no colon: not a header field".into());
        }
        for reason in reasons {
            problems.push(Problem { line, reason });
        }
    }
    Lenient::Head(LenientHead {
        len,
        minor_version,
        status,
        reason,
        headers,
        problems,
    })
}

/// Where the head ends: after the first empty line (`\r\n` or a bare `\n`).
fn head_end(bytes: &[u8]) -> Option<usize> {
    let mut at = 0;
    for line in bytes.split_inclusive(|b| *b == b'\n') {
        if !line.ends_with(b"\n") {
            return None;
        }
        at += line.len();
        if at > line.len() && (line == b"\r\n" || line == b"\n") {
            return Some(at);
        }
    }
    None
}

/// `HTTP/1.x CODE [REASON]`; `None` when there is no version and code.
fn status_line(raw: &[u8], problems: &mut Vec<Problem>) -> Option<(u8, u16, Vec<u8>)> {
    let text = raw
        .strip_suffix(b"\r\n")
        .or_else(|| raw.strip_suffix(b"\n"))
        .unwrap_or(raw);
    let rest = text.strip_prefix(b"HTTP/1.")?;
    let minor = match rest.first()? {
        b'0' => 0,
        b'1' => 1,
        _ => return None,
    };
    let rest = rest.get(1..)?.strip_prefix(b" ")?;
    let code: &[u8] = rest.get(..3)?;
    if !code.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let status = std::str::from_utf8(code).ok()?.parse().ok()?;
    let after = &rest[3..];
    let reason = match after.strip_prefix(b" ") {
        Some(reason) => reason.to_vec(),
        None => {
            if !after.is_empty() {
                return None;
            }
            problems.push(Problem {
                line: 0,
                reason: "missing reason phrase (and its space)".into(),
            });
            Vec::new()
        }
    };
    if !raw.ends_with(b"\r\n") {
        problems.push(Problem {
            line: 0,
            reason: "bare LF line ending (CRLF expected)".into(),
        });
    }
    if let Some(offset) = reason.iter().position(|b| is_control(*b)) {
        problems.push(Problem {
            line: 0,
            reason: format!(
                "control byte 0x{:02x} at offset {}",
                reason[offset],
                13 + offset
            ),
        });
    }
    Some((minor, status, reason))
}

fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| *b != b' ' && *b != b'\t')
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| *b != b' ' && *b != b'\t')
        .map_or(start, |at| at + 1);
    &bytes[start..end.max(start)]
}

/// A control byte other than HTAB (which header values may hold).
fn is_control(b: u8) -> bool {
    (b < 0x20 && b != b'\t') || b == 0x7f
}

/// RFC 9110 token characters.
fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(bytes: &[u8]) -> LenientHead {
        match parse(bytes) {
            Lenient::Head(head) => head,
            other => panic!("expected a head, got {other:?}"),
        }
    }

    #[test]
    fn names_each_kind_of_malformation() {
        let h =
            head(b"HTTP/1.1 200 OK\r\nX-Evil: \x1b]2;PWNED\x07x\r\nContent-Length: 2\r\n\r\nhi");
        assert_eq!(h.len, 59);
        assert_eq!(h.problems.len(), 1);
        assert_eq!(h.problems[0].line, 1);
        assert!(
            h.problems[0]
                .reason
                .starts_with("control byte 0x1b at offset 8"),
            "{:?}",
            h.problems
        );
        assert_eq!(h.headers[1], ("Content-Length".into(), b"2".to_vec()));

        let h = head(b"HTTP/1.1 200 OK\r\nX-A: one\r\n two\r\n\r\n");
        assert!(h.problems[0].reason.starts_with("obs-fold"));
        assert_eq!(h.headers[0].1, b"one two");

        let h = head(b"HTTP/1.1 200\r\nX-A : v\r\n\r\n");
        let reasons: Vec<&str> = h.problems.iter().map(|p| p.reason.as_str()).collect();
        assert_eq!(
            reasons,
            [
                "missing reason phrase (and its space)",
                "space before the colon"
            ]
        );
        assert_eq!(h.headers[0].0, "X-A");

        let h = head(b"HTTP/1.1 200 OK\nA: \xff\xfe\n\n");
        let reasons: Vec<&str> = h.problems.iter().map(|p| p.reason.as_str()).collect();
        assert!(reasons.contains(&"bare LF line ending (CRLF expected)"));
        assert!(reasons.contains(&"non-UTF-8 bytes in the value"));
        assert!(reasons.contains(&"bare LF ends the head (CRLF expected)"));
    }

    #[test]
    fn not_http_and_partial() {
        assert_eq!(parse(b"SSH-2.0-OpenSSH\r\n\r\n"), Lenient::NotHttp);
        assert_eq!(parse(b"HTTP/1.1 200 OK\r\nA: b\r\n"), Lenient::Partial);
    }
}
