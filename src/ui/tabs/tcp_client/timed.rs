//! The client tab's timed sends: the message repeated on a schedule (F7
//! presets, Alt+T typed), a file sent (Alt+F), and reconnecting by itself
//! (Ctrl+R) with the backoff of `net::timed`.

use super::{ClientTab, Phase};
use crate::net::Engine;
use crate::ui::widgets::log_view::Kind;
use crate::ui::widgets::timed_send;

impl ClientTab {
    /// After a close or a failed connect, with reconnect on: the next
    /// attempt's time, said in the log.
    pub(super) fn schedule_reconnect(&mut self) {
        let Some((backoff, due)) = &mut self.reconnect else {
            return;
        };
        let (wait, attempt) = backoff.next_wait();
        *due = Some(std::time::Instant::now() + wait);
        let words = crate::narrate::client::reconnecting(wait, attempt);
        self.console.say(Kind::Info, words.clone());
        self.console.log.push(Kind::Info, words);
    }

    /// F7: the next preset interval (or off), restarting the repeat with
    /// the message being typed; also stops a file being sent.
    pub(super) fn next_repeat(&mut self, engine: &Engine) {
        match timed_send::next_preset(&mut self.timed) {
            timed_send::Preset::Start(asked) => self.start_timed(engine, asked),
            timed_send::Preset::Off => self.console.say(Kind::Info, "Repeat off"),
            timed_send::Preset::Stopped(words) => self.console.say(Kind::Info, words),
        }
    }

    /// A key in the Alt+T / Alt+F prompt.
    pub(super) fn timed_prompt_key(&mut self, key: crossterm::event::KeyEvent, engine: &Engine) {
        let prompt = &mut self.timed_prompt;
        if let Some(asked) = timed_send::prompt_key(prompt, &mut self.last_repeat, key) {
            self.start_timed(engine, asked);
        }
    }

    /// Starts a repeat or a file send on the connection.
    pub(super) fn start_timed(&mut self, engine: &Engine, asked: timed_send::Asked) {
        self.timed = None;
        let (Some(handle), Phase::Connected) = (&self.handle, &self.phase) else {
            return self.console.say(
                Kind::Error,
                "Not connected: connect first, then send on a schedule or a file",
            );
        };
        let seed = std::process::id().into();
        let started = timed_send::start(
            asked,
            self.console.composer.bytes(),
            |bytes, spec| handle.repeat(engine, bytes, spec.schedule(seed)),
            |pieces, count| handle.send_pieces(engine, pieces, count),
        );
        match started {
            Ok(timed) => self.timed = Some(timed),
            Err(reason) => self.console.say(Kind::Error, reason),
        }
    }
}
