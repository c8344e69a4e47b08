//! The application state: which tab is active, where keys go, and how
//! engine events are folded into the tabs. The tabs are listed once, in the
//! registry at the bottom of this file; the `Tab` enum, Alt+N, the tab bar,
//! the footer's "Alt+1-N", the help sections and `--tab NAME` all follow it.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind};

use crate::net::behaviour::greet::Behaviour;
use crate::net::record::recorder::RecordFor;
use crate::net::{Engine, Event, SaveFor};
use crate::ui::shell::global_keys::alt_digit;
pub use crate::ui::shell::global_keys::{Global, Layer, GLOBAL_BINDINGS};
use crate::ui::shell::keys;
use crate::ui::shell::tab::TabView;
use crate::ui::tabs::http::HttpTab;
use crate::ui::tabs::relay::RelayTab;
use crate::ui::tabs::tcp_client::ClientTab;
use crate::ui::tabs::tcp_server::ServerTab;
use crate::ui::tabs::udp::UdpTab;

/// How netplay starts: which tab, and what the command line put in it.
#[derive(Debug, Clone)]
pub struct StartOptions {
    /// The tab shown first.
    pub tab: Tab,
    /// Fills the first field of `tab` (URL, listen address, target or bind
    /// address); the other tabs keep their defaults.
    pub addr: Option<String>,
    /// The TCP server's starting behaviour (`--mode`).
    pub server_mode: Option<Behaviour>,
    /// A `.http` request collection for the HTTP tab (`--file`).
    pub http_file: Option<std::path::PathBuf>,
    /// Where Alt+R recordings go (`--record-dir`; the current directory).
    pub record_dir: std::path::PathBuf,
}

impl Default for StartOptions {
    fn default() -> Self {
        Self {
            tab: Tab::Http,
            addr: None,
            server_mode: None,
            http_file: None,
            record_dir: std::path::PathBuf::from("."),
        }
    }
}

impl StartOptions {
    /// The first field's text for `tab`: the command line's, when it named
    /// that tab, else `default`.
    pub fn addr_for(&self, tab: Tab, default: &str) -> String {
        match &self.addr {
            Some(addr) if self.tab == tab => addr.clone(),
            _ => default.to_string(),
        }
    }
}

/// Makes a tab from the start options (one constructor shape for all, so
/// the registry can build every tab the same way).
pub trait StartTab {
    /// The tab `me`, as the start options ask.
    fn start(options: &StartOptions, me: Tab) -> Self;
}

/// Declares the tabs once: the `Tab` enum, its order and names, the `App`
/// that holds one of each, and the dispatch from a `Tab` to its view.
macro_rules! registry {
    ($($variant:ident => $field:ident: $ty:ty, $title:literal, $short:literal, [$($name:literal),+];)+) => {
        /// The tabs, in Alt+1… order.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Tab {
            $(
                #[doc = $title]
                $variant,
            )+
        }

        impl Tab {
            /// Every tab, in Alt+1… order.
            pub const ALL: &'static [Tab] = &[$(Tab::$variant),+];

            /// The name on the tab bar.
            pub fn title(self) -> &'static str {
                match self {
                    $(Tab::$variant => $title,)+
                }
            }

            /// The title on a narrow tab bar.
            pub fn short_title(self) -> &'static str {
                match self {
                    $(Tab::$variant => $short,)+
                }
            }

            /// The names `--tab` takes for it (its number works too).
            pub fn names(self) -> &'static [&'static str] {
                match self {
                    $(Tab::$variant => &[$($name),+],)+
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
            /// Set when the help opens: the next frame scrolls it to the
            /// active tab's section.
            pub help_jump: bool,
            /// Set by Ctrl+C; the loop ends.
            pub quit: bool,
            /// The address picker, while open (Ctrl+L).
            pub picker: Option<crate::ui::widgets::address_picker::AddressPicker>,
            /// The Code overlay, while open (F12).
            pub code: Option<crate::ui::widgets::code_view::CodeView>,
            /// Text to copy to the clipboard (OSC 52) once the key is handled.
            pub clipboard: Option<String>,
            /// Where the remembered state is written (none: `--no-state`).
            pub state: Option<crate::ui::shell::remembered::StateFile>,
            /// A one-line notice in the footer until the next key (a state
            /// file that could not be read).
            pub notice: Option<String>,
            /// Where the last frame drew the tab titles and footer hints.
            pub hits: crate::ui::shell::frame::Hits,
            /// Whether mouse events are taken (off: `--no-mouse`, even if
            /// the terminal sends them).
            pub mouse: bool,
            $(
                #[doc = concat!("The ", $title, " tab.")]
                pub $field: $ty,
            )+
        }

        impl App {
            /// A fresh app on `engine`.
            pub fn new(engine: Engine, options: StartOptions) -> Self {
                Self {
                    engine,
                    tab: options.tab,
                    help: false,
                    help_scroll: 0,
                    help_jump: false,
                    quit: false,
                    picker: None,
                    code: None,
                    clipboard: None,
                    state: None,
                    notice: None,
                    hits: crate::ui::shell::frame::Hits::default(),
                    mouse: true,
                    $($field: <$ty as StartTab>::start(&options, Tab::$variant),)+
                }
            }

            /// The view of `tab`.
            pub fn view(&self, tab: Tab) -> &dyn TabView {
                match tab {
                    $(Tab::$variant => &self.$field,)+
                }
            }

            /// The view of `tab`, to change it.
            pub fn view_mut(&mut self, tab: Tab) -> &mut dyn TabView {
                self.view_and_engine(tab).0
            }

            /// The view of `tab` to change, beside the engine it starts
            /// sockets on (two borrows of two fields).
            fn view_and_engine(&mut self, tab: Tab) -> (&mut dyn TabView, &Engine) {
                match tab {
                    $(Tab::$variant => (&mut self.$field, &self.engine),)+
                }
            }
        }
    };
}

