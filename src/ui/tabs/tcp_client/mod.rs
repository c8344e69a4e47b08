//! The TCP Client tab: connect to a target, see the socket's 4-tuple, send
//! typed messages (any bytes, with escapes), half-close, read the transcript
//! as text or hex.
//!
//! ```text
//! ╭ Target ──────────────────────────────────────────────────╮
//! │ 127.0.0.1:9999                                           │
//! ╰──────────────────────────────────────────────────────────╯
//!  ● Connected · 0m12s · timeout 5 s (F5)
//!  TCP 127.0.0.1:51234 (you) ⇄ 127.0.0.1:9999 (server) · in 23 B / 2 reads · out 7 B / 1 write
//! ╭ Message · EOL none (F3) · escapes off (F4) ──────────────╮
//! ╰──────────────────────────────────────────────────────────╯
//! ╭ Transcript · 5 entries ──────────────────────────────────╮
//! ╰──────────────────────────────────────────────────────────╯
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::KeyEvent;

use crate::ui::shell::keys as shell_keys;
use crate::ui::tabs::tcp_client::tls::{ClientTls, TlsMode};
use crate::ui::widgets::console::{Console, ConsoleFocus, Part, SaveAs};
use crate::ui::widgets::kernel::{KernelPanel, PanelKey, Touched};
pub mod keys;
mod record;
mod timed;
pub mod tls;
mod via;
mod view;
use crate::net::error::human_duration;
use crate::net::tcp_client::{self, ClientEvent, ClientHandle, DEFAULT_CONNECT_TIMEOUT};
use crate::net::tls::TlsInfo;
use crate::net::{ClientId, CloseReason, ConnStats, Engine, SaveFor};
pub use crate::ui::tabs::tcp_client::keys::Action;
use crate::ui::widgets::log_view::Kind;
use crate::ui::widgets::timeline::{what_the_kernel_keeps, Ending, Timeline};
use crate::ui::{cycle, Hint, Status, CONNECT_TIMEOUTS};
mod tab_view;

/// Which part of the tab has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    /// The target address field.
    Target,
    /// The TLS CA file field (only while TLS is on).
    CaFile,
    /// The TLS server name field (only while TLS is on).
    Sni,
    /// The message input.
    Message,
    /// The transcript.
    Transcript,
}

impl Focus {
    const ORDER: [Focus; 5] = [
        Focus::Target,
        Focus::CaFile,
        Focus::Sni,
        Focus::Message,
        Focus::Transcript,
    ];

    /// The next (or previous) focus; the TLS fields only while `tls` is on.
    fn step(self, forward: bool, tls: bool) -> Self {
        crate::ui::step_focus(&Self::ORDER, self, forward, |f| {
            !tls && matches!(f, Focus::CaFile | Focus::Sni)
        })
    }
}

impl ConsoleFocus for Focus {
    fn part(self) -> Option<Part> {
        match self {
            Focus::Target => Some(Part::Address),
            Focus::Message => Some(Part::Message),
            Focus::Transcript => Some(Part::Log),
            Focus::CaFile | Focus::Sni => None,
        }
    }

    fn on(part: Part) -> Self {
        match part {
            Part::Address => Focus::Target,
            Part::Message => Focus::Message,
            Part::Log => Focus::Transcript,
        }
    }
}

/// Where the connection is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    Idle,
    Connecting,
    Connected,
    /// We sent FIN; reads continue.
    WriteShut,
    Closing,
}

struct Link {
    local: SocketAddr,
    remote: SocketAddr,
    stats: Arc<ConnStats>,
    /// Whether anything arrived yet (the first read is checked for TLS).
    heard: bool,
}

