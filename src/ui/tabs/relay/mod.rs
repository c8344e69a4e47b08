//! The Relay tab: sit between a real client and a real server, watch every
//! read both ways, hold / step / edit / drop / inject bytes, and switch
//! faults on live per direction.
//!
//! ```text
//! ╭ Listen on ─────────────────╮╭ Forward to ────────────────╮
//! ╰────────────────────────────╯╰────────────────────────────╯
//!  ● Relaying 127.0.0.1:9998 → 127.0.0.1:9999 · direction client → server (F5) · hold new off (F7)
//!    faults: client → server latency 200 ms
//! ╭ Pairs · 1 open · 3 accepted ─────────────────╮╭ Faults · 1 on ─────╮
//! ╰──────────────────────────────────────────────╯╰────────────────────╯
//! ╭ Held #3 client → server · 2 chunks, 12 B ────────────────────────────╮
//! ╭ Inject into #3 client → server · EOL none (F3) · escapes off (F4) ───╮
//! ╭ Transcript #3 · … ───────────────────────────────────────────────────╮
//! ```

use crate::net::stream::Endpoint;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::Instant;

use crossterm::event::KeyEvent;
use ratatui::widgets::TableState;

use crate::ui::shell::keys as shell_keys;
use crate::ui::tabs::relay::faults::FaultCursor;
pub use crate::ui::tabs::relay::keys::Action;
use crate::ui::widgets::composer::LineEnding;
use crate::ui::widgets::console::{Console, ConsoleFocus, Part, SaveAs};
use crate::ui::widgets::follow::Follow;
use crate::ui::widgets::input::InputField;
use crate::ui::widgets::log_view::Kind;

pub mod faults;
mod fold;
mod kernel_glue;
pub mod keys;
pub mod view;
mod websocket;
use crate::net::relay::{
    self, Dir, DirCommand, HeldChunk, PairCommand, PairStats, RelayConfig, RelayHandle, Side,
};
use crate::net::{ConnId, Engine, SaveFor};
use crate::ui::{Hint, Status};
mod tab_view;

/// Closed pairs kept in the table (oldest go first); open ones all stay.
pub const CLOSED_PAIRS_KEPT: usize = 200;

/// Which part of the tab has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    /// The listen address.
    Listen,
    /// The target address.
    Target,
    /// The pairs table.
    Pairs,
    /// The faults pane.
    Faults,
    /// The message input (inject, edit).
    Message,
    /// The transcript.
    Transcript,
}

impl Focus {
    const ORDER: [Focus; 6] = [
        Focus::Listen,
        Focus::Target,
        Focus::Pairs,
        Focus::Faults,
        Focus::Message,
        Focus::Transcript,
    ];

    fn step(self, forward: bool) -> Self {
        crate::ui::step_focus(&Self::ORDER, self, forward, |_| false)
    }
}

impl ConsoleFocus for Focus {
    fn part(self) -> Option<Part> {
        match self {
            Focus::Listen => Some(Part::Address),
            Focus::Message => Some(Part::Message),
            Focus::Transcript => Some(Part::Log),
            Focus::Target | Focus::Pairs | Focus::Faults => None,
        }
    }

    fn on(part: Part) -> Self {
        match part {
            Part::Address => Focus::Listen,
            Part::Message => Focus::Message,
            Part::Log => Focus::Transcript,
        }
    }
}

/// Where the relay is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Phase {
    Stopped,
    Starting,
    Relaying(Endpoint),
    Stopping,
}

/// One side of a pair, as the table shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct SideState {
    pub(crate) open: bool,
    /// It sent its FIN to us.
    pub(crate) fin_in: bool,
    /// We forwarded a FIN to it.
    pub(crate) fin_out: bool,
    pub(crate) closed: bool,
    pub(crate) reset: bool,
}