// The registry: adding a tab is one line here, its modules (a `TabView`
// and `StartTab` implementation), and its `Event` variant routed in
// `App::on_engine`.
registry! {
    Http => http: HttpTab, "HTTP", "HTTP", ["http"];
    TcpServer => server: ServerTab, "TCP Server", "Server", ["server", "tcp-server"];
    TcpClient => client: ClientTab, "TCP Client", "Client", ["client", "tcp-client"];
    Udp => udp: UdpTab, "UDP", "UDP", ["udp"];
    Relay => relay: RelayTab, "Relay", "Relay", ["relay"];
}

/// What can be open over the tab, topmost first. The topmost open one
/// takes the keys (Ctrl+C still quits), the clicks and the pastes, and is
/// the one drawn over the tab: [`App::overlay`] is the one place that
/// orders them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlay {
    /// The address picker (Ctrl+L).
    Picker,
    /// The code behind the tab (F12).
    Code,
    /// The help (F1).
    Help,
    /// The tab's own (the kernel's view, the rules editor, a path prompt),
    /// drawn by the tab.
    TabOwn,
}

impl Tab {
    /// The tab for `--tab`: a name or its number (`1` is the first).
    pub fn from_name(name: &str) -> Option<Tab> {
        let name = name.to_ascii_lowercase();
        Tab::ALL.iter().enumerate().find_map(|(index, tab)| {
            let by_number = name == (index + 1).to_string();
            (by_number || tab.names().contains(&name.as_str())).then_some(*tab)
        })
    }

    /// `http, server, client or udp`: the names `--tab` takes, for messages.
    pub fn choices() -> String {
        let names: Vec<&str> = Tab::ALL.iter().map(|tab| tab.names()[0]).collect();
        match names.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
            _ => names.join(""),
        }
    }

    /// Its number on the tab bar (Alt+N).
    pub fn number(self) -> usize {
        Tab::ALL.iter().position(|tab| *tab == self).unwrap_or(0) + 1
    }
}

impl App {
    /// The active tab's view.
    pub fn active(&self) -> &dyn TabView {
        self.view(self.tab)
    }

    /// The active tab's view, to change it.
    pub fn active_mut(&mut self) -> &mut dyn TabView {
        self.view_mut(self.tab)
    }

    /// Handles one key press: the global table first (in the help overlay,
    /// its own keys), then the active tab's.
    pub fn on_key(&mut self, key: KeyEvent) {
        if key.kind != KeyEventKind::Press {
            return;
        }
        let overlay = self.overlay();
        if !crate::ui::ctrl(&key, 'c') {
            match overlay {
                Some(Overlay::Picker) => return self.on_picker_key(&key),
                Some(Overlay::Code) => return self.on_code_key(&key),
                Some(Overlay::TabOwn) => {
                    let (tab, engine) = self.view_and_engine(self.tab);
                    tab.on_key(key, engine);
                    return;
                }
                Some(Overlay::Help) | None => {}
            }
        }
        let help = overlay == Some(Overlay::Help);
        let layer = if help { Layer::Help } else { Layer::Tabs };
        match keys::action(GLOBAL_BINDINGS, &key, layer) {
            Some(action) => self.perform(action, &key),
            None if help => {}
            None => {
                let (tab, engine) = self.view_and_engine(self.tab);
                tab.on_key(key, engine);
            }
        }
    }