/// The TCP Client tab's state.
pub struct ClientTab {
    /// Which part has the keyboard.
    pub focus: Focus,
    timeout: Duration,
    handle: Option<ClientHandle>,
    phase: Phase,
    link: Option<Link>,
    /// Who closed first in the last connection, once known.
    closed_first: Option<&'static str>,
    /// Target field, message composer and the transcript.
    pub console: Console,
    /// TLS switch, CA file and SNI.
    pub tls: ClientTls,
    /// What the last TLS handshake negotiated.
    tls_info: Option<Box<TlsInfo>>,
    /// The kernel's latest view of the connection (`TCP_INFO`).
    tcp_info: Option<crate::net::kernel::tcp_info::TcpInfo>,
    /// The life of the current connection, with timestamps.
    timeline: Timeline,
    /// The kernel's view of the current (or last) connection, and whether
    /// it is shown (Ctrl+O).
    kernel: Option<KernelPanel>,
    kernel_open: bool,
    /// Where the last frame drew each part, for the mouse.
    mouse: crate::ui::shell::mouse::Areas<Focus>,
    /// The message repeating on a schedule (F7, Alt+T) or a file being
    /// sent (Alt+F), with its count.
    timed: Option<crate::ui::widgets::timed_send::TimedSend>,
    /// The prompt of Alt+T or Alt+F, while open; the last repeat asked.
    timed_prompt: Option<crate::ui::widgets::timed_send::TimedPrompt>,
    last_repeat: String,
    /// Reconnect by itself (Ctrl+R): the backoff, and when the next
    /// attempt is due.
    reconnect: Option<(crate::net::timed::Backoff, Option<std::time::Instant>)>,
    /// A proxy password typed in the Target: kept, never shown again.
    secret: via::Secret,
    /// Recording (Alt+R) and playing a recording (Alt+P).
    recordings: record::Recordings,
}

impl ClientTab {
    /// The tab, with `target` in the target field.
    pub fn new(target: &str) -> Self {
        Self {
            focus: Focus::Target,
            timeout: DEFAULT_CONNECT_TIMEOUT,
            handle: None,
            phase: Phase::Idle,
            link: None,
            closed_first: None,
            // A typed line ends with LF, as nc sends it: `GET / HTTP/1.0`
            // then an empty Enter is a request, and a line-based server
            // sees a line (F3: none or CRLF).
            console: {
                let mut console = Console::new(
                    (
                        target,
                        "host:port, e.g. 127.0.0.1:9999, [::1]:9999; … via socks5h://proxy:1080 goes through a proxy",
                    ),
                    "type a message, Enter sends",
                    "Transcript",
                    SaveAs {
                        asker: SaveFor::ClientTranscript,
                        stem: "tcp-client",
                        noun: "transcript entries",
                    },
                    Status::new(Kind::Info, "Not connected. Enter connects."),
                );
                console.composer.line_ending = crate::ui::widgets::composer::LineEnding::Lf;
                console
            },
            tls: ClientTls::default(),
            tls_info: None,
            tcp_info: None,
            timeline: Timeline::default(),
            kernel: None,
            kernel_open: false,
            mouse: crate::ui::shell::mouse::Areas::default(),
            timed: None,
            timed_prompt: None,
            last_repeat: String::new(),
            reconnect: None,
            secret: via::Secret::default(),
            recordings: record::Recordings::default(),
        }
    }

    /// Whether anything on the tab changes with time alone (the age).
    pub fn is_live(&self) -> bool {
        matches!(self.phase, Phase::Connected | Phase::WriteShut)
    }

