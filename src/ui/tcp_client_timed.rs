//! The client tab's timed sends: the message repeated on a schedule (F7)
//! and reconnecting by itself (Ctrl+R) with the backoff of `net::timed`.

use std::time::Duration;

use super::super::log_view::Kind;
use super::{ClientTab, Phase};
use crate::net::error::human_duration;
use crate::net::Engine;

impl ClientTab {
    /// After a close or a failed connect, with reconnect on: the next
    /// attempt's time, said in the log.
    pub(super) fn schedule_reconnect(&mut self) {
        let Some((backoff, due)) = &mut self.reconnect else {
            return;
        };
        let (wait, attempt) = backoff.next_wait();
        *due = Some(std::time::Instant::now() + wait);
        let words = format!(
            "Reconnecting in {} (attempt {attempt})",
            human_duration(wait)
        );
        self.console.say(Kind::Info, words.clone());
        self.console.log.push(Kind::Info, words);
    }

    /// F7: the next repeat interval (or off), restarting the repeat with
    /// the message being typed.
    pub(super) fn next_repeat(&mut self, engine: &Engine) {
        let next =
            crate::net::timed::next_interval(self.repeating.as_ref().map(|(every, _)| *every));
        self.repeating = None;
        let Some(every) = next else {
            return self.console.say(Kind::Info, "Repeat off");
        };
        let (Some(handle), Phase::Connected) = (&self.handle, &self.phase) else {
            return self.console.say(
                Kind::Error,
                "Not connected: connect first, then F7 repeats the message",
            );
        };
        let bytes = match self.console.composer.bytes() {
            Ok(bytes) if !bytes.is_empty() => bytes,
            Ok(_) => {
                return self
                    .console
                    .say(Kind::Error, "Type the message to repeat first")
            }
            Err(reason) => return self.console.say(Kind::Error, reason),
        };
        let seed = every.as_millis() as u64;
        let schedule = crate::net::timed::Repeat::new(every, Duration::ZERO, None, seed);
        self.repeating = Some((every, handle.repeat(engine, bytes, schedule)));
    }
}