impl SideState {
    /// The state in a word or two.
    pub(crate) fn word(&self, connecting: bool) -> &'static str {
        match (self.reset, self.closed, self.fin_in, self.fin_out) {
            (true, ..) => "reset",
            (_, true, ..) => "closed",
            (_, _, true, true) => "FIN ⇅",
            (_, _, true, false) => "FIN in",
            (_, _, false, true) => "FIN out",
            _ if connecting => "conn…",
            _ if self.open => "open",
            _ => "failed",
        }
    }
}

/// One relayed pair.
pub(crate) struct PairRow {
    pub(crate) id: ConnId,
    pub(crate) client: Endpoint,
    pub(crate) local: Endpoint,
    /// Our address and the server's, once the upstream is open.
    pub(crate) upstream: Option<(Endpoint, Endpoint)>,
    /// `[client, server]`.
    pub(crate) sides: [SideState; 2],
    pub(crate) stats: Option<PairStats>,
    pub(crate) opened: Instant,
    pub(crate) closed_at: Option<Instant>,
    /// Held chunks per direction, oldest first (the engine bounds them).
    pub(crate) held: [VecDeque<HeldChunk>; 2],
    /// Whether each direction is held.
    pub(crate) hold: [bool; 2],
    /// The server answered an upgrade with 101: it speaks WebSocket.
    pub(crate) websocket: bool,
    /// The pair's life, with timestamps.
    pub(crate) timeline: crate::ui::widgets::timeline::Timeline,
    /// The kernel's view of each side as last shown (`[client, server]`),
    /// so that reopening it keeps its history and what was set.
    pub(crate) kernel: [Option<Box<crate::ui::widgets::kernel::KernelPanel>>; 2],
}

impl PairRow {
    pub(crate) fn is_open(&self) -> bool {
        self.closed_at.is_none()
    }

    fn side_mut(&mut self, side: Side) -> &mut SideState {
        &mut self.sides[match side {
            Side::Client => 0,
            Side::Server => 1,
        }]
    }
}

/// The Relay tab's state.
pub struct RelayTab {
    /// Which part has the keyboard.
    pub focus: Focus,
    /// Listen address, message composer and the relay log.
    pub console: Console,
    pub(crate) target: InputField,
    handle: Option<RelayHandle>,
    pub(crate) phase: Phase,
    /// The target of the running relay (for its log lines).
    running_target: String,
    pub(crate) config: RelayConfig,
    pub(crate) pairs: Vec<PairRow>,
    pub(crate) selection: Follow,
    pub(crate) table: TableState,
    pub(crate) accepted: u64,
    /// The direction hold, inject and edit act on.
    pub(crate) dir: Dir,
    /// The held chunk being edited in the message input.
    pub(crate) editing: Option<(ConnId, Dir, u64)>,
    /// What an inject into a WebSocket pair writes (Alt+W).
    pub(crate) inject_as: websocket::InjectAs,
    /// The composer's line ending and escapes before the edit (an edit
    /// turns escapes on; injecting afterwards works as it did before).
    before_edit: Option<(LineEnding, bool)>,
    pub(crate) faults_cursor: FaultCursor,
    /// The kernel's view of one pair's socket, while shown (Ctrl+O).
    kernel: Option<kernel_glue::RelayKernel>,
    /// Where the last frame drew each part, for the mouse.
    pub(crate) mouse: crate::ui::shell::mouse::Areas<Focus>,
    /// Record every pair, one file each (Alt+R).
    pub(crate) recording: crate::ui::widgets::recording::RecordSwitch,
    pub(crate) capture: crate::ui::widgets::capture::CaptureSwitch,
}

