//! The keys of the HTTP tab, as data: this one table drives the tab's
//! key handling, its footer hints and its part of the help overlay.

use crossterm::event::KeyCode;

use crate::ui::shell::keys::{Binding, Key, Scope};
use crate::ui::tabs::http::{Focus, HttpTab};

/// What a key does on this tab (see [`HttpTab::BINDINGS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Cycle the response pane's view.
    View,
    /// Add the exchange to ./netplay.har.
    Har,
    /// Capture each next exchange to pcapng, or stop.
    Capture,
    /// Body preview text / hex.
    Hex,
    /// Rebuild the request from URL and method.
    Reset,
    /// Cycle the method.
    Method,
    /// Go to the CA file field.
    CaFile,
    /// Toggle skipping certificate verification.
    Insecure,
    /// Send the request.
    Send,
    /// Follow the redirect.
    Follow,
    /// Cancel the request in flight.
    Cancel,
    /// Save the body.
    Save,
    /// The `.http` collection's requests (or open one).
    Requests,
    /// Append the request to the `.http` file.
    Append,
    /// On an open WebSocket: the editor as a binary message (escapes).
    WsBinary,
    /// On an open WebSocket: answer pings automatically, or not.
    WsPongs,
    /// Handled by the focused field itself (listed for the help).
    Field,
}

