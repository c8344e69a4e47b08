//! Output a pipe can trust: data on stdout, diagnostics on stderr, event
//! lines as text (the TUI's words) or one JSON object per line, no colour
//! ever. Bytes from the network reach a *terminal* only through the
//! untrusted-bytes gate; to a pipe or file they go out exactly as received.

use std::io::{IsTerminal, Write};

use crate::clock::Stamp;
pub use crate::json::{json_object, Value};
use crate::narrate::Kind;

/// How the command prints.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    /// One JSON object per event line.
    pub json: bool,
    /// No event lines, only data and errors.
    pub quiet: bool,
    stdout_tty: bool,
}

impl Output {
    /// Output for these flags on this process's stdout.
    pub fn new(json: bool, quiet: bool) -> Self {
        Self {
            json,
            quiet,
            stdout_tty: std::io::stdout().is_terminal(),
        }
    }

    /// Prints an event line on stdout: `time marker text` or a JSON object
    /// with `time`, `event`, `kind`, `text` and the extra `fields`.
    pub fn event(&self, event: &str, kind: Kind, text: &str, fields: &[(&str, Value)]) {
        if self.quiet {
            return;
        }
        let line = gated_lines(&self.format_event(event, kind, text, fields));
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }

    /// Like [`Output::event`], to stderr (for commands whose stdout is data).
    pub fn event_to_stderr(&self, event: &str, kind: Kind, text: &str, fields: &[(&str, Value)]) {
        if self.quiet {
            return;
        }
        to_stderr(&self.format_event(event, kind, text, fields));
    }

    fn format_event(
        &self,
        event: &str,
        kind: Kind,
        text: &str,
        fields: &[(&str, Value)],
    ) -> String {
        let stamp = Stamp::now();
        if self.json {
            let mut all: Vec<(&str, Value)> = vec![
                ("time", Value::Str(stamp.rfc3339())),
                ("event", event.into()),
                ("kind", kind.name().into()),
                ("text", text.into()),
            ];
            all.extend(fields.iter().cloned());
            json_object(&all)
        } else {
            format!("{} {} {text}", stamp.full(), kind.marker())
        }
    }

    /// A one-line error on stderr: `netplay: reason`. Reasons are built
    /// from already-gated text; any control character left is escaped anyway.
    pub fn error(&self, reason: &str) {
        to_stderr(&format!("netplay: {reason}"));
        // What it means and what to try, on a second line (not with -q).
        if let Some(hint) = crate::net::explain::hint(reason).filter(|_| !self.quiet) {
            to_stderr(&format!("hint: {hint}"));
        }
    }

    /// Writes bytes from the network to stdout: exact to a pipe or file,
    /// through the gate (line breaks kept) to a terminal.
    pub fn data(&self, bytes: &[u8]) -> std::io::Result<()> {
        let mut out = std::io::stdout().lock();
        if self.stdout_tty {
            out.write_all(&crate::text::for_terminal(bytes))?;
        } else {
            out.write_all(bytes)?;
        }
        out.flush()
    }

    /// [`Output::data`] for a stream that arrives in pieces: on a terminal,
    /// a character cut between two reads waits in `carry` for its end, so
    /// it shows as itself, not as escaped halves. A pipe gets every byte
    /// at once, as always.
    pub fn data_part(&self, carry: &mut Vec<u8>, bytes: &[u8]) -> std::io::Result<()> {
        if !self.stdout_tty {
            return self.data(bytes);
        }
        carry.extend_from_slice(bytes);
        let keep = incomplete_tail(carry);
        let whole = carry.len() - keep;
        let result = self.data(&carry[..whole]);
        carry.drain(..whole);
        result
    }

    /// The end of a stream written with [`Output::data_part`]: what waits
    /// in `carry` (a character that never ended) is shown as it is.
    pub fn data_end(&self, carry: &mut Vec<u8>) -> std::io::Result<()> {
        if carry.is_empty() {
            return Ok(());
        }
        let rest = std::mem::take(carry);
        self.data(&rest)
    }
}

/// How many bytes at the end of `bytes` start a UTF-8 character that is
/// not complete yet (0 to 3).
fn incomplete_tail(bytes: &[u8]) -> usize {
    for back in 1..=bytes.len().min(3) {
        let byte = bytes[bytes.len() - back];
        if byte & 0xc0 == 0x80 {
            continue; // a continuation byte: its lead is further back
        }
        let needs = match byte {
            0xc2..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xf4 => 4,
            _ => 1,
        };
        return if needs > back { back } else { 0 };
    }
    0
}

/// Writes one diagnostic line to stderr. A closed stderr (`2>&1 | head -1`)
/// is ignored: diagnostics are never worth a crash, and the data on stdout
/// goes on (`eprintln!` would panic on EPIPE).
///
/// Every line passes the gate here, whatever built it: a message that
/// quotes a user's argument or a file's content (a pasted curl command's
/// unused option) must not drive the terminal either.
pub fn to_stderr(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{}", gated_lines(line));
}

/// `text` with every character that could drive a terminal escaped, its
/// line breaks kept.
fn gated_lines(text: &str) -> String {
    text.split('\n')
        .map(crate::text::escape_unsafe)
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod split_tests {
    use super::incomplete_tail;

    #[test]
    fn a_cut_character_is_held_back_and_nothing_else() {
        let euro = "€".as_bytes();
        assert_eq!(incomplete_tail(b"split "), 0);
        assert_eq!(incomplete_tail(&[b'a', euro[0], euro[1]]), 2);
        assert_eq!(incomplete_tail(&[b'a', euro[0]]), 1);
        assert_eq!(incomplete_tail(euro), 0);
        assert_eq!(
            incomplete_tail(&[0xff, 0xff]),
            0,
            "invalid bytes are not held"
        );
        assert_eq!(incomplete_tail(&[0x80, 0x80, 0x80]), 0);
    }
}
