//! The TCP Server tab: listen on an address, watch connections arrive with
//! their full 4-tuple, switch behaviour live, reply by hand, kick, broadcast.
//!
//! ```text
//! ╭ Listen on ───────────────────────────────────────────────╮
//! │ 127.0.0.1:9999                                           │
//! ╰──────────────────────────────────────────────────────────╯
//!  ● Listening on 127.0.0.1:9999 · mode greet (F5) · delay 0 ms (F6)
//! ╭ Connections · 1 open · 3 accepted ───────────────────────╮
//! │ ID  PEER             LOCAL           STATE  AGE  IN …    │
//! ╰──────────────────────────────────────────────────────────╯
//! ╭ Send to #3 · EOL none (F3) · escapes off (F4) ───────────╮
//! ╰──────────────────────────────────────────────────────────╯
//! ╭ Server log · 12 entries ─────────────────────────────────╮
//! ╰──────────────────────────────────────────────────────────╯
//! ```

use crate::net::stream::Endpoint;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use crossterm::event::KeyEvent;
use ratatui::widgets::TableState;

use crate::ui::shell::keys as shell_keys;
pub use crate::ui::tabs::tcp_server::keys::Action;
use crate::ui::tabs::tcp_server::tls::ServerTls;
use crate::ui::widgets::console::{Console, ConsoleFocus, Part, SaveAs};
use crate::ui::widgets::follow::Follow;
use crate::ui::widgets::kernel::KernelPanel;
use crate::ui::widgets::log_view::Kind;
use crate::ui::widgets::timeline::Timeline;

mod fold;
mod kernel_glue;
pub mod keys;
pub mod tls;
mod view;
use crate::narrate::ServerNarrator;
use crate::net::behaviour::greet::{Behaviour, ServerConfig};
use crate::net::error::human_duration;
use crate::net::tcp_server::{self, ServerEvent, ServerHandle};
use crate::net::tls::server::TlsServer;
use crate::net::{CloseReason, ConnId, ConnStats, Engine, SaveFor, ServerId};
use crate::ui::{cycle, Hint, Status, REPLY_DELAYS};
mod tab_view;

/// Closed connections kept in the table (oldest go first); open ones all stay.
pub const CLOSED_ROWS_KEPT: usize = 200;

/// Why Alt+K does nothing on a UNIX socket.
pub(crate) const UNIX_NO_CAPTURE: &str =
    "Alt+K writes IP packets, and a UNIX socket has none: no capture here";

/// Which part of the tab has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    /// The listen address field.
    Address,
    /// The TLS certificate file field (only while TLS is on).
    Cert,
    /// The TLS key file field (only while TLS is on).
    Key,
    /// The connection table.
    Connections,
    /// The message input.
    Message,
    /// The server log.
    Log,
}

impl Focus {
    const ORDER: [Focus; 6] = [
        Focus::Address,
        Focus::Cert,
        Focus::Key,
        Focus::Connections,
        Focus::Message,
        Focus::Log,
    ];

    /// The next (or previous) focus; the TLS fields only while TLS is on.
    fn step(self, forward: bool, tls: bool) -> Self {
        crate::ui::step_focus(&Self::ORDER, self, forward, |f| {
            !tls && matches!(f, Focus::Cert | Focus::Key)
        })
    }
}

impl ConsoleFocus for Focus {
    fn part(self) -> Option<Part> {
        match self {
            Focus::Address => Some(Part::Address),
            Focus::Message => Some(Part::Message),
            Focus::Log => Some(Part::Log),
            Focus::Connections | Focus::Cert | Focus::Key => None,
        }
    }

