//! The TCP Server tab behind the one tab interface.

#[allow(clippy::wildcard_imports)]
use super::*;

impl crate::ui::shell::tab::TabView for ServerTab {
    fn state(&self) -> crate::ui::shell::tab::TabState {
        crate::ui::shell::tab::TabState {
            active: self.is_listening(),
            ticking: self.is_live() || self.console.needs_tick(),
            overlay: self.kernel.is_some() || self.rules.open,
        }
    }
    fn help(&self) -> Vec<Hint> {
        shell_keys::help(Self::BINDINGS)
    }
    fn on_tick(&mut self, _engine: &Engine) {
        self.console.tick();
    }
    fn listen_field(&mut self) -> Option<(&mut crate::ui::widgets::input::InputField, bool)> {
        let locked = self.phase != Phase::Stopped;
        Some((&mut self.console.address, locked))
    }
    fn open_kernel_view(&mut self) {
        self.open_kernel();
    }
    fn click(&mut self, column: u16, row: u16) {
        let at = crate::ui::shell::mouse::click(&self.mouse, column, row, &mut self.focus);
        if let Some(row) = at.and_then(|at| self.rows.get(at)) {
            self.selection.hold(row.id.0);
        }
    }
    fn wheel_keys(&mut self, column: u16, row: u16, down: bool) -> Vec<KeyEvent> {
        crate::ui::shell::mouse::wheel(&self.mouse, column, row, down, &mut self.focus)
    }
    fn code_setting(&self) -> crate::code::Setting {
        crate::code::Setting::TcpServer {
            listen: self.console.address(),
            mode: self.config.behaviour,
            delay: self.config.reply_delay,
            tls: self.tls.on.then(|| {
                let field = |text: &str| {
                    let text = text.trim();
                    (!text.is_empty()).then(|| text.to_string())
                };
                crate::code::ServerTls {
                    cert: field(self.tls.cert.text()),
                    key: field(self.tls.key.text()),
                }
            }),
        }
    }
}

impl crate::ui::shell::app::StartTab for ServerTab {
    fn start(
        options: &crate::ui::shell::app::StartOptions,
        me: crate::ui::shell::app::Tab,
    ) -> Self {
        let mut tab = ServerTab::new(&options.addr_for(me, "127.0.0.1:9999"));
        if let Some(mode) = options.server_mode {
            tab.set_behaviour(mode);
        }
        tab.recording.set_dir(&options.record_dir);
        tab
    }
}

impl crate::ui::shell::tab::Remembered for ServerTab {
    fn remember(&self, memory: &mut crate::state::Memory) {
        self.console.remember("server", "listen", memory);
        memory.set("server.mode", self.config.behaviour.name());
        memory.set("server.rules", self.rules.text());
        memory.set("server.tls", if self.tls.on { "on" } else { "off" });
        memory.set("server.cert", self.tls.cert.text().trim());
        memory.set("server.key", self.tls.key.text().trim());
    }
    fn restore(&mut self, memory: &crate::state::Memory) {
        self.console.restore("server", "listen", memory);
        self.tls.on = memory.get("server.tls") == Some("on");
        if let Some(cert) = memory.get("server.cert") {
            self.tls.cert.set_text(cert);
        }
        if let Some(key) = memory.get("server.key") {
            self.tls.key.set_text(key);
        }
        if let Some(text) = memory.get("server.rules") {
            self.rules = crate::ui::widgets::rules_editor::RulesEditor::with_text(text);
        }
        if let Some(mode) = memory.get("server.mode") {
            if let Some(found) = Behaviour::ALL.into_iter().find(|b| b.name() == mode) {
                self.config.behaviour = found;
            }
        }
    }
}
