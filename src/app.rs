//! The application: which tab is active, where keys go, how engine events
//! are folded into tab state, and the event loop that ties input, engine and
//! drawing together without ever waiting on the network.

use std::time::Duration;

use anyhow::Result;
use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use futures_util::{Stream, StreamExt};
use ratatui::backend::Backend;
use ratatui::Terminal;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::net::{Engine, Event};
use crate::ui::http::HttpTab;
use crate::ui::tcp_client::ClientTab;
use crate::ui::tcp_server::ServerTab;
use crate::ui::udp::UdpTab;

/// Longest time between two frames while something changes (60 fps cap).
pub const FRAME: Duration = Duration::from_micros(16_667);

/// Engine events folded per wake-up before input gets another look.
pub const EVENT_BATCH: usize = 512;

/// The four tabs, in Alt+1..4 order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// Raw HTTP/1.1 and HTTPS requests.
    Http,
    /// Listen and watch connections.
    TcpServer,
    /// Connect and converse.
    TcpClient,
    /// Datagrams: bind, send, bursts, lossy network.
    Udp,
}

impl Tab {
    /// Every tab in order.
    pub const ALL: [Tab; 4] = [Tab::Http, Tab::TcpServer, Tab::TcpClient, Tab::Udp];

    /// The name on the tab bar.
    pub fn title(self) -> &'static str {
        match self {
            Tab::Http => "HTTP",
            Tab::TcpServer => "TCP Server",
            Tab::TcpClient => "TCP Client",
            Tab::Udp => "UDP",
        }
    }

    /// The tab for `--tab` on the command line.
    pub fn from_name(name: &str) -> Option<Tab> {
        match name.to_ascii_lowercase().as_str() {
            "http" | "1" => Some(Tab::Http),
            "server" | "tcp-server" | "2" => Some(Tab::TcpServer),
            "client" | "tcp-client" | "3" => Some(Tab::TcpClient),
            "udp" | "4" => Some(Tab::Udp),
            _ => None,
        }
    }
}

/// How netplay starts: which tab, and what the fields hold.
#[derive(Debug, Clone)]
pub struct StartOptions {
    /// The tab shown first.
    pub tab: Tab,
    /// The TCP Server tab's listen address.
    pub server_addr: String,
    /// The TCP Client tab's target.
    pub client_target: String,
    /// The HTTP tab's URL.
    pub http_url: String,
    /// The UDP tab's bind address.
    pub udp_bind: String,
}

impl Default for StartOptions {
    fn default() -> Self {
        Self {
            tab: Tab::Http,
            server_addr: "127.0.0.1:9999".into(),
            client_target: "127.0.0.1:9999".into(),
            http_url: "http://127.0.0.1:9999/".into(),
            udp_bind: "127.0.0.1:9999".into(),
        }
    }
}

/// All UI state.
pub struct App {
    /// The engine every tab starts its sockets on.
    pub engine: Engine,
    /// The tab shown.
    pub tab: Tab,
    /// Whether the help overlay is open.
    pub help: bool,
    /// Lines the help overlay is scrolled down by.
    pub help_scroll: u16,
    /// Set by Ctrl+C; the loop ends.
    pub quit: bool,
    /// HTTP tab.
    pub http: HttpTab,
    /// TCP Server tab.
    pub server: ServerTab,
    /// TCP Client tab.
    pub client: ClientTab,
    /// UDP tab.
    pub udp: UdpTab,
}

impl App {
    /// A fresh app on `engine`.
    pub fn new(engine: Engine, options: StartOptions) -> Self {
        Self {
            engine,
            tab: options.tab,
            help: false,
            help_scroll: 0,
            quit: false,
            http: HttpTab::new(&options.http_url),
            server: ServerTab::new(&options.server_addr),
            client: ClientTab::new(&options.client_target),
            udp: UdpTab::new(&options.udp_bind, "127.0.0.1:9999"),
        }
    }

