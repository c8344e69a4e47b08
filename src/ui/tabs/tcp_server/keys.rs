//! The keys of the TCP Server tab, as data: this one table drives the tab's
//! key handling, its footer hints and its part of the help overlay.

use crossterm::event::KeyCode;

use crate::ui::shell::keys::{self, Binding, Key, Scope};
use crate::ui::tabs::tcp_server::{Focus, ServerTab};

/// What a key does on this tab (see [`ServerTab::BINDINGS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Log text / hex.
    Hex,
    /// F3 line ending, F4 escapes (the composer tells them apart).
    ComposerSetting,
    /// Cycle the server's behaviour.
    Mode,
    /// Cycle the reply delay.
    Delay,
    /// Toggle sending to every connection.
    Broadcast,
    /// Start or stop listening.
    Listen,
    /// Pause or resume the log.
    Pause,
    /// Save the log.
    Save,
    /// Send the message.
    Send,
    /// Select the connection above.
    SelectUp,
    /// Select the connection below.
    SelectDown,
    /// Select the first connection.
    SelectFirst,
    /// Select the last connection.
    SelectLast,
    /// Close the selected connection.
    Kick,
    /// Go to the message input to write to the selection.
    ToMessage,
    /// Toggle TLS for the next start.
    Tls,
    /// Open the rules editor (rules mode).
    Rules,
    /// Record every connection to files, or stop.
    Record,
    /// Capture new connections to a pcapng file, or stop.
    Capture,
    /// WebSocket on or off for new connections.
    WebSocket,
    /// Handled by the focused field itself (listed for the help).
    Field,
}