    /// The topmost open overlay (see [`Overlay`]), if any.
    pub fn overlay(&self) -> Option<Overlay> {
        if self.picker.is_some() {
            Some(Overlay::Picker)
        } else if self.code.is_some() {
            Some(Overlay::Code)
        } else if self.help {
            Some(Overlay::Help)
        } else if self.active().state().overlay {
            Some(Overlay::TabOwn)
        } else {
            None
        }
    }

    /// A key while the Code overlay is open.
    fn on_code_key(&mut self, key: &KeyEvent) {
        let Some(view) = &mut self.code else {
            return;
        };
        match view.key(key) {
            crate::ui::widgets::code_view::CodeKey::Nothing => {}
            crate::ui::widgets::code_view::CodeKey::Close => self.code = None,
            crate::ui::widgets::code_view::CodeKey::Copy(text) => self.clipboard = Some(text),
        }
    }

    fn perform(&mut self, action: Global, key: &KeyEvent) {
        match action {
            Global::Quit => self.quit = true,
            Global::SwitchTab => {
                if let Some(tab) = alt_digit(key).and_then(|n| Tab::ALL.get(n - 1)) {
                    self.switch_to(*tab);
                }
            }
            Global::Help => {
                self.help = !self.help;
                self.help_scroll = 0;
                self.help_jump = self.help;
            }
            Global::CloseHelp => self.help = false,
            Global::Addresses => {
                if self.active_mut().listen_field().is_some() {
                    self.picker = Some(crate::ui::widgets::address_picker::AddressPicker::open());
                }
            }
            Global::Kernel => self.active_mut().open_kernel_view(),
            Global::Code | Global::OneLiner => {
                let code = crate::code::code_for(&self.active().code_setting());
                self.help = false;
                let mut view = crate::ui::widgets::code_view::CodeView::new(self.tab.title(), code);
                if action == Global::OneLiner {
                    view.show(crate::ui::widgets::code_view::Page::OneLiner);
                }
                self.code = Some(view);
            }
            Global::ScrollUp(lines) => self.help_scroll = self.help_scroll.saturating_sub(lines),
            Global::ScrollDown(lines) => self.help_scroll = self.help_scroll.saturating_add(lines),
            Global::ScrollTop => self.help_scroll = 0,
            Global::ScrollBottom => self.help_scroll = u16::MAX,
            Global::Focus(forward) => self.active_mut().focus_step(forward),
            Global::Listed => {}
        }
    }

    /// A key while the address picker is open: it takes them all (Ctrl+C
    /// still quits).
    fn on_picker_key(&mut self, key: &KeyEvent) {
        let Some(picker) = &mut self.picker else {
            return;
        };
        match picker.key(key) {
            crate::ui::widgets::address_picker::Picked::Moved => {}
            crate::ui::widgets::address_picker::Picked::Closed => self.picker = None,
            crate::ui::widgets::address_picker::Picked::Chosen(choice) => {
                self.picker = None;
                if let Some((field, locked)) = self.active_mut().listen_field() {
                    if !locked {
                        let text = crate::ui::widgets::address_picker::with_host(
                            field.text(),
                            &choice.host(),
                        );
                        field.set_text(&text);
                    }
                }
            }
        }
    }

