//! The HTTP and UDP tabs until their issues land: they say plainly that they
//! are not built yet, and what to use meanwhile.

use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Wrap};
use ratatui::Frame;

use super::theme;

/// Draws a "not built yet" pane with a title and suggestions.
pub fn render(frame: &mut Frame, area: Rect, name: &str, lines: &[&str]) {
    let mut text = vec![
        Line::styled(format!("The {name} tab is not built yet."), theme::warn()),
        Line::raw(""),
    ];
    text.extend(lines.iter().map(|line| Line::raw(line.to_string())));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(theme::border())
        .title(format!(" {name} "));
    frame.render_widget(
        Paragraph::new(text).block(block).wrap(Wrap { trim: false }),
        area,
    );
}

/// What the HTTP tab says meanwhile.
pub const HTTP_LINES: &[&str] = &[
    "Meanwhile, netplay can already serve HTTP offline:",
    "  1. Alt+2 (TCP Server), F5 until the mode is 'http', Enter to listen on 127.0.0.1:9999.",
    "  2. In another terminal: curl -v http://127.0.0.1:9999/",
    "  3. Or Alt+3 (TCP Client), connect, F3 to CRLF, and type a request line by line:",
    "     GET / HTTP/1.1   Host: x   (then an empty line)",
];

/// What the UDP tab says meanwhile.
pub const UDP_LINES: &[&str] = &[
    "UDP binds, datagram tables, bursts and a lossy-network switch come next.",
    "A UDP socket may share port 9999 with the TCP server: they are separate protocols.",
];
