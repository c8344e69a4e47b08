//! The trio the socket tabs share: an address field that locks while its
//! socket is live, a message composer, and the log or transcript below them,
//! with the tab's status line and the save under way. The TCP Server, TCP
//! Client and Relay tabs each hold one [`Console`] and add what is theirs
//! (a connection table, a timeout, faults), so typing, pasting, sending and
//! saving behave the same on all of them.

use std::path::PathBuf;

use crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::Frame;

use crate::net::{Engine, SaveFor};
use crate::ui::widgets::composer::Composer;
use crate::ui::widgets::input::InputField;
use crate::ui::widgets::log_view::{Kind, LogView};
use crate::ui::{AddressKey, Passing, Status};

/// A part of a [`Console`], in a tab's own focus terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The address field (listen on, target).
    Address,
    /// The message composer.
    Message,
    /// The log or transcript.
    Log,
}

/// A tab's focus type, as far as the console's parts go.
pub trait ConsoleFocus: Copy {
    /// The console part this focus is on, if any.
    fn part(self) -> Option<Part>;
    /// The focus that is on `part`.
    fn on(part: Part) -> Self;
}

/// What the console's save writes: who asked, the file name's stem and what
/// the status calls the entries.
#[derive(Debug, Clone, Copy)]
pub struct SaveAs {
    /// Where the outcome is routed.
    pub asker: SaveFor,
    /// The file name's stem (`tcp-server` → `tcp-server-….log`).
    pub stem: &'static str,
    /// What the entries are called ("log entries").
    pub noun: &'static str,
}

/// Address field + composer + log, with the tab's status.
pub struct Console {
    /// The address field; locked (typing goes to the message) while live.
    pub address: InputField,
    /// The message composer.
    pub composer: Composer,
    /// The log or transcript.
    pub log: LogView,
    /// The one-line status under the address: the tab's state.
    pub status: Status,
    /// A passing word over the state (a save done, a hold switched).
    brief: Passing,
    save_as: SaveAs,
    /// Entries in the save under way (for its status line).
    saving: usize,
}

impl Console {
    /// A console with `address` in its field (`hint` shown when empty), a
    /// composer showing `message_hint`, and a log called `log_name`.
    pub fn new(
        address: (&str, &str),
        message_hint: &str,
        log_name: &'static str,
        save_as: SaveAs,
        status: Status,
    ) -> Self {
        Self {
            address: InputField::new(address.0, address.1),
            composer: Composer::new(message_hint),
            log: LogView::new(log_name),
            status,
            brief: Passing::default(),
            save_as,
            saving: 0,
        }
    }

    /// Sets the status line (the tab's state; a passing word gives way).
    pub fn say(&mut self, kind: Kind, text: impl Into<String>) {
        self.status = Status::new(kind, text);
        self.brief.clear();
    }

    /// Shows `text` over the state line for [`BRIEF`]; then the state
    /// returns (the tab's once-a-second tick clears it).
    pub fn say_briefly(&mut self, kind: Kind, text: impl Into<String>) {
        self.brief.show(Status::new(kind, text), &self.status);
    }

    /// The status line to draw: a passing word, else the state.
    pub fn shown_status(&self) -> &Status {
        self.status_at(std::time::Instant::now())
    }

    fn status_at(&self, now: std::time::Instant) -> &Status {
        self.brief.over(&self.status, now)
    }

    /// Whether a passing word waits to expire (the tab needs its tick).
    pub fn needs_tick(&self) -> bool {
        self.brief.pending()
    }

    /// Drops a passing word whose time is up.
    pub fn tick(&mut self) {
        self.tick_at(std::time::Instant::now());
    }

    fn tick_at(&mut self, now: std::time::Instant) {
        self.brief.tick_at(now);
    }

    /// Keeps the address as `prefix.field` and the composer's settings and
    /// history under `prefix`.
    pub fn remember(&self, prefix: &str, field: &str, memory: &mut crate::state::Memory) {
        memory.set(&format!("{prefix}.{field}"), self.address());
        self.composer.remember(prefix, memory);
    }

    /// Takes back what [`Console::remember`] kept.
    pub fn restore(&mut self, prefix: &str, field: &str, memory: &crate::state::Memory) {
        if let Some(address) = memory.get(&format!("{prefix}.{field}")) {
            self.address.set_text(address);
        }
        self.composer.restore(prefix, memory);
    }

    /// The address as typed, trimmed.
    pub fn address(&self) -> String {
        self.address.text().trim().to_string()
    }

