//! The UDP tab: bind a socket (or just send, from an ephemeral port), watch
//! datagrams in a packet table with a hex detail, fire numbered bursts, and
//! flip the lossy-network switch to see what UDP does not promise.
//!
//! ```text
//! ╭ Bind ───────────────────╮╭ Send to ────────────────────╮
//!  ● Bound 127.0.0.1:9999 · mode greet (F5) · in 3 · out 3
//!  LOSSY: drop 30% · duplicate 5% · delay 0–100 ms (F6)
//! ╭ Message ─────────────────╮╭ Burst (count x size) ───────╮
//! ╭ Packets ────────────────────────╮╭ Detail ──────────────╮
//! ╭ UDP log ─────────────────────────────────────────────────╮
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent};

use crate::ui::shell::keys as shell_keys;
use crate::ui::widgets::composer::Composer;
use crate::ui::widgets::follow::Follow;
use crate::ui::widgets::input::InputField;

mod fold;
pub mod keys;
pub mod no_reply;
mod timed;
mod view;
use crate::clock::Stamp;
use crate::net::behaviour::burst::MAX_BURST;
use crate::net::behaviour::lossy::LossyConfig;
use crate::net::udp::{self, Bind, UdpEvent, UdpHandle, UdpMode, UdpStats, MAX_DATAGRAM_V4};
use crate::net::{Engine, Payload, SaveFor, SocketId};
use crate::ring::{Ring, DEFAULT_CAPACITY};
use crate::text::sanitize;
pub use crate::ui::tabs::udp::keys::Action;
use crate::ui::widgets::log_view::{Kind, LogView};
use crate::ui::{Hint, Status};

/// How long a burst waits for stragglers after the last activity.
pub const BURST_WAIT: Duration = Duration::from_millis(1000);

/// Which part of the tab has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    /// The bind address field.
    Bind,
    /// The send target field.
    Target,
    /// The message input.
    Message,
    /// The burst field.
    Burst,
    /// The packet table.
    Packets,
}

impl Focus {
    const ORDER: [Focus; 5] = [
        Focus::Bind,
        Focus::Target,
        Focus::Message,
        Focus::Burst,
        Focus::Packets,
    ];

    fn step(self, by: isize) -> Self {
        let at = Self::ORDER.iter().position(|f| *f == self).unwrap_or(0) as isize;
        Self::ORDER[(at + by).rem_euclid(Self::ORDER.len() as isize) as usize]
    }
}

/// Which way a packet went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Received and delivered.
    In,
    /// Sent.
    Out,
    /// Received, then dropped by the lossy switch.
    Lost,
}

