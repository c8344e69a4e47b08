//! The HTTP tab's response pane as data: the exchange (response, request as
//! sent, timing & TLS) turned into display lines, built once per change and
//! cached by the tab. Every byte from the network passes the untrusted-bytes
//! gate here.

use ratatui::style::Style;
use ratatui::text::Line;

use super::{status_text, HttpTab, View};
use crate::format::count;
use crate::text::{hex_dump, sanitize, sanitize_str};
use crate::ui::shell::theme;
use crate::ui::widgets::log_view::wrap;

impl HttpTab {
    /// The response pane's lines for the current view at `width` columns.
    pub(super) fn response_lines(&self, width: usize) -> Vec<Line<'static>> {
        let mut out = Vec::new();
        let exchange = &self.exchange;
        if exchange.url.is_none() {
            out.push(Line::styled("Nothing sent yet.", theme::dim()));
            return out;
        }
        match self.view {
            View::Response => self.response_view(width, &mut out),
            View::Sent => match &exchange.sent {
                Some(sent) => {
                    let mut title = format!("{} bytes written", count(sent.len as u64));
                    if sent.preview.len() < sent.len {
                        title.push_str(&format!(
                            " · first {} shown",
                            count(sent.preview.len() as u64)
                        ));
                    }
                    out.push(section(&title));
                    raw_lines(&sent.preview, width, self.hex, &mut out);
                }
                None => out.push(Line::styled("Not sent yet.", theme::dim())),
            },
            View::Connection => self.connection_view(width, &mut out),
        }
        out
    }

    fn response_view(&self, width: usize, out: &mut Vec<Line<'static>>) {
        let exchange = &self.exchange;
        if let Some(error) = &exchange.error {
            for piece in wrap(&format!("✗ {error}"), width) {
                out.push(Line::styled(piece, theme::error()));
            }
        }
        if self.redirects.len() > 1 {
            out.push(section("redirect chain"));
            for (index, url) in self.redirects.iter().enumerate() {
                push_wrapped(
                    out,
                    &format!("{}. {}", index + 1, sanitize_str(url)),
                    width,
                    Style::default(),
                );
            }
        }
        for interim in &exchange.interims {
            out.push(section(&format!(
                "interim {} (shown, skipped)",
                status_text(interim)
            )));
            raw_lines(&interim.raw, width, false, out);
        }
        let Some(head) = &exchange.head else {
            if exchange.error.is_none() {
                out.push(Line::styled("Waiting for the response…", theme::dim()));
            }
            return;
        };
        for warning in &head.warnings {
            push_wrapped(out, &format!("⚠ {warning}"), width, theme::warn());
        }
        if let Some(location) = head.location() {
            push_wrapped(
                out,
                &format!("→ Location: {} — F9 follows", sanitize_str(&location)),
                width,
                theme::warn(),
            );
        }
        if let Some(summary) = head.invalid_summary() {
            push_wrapped(
                out,
                &format!("⚠ {summary}: shown as received, framed by {}", head.framing),
                width,
                theme::warn(),
            );
        }
        out.push(section(&format!(
            "raw head · {} bytes exactly as received · {}",
            count(head.raw.len() as u64),
            head.framing
        )));
        for (index, piece) in head.raw.split_inclusive(|b| *b == b'\n').enumerate() {
            push_wrapped(out, &sanitize(piece), width, Style::default());
            for problem in head.invalid.iter().filter(|p| p.line == index) {
                push_wrapped(
                    out,
                    &format!("  ↑ {}", problem.reason),
                    width,
                    theme::warn(),
                );
            }
        }
        out.push(section(&format!("headers · {}", head.headers.len())));
        let name_width = head
            .headers
            .iter()
            .map(|(n, _)| n.chars().count())
            .max()
            .unwrap_or(0)
            .min(30);
        for (name, value) in &head.headers {
            let text = format!("{:<name_width$}  {}", sanitize_str(name), sanitize(value));
            push_wrapped(out, &text, width, Style::default());
        }
        if exchange.events.any() {
            exchange.events.lines(width, out);
        }
        if exchange.ws.any() {
            exchange.ws.lines(width, out);
            return;
        }
        let Some(body) = &exchange.body else {
            if !exchange.finished {
                let waiting = if exchange.events.any() {
                    "The event stream is open: it lasts until the server ends it (Esc cancels)"
                } else {
                    "Receiving the body…"
                };
                push_wrapped(out, waiting, width, theme::dim());
            }
            return;
        };
        let mut title = format!("body · {} B", count(body.size));
        let (preview, decoded_note) = match &body.decoded {
            Some(decoded) if decoded.complete => {
                title.push_str(&format!(
                    " {} → {} B decoded",
                    decoded.encoding,
                    count(decoded.size)
                ));
                (&decoded.preview, decoded.error.clone())
            }
            Some(decoded) => {
                title.push_str(&format!(
                    " {} → first {} B decoded (decoding stops after the preview)",
                    decoded.encoding,
                    count(decoded.size)
                ));
                (&decoded.preview, decoded.error.clone())
            }
            None => (&body.preview, None),
        };
        let shown_of = body.decoded.as_ref().map_or(body.size, |d| d.size);
        if body.decoded.as_ref().is_none_or(|d| d.complete) && (preview.len() as u64) < shown_of {
            title.push_str(&format!(" · first {} B shown", count(preview.len() as u64)));
        }
        out.push(section(&title));
        if let Some(note) = decoded_note {
            push_wrapped(out, &format!("⚠ {note}"), width, theme::warn());
        }
        if preview.is_empty() {
            out.push(Line::styled("(empty body)", theme::dim()));
        } else {
            raw_lines(preview, width, self.hex, out);
        }
        if !exchange.trailers.is_empty() {
            out.push(section("trailers"));
            for (name, value) in &exchange.trailers {
                push_wrapped(
                    out,
                    &format!("{}: {}", sanitize_str(name), sanitize(value)),
                    width,
                    Style::default(),
                );
            }
        }
    }

    fn connection_view(&self, width: usize, out: &mut Vec<Line<'static>>) {
        let exchange = &self.exchange;
        out.push(section("timings (since start, like curl -w)"));
        match &exchange.timings {
            Some(t) => {
                for (step, at) in crate::narrate::http::timing_steps(t) {
                    out.push(Line::raw(format!(
                        "{step:<12} {}",
                        crate::narrate::http::millis(at)
                    )));
                }
            }
            None => out.push(Line::styled("(in progress)", theme::dim())),
        }
        out.push(section("addresses"));
        if !exchange.resolved.is_empty() {
            let text = crate::narrate::http::resolved(&exchange.resolved);
            push_wrapped(out, &text, width, Style::default());
        }
        match exchange.socket {
            Some((local, remote)) => {
                let text = crate::narrate::http::connected(local, remote);
                push_wrapped(out, &text, width, Style::default());
            }
            None => out.push(Line::styled("not connected", theme::dim())),
        }
        for text in &exchange.proxy {
            push_wrapped(out, text, width, Style::default());
        }
        if let Some(names) = &exchange.names {
            // Four separate things: the name, the address, Host and SNI.
            for text in names.iter() {
                push_wrapped(out, text, width, Style::default());
            }
        }
        if let Some(tls) = &exchange.tls {
            out.push(section("TLS"));
            if tls.insecure {
                out.push(Line::styled(
                    "INSECURE: the certificate was not verified",
                    theme::error(),
                ));
            }
            for text in tls.lines() {
                push_wrapped(out, &text, width, Style::default());
            }
        }
    }
}

