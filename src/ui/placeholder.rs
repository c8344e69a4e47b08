//! The UDP tab until its issue lands: they say plainly that they
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

/// What the UDP tab says meanwhile.
pub const UDP_LINES: &[&str] = &[
    "UDP binds, datagram tables, bursts and a lossy-network switch come next.",
    "A UDP socket may share port 9999 with the TCP server: they are separate protocols.",
];
