//! The UDP tab's timed sends: the message to the target on a schedule (F9
//! presets, Alt+T typed) and a file sent as datagrams (Alt+F).

use super::UdpTab;
use crate::net::Engine;
use crate::ui::widgets::log_view::Kind;
use crate::ui::widgets::timed_send;
use crate::ui::Status;

impl UdpTab {
    /// F9: the next preset interval (or off), restarting the repeat with
    /// the message being typed and the target; also stops a file.
    pub(super) fn next_repeat(&mut self, engine: &Engine) {
        match timed_send::next_preset(&mut self.timed) {
            timed_send::Preset::Start(asked) => self.start_timed(engine, asked),
            timed_send::Preset::Off => self.status = Status::new(Kind::Info, "Repeat off"),
            timed_send::Preset::Stopped(words) => self.status = Status::new(Kind::Info, words),
        }
    }

    /// A key in the Alt+T / Alt+F prompt.
    pub(super) fn timed_prompt_key(&mut self, key: crossterm::event::KeyEvent, engine: &Engine) {
        let prompt = &mut self.timed_prompt;
        if let Some(asked) = timed_send::prompt_key(prompt, &mut self.last_repeat, key) {
            self.start_timed(engine, asked);
        }
    }

    /// Starts a repeat or a file send to the target (binding an ephemeral
    /// port first if no socket is open, as Enter does).
    fn start_timed(&mut self, engine: &Engine, asked: timed_send::Asked) {
        self.timed = None;
        let target = self.target.text().trim().to_string();
        if let Err(reason) = crate::net::resolve::split_host_port(&target) {
            self.status = Status::new(Kind::Error, format!("Target: {reason}"));
            return;
        }
        let message = self.composer.bytes();
        let seed = std::process::id().into();
        let handle = self.sender(engine, &target);
        let started = timed_send::start(
            asked,
            message,
            |bytes, spec| handle.repeat(engine, &target, bytes, spec.schedule(seed)),
            |pieces, count| handle.send_pieces(engine, &target, pieces, count),
        );
        match started {
            Ok(timed) => self.timed = Some(timed),
            Err(reason) => self.status = Status::new(Kind::Error, reason),
        }
    }
}