fn section(title: &str) -> Line<'static> {
    Line::styled(format!("── {title} ──"), theme::dim())
}

fn push_wrapped(out: &mut Vec<Line<'static>>, text: &str, width: usize, style: Style) {
    for piece in wrap(text, width) {
        out.push(Line::styled(piece, style));
    }
}

/// Raw bytes as lines: split after each `\n` (so `\r\n` stays visible at the
/// end of each line), sanitized and wrapped; or a hex dump.
fn raw_lines(bytes: &[u8], width: usize, hex: bool, out: &mut Vec<Line<'static>>) {
    if hex {
        for line in hex_dump(bytes) {
            push_wrapped(out, &line, width, Style::default());
        }
        return;
    }
    for piece in bytes.split_inclusive(|b| *b == b'\n') {
        push_wrapped(out, &sanitize(piece), width, Style::default());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::http::response::{Output, ResponseParser};

    fn head_of(wire: &[u8]) -> crate::net::http::Head {
        ResponseParser::new(false)
            .feed(wire)
            .expect("parses")
            .into_iter()
            .find_map(|out| match out {
                Output::Head(head) => Some(head),
                _ => None,
            })
            .expect("a head")
    }

    fn text(lines: &[Line<'static>]) -> String {
        lines
            .iter()
            .map(|line| {
                line.spans
                    .iter()
                    .map(|s| s.content.as_ref())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn the_raw_head_is_shown_exactly_and_inert_with_problems_marked() {
        let mut tab = HttpTab::new("http://127.0.0.1:9999/");
        tab.exchange.url = Some(url::Url::parse("http://127.0.0.1:9999/").unwrap());
        tab.exchange.head = Some(head_of(
            b"HTTP/1.1 200 OK\r\nX-Evil: \x1b]0;x\x07\r\nContent-Length: 2\r\n\r\n",
        ));
        let shown = text(&tab.response_lines(100));
        assert!(shown.contains("HTTP/1.1 200 OK\\r\\n"), "{shown}");
        assert!(shown.contains("X-Evil: \\x1b]0;x\\x07\\r\\n"), "{shown}");
        assert!(shown.contains("↑ control byte 0x1b at offset 8"), "{shown}");
        assert!(!shown.contains('\u{1b}') && !shown.contains('\u{7}'));
        assert!(shown.contains("headers · 2"), "{shown}");
    }

    #[test]
    fn lines_wrap_to_the_width() {
        let mut tab = HttpTab::new("http://127.0.0.1:9999/");
        tab.exchange.url = Some(url::Url::parse("http://127.0.0.1:9999/").unwrap());
        let long = format!("HTTP/1.1 200 OK\r\nX-Long: {}\r\n\r\n", "v".repeat(300));
        tab.exchange.head = Some(head_of(long.as_bytes()));
        // Section rules are cut by the pane; everything else wraps.
        for line in tab.response_lines(40) {
            let content: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
            if !content.starts_with("──") {
                assert!(content.chars().count() <= 40, "{content}");
            }
        }
    }
}
