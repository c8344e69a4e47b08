//! The Relay tab behind the one tab interface.

#[allow(clippy::wildcard_imports)]
use super::*;

impl crate::ui::shell::tab::TabDraw for RelayTab {
    fn render(&mut self, frame: &mut ratatui::Frame, area: ratatui::layout::Rect) {
        crate::ui::tabs::relay::view::render(self, frame, area);
        self.render_kernel(frame, area);
    }
}

impl crate::ui::shell::tab::TabView for RelayTab {
    fn state(&self) -> crate::ui::shell::tab::TabState {
        crate::ui::shell::tab::TabState {
            active: self.is_relaying(),
            ticking: self.is_live() || self.console.needs_tick(),
            overlay: self.kernel.is_some(),
        }
    }
    fn help(&self) -> Vec<Hint> {
        shell_keys::help(Self::BINDINGS)
    }
    fn on_tick(&mut self, _engine: &Engine) {
        self.console.tick();
    }
    fn listen_field(&mut self) -> Option<(&mut InputField, bool)> {
        let locked = self.phase != Phase::Stopped;
        Some((&mut self.console.address, locked))
    }
    fn open_kernel_view(&mut self) {
        self.open_kernel();
    }
    fn click(&mut self, column: u16, row: u16) {
        let at = crate::ui::shell::mouse::click(&self.mouse, column, row, &mut self.focus);
        if let Some(id) = at.and_then(|at| self.pairs.get(at)).map(|row| row.id.0) {
            self.select(|view, _| view.hold(id));
        }
    }
    fn wheel_keys(&mut self, column: u16, row: u16, down: bool) -> Vec<KeyEvent> {
        crate::ui::shell::mouse::wheel(&self.mouse, column, row, down, &mut self.focus)
    }
    fn code_setting(&self) -> crate::code::Setting {
        crate::code::Setting::Relay {
            listen: self.console.address(),
            target: self.target.text().to_string(),
        }
    }
}

impl crate::ui::shell::app::StartTab for RelayTab {
    fn start(
        options: &crate::ui::shell::app::StartOptions,
        me: crate::ui::shell::app::Tab,
    ) -> Self {
        let mut tab = RelayTab::new(&options.addr_for(me, "127.0.0.1:9998"), "127.0.0.1:9999");
        tab.recording.set_dir(&options.record_dir);
        tab
    }
}

impl crate::ui::shell::tab::Remembered for RelayTab {
    fn remember(&self, memory: &mut crate::state::Memory) {
        self.console.remember("relay", "listen", memory);
        memory.set("relay.target", self.target.text().trim());
    }
    fn restore(&mut self, memory: &crate::state::Memory) {
        self.console.restore("relay", "listen", memory);
        if let Some(target) = memory.get("relay.target") {
            self.target.set_text(target);
        }
    }
}