    fn perform(&mut self, action: Action, key: KeyEvent, engine: &Engine) {
        match action {
            Action::Hex => self.console.log.hex = !self.console.log.hex,
            Action::ComposerSetting => {
                self.console.composer.settings_key(key);
            }
            Action::Timeout => self.timeout = cycle(&CONNECT_TIMEOUTS, self.timeout),
            Action::HalfClose => self.half_close(),
            Action::Repeat => self.next_repeat(engine),
            Action::RepeatPrompt => {
                self.timed_prompt = Some(crate::ui::widgets::timed_send::TimedPrompt::repeat(
                    &self.last_repeat,
                ));
            }
            Action::FilePrompt => {
                self.timed_prompt = Some(crate::ui::widgets::timed_send::TimedPrompt::file())
            }
            Action::Record => self.toggle_record(),
            Action::Capture => self.toggle_capture(),
            Action::Play => self.open_play_prompt(),
            Action::Reconnect => {
                self.reconnect = match self.reconnect {
                    Some(_) => None,
                    None => Some((crate::net::timed::Backoff::default(), None)),
                };
                let words = if self.reconnect.is_some() {
                    "Reconnect on: after a close or a refused connect, again in 1 s, doubling to 30 s"
                } else {
                    "Reconnect off"
                };
                self.console.say(Kind::Info, words);
            }
            Action::Connect => self.toggle(engine),
            Action::Pause => self.console.log.toggle_pause(),
            Action::Save => self.console.save(engine),
            Action::Send => self.send_message(),
            Action::Tls => {
                self.tls.mode = self.tls.mode.next();
                if self.tls.mode == TlsMode::Off && matches!(self.focus, Focus::CaFile | Focus::Sni)
                {
                    self.focus = Focus::Target;
                }
            }
            Action::Field => {}
        }
    }

    /// Keys no binding took: typing, history and scrolling.
    fn on_focused_key(&mut self, key: KeyEvent) -> bool {
        let locked = self.phase != Phase::Idle;
        match self.focus {
            Focus::CaFile if !locked => self.tls.ca_file.input(key),
            Focus::Sni if !locked => self.tls.sni.input(key),
            Focus::CaFile | Focus::Sni => false,
            _ => self.console.key(&mut self.focus, key, locked),
        }
    }

    /// Connects, or disconnects if connected or connecting.
    fn toggle(&mut self, engine: &Engine) {
        match self.phase {
            Phase::Idle => {
                let typed = self.secret.fill(&self.console.address());
                let (target, proxy) = match via::split(&typed) {
                    Ok(split) => split,
                    Err(reason) => return self.console.say(Kind::Error, reason),
                };
                if let Some(shown) = self.secret.keep(&typed) {
                    self.console.address.set_text(&shown);
                }
                self.closed_first = None;
                self.timeline.start();
                self.link = None;
                self.tls_info = None;
                self.tcp_info = None;
                self.kernel = None;
                self.kernel_open = false;
                let through = proxy.as_ref().map(|p| format!(" through {}", p.shown()));
                self.console.say(
                    Kind::Info,
                    format!("Connecting to {target}{}…", through.unwrap_or_default()),
                );
                self.handle = Some(tcp_client::open(
                    engine,
                    &target,
                    tcp_client::Connect {
                        capture: self.capture_plan(engine),
                        names: Default::default(),
                        proxy,
                        write_after_peer_fin: false,
                        timeout: self.timeout,
                        tls: self.tls.options(),
                        tcp_info: true,
                        record: self.record_plan(),
                        replay: self.take_pending_replay(),
                    },
                ));
                self.note_replay_started();
                self.phase = Phase::Connecting;
            }
            Phase::Connecting | Phase::Connected | Phase::WriteShut => {
                if let Some(handle) = &self.handle {
                    handle.disconnect();
                }
                // Disconnecting by hand ends reconnecting.
                self.reconnect = None;
                self.phase = Phase::Closing;
                self.console.say(Kind::Info, "Disconnecting…");
            }
            Phase::Closing => {}
        }
    }

    fn half_close(&mut self) {
        match (&self.handle, &self.phase) {
            (Some(handle), Phase::Connected) => {
                if let Err(busy) = handle.shutdown_write() {
                    self.console
                        .say(Kind::Error, format!("FIN not sent yet: {busy}"));
                }
            }
            (_, Phase::WriteShut) => self
                .console
                .say(Kind::Info, "Write side already shut down (FIN sent)"),
            _ => self
                .console
                .say(Kind::Error, "Not connected: nothing to half-close"),
        }
    }

    fn send_message(&mut self) {
        let handle = match (&self.handle, &self.phase) {
            (Some(handle), Phase::Connected) => handle,
            (_, Phase::WriteShut) => {
                return self.console.say(
                    Kind::Error,
                    "Cannot send: you shut down your write side (F6). F8 disconnects.",
                )
            }
            _ => {
                return self.console.say(
                    Kind::Error,
                    "Not connected: Enter on the target (or F8) connects first",
                )
            }
        };
        self.console.send(|bytes| handle.send(bytes));
    }

