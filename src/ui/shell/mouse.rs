//! The mouse: where things were drawn, so a click or the wheel can find
//! them. Each tab records its fields and panes while it renders (an
//! [`Areas`]); the frame records the tab titles and the footer hints. A
//! click focuses a field or pane and selects a table row; the wheel
//! scrolls the pane under the pointer; a click on a footer hint runs its
//! key (the hints are the key bindings, so this needs no table of its own).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Position, Rect};

/// What a drawn area is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spot {
    /// A text field: a click focuses it.
    Field,
    /// A pane that scrolls (a log, a response): a click focuses it, the
    /// wheel scrolls it.
    Scroll,
    /// A table: a click selects the row under it, the wheel moves the
    /// selection. `first` is the screen row of its first data row and
    /// `offset` the index of the row drawn there.
    Table {
        /// The screen row of the first data row.
        first: u16,
        /// The index of the row drawn there.
        offset: usize,
    },
}

/// The areas one tab drew in its last frame, each with the focus it
/// stands for.
#[derive(Debug, Clone)]
pub struct Areas<F> {
    spots: Vec<(Rect, F, Spot)>,
}

impl<F> Default for Areas<F> {
    fn default() -> Self {
        Self { spots: Vec::new() }
    }
}

/// What a click or the wheel landed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit<F> {
    /// The focus of the area.
    pub focus: F,
    /// What kind of area it is.
    pub spot: Spot,
    /// For a table, the index of the row under the pointer (it may be past
    /// the last row).
    pub row: Option<usize>,
}

impl<F: Copy> Areas<F> {
    /// Forgets the last frame's areas (called at the start of a render).
    pub fn clear(&mut self) {
        self.spots.clear();
    }

    /// Records an area.
    pub fn add(&mut self, area: Rect, focus: F, spot: Spot) {
        self.spots.push((area, focus, spot));
    }

    /// The area at (`column`, `row`); later areas (overlays) win.
    pub fn at(&self, column: u16, row: u16) -> Option<Hit<F>> {
        let position = Position::new(column, row);
        self.spots
            .iter()
            .rev()
            .find(|(area, ..)| area.contains(position))
            .map(|(_, focus, spot)| Hit {
                focus: *focus,
                spot: *spot,
                row: match spot {
                    Spot::Table { first, offset } if row >= *first => {
                        Some(offset + usize::from(row - first))
                    }
                    _ => None,
                },
            })
    }
}

/// The key a footer hint names (`F5`, `Enter`, `Ctrl+T`, `k/Del`, `Alt+C`,
/// `Space`): the first one when it names several; `None` for hints that
/// name no single key (`Alt+1-5`, `↑↓`).
pub fn key_of_hint(name: &str) -> Option<KeyEvent> {
    let first = name.split(['/', ' ']).next()?.trim();
    let plain = |code| Some(KeyEvent::new(code, KeyModifiers::NONE));
    if let Some(n) = first.strip_prefix('F').and_then(|n| n.parse::<u8>().ok()) {
        return plain(KeyCode::F(n));
    }
    if let Some(c) = first.strip_prefix("Ctrl+").and_then(single) {
        return Some(KeyEvent::new(
            KeyCode::Char(c.to_ascii_lowercase()),
            KeyModifiers::CONTROL,
        ));
    }
    if let Some(c) = first.strip_prefix("Alt+").and_then(single) {
        return Some(KeyEvent::new(
            KeyCode::Char(c.to_ascii_lowercase()),
            KeyModifiers::ALT,
        ));
    }
    match first {
        "Enter" => plain(KeyCode::Enter),
        "Esc" => plain(KeyCode::Esc),
        "Tab" => plain(KeyCode::Tab),
        "Space" => plain(KeyCode::Char(' ')),
        "Del" | "Delete" => plain(KeyCode::Delete),
        _ => single(first)
            .filter(char::is_ascii_alphanumeric)
            .and_then(|c| plain(KeyCode::Char(c))),
    }
}

/// A click on a tab: focuses the part under it; the index of the table
/// row under it, if any.
pub fn click<F: Copy>(areas: &Areas<F>, column: u16, row: u16, focus: &mut F) -> Option<usize> {
    let hit = areas.at(column, row)?;
    *focus = hit.focus;
    hit.row
}

/// The wheel on a tab: over a pane or a table, focuses it and gives the
/// keys one notch stands for (three lines, up or down), which the tab
/// handles as if typed; over a field, nothing.
pub fn wheel<F: Copy>(
    areas: &Areas<F>,
    column: u16,
    row: u16,
    down: bool,
    focus: &mut F,
) -> Vec<KeyEvent> {
    match areas.at(column, row) {
        Some(hit) if hit.spot != Spot::Field => {
            *focus = hit.focus;
            vec![KeyEvent::from(if down { KeyCode::Down } else { KeyCode::Up }); 3]
        }
        _ => Vec::new(),
    }
}

fn single(text: &str) -> Option<char> {
    let mut chars = text.chars();
    let c = chars.next()?;
    chars.next().is_none().then_some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_name_their_keys_and_tables_their_rows() {
        assert_eq!(key_of_hint("F5"), Some(KeyEvent::from(KeyCode::F(5))));
        assert_eq!(
            key_of_hint("Ctrl+T"),
            Some(KeyEvent::new(KeyCode::Char('t'), KeyModifiers::CONTROL))
        );
        assert_eq!(
            key_of_hint("k/Del"),
            Some(KeyEvent::from(KeyCode::Char('k')))
        );
        assert_eq!(
            key_of_hint("Space / F9"),
            Some(KeyEvent::from(KeyCode::Char(' ')))
        );
        assert_eq!(key_of_hint("Alt+1-5"), None);
        assert_eq!(key_of_hint("↑↓"), None);
        let mut areas = Areas::default();
        areas.add(Rect::new(0, 0, 10, 3), 1, Spot::Field);
        areas.add(
            Rect::new(0, 3, 10, 6),
            2,
            Spot::Table {
                first: 5,
                offset: 7,
            },
        );
        assert_eq!(areas.at(2, 1).map(|hit| hit.focus), Some(1));
        let hit = areas.at(2, 6).unwrap();
        assert_eq!((hit.focus, hit.row), (2, Some(8)));
        assert_eq!(areas.at(2, 4).unwrap().row, None, "the header");
        assert_eq!(areas.at(20, 1), None);
    }
}