    fn on(part: Part) -> Self {
        match part {
            Part::Address => Focus::Address,
            Part::Message => Focus::Message,
            Part::Log => Focus::Log,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    Stopped,
    Starting,
    Listening(Endpoint),
    Stopping,
}

/// Connection state as the table shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum RowState {
    Open,
    PeerHalfClosed,
    Closed(CloseReason, Instant),
}

struct ConnRow {
    id: ConnId,
    peer: Endpoint,
    local: Endpoint,
    state: RowState,
    stats: Arc<ConnStats>,
    /// TLS version and SNI, or "failed", on a TLS listener.
    tls: Option<String>,
    /// The connection's life, with timestamps.
    timeline: Timeline,
    /// The kernel's view as it was last shown (Ctrl+O): kept for the rows
    /// that were looked at, so reopening it keeps history and settings.
    kernel: Option<Box<KernelPanel>>,
    /// Whether the last read-back said it closes with RST (`SO_LINGER` 0).
    closes_with_reset: bool,
    /// How it ended, once it has.
    ending: Option<crate::ui::widgets::timeline::Ending>,
    /// Upgraded to WebSocket: the table counts messages, not reads.
    websocket: bool,
}

impl ConnRow {
    fn is_open(&self) -> bool {
        !matches!(self.state, RowState::Closed(..))
    }
}

/// The TCP Server tab's state.
pub struct ServerTab {
    /// Which part has the keyboard.
    pub focus: Focus,
    config: ServerConfig,
    handle: Option<ServerHandle>,
    phase: Phase,
    narrator: ServerNarrator,
    rows: Vec<ConnRow>,
    /// Which row is selected: the newest, or one held by its id.
    selection: Follow,
    table: TableState,
    accepted: u64,
    broadcast: bool,
    /// Listen address, message composer and the server log.
    pub console: Console,
    /// TLS switch, certificate and key.
    pub tls: ServerTls,
    /// The kernel's view of one connection, while shown (Ctrl+O).
    kernel: Option<(ConnId, KernelPanel)>,
    /// Where the last frame drew each part, for the mouse.
    mouse: crate::ui::shell::mouse::Areas<Focus>,
    /// The rules of rules mode and their editor (Alt+E).
    rules: crate::ui::widgets::rules_editor::RulesEditor,
    /// Record every connection, one file each (Alt+R).
    recording: crate::ui::widgets::recording::RecordSwitch,
    capture: crate::ui::widgets::capture::CaptureSwitch,
    /// New connections speak WebSocket (Alt+W).
    websocket: bool,
}

impl ServerTab {
    /// The tab, with `address` in the listen field.
    pub fn new(address: &str) -> Self {
        Self {
            focus: Focus::Address,
            config: ServerConfig::default(),
            handle: None,
            phase: Phase::Stopped,
            narrator: ServerNarrator::new(),
            rows: Vec::new(),
            selection: Follow::default(),
            table: TableState::default(),
            accepted: 0,
            broadcast: false,
            console: Console::new(
                (address, "host:port, e.g. 127.0.0.1:9999 or [::1]:9999"),
                "reply to the selected connection (manual mode, or any time)",
                "Server log",
                SaveAs {
                    asker: SaveFor::ServerLog,
                    stem: "tcp-server",
                    noun: "log entries",
                },
                Status::new(Kind::Info, "Stopped. Enter starts listening."),
            ),
            tls: ServerTls::default(),
            kernel: None,
            mouse: crate::ui::shell::mouse::Areas::default(),
            rules: crate::ui::widgets::rules_editor::RulesEditor::default(),
            recording: crate::ui::widgets::recording::RecordSwitch::new("netplay-server"),
            capture: crate::ui::widgets::capture::CaptureSwitch::new(
                crate::ui::widgets::capture::Words {
                    stem: "netplay-server",
                    what: "every new connection",
                    off: "Capture off for new connections: the file is finished once the ones in it close",
                    idle: "Not listening: start the server first (F8), then Alt+K",
                },
                crate::net::SaveFor::ServerCapture,
            ),
            websocket: false,
        }
    }

    /// Whether anything on the tab changes with time alone (ages).
    pub fn is_live(&self) -> bool {
        self.rows.iter().any(ConnRow::is_open)
    }

    /// Whether the listener is up.
    pub fn is_listening(&self) -> bool {
        matches!(self.phase, Phase::Listening(_))
    }

    fn perform(&mut self, action: Action, key: KeyEvent, engine: &Engine) -> bool {
        match action {
            Action::Hex => self.console.log.hex = !self.console.log.hex,
            Action::ComposerSetting => {
                self.console.composer.settings_key(key);
            }
            Action::Mode => {
                self.config.behaviour = self.config.behaviour.next();
                self.apply_config();
            }
            Action::Delay => {
                self.config.reply_delay = cycle(&REPLY_DELAYS, self.config.reply_delay);
                self.apply_config();
            }
            Action::Broadcast => self.broadcast = !self.broadcast,
            Action::Listen => self.toggle(engine),
            Action::Pause => self.console.log.toggle_pause(),
            Action::Save => self.console.save(engine),
            Action::Send => self.send_message(),
            Action::SelectUp => return self.select(|view, keys| view.step_in(-1, keys)),
            Action::SelectDown => return self.select(|view, keys| view.step_in(1, keys)),
            Action::SelectFirst => return self.select(Follow::to_first_in),
            Action::SelectLast => return self.select(|view, _| view.follow()),
            Action::Kick => return self.kick_selected(),
            Action::ToMessage => self.focus = Focus::Message,
            Action::Tls => {
                self.tls.on = !self.tls.on;
                if !self.tls.on && matches!(self.focus, Focus::Cert | Focus::Key) {
                    self.focus = Focus::Address;
                }
                if self.phase != Phase::Stopped {
                    self.console.say(
                        Kind::Info,
                        "TLS changes apply at the next start (F8 stops, F8 starts)",
                    );
                }
            }
            Action::Rules => self.rules.open = true,
            Action::Record => self.toggle_record(),
            Action::Capture if matches!(self.phase, Phase::Listening(Endpoint::Unix(_))) => {
                self.console.say(Kind::Error, UNIX_NO_CAPTURE);
            }
            Action::Capture => {
                let handle = self.handle.as_ref();
                let (kind, text) = self.capture.toggle(engine, handle, |handle, capture| {
                    handle.set_capture(capture)
                });
                self.console.say(kind, text);
            }
            Action::WebSocket => self.toggle_websocket(),
            Action::Field => return false,
        }
        true
    }

