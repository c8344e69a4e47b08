//! The "Code" overlay (F12): the active tab's socket work as a Python 3
//! script, a one-liner and a Rust/tokio program, for its current settings.
//! `s` saves the page shown to a new file; `c` copies it to the clipboard
//! with OSC 52 (an explicit action: nothing is copied otherwise).

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::code::Code;
use crate::ui::shell::theme;

/// Which version is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// The Python 3 script.
    Python,
    /// The one-liner(s).
    OneLiner,
    /// The Rust/tokio program.
    Rust,
}

impl Page {
    const ALL: [Page; 3] = [Page::Python, Page::OneLiner, Page::Rust];

    fn name(self) -> &'static str {
        match self {
            Page::Python => "Python 3",
            Page::OneLiner => "one-liner",
            Page::Rust => "Rust/tokio",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Page::Python => "py",
            Page::OneLiner => "sh",
            Page::Rust => "rs",
        }
    }
}

/// What a key asked the app to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeKey {
    /// Nothing beyond the overlay itself.
    Nothing,
    /// Close the overlay.
    Close,
    /// Put this text on the clipboard (OSC 52).
    Copy(String),
}

/// The open overlay.
#[derive(Debug, Clone)]
pub struct CodeView {
    tab: &'static str,
    code: Code,
    page: Page,
    scroll: u16,
    status: Option<(bool, String)>,
    dir: std::path::PathBuf,
}

impl CodeView {
    /// The overlay for the tab titled `tab`, showing `code`.
    pub fn new(tab: &'static str, code: Code) -> Self {
        Self {
            tab,
            code,
            page: Page::Python,
            scroll: 0,
            status: None,
            dir: std::path::PathBuf::from("."),
        }
    }

    /// Saves go to `dir` instead of the current directory.
    pub fn save_in(&mut self, dir: impl Into<std::path::PathBuf>) {
        self.dir = dir.into();
    }

    /// The text of the page shown.
    pub fn text(&self) -> &str {
        match self.page {
            Page::Python => &self.code.python,
            Page::OneLiner => &self.code.one_liner,
            Page::Rust => &self.code.rust,
        }
    }

    /// The file name `s` saves the page as.
    pub fn file_name(&self) -> String {
        format!("{}.{}", self.code.stem, self.page.extension())
    }

    /// A key: ←→ Tab switch the page, ↑↓ PgUp PgDn Home scroll, `s` saves,
    /// `c` copies, Esc or F12 closes.
    pub fn key(&mut self, key: &KeyEvent) -> CodeKey {
        let at = Page::ALL.iter().position(|p| *p == self.page).unwrap_or(0);
        match key.code {
            KeyCode::Esc | KeyCode::F(12) => return CodeKey::Close,
            KeyCode::Right | KeyCode::Tab => self.show(Page::ALL[(at + 1) % 3]),
            KeyCode::Left | KeyCode::BackTab => self.show(Page::ALL[(at + 2) % 3]),
            KeyCode::Char('1') => self.show(Page::Python),
            KeyCode::Char('2') => self.show(Page::OneLiner),
            KeyCode::Char('3') => self.show(Page::Rust),
            KeyCode::Down => self.scroll = self.scroll.saturating_add(1),
            KeyCode::Up => self.scroll = self.scroll.saturating_sub(1),
            KeyCode::PageDown => self.scroll = self.scroll.saturating_add(10),
            KeyCode::PageUp => self.scroll = self.scroll.saturating_sub(10),
            KeyCode::Home => self.scroll = 0,
            KeyCode::Char('s') => self.save(),
            KeyCode::Char('c') => {
                self.status = Some((
                    true,
                    format!(
                        "Copied the {} page (OSC 52: the terminal puts it on the clipboard, if it allows)",
                        self.page.name()
                    ),
                ));
                return CodeKey::Copy(self.text().to_string());
            }
            _ => {}
        }
        CodeKey::Nothing
    }

    /// Shows `page` from its top.
    pub fn show(&mut self, page: Page) {
        self.page = page;
        self.scroll = 0;
    }

    /// Saves the page to a new file in the current directory (never over
    /// an existing one). A few kilobytes: written at once.
    fn save(&mut self) {
        let text = self.text().to_string();
        let saved = crate::files::save_new(&self.dir, &self.file_name(), |file| {
            std::io::Write::write_all(file, text.as_bytes())
        });
        self.status = Some(match saved {
            Ok(path) => (true, format!("Saved to {}", path.display())),
            Err(reason) => (false, format!("Not saved: {reason}")),
        });
    }

    /// Draws the overlay over `area`.
    pub fn render(&self, frame: &mut Frame, area: Rect) {
        let popup = crate::ui::popup(
            frame,
            area,
            area.width.saturating_sub(4).min(110),
            area.height.saturating_sub(2),
        );
        let mut title = vec![Span::raw(format!(" Code · {} · ", self.tab))];
        for page in Page::ALL {
            let style = if page == self.page {
                theme::highlight()
            } else {
                theme::dim()
            };
            title.push(Span::styled(format!(" {} ", page.name()), style));
        }
        title.push(Span::raw(" "));
        let block = theme::pane(Line::from(title), true);
        let inner = block.inner(popup);
        frame.render_widget(block, popup);
        let [body, status, footer] = Layout::vertical([
            Constraint::Min(0),
            Constraint::Length(1),
            Constraint::Length(1),
        ])
        .areas(inner);
        // The code holds what the user typed (a message, a URL, headers):
        // anything that could drive the terminal is escaped on the way to
        // the screen; backslashes stay, they are the code's own escapes.
        let lines: Vec<Line> = self
            .text()
            .lines()
            .map(|line| Line::raw(crate::text::escape_unsafe(line)))
            .collect();
        let last = u16::try_from(lines.len()).unwrap_or(u16::MAX);
        let scroll = self.scroll.min(last.saturating_sub(body.height));
        // Long commands wrap: a cut one could not be read (or checked).
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(ratatui::widgets::Wrap { trim: false })
                .scroll((scroll, 0)),
            body,
        );
        let status_line = match &self.status {
            Some((true, text)) => Line::styled(format!(" {text}"), theme::good()),
            Some((false, text)) => Line::styled(format!(" {text}"), theme::error()),
            None => Line::styled(
                format!(" s saves as ./{} · c copies it", self.file_name()),
                theme::dim(),
            ),
        };
        frame.render_widget(Paragraph::new(status_line), status);
        frame.render_widget(
            Paragraph::new(Line::styled(
                " ←→ Python · one-liner · Rust   ↑↓ PgUp PgDn scroll   s save   c copy (OSC 52)   Esc close",
                theme::dim(),
            )),
            footer,
        );
    }
}

/// The OSC 52 sequence that asks the terminal to put `text` on the
/// clipboard. The text travels base64-encoded, so nothing in it can act as
/// a terminal control.
pub fn osc52(text: &str) -> String {
    use base64::Engine as _;
    format!(
        "\x1b]52;c;{}\x07",
        base64::engine::general_purpose::STANDARD.encode(text)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_is_base64_between_the_markers() {
        assert_eq!(osc52("hi\x1b"), "\x1b]52;c;aGkb\x07");
    }
}
