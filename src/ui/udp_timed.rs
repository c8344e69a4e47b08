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
        const EVERY: [u64; 3] = [1000, 250, 50];
        let next = match &self.repeating {
            None => Some(EVERY[0]),
            Some((every, _)) => EVERY
                .iter()
                .position(|ms| u128::from(*ms) == every.as_millis())
                .and_then(|at| EVERY.get(at + 1))
                .copied(),
        };
        self.repeating = None;
        let Some(ms) = next else {
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
        let every = Duration::from_millis(ms);
        let schedule = crate::net::timed::Repeat::new(every, Duration::ZERO, None, ms);
        let repeating = self
            .sender(engine, &target)
            .repeat(engine, &target, bytes, schedule);
        self.repeating = Some((every, repeating));
    }
}