    /// A mouse event: a click on a tab title switches tabs, on a footer
    /// hint runs its key, in the tab focuses and selects; the wheel scrolls
    /// the pane under the pointer (or the help). Overlays take no clicks.
    pub fn on_mouse(&mut self, event: crossterm::event::MouseEvent) {
        use crossterm::event::{MouseButton, MouseEventKind};
        if !self.mouse || !self.hits.drawn {
            return;
        }
        let (column, row) = (event.column, event.row);
        let at = ratatui::layout::Position::new(column, row);
        let over = self.overlay();
        let help = over == Some(Overlay::Help);
        // Only the help answers the mouse (hints, the wheel); the others
        // take no clicks.
        let overlay = over.is_some() && !help;
        match event.kind {
            MouseEventKind::Down(MouseButton::Left) if overlay => {}
            MouseEventKind::Down(MouseButton::Left) => {
                if let Some(name) = self
                    .hits
                    .hints
                    .iter()
                    .find(|(r, _)| r.contains(at))
                    .map(|(_, n)| n.clone())
                {
                    if let Some(key) = crate::ui::shell::mouse::key_of_hint(&name) {
                        self.on_key(key);
                    }
                    return;
                }
                if help {
                    return;
                }
                if let Some(tab) = self
                    .hits
                    .tabs
                    .iter()
                    .find(|(r, _)| r.contains(at))
                    .map(|(_, t)| *t)
                {
                    return self.switch_to(tab);
                }
                self.active_mut().click(column, row);
            }
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
                let down = event.kind == MouseEventKind::ScrollDown;
                if help {
                    self.perform(
                        if down {
                            Global::ScrollDown(3)
                        } else {
                            Global::ScrollUp(3)
                        },
                        &crossterm::event::KeyEvent::from(KeyCode::Null),
                    );
                } else if !overlay {
                    let (tab, engine) = self.view_and_engine(self.tab);
                    tab.wheel(column, row, down, engine);
                }
            }
            _ => {}
        }
    }

    /// Goes to `tab` with the keyboard on its first field.
    pub fn switch_to(&mut self, tab: Tab) {
        self.help = false;
        self.tab = tab;
        self.active_mut().focus_first();
    }

    /// Handles pasted text (bracketed paste).
    pub fn on_paste(&mut self, text: &str) {
        // An overlay takes every key; a paste must not land in a field
        // hidden under it either. A tab's own overlay may take it (the
        // path prompt of Alt+R).
        match self.overlay() {
            None | Some(Overlay::TabOwn) => self.active_mut().on_paste(text),
            Some(_) => {}
        }
    }

    /// Folds one engine event into the tab it concerns: the one typed
    /// routing point (each tab folds its own kind of event).
    pub fn on_engine(&mut self, event: Event) {
        match event {
            Event::Server(id, event) => self.server.on_event(id, event),
            Event::Client(id, event) => self.client.on_event(id, event),
            Event::Http(id, event) => self.http.on_event(id, event),
            Event::Udp(id, event) => self.udp.on_event(id, event),
            Event::Relay(id, event) => self.relay.on_event(id, event),
            Event::Saved(asker, outcome) => match asker {
                SaveFor::ServerLog => self.server.on_saved(outcome),
                SaveFor::ClientTranscript => self.client.on_saved(outcome),
                SaveFor::UdpPackets => self.udp.on_saved(outcome),
                SaveFor::RelayLog => self.relay.on_saved(outcome),
                SaveFor::HttpHar => self.http.on_har_added(outcome),
                SaveFor::ServerCapture => self.server.on_captured(outcome),
                SaveFor::RelayCapture => self.relay.on_captured(outcome),
                SaveFor::UdpCapture => self.udp.on_captured(outcome),
                SaveFor::ClientCapture => self.client.on_captured(outcome),
                SaveFor::HttpCapture => self.http.on_captured(outcome),
            },
            Event::Record(news) => match news.who() {
                RecordFor::Client(_) => self.client.on_record(news),
                RecordFor::ServerConn(..) => self.server.on_record(news),
                RecordFor::RelayPair(..) => self.relay.on_record(news),
            },
        }
    }

    /// The once-a-second tick: each tab's time-driven work.
    pub fn on_tick(&mut self) {
        for tab in Tab::ALL {
            let (view, engine) = self.view_and_engine(*tab);
            view.on_tick(engine);
        }
    }

    /// Whether the screen changes with time alone (connection ages), so the
    /// loop needs a once-a-second tick; when false, idle netplay sleeps.
    pub fn needs_tick(&self) -> bool {
        Tab::ALL.iter().any(|tab| self.view(*tab).state().ticking)
    }

    /// Whether a text field has the keyboard on the active tab.
    pub fn typing(&self) -> bool {
        self.active().typing()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_gives_order_names_and_numbers() {
        assert_eq!(Tab::ALL.len(), 5);
        for (index, tab) in Tab::ALL.iter().enumerate() {
            assert_eq!(tab.number(), index + 1);
            assert_eq!(Tab::from_name(&(index + 1).to_string()), Some(*tab));
            for name in tab.names() {
                assert_eq!(Tab::from_name(name), Some(*tab));
                assert_eq!(Tab::from_name(&name.to_ascii_uppercase()), Some(*tab));
            }
        }
        assert_eq!(Tab::from_name("relay"), Some(Tab::Relay));
        assert_eq!(Tab::from_name("proxy"), None);
        assert_eq!(Tab::from_name("0"), None);
        assert_eq!(Tab::from_name("6"), None);
        assert_eq!(Tab::choices(), "http, server, client, udp or relay");
    }

    #[test]
    fn start_options_fill_only_the_named_tab() {
        let options = StartOptions {
            tab: Tab::TcpClient,
            addr: Some("[::1]:7".into()),
            ..StartOptions::default()
        };
        assert_eq!(options.addr_for(Tab::TcpClient, "x"), "[::1]:7");
        assert_eq!(
            options.addr_for(Tab::TcpServer, "127.0.0.1:9999"),
            "127.0.0.1:9999"
        );
    }
}