/// One row of the packet table.
#[derive(Debug, Clone)]
pub struct Packet {
    at: Stamp,
    direction: Direction,
    peer: SocketAddr,
    len: usize,
    bytes: Vec<u8>,
    note: Option<String>,
    /// The group or broadcast address it was sent to (its own column).
    cast: Option<std::net::IpAddr>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SocketKind {
    Bound,
    Ephemeral,
}

/// The UDP tab's state.
pub struct UdpTab {
    /// Which part has the keyboard.
    pub focus: Focus,
    bind: InputField,
    target: InputField,
    composer: Composer,
    burst: InputField,
    mode: UdpMode,
    lossy: Option<usize>,
    socket: Option<(UdpHandle, SocketKind)>,
    local: Option<SocketAddr>,
    connected: Option<SocketAddr>,
    stats: Option<Arc<UdpStats>>,
    /// Every datagram seen, newest last.
    pub packets: Ring<Packet>,
    /// Which packet the table and detail show (the newest, or one held).
    packets_at: Follow,
    /// Binds, errors, losses and burst reports.
    pub log: LogView,
    status: Status,
    /// A passing word over the status (a save's outcome).
    passing: crate::ui::Passing,
    /// Entries in the save under way (for its status line).
    saving: usize,
    /// Where the last frame drew each part, for the mouse.
    mouse: crate::ui::shell::mouse::Areas<Focus>,
    /// The rules of rules mode and their editor (Alt+E).
    rules: crate::ui::widgets::rules_editor::RulesEditor,
    /// The message repeating to the target (F9, Alt+T) or a file being
    /// sent (Alt+F), with its count.
    timed: Option<crate::ui::widgets::timed_send::TimedSend>,
    /// The prompt of Alt+T or Alt+F, while open; the last repeat asked.
    timed_prompt: Option<crate::ui::widgets::timed_send::TimedPrompt>,
    last_repeat: String,
    /// Peers not answered (Alt+B), and the last possible loop reported.
    no_reply: crate::ui::tabs::udp::no_reply::NoReply,
    /// The socket's datagrams to pcapng (Alt+K).
    capture: crate::ui::widgets::capture::CaptureSwitch,
}

impl UdpTab {
    /// The tab, binding `bind` and sending to `target` by default.
    pub fn new(bind: &str, target: &str) -> Self {
        Self {
            focus: Focus::Bind,
            bind: InputField::new(bind, "host:port to bind, e.g. 127.0.0.1:9999 or [::1]:0"),
            target: InputField::new(target, "host:port to send to"),
            composer: Composer::new("a datagram; Enter sends"),
            burst: InputField::new("100 x 64", "count x size, e.g. 100 x 64"),
            mode: UdpMode::Greet,
            lossy: None,
            socket: None,
            local: None,
            connected: None,
            stats: None,
            packets: Ring::new(DEFAULT_CAPACITY),
            packets_at: Follow::default(),
            log: LogView::new("UDP log"),
            saving: 0,
            mouse: crate::ui::shell::mouse::Areas::default(),
            rules: crate::ui::widgets::rules_editor::RulesEditor::default(),
            timed: None,
            timed_prompt: None,
            last_repeat: String::new(),
            no_reply: crate::ui::tabs::udp::no_reply::NoReply::default(),
            capture: crate::ui::widgets::capture::CaptureSwitch::new(
                crate::ui::widgets::capture::Words {
                    stem: "netplay-udp",
                    what: "every datagram of this socket",
                    off: "Capture off: the file is finished",
                    idle: "No socket yet: bind (Enter) or send once, then Alt+K",
                },
                SaveFor::UdpCapture,
            ),
            passing: crate::ui::Passing::default(),
            status: Status::new(
                Kind::Info,
                "Not bound. Enter binds; or just send (an ephemeral port is used).",
            ),
        }
    }

    /// Whether a socket is open.
    pub fn is_open(&self) -> bool {
        self.local.is_some()
    }

    fn lossy_config(&self) -> Option<LossyConfig> {
        self.lossy.map(|i| LossyConfig::profiles()[i])
    }

    fn perform(&mut self, action: Action, key: KeyEvent, engine: &Engine) -> bool {
        match action {
            Action::ComposerSetting => {
                self.composer.settings_key(key);
            }
            Action::Mode => self.next_mode(),
            Action::Lossy => self.next_lossy(),
            Action::Burst => self.run_burst(engine),
            Action::Bind => self.toggle_bind(engine),
            Action::Send => self.send_message(engine),
            Action::Save => self.save(engine),
            Action::Packets => return self.packet_key(key),
            Action::Rules => self.rules.open = true,
            Action::Repeat => self.next_repeat(engine),
            Action::RepeatPrompt => {
                self.timed_prompt = Some(crate::ui::widgets::timed_send::TimedPrompt::repeat(
                    &self.last_repeat,
                ));
            }
            Action::FilePrompt => {
                self.timed_prompt = Some(crate::ui::widgets::timed_send::TimedPrompt::file())
            }
            Action::NoReply => {
                // On the packet list: the selected datagram's peer; else
                // the peer last reported as a possible loop.
                let chosen = (self.focus == Focus::Packets)
                    .then(|| self.selected().and_then(|seq| self.packets.get_seq(seq)))
                    .flatten()
                    .map(|packet| packet.peer);
                let socket = self.socket.as_ref().map(|(handle, _)| handle);
                self.status = match self.no_reply.toggle(socket, chosen) {
                    Ok(text) => Status::new(Kind::Info, text),
                    Err(reason) => Status::new(Kind::Error, reason),
                };
            }
            Action::Capture => {
                let socket = self.socket.as_ref().map(|(handle, _)| handle);
                let (kind, text) = self.capture.toggle(engine, socket, |socket, capture| {
                    socket.set_capture(capture)
                });
                self.status = Status::new(kind, text.clone());
                self.log.push(kind, text);
            }
        }
        true
    }

    /// Keys no binding took: typing in the focused field.
    fn on_focused_key(&mut self, key: KeyEvent) -> bool {
        match self.focus {
            Focus::Bind => self.bind.input(key),
            Focus::Target => self.target.input(key),
            Focus::Message => self.composer.input(key),
            Focus::Burst => self.burst.input(key),
            Focus::Packets => false,
        }
    }

