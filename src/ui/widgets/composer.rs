//! The message input of the TCP Server, TCP Client and UDP tabs: history,
//! a selectable line ending, and optional escapes (the sanitizer's own
//! syntax), turning what the user typed into bytes.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::Frame;

use crate::state::Memory;
use crate::text::parse_escapes;
use crate::ui::shell::theme;
use crate::ui::widgets::history::History;
use crate::ui::widgets::input::{title, InputField};

/// Messages remembered for Up/Down recall.
pub const HISTORY_LIMIT: usize = crate::ui::widgets::history::HISTORY_LIMIT;

/// What is appended to each message sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LineEnding {
    /// Nothing: the tutorial's client sent bare words.
    #[default]
    None,
    /// `\n`, as `nc` sends.
    Lf,
    /// `\r\n`, as telnet and HTTP use.
    CrLf,
}

impl LineEnding {
    /// Every line ending, in cycle order.
    pub const ALL: [LineEnding; 3] = [LineEnding::None, LineEnding::Lf, LineEnding::CrLf];

    /// The bytes appended.
    pub fn bytes(self) -> &'static [u8] {
        match self {
            LineEnding::None => b"",
            LineEnding::Lf => b"\n",
            LineEnding::CrLf => b"\r\n",
        }
    }

    /// Its name on screen.
    pub fn name(self) -> &'static str {
        match self {
            LineEnding::None => "none",
            LineEnding::Lf => "LF",
            LineEnding::CrLf => "CRLF",
        }
    }

    /// The next choice, wrapping around.
    pub fn next(self) -> Self {
        match self {
            LineEnding::None => LineEnding::Lf,
            LineEnding::Lf => LineEnding::CrLf,
            LineEnding::CrLf => LineEnding::None,
        }
    }
}

/// A message input with history, line ending and escapes.
pub struct Composer {
    field: InputField,
    history: History,
    /// Appended to every message.
    pub line_ending: LineEnding,
    /// Whether `\xNN`, `\r`, `\n`, `\t`, `\0`, `\\` are decoded.
    pub escapes: bool,
}

impl Composer {
    /// An empty composer with the tutorial's defaults (no line ending, no escapes).
    pub fn new(placeholder: &str) -> Self {
        Self {
            field: InputField::new("", placeholder),
            history: History::default(),
            line_ending: LineEnding::None,
            escapes: false,
        }
    }

    /// The text typed so far.
    pub fn text(&self) -> &str {
        self.field.text()
    }

    /// Applies an editing key; Up/Down walk the history.
    pub fn input(&mut self, key: KeyEvent) -> bool {
        match key.code {
            KeyCode::Up => self.history.older(&mut self.field),
            KeyCode::Down => self.history.newer(&mut self.field),
            _ => {
                let changed = self.field.input(key);
                if changed {
                    self.history.edited();
                }
                changed
            }
        }
    }

    /// The settings keys every composer shares: F3 cycles the line ending,
    /// F4 toggles escapes. Returns whether the key was one of them.
    pub fn settings_key(&mut self, key: KeyEvent) -> bool {
        match key.code {
            KeyCode::F(3) => self.line_ending = self.line_ending.next(),
            KeyCode::F(4) => self.escapes = !self.escapes,
            _ => return false,
        }
        true
    }

    /// Replaces the text with `text` written in escape syntax, escapes on
    /// and no line ending added: what editing held bytes starts from.
    pub fn load_escaped(&mut self, text: &str) {
        self.field.set_text(text);
        self.escapes = true;
        self.line_ending = LineEnding::None;
        self.history.edited();
    }

    /// Keeps the line ending, escapes and history under `prefix` (`client`).
    pub fn remember(&self, prefix: &str, memory: &mut Memory) {
        memory.set(&format!("{prefix}.eol"), self.line_ending.name());
        memory.set(
            &format!("{prefix}.escapes"),
            if self.escapes { "on" } else { "off" },
        );
        memory.set_list(&format!("{prefix}.history"), self.history.items());
    }