impl RelayTab {
    /// The tab, listening on `listen` and forwarding to `target` once started.
    pub fn new(listen: &str, target: &str) -> Self {
        Self {
            focus: Focus::Listen,
            console: Console::new(
                (listen, "host:port to listen on, e.g. 127.0.0.1:9998"),
                "bytes to inject into the selected pair (i on the pairs)",
                "Relay log",
                SaveAs {
                    asker: SaveFor::RelayLog,
                    stem: "relay",
                    noun: "log entries",
                },
                Status::new(Kind::Info, "Stopped. Enter starts relaying."),
            ),
            target: InputField::new(
                target,
                "host:port each client is relayed to; socks5 or http-proxy: be a proxy, each client names its own",
            ),
            handle: None,
            phase: Phase::Stopped,
            running_target: String::new(),
            config: RelayConfig::default(),
            pairs: Vec::new(),
            selection: Follow::default(),
            table: TableState::default(),
            accepted: 0,
            dir: Dir::Up,
            editing: None,
            inject_as: websocket::InjectAs::default(),
            before_edit: None,
            faults_cursor: FaultCursor::default(),
            kernel: None,
            mouse: crate::ui::shell::mouse::Areas::default(),
            recording: crate::ui::widgets::recording::RecordSwitch::new("netplay-relay"),
            capture: crate::ui::widgets::capture::CaptureSwitch::new(
                crate::ui::widgets::capture::Words {
                    stem: "netplay-relay",
                    what: "every new pair (both legs)",
                    off:
                        "Capture off for new pairs: the file is finished once the ones in it close",
                    idle: "Not running: start the relay first, then Alt+K",
                },
                crate::net::SaveFor::RelayCapture,
            ),
        }
    }

    /// Whether the relay is listening.
    pub fn is_relaying(&self) -> bool {
        matches!(self.phase, Phase::Relaying(_))
    }

    /// Whether anything changes with time alone (pair ages).
    pub fn is_live(&self) -> bool {
        self.pairs.iter().any(PairRow::is_open)
    }

    fn perform(&mut self, action: Action, key: KeyEvent, engine: &Engine) -> bool {
        match action {
            Action::Start => self.toggle(engine),
            Action::Hex => self.console.log.hex = !self.console.log.hex,
            Action::ComposerSetting => {
                self.console.composer.settings_key(key);
            }
            Action::Direction => self.dir = self.dir.reverse(),
            Action::Hold => self.hold(),
            Action::HoldNew => {
                let at = self.dir.index();
                self.config.hold_new[at] = !self.config.hold_new[at];
                self.apply_config();
            }
            Action::Pause => self.console.log.toggle_pause(),
            Action::Save => self.console.save(engine),
            Action::Record => self.toggle_record(),
            Action::Capture if self.has_unix_side() => {
                self.console
                    .say(Kind::Error, crate::ui::tabs::tcp_server::UNIX_NO_CAPTURE);
            }
            Action::Capture => {
                let handle = self.handle.as_ref();
                let (kind, text) = self.capture.toggle(engine, handle, |handle, capture| {
                    handle.set_capture(capture)
                });
                self.console.say(kind, text);
            }
            Action::InjectAs => {
                self.inject_as = self.inject_as.next();
                let words = format!("Injects into WebSocket pairs go {}", self.inject_as.label());
                self.console.say_briefly(Kind::Info, words);
            }
            Action::Send => self.send(),
            Action::Release => return self.on_held(|_| Some(DirCommand::ReleaseAll)),
            Action::Step => return self.on_held(|_| Some(DirCommand::Step)),
            Action::DropChunk => {
                return self.on_held(|held| held.front().map(|c| DirCommand::Drop(c.seq)))
            }
            Action::Edit => return self.edit(),
            Action::Reset => return self.pair_command(PairCommand::Reset),
            Action::Close => return self.pair_command(PairCommand::Close),
            Action::SelectUp => return self.select(|view, keys| view.step_in(-1, keys)),
            Action::SelectDown => return self.select(|view, keys| view.step_in(1, keys)),
            Action::SelectFirst => return self.select(Follow::to_first_in),
            Action::SelectLast => return self.select(|view, _| view.follow()),
            Action::ToMessage => self.focus = Focus::Message,
            Action::CancelEdit => {
                if self.editing.take().is_none() {
                    return false;
                }
                self.console.composer.load_escaped("");
                self.end_edit();
                self.console
                    .say(Kind::Info, "Edit cancelled: the chunk stays held");
            }
            Action::FaultNext | Action::FaultOff => {
                let fault = self.faults_cursor.fault();
                let faults = &mut self.config.faults[self.faults_cursor.dir.index()];
                if action == Action::FaultNext {
                    fault.cycle(faults);
                } else {
                    fault.clear(faults);
                }
                self.apply_config();
            }
            Action::Field => return false,
        }
        true
    }

