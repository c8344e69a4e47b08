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

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use crossterm::event::KeyEvent;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};
use ratatui::Frame;

use super::composer::Composer;
use super::input::{title, InputField};
use super::keys;
use super::log_view::{Kind, LogView};
pub use super::tcp_server_keys::Action;
use super::{age, count, cycle, theme, AddressKey, Hint, Status, REPLY_DELAYS};
use crate::narrate::ServerNarrator;
use crate::net::error::human_duration;
use crate::net::greet::{Behaviour, ServerConfig};
use crate::net::tcp_server::{self, ServerEvent, ServerHandle};
use crate::net::{CloseReason, ConnId, ConnStats, Engine, SaveFor, ServerId};

/// Closed connections kept in the table (oldest go first); open ones all stay.
pub const CLOSED_ROWS_KEPT: usize = 200;

/// Which part of the tab has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    /// The listen address field.
    Address,
    /// The connection table.
    Connections,
    /// The message input.
    Message,
    /// The server log.
    Log,
}

impl Focus {
    fn next(self) -> Self {
        match self {
            Focus::Address => Focus::Connections,
            Focus::Connections => Focus::Message,
            Focus::Message => Focus::Log,
            Focus::Log => Focus::Address,
        }
    }

    fn previous(self) -> Self {
        match self {
            Focus::Address => Focus::Log,
            Focus::Connections => Focus::Address,
            Focus::Message => Focus::Connections,
            Focus::Log => Focus::Message,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Stopped,
    Starting,
    Listening(SocketAddr),
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
    peer: SocketAddr,
    local: SocketAddr,
    state: RowState,
    stats: Arc<ConnStats>,
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
    address: InputField,
    config: ServerConfig,
    handle: Option<ServerHandle>,
    phase: Phase,
    narrator: ServerNarrator,
    rows: Vec<ConnRow>,
    table: TableState,
    accepted: u64,
    broadcast: bool,
    composer: Composer,
    /// The server log.
    pub log: LogView,
    status: Status,
    /// Entries in the save under way (for its status line).
    saving: usize,
}

impl ServerTab {
    /// The tab, with `address` in the listen field.
    pub fn new(address: &str) -> Self {
        Self {
            focus: Focus::Address,
            address: InputField::new(address, "host:port, e.g. 127.0.0.1:9999 or [::1]:9999"),
            config: ServerConfig::default(),
            handle: None,
            phase: Phase::Stopped,
            narrator: ServerNarrator::new(),
            rows: Vec::new(),
            table: TableState::default(),
            accepted: 0,
            broadcast: false,
            composer: Composer::new("reply to the selected connection (manual mode, or any time)"),
            log: LogView::new("Server log"),
            saving: 0,
            status: Status::new(Kind::Info, "Stopped. Enter starts listening."),
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

    /// Whether a text field has the keyboard (single-letter keys type there).
    pub fn typing(&self) -> bool {
        matches!(self.focus, Focus::Address | Focus::Message)
    }

    /// Handles a key; returns whether it was used.
    pub fn on_key(&mut self, key: KeyEvent, engine: &Engine) -> bool {
        match keys::action(Self::BINDINGS, &key, self.focus) {
            Some(action) => self.perform(action, key, engine),
            None => self.on_focused_key(key),
        }
    }

    fn perform(&mut self, action: Action, key: KeyEvent, engine: &Engine) -> bool {
        match action {
            Action::Hex => self.log.hex = !self.log.hex,
            Action::ComposerSetting => {
                self.composer.settings_key(key);
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
            Action::Pause => self.log.toggle_pause(),
            Action::Save => self.save(engine),
            Action::Send => self.send_message(),
            Action::SelectUp => return self.select_step(-1),
            Action::SelectDown => return self.select_step(1),
            Action::SelectFirst => return self.select_index(0),
            Action::SelectLast => return self.select_index(self.rows.len().saturating_sub(1)),
            Action::Kick => return self.kick_selected(),
            Action::ToMessage => self.focus = Focus::Message,
            Action::Field => return false,
        }
        true
    }

    /// Keys no binding took: typing, history and scrolling.
    fn on_focused_key(&mut self, key: KeyEvent) -> bool {
        match self.focus {
            Focus::Address => {
                match super::address_key(key, self.phase != Phase::Stopped, &mut self.address) {
                    // Enter is bound (Action::Listen) before this is reached.
                    AddressKey::Action => false,
                    AddressKey::ToMessage => {
                        self.focus = Focus::Message;
                        self.composer.input(key)
                    }
                    AddressKey::Edited(changed) => changed,
                }
            }
            Focus::Message => self.composer.input(key),
            Focus::Connections => false,
            Focus::Log => self.log.pane_key(key),
        }
    }

    /// Inserts pasted text into the focused field.
    pub fn on_paste(&mut self, text: &str) {
        match self.focus {
            Focus::Address if self.phase != Phase::Stopped => {
                self.focus = Focus::Message;
                self.composer.paste(text);
            }
            Focus::Address => {
                self.address.paste(text);
            }
            Focus::Message => {
                self.composer.paste(text);
            }
            _ => {}
        }
    }

    fn apply_config(&mut self) {
        if let Some(handle) = &self.handle {
            handle.set_config(self.config);
            self.log.push(
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
                let address = self.address.text().trim().to_string();
                self.status = Status::new(Kind::Info, format!("Starting on {address}…"));
                self.handle = Some(tcp_server::start(engine, &address, self.config));
                self.phase = Phase::Starting;
            }
            Phase::Starting | Phase::Listening(_) => {
                if let Some(handle) = &self.handle {
                    handle.stop();
                }
                self.phase = Phase::Stopping;
                self.status = Status::new(Kind::Info, "Stopping…");
            }
            Phase::Stopping => {}
        }
    }

    fn save(&mut self, engine: &Engine) {
        let (name, contents) = self.log.saved_file("tcp-server");
        self.saving = self.log.ring().len();
        engine.save(SaveFor::ServerLog, PathBuf::from("."), name, contents);
        self.status = Status::new(Kind::Info, "Saving the log…");
    }

    /// The outcome of the save asked for with Ctrl+S.
    pub fn on_saved(&mut self, outcome: Result<PathBuf, String>) {
        self.status = Status::saved(outcome, self.saving, "log entries");
    }

    fn select_step(&mut self, step: isize) -> bool {
        if self.rows.is_empty() {
            return false;
        }
        let at = self.table.selected().unwrap_or(0) as isize + step;
        self.select_index(at.clamp(0, self.rows.len() as isize - 1) as usize)
    }

    fn select_index(&mut self, index: usize) -> bool {
        if self.rows.is_empty() {
            return false;
        }
        self.table.select(Some(index.min(self.rows.len() - 1)));
        true
    }

    fn selected(&self) -> Option<&ConnRow> {
        self.table.selected().and_then(|at| self.rows.get(at))
    }

    fn kick_selected(&mut self) -> bool {
        let Some((id, open)) = self.selected().map(|row| (row.id, row.is_open())) else {
            return false;
        };
        match (&self.handle, open) {
            (Some(handle), true) => {
                if let Err(busy) = handle.kick(id) {
                    self.status = Status::new(Kind::Error, format!("Not kicked: {busy}"));
                }
            }
            _ => self.status = Status::new(Kind::Error, format!("{id} is already closed")),
        }
        true
    }

    fn send_message(&mut self) {
        let Some(handle) = &self.handle else {
            self.status = Status::new(Kind::Error, "Not listening: nothing to send to");
            return;
        };
        let target = if self.broadcast {
            None
        } else {
            match self.selected() {
                Some(row) if row.is_open() => Some(row.id),
                _ => {
                    self.status = Status::new(
                        Kind::Error,
                        "Select an open connection (Tab to the table, Up/Down) or broadcast (F7)",
                    );
                    return;
                }
            }
        };
        match self.composer.take() {
            Ok(Some(bytes)) => {
                let sent = match target {
                    Some(id) => handle.send(id, bytes),
                    None => handle.broadcast(bytes),
                };
                if let Err(busy) = sent {
                    self.status = Status::new(
                        Kind::Error,
                        format!("Not sent: {busy} (Up recalls the message)"),
                    );
                }
            }
            Ok(None) => {}
            Err(reason) => self.status = Status::new(Kind::Error, format!("Not sent: {reason}")),
        }
    }

    fn row_mut(&mut self, id: ConnId) -> Option<&mut ConnRow> {
        self.rows.iter_mut().find(|row| row.id == id)
    }

    /// Folds one engine event into the tab. The log's words come from the
    /// shared narrator, so `netplay tcp serve` says the same.
    pub fn on_event(&mut self, server: ServerId, event: ServerEvent) {
        let current = self.handle.as_ref().map(ServerHandle::id) == Some(server);
        let lifecycle = matches!(
            event,
            ServerEvent::Listening { .. } | ServerEvent::StartFailed { .. } | ServerEvent::Stopped
        );
        if lifecycle && !current {
            return; // a replaced listener's start or stop
        }
        let line = self.narrator.narrate(&event, self.config.behaviour.name());
        let rejected = matches!(event, ServerEvent::Rejected { .. }).then(|| line.text.clone());
        match line.data {
            Some(data) => self.log.push_data(line.kind, line.text, data),
            None => self.log.push(line.kind, line.text),
        }
        match event {
            ServerEvent::Listening { local } => {
                self.phase = Phase::Listening(local);
                self.status = Status::new(Kind::Good, format!("Listening on {local}"));
            }
            ServerEvent::StartFailed { reason } => {
                self.handle = None;
                self.phase = Phase::Stopped;
                self.status = Status::new(Kind::Error, format!("Cannot listen: {reason}"));
            }
            ServerEvent::Stopped => {
                self.handle = None;
                self.phase = Phase::Stopped;
                self.status = Status::new(Kind::Info, "Stopped. Enter starts listening again.");
            }
            ServerEvent::AcceptFailed { reason } | ServerEvent::Warning { reason } => {
                self.status = Status::new(Kind::Error, reason);
            }
            ServerEvent::Rejected { .. } => {
                self.status = Status::new(Kind::Error, rejected.unwrap_or_default());
            }
            ServerEvent::Accepted {
                conn,
                peer,
                local,
                stats,
            } => {
                self.accepted += 1;
                self.rows.push(ConnRow {
                    id: conn,
                    peer,
                    local,
                    state: RowState::Open,
                    stats,
                });
                if self.selected().is_none_or(|row| !row.is_open()) {
                    self.table.select(Some(self.rows.len() - 1));
                }
            }
            ServerEvent::Received { .. } | ServerEvent::Sent { .. } => {}
            ServerEvent::PeerHalfClosed { conn } => {
                if let Some(row) = self.row_mut(conn) {
                    row.state = RowState::PeerHalfClosed;
                }
            }
            ServerEvent::Closed { conn, reason } => {
                if let Some(row) = self.row_mut(conn) {
                    row.state = RowState::Closed(reason, Instant::now());
                }
                self.prune_closed_rows();
            }
        }
    }

    fn prune_closed_rows(&mut self) {
        let closed = self.rows.iter().filter(|row| !row.is_open()).count();
        if closed <= CLOSED_ROWS_KEPT {
            return;
        }
        let selected_id = self.selected().map(|row| row.id);
        let mut excess = closed - CLOSED_ROWS_KEPT;
        self.rows.retain(|row| {
            if excess > 0 && !row.is_open() {
                excess -= 1;
                false
            } else {
                true
            }
        });
        let index = selected_id
            .and_then(|id| self.rows.iter().position(|row| row.id == id))
            .or(if self.rows.is_empty() { None } else { Some(0) });
        self.table.select(index);
    }

    /// Keys worth showing in the footer now, from the bindings table.
    pub fn hints(&self) -> Vec<Hint> {
        let stopped = matches!(self.phase, Phase::Stopped);
        keys::footer(Self::BINDINGS, self.focus, |action, label| {
            Some(match action {
                Action::Listen if label == "start" && !stopped => "stop",
                _ => label,
            })
        })
    }

    /// Draws the tab.
    pub fn render(&mut self, frame: &mut Frame, area: Rect) {
        let [address, status, table, message, log] = Layout::vertical([
            Constraint::Length(3),
            Constraint::Length(1),
            Constraint::Percentage(30),
            Constraint::Length(3),
            Constraint::Min(5),
        ])
        .areas(area);
        let listen_title = title("Listen on", Vec::new());
        self.address
            .render(frame, address, listen_title, self.focus == Focus::Address);
        frame.render_widget(Paragraph::new(self.status_line()), status);
        self.render_table(frame, table);
        let target = if self.broadcast {
            "Broadcast to all open connections (F7)".to_string()
        } else {
            match self.selected() {
                Some(row) if row.is_open() => format!("Send to {} {}", row.id, row.peer),
                _ => "Send (select a connection)".to_string(),
            }
        };
        self.composer
            .render(frame, message, &target, self.focus == Focus::Message);
        self.log.render(frame, log, self.focus == Focus::Log);
    }

    fn status_line(&self) -> Line<'static> {
        let (dot, dot_style) = match self.phase {
            Phase::Listening(_) => ("● ", theme::good()),
            Phase::Starting | Phase::Stopping => ("◌ ", theme::warn()),
            Phase::Stopped => ("○ ", theme::dim()),
        };
        let mut spans = vec![Span::styled(dot, dot_style)];
        spans.extend(self.status.line().spans);
        spans.push(Span::styled(" · mode ", theme::dim()));
        spans.push(Span::styled(self.config.behaviour.name(), theme::key()));
        spans.push(Span::styled(" (F5) · delay ", theme::dim()));
        spans.push(Span::raw(human_duration(self.config.reply_delay)));
        spans.push(Span::styled(" (F6)", theme::dim()));
        Line::from(spans)
    }

    fn render_table(&mut self, frame: &mut Frame, area: Rect) {
        let open = self.rows.iter().filter(|row| row.is_open()).count();
        let block = theme::pane(
            format!(
                " Connections · {open} open · {} accepted ",
                count(self.accepted)
            ),
            self.focus == Focus::Connections,
        );
        let header = Row::new([
            "ID",
            "PEER",
            "LOCAL",
            "STATE",
            "AGE",
            "IN B/reads",
            "OUT B/writes",
        ])
        .style(theme::dim());
        let now = Instant::now();
        let rows: Vec<Row> = self
            .rows
            .iter()
            .map(|row| {
                let stats = row.stats.snapshot();
                let (state, style, ended) = match &row.state {
                    RowState::Open => ("open".to_string(), ratatui::style::Style::default(), now),
                    RowState::PeerHalfClosed => ("peer FIN".to_string(), theme::warn(), now),
                    RowState::Closed(reason, at) => (short_reason(reason), theme::dim(), *at),
                };
                Row::new([
                    Cell::from(row.id.to_string()),
                    Cell::from(row.peer.to_string()),
                    Cell::from(row.local.to_string()),
                    Cell::from(state),
                    Cell::from(age(ended.saturating_duration_since(row.stats.opened))),
                    Cell::from(format!("{}/{}", count(stats.bytes_in), count(stats.reads))),
                    Cell::from(format!(
                        "{}/{}",
                        count(stats.bytes_out),
                        count(stats.writes)
                    )),
                ])
                .style(style)
            })
            .collect();
        let widths = [
            Constraint::Length(6),
            Constraint::Min(15),
            Constraint::Min(15),
            Constraint::Length(11),
            Constraint::Length(7),
            Constraint::Length(14),
            Constraint::Length(14),
        ];
        let table = Table::new(rows, widths)
            .header(header)
            .block(block)
            .row_highlight_style(theme::highlight())
            .highlight_symbol("▶ ");
        frame.render_stateful_widget(table, area, &mut self.table);
        if self.rows.is_empty() {
            let target = match self.phase {
                Phase::Listening(local) => format!("{} {}", local.ip(), local.port()),
                _ => "127.0.0.1 9999".to_string(),
            };
            let hint = Paragraph::new(Line::styled(
                format!("  No connections yet. Try: nc {target}, or the TCP Client tab (Alt+3)."),
                theme::dim(),
            ));
            let inner = Rect {
                x: area.x + 1,
                y: area.y + 2,
                width: area.width.saturating_sub(2),
                height: 1.min(area.height.saturating_sub(3)),
            };
            frame.render_widget(hint, inner);
        }
    }

    /// Puts the keyboard on the address field (what Alt+2 does).
    pub fn focus_first(&mut self) {
        self.focus = Focus::Address;
    }

    /// Sets the behaviour (the command line uses it; F5 cycles it).
    pub fn set_behaviour(&mut self, behaviour: Behaviour) {
        self.config.behaviour = behaviour;
        self.apply_config();
    }
}

fn short_reason(reason: &CloseReason) -> String {
    match reason {
        CloseReason::Peer => "closed·peer".into(),
        CloseReason::Local(_) => "closed·us".into(),
        CloseReason::ServerStopped => "closed·stop".into(),
        CloseReason::Error(_) => "closed·err".into(),
    }
}

impl super::tab::TabView for ServerTab {
    fn on_key(&mut self, key: KeyEvent, engine: &Engine) -> bool {
        ServerTab::on_key(self, key, engine)
    }
    fn on_paste(&mut self, text: &str) {
        ServerTab::on_paste(self, text);
    }
    fn render(&mut self, frame: &mut Frame, area: Rect) {
        ServerTab::render(self, frame, area);
    }
    fn hints(&self) -> Vec<Hint> {
        ServerTab::hints(self)
    }
    fn help(&self) -> Vec<Hint> {
        keys::help(Self::BINDINGS)
    }
    fn is_active(&self) -> bool {
        self.is_listening()
    }
    fn needs_tick(&self) -> bool {
        self.is_live()
    }
    fn focus_first(&mut self) {
        ServerTab::focus_first(self);
    }
    fn focus_step(&mut self, forward: bool) {
        self.focus = if forward {
            self.focus.next()
        } else {
            self.focus.previous()
        };
    }
    fn typing(&self) -> bool {
        ServerTab::typing(self)
    }
}

impl super::app::StartTab for ServerTab {
    fn start(options: &super::app::StartOptions, me: super::app::Tab) -> Self {
        {
            let mut tab = ServerTab::new(&options.addr_for(me, "127.0.0.1:9999"));
            if let Some(mode) = options.server_mode {
                tab.set_behaviour(mode);
            }
            tab
        }
    }
}
