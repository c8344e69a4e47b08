//! An incremental HTTP/1.1 response parser: bytes in as they arrive, head,
//! body pieces, trailers and the end out. Heads and chunk sizes are parsed
//! with httparse; framing follows RFC 9112 §6.3.
//!
//! Nothing is ever allocated from a number the peer sent: chunk sizes and
//! Content-Length only count down what has arrived.

mod head;

pub use head::{Framing, Head};

use super::content_length::LengthError;
use super::lenient::{self, Lenient};

/// The largest response head accepted.
pub const MAX_HEAD: usize = 64 * 1024;
/// The most headers accepted in a head.
pub const MAX_HEADERS: usize = 100;
/// The longest chunk-size line accepted (extensions included).
pub const MAX_CHUNK_LINE: usize = 4096;
/// The most 1xx interim responses accepted before the final one: a server
/// that sends `100 Continue` forever is refused, not remembered forever.
pub const MAX_INTERIMS: usize = 64;

/// What feeding bytes produced, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// A 1xx interim response (100 Continue, 103 Early Hints): shown, skipped.
    Interim(Head),
    /// The final response head.
    Head(Head),
    /// A piece of the body (de-chunked).
    Body(Vec<u8>),
    /// Trailer fields after a chunked body.
    Trailers(Vec<(String, Vec<u8>)>),
    /// Something in the body's framing a lenient parser (llhttp) accepts
    /// and a strict one would not: said once per kind per response.
    Warning(String),
    /// The response is complete.
    Done,
}

impl ResponseParser {
    /// The bytes received after what was parsed (after a 101's head: the
    /// first frames of the new protocol).
    pub fn take_rest(&mut self) -> Vec<u8> {
        let rest = self.buffer[self.start..].to_vec();
        self.start = self.buffer.len();
        rest
    }
}

/// Why a response could not be read, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseError {}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Head,
    Length(u64),
    ChunkSize,
    ChunkData(u64),
    ChunkEnd,
    Trailers,
    UntilClose,
    Done,
}

/// Parses one response; feed it every byte read, then call
/// [`ResponseParser::finish`] at end of stream.
#[derive(Debug)]
pub struct ResponseParser {
    state: State,
    /// Bytes received and not yet parsed start at `start`: parsing moves a
    /// cursor, and the buffer is compacted once per [`ResponseParser::feed`],
    /// so a read of many tiny chunks costs linear time, not quadratic.
    buffer: Vec<u8>,
    start: usize,
    interims: usize,
    head_request: bool,
    body_bytes: u64,
    expected: Option<u64>,
    /// Empty-line bytes skipped before the next status line.
    skipped_blank: usize,
    /// Chunk-line leniencies already said (whitespace, empty extension).
    warned_chunk: [bool; 2],
}

impl ResponseParser {
    /// A parser for the response to a request; `head_request` for HEAD
    /// (whose response never has a body).
    pub fn new(head_request: bool) -> Self {
        Self {
            state: State::Head,
            buffer: Vec::new(),
            start: 0,
            interims: 0,
            head_request,
            body_bytes: 0,
            expected: None,
            skipped_blank: 0,
            warned_chunk: [false; 2],
        }
    }

    /// Takes the next bytes read from the connection. Body pieces that
    /// follow each other come out as one (a body of 1-byte chunks is one
    /// piece per read, not one per chunk).
    pub fn feed(&mut self, data: &[u8]) -> Result<Vec<Output>, ParseError> {
        let result = self.feed_inner(data);
        if self.start > 0 {
            self.buffer.drain(..self.start);
            self.start = 0;
        }
        result
    }

    /// The bytes received and not yet parsed.
    fn pending(&self) -> &[u8] {
        &self.buffer[self.start..]
    }

    /// Takes every pending byte out of the buffer.
    fn take_pending(&mut self) -> Vec<u8> {
        let mut all = std::mem::take(&mut self.buffer);
        all.drain(..self.start);
        self.start = 0;
        all
    }