    /// Keys no binding took: typing, history and scrolling.
    fn on_focused_key(&mut self, key: KeyEvent) -> bool {
        let locked = self.phase != Phase::Stopped;
        match self.focus {
            Focus::Cert if !locked => self.tls.cert.input(key),
            Focus::Key if !locked => self.tls.key.input(key),
            Focus::Cert | Focus::Key => false,
            _ => self.console.key(&mut self.focus, key, locked),
        }
    }

    fn apply_config(&mut self) {
        if let Some(handle) = &self.handle {
            handle.set_config(self.config);
            self.console.log.push(
                Kind::Info,
                format!(
                    "Mode now {} · reply delay {}",
                    self.config.behaviour.name(),
                    human_duration(self.config.reply_delay)
                ),
            );
        }
    }

    /// Starts listening, or stops if running.
    fn toggle(&mut self, engine: &Engine) {
        match self.phase {
            Phase::Stopped => {
                let address = self.console.address();
                let tls = match self.tls.server(&address) {
                    Ok(tls) => tls,
                    Err(reason) => {
                        return self
                            .console
                            .say(Kind::Error, format!("Cannot start TLS: {reason}"))
                    }
                };
                self.tls.in_use = tls.as_ref().map(TlsServer::describe);
                if let Some(words) = &self.tls.in_use {
                    self.console.log.push(Kind::Info, words.clone());
                }
                self.console
                    .say(Kind::Info, format!("Starting on {address}…"));
                let acceptor = tls.map(|tls| tls.acceptor);
                self.handle = Some(tcp_server::start_websocket(
                    engine,
                    &address,
                    self.config,
                    acceptor,
                    self.websocket_options(),
                ));
                self.apply_rules();
                if let (Some(to), Some(handle)) = (self.recording.plan(), &self.handle) {
                    let _ = handle.record(Some(to));
                }
                self.phase = Phase::Starting;
            }
            Phase::Starting | Phase::Listening(_) => {
                if let Some(handle) = &self.handle {
                    handle.stop();
                }
                self.phase = Phase::Stopping;
                self.console.say(Kind::Info, "Stopping…");
            }
            Phase::Stopping => {}
        }
    }

    fn websocket_options(&self) -> Option<crate::net::tcp_server::WsOptions> {
        self.websocket.then(Default::default)
    }

    /// Alt+W: WebSocket for the connections accepted from now on.
    fn toggle_websocket(&mut self) {
        self.websocket = !self.websocket;
        if let Some(handle) = &self.handle {
            handle.set_websocket(self.websocket_options());
        }
        let (short, words) = if self.websocket {
            ("WebSocket on", "WebSocket on: new connections upgrade first (GET with Upgrade: websocket, answered 101), then the mode answers whole messages; try websocat ws://ADDRESS/ or a browser's new WebSocket('ws://ADDRESS/')")
        } else {
            (
                "WebSocket off",
                "WebSocket off: new connections are plain TCP (open ones keep speaking WebSocket)",
            )
        };
        self.console.log.push(Kind::Info, words.to_string());
        self.console.say_briefly(Kind::Info, short);
    }

    /// Alt+R: records every connection (the open ones from now, each new
    /// one from its first byte), one file each; or stops.
    fn toggle_record(&mut self) {
        let running = matches!(self.phase, Phase::Starting | Phase::Listening(_));
        let live = running && self.rows.iter().any(ConnRow::is_open);
        let handle = self.handle.as_ref().filter(|_| running);
        let tell = handle.map(|handle| move |to| handle.record(to).is_ok());
        self.recording
            .toggle(&mut self.console, "connection", live, tell);
    }

    /// A connection's recording started or ended.
    pub fn on_record(&mut self, news: crate::net::record::recorder::RecordNews) {
        self.recording.report(&mut self.console, &news);
    }