    /// The outcome of the save asked for with Ctrl+S.
    pub fn on_saved(&mut self, outcome: Result<PathBuf, String>) {
        self.console.on_saved(outcome);
    }

    /// Folds one engine event into the tab; events of an older connection
    /// are ignored.
    pub fn on_event(&mut self, client: ClientId, event: ClientEvent) {
        // A replay's verdict may come after its connection's close.
        if let ClientEvent::Replayed(outcome) = event {
            return self.on_replayed(client, outcome);
        }
        if self.handle.as_ref().map(ClientHandle::id) != Some(client) {
            return;
        }
        match event {
            ClientEvent::Resolved { addrs, via } => {
                // The target alone: a proxy URL (and its password) is not
                // repeated; the engine says how it was reached.
                let typed = via::target_of(&self.console.address());
                if via.is_none() && addrs.len() == 1 && addrs[0].to_string() == typed {
                    return; // an address literal: nothing was looked up
                }
                let list: Vec<String> = addrs.iter().map(ToString::to_string).collect();
                let typed = crate::text::sanitize_str(&typed);
                let text = match via {
                    Some(proxy) if proxy.starts_with("the proxy") => {
                        format!("{typed} goes through {proxy}, at {}", list.join(", "))
                    }
                    Some(how) => format!("Resolved {typed} → {} ({how})", list.join(", ")),
                    None => format!("Resolved {typed} → {}", list.join(", ")),
                };
                self.console.log.push(Kind::Info, text);
            }
            ClientEvent::Proxy { lines } => {
                for line in lines {
                    self.console.log.push(Kind::Info, line);
                }
            }
            ClientEvent::Connecting { remote } => {
                self.console
                    .log
                    .push(Kind::Info, format!("Connecting to {remote}…"));
            }
            ClientEvent::Connected {
                local,
                remote,
                stats,
            } => {
                self.timeline
                    .mark_at(stats.opened, "connected (TCP handshake done)");
                if let Some((backoff, _)) = &mut self.reconnect {
                    backoff.connected();
                }
                self.kernel = Some(KernelPanel::new(
                    format!("{local} (you) ⇄ {remote}"),
                    Touched::default(),
                ));
                self.phase = Phase::Connected;
                let peer = via::peer_label(&self.console.address(), remote);
                self.console.say(Kind::Good, format!("Connected to {peer}"));
                self.console
                    .log
                    .push(Kind::Good, crate::narrate::client::connected(local, remote));
                self.link = Some(Link {
                    local,
                    remote,
                    stats,
                    heard: false,
                });
                self.focus = Focus::Message;
            }
            ClientEvent::ConnectedUnix { path, peer, stats } => {
                self.connected_unix(&path, &peer, &stats)
            }
            ClientEvent::TlsEstablished {
                info,
                connect,
                handshake,
                done,
            } => {
                self.timeline.mark_at(
                    done,
                    format!("TLS handshake done (it took {})", human_duration(handshake)),
                );
                let remote = self
                    .link
                    .as_ref()
                    .map(|link| via::peer_label(&self.console.address(), link.remote))
                    .unwrap_or_else(|| via::shortened(&self.console.address(), 60));
                self.console.say(
                    Kind::Good,
                    format!("Connected to {remote} over {}", info.version),
                );
                self.console.log.push(
                    Kind::Good,
                    crate::narrate::client::tls_done(handshake, connect),
                );
                for line in info.lines() {
                    self.console.log.push(Kind::Info, line);
                }
                self.tls_info = Some(info);
            }
            ClientEvent::TcpInfo { info, last } => {
                if last {
                    self.console.log.push(Kind::Info, info.line());
                }
                if let Some(panel) = &mut self.kernel {
                    panel.on_info(info);
                }
                self.tcp_info = Some(info);
            }
            ClientEvent::Options(options) => {
                match &options {
                    Ok(now) => self.console.log.push(Kind::Info, now.line()),
                    Err(reason) => self.console.log.push(Kind::Error, reason.clone()),
                }
                if let Some(panel) = &mut self.kernel {
                    panel.on_options(options);
                }
            }
            ClientEvent::ConnectFailed { reason } => {
                self.capture_ended();
                self.handle = None;
                self.phase = Phase::Idle;
                self.console.say(Kind::Error, reason.clone());
                self.console.log.push(Kind::Error, reason);
                self.schedule_reconnect();
            }
            ClientEvent::Received(data) => {
                // The first bytes of a plain connection that are a TLS
                // record: said what they mean.
                let first = self
                    .link
                    .as_mut()
                    .is_some_and(|link| !std::mem::replace(&mut link.heard, true));
                let tls_record = (first && self.tls.mode == TlsMode::Off)
                    .then(|| crate::net::tls::looks_like_tls_record(&data.preview))
                    .flatten();
                let text = format!("{} B: ", data.len);
                self.console.log.push_data(Kind::In, text, data);
                if let Some(meaning) = tls_record {
                    self.console
                        .log
                        .push(Kind::Error, format!("{meaning} (Ctrl+T)"));
                    self.console.say(
                        Kind::Error,
                        "The server speaks TLS: Ctrl+T turns TLS on, then Enter reconnects",
                    );
                }
            }
            ClientEvent::Replayed(_) => {}
            ClientEvent::Sent(data) => {
                let text = format!("{} B: ", data.len);
                self.console.log.push_data(Kind::Out, text, data);
            }
            ClientEvent::PeerHalfClosed => self
                .console
                .log
                .push(Kind::In, "FIN received: the peer sends no more"),
            ClientEvent::WriteShutdown => {
                self.timeline
                    .mark("FIN sent: you shut down your write side");
                self.phase = Phase::WriteShut;
                self.closed_first = Some("you closed first");
                self.console
                    .say(Kind::Info, "Half-closed: FIN sent, still reading");
                self.console.log.push(
                    Kind::Out,
                    "FIN sent: your write side is shut down; replies can still arrive",
                );
            }
            ClientEvent::Closed { reason } => {
                let first = self.closed_first.unwrap_or(match reason {
                    CloseReason::Peer => "the peer closed first",
                    CloseReason::Local(_) => "you closed first",
                    _ => "ended by an error",
                });
                self.closed_first = Some(first);
                let (kind, text) = match &reason {
                    CloseReason::Peer => (
                        Kind::Info,
                        format!("Connection closed by peer (FIN received) — {first}"),
                    ),
                    CloseReason::Local(_) => (Kind::Info, "Disconnected (you closed)".to_string()),
                    CloseReason::Error(why) => (Kind::Error, format!("Connection lost: {why}")),
                    CloseReason::ServerStopped => (Kind::Info, "Connection closed".to_string()),
                };
                self.console
                    .say(kind, text.split(" — ").next().unwrap_or(&text));
                self.console.log.push(kind, text);
                self.close_timeline(&reason);
                self.capture_ended();
                self.timed = None;
                self.schedule_reconnect();
                if let Some(panel) = &mut self.kernel {
                    panel.on_closed();
                }
                self.handle = None;
                self.phase = Phase::Idle;
                if self.focus == Focus::Message {
                    self.focus = Focus::Target;
                }
            }
        }
    }

