//! Server-Sent Events (`text/event-stream`, the HTML standard's "event
//! stream interpretation"): a response body read as it arrives into events
//! — `event`, `data` (lines joined with `\n`), `id`, `retry` — for display.
//! The body itself stays the data path (stdout, the saved file); an event
//! keeps the start of its data and the exact length, and every line is
//! cut at [`MAX_LINE`], so a server cannot grow the parser's memory.

use crate::Payload;

/// The longest line kept whole; the rest of a longer line is counted
/// and dropped.
pub const MAX_LINE: usize = 64 * 1024;

/// How much of an event's data an event keeps (its length stays exact).
pub const DATA_PREVIEW: usize = 4 * 1024;

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// 1 for the stream's first event: the count stays exact even where
    /// a busy front end drops some.
    pub seq: u64,
    /// The `event:` type (`None`: the default, `message`).
    pub event: Option<String>,
    /// The last event ID at this event (it carries over, as the standard says).
    pub id: Option<String>,
    /// A `retry:` given with this event, in milliseconds.
    pub retry: Option<u64>,
    /// The data: its start and exact length.
    pub data: Payload,
    /// A line of it was longer than [`MAX_LINE`] and was cut.
    pub cut: bool,
}

/// The reading state of one event stream.
#[derive(Debug, Default)]
pub struct SseParser {
    line: Vec<u8>,
    line_cut: bool,
    after_cr: bool,
    started: bool,
    event: Option<String>,
    data: Vec<u8>,
    data_len: usize,
    has_data: bool,
    id: Option<String>,
    retry: Option<u64>,
    cut: bool,
    seq: u64,
}

/// Whether a response with this `Content-Type` is an event stream.
pub fn is_event_stream(content_type: &[u8]) -> bool {
    let media = content_type.split(|b| *b == b';').next().unwrap_or(b"");
    media
        .trim_ascii()
        .eq_ignore_ascii_case(b"text/event-stream")
}

impl SseParser {
    /// A parser at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Events dispatched so far.
    pub fn count(&self) -> u64 {
        self.seq
    }

    /// Takes the next body bytes; the events they completed.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<SseEvent> {
        let mut out = Vec::new();
        let mut bytes = bytes;
        if !self.started && !bytes.is_empty() {
            self.started = true;
            // A UTF-8 byte order mark at the very start is not data.
            if let Some(rest) = bytes.strip_prefix(b"\xef\xbb\xbf") {
                bytes = rest;
            }
        }
        for &byte in bytes {
            match byte {
                b'\n' if self.after_cr => self.after_cr = false,
                b'\r' | b'\n' => {
                    self.after_cr = byte == b'\r';
                    self.end_line(&mut out);
                }
                _ => {
                    self.after_cr = false;
                    if self.line.len() < MAX_LINE {
                        self.line.push(byte);
                    } else {
                        self.line_cut = true;
                    }
                }
            }
        }
        out
    }

    fn end_line(&mut self, out: &mut Vec<SseEvent>) {
        let line = std::mem::take(&mut self.line);
        self.cut |= std::mem::take(&mut self.line_cut);
        if line.is_empty() {
            self.dispatch(out);
            return;
        }
        if line[0] == b':' {
            return; // a comment (often a keep-alive)
        }
        let (field, value) = match line.iter().position(|b| *b == b':') {
            Some(at) => {
                let value = &line[at + 1..];
                (&line[..at], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (&line[..], &b""[..]),
        };
        match field {
            b"event" => self.event = Some(String::from_utf8_lossy(value).into_owned()),
            b"data" => {
                if self.has_data {
                    self.push_data(b"\n");
                }
                self.has_data = true;
                self.push_data(value);
            }
            b"id" if !value.contains(&0) => {
                self.id = Some(String::from_utf8_lossy(value).into_owned())
            }
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                self.retry = std::str::from_utf8(value).ok().and_then(|v| v.parse().ok());
            }
            _ => {} // unknown fields are ignored
        }
    }

    fn push_data(&mut self, bytes: &[u8]) {
        self.data_len += bytes.len();
        let room = DATA_PREVIEW.saturating_sub(self.data.len());
        self.data.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    fn dispatch(&mut self, out: &mut Vec<SseEvent>) {
        let event = self.event.take();
        let retry = self.retry.take();
        let cut = std::mem::take(&mut self.cut);
        if !std::mem::take(&mut self.has_data) {
            // No data: nothing is dispatched (the type is reset).
            self.data.clear();
            self.data_len = 0;
            return;
        }
        self.seq += 1;
        let data = Payload {
            preview: crate::PreviewBytes::from_vec(std::mem::take(&mut self.data)),
            len: std::mem::take(&mut self.data_len),
        };
        out.push(SseEvent {
            seq: self.seq,
            event,
            id: self.id.clone(),
            retry,
            data,
            cut,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(stream: &[u8]) -> Vec<SseEvent> {
        let mut parser = SseParser::new();
        // Byte by byte: events may be cut anywhere by the network.
        stream
            .iter()
            .flat_map(|b| parser.feed(std::slice::from_ref(b)))
            .collect()
    }

    #[test]
    fn fields_lines_and_endings_as_the_standard_reads_them() {
        let events = all(
            b"\xef\xbb\xbf: keep-alive\r\nevent: update\r\nid: 7\r\nretry: 3000\r\ndata: one\r\ndata:two\r\n\r\ndata\rdata: x\n\nid\nevent: empty\n\n",
        );
        assert_eq!(events.len(), 2, "{events:?}");
        assert_eq!(events[0].event.as_deref(), Some("update"));
        assert_eq!(events[0].id.as_deref(), Some("7"));
        assert_eq!(events[0].retry, Some(3000));
        assert_eq!(&events[0].data.preview[..], b"one\ntwo");
        // The id carries over; a bare `data` line is an empty line of data.
        assert_eq!(events[1].id.as_deref(), Some("7"));
        assert_eq!(events[1].event, None);
        assert_eq!(&events[1].data.preview[..], b"\nx");
        assert_eq!(events[1].seq, 2);
    }

    #[test]
    fn a_huge_line_is_cut_and_counted_not_kept() {
        let mut parser = SseParser::new();
        parser.feed(b"data: ");
        for _ in 0..64 {
            parser.feed(&[b'x'; 64 * 1024]);
        }
        let events = parser.feed(b"\n\n");
        assert_eq!(events.len(), 1);
        assert!(events[0].cut);
        assert_eq!(events[0].data.preview.len(), DATA_PREVIEW);
        assert_eq!(events[0].data.len, MAX_LINE - "data: ".len());
    }

    #[test]
    fn the_media_type_is_recognised_with_parameters() {
        assert!(is_event_stream(b"text/event-stream"));
        assert!(is_event_stream(b"Text/Event-Stream; charset=utf-8"));
        assert!(!is_event_stream(b"text/plain"));
    }
}