    /// Passes `take` pending bytes on as body.
    fn pass_body(&mut self, take: usize, out: &mut Vec<Output>) {
        let end = self.start + take;
        push_body(out, &self.buffer[self.start..end]);
        self.start = end;
        self.body_bytes += take as u64;
    }

    fn feed_inner(&mut self, data: &[u8]) -> Result<Vec<Output>, ParseError> {
        let mut out = Vec::new();
        let mut data = data;
        // Bodies of known length pass straight through without buffering.
        loop {
            match self.state {
                State::Length(remaining) if self.pending().is_empty() => {
                    let take = clamp(remaining, data.len());
                    if take > 0 {
                        push_body(&mut out, &data[..take]);
                        self.body_bytes += take as u64;
                    }
                    let left = remaining - take as u64;
                    self.state = State::Length(left);
                    if left == 0 {
                        self.state = State::Done;
                        out.push(Output::Done);
                    }
                    return Ok(out);
                }
                State::UntilClose => {
                    let mut piece = self.take_pending();
                    piece.extend_from_slice(data);
                    if !piece.is_empty() {
                        self.body_bytes += piece.len() as u64;
                        push_body(&mut out, &piece);
                    }
                    return Ok(out);
                }
                State::Done => return Ok(out),
                _ => {}
            }
            if !data.is_empty() {
                self.buffer.extend_from_slice(data);
                // A head can only complete with a line end: a piece without
                // one (a head trickled byte by byte) is not parsed again.
                let waiting_for_head = self.state == State::Head
                    && !data.contains(&b'\n')
                    && self.pending().starts_with(b"HTTP/");
                data = &[];
                if waiting_for_head {
                    if self.pending().len() > MAX_HEAD {
                        return Err(head_too_large());
                    }
                    return Ok(out);
                }
            }
            if !self.step(&mut out)? {
                return Ok(out);
            }
        }
    }

    /// Advances on buffered bytes; returns whether progress was made.
    fn step(&mut self, out: &mut Vec<Output>) -> Result<bool, ParseError> {
        match self.state {
            State::Head => self.parse_head(out),
            State::Length(remaining) => {
                // Bytes that arrived with the head.
                let take = clamp(remaining, self.pending().len());
                if take > 0 {
                    self.pass_body(take, out);
                }
                let left = remaining - take as u64;
                self.state = if left == 0 {
                    out.push(Output::Done);
                    State::Done
                } else {
                    State::Length(left)
                };
                Ok(left == 0 || !self.pending().is_empty())
            }
            State::UntilClose => {
                let piece = self.take_pending();
                self.body_bytes += piece.len() as u64;
                if !piece.is_empty() {
                    push_body(out, &piece);
                }
                Ok(false)
            }
            State::ChunkSize => match httparse::parse_chunk_size(self.pending()) {
                Ok(httparse::Status::Complete((used, size))) => {
                    let line = &self.pending()[..used];
                    for (kind, words) in chunk_line_leniencies(line) {
                        if !self.warned_chunk[kind] {
                            self.warned_chunk[kind] = true;
                            out.push(Output::Warning(words.to_string()));
                        }
                    }
                    self.start += used;
                    self.state = if size == 0 {
                        State::Trailers
                    } else {
                        State::ChunkData(size)
                    };
                    Ok(true)
                }
                Ok(httparse::Status::Partial) => {
                    if self.pending().len() > MAX_CHUNK_LINE {
                        return Err(ParseError(format!(
                            "chunk-size line longer than {MAX_CHUNK_LINE} bytes"
                        )));
                    }
                    Ok(false)
                }
                Err(_) => Err(ParseError(format!(
                    "bad chunk size line: {}",
                    crate::text::sanitize(line_start(self.pending()))
                ))),
            },
            State::ChunkData(remaining) => {
                if self.pending().is_empty() {
                    return Ok(false);
                }
                let take = clamp(remaining, self.pending().len());
                self.pass_body(take, out);
                let left = remaining - take as u64;
                self.state = if left == 0 {
                    State::ChunkEnd
                } else {
                    State::ChunkData(left)
                };
                Ok(true)
            }
            State::ChunkEnd => {
                let bad = match self.pending() {
                    [] | [b'\r'] => return Ok(false),
                    [b'\r', second, ..] => *second != b'\n',
                    _ => true,
                };
                if bad {
                    return Err(ParseError(
                        "chunk data not followed by CRLF: the chunk size was wrong".into(),
                    ));
                }
                self.start += 2;
                self.state = State::ChunkSize;
                Ok(true)
            }
            State::Trailers => {
                let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
                match httparse::parse_headers(self.pending(), &mut headers) {
                    Ok(httparse::Status::Complete((used, fields))) => {
                        let trailers: Vec<(String, Vec<u8>)> = fields
                            .iter()
                            .map(|h| (h.name.to_string(), h.value.to_vec()))
                            .collect();
                        self.start += used;
                        if !trailers.is_empty() {
                            out.push(Output::Trailers(trailers));
                        }
                        self.state = State::Done;
                        out.push(Output::Done);
                        Ok(true)
                    }
                    Ok(httparse::Status::Partial) => {
                        if self.pending().len() > MAX_HEAD {
                            return Err(ParseError(format!(
                                "trailer section larger than {} KiB",
                                MAX_HEAD / 1024
                            )));
                        }
                        Ok(false)
                    }
                    Err(err) => Err(ParseError(format!("bad trailer section: {err}"))),
                }
            }
            State::Done => Ok(false),
        }
    }

