//! The keys of the UDP tab, as data: this one table drives the tab's
//! key handling, its footer hints and its part of the help overlay.

use crossterm::event::KeyCode;

use crate::ui::shell::keys::{self, Binding, Key, Scope};
use crate::ui::tabs::udp::{Focus, UdpTab};

/// What a key does on this tab (see [`UdpTab::BINDINGS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// F3 line ending, F4 escapes (the composer tells them apart).
    ComposerSetting,
    /// Cycle what is done with incoming datagrams.
    Mode,
    /// Cycle the lossy network profiles.
    Lossy,
    /// Send the burst.
    Burst,
    /// Bind or unbind.
    Bind,
    /// Send the message.
    Send,
    /// Save the packet list.
    Save,
    /// Move in the packet table (the key says where).
    Packets,
    /// Open the rules editor (rules mode).
    Rules,
    /// Repeat the message: off → every 1 s → 250 ms → 50 ms → off.
    Repeat,
    /// Repeat with a typed schedule (interval, jitter, count).
    RepeatPrompt,
    /// Send a file, one block or line by line.
    FilePrompt,
    /// Stop (or resume) answering a peer.
    NoReply,
    /// Capture the socket's datagrams to pcapng, or stop.
    Capture,
}

impl UdpTab {
    /// Every key of this tab: one table drives [`UdpTab::on_key`], the
    /// footer and the help overlay.
    pub const BINDINGS: &'static [Binding<Action, Focus>] = &[
        Binding {
            keys: &[Key::Plain(KeyCode::Enter)],
            name: "Enter",
            label: "bind",
            help: "on the bind address: bind / unbind (port 0: the OS picks; TCP and UDP may share 9999)",
            scope: Scope::Focus(Focus::Bind),
            action: Action::Bind,
        },
        Binding {
            keys: &[Key::Plain(KeyCode::Enter)],
            name: "Enter",
            label: "send",
            help: "on the target: send the message as one datagram (unbound: from an ephemeral port)",
            scope: Scope::Focus(Focus::Target),
            action: Action::Send,
        },
        Binding {
            keys: &[Key::Plain(KeyCode::Enter)],
            name: "Enter",
            label: "send",
            help: "on the message: send it as one datagram",
            scope: Scope::Focus(Focus::Message),
            action: Action::Send,
        },
        Binding {
            keys: &[Key::Plain(KeyCode::Enter)],
            name: "Enter",
            label: "burst",
            help: "on the burst: send N numbered datagrams; report replies, missing, dups, order",
            scope: Scope::Focus(Focus::Burst),
            action: Action::Burst,
        },
        Binding {
            keys: &[Key::Plain(KeyCode::Up), Key::Plain(KeyCode::Down), Key::Plain(KeyCode::PageUp), Key::Plain(KeyCode::PageDown), Key::Plain(KeyCode::Home), Key::Plain(KeyCode::End), Key::Plain(KeyCode::Char(' '))],
            name: "↑↓",
            label: "select",
            help: "on the packets: select a datagram (PgUp/PgDn, Home/End); its text and hex below",
            scope: Scope::Focus(Focus::Packets),
            action: Action::Packets,
        },
        Binding {
            keys: &[],
            name: "Space",
            label: "follow",
            help: "on the packets: follow the newest / stay on the selection",
            scope: Scope::Focus(Focus::Packets),
            action: Action::Packets,
        },
        keys::composer_settings(Action::ComposerSetting),
        Binding {
            keys: &[Key::Plain(KeyCode::F(5))],
            name: "F5",
            label: "mode",
            help: "incoming: greet → echo → silent",
            scope: Scope::Tab,
            action: Action::Mode,
        },
        Binding {
            keys: &[Key::Plain(KeyCode::F(6))],
            name: "F6",
            label: "lossy",
            help: "lossy network on receive: off → 10% → 30% + dup + delay → 50% …",
            scope: Scope::Tab,
            action: Action::Lossy,
        },
        Binding {
            keys: &[Key::Plain(KeyCode::F(7))],
            name: "F7",
            label: "burst",
            help: "send the burst from anywhere on the tab",
            scope: Scope::Tab,
            action: Action::Burst,
        },
        Binding {
            keys: &[Key::Plain(KeyCode::F(8))],
            name: "F8",
            label: "",
            help: "bind / unbind from anywhere on the tab",
            scope: Scope::Tab,
            action: Action::Bind,
        },
        Binding {
            keys: &[Key::Plain(KeyCode::F(9))],
            name: "F9",
            label: "repeat",
            help: "repeat the message to the target: off → every 1 s → 250 ms → 50 ms → off (the count sent in the status)",
            scope: Scope::Tab,
            action: Action::Repeat,
        },
        Binding {
            keys: &[Key::Alt('t')],
            name: "Alt+T",
            label: "",
            help: "repeat the message to the target on a schedule you type: EVERY [±JITTER] [xCOUNT], e.g. 500ms ±100ms x10 (F9 stops)",
            scope: Scope::Tab,
            action: Action::RepeatPrompt,
        },
        Binding {
            keys: &[Key::Alt('f')],
            name: "Alt+F",
            label: "",
            help: "send a file to the target: one datagram, or one per line (Tab in the prompt) (F9 stops)",
            scope: Scope::Tab,
            action: Action::FilePrompt,
        },
        Binding {
            keys: &[Key::Alt('b')],
            name: "Alt+B",
            label: "",
            help: "stop answering a peer (a loop with another echo server): the selected datagram's peer on the packet list, else the last one reported; again answers it",
            scope: Scope::Tab,
            action: Action::NoReply,
        },
        Binding {
            keys: &[Key::Alt('e')],
            name: "Alt+E",
            label: "",
            help: "the rules of rules mode (F5 to rules): PATTERN => REPLY per line, each datagram matched whole, checked as you type (Esc closes)",
            scope: Scope::Tab,
            action: Action::Rules,
        },
        Binding {
            keys: &[Key::Alt('k')],
            name: "Alt+K",
            label: "",
            help: "capture every datagram the socket reads or sends from now into a pcapng file for Wireshark (netplay-udp-<time>.pcapng); Alt+K again stops, and so does closing the socket",
            scope: Scope::Tab,
            action: Action::Capture,
        },
        Binding {
            keys: &[Key::Ctrl('s')],
            name: "Ctrl+S",
            label: "save",
            help: "save the packet list to netplay-udp-packets-<time>.log",
            scope: Scope::Tab,
            action: Action::Save,
        },
    ];
}