    /// Takes back what [`Composer::remember`] kept.
    pub fn restore(&mut self, prefix: &str, memory: &Memory) {
        if let Some(eol) = memory.get(&format!("{prefix}.eol")) {
            if let Some(found) = LineEnding::ALL.into_iter().find(|e| e.name() == eol) {
                self.line_ending = found;
            }
        }
        if let Some(escapes) = memory.get(&format!("{prefix}.escapes")) {
            self.escapes = escapes == "on";
        }
        self.history
            .replace(memory.list(&format!("{prefix}.history")));
    }

    /// Inserts pasted text as one line.
    pub fn paste(&mut self, text: &str) -> bool {
        self.field.paste(text)
    }

    /// The bytes the current text stands for, without consuming it.
    pub fn bytes(&self) -> Result<Vec<u8>, String> {
        let text = self.field.text();
        let mut bytes = if self.escapes {
            parse_escapes(text).map_err(|err| err.to_string())?
        } else {
            text.as_bytes().to_vec()
        };
        bytes.extend_from_slice(self.line_ending.bytes());
        Ok(bytes)
    }

    /// The message the Code overlay (F12) writes into its scripts: the text
    /// being typed, else the last one sent, with escapes and line ending
    /// applied; `Michael` (the tutorial's) when there is neither.
    pub fn message_for_code(&self) -> Vec<u8> {
        let text = match self.field.text() {
            "" => self.history.last().unwrap_or("Michael"),
            typed => typed,
        };
        let mut bytes = if self.escapes {
            parse_escapes(text).unwrap_or_else(|_| text.as_bytes().to_vec())
        } else {
            text.as_bytes().to_vec()
        };
        bytes.extend_from_slice(self.line_ending.bytes());
        bytes
    }

    /// Takes the message to send: its bytes, then the field is cleared and
    /// the text goes to history. `Ok(None)` when there is nothing to send.
    pub fn take(&mut self) -> Result<Option<Vec<u8>>, String> {
        let bytes = self.bytes()?;
        if bytes.is_empty() {
            return Ok(None);
        }
        let text = self.field.text().to_string();
        self.history.push(&text);
        self.field.clear();
        Ok(Some(bytes))
    }

    /// Draws the input; the title names the target and the settings keys.
    pub fn render(&mut self, frame: &mut Frame, area: Rect, name: &str, focused: bool) {
        let settings = vec![
            Span::styled("· EOL ", theme::dim()),
            Span::raw(self.line_ending.name()),
            Span::styled(" (F3) · escapes ", theme::dim()),
            if self.escapes {
                Span::styled("on", theme::warn())
            } else {
                Span::raw("off")
            },
            Span::styled(" (F4) ", theme::dim()),
        ];
        self.field
            .render(frame, area, title(name, settings), focused);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyModifiers;

    fn typed(composer: &mut Composer, text: &str) {
        for c in text.chars() {
            composer.input(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
    }

    #[test]
    fn line_endings_and_escapes() {
        let mut c = Composer::new("");
        typed(&mut c, "hi\\x41");
        assert_eq!(c.bytes().unwrap(), b"hi\\x41");
        c.escapes = true;
        c.line_ending = LineEnding::CrLf;
        assert_eq!(c.bytes().unwrap(), b"hiA\r\n");
        typed(&mut c, "\\q");
        assert!(c.take().unwrap_err().contains("unknown escape"));
        assert_eq!(c.text(), "hi\\x41\\q", "a bad message is kept for fixing");
    }

    #[test]
    fn history_recall() {
        let mut c = Composer::new("");
        for word in ["Michael", "Tracy"] {
            typed(&mut c, word);
            assert_eq!(c.take().unwrap().unwrap(), word.as_bytes());
        }
        typed(&mut c, "dra");
        c.input(KeyEvent::new(KeyCode::Up, KeyModifiers::NONE));
        assert_eq!(c.text(), "Tracy");
        c.input(KeyEvent::new(KeyCode::Up, KeyModifiers::NONE));
        assert_eq!(c.text(), "Michael");
        c.input(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE));
        c.input(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE));
        assert_eq!(c.text(), "dra", "the draft comes back");
        c.field.clear();
        assert_eq!(c.take().unwrap(), None, "nothing to send");
    }
}