    /// Keys no binding took: typing, history and scrolling.
    fn on_focused_key(&mut self, key: KeyEvent) -> bool {
        let locked = self.phase != Phase::Stopped;
        match self.focus {
            Focus::Target if locked => false,
            Focus::Target => self.target.input(key),
            Focus::Faults => self.faults_cursor.key(key.code),
            Focus::Pairs => false,
            _ => self.console.key(&mut self.focus, key, locked),
        }
    }

    fn toggle(&mut self, engine: &Engine) {
        match self.phase {
            Phase::Stopped => {
                let listen = self.console.address();
                let target = self.target.text().trim().to_string();
                if target.is_empty() {
                    self.focus = Focus::Target;
                    return self
                        .console
                        .say(Kind::Error, "Forward to is empty: type host:port");
                }
                self.console.say(
                    Kind::Info,
                    format!(
                        "Starting on {} → {}…",
                        crate::text::sanitize_str(&listen),
                        crate::text::sanitize_str(&target)
                    ),
                );
                self.handle = Some(relay::start_with(
                    engine,
                    &listen,
                    upstream_of(&target),
                    self.config,
                    relay::DEFAULT_CONNECT_TIMEOUT,
                ));
                if let (Some(to), Some(handle)) = (self.recording.plan(), &self.handle) {
                    let _ = handle.record(Some(to));
                }
                self.running_target = match upstream_of(&target) {
                    relay::proxy_serve::Upstream::Fixed(target) => target,
                    relay::proxy_serve::Upstream::Proxy(_) => {
                        format!("each client's target ({target} proxy)")
                    }
                };
                self.phase = Phase::Starting;
            }
            Phase::Starting | Phase::Relaying(_) => {
                if let Some(handle) = &self.handle {
                    handle.stop();
                }
                self.phase = Phase::Stopping;
                self.console.say(Kind::Info, "Stopping…");
            }
            Phase::Stopping => {}
        }
    }

    /// Alt+R: records every pair (the open ones from now, each new one
    /// from its first byte), one file each; or stops.
    fn toggle_record(&mut self) {
        let running = matches!(self.phase, Phase::Starting | Phase::Relaying(_));
        let live = running && self.pairs.iter().any(PairRow::is_open);
        let handle = self.handle.as_ref().filter(|_| running);
        let tell = handle.map(|handle| move |to| handle.record(to).is_ok());
        self.recording.toggle(&mut self.console, "pair", live, tell);
    }

    /// A pair's recording started or ended.
    pub fn on_record(&mut self, news: crate::net::record::recorder::RecordNews) {
        self.recording.report(&mut self.console, &news);
    }

    fn apply_config(&mut self) {
        if let Some(handle) = &self.handle {
            handle.set_config(self.config);
        }
    }

    /// The rows' ids, oldest first: what the selection holds on to.
    fn keys(&self) -> Vec<u64> {
        self.pairs.iter().map(|row| row.id.0).collect()
    }

    fn select(&mut self, how: impl FnOnce(&mut Follow, &[u64])) -> bool {
        let keys = self.keys();
        how(&mut self.selection, &keys);
        self.console.log.show_only(self.selection.key_in(&keys));
        !keys.is_empty()
    }

    pub(crate) fn selected_index(&self) -> Option<usize> {
        self.selection.index_in(&self.keys())
    }

    pub(crate) fn selected(&self) -> Option<&PairRow> {
        self.selected_index().and_then(|at| self.pairs.get(at))
    }

