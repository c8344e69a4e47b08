//! A WebSocket's words (the TCP Server tab's log and `netplay ws serve` /
//! `tcp serve --websocket`): the upgrade, each frame with its head's bits,
//! reassembled messages, and broken rules with the close code they call
//! for. The frame's bytes go in the narration's data, still untrusted.

use crate::net::tcp_server::WsEvent;
use crate::net::ws::frame::{close_code_words, Head, Opcode};
use crate::net::{ConnId, Payload};

use super::{Kind, Narration};

/// The words for one WebSocket event of connection `conn`.
pub fn narrate(conn: ConnId, event: &WsEvent) -> Narration {
    match event {
        WsEvent::Upgraded { path, protocol } => Narration::new(
            Kind::Good,
            format!(
                "{conn} upgraded to WebSocket: 101 Switching Protocols for GET {}{}",
                crate::text::sanitize_str(path),
                protocol
                    .as_deref()
                    .map(|p| format!(", subprotocol {}", crate::text::sanitize_str(p)))
                    .unwrap_or_default()
            ),
        ),
        WsEvent::Refused { reason } => Narration::new(
            Kind::Error,
            format!("{conn} WebSocket upgrade refused: {reason}"),
        ),
        WsEvent::Frame { out, head, preview } => {
            let kind = if *out { Kind::Out } else { Kind::In };
            frame_line(&conn.to_string(), kind, head, preview)
        }
        WsEvent::Message { text, frames, data } => Narration {
            kind: Kind::In,
            text: format!(
                "{conn} {} message of {} B, reassembled from {frames} frames: ",
                if *text { "text" } else { "binary" },
                data.len
            ),
            data: Some(data.clone()),
        },
        WsEvent::Violation {
            reason,
            code,
            fatal,
        } => Narration::new(
            Kind::Error,
            if *fatal {
                format!(
                    "{conn} protocol error: {reason} → closing with {code} ({})",
                    close_code_words(*code)
                )
            } else {
                format!("{conn} protocol error (lenient: reading on): {reason}")
            },
        ),
    }
}

/// `#2 text frame · FIN · 5 B · mask 1a2b3c4d: hello` (the line's marker
/// says which way; `who` is the connection, with the relay's direction).
pub fn frame_line(who: &str, kind: Kind, head: &Head, preview: &Payload) -> Narration {
    let mut text = format!("{who} {} frame", head.opcode.name());
    if let Opcode::Reserved(bits) = head.opcode {
        text.push_str(&format!(" {bits}"));
    }
    text.push_str(if head.fin { " · FIN" } else { " · not FIN" });
    for (bit, name) in [(0b100, "RSV1"), (0b010, "RSV2"), (0b001, "RSV3")] {
        if head.rsv & bit != 0 {
            text.push_str(" · ");
            text.push_str(name);
        }
    }
    text.push_str(&format!(" · {} B", head.len));
    if let Some(key) = head.mask {
        text.push_str(&format!(
            " · mask {:02x}{:02x}{:02x}{:02x}",
            key[0], key[1], key[2], key[3]
        ));
    }
    let mut data = preview.clone();
    if head.opcode == Opcode::Close && preview.preview.len() >= 2 {
        let code = u16::from_be_bytes([preview.preview[0], preview.preview[1]]);
        text.push_str(&format!(" · {code} ({})", close_code_words(code)));
        data = Payload::of(&preview.preview[2..]);
    }
    text.push_str(": ");
    if head.opcode == Opcode::Binary {
        // Bytes are shown as bytes: hex, as the frame view's binary column.
        text.push_str(&hex_preview(&data));
        return Narration {
            kind,
            text,
            data: None,
        };
    }
    Narration {
        kind,
        text,
        data: Some(data),
    }
}

/// At most 32 bytes in hex (`00 ff 1a …`), `…` when there were more.
fn hex_preview(payload: &Payload) -> String {
    const SHOWN: usize = 32;
    let bytes = &payload.preview[..payload.preview.len().min(SHOWN)];
    let mut hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    if payload.len > bytes.len() {
        hex.push("…".to_string());
    }
    hex.join(" ")
}
