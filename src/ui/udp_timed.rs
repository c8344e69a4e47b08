//! The UDP tab's repeat (F9): the message to the target on a schedule.

use std::time::Duration;

use super::super::log_view::Kind;
use super::super::Status;
use super::UdpTab;
use crate::net::Engine;

impl UdpTab {
    /// F9: the next repeat interval (or off), restarting the repeat with
    /// the message being typed and the target.
    pub(super) fn next_repeat(&mut self, engine: &Engine) {
        let next =
            crate::net::timed::next_interval(self.repeating.as_ref().map(|(every, _)| *every));
        self.repeating = None;
        let Some(every) = next else {
            self.status = Status::new(Kind::Info, "Repeat off");
            return;
        };
        let target = self.target.text().trim().to_string();
        if let Err(reason) = crate::net::resolve::split_host_port(&target) {
            self.status = Status::new(Kind::Error, format!("Target: {reason}"));
            return;
        }
        let bytes = match self.composer.bytes() {
            Ok(bytes) if !bytes.is_empty() => bytes,
            Ok(_) => {
                self.status = Status::new(Kind::Error, "Type the message to repeat first");
                return;
            }
            Err(reason) => {
                self.status = Status::new(Kind::Error, reason);
                return;
            }
        };
        let seed = every.as_millis() as u64;
        let schedule = crate::net::timed::Repeat::new(every, Duration::ZERO, None, seed);
        let repeating = self
            .sender(engine, &target)
            .repeat(engine, &target, bytes, schedule);
        self.repeating = Some((every, repeating));
    }
}