    /// The selected pair if it is open, else a reason in the status.
    fn open_pair(&mut self) -> Option<ConnId> {
        match self.selected() {
            Some(row) if row.is_open() => Some(row.id),
            Some(row) => {
                let id = row.id;
                self.console.say(Kind::Error, format!("{id} is closed"));
                None
            }
            None => {
                self.console.say(
                    Kind::Error,
                    "No pair selected: connect a client to the relay first",
                );
                None
            }
        }
    }

    fn pair_command(&mut self, command: PairCommand) -> bool {
        let Some(pair) = self.open_pair() else {
            return true;
        };
        if let Some(handle) = &self.handle {
            if let Err(busy) = handle.command(pair, command) {
                self.console.say(Kind::Error, format!("Not done: {busy}"));
            }
        }
        true
    }

    fn hold(&mut self) {
        let Some(pair) = self.open_pair() else {
            return;
        };
        let at = self.dir.index();
        let receiver = match self.dir {
            Dir::Up => 1,
            Dir::Down => 0,
        };
        if self
            .selected()
            .is_some_and(|row| row.sides[receiver].fin_out)
        {
            return self.console.say(
                Kind::Error,
                format!(
                    "{pair} {} is finished (its FIN was forwarded): nothing more to hold",
                    self.dir.arrow()
                ),
            );
        }
        let on = self.selected().is_some_and(|row| !row.hold[at]);
        if self.pair_command(PairCommand::Dir(self.dir, DirCommand::Hold(on))) {
            if let Some(row) = self.pairs.iter_mut().find(|row| row.id == pair) {
                row.hold[at] = on;
            }
            let what = if on { "held" } else { "flowing again" };
            self.console
                .say_briefly(Kind::Info, format!("{pair} {} {what}", self.dir.arrow()));
        }
    }

    /// Sends the command `make` builds from the selected pair's held chunks.
    fn on_held(&mut self, make: impl FnOnce(&VecDeque<HeldChunk>) -> Option<DirCommand>) -> bool {
        let at = self.dir.index();
        let command = match self.selected() {
            Some(row) => make(&row.held[at]),
            None => None,
        };
        match command {
            Some(command) => self.pair_command(PairCommand::Dir(self.dir, command)),
            None => {
                self.console.say(
                    Kind::Error,
                    format!("Nothing held {} on this pair (F6 holds)", self.dir.arrow()),
                );
                true
            }
        }
    }

    fn edit(&mut self) -> bool {
        let at = self.dir.index();
        let chunk = self
            .selected()
            .and_then(|row| row.held[at].front().map(|chunk| (row.id, chunk.clone())));
        let Some((pair, chunk)) = chunk else {
            return self.on_held(|_| None);
        };
        if self.before_edit.is_none() {
            let composer = &self.console.composer;
            self.before_edit = Some((composer.line_ending, composer.escapes));
        }
        let (name, shown) = crate::narrate::relay::held_view(&chunk);
        self.console
            .composer
            .load_escaped(&crate::text::escape_bytes(shown));
        self.editing = Some((pair, self.dir, chunk.seq));
        self.focus = Focus::Message;
        self.console.say(
            Kind::Info,
            format!("Editing {name} of {pair}: Enter applies (it stays held), Esc cancels"),
        );
        true
    }

    fn send(&mut self) {
        let Some(handle) = &self.handle else {
            return self
                .console
                .say(Kind::Error, "Not relaying: Enter on Listen on starts");
        };
        if let Some((pair, dir, seq)) = self.editing.take() {
            if self.console.composer.text().is_empty() {
                // Edited down to nothing: the chunk is dropped.
                let command = PairCommand::Dir(dir, DirCommand::Edit(seq, Vec::new()));
                if let Err(busy) = handle.command(pair, command) {
                    self.console.say(Kind::Error, format!("Not done: {busy}"));
                }
            } else {
                self.console.send(|bytes| {
                    handle.command(pair, PairCommand::Dir(dir, DirCommand::Edit(seq, bytes)))
                });
            }
            return self.end_edit();
        }
        let (pair, websocket) = match self.selected() {
            Some(row) if row.is_open() => (row.id, row.websocket),
            _ => {
                return self.console.say(
                    Kind::Error,
                    "Select an open pair to inject into (Tab to the pairs)",
                )
            }
        };
        let dir = self.dir;
        let kind = self.inject_as;
        self.console.send(|bytes| {
            let command = match websocket {
                true => kind.command(bytes)?,
                false => DirCommand::Inject(bytes),
            };
            handle
                .command(pair, PairCommand::Dir(dir, command))
                .map_err(|busy| busy.to_string())
        });
    }

