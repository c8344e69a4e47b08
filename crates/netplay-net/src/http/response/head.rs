//! A parsed response head and how its body is delimited: what the parser
//! hands its callers.

use super::super::lenient::Problem;

/// How the body of a response is delimited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Framing {
    /// No body (HEAD, 1xx, 204, 304).
    None,
    /// Exactly this many bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Everything until the server closes.
    UntilClose,
}

impl std::fmt::Display for Framing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Framing::None => write!(f, "no body"),
            Framing::Length(n) => write!(f, "Content-Length: {n}"),
            Framing::Chunked => write!(f, "chunked"),
            Framing::UntilClose => write!(f, "read until close"),
        }
    }
}

/// A parsed response head, with the raw bytes exactly as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// `1` for HTTP/1.1, `0` for HTTP/1.0.
    pub minor_version: u8,
    /// The status code.
    pub status: u16,
    /// The reason phrase, raw.
    pub reason: Vec<u8>,
    /// Headers in order, names as sent, values raw (they may hold any byte).
    pub headers: Vec<(String, Vec<u8>)>,
    /// The head exactly as received, through the blank line.
    pub raw: Vec<u8>,
    /// How the body is delimited.
    pub framing: Framing,
    /// Framing problems worth a warning (and what was done about them).
    pub warnings: Vec<String>,
    /// Lines that are not valid HTTP/1.1 (empty for a valid head). A head
    /// strict parsing refused is still shown and framed, as curl does, with
    /// each offending line named here.
    pub invalid: Vec<Problem>,
}

impl Head {
    /// `not valid HTTP/1.1: <first problem> (+N more)`, for a status line;
    /// `None` for a valid head.
    pub fn invalid_summary(&self) -> Option<String> {
        let first = self.invalid.first()?;
        let more = match self.invalid.len() - 1 {
            0 => String::new(),
            n => format!(" (+{n} more)"),
        };
        Some(format!(
            "not valid HTTP/1.1: line {}: {}{more}",
            first.line + 1,
            first.reason
        ))
    }

    /// The first value of header `name` (case-insensitive), if any.
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }

    /// Whether the status is a redirect that names a `Location`.
    pub fn location(&self) -> Option<String> {
        if !(300..400).contains(&self.status) {
            return None;
        }
        self.header("location")
            .map(|v| String::from_utf8_lossy(v).trim().to_string())
    }
}
