//! Output a pipe can trust: data on stdout, diagnostics on stderr, event
//! lines as text (the TUI's words) or one JSON object per line, no colour
//! ever. Bytes from the network reach a *terminal* only through the
//! untrusted-bytes gate; to a pipe or file they go out exactly as received.

use std::io::{IsTerminal, Write};

use crate::clock::Stamp;
use crate::narrate::Kind;
use crate::text::{is_unsafe_char, sanitize};

/// A JSON value for an event field.
#[derive(Debug, Clone)]
pub enum Value {
    /// A string (escaped on output).
    Str(String),
    /// A number.
    Num(u64),
}

impl From<&str> for Value {
    fn from(text: &str) -> Self {
        Value::Str(text.to_string())
    }
}

impl From<String> for Value {
    fn from(text: String) -> Self {
        Value::Str(text)
    }
}

impl From<u64> for Value {
    fn from(n: u64) -> Self {
        Value::Num(n)
    }
}

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
        let line = self.format_event(event, kind, text, fields);
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
                ("time", Value::Str(stamp.full())),
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
        to_stderr(&format!("netplay: {}", crate::text::escape_unsafe(reason)));
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
            for piece in bytes.split_inclusive(|b| *b == b'\n') {
                let (line, newline) = match piece.strip_suffix(b"\n") {
                    Some(line) => (line, true),
                    None => (piece, false),
                };
                out.write_all(sanitize(line).as_bytes())?;
                if newline {
                    out.write_all(b"\n")?;
                }
            }
        } else {
            out.write_all(bytes)?;
        }
        out.flush()
    }
}

/// Writes one diagnostic line to stderr. A closed stderr (`2>&1 | head -1`)
/// is ignored: diagnostics are never worth a crash, and the data on stdout
/// goes on (`eprintln!` would panic on EPIPE).
pub fn to_stderr(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{line}");
}

/// One JSON object on one line. Strings escape `"`, `\`, every control
/// character and the bidi/invisible ones as `\uXXXX`, so a JSON line is
/// safe even when a person reads it in a terminal.
pub fn json_object(fields: &[(&str, Value)]) -> String {
    let mut out = String::from("{");
    for (index, (name, value)) in fields.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        json_string(&mut out, name);
        out.push(':');
        match value {
            Value::Str(text) => json_string(&mut out, text),
            Value::Num(n) => out.push_str(&n.to_string()),
        }
    }
    out.push('}');
    out
}

fn json_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe_char(c) => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escapes_everything_dangerous() {
        let line = json_object(&[
            ("a", "q\"\\\n\u{1b}\u{9b}\u{202e}é".into()),
            ("n", 7u64.into()),
        ]);
        assert_eq!(line, r#"{"a":"q\"\\\n\u001b\u009b\u202eé","n":7}"#);
    }
}
