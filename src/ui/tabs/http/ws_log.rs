//! The HTTP tab after a `101` to a WebSocket upgrade: the frames both ways
//! (time, FIN, RSV, opcode, mask key, length, the payload's start — hex for
//! binary), reassembled
//! messages and broken rules, in the response pane — the last [`KEPT`],
//! with exact counts beside them.

use std::collections::VecDeque;

use ratatui::style::Style;
use ratatui::text::Line;

use super::{Focus, HttpTab, Status};
use crate::clock::Stamp;
use crate::format::count;
use crate::narrate::{Kind, Narration};
use crate::net::http::fetch::WsSend;
use crate::net::ws::WsEvent;
use crate::text::sanitize;
use crate::ui::shell::theme;
use crate::ui::widgets::log_view::wrap;

/// Entries kept.
pub const KEPT: usize = 500;

/// How much of a frame's payload a line shows.
const SHOWN_DATA: usize = 512;

/// The WebSocket of one exchange.
#[derive(Debug, Default)]
pub struct WsLog {
    /// When each came (as the tab learned of it), and what it was.
    entries: VecDeque<(Stamp, Narration)>,
    frames_in: u64,
    frames_out: u64,
    /// The 101 came back checked: the socket is a WebSocket now.
    pub upgraded: Option<Option<String>>,
}

impl WsLog {
    /// Folds one event in.
    pub fn push(&mut self, event: WsEvent) {
        let line = match &event {
            WsEvent::Upgraded { protocol, .. } => {
                self.upgraded = Some(protocol.clone());
                return;
            }
            WsEvent::Frame { out, head, preview } => {
                if *out {
                    self.frames_out += 1;
                } else {
                    self.frames_in += 1;
                }
                let kind = if *out { Kind::Out } else { Kind::In };
                crate::narrate::websocket::frame_line("", kind, head, preview)
            }
            _ => crate::narrate::websocket::narrate(crate::net::ConnId(0), &event),
        };
        if self.entries.len() == KEPT {
            self.entries.pop_front();
        }
        self.entries.push_back((Stamp::now(), line));
    }

    /// Whether the exchange upgraded.
    pub fn any(&self) -> bool {
        self.upgraded.is_some()
    }

    /// The pane's lines: the counts, then every kept entry.
    pub fn lines(&self, width: usize, out: &mut Vec<Line<'static>>) {
        let protocol = match &self.upgraded {
            Some(Some(protocol)) => format!(" · subprotocol {}", sanitize(protocol.as_bytes())),
            _ => String::new(),
        };
        out.push(Line::styled(
            format!(
                "── WebSocket{protocol} · {} in · {} out · the last {} kept ──",
                match self.frames_in {
                    1 => "1 frame".to_string(),
                    n => format!("{} frames", count(n)),
                },
                count(self.frames_out),
                self.entries.len()
            ),
            theme::dim(),
        ));
        for (stamp, entry) in &self.entries {
            let words = entry.text.trim_start_matches("#0 ").trim_start();
            let mut text = format!("{} {} {words}", stamp.clock(), entry.kind.marker());
            if let Some(data) = &entry.data {
                let shown = &data.preview[..data.preview.len().min(SHOWN_DATA)];
                text.push_str(&sanitize(shown));
                if shown.len() < data.len {
                    text.push('…');
                }
            }
            let style = match entry.kind {
                Kind::Error => theme::error(),
                Kind::Out | Kind::Echo => theme::outgoing(),
                _ => Style::default(),
            };
            for piece in wrap(&text, width.max(8)) {
                out.push(Line::styled(piece, style));
            }
        }
    }
}

