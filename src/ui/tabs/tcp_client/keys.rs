//! The keys of the TCP Client tab, as data: this one table drives the tab's
//! key handling, its footer hints and its part of the help overlay.

use crossterm::event::KeyCode;

use crate::ui::shell::keys::{self, Binding, Key, Scope};
use crate::ui::tabs::tcp_client::{ClientTab, Focus};

/// What a key does on this tab (see [`ClientTab::BINDINGS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Transcript text / hex.
    Hex,
    /// F3 line ending, F4 escapes (the composer tells them apart).
    ComposerSetting,
    /// Cycle the connect timeout.
    Timeout,
    /// Send FIN, keep reading.
    HalfClose,
    /// Connect or disconnect.
    Connect,
    /// Pause or resume the transcript.
    Pause,
    /// Save the transcript.
    Save,
    /// Send the message.
    Send,
    /// Cycle TLS: off → on → on without verification.
    Tls,
    /// Handled by the focused field itself (listed for the help).
    Field,
    /// Repeat the message: off → every 1 s → 250 ms → 50 ms → off.
    Repeat,
    /// Repeat with a typed schedule (interval, jitter, count).
    RepeatPrompt,
    /// Send a file, one block or line by line.
    FilePrompt,
    /// Reconnect by itself after a close or a failed connect.
    Reconnect,
    /// Record connections to files, or stop.
    Record,
    /// Capture each next connection to pcapng, or stop.
    Capture,
    /// Play a recording's client side against the target.
    Play,
}

impl ClientTab {
    /// Every key of this tab: one table drives [`ClientTab::on_key`], the
    /// footer and the help overlay.
    pub const BINDINGS: &'static [Binding<Action, Focus>] = &[
        Binding {
            keys: &[Key::Plain(KeyCode::Enter)],
            name: "Enter",
            label: "connect",
            help: "on the target: connect / disconnect",
            scope: Scope::Focus(Focus::Target),
            action: Action::Connect,
        },
        Binding {
            keys: &[Key::Plain(KeyCode::Enter)],
            name: "Enter",
            label: "send",
            help: "on the message: send it and clear the input",
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
            keys: &[Key::Plain(KeyCode::Char(' '))],
            name: "Space",
            label: "pause",
            help: "on the transcript: pause / resume it (F9 from anywhere)",
            scope: Scope::Focus(Focus::Transcript),
            action: Action::Pause,
        },
        Binding {
            keys: &[],
            name: "↑↓ PgUp/Dn",
            label: "scroll",
            help: "on the transcript: scroll (Home / End: oldest / live)",
            scope: Scope::Focus(Focus::Transcript),
            action: Action::Field,
        },
        Binding {
            keys: &[Key::Plain(KeyCode::F(2))],
            name: "F2",
            label: "hex",
            help: "transcript: text / hex view",
            scope: Scope::Tab,
            action: Action::Hex,
        },
        keys::composer_settings(Action::ComposerSetting),
        Binding {
            keys: &[Key::Plain(KeyCode::F(5))],
            name: "F5",
            label: "",
            help: "connect timeout: 1 / 2 / 5 / 10 / 30 s",
            scope: Scope::Tab,
            action: Action::Timeout,
        },
        Binding {
            keys: &[Key::Plain(KeyCode::F(6))],
            name: "F6",
            label: "half-close",
            help: "half-close: send FIN, keep reading replies",
            scope: Scope::Tab,
            action: Action::HalfClose,
        },
        Binding {
            keys: &[Key::Plain(KeyCode::F(7))],
            name: "F7",
            label: "repeat",
            help: "repeat the message: off → every 1 s → 250 ms → 50 ms → off (the count sent is in the status)",
            scope: Scope::Tab,
            action: Action::Repeat,
        },
        Binding {
            keys: &[Key::Alt('t')],
            name: "Alt+T",
            label: "",
            help: "repeat the message on a schedule you type: EVERY [±JITTER] [xCOUNT], e.g. 500ms ±100ms x10 (F7 stops)",
            scope: Scope::Tab,
            action: Action::RepeatPrompt,
        },
        Binding {
            keys: &[Key::Alt('f')],
            name: "Alt+F",
            label: "",
            help: "send a file: one block, or line by line (Tab in the prompt), each line its own write (F7 stops)",
            scope: Scope::Tab,
            action: Action::FilePrompt,
        },
        Binding {
            keys: &[Key::Ctrl('r')],
            name: "Ctrl+R",
            label: "",
            help: "reconnect by itself after a close or a refused connect: 1 s, doubling to 30 s, each attempt logged (F8 disconnecting stops it)",
            scope: Scope::Tab,
            action: Action::Reconnect,
        },
        Binding {
            keys: &[Key::Alt('r')],
            name: "Alt+R",
            label: "record",
            help: "record: this connection from now, and each next one from its first byte, to netplay-client-<time>.jsonl (Alt+R again stops)",
            scope: Scope::Tab,
            action: Action::Record,
        },
        Binding {
            keys: &[Key::Alt('k')],
            name: "Alt+K",
            label: "",
            help: "capture each next connection into its own pcapng file for Wireshark (netplay-client-<time>.pcapng; TLS with the session's keys, so it opens decrypted), written when it closes; Alt+K again stops",
            scope: Scope::Tab,
            action: Action::Capture,
        },
        Binding {
            keys: &[Key::Alt('p')],
            name: "Alt+P",
            label: "",
            help: "play a recording: connect to the target, send the recorded client's bytes, and say whether the server answered as recorded",
            scope: Scope::Tab,
            action: Action::Play,
        },
        Binding {
            keys: &[Key::Plain(KeyCode::F(8))],
            name: "F8",
            label: "dis/connect",
            help: "connect / disconnect from anywhere on the tab",
            scope: Scope::Tab,
            action: Action::Connect,
        },
        Binding {
            keys: &[Key::Plain(KeyCode::F(9))],
            name: "F9",
            label: "",
            help: "pause / resume the live transcript",
            scope: Scope::Tab,
            action: Action::Pause,
        },
        Binding {
            keys: &[Key::Ctrl('t')],
            name: "Ctrl+T",
            label: "TLS",
            help: "TLS: off → on (verified) → on without verification (insecure); CA file and SNI fields take Tab while on",
            scope: Scope::Tab,
            action: Action::Tls,
        },
        Binding {
            keys: &[Key::Ctrl('s')],
            name: "Ctrl+S",
            label: "save",
            help: "save the transcript to netplay-tcp-client-<time>.log",
            scope: Scope::Tab,
            action: Action::Save,
        },
    ];
}