    /// Ends the timeline, shows it, and says what the kernel keeps.
    fn close_timeline(&mut self, reason: &CloseReason) {
        let reset = matches!(reason, CloseReason::Error(why) if why.contains("reset"));
        // Set to close with RST (SO_LINGER 0, Ctrl+O r): our close sent RST.
        let we_reset = !matches!(reason, CloseReason::Error(_))
            && self
                .kernel
                .as_ref()
                .is_some_and(KernelPanel::closes_with_reset);
        match reason {
            CloseReason::Peer => self.timeline.mark("FIN received: the peer closed"),
            _ if reset => self.timeline.mark("RST received: the connection was reset"),
            _ => {}
        }
        if we_reset {
            self.timeline
                .mark("RST sent: you closed with SO_LINGER 0 (no FIN)");
        }
        self.timeline.mark("closed");
        self.console
            .log
            .push(Kind::Info, "Timeline of this connection:");
        for line in self.timeline_lines() {
            self.console.log.push(Kind::Info, line);
        }
        let ending = if reset || we_reset {
            Ending::Reset
        } else if self.closed_first == Some("you closed first") {
            Ending::WeClosedFirst
        } else {
            Ending::PeerClosedFirst
        };
        if let Some(link) = &self.link {
            let words = what_the_kernel_keeps(ending, link.local, link.remote);
            self.console.log.push(Kind::Info, words);
        }
    }