    fn parse_head(&mut self, out: &mut Vec<Output>) -> Result<bool, ParseError> {
        let pending = &self.buffer[self.start..];
        if pending.is_empty() {
            return Ok(false);
        }
        // Empty lines before a status line (also after a 100 Continue) are
        // skipped, as Node's parser (llhttp) does, and said.
        let blank = pending
            .iter()
            .take_while(|b| matches!(b, b'\r' | b'\n'))
            .count();
        if blank > 0 {
            if self.skipped_blank + blank > MAX_HEAD {
                return Err(head_too_large());
            }
            self.skipped_blank += blank;
            self.start += blank;
            return Ok(blank < pending.len());
        }
        let prefix = &pending[..pending.len().min(5)];
        if !b"HTTP/".starts_with(prefix) {
            return Err(not_http(pending));
        }
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut response = httparse::Response::new(&mut headers);
        let strict = match response.parse(pending) {
            Ok(httparse::Status::Complete(used)) => Ok(used),
            Ok(httparse::Status::Partial) => {
                if pending.len() > MAX_HEAD {
                    return Err(ParseError(format!(
                        "response head larger than {} KiB",
                        MAX_HEAD / 1024
                    )));
                }
                return Ok(false);
            }
            Err(httparse::Error::TooManyHeaders) => {
                return Err(ParseError(format!(
                    "response head has more than {MAX_HEADERS} headers"
                )))
            }
            Err(err) => Err(err),
        };
        let mut head = match strict {
            Ok(used) => Head {
                minor_version: response.version.unwrap_or(1),
                status: response.code.unwrap_or(0),
                reason: response.reason.unwrap_or("").as_bytes().to_vec(),
                headers: response
                    .headers
                    .iter()
                    .map(|h| (h.name.to_string(), h.value.to_vec()))
                    .collect(),
                raw: pending[..used].to_vec(),
                framing: Framing::None,
                warnings: Vec::new(),
                invalid: Vec::new(),
            },
            Err(err) => match lenient::parse(pending) {
                Lenient::Head(lenient) => Head {
                    minor_version: lenient.minor_version,
                    status: lenient.status,
                    reason: lenient.reason,
                    headers: lenient.headers,
                    raw: pending[..lenient.len].to_vec(),
                    framing: Framing::None,
                    warnings: Vec::new(),
                    invalid: lenient.problems,
                },
                Lenient::Partial if pending.len() <= MAX_HEAD => return Ok(false),
                Lenient::TooManyLines => {
                    return Err(ParseError(format!(
                        "response head has more than {MAX_HEADERS} lines"
                    )))
                }
                Lenient::Partial | Lenient::NotHttp => {
                    return Err(ParseError(format!(
                        "malformed response head ({err}): {}",
                        crate::text::sanitize(line_start(pending))
                    )))
                }
            },
        };
        let used = head.raw.len();
        if used > MAX_HEAD {
            return Err(head_too_large());
        }
        if self.skipped_blank > 0 {
            head.warnings.push(format!(
                "{} byte(s) of empty lines (CR/LF) before the status line, skipped as Node's parser (llhttp) does",
                std::mem::take(&mut self.skipped_blank)
            ));
        }
        let bare = bare_line_feeds(&head.raw);
        if bare > 0 {
            head.warnings.push(format!(
                "{bare} line(s) of the head end in a bare LF, not CRLF: accepted, as llhttp and most clients do (RFC 9112 §2.2 allows it), but a strict parser refuses it"
            ));
        }
        let status = head.status;
        self.start += used;
        if (100..200).contains(&status) && status != 101 {
            self.interims += 1;
            if self.interims > MAX_INTERIMS {
                return Err(ParseError(format!(
                    "more than {MAX_INTERIMS} interim (1xx) responses and no final one: the server keeps answering 1xx"
                )));
            }
            out.push(Output::Interim(head));
            return Ok(true);
        }
        let framing = self.framing(&mut head)?;
        head.framing = framing.clone();
        out.push(Output::Head(head));
        self.state = match framing {
            Framing::None => {
                out.push(Output::Done);
                State::Done
            }
            Framing::Length(0) => {
                out.push(Output::Done);
                State::Done
            }
            Framing::Length(n) => {
                self.expected = Some(n);
                State::Length(n)
            }
            Framing::Chunked => State::ChunkSize,
            Framing::UntilClose => State::UntilClose,
        };
        Ok(true)
    }

