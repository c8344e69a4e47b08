//! Timed sends on the client and UDP tabs: the prompts (Alt+T asks for a
//! repeat such as `500ms ±100ms x10`; Alt+F for a file to send, Tab
//! choosing one block or line by line) and the running send as the status
//! shows it, with its exact count.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::net::timed::{RepeatSpec, Repeating};
use crate::ui::shell::theme;
use crate::ui::widgets::input::{title, InputField};

/// Files larger than this are not sent from the TUI (`netplay tcp
/// connect < FILE` takes any size).
pub const FILE_LIMIT: u64 = 16 * 1024 * 1024;

/// What a prompt asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Asked {
    /// Repeat the message on this schedule.
    Repeat(RepeatSpec),
    /// Send a file: one block, or each line as its own send.
    File {
        /// The file.
        path: PathBuf,
        /// Line by line.
        lines: bool,
    },
}

/// What a key in a prompt did.
pub enum PromptKey {
    /// Still open.
    Open,
    /// Closed without asking (Esc).
    Cancelled,
    /// Closed with this asked for.
    Asked(Asked),
}

/// The prompt of Alt+T or Alt+F, while open.
pub struct TimedPrompt {
    field: InputField,
    /// `None`: a repeat; `Some(lines)`: a file.
    file: Option<bool>,
    error: Option<String>,
}

impl TimedPrompt {
    /// Alt+T: the repeat, filled with the last one asked for.
    pub fn repeat(last: &str) -> Self {
        Self {
            field: InputField::new(last, "EVERY [±JITTER] [xCOUNT], e.g. 500ms ±100ms x10"),
            file: None,
            error: None,
        }
    }

    /// Alt+F: a file to send.
    pub fn file() -> Self {
        Self {
            field: InputField::new("", "path of the file to send"),
            file: Some(false),
            error: None,
        }
    }

    /// A key while open.
    pub fn key(&mut self, key: KeyEvent) -> PromptKey {
        match key.code {
            KeyCode::Esc => PromptKey::Cancelled,
            KeyCode::Tab | KeyCode::BackTab if self.file.is_some() => {
                self.file = self.file.map(|lines| !lines);
                PromptKey::Open
            }
            KeyCode::Enter => {
                let text = self.field.text().trim().to_string();
                match self.file {
                    Some(lines) if !text.is_empty() => PromptKey::Asked(Asked::File {
                        path: PathBuf::from(text),
                        lines,
                    }),
                    Some(_) => {
                        self.error = Some("type the file's path".into());
                        PromptKey::Open
                    }
                    None => match RepeatSpec::parse(&text) {
                        Ok(spec) => PromptKey::Asked(Asked::Repeat(spec)),
                        Err(reason) => {
                            self.error = Some(reason);
                            PromptKey::Open
                        }
                    },
                }
            }
            _ => {
                self.field.input(key);
                self.error = None;
                PromptKey::Open
            }
        }
    }

    /// The text typed.
    pub fn text(&self) -> String {
        self.field.text().trim().to_string()
    }

    /// A paste while open.
    pub fn paste(&mut self, text: &str) {
        self.field.paste(text);
        self.error = None;
    }

    /// Draws the prompt over `area`: the field, and the reason under it
    /// when Enter found the text wrong.
    pub fn render(&mut self, frame: &mut Frame, area: Rect) {
        let popup = crate::ui::popup(frame, area, area.width.saturating_sub(4).min(100), 4);
        let field = Rect { height: 3, ..popup };
        let name = match self.file {
            None => "Repeat the message (Enter starts, Esc cancels)".to_string(),
            Some(false) => "Send a file as one block (Tab: line by line)".to_string(),
            Some(true) => {
                "Send a file line by line, each line its own send (Tab: one block)".to_string()
            }
        };
        self.field
            .render(frame, field, title(&name, Vec::new()), true);
        let words = self.error.clone().unwrap_or_default();
        let below = Rect {
            y: popup.y + 3,
            height: 1,
            ..popup
        };
        frame.render_widget(Paragraph::new(Line::styled(words, theme::error())), below);
    }
}

/// What F7 / F9 does next.
pub enum Preset {
    /// Start repeating at this preset.
    Start(Asked),
    /// The presets are done: repeat off.
    Off,
    /// A file send (or a finished one) was stopped: its last status.
    Stopped(String),
}

