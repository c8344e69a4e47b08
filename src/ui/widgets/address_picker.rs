//! "Where to listen": this machine's addresses in a small overlay (Ctrl+L
//! on the server, UDP and relay tabs), each with what choosing it means.
//! Enter puts the chosen address in the tab's address field, keeping the
//! port.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use crate::net::kernel::interfaces::{self, Choice};
use crate::ui::shell::theme;

/// What a key did in the picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Picked {
    /// Still choosing.
    Moved,
    /// This address was chosen.
    Chosen(Choice),
    /// Closed without a choice.
    Closed,
}

/// The open picker.
#[derive(Debug, Clone)]
pub struct AddressPicker {
    choices: Vec<Choice>,
    at: usize,
}

impl AddressPicker {
    /// The picker over this machine's addresses, read now.
    pub fn open() -> Self {
        Self {
            choices: interfaces::choices(),
            at: 0,
        }
    }

    /// Handles a key: ↑↓ move, Enter chooses, Esc closes.
    pub fn key(&mut self, key: &KeyEvent) -> Picked {
        match key.code {
            KeyCode::Up => self.at = self.at.saturating_sub(1),
            KeyCode::Down => self.at = (self.at + 1).min(self.choices.len().saturating_sub(1)),
            KeyCode::Enter => {
                return match self.choices.get(self.at) {
                    Some(choice) => Picked::Chosen(choice.clone()),
                    None => Picked::Closed,
                }
            }
            KeyCode::Esc => return Picked::Closed,
            _ => {}
        }
        Picked::Moved
    }

    /// Draws the overlay in the middle of `area`.
    pub fn render(&self, frame: &mut Frame, area: Rect) {
        let popup = crate::ui::popup(frame, area, 100, self.choices.len() as u16 + 3);
        let mut lines: Vec<Line> = self
            .choices
            .iter()
            .enumerate()
            .map(|(at, choice)| {
                let style = if at == self.at {
                    theme::highlight()
                } else {
                    ratatui::style::Style::default()
                };
                Line::from(vec![
                    Span::styled(format!(" {:<28}", choice.host()), style),
                    Span::styled(format!("{:<16}", choice.interface), theme::dim()),
                    Span::raw(choice.meaning),
                ])
            })
            .collect();
        lines.push(Line::styled(
            " ↑↓ choose · Enter puts it in the address (the port stays) · Esc closes",
            theme::dim(),
        ));
        frame.render_widget(Clear, popup);
        let block = theme::pane(" This machine's addresses: where to listen ", true);
        frame.render_widget(Paragraph::new(lines).block(block), popup);
    }
}

/// `address` with its host replaced by `host`, keeping the port (`9999`
/// when it has none).
pub fn with_host(address: &str, host: &str) -> String {
    let port = address
        .trim()
        .rsplit_once(':')
        .map(|(_, port)| port)
        .filter(|port| !port.is_empty() && port.chars().all(|c| c.is_ascii_digit()))
        .unwrap_or("9999");
    format!("{host}:{port}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_port_stays() {
        assert_eq!(with_host("127.0.0.1:8080", "0.0.0.0"), "0.0.0.0:8080");
        assert_eq!(with_host("[::1]:7", "[::]"), "[::]:7");
        assert_eq!(with_host("", "127.0.0.1"), "127.0.0.1:9999");
    }
}