    /// Handles one key press.
    pub fn on_key(&mut self, key: KeyEvent) {
        if key.kind != KeyEventKind::Press {
            return;
        }
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            self.quit = true;
            return;
        }
        if key.modifiers.contains(KeyModifiers::ALT) {
            if let KeyCode::Char(digit @ '1'..='4') = key.code {
                self.switch_to(Tab::ALL[digit as usize - '1' as usize]);
                return;
            }
        }
        if key.code == KeyCode::F(1) {
            self.help = !self.help;
            self.help_scroll = 0;
            return;
        }
        if self.help {
            match key.code {
                KeyCode::Esc => self.help = false,
                KeyCode::Up => self.help_scroll = self.help_scroll.saturating_sub(1),
                KeyCode::Down => self.help_scroll = self.help_scroll.saturating_add(1),
                KeyCode::PageUp => self.help_scroll = self.help_scroll.saturating_sub(10),
                KeyCode::PageDown => self.help_scroll = self.help_scroll.saturating_add(10),
                KeyCode::Home => self.help_scroll = 0,
                KeyCode::End => self.help_scroll = u16::MAX,
                _ => {}
            }
            return;
        }
        match self.tab {
            Tab::TcpServer => {
                self.server.on_key(key, &self.engine);
            }
            Tab::TcpClient => {
                self.client.on_key(key, &self.engine);
            }
            Tab::Http => {
                self.http.on_key(key, &self.engine);
            }
            Tab::Udp => {
                self.udp.on_key(key, &self.engine);
            }
        }
    }

    /// Goes to `tab` with the keyboard on its first field.
    pub fn switch_to(&mut self, tab: Tab) {
        self.help = false;
        self.tab = tab;
        match tab {
            Tab::TcpServer => self.server.focus_first(),
            Tab::TcpClient => self.client.focus_first(),
            Tab::Http => self.http.focus_first(),
            Tab::Udp => self.udp.focus_first(),
        }
    }

    /// Handles pasted text (bracketed paste).
    pub fn on_paste(&mut self, text: &str) {
        if self.help {
            return;
        }
        match self.tab {
            Tab::TcpServer => self.server.on_paste(text),
            Tab::TcpClient => self.client.on_paste(text),
            Tab::Http => self.http.on_paste(text),
            Tab::Udp => self.udp.on_paste(text),
        }
    }

    /// Folds one engine event into the tab it concerns.
    pub fn on_engine(&mut self, event: Event) {
        match event {
            Event::Server(id, event) => self.server.on_event(id, event),
            Event::Client(id, event) => self.client.on_event(id, event),
            Event::Http(id, event) => self.http.on_event(id, event),
            Event::Udp(id, event) => self.udp.on_event(id, event),
        }
    }

    /// Whether the screen changes with time alone (connection ages), so the
    /// loop needs a once-a-second tick; when false, idle netplay sleeps.
    pub fn needs_tick(&self) -> bool {
        self.server.is_live() || self.client.is_live()
    }

    /// Whether a text field has the keyboard on the active tab.
    pub fn typing(&self) -> bool {
        match self.tab {
            Tab::TcpServer => self.server.typing(),
            Tab::TcpClient => self.client.typing(),
            Tab::Http => self.http.typing(),
            Tab::Udp => self.udp.typing(),
        }
    }
}

/// Runs the UI until Ctrl+C: wakes on input, engine events or a deadline,
/// answers input first, folds engine events in batches, draws at most once
/// per frame and only when something changed. Idle, it sleeps.
///
/// `input` is crossterm's `EventStream` in the binary; tests pass their own.
pub async fn run<B, S>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    mut input: S,
    mut events: mpsc::Receiver<Event>,
) -> Result<()>
where
    B: Backend,
    S: Stream<Item = std::io::Result<TermEvent>> + Unpin,
{
    let mut dirty = true;
    let mut next_frame = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut engine_open = true;
    // Engine events are taken in at most once per frame: a busy connection
    // then costs the UI one wake-up per frame, not one per read, and the
    // network threads keep the CPU (the channel holds what arrives in
    // between; keys are still answered at once).
    let mut intake_at = Instant::now();
    loop {
        if dirty && Instant::now() >= next_frame {
            terminal.draw(|frame| crate::ui::frame::draw(frame, app))?;
            dirty = false;
            next_frame = Instant::now() + FRAME;
        }
        if app.quit {
            return Ok(());
        }
        let ticking = app.needs_tick();
        let intake_open = Instant::now() >= intake_at;
        tokio::select! {
            biased;
            term = input.next() => match term {
                // A key is drawn at once, not at the next frame: the frame
                // cap is for floods of engine events, and a person types
                // far below it.
                Some(Ok(TermEvent::Key(key))) => { app.on_key(key); dirty = true; next_frame = Instant::now(); }
                Some(Ok(TermEvent::Paste(text))) => { app.on_paste(&text); dirty = true; next_frame = Instant::now(); }
                Some(Ok(TermEvent::Resize(..))) => {
                    terminal.autoresize()?;
                    dirty = true;
                }
                Some(Ok(_)) => {}
                Some(Err(err)) => return Err(err.into()),
                None => return Ok(()),
            },
            event = events.recv(), if engine_open && intake_open => match event {
                Some(event) => {
                    app.on_engine(event);
                    for _ in 1..EVENT_BATCH {
                        match events.try_recv() {
                            Ok(event) => app.on_engine(event),
                            Err(_) => break,
                        }
                    }
                    dirty = true;
                    intake_at = Instant::now() + FRAME;
                }
                None => engine_open = false,
            },
            () = tokio::time::sleep_until(intake_at), if engine_open && !intake_open => {}
            () = tokio::time::sleep_until(next_frame), if dirty => {}
            _ = tick.tick(), if ticking => dirty = true,
        }
    }
}
