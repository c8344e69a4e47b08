//! The rules editor (Alt+E on the TCP Server tab): the rules of rules mode
//! in a text area, checked at every keystroke. While they parse, they are
//! the rules in force (a running server answers by them from its next
//! line); a bad line keeps the last good rules in force and shows its
//! error beside its line number.

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use tui_textarea::TextArea;

use crate::net::behaviour::rules::{RuleError, Rules};
use crate::ui::shell::theme;

/// The example a new editor starts with.
const EXAMPLE: &str = "# PATTERN => REPLY (first match wins; * matches anything)\n^PING (\\d+)$ => PONG $1 #{{n}}\\n\n^QUIT$ => close\n";

/// What a key did in the editor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditorKey {
    /// Still editing (the rules may have changed).
    Edited,
    /// Esc: close the editor (the rules in force stay).
    Close,
}

/// The editor and the rules it last parsed.
pub struct RulesEditor {
    area: TextArea<'static>,
    errors: Vec<RuleError>,
    rules: Arc<Rules>,
    /// Whether the overlay is shown.
    pub open: bool,
}

impl Default for RulesEditor {
    fn default() -> Self {
        Self::with_text(EXAMPLE)
    }
}

impl RulesEditor {
    /// An editor holding `text` (the remembered rules).
    pub fn with_text(text: &str) -> Self {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        // An empty last line with the cursor on it: what is typed on
        // opening becomes a new rule instead of joining the first line.
        if lines.last().is_none_or(|last| !last.is_empty()) {
            lines.push(String::new());
        }
        let mut area = TextArea::new(lines);
        area.move_cursor(tui_textarea::CursorMove::Bottom);
        area.set_line_number_style(theme::dim());
        area.set_cursor_line_style(Style::default());
        let mut editor = Self {
            area,
            errors: Vec::new(),
            rules: Arc::new(Rules::none()),
            open: false,
        };
        editor.check();
        editor
    }

    /// The rules in force (the last text that parsed).
    pub fn rules(&self) -> Arc<Rules> {
        Arc::clone(&self.rules)
    }

    /// The text, for the remembered state.
    pub fn text(&self) -> String {
        self.area.lines().join("\n")
    }

    /// A key while open; Esc closes.
    pub fn key(&mut self, key: KeyEvent) -> EditorKey {
        if key.code == KeyCode::Esc {
            self.open = false;
            return EditorKey::Close;
        }
        if self.area.input(key) {
            self.check();
        }
        EditorKey::Edited
    }

    /// Pasted text, checked like typing.
    pub fn paste(&mut self, text: &str) {
        if self
            .area
            .insert_str(crate::ui::widgets::input::multi_line(text))
        {
            self.check();
        }
    }

    fn check(&mut self) {
        match Rules::parse(&self.text()) {
            Ok(rules) => {
                self.rules = Arc::new(rules);
                self.errors.clear();
            }
            Err(errors) => self.errors = errors,
        }
    }

    /// Draws the editor over `area`.
    pub fn render(&mut self, frame: &mut Frame, area: Rect) {
        let popup = crate::ui::popup(
            frame,
            area,
            area.width.saturating_sub(4).min(110),
            area.height.saturating_sub(2).min(24),
        );
        let state = if self.errors.is_empty() {
            format!(
                " Rules · {} in force ",
                crate::format::plural(self.rules.len() as u64, "rule")
            )
        } else {
            " Rules · the last good ones stay in force ".to_string()
        };
        let [editor, errors] = Layout::vertical([
            Constraint::Min(3),
            Constraint::Length(u16::try_from(self.errors.len().min(5)).unwrap_or(5) + 1),
        ])
        .areas(popup);
        self.area.set_block(theme::pane(state, true));
        frame.render_widget(&self.area, editor);
        let mut lines: Vec<Line> = self
            .errors
            .iter()
            .take(5)
            .map(|error| {
                Line::styled(
                    format!(" ✗ {}", crate::text::sanitize_str(&error.to_string())),
                    theme::error(),
                )
            })
            .collect();
        lines.push(Line::styled(
            " PATTERN => REPLY · $1 {{n}} {{peer}} {{time}} {{len}} · => close · => ignore · Esc closes",
            theme::dim(),
        ));
        frame.render_widget(Paragraph::new(lines), errors);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_line_keeps_the_last_good_rules_in_force() {
        let mut editor = RulesEditor::default();
        assert_eq!(editor.rules().len(), 2);
        editor.key(KeyEvent::new(
            KeyCode::Char('>'),
            crossterm::event::KeyModifiers::ALT,
        ));
        editor.key(KeyEvent::from(KeyCode::End));
        // The cursor is on the empty line after the example's rules.
        editor.paste("no arrow");
        assert_eq!(editor.errors.len(), 1);
        assert_eq!(editor.errors[0].line, 4);
        assert_eq!(editor.rules().len(), 2, "the last good rules stay");
        editor.key(KeyEvent::from(KeyCode::Char(' ')));
        editor.paste("=> x");
        assert!(editor.errors.is_empty(), "{:?}", editor.errors);
        assert_eq!(editor.rules().len(), 3);
    }

    #[test]
    fn typing_on_opening_adds_a_rule_after_the_example() {
        let mut editor = RulesEditor::default();
        editor.paste("^HELLO$ => hi\\n");
        assert!(editor.errors.is_empty(), "{:?}", editor.errors);
        assert_eq!(editor.rules().len(), 3);
        assert!(
            editor.text().ends_with("^QUIT$ => close\n^HELLO$ => hi\\n"),
            "{}",
            editor.text()
        );
        // Round trip through the remembered text: the same rules, and no
        // blank lines pile up over restarts.
        let again = RulesEditor::with_text(&editor.text());
        assert_eq!(again.text().trim_end(), editor.text().trim_end());
        let third = RulesEditor::with_text(&again.text());
        assert_eq!(third.text(), again.text());
    }
}