    fn next_mode(&mut self) {
        self.mode = self.mode.next();
        if let Some((handle, _)) = &self.socket {
            handle.set_mode(self.mode);
        }
        self.log
            .push(Kind::Info, format!("Mode now {}", self.mode.name()));
    }

    fn next_lossy(&mut self) {
        self.lossy = match self.lossy {
            None => Some(0),
            Some(i) if i + 1 < LossyConfig::profiles().len() => Some(i + 1),
            Some(_) => None,
        };
        if let Some((handle, _)) = &self.socket {
            handle.set_lossy(self.lossy_config());
        }
        self.log.push(
            Kind::Info,
            match self.lossy_config() {
                Some(config) => format!("Lossy network ON: {}", config.describe()),
                None => "Lossy network off".to_string(),
            },
        );
    }

    /// The packet list's range: the oldest held and the newest, if any.
    fn packet_range(&self) -> (u64, Option<u64>) {
        (self.packets.dropped(), self.packets.total().checked_sub(1))
    }

    /// The packet the table and the detail pane show.
    fn selected(&self) -> Option<u64> {
        let (oldest, newest) = self.packet_range();
        self.packets_at.at(oldest, newest)
    }

    fn packet_key(&mut self, key: KeyEvent) -> bool {
        let (oldest, newest) = self.packet_range();
        if crate::ui::is_plain_key(&key, KeyCode::Char(' ')) {
            self.packets_at.toggle(oldest, newest);
            return true;
        }
        self.packets_at.key(&key, 10, oldest, newest)
    }

    fn toggle_bind(&mut self, engine: &Engine) {
        if let Some((handle, kind)) = self.socket.take() {
            // Events of the old socket are ignored from here on.
            handle.close();
            self.capture.stop();
            self.timed = None;
            self.local = None;
            self.connected = None;
            self.stats = None;
            if kind == SocketKind::Bound {
                self.log.push(Kind::Info, "Socket closed");
                self.status = Status::new(Kind::Info, "Not bound. Enter binds; or just send.");
                return;
            }
            self.log
                .push(Kind::Info, "Ephemeral socket closed; binding instead");
        }
        let address = self.bind.text().trim().to_string();
        let handle = udp::open(
            engine,
            Bind::Address(address.clone()),
            self.mode,
            self.lossy_config(),
        );
        self.socket = Some((handle, SocketKind::Bound));
        self.apply_rules();
        self.status = Status::new(Kind::Info, format!("Binding {address}…"));
    }

    /// Gives the bound socket the rules in force (every edit, and at bind).
    fn apply_rules(&self) {
        if let Some((handle, SocketKind::Bound)) = &self.socket {
            handle.set_rules(Some(self.rules.rules()));
        }
    }

    /// The socket to send from: the bound one, or an ephemeral one opened
    /// (connected to `target`) on first use.
    fn sender(&mut self, engine: &Engine, target: &str) -> &UdpHandle {
        let log = &mut self.log;
        let lossy = self.lossy.map(|i| LossyConfig::profiles()[i]);
        let (handle, _) = self.socket.get_or_insert_with(|| {
            log.push(
                Kind::Info,
                format!(
                    "Not bound: sending from an ephemeral port, connected to {}",
                    crate::text::sanitize_str(target)
                ),
            );
            let handle = udp::open(
                engine,
                Bind::EphemeralFor(target.to_string()),
                UdpMode::Silent,
                lossy,
            );
            (handle, SocketKind::Ephemeral)
        });
        handle
    }

    fn send_message(&mut self, engine: &Engine) {
        let target = self.target.text().trim().to_string();
        if let Err(reason) = crate::net::resolve::split_host_port(&target) {
            self.status = Status::new(Kind::Error, format!("Target: {reason}"));
            return;
        }
        let bytes = match self.composer.bytes() {
            Ok(bytes) => bytes,
            Err(reason) => {
                self.status = Status::new(Kind::Error, format!("Not sent: {reason}"));
                return;
            }
        };
        // The size limit depends on the IP version the target resolves to:
        // the engine checks it and reports "datagram too large" (the text
        // stays in the history: Up recalls it).
        let _ = self.composer.take();
        self.sender(engine, &target).send(&target, bytes);
    }

