//! One single-line text field over tui-textarea, used for every address,
//! target and message input.
//!
//! The field never sees Enter, Ctrl+M, Ctrl+J or Tab: the tab owning it
//! handles those first, so Enter always means "do the action" and never
//! inserts a newline. Pasted text loses its line breaks.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::Frame;
use tui_textarea::TextArea;

use crate::ui::shell::theme;

/// A bordered single-line input with a title.
pub struct InputField {
    textarea: TextArea<'static>,
}

impl InputField {
    /// A field holding `initial`, showing `placeholder` while empty.
    pub fn new(initial: &str, placeholder: &str) -> Self {
        let mut textarea = TextArea::new(vec![initial.to_string()]);
        textarea.set_placeholder_text(placeholder);
        textarea.set_placeholder_style(theme::dim());
        textarea.set_cursor_line_style(ratatui::style::Style::default());
        textarea.move_cursor(tui_textarea::CursorMove::End);
        Self { textarea }
    }

    /// The field's text.
    pub fn text(&self) -> &str {
        self.textarea.lines().first().map_or("", String::as_str)
    }

    /// Replaces the text, cursor at the end.
    pub fn set_text(&mut self, text: &str) {
        self.textarea.select_all();
        self.textarea.cut();
        self.textarea.insert_str(single_line(text));
    }

    /// Empties the field.
    pub fn clear(&mut self) {
        self.set_text("");
    }

    /// Applies an editing key; returns whether the text changed. Keys that
    /// would add a line (Enter, Ctrl+M) and Tab are refused; Ctrl+U clears
    /// to the start of the line, as in a shell.
    pub fn input(&mut self, key: KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Enter | KeyCode::Tab | KeyCode::BackTab => false,
            KeyCode::Char('m') if ctrl => false,
            KeyCode::Char('u') if ctrl => self.textarea.delete_line_by_head(),
            KeyCode::Char(c) if crate::text::is_unsafe_char(c) => self
                .textarea
                .insert_str(crate::text::escape_unsafe(&c.to_string())),
            _ => self.textarea.input(key),
        }
    }

    /// Inserts pasted text with its line breaks removed.
    pub fn paste(&mut self, text: &str) -> bool {
        self.textarea.insert_str(single_line(text))
    }

    /// Draws the field; `title` may carry settings spans.
    pub fn render(&mut self, frame: &mut Frame, area: Rect, title: Line<'static>, focused: bool) {
        self.textarea.set_block(theme::pane(title, focused));
        self.textarea.set_cursor_style(if focused {
            ratatui::style::Style::default().add_modifier(ratatui::style::Modifier::REVERSED)
        } else {
            ratatui::style::Style::default()
        });
        frame.render_widget(&self.textarea, area);
    }
}

/// A title for a field: a name, then optional `text` spans.
pub fn title(name: &str, extra: Vec<Span<'static>>) -> Line<'static> {
    let mut spans = vec![Span::raw(format!(" {name} "))];
    spans.extend(extra);
    Line::from(spans)
}

/// Pasted (or remembered) text for a one-line field: line breaks and tabs
/// become spaces, and every character that could drive the terminal is
/// written as its escape (`\u{1b}`), which the composer's escapes mode
/// turns back into the byte.
fn single_line(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| {
            if matches!(c, '\n' | '\r' | '\t') {
                ' '
            } else {
                c
            }
        })
        .collect();
    crate::text::escape_unsafe(flat.trim_end())
}

/// Pasted text for a multi-line editor: CRLF becomes LF, line breaks and
/// tabs stay, every other character that could drive the terminal is
/// written as its escape.
pub fn multi_line(text: &str) -> String {
    text.replace("\r\n", "\n")
        .split('\n')
        .map(|line| {
            line.split('\t')
                .map(crate::text::escape_unsafe)
                .collect::<Vec<_>>()
                .join("\t")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasted_controls_are_shown_as_escapes_never_raw() {
        let mut field = InputField::new("", "");
        field.paste("A\u{1b}[31mRED\u{1b}]0;pwn\u{7}\nL2\r\u{202e}Z\u{7f}");
        let text = field.text().to_string();
        assert!(!text.chars().any(crate::text::is_unsafe_char), "{text:?}");
        assert!(text.starts_with("A\\u{1b}[31mRED"), "{text:?}");
        let editor = multi_line("GET / HTTP/1.1\r\nX: \u{1b}]52;c;AAAA\u{7}\tok\n");
        assert!(!editor
            .chars()
            .any(|c| c != '\n' && c != '\t' && crate::text::is_unsafe_char(c)));
        assert!(editor.contains("\tok\n"));
    }
    use crossterm::event::KeyEventKind;

    fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        let mut key = KeyEvent::new(code, modifiers);
        key.kind = KeyEventKind::Press;
        key
    }

    #[test]
    fn enter_and_ctrl_m_never_add_lines_ctrl_u_clears() {
        let mut field = InputField::new("abc", "");
        assert!(!field.input(key(KeyCode::Enter, KeyModifiers::NONE)));
        assert!(!field.input(key(KeyCode::Char('m'), KeyModifiers::CONTROL)));
        assert!(field.input(key(KeyCode::Char('d'), KeyModifiers::NONE)));
        assert_eq!(field.text(), "abcd");
        assert!(field.input(key(KeyCode::Char('u'), KeyModifiers::CONTROL)));
        assert_eq!(field.text(), "", "Ctrl+U clears to the line head");
    }

    #[test]
    fn paste_is_one_line() {
        let mut field = InputField::new("", "");
        field.paste("one\r\ntwo\n");
        assert_eq!(field.text(), "one  two");
        field.set_text("x\ny");
        assert_eq!(field.text(), "x y");
        field.clear();
        assert_eq!(field.text(), "");
    }
}
