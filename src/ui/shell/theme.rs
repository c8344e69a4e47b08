//! Colours and styles in one place, so every pane reads the same way.

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, BorderType, Borders};

/// The rounded, titled frame every field and pane uses; its border shows
/// whether it has the keyboard.
pub fn pane<'a>(title: impl Into<Line<'a>>, focused: bool) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(if focused { focused_border() } else { dim() })
        .title(title)
}

/// Border of the focused field or pane.
pub fn focused_border() -> Style {
    Style::default()
        .fg(Color::Cyan)
        .add_modifier(Modifier::BOLD)
}

/// Key names in hints and help.
pub fn key() -> Style {
    Style::default()
        .fg(Color::Yellow)
        .add_modifier(Modifier::BOLD)
}

/// Secondary text: hints, timestamps, closed rows.
pub fn dim() -> Style {
    Style::default().fg(Color::DarkGray)
}

/// Bytes that arrived from a peer.
pub fn incoming() -> Style {
    Style::default().fg(Color::Cyan)
}

/// Bytes netplay sent.
pub fn outgoing() -> Style {
    Style::default().fg(Color::Green)
}

/// Something went right: listening, connected.
pub fn good() -> Style {
    Style::default()
        .fg(Color::Green)
        .add_modifier(Modifier::BOLD)
}

/// Something went wrong.
pub fn error() -> Style {
    Style::default().fg(Color::Red).add_modifier(Modifier::BOLD)
}

/// A warning or a state that needs attention (paused, half-closed).
pub fn warn() -> Style {
    Style::default().fg(Color::Yellow)
}

/// The active tab and selected rows.
pub fn highlight() -> Style {
    Style::default()
        .fg(Color::Black)
        .bg(Color::Cyan)
        .add_modifier(Modifier::BOLD)
}