    fn run_burst(&mut self, engine: &Engine) {
        let target = self.target.text().trim().to_string();
        if let Err(reason) = crate::net::resolve::split_host_port(&target) {
            self.status = Status::new(Kind::Error, format!("Target: {reason}"));
            return;
        }
        let (count, size) = match parse_burst(self.burst.text()) {
            Ok(spec) => spec,
            Err(reason) => {
                self.status = Status::new(Kind::Error, reason);
                return;
            }
        };
        self.status = Status::new(
            Kind::Info,
            format!("Burst: {count} × {size} B to {target}…"),
        );
        self.sender(engine, &target)
            .burst(&target, count, size, BURST_WAIT);
    }

    fn save(&mut self, engine: &Engine) {
        let mut view = LogView::with_capacity("UDP packets", self.packets.len().max(1));
        for packet in self.packets.iter() {
            let (kind, verb) = match packet.direction {
                Direction::In => (Kind::In, "from"),
                Direction::Out => (Kind::Out, "to"),
                Direction::Lost => (Kind::Error, "LOST from"),
            };
            view.push(
                kind,
                format!(
                    "{verb} {} {} B: {}",
                    packet.peer,
                    packet.len,
                    sanitize(&packet.bytes)
                ),
            );
        }
        let (name, contents) = view.saved_file("udp-packets");
        self.saving = self.packets.len();
        engine.save(SaveFor::UdpPackets, PathBuf::from("."), name, contents);
        self.passing.show(
            Status::new(Kind::Info, "Saving the packet list…"),
            &self.status,
        );
    }

    /// A capture's file is written whole (or failed).
    pub fn on_captured(&mut self, outcome: Result<PathBuf, String>) {
        let (kind, text) = crate::ui::widgets::capture::report(outcome);
        self.status = Status::new(kind, text.clone());
        self.log.push(kind, text);
    }

    /// The outcome of the save asked for with Ctrl+S.
    pub fn on_saved(&mut self, outcome: Result<PathBuf, String>) {
        self.passing
            .show(Status::saved(outcome, self.saving, "packets"), &self.status);
    }

    fn record(
        &mut self,
        direction: Direction,
        peer: SocketAddr,
        data: Payload,
        (note, cast): (Option<String>, Option<std::net::IpAddr>),
    ) {
        self.packets.push(Packet {
            at: Stamp::now(),
            direction,
            peer,
            len: data.len,
            bytes: data.preview.into_vec(),
            note,
            cast,
        });
    }
}

/// Parses `100 x 64` (count x size in bytes).
pub fn parse_burst(text: &str) -> Result<(u32, usize), String> {
    let lowered = text.to_ascii_lowercase();
    let (count, size) = lowered
        .split_once(['x', '*', '×'])
        .ok_or("burst: write count x size, e.g. 100 x 64")?;
    let count: u32 = count.trim().parse().map_err(|_| {
        format!(
            "burst: '{}' is not a count",
            crate::text::sanitize_str(count.trim())
        )
    })?;
    let size: usize = size.trim().parse().map_err(|_| {
        format!(
            "burst: '{}' is not a size",
            crate::text::sanitize_str(size.trim())
        )
    })?;
    if count == 0 || count > MAX_BURST {
        return Err(format!("burst: count must be 1 to {MAX_BURST}"));
    }
    if size > MAX_DATAGRAM_V4 {
        return Err(format!(
            "burst: size {size} is over {MAX_DATAGRAM_V4}, the largest UDP/IPv4 datagram"
        ));
    }
    Ok((count, size))
}

impl crate::ui::shell::tab::TabView for UdpTab {
    fn state(&self) -> crate::ui::shell::tab::TabState {
        crate::ui::shell::tab::TabState {
            active: self.is_open(),
            ticking: {
                self.timed.as_ref().is_some_and(|timed| !timed.finished()) || self.passing.pending()
            },
            overlay: self.rules.open || self.timed_prompt.is_some(),
        }
    }
    fn click(&mut self, column: u16, row: u16) {
        let at = crate::ui::shell::mouse::click(&self.mouse, column, row, &mut self.focus);
        if let Some(seq) = at.and_then(|at| u64::try_from(at).ok()) {
            if self.packets.get_seq(seq).is_some() {
                self.packets_at.hold(seq);
            }
        }
    }
    fn wheel_keys(&mut self, column: u16, row: u16, down: bool) -> Vec<KeyEvent> {
        crate::ui::shell::mouse::wheel(&self.mouse, column, row, down, &mut self.focus)
    }
    fn code_setting(&self) -> crate::code::Setting {
        crate::code::Setting::Udp {
            bind: self.bind.text().trim().to_string(),
            mode: self.mode,
            target: self.target.text().trim().to_string(),
            message: self.composer.message_for_code(),
        }
    }
    fn help(&self) -> Vec<Hint> {
        shell_keys::help(Self::BINDINGS)
    }
    fn on_tick(&mut self, _engine: &Engine) {
        self.passing.tick_at(std::time::Instant::now());
    }
    fn listen_field(&mut self) -> Option<(&mut InputField, bool)> {
        let locked = self.socket.is_some();
        Some((&mut self.bind, locked))
    }
}

impl crate::ui::shell::app::StartTab for UdpTab {
    fn start(
        options: &crate::ui::shell::app::StartOptions,
        me: crate::ui::shell::app::Tab,
    ) -> Self {
        UdpTab::new(&options.addr_for(me, "127.0.0.1:9999"), "127.0.0.1:9999")
    }
}

impl crate::ui::shell::tab::TabInput for UdpTab {
    fn focus_step(&mut self, forward: bool) {
        self.focus = self.focus.step(if forward { 1 } else { -1 });
    }
    /// Whether a text field has the keyboard.
    fn typing(&self) -> bool {
        self.focus != Focus::Packets
    }