    /// The connection's timeline with the first byte each way, as the
    /// counters stamped them.
    pub(super) fn timeline_lines(&self) -> Vec<String> {
        let stats = self.link.as_ref().map(|link| &link.stats);
        self.timeline.lines_with(&[
            ("first byte in", stats.and_then(|s| s.first_read())),
            ("first byte out", stats.and_then(|s| s.first_write())),
        ])
    }
}

impl crate::ui::shell::tab::TabInput for ClientTab {
    fn focus_step(&mut self, forward: bool) {
        self.focus = self.focus.step(forward, self.tls.mode != TlsMode::Off);
    }
    /// Whether a text field has the keyboard.
    fn typing(&self) -> bool {
        matches!(
            self.focus,
            Focus::Target | Focus::CaFile | Focus::Sni | Focus::Message
        )
    }

    /// Puts the keyboard on the target field (what Alt+3 does).
    fn focus_first(&mut self) {
        self.focus = Focus::Target;
    }

    /// Handles a key; returns whether it was used. The bindings table
    /// ([`ClientTab::BINDINGS`]) decides; other keys go to the focused field.
    fn on_key(&mut self, key: KeyEvent, engine: &Engine) -> bool {
        if let (true, Some(panel)) = (self.kernel_open, &mut self.kernel) {
            match panel.key(&key) {
                PanelKey::Close => self.kernel_open = false,
                PanelKey::Set(opt) => {
                    if let Some(handle) = &self.handle {
                        if handle.set_option(opt).is_err() {
                            self.console
                                .say(Kind::Error, "Option not set: the connection is busy");
                        }
                    }
                }
                PanelKey::Nothing => {}
            }
            return true;
        }
        if self.timed_prompt.is_some() {
            self.timed_prompt_key(key, engine);
            return true;
        }
        if self.play_prompt_open() {
            self.play_prompt_key(key, engine);
            return true;
        }
        match shell_keys::action(Self::BINDINGS, &key, self.focus) {
            Some(action) => {
                self.perform(action, key, engine);
                true
            }
            None => self.on_focused_key(key),
        }
    }

    /// Inserts pasted text into the focused field.
    fn on_paste(&mut self, text: &str) {
        // The tab's own overlay (a prompt, an editor) takes a paste;
        // nothing lands in a field hidden under it.
        if crate::ui::shell::tab::TabView::state(self).overlay {
            self.play_prompt_paste(text);
            if let Some(prompt) = &mut self.timed_prompt {
                prompt.paste(text);
            }
            return;
        }
        let locked = self.phase != Phase::Idle;
        match self.focus {
            Focus::CaFile if !locked => {
                self.tls.ca_file.paste(text);
            }
            Focus::Sni if !locked => {
                self.tls.sni.paste(text);
            }
            _ => self.console.paste(&mut self.focus, text, locked),
        }
    }

    /// Keys worth showing in the footer now, from the bindings table.
    fn hints(&self) -> Vec<Hint> {
        let idle = matches!(self.phase, Phase::Idle);
        shell_keys::footer(Self::BINDINGS, self.focus, |action, label| {
            Some(match action {
                Action::Connect if label == "connect" && !idle => "disconnect",
                _ => label,
            })
        })
    }
}
