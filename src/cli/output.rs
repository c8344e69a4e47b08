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