impl ServerTab {
    /// Every key of this tab: one table drives [`ServerTab::on_key`], the
    /// footer and the help overlay.
    pub const BINDINGS: &'static [Binding<Action, Focus>] = &[
        Binding {
            keys: &[Key::Plain(KeyCode::Enter)],
            name: "Enter",
            label: "start",
            help: "on the address: start / stop listening",
            scope: Scope::Focus(Focus::Address),
            action: Action::Listen,
        },
        Binding {
            keys: &[],
            name: "↑↓",
            label: "select",
            help: "on the table: select a connection (Home / End: first / last)",
            scope: Scope::Focus(Focus::Connections),
            action: Action::Field,
        },
        Binding {
            keys: &[Key::Plain(KeyCode::Up)],
            name: "Up",
            label: "",
            help: "",
            scope: Scope::Focus(Focus::Connections),
            action: Action::SelectUp,
        },
        Binding {
            keys: &[Key::Plain(KeyCode::Down)],
            name: "Down",
            label: "",
            help: "",
            scope: Scope::Focus(Focus::Connections),
            action: Action::SelectDown,
        },
        Binding {
            keys: &[Key::Plain(KeyCode::Home)],
            name: "Home",
            label: "",
            help: "",
            scope: Scope::Focus(Focus::Connections),
            action: Action::SelectFirst,
        },
        Binding {
            keys: &[Key::Plain(KeyCode::End)],
            name: "End",
            label: "",
            help: "",
            scope: Scope::Focus(Focus::Connections),
            action: Action::SelectLast,
        },
        Binding {
            keys: &[Key::Plain(KeyCode::Char('k')), Key::Plain(KeyCode::Delete)],
            name: "k/Del",
            label: "kick",
            help: "on the table: kick (close) the selected connection",
            scope: Scope::Focus(Focus::Connections),
            action: Action::Kick,
        },
        Binding {
            keys: &[Key::Plain(KeyCode::Char(' '))],
            name: "Space",
            label: "pause",
            help: "on the table or the log: pause / resume the live log",
            scope: Scope::Focus(Focus::Connections),
            action: Action::Pause,
        },
        Binding {
            keys: &[Key::Plain(KeyCode::Enter)],
            name: "Enter",
            label: "reply",
            help: "on the table: write to the selected connection",
            scope: Scope::Focus(Focus::Connections),
            action: Action::ToMessage,
        },
        Binding {
            keys: &[Key::Plain(KeyCode::Enter)],
            name: "Enter",
            label: "send",
            help: "on the message: send to the selected connection (or all, F7)",
            scope: Scope::Focus(Focus::Message),
            action: Action::Send,
        },
        Binding {
            keys: &[],
            name: "↑↓",
            label: "history",
            help: "on the message: recall earlier messages",
            scope: Scope::Focus(Focus::Message),
            action: Action::Field,
        },
        Binding {
            keys: &[],
            name: "F7",
            label: "broadcast",
            help: "",
            scope: Scope::Focus(Focus::Message),
            action: Action::Broadcast,
        },
        Binding {
            keys: &[],
            name: "↑↓ PgUp/Dn",
            label: "scroll",
            help: "on the log: scroll (Home / End: oldest / live; Space pauses)",
            scope: Scope::Focus(Focus::Log),
            action: Action::Field,
        },
        Binding {
            keys: &[Key::Plain(KeyCode::F(2))],
            name: "F2",
            label: "",
            help: "log: text / hex view",
            scope: Scope::Tab,
            action: Action::Hex,
        },
        keys::composer_settings(Action::ComposerSetting),
        Binding {
            keys: &[Key::Plain(KeyCode::F(5))],
            name: "F5",
            label: "mode",
            help: "mode: greet → echo → discard → manual → http (live)",
            scope: Scope::Tab,
            action: Action::Mode,
        },
        Binding {
            keys: &[Key::Plain(KeyCode::F(6))],
            name: "F6",
            label: "",
            help: "reply delay: 0 / 100 ms / 500 ms / 1 s / 2 s",
            scope: Scope::Tab,
            action: Action::Delay,
        },
        Binding {
            keys: &[Key::Plain(KeyCode::F(7))],
            name: "F7",
            label: "",
            help: "toggle broadcast: send to every open connection",
            scope: Scope::Tab,
            action: Action::Broadcast,
        },
        Binding {
            keys: &[Key::Plain(KeyCode::F(8))],
            name: "F8",
            label: "start/stop",
            help: "start / stop listening from anywhere on the tab",
            scope: Scope::Tab,
            action: Action::Listen,
        },
        Binding {
            keys: &[Key::Plain(KeyCode::F(9))],
            name: "F9",
            label: "",
            help: "pause / resume the live log from anywhere on the tab",
            scope: Scope::Tab,
            action: Action::Pause,
        },
        Binding {
            keys: &[Key::Alt('e')],
            name: "Alt+E",
            label: "",
            help: "the rules of rules mode (F5 to rules): PATTERN => REPLY per line, checked as you type, in force from the next line read (Esc closes)",
            scope: Scope::Tab,
            action: Action::Rules,
        },
        Binding {
            keys: &[Key::Alt('r')],
            name: "Alt+R",
            label: "",
            help: "record every connection, one file each (netplay-server-<time>.jsonl): the open ones from now, each new one from its first byte (Alt+R again stops)",
            scope: Scope::Tab,
            action: Action::Record,
        },
        Binding {
            keys: &[Key::Alt('k')],
            name: "Alt+K",
            label: "",
            help: "capture every new connection into one pcapng file for Wireshark (netplay-server-<time>.pcapng), each as its own flow; Alt+K again stops (the file is finished when the connections in it close)",
            scope: Scope::Tab,
            action: Action::Capture,
        },
        Binding {
            keys: &[Key::Ctrl('t')],
            name: "Ctrl+T",
            label: "TLS",
            help: "TLS on / off for the next start: the certificate and key files, or one from netplay's local CA",
            scope: Scope::Tab,
            action: Action::Tls,
        },
        Binding {
            keys: &[Key::Alt('w')],
            name: "Alt+W",
            label: "",
            help: "WebSocket on / off for connections accepted from now: each upgrades first (101), then the mode answers whole messages; every frame is logged with FIN, opcode, mask and length",
            scope: Scope::Tab,
            action: Action::WebSocket,
        },
        Binding {
            keys: &[Key::Ctrl('s')],
            name: "Ctrl+S",
            label: "save log",
            help: "save the log to netplay-tcp-server-<time>.log",
            scope: Scope::Tab,
            action: Action::Save,
        },
    ];
}