    /// Puts the composer's settings back as they were before the edit,
    /// and the keyboard back on the pairs, where the edit began: the held
    /// pane's keys (s step, r release, e edit, d drop) act at once again.
    pub(crate) fn end_edit(&mut self) {
        if let Some((line_ending, escapes)) = self.before_edit.take() {
            self.console.composer.line_ending = line_ending;
            self.console.composer.escapes = escapes;
        }
        self.focus = Focus::Pairs;
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

    pub(crate) fn running_target(&self) -> &str {
        &self.running_target
    }

    /// Whether the running relay listens on, or relays to, a UNIX socket.
    fn has_unix_side(&self) -> bool {
        matches!(self.phase, Phase::Relaying(Endpoint::Unix(_)))
            || crate::net::unix::path_of(&self.running_target).is_some()
    }
}

impl crate::ui::shell::tab::TabInput for RelayTab {
    fn focus_step(&mut self, forward: bool) {
        self.focus = self.focus.step(forward);
    }
    /// Whether a text field has the keyboard.
    fn typing(&self) -> bool {
        matches!(self.focus, Focus::Listen | Focus::Target | Focus::Message)
    }

    /// Puts the keyboard on the listen field (Alt+5).
    fn focus_first(&mut self) {
        self.focus = Focus::Listen;
    }

    /// Handles a key; returns whether it was used.
    fn on_key(&mut self, key: KeyEvent, engine: &Engine) -> bool {
        if self.kernel.is_some() {
            self.kernel_key(&key);
            return true;
        }
        match shell_keys::action(Self::BINDINGS, &key, self.focus) {
            Some(action) => self.perform(action, key, engine),
            None => self.on_focused_key(key),
        }
    }

    /// Inserts pasted text into the focused field.
    fn on_paste(&mut self, text: &str) {
        // Nothing lands in a field hidden under the tab's own overlay.
        if crate::ui::shell::tab::TabView::state(self).overlay {
            return;
        }
        let locked = self.phase != Phase::Stopped;
        match self.focus {
            Focus::Target if !locked => {
                self.target.paste(text);
            }
            Focus::Target => {
                self.focus = Focus::Message;
                self.console.composer.paste(text);
            }
            _ => self.console.paste(&mut self.focus, text, locked),
        }
    }

    /// Keys worth showing in the footer now, from the bindings table.
    fn hints(&self) -> Vec<Hint> {
        let stopped = self.phase == Phase::Stopped;
        let editing = self.editing.is_some();
        shell_keys::footer(Self::BINDINGS, self.focus, |action, label| {
            Some(match action {
                Action::Start if label == "start" && !stopped => "stop",
                Action::Send if editing => "apply edit",
                Action::CancelEdit if editing => "cancel edit",
                _ => label,
            })
        })
    }
}

/// What the Forward to field asks for: `socks5` or `http-proxy` makes the
/// relay a proxy (each client names its target), anything else is the one
/// target.
fn upstream_of(target: &str) -> relay::proxy_serve::Upstream {
    use relay::proxy_serve::{ProxyKind, ProxyServe, Upstream};
    let kind = match target.to_ascii_lowercase().as_str() {
        "socks5" | "socks" => ProxyKind::Socks5,
        "http-proxy" | "http proxy" | "proxy" => ProxyKind::Http,
        _ => return Upstream::Fixed(target.to_string()),
    };
    Upstream::Proxy(ProxyServe {
        kind,
        auth: None,
        allow: Vec::new(),
    })
}