/// The HTTP tab's side of an upgraded WebSocket: the editor becomes the
/// message composer (F8 sends, F9 pings, Esc closes).
impl HttpTab {
    /// Folds a WebSocket event of the request in flight.
    pub(super) fn on_websocket(&mut self, event: WsEvent) {
        let upgraded = matches!(event, WsEvent::Upgraded { .. });
        self.exchange.ws.push(event);
        if upgraded {
            // The request comes back when the WebSocket ends.
            self.stashed_request = Some((self.request_text(), self.edited));
            self.ws_auto_pong = true;
            self.scroll = usize::MAX; // follow the frames
            self.set_editor("");
            self.focus = Focus::Request;
            self.status = Status::new(
                Kind::Good,
                "101 Switching Protocols: a WebSocket now — type a message, F8 sends it; F9 pings; Esc closes",
            );
        }
    }

    /// Whether an upgraded WebSocket is open on the request in flight.
    pub(super) fn ws_open(&self) -> bool {
        self.handle.is_some() && self.exchange.ws.any()
    }

    /// F8 on an open WebSocket: the editor's text as a text message.
    pub(super) fn ws_message(&mut self) {
        let text = self.request_text();
        self.ws_do(WsSend::Message {
            text: true,
            data: text.into_bytes(),
        });
        self.set_editor("");
    }

    pub(super) fn ws_do(&mut self, what: WsSend) {
        let sent = self
            .handle
            .as_ref()
            .is_some_and(|handle| handle.ws_send(what));
        if !sent {
            self.status = Status::new(
                Kind::Error,
                "not sent: 64 messages already wait for the server",
            );
        }
    }

    /// Once the WebSocket has ended, the editor holds the request again.
    pub(super) fn restore_request(&mut self) {
        if self.handle.is_none() {
            if let Some((request, edited)) = self.stashed_request.take() {
                self.set_editor(&request);
                self.edited = edited;
            }
        }
    }

    /// A key of the composer, while the WebSocket is open; `false` for
    /// the keys it leaves to the tab.
    pub(super) fn ws_action(&mut self, action: super::keys::Action) -> bool {
        use super::keys::Action;
        match action {
            Action::Send => self.ws_message(),
            Action::Follow => self.ws_do(WsSend::Ping(b"netplay".to_vec())),
            Action::Cancel => self.ws_close(),
            Action::WsBinary => self.ws_binary(),
            Action::WsPongs => self.ws_pongs(),
            _ => return false,
        }
        true
    }

    /// Alt+B: the editor as a binary message, its escapes (`\xNN`, …)
    /// turned into bytes.
    pub(super) fn ws_binary(&mut self) {
        match crate::text::parse_escapes(&self.request_text()) {
            Ok(data) => {
                self.ws_do(WsSend::Message { text: false, data });
                self.set_editor("");
            }
            Err(reason) => self.status = Status::new(Kind::Error, format!("not sent: {reason}")),
        }
    }

    /// Esc: the closing handshake, with 1000 or the code (and reason)
    /// typed in the editor, e.g. `4000 bye`.
    pub(super) fn ws_close(&mut self) {
        let typed = self.request_text();
        let (code, reason) = typed.trim().split_once(' ').unwrap_or((typed.trim(), ""));
        let code = match code {
            "" => 1000,
            code => match code.parse::<u16>() {
                Ok(code) if crate::net::ws::frame::close_code_is_valid(code) => code,
                _ => {
                    let words = "to close, type nothing (1000) or a code that may be sent: 1000-1003, 1007-1014, 3000-4999";
                    self.status = Status::new(Kind::Error, words);
                    return;
                }
            },
        };
        self.ws_do(WsSend::Close(code, reason.trim().to_string()));
    }

    /// Alt+P: automatic pongs on or off.
    pub(super) fn ws_pongs(&mut self) {
        self.ws_auto_pong = !self.ws_auto_pong;
        self.ws_do(WsSend::AutoPong(self.ws_auto_pong));
        let words = if self.ws_auto_pong {
            "Pings are answered again"
        } else {
            "Pings are no longer answered: watch the server time out"
        };
        self.status = Status::new(Kind::Info, words);
    }
}
