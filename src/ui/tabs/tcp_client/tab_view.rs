//! The TCP Client tab behind the one tab interface.

#[allow(clippy::wildcard_imports)]
use super::*;

impl crate::ui::shell::tab::TabView for ClientTab {
    fn state(&self) -> crate::ui::shell::tab::TabState {
        crate::ui::shell::tab::TabState {
            active: self.is_live(),
            ticking: {
                let reconnecting = self
                    .reconnect
                    .as_ref()
                    .is_some_and(|(_, due)| due.is_some());
                let sending = self.timed.as_ref().is_some_and(|timed| !timed.finished());
                self.is_live() || sending || reconnecting || self.console.needs_tick()
            },
            overlay: {
                self.kernel_open && self.kernel.is_some()
                    || self.play_prompt_open()
                    || self.timed_prompt.is_some()
            },
        }
    }
    fn help(&self) -> Vec<Hint> {
        shell_keys::help(Self::BINDINGS)
    }
    fn on_tick(&mut self, engine: &Engine) {
        self.console.tick();
        let due = self.reconnect.as_ref().and_then(|(_, due)| *due);
        if due.is_some_and(|due| std::time::Instant::now() >= due) && self.phase == Phase::Idle {
            if let Some((_, due)) = &mut self.reconnect {
                *due = None;
            }
            self.toggle(engine);
        }
    }
    fn click(&mut self, column: u16, row: u16) {
        crate::ui::shell::mouse::click(&self.mouse, column, row, &mut self.focus);
    }
    fn wheel_keys(&mut self, column: u16, row: u16, down: bool) -> Vec<KeyEvent> {
        crate::ui::shell::mouse::wheel(&self.mouse, column, row, down, &mut self.focus)
    }
    fn code_setting(&self) -> crate::code::Setting {
        crate::code::Setting::TcpClient {
            // The Target as typed (unix:/path, or via a proxy), without a
            // proxy's password.
            target: super::via::without_password(&self.console.address()),
            message: self.console.composer.message_for_code(),
            tls: match self.tls.mode {
                TlsMode::Off => None,
                mode => {
                    let field = |text: &str| {
                        let text = text.trim();
                        (!text.is_empty()).then(|| text.to_string())
                    };
                    // No CA file given: netplay's client trusts its local
                    // CA, so the code does too (when there is one).
                    let ca_file = field(self.tls.ca_file.text()).or_else(|| {
                        crate::net::tls::local_ca::ca_path()
                            .filter(|path| path.is_file())
                            .map(|path| path.display().to_string())
                    });
                    Some(crate::code::ClientTls {
                        insecure: mode == TlsMode::Insecure,
                        ca_file,
                        sni: field(self.tls.sni.text()),
                    })
                }
            },
        }
    }
    fn open_kernel_view(&mut self) {
        match (&self.kernel, &self.handle) {
            (None, _) => self.console.say(
                Kind::Error,
                "Not connected: the kernel's view shows a connection",
            ),
            (Some(_), handle) => {
                self.kernel_open = true;
                if let Some(handle) = handle {
                    let _ = handle.set_option(crate::net::kernel::sockopts::SockOpt::Read);
                }
            }
        }
    }
}

impl crate::ui::shell::app::StartTab for ClientTab {
    fn start(
        options: &crate::ui::shell::app::StartOptions,
        me: crate::ui::shell::app::Tab,
    ) -> Self {
        let mut tab = ClientTab::new(&options.addr_for(me, "127.0.0.1:9999"));
        tab.set_record_dir(&options.record_dir);
        tab
    }
}

impl crate::ui::shell::tab::Remembered for ClientTab {
    fn remember(&self, memory: &mut crate::state::Memory) {
        self.console.remember("client", "target", memory);
        // A proxy's password is never written to the state file.
        memory.set(
            "client.target",
            super::via::without_password(&self.console.address()),
        );
        // TLS comes back on, but never with verification off: skipping the
        // certificate check is a choice for one session.
        let tls = if self.tls.mode == TlsMode::Off {
            "off"
        } else {
            "on"
        };
        memory.set("client.tls", tls);
        memory.set("client.ca", self.tls.ca_file.text().trim());
        memory.set("client.sni", self.tls.sni.text().trim());
    }
    fn restore(&mut self, memory: &crate::state::Memory) {
        self.console.restore("client", "target", memory);
        self.tls.mode = match memory.get("client.tls") {
            Some("on") => TlsMode::On,
            _ => TlsMode::Off,
        };
        if let Some(ca) = memory.get("client.ca") {
            self.tls.ca_file.set_text(ca);
        }
        if let Some(sni) = memory.get("client.sni") {
            self.tls.sni.set_text(sni);
        }
    }
}