    /// RFC 9112 §6.3, in order.
    fn framing(&self, head: &mut Head) -> Result<Framing, ParseError> {
        let status = head.status;
        if self.head_request || (100..200).contains(&status) || status == 204 || status == 304 {
            return Ok(Framing::None);
        }
        let transfer_encodings: Vec<String> = head
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("transfer-encoding"))
            .map(|(_, v)| String::from_utf8_lossy(v).to_ascii_lowercase())
            .collect();
        let lengths: Vec<&[u8]> = head
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .map(|(_, v)| v.as_slice())
            .collect();
        if !transfer_encodings.is_empty() {
            if !lengths.is_empty() {
                head.warnings.push(
                    "both Transfer-Encoding and Content-Length: Content-Length ignored (RFC 9112 §6.3)"
                        .into(),
                );
            }
            let last = transfer_encodings
                .join(",")
                .rsplit(',')
                .next()
                .unwrap_or("")
                .trim()
                .to_string();
            if last == "chunked" {
                return Ok(Framing::Chunked);
            }
            head.warnings.push(format!(
                "Transfer-Encoding '{}' does not end in chunked: reading until close",
                crate::text::sanitize_str(&last)
            ));
            return Ok(Framing::UntilClose);
        }
        match super::content_length::agreed(lengths) {
            Ok(None) => {}
            Ok(Some((length, repeats))) => {
                if repeats > 1 {
                    head.warnings.push(format!(
                        "Content-Length repeated {repeats} times with the same value {length}"
                    ));
                }
                return Ok(Framing::Length(length));
            }
            Err(LengthError::Invalid(part)) => {
                return Err(ParseError(format!(
                    "invalid Content-Length '{}': framing is unknowable (RFC 9112 §6.3), response discarded",
                    crate::text::sanitize(&part)
                )))
            }
            Err(LengthError::Conflict(values)) => {
                let listed: Vec<String> = values.iter().map(u64::to_string).collect();
                return Err(ParseError(format!(
                    "conflicting Content-Length values {}: framing is invalid (RFC 9112 §6.3), response discarded",
                    listed.join(" and ")
                )));
            }
        }
        Ok(Framing::UntilClose)
    }

    /// The connection reached end of stream: completes a read-until-close
    /// body, or explains what was cut short.
    pub fn finish(&mut self) -> Result<Vec<Output>, ParseError> {
        match self.state {
            State::Done => Ok(Vec::new()),
            State::UntilClose => {
                let mut out = Vec::new();
                if !self.pending().is_empty() {
                    let piece = self.take_pending();
                    self.body_bytes += piece.len() as u64;
                    out.push(Output::Body(piece));
                }
                self.state = State::Done;
                out.push(Output::Done);
                Ok(out)
            }
            State::Head if self.pending().is_empty() => Err(ParseError(
                "the server closed the connection without sending a response".into(),
            )),
            State::Head => Err(ParseError(format!(
                "the connection closed in the middle of the response head ({} bytes received)",
                self.pending().len()
            ))),
            State::Length(_) => Err(ParseError(format!(
                "truncated body: {} of {} bytes arrived before the connection closed",
                self.body_bytes,
                self.expected.unwrap_or(0)
            ))),
            State::ChunkSize | State::ChunkData(_) | State::ChunkEnd | State::Trailers => {
                Err(ParseError(format!(
                    "truncated chunked body: the connection closed after {} body bytes, before the final 0-size chunk",
                    self.body_bytes
                )))
            }
        }
    }
}

