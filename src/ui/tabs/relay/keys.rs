//! The keys of the Relay tab, as data: this one table drives the tab's key
//! handling, its footer hints and its part of the help overlay.

use crossterm::event::KeyCode;

use crate::ui::shell::keys::{self, Binding, Key, Scope};
use crate::ui::tabs::relay::{Focus, RelayTab};

/// What a key does on this tab (see [`RelayTab::BINDINGS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Start or stop the relay.
    Start,
    /// Transcript text / hex.
    Hex,
    /// F3 line ending, F4 escapes.
    ComposerSetting,
    /// Switch the direction that hold, inject and edit act on.
    Direction,
    /// Hold / stop holding the selected pair's direction.
    Hold,
    /// Hold that direction of every new pair.
    HoldNew,
    /// Pause or resume the transcript.
    Pause,
    /// Save the relay log.
    Save,
    /// Record every pair to files, or stop.
    Record,
    /// Capture new pairs to a pcapng file, or stop.
    Capture,
    /// Inject the message (or apply the edit).
    Send,
    /// What an inject into a WebSocket pair writes.
    InjectAs,
    /// Release every held chunk.
    Release,
    /// Release the oldest held chunk.
    Step,
    /// Drop the oldest held chunk.
    DropChunk,
    /// Edit the oldest held chunk in the message input.
    Edit,
    /// Close the selected pair with RST.
    Reset,
    /// Close the selected pair (FIN both ways).
    Close,
    /// Select the pair above.
    SelectUp,
    /// Select the pair below.
    SelectDown,
    /// Select the first pair.
    SelectFirst,
    /// Select the newest pair (and follow new ones).
    SelectLast,
    /// Go to the message input.
    ToMessage,
    /// Cancel an edit.
    CancelEdit,
    /// Faults pane: the next value of the fault under the cursor.
    FaultNext,
    /// Faults pane: turn the fault under the cursor off.
    FaultOff,
    /// Handled by the focused field itself (listed for the help).
    Field,
}

const fn table_key(
    keys: &'static [Key],
    name: &'static str,
    label: &'static str,
    help: &'static str,
    action: Action,
) -> Binding<Action, Focus> {
    Binding {
        keys,
        name,
        label,
        help,
        scope: Scope::Focus(Focus::Pairs),
        action,
    }
}