/// F7 / F9: stops what runs; after nothing or a repeat, the next preset
/// interval (off after the last); after a file, just stopped.
pub fn next_preset(timed: &mut Option<TimedSend>) -> Preset {
    let now = match timed.take() {
        None => None,
        Some(running) if running.every.is_none() || running.finished() => {
            return Preset::Stopped(format!("Stopped: {}", running.status()));
        }
        Some(running) => running.every,
    };
    match crate::net::timed::next_interval(now) {
        Some(every) => Preset::Start(Asked::Repeat(RepeatSpec {
            every,
            jitter: Duration::ZERO,
            count: None,
        })),
        None => Preset::Off,
    }
}

/// A key for the open prompt: what it asked for once it closes with an
/// answer (a repeat's text is kept in `last` for the next Alt+T).
pub fn prompt_key(
    prompt: &mut Option<TimedPrompt>,
    last: &mut String,
    key: KeyEvent,
) -> Option<Asked> {
    let open = prompt.as_mut()?;
    match open.key(key) {
        PromptKey::Open => None,
        PromptKey::Cancelled => {
            *prompt = None;
            None
        }
        PromptKey::Asked(asked) => {
            if let Asked::Repeat(_) = &asked {
                *last = open.text();
            }
            *prompt = None;
            Some(asked)
        }
    }
}

/// A running timed send: what it is, how many it makes, and its handle
/// (dropping it stops the sends).
pub struct TimedSend {
    what: String,
    total: Option<u64>,
    /// The interval of a repeat (F7 steps through the presets from it).
    pub every: Option<Duration>,
    run: Repeating,
}

impl TimedSend {
    /// A repeat.
    pub fn repeat(spec: &RepeatSpec, run: Repeating) -> Self {
        Self {
            what: format!("repeating {}", spec.describe()),
            total: spec.count,
            every: Some(spec.every),
            run,
        }
    }

    /// A file's pieces.
    pub fn file(path: &Path, lines: bool, pieces: u64, run: Repeating) -> Self {
        let name = path
            .file_name()
            .map(|name| crate::text::sanitize_str(&name.to_string_lossy()))
            .unwrap_or_default();
        let how = if lines {
            "line by line"
        } else {
            "as one block"
        };
        Self {
            what: format!("sending {name} {how}"),
            total: Some(pieces),
            every: None,
            run,
        }
    }

    /// Sends made so far.
    pub fn sent(&self) -> u64 {
        self.run.sent()
    }

    /// For the status: `repeating every 1 s · 3/10 sent`.
    pub fn status(&self) -> String {
        let sent = crate::ui::count(self.sent());
        match self.total {
            Some(total) if self.run.is_finished() => {
                format!(
                    "{} · done, {sent}/{} sent",
                    self.what,
                    crate::ui::count(total)
                )
            }
            Some(total) => format!("{} · {sent}/{} sent", self.what, crate::ui::count(total)),
            None => format!("{} · {sent} sent", self.what),
        }
    }

    /// Whether its sends have ended (all made, stopped, or the connection
    /// ended).
    pub fn finished(&self) -> bool {
        self.run.is_finished()
    }
}

/// Starts what a prompt asked for; `send_repeat` and `send_pieces` are
/// the tab's own handle calls. The status line's words on failure.
pub fn start(
    asked: Asked,
    message: Result<Vec<u8>, String>,
    send_repeat: impl FnOnce(Vec<u8>, &RepeatSpec) -> Repeating,
    send_pieces: impl FnOnce(crate::files::Pieces, u64) -> Repeating,
) -> Result<TimedSend, String> {
    match asked {
        Asked::Repeat(spec) => match message {
            Ok(bytes) if !bytes.is_empty() => {
                let run = send_repeat(bytes, &spec);
                Ok(TimedSend::repeat(&spec, run))
            }
            Ok(_) => Err("Type the message to repeat first".into()),
            Err(reason) => Err(reason),
        },
        Asked::File { path, lines } => {
            let shown = crate::text::sanitize_str(&path.display().to_string());
            let pieces = crate::files::pieces(&path, lines, FILE_LIMIT)
                .map_err(|reason| format!("Cannot send {shown}: {reason}"))?;
            let count = pieces.total();
            let run = send_pieces(pieces, count);
            Ok(TimedSend::file(&path, lines, count, run))
        }
    }
}
