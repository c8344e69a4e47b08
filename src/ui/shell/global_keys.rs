//! The keys that work on every tab (and in the help): one table that
//! drives the key handling of [`crate::ui::shell::app::App`] and the help's
//! first section.

use crossterm::event::{KeyCode, KeyEvent};

use crate::ui::shell::keys::{Binding, Key, Scope};

/// Where the global keys are looked up: over the tabs, or in the help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    /// A tab has the keyboard.
    Tabs,
    /// The help overlay is open.
    Help,
}

/// What a global key does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Global {
    /// Quit at once.
    Quit,
    /// Go to the tab of the Alt+digit pressed.
    SwitchTab,
    /// Move the focus on the active tab: forward (Tab) or back.
    Focus(bool),
    /// Open or close the help.
    Help,
    /// Close the help.
    CloseHelp,
    /// Scroll the help up by this many lines.
    ScrollUp(u16),
    /// Scroll the help down by this many lines.
    ScrollDown(u16),
    /// The help's first line.
    ScrollTop,
    /// The help's last line.
    ScrollBottom,
    /// Listed in the help for every tab; each tab binds it itself.
    Listed,
    /// Open the address picker (tabs that listen or bind).
    Addresses,
    /// Open the kernel's view of the selected connection.
    Kernel,
    /// Open the code behind the active tab.
    Code,
    /// The same, on its one-liner page (copy as curl).
    OneLiner,
}

/// The keys that work everywhere, and the help overlay's own: one table for
/// the key handling and the help's first section. Tab, Shift+Tab and Enter
/// are listed for the help; each tab binds them itself.
pub const GLOBAL_BINDINGS: &[Binding<Global, Layer>] = &[
    Binding {
        keys: &[Key::AltDigit],
        name: "Alt+N",
        label: "tabs",
        help: "go to tab N (the tab bar numbers them), even while typing",
        scope: Scope::Focus(Layer::Tabs),
        action: Global::SwitchTab,
    },
    Binding {
        keys: &[Key::AltDigit],
        name: "Alt+N",
        label: "",
        help: "",
        scope: Scope::Focus(Layer::Help),
        action: Global::SwitchTab,
    },
    Binding {
        keys: &[Key::Plain(KeyCode::Tab)],
        name: "Tab / Shift+Tab",
        label: "focus",
        help: "move focus between the fields and panes of the tab",
        scope: Scope::Focus(Layer::Tabs),
        action: Global::Focus(true),
    },
    Binding {
        keys: &[Key::Plain(KeyCode::BackTab)],
        name: "Shift+Tab",
        label: "",
        help: "",
        scope: Scope::Focus(Layer::Tabs),
        action: Global::Focus(false),
    },
    Binding {
        keys: &[],
        name: "Enter",
        label: "",
        help: "the focused field's action: start/stop, connect/disconnect, send",
        scope: Scope::Focus(Layer::Tabs),
        action: Global::Listed,
    },
    Binding {
        keys: &[],
        name: "mouse",
        label: "",
        help: "click a tab title, a field, a table row or a footer hint; the wheel scrolls the pane under the pointer. While netplay has the mouse, Shift+drag selects text in most terminals; --no-mouse leaves the mouse to the terminal",
        scope: Scope::Focus(Layer::Tabs),
        action: Global::Listed,
    },
    Binding {
        keys: &[Key::Plain(KeyCode::F(12))],
        name: "F12",
        label: "code",
        help: "the code behind this tab, for its settings: Python 3 sockets, the one-liner, Rust/tokio (←→ switch, s save, c copy with OSC 52, Esc closes)",
        scope: Scope::Tab,
        action: Global::Code,
    },
    Binding {
        keys: &[Key::Plain(KeyCode::F(1))],
        name: "F1",
        label: "help",
        help: "this help (Esc or F1 closes it; ↑↓ PgUp PgDn Home End scroll)",
        scope: Scope::Tab,
        action: Global::Help,
    },
    Binding {
        keys: &[Key::Ctrl('l')],
        name: "Ctrl+L",
        label: "",
        help: "server, UDP, relay: this machine's addresses and what each means; Enter fills the address (stopped first)",
        scope: Scope::Focus(Layer::Tabs),
        action: Global::Addresses,
    },
    Binding {
        keys: &[Key::Alt('c')],
        name: "Alt+C",
        label: "",
        help: "copy as curl: the one-liner of this tab (curl -v and netplay fetch on the HTTP tab; c copies it with OSC 52)",
        scope: Scope::Tab,
        action: Global::OneLiner,
    },
    Binding {
        keys: &[Key::Ctrl('o')],
        name: "Ctrl+O",
        label: "",
        help: "client, server row, relay pair: the kernel's view — TCP_INFO every second, socket options to change (n k r b t), the timeline",
        scope: Scope::Focus(Layer::Tabs),
        action: Global::Kernel,
    },
    Binding {
        keys: &[Key::Ctrl('c')],
        name: "Ctrl+C",
        label: "quit",
        help: "quit at once, terminal restored",
        scope: Scope::Tab,
        action: Global::Quit,
    },
    Binding {
        keys: &[Key::Plain(KeyCode::Esc)],
        name: "Esc",
        label: "close",
        help: "",
        scope: Scope::Focus(Layer::Help),
        action: Global::CloseHelp,
    },
    Binding {
        keys: &[Key::Plain(KeyCode::Up)],
        name: "↑",
        label: "",
        help: "",
        scope: Scope::Focus(Layer::Help),
        action: Global::ScrollUp(1),
    },
    Binding {
        keys: &[Key::Plain(KeyCode::Down)],
        name: "↓",
        label: "",
        help: "",
        scope: Scope::Focus(Layer::Help),
        action: Global::ScrollDown(1),
    },
    Binding {
        keys: &[Key::Plain(KeyCode::PageUp)],
        name: "PgUp",
        label: "",
        help: "",
        scope: Scope::Focus(Layer::Help),
        action: Global::ScrollUp(10),
    },
    Binding {
        keys: &[Key::Plain(KeyCode::PageDown)],
        name: "PgDn",
        label: "",
        help: "",
        scope: Scope::Focus(Layer::Help),
        action: Global::ScrollDown(10),
    },
    Binding {
        keys: &[Key::Plain(KeyCode::Home)],
        name: "Home",
        label: "",
        help: "",
        scope: Scope::Focus(Layer::Help),
        action: Global::ScrollTop,
    },
    Binding {
        keys: &[Key::Plain(KeyCode::End)],
        name: "End",
        label: "",
        help: "",
        scope: Scope::Focus(Layer::Help),
        action: Global::ScrollBottom,
    },
];

/// The digit of Alt+1 … Alt+9.
pub(crate) fn alt_digit(key: &KeyEvent) -> Option<usize> {
    match key.code {
        KeyCode::Char(c @ '1'..='9') => Some(c as usize - '0' as usize),
        _ => None,
    }
}