impl HttpTab {
    /// Every key of this tab: one table drives [`HttpTab::on_key`], the
    /// footer and the help overlay.
    pub const BINDINGS: &'static [Binding<Action, Focus>] = &[
        Binding {
            keys: &[Key::Plain(KeyCode::Enter)],
            name: "Enter",
            label: "send",
            help: "on the URL or the CA file: send the request in the editor",
            scope: Scope::Focus(Focus::Url),
            action: Action::Send,
        },
        Binding {
            keys: &[Key::Plain(KeyCode::Enter)],
            name: "Enter",
            label: "send",
            help: "",
            scope: Scope::Focus(Focus::CaFile),
            action: Action::Send,
        },
        Binding {
            keys: &[],
            name: "Enter",
            label: "",
            help: "in the request editor: a new line (edit headers and body freely)",
            scope: Scope::Focus(Focus::Request),
            action: Action::Field,
        },
        Binding {
            keys: &[],
            name: "F8",
            label: "send",
            help: "",
            scope: Scope::Focus(Focus::Request),
            action: Action::Field,
        },
        Binding {
            keys: &[],
            name: "F4",
            label: "reset",
            help: "",
            scope: Scope::Focus(Focus::Request),
            action: Action::Field,
        },
        Binding {
            keys: &[],
            name: "↑↓ PgUp/Dn",
            label: "scroll",
            help: "on the response: scroll (Home / End: top / bottom)",
            scope: Scope::Focus(Focus::Response),
            action: Action::Field,
        },
        Binding {
            keys: &[],
            name: "F3",
            label: "hex",
            help: "",
            scope: Scope::Focus(Focus::Response),
            action: Action::Field,
        },
        Binding {
            keys: &[Key::Plain(KeyCode::Esc)],
            name: "Esc",
            label: "cancel",
            help: "cancel a request in flight (timeout 30 s); on an open WebSocket: close it — 1000, or the code typed in the editor (4000 bye)",
            scope: Scope::Tab,
            action: Action::Cancel,
        },
        Binding {
            keys: &[Key::Plain(KeyCode::F(8))],
            name: "F8",
            label: "",
            help: "send the request from anywhere on the tab; on an open WebSocket (a ws:// URL): send the editor as a text message",
            scope: Scope::Tab,
            action: Action::Send,
        },
        Binding {
            keys: &[Key::Plain(KeyCode::F(5))],
            name: "F5",
            label: "method",
            help: "method: GET HEAD POST PUT PATCH DELETE OPTIONS",
            scope: Scope::Tab,
            action: Action::Method,
        },
        Binding {
            keys: &[Key::Plain(KeyCode::F(4))],
            name: "F4",
            label: "",
            help: "reset the request text from URL and method",
            scope: Scope::Tab,
            action: Action::Reset,
        },
        Binding {
            keys: &[Key::Plain(KeyCode::F(2))],
            name: "F2",
            label: "view",
            help: "response pane: response / request as sent / timing & TLS",
            scope: Scope::Tab,
            action: Action::View,
        },
        Binding {
            keys: &[Key::Plain(KeyCode::F(3))],
            name: "F3",
            label: "",
            help: "body preview: text / hex",
            scope: Scope::Tab,
            action: Action::Hex,
        },
        Binding {
            keys: &[Key::Plain(KeyCode::F(6))],
            name: "F6",
            label: "",
            help: "jump to the extra CA file field",
            scope: Scope::Tab,
            action: Action::CaFile,
        },
        Binding {
            keys: &[Key::Plain(KeyCode::F(7))],
            name: "F7",
            label: "",
            help: "skip certificate verification (insecure; red while on)",
            scope: Scope::Tab,
            action: Action::Insecure,
        },
        Binding {
            keys: &[Key::Plain(KeyCode::F(9))],
            name: "F9",
            label: "follow",
            help: "follow the redirect's Location (a new request); on an open WebSocket: ping",
            scope: Scope::Tab,
            action: Action::Follow,
        },
        Binding {
            keys: &[Key::Alt('r')],
            name: "Alt+R",
            label: "requests",
            help: "the .http file's requests by name (netplay --file api.http; with none loaded, type a path): Enter puts one in the editor",
            scope: Scope::Tab,
            action: Action::Requests,
        },
        Binding {
            keys: &[Key::Alt('w')],
            name: "Alt+W",
            label: "",
            help: "append the request in the editor to the .http file (./netplay.http when none is loaded)",
            scope: Scope::Tab,
            action: Action::Append,
        },
        Binding {
            keys: &[Key::Alt('h')],
            name: "Alt+H",
            label: "",
            help: "add the exchange to ./netplay.har (HAR 1.2: request, response head, body size, timings; made, or appended to and kept valid)",
            scope: Scope::Tab,
            action: Action::Har,
        },
        Binding {
            keys: &[Key::Alt('k')],
            name: "Alt+K",
            label: "",
            help: "capture each next exchange into its own pcapng file for Wireshark (netplay-http-<time>.pcapng; HTTPS with the session's keys, so it opens decrypted), written when it ends; Alt+K again stops",
            scope: Scope::Tab,
            action: Action::Capture,
        },
        Binding {
            keys: &[Key::Alt('b')],
            name: "Alt+B",
            label: "",
            help: "on an open WebSocket: send the editor as a binary message (escapes: \\xNN \\n \\0 …)",
            scope: Scope::Tab,
            action: Action::WsBinary,
        },
        Binding {
            keys: &[Key::Alt('p')],
            name: "Alt+P",
            label: "",
            help: "on an open WebSocket: answer the server's pings automatically, or not (to watch it time out)",
            scope: Scope::Tab,
            action: Action::WsPongs,
        },
        Binding {
            keys: &[Key::Ctrl('s')],
            name: "Ctrl+S",
            label: "save body",
            help: "save the body (name from the URL; never overwrites)",
            scope: Scope::Tab,
            action: Action::Save,
        },
    ];
}

impl HttpTab {
    /// Keys worth showing in the footer now, from the bindings table.
    pub(super) fn footer_hints(&self) -> Vec<crate::ui::Hint> {
        let (in_flight, websocket) = (self.handle.is_some(), self.ws_open());
        crate::ui::shell::keys::footer(Self::BINDINGS, self.focus, |action, label| match action {
            Action::Cancel if !in_flight => None,
            Action::Cancel if websocket => Some("close"),
            Action::Follow if websocket => Some("ping"),
            _ => Some(label),
        })
    }
}
