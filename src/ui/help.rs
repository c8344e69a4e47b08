//! The help overlay (F1): every key, global and per tab.

use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph};
use ratatui::Frame;

use super::{
    http::HttpTab, tcp_client::ClientTab, tcp_server::ServerTab, theme, udp::UdpTab, Hint,
};

/// Keys that work everywhere.
pub const GLOBAL: &[Hint] = &[
    (
        "Alt+1 / Alt+2 / Alt+3 / Alt+4",
        "HTTP / TCP Server / TCP Client / UDP, even while typing",
    ),
    (
        "Tab / Shift+Tab",
        "move focus between the fields and panes of the tab",
    ),
    (
        "Enter",
        "the focused field's action: start/stop, connect/disconnect, send",
    ),
    ("F1", "this help (Esc or F1 closes it)"),
    ("Ctrl+C", "quit at once, terminal restored"),
];

/// Every section of the help: a title and its keys.
const SECTIONS: [(&str, &[Hint]); 5] = [
    ("Everywhere", GLOBAL),
    ("HTTP (Alt+1)", HttpTab::HELP),
    ("TCP Server (Alt+2)", ServerTab::HELP),
    ("TCP Client (Alt+3)", ClientTab::HELP),
    ("UDP (Alt+4)", UdpTab::HELP),
];

/// Every line of the help text, keys in one aligned column.
pub fn lines() -> Vec<Line<'static>> {
    let width = SECTIONS
        .iter()
        .flat_map(|(_, hints)| hints.iter())
        .map(|(key, _)| key.chars().count())
        .max()
        .unwrap_or(0)
        + 2;
    let mut lines = Vec::new();
    for (title, hints) in SECTIONS {
        lines.push(Line::styled(title.to_string(), theme::good()));
        for (key, does) in hints {
            lines.push(Line::from(vec![
                Span::styled(format!("  {key:<width$}"), theme::key()),
                Span::raw(does.to_string()),
            ]));
        }
        lines.push(Line::raw(""));
    }
    lines.push(Line::styled(
        "Single-letter keys (k, Space) act only when a table or log has focus, never while typing.",
        theme::dim(),
    ));
    lines.push(Line::styled(
        "While connected (or listening) the target (or address) is locked: typing goes to the message.",
        theme::dim(),
    ));
    lines
}

/// Draws the overlay centred over `area`, scrolled down by `scroll` lines
/// (clamped so the last line stays in view).
pub fn render(frame: &mut Frame, area: Rect, scroll: &mut u16) {
    let text = lines();
    let total = text.len() as u16;
    let height = (total + 2).min(area.height);
    *scroll = (*scroll).min(total.saturating_sub(height.saturating_sub(2)));
    let width = 110.min(area.width);
    let [row] = Layout::vertical([Constraint::Length(height)])
        .flex(Flex::Center)
        .areas(area);
    let [popup] = Layout::horizontal([Constraint::Length(width)])
        .flex(Flex::Center)
        .areas(row);
    frame.render_widget(Clear, popup);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(theme::focused_border())
        .title(if total + 2 > area.height {
            " netplay keys · ↑↓ PgUp PgDn scroll · Esc closes "
        } else {
            " netplay keys · Esc closes "
        });
    frame.render_widget(
        Paragraph::new(text).block(block).scroll((*scroll, 0)),
        popup,
    );
}