    /// Alt+K's file is written whole.
    pub fn on_captured(&mut self, outcome: Result<PathBuf, String>) {
        let (kind, text) = crate::ui::widgets::capture::report(outcome);
        self.console.say(kind, text);
    }

    /// The outcome of the save asked for with Ctrl+S.
    pub fn on_saved(&mut self, outcome: Result<PathBuf, String>) {
        self.console.on_saved(outcome);
    }

    /// The rows' ids, oldest first: what the selection holds on to.
    fn keys(&self) -> Vec<u64> {
        self.rows.iter().map(|row| row.id.0).collect()
    }

    /// Moves the selection with `how`; whether there was a row to select.
    fn select(&mut self, how: impl FnOnce(&mut Follow, &[u64])) -> bool {
        let keys = self.keys();
        how(&mut self.selection, &keys);
        !keys.is_empty()
    }

    fn selected(&self) -> Option<&ConnRow> {
        self.selection
            .index_in(&self.keys())
            .and_then(|at| self.rows.get(at))
    }

    fn kick_selected(&mut self) -> bool {
        let Some((id, open)) = self.selected().map(|row| (row.id, row.is_open())) else {
            return false;
        };
        match (&self.handle, open) {
            (Some(handle), true) => {
                if let Err(busy) = handle.kick(id) {
                    self.console.say(Kind::Error, format!("Not kicked: {busy}"));
                }
            }
            _ => self
                .console
                .say(Kind::Error, format!("{id} is already closed")),
        }
        true
    }

    fn send_message(&mut self) {
        let Some(handle) = &self.handle else {
            return self
                .console
                .say(Kind::Error, "Not listening: nothing to send to");
        };
        let target =
            if self.broadcast {
                None
            } else {
                match self.selected() {
                    Some(row) if row.is_open() => Some(row.id),
                    _ => return self.console.say(
                        Kind::Error,
                        "Select an open connection (Tab to the table, Up/Down) or broadcast (F7)",
                    ),
                }
            };
        self.console.send(|bytes| match target {
            Some(id) => handle.send(id, bytes),
            None => handle.broadcast(bytes),
        });
    }

    /// The row of `id`: rows are kept in id order, so this is a binary
    /// search (every received chunk marks its row's timeline).
    fn row_mut(&mut self, id: ConnId) -> Option<&mut ConnRow> {
        let at = self.rows.binary_search_by_key(&id, |row| row.id).ok()?;
        self.rows.get_mut(at)
    }

    /// Gives the running server the rules in force (every edit, and at
    /// start).
    fn apply_rules(&self) {
        if let Some(handle) = &self.handle {
            handle.set_rules(Some(self.rules.rules()));
        }
    }

    /// Sets the behaviour (the command line uses it; F5 cycles it).
    pub fn set_behaviour(&mut self, behaviour: Behaviour) {
        self.config.behaviour = behaviour;
        self.apply_config();
    }
}

impl crate::ui::shell::tab::TabInput for ServerTab {
    fn focus_step(&mut self, forward: bool) {
        self.focus = self.focus.step(forward, self.tls.on);
    }
    /// Whether a text field has the keyboard (single-letter keys type there).
    fn typing(&self) -> bool {
        matches!(
            self.focus,
            Focus::Address | Focus::Cert | Focus::Key | Focus::Message
        )
    }

    /// Puts the keyboard on the address field (what Alt+2 does).
    fn focus_first(&mut self) {
        self.focus = Focus::Address;
    }

    /// Handles a key; returns whether it was used.
    fn on_key(&mut self, key: KeyEvent, engine: &Engine) -> bool {
        if self.kernel.is_some() {
            self.kernel_key(&key);
            return true;
        }
        if self.rules.open {
            self.rules.key(key);
            self.apply_rules();
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
            if self.rules.open {
                self.rules.paste(text);
                self.apply_rules();
            }
            return;
        }
        let locked = self.phase != Phase::Stopped;
        match self.focus {
            Focus::Cert if !locked => {
                self.tls.cert.paste(text);
            }
            Focus::Key if !locked => {
                self.tls.key.paste(text);
            }
            _ => self.console.paste(&mut self.focus, text, locked),
        }
    }

    /// Keys worth showing in the footer now, from the bindings table.
    fn hints(&self) -> Vec<Hint> {
        let stopped = matches!(self.phase, Phase::Stopped);
        shell_keys::footer(Self::BINDINGS, self.focus, |action, label| {
            Some(match action {
                Action::Listen if label == "start" && !stopped => "stop",
                _ => label,
            })
        })
    }
}