/// Appends a body piece, joining it to a body piece just before it.
/// How many `\n` in `raw` have no `\r` before them.
fn bare_line_feeds(raw: &[u8]) -> usize {
    raw.iter()
        .enumerate()
        .filter(|(i, b)| **b == b'\n' && (*i == 0 || raw[i - 1] != b'\r'))
        .count()
}

/// What a chunk-size line does that llhttp lets pass and RFC 9112's
/// grammar has no room for: whitespace after the size (0), an extension
/// that is only a `;` (1).
fn chunk_line_leniencies(line: &[u8]) -> Vec<(usize, &'static str)> {
    let mut found = Vec::new();
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    let rest = &line[digits..];
    if matches!(rest.first(), Some(b' ' | b'\t')) {
        found.push((
            0,
            "whitespace after a chunk size: accepted (llhttp does), but not in RFC 9112's grammar",
        ));
    }
    let after = rest.iter().skip_while(|b| matches!(b, b' ' | b'\t'));
    let mut after = after.copied().collect::<Vec<u8>>().into_iter();
    if after.next() == Some(b';') {
        let name: Vec<u8> = after.take_while(|b| !matches!(b, b'\r' | b'\n')).collect();
        if name.iter().all(|b| matches!(b, b' ' | b'\t')) {
            found.push((1, "an empty chunk extension (a `;` with no name): accepted (llhttp does), but not in RFC 9112's grammar"));
        }
    }
    found
}

fn push_body(out: &mut Vec<Output>, piece: &[u8]) {
    if let Some(Output::Body(last)) = out.last_mut() {
        last.extend_from_slice(piece);
    } else {
        out.push(Output::Body(piece.to_vec()));
    }
}

fn head_too_large() -> ParseError {
    ParseError(format!("response head larger than {} KiB", MAX_HEAD / 1024))
}

fn clamp(remaining: u64, available: usize) -> usize {
    usize::try_from(remaining).map_or(available, |r| r.min(available))
}

/// The first line of `bytes` (at most 80 bytes), for error messages.
fn line_start(bytes: &[u8]) -> &[u8] {
    let end = bytes
        .iter()
        .position(|b| *b == b'\n')
        .unwrap_or(bytes.len())
        .min(80);
    &bytes[..end]
}

fn not_http(bytes: &[u8]) -> ParseError {
    let shown = &bytes[..bytes.len().min(80)];
    ParseError(format!(
        "not an HTTP response: the server sent \"{}\" (an HTTP/1.x response starts with \"HTTP/\")",
        crate::text::sanitize(shown)
    ))
}

#[cfg(test)]
mod tests;