    /// Puts the keyboard on the bind field (what Alt+4 does).
    fn focus_first(&mut self) {
        self.focus = Focus::Bind;
    }

    /// Handles a key; returns whether it was used.
    fn on_key(&mut self, key: KeyEvent, engine: &Engine) -> bool {
        if self.rules.open {
            self.rules.key(key);
            self.apply_rules();
            return true;
        }
        if self.timed_prompt.is_some() {
            self.timed_prompt_key(key, engine);
            return true;
        }
        match shell_keys::action(Self::BINDINGS, &key, self.focus) {
            Some(action) => self.perform(action, key, engine),
            None => self.on_focused_key(key),
        }
    }

    /// Inserts pasted text into the focused field.
    fn on_paste(&mut self, text: &str) {
        // The tab's own overlay (a prompt, an editor) takes a paste;
        // nothing lands in a field hidden under it.
        if crate::ui::shell::tab::TabView::state(self).overlay {
            if let Some(prompt) = &mut self.timed_prompt {
                return prompt.paste(text);
            }
            self.rules.paste(text);
            self.apply_rules();
            return;
        }
        match self.focus {
            Focus::Bind => {
                self.bind.paste(text);
            }
            Focus::Target => {
                self.target.paste(text);
            }
            Focus::Message => {
                self.composer.paste(text);
            }
            Focus::Burst => {
                self.burst.paste(text);
            }
            Focus::Packets => {}
        }
    }

    /// Keys worth showing in the footer now, from the bindings table.
    fn hints(&self) -> Vec<Hint> {
        let bound = self.socket.is_some();
        shell_keys::footer(Self::BINDINGS, self.focus, |action, label| {
            Some(match action {
                Action::Bind if label == "bind" && bound => "unbind",
                _ => label,
            })
        })
    }
}

impl crate::ui::shell::tab::Remembered for UdpTab {
    fn remember(&self, memory: &mut crate::state::Memory) {
        memory.set("udp.bind", self.bind.text().trim());
        memory.set("udp.target", self.target.text().trim());
        memory.set("udp.mode", self.mode.name());
        memory.set("udp.rules", self.rules.text());
        self.composer.remember("udp", memory);
    }
    fn restore(&mut self, memory: &crate::state::Memory) {
        if let Some(bind) = memory.get("udp.bind") {
            self.bind.set_text(bind);
        }
        if let Some(target) = memory.get("udp.target") {
            self.target.set_text(target);
        }
        if let Some(mode) = memory.get("udp.mode") {
            if let Some(found) = UdpMode::ALL.into_iter().find(|m| m.name() == mode) {
                self.mode = found;
            }
        }
        self.composer.restore("udp", memory);
        if let Some(text) = memory.get("udp.rules") {
            self.rules = crate::ui::widgets::rules_editor::RulesEditor::with_text(text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_specs() {
        assert_eq!(parse_burst("100 x 64"), Ok((100, 64)));
        assert_eq!(parse_burst("5x1"), Ok((5, 1)));
        assert!(parse_burst("0 x 1").is_err());
        assert!(parse_burst("10 x 70000").unwrap_err().contains("65507"));
        assert!(parse_burst("ten x 1").unwrap_err().contains("not a count"));
        assert!(parse_burst("10").is_err());
    }
}