impl RelayTab {
    /// Every key of this tab: one table drives [`RelayTab::on_key`], the
    /// footer and the help overlay.
    pub const BINDINGS: &'static [Binding<Action, Focus>] = &[
        Binding {
            keys: &[Key::Plain(KeyCode::Enter)],
            name: "Enter",
            label: "start",
            help: "on Listen on / Forward to: start / stop the relay",
            scope: Scope::Focus(Focus::Listen),
            action: Action::Start,
        },
        Binding {
            keys: &[Key::Plain(KeyCode::Enter)],
            name: "Enter",
            label: "start",
            help: "",
            scope: Scope::Focus(Focus::Target),
            action: Action::Start,
        },
        table_key(
            &[Key::Plain(KeyCode::Up)],
            "↑↓",
            "select",
            "on the pairs: select a pair (its transcript shows below)",
            Action::SelectUp,
        ),
        table_key(
            &[Key::Plain(KeyCode::Down)],
            "↓",
            "",
            "",
            Action::SelectDown,
        ),
        table_key(
            &[Key::Plain(KeyCode::Home)],
            "Home / End",
            "",
            "on the pairs: first pair / follow the newest",
            Action::SelectFirst,
        ),
        table_key(
            &[Key::Plain(KeyCode::End)],
            "End",
            "",
            "",
            Action::SelectLast,
        ),
        table_key(
            &[Key::Plain(KeyCode::Char('r'))],
            "r",
            "release",
            "on the pairs: release every held chunk of the direction",
            Action::Release,
        ),
        table_key(
            &[Key::Plain(KeyCode::Char('s'))],
            "s",
            "step",
            "on the pairs: release the oldest held chunk",
            Action::Step,
        ),
        table_key(
            &[Key::Plain(KeyCode::Char('d'))],
            "d",
            "drop",
            "on the pairs: drop the oldest held chunk",
            Action::DropChunk,
        ),
        table_key(
            &[Key::Plain(KeyCode::Char('e'))],
            "e",
            "edit",
            "on the pairs: edit the oldest held chunk (escapes; Enter applies, Esc cancels)",
            Action::Edit,
        ),
        table_key(
            &[Key::Plain(KeyCode::Char('i'))],
            "i",
            "inject",
            "on the pairs: type bytes to inject into the direction",
            Action::ToMessage,
        ),
        table_key(
            &[Key::Plain(KeyCode::Char('x'))],
            "x",
            "reset",
            "on the pairs: close the pair with RST (SO_LINGER 0)",
            Action::Reset,
        ),
        table_key(
            &[Key::Plain(KeyCode::Char('k')), Key::Plain(KeyCode::Delete)],
            "k",
            "close",
            "on the pairs: close the pair (FIN both ways; Del too)",
            Action::Close,
        ),
        Binding {
            keys: &[Key::Plain(KeyCode::Enter), Key::Plain(KeyCode::Char(' '))],
            name: "Enter / Space",
            label: "change",
            help: "on the faults: the next value of the fault (↑↓ fault, ←→ direction)",
            scope: Scope::Focus(Focus::Faults),
            action: Action::FaultNext,
        },
        Binding {
            keys: &[Key::Plain(KeyCode::Backspace), Key::Plain(KeyCode::Delete)],
            name: "Del",
            label: "off",
            help: "on the faults: turn the fault off",
            scope: Scope::Focus(Focus::Faults),
            action: Action::FaultOff,
        },
        Binding {
            keys: &[Key::Plain(KeyCode::Enter)],
            name: "Enter",
            label: "inject",
            help: "on the message: inject it into the selected pair (or apply the edit)",
            scope: Scope::Focus(Focus::Message),
            action: Action::Send,
        },
        Binding {
            keys: &[Key::Plain(KeyCode::Esc)],
            name: "Esc",
            label: "",
            help: "on the message: cancel the edit of a held chunk",
            scope: Scope::Focus(Focus::Message),
            action: Action::CancelEdit,
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
            label: "direction",
            help: "the direction hold, inject and edit act on: client → server / server → client",
            scope: Scope::Tab,
            action: Action::Direction,
        },
        Binding {
            keys: &[Key::Plain(KeyCode::F(6))],
            name: "F6",
            label: "hold",
            help:
                "hold / stop holding the selected pair's direction (held bytes wait, up to 1 MiB)",
            scope: Scope::Tab,
            action: Action::Hold,
        },
        Binding {
            keys: &[Key::Plain(KeyCode::F(7))],
            name: "F7",
            label: "",
            help: "hold the direction of every new pair, or stop",
            scope: Scope::Tab,
            action: Action::HoldNew,
        },
        Binding {
            keys: &[Key::Plain(KeyCode::F(8))],
            name: "F8",
            label: "start/stop",
            help: "start / stop the relay from anywhere on the tab",
            scope: Scope::Tab,
            action: Action::Start,
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
            keys: &[Key::Alt('r')],
            name: "Alt+R",
            label: "",
            help: "record every pair, one file each (netplay-relay-<time>.jsonl), as each side sent it (before faults): the open pairs from now, each new one from its first byte (Alt+R again stops)",
            scope: Scope::Tab,
            action: Action::Record,
        },
        Binding {
            keys: &[Key::Alt('w')],
            name: "Alt+W",
            label: "",
            help: "what an inject into a WebSocket pair writes: a text message, binary, a ping, a close (type `4000 bye`) or raw bytes",
            scope: Scope::Tab,
            action: Action::InjectAs,
        },
        Binding {
            keys: &[Key::Alt('k')],
            name: "Alt+K",
            label: "",
            help: "capture every new pair (both legs) into one pcapng file for Wireshark (netplay-relay-<time>.pcapng), each as its own flow; Alt+K again stops (the file is finished when the pairs in it close)",
            scope: Scope::Tab,
            action: Action::Capture,
        },
        Binding {
            keys: &[Key::Ctrl('s')],
            name: "Ctrl+S",
            label: "save",
            help: "save the relay log (every pair) to netplay-relay-<time>.log",
            scope: Scope::Tab,
            action: Action::Save,
        },
    ];
}