    /// A key no binding took, on the part `focus` is on; the address is
    /// `locked` while its socket is live, and a character typed there moves
    /// the focus to the message. Whether the key was used; `None` when the
    /// focus is not on a console part.
    pub fn key<F: ConsoleFocus>(&mut self, focus: &mut F, key: KeyEvent, locked: bool) -> bool {
        match focus.part() {
            Some(Part::Address) => match crate::ui::address_key(key, locked, &mut self.address) {
                // Enter is each tab's own binding (start, connect).
                AddressKey::Action => false,
                AddressKey::ToMessage => {
                    *focus = F::on(Part::Message);
                    self.composer.input(key)
                }
                AddressKey::Edited(changed) => changed,
            },
            Some(Part::Message) => self.composer.input(key),
            Some(Part::Log) => self.log.pane_key(key),
            None => false,
        }
    }

    /// Pasted text, into the focused part; pasted on a `locked` address it
    /// goes to the message (a live socket's address cannot change).
    pub fn paste<F: ConsoleFocus>(&mut self, focus: &mut F, text: &str, locked: bool) {
        match focus.part() {
            Some(Part::Address) if locked => {
                *focus = F::on(Part::Message);
                self.composer.paste(text);
            }
            Some(Part::Address) => {
                self.address.paste(text);
            }
            Some(Part::Message) => {
                self.composer.paste(text);
            }
            Some(Part::Log) | None => {}
        }
    }

    /// Takes the composed message and hands it to `send`; a message that
    /// cannot be encoded or is refused (a full queue) is said in the status,
    /// and stays in the history (↑ recalls it).
    pub fn send<E: std::fmt::Display>(&mut self, send: impl FnOnce(Vec<u8>) -> Result<(), E>) {
        match self.composer.take() {
            Ok(Some(bytes)) => {
                if let Err(busy) = send(bytes) {
                    self.say(
                        Kind::Error,
                        format!("Not sent: {busy} (Up recalls the message)"),
                    );
                }
            }
            Ok(None) => {}
            Err(reason) => self.say(Kind::Error, format!("Not sent: {reason}")),
        }
    }

    /// Saves the log to a new file in the current directory, on the engine.
    pub fn save(&mut self, engine: &Engine) {
        let (name, contents) = self.log.saved_file(self.save_as.stem);
        self.saving = self.log.ring().len();
        engine.save(self.save_as.asker, PathBuf::from("."), name, contents);
        // A passing word: the state line (Listening on …) stays under it.
        self.say_briefly(Kind::Info, format!("Saving the {}…", self.log_word()));
    }

    /// The outcome of the save asked for with Ctrl+S.
    pub fn on_saved(&mut self, outcome: Result<PathBuf, String>) {
        let saved = Status::saved(outcome, self.saving, self.save_as.noun);
        self.brief.show(saved, &self.status);
    }

    fn log_word(&self) -> &'static str {
        self.save_as.noun.split(' ').next().unwrap_or("log")
    }

    /// Draws the address field.
    pub fn render_address(
        &mut self,
        frame: &mut Frame,
        area: Rect,
        title: Line<'static>,
        focused: bool,
    ) {
        self.address.render(frame, area, title, focused);
    }

    /// Draws the composer, titled `name`.
    pub fn render_message(&mut self, frame: &mut Frame, area: Rect, name: &str, focused: bool) {
        self.composer.render(frame, area, name, focused);
    }

    /// Draws the log.
    pub fn render_log(&self, frame: &mut Frame, area: Rect, focused: bool) {
        self.log.render(frame, area, focused);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::BRIEF;

    fn console() -> Console {
        Console::new(
            ("127.0.0.1:9999", "address"),
            "message",
            "Log",
            SaveAs {
                asker: SaveFor::ServerLog,
                stem: "tcp-server",
                noun: "log entries",
            },
            Status::new(Kind::Good, "Listening on 127.0.0.1:9999"),
        )
    }

    #[test]
    fn a_passing_word_gives_the_line_back_to_the_state() {
        let mut console = console();
        console.say_briefly(Kind::Info, "#4 → flowing again");
        let now = std::time::Instant::now();
        assert_eq!(console.status_at(now).text, "#4 → flowing again");
        assert!(console.needs_tick());
        console.tick_at(now + BRIEF);
        assert!(!console.needs_tick(), "idle again: no tick");
        assert_eq!(console.shown_status().text, "Listening on 127.0.0.1:9999");
        // A new state replaces a passing word at once.
        console.say_briefly(Kind::Info, "Saved 53 log entries");
        console.say(Kind::Info, "Stopped.");
        assert_eq!(console.shown_status().text, "Stopped.");
        // A save's own words pass too, the state line stays.
        console.say(Kind::Good, "Listening on 127.0.0.1:9999");
        let engine_less_save = |console: &mut Console| {
            console.say_briefly(Kind::Info, "Saving the log…");
            console.on_saved(Ok(std::path::PathBuf::from("./x.log")));
        };
        engine_less_save(&mut console);
        console.tick_at(std::time::Instant::now() + BRIEF);
        assert_eq!(console.shown_status().text, "Listening on 127.0.0.1:9999");
    }
}
