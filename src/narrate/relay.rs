//! A relay's sentences (the Relay tab's transcript and `netplay relay`). One
//! line per read, like `socat -v`, with the pair and the direction.

use super::{Kind, Narration};
use crate::net::relay::{Dir, RelayEvent};
use crate::text::sanitize;

/// The pair an event concerns, if any.
pub fn pair_of(event: &RelayEvent) -> Option<crate::net::ConnId> {
    match event {
        RelayEvent::Accepted { pair, .. }
        | RelayEvent::ProxyAsked { pair, .. }
        | RelayEvent::UpstreamOpen { pair, .. }
        | RelayEvent::UpstreamFailed { pair, .. }
        | RelayEvent::Relayed { pair, .. }
        | RelayEvent::WsUpgraded { pair }
        | RelayEvent::WsFrame { pair, .. }
        | RelayEvent::Held { pair, .. }
        | RelayEvent::Edited { pair, .. }
        | RelayEvent::Unheld { pair, .. }
        | RelayEvent::Injected { pair, .. }
        | RelayEvent::FinReceived { pair, .. }
        | RelayEvent::FinSent { pair, .. }
        | RelayEvent::Fault { pair, .. }
        | RelayEvent::TcpInfo { pair, .. }
        | RelayEvent::Options { pair, .. }
        | RelayEvent::Closed { pair, .. } => Some(*pair),
        RelayEvent::Listening { .. }
        | RelayEvent::StartFailed { .. }
        | RelayEvent::Stopped
        | RelayEvent::AcceptFailed { .. }
        | RelayEvent::Warning { .. } => None,
    }
}

/// A stable name for `--json`'s `event` field.
pub fn event_name(event: &RelayEvent) -> &'static str {
    match event {
        RelayEvent::Listening { .. } => "listening",
        RelayEvent::StartFailed { .. } => "start_failed",
        RelayEvent::Stopped => "stopped",
        RelayEvent::AcceptFailed { .. } => "accept_failed",
        RelayEvent::Warning { .. } => "warning",
        RelayEvent::Accepted { .. } => "accepted",
        RelayEvent::ProxyAsked { .. } => "proxy_request",
        RelayEvent::UpstreamOpen { .. } => "upstream_open",
        RelayEvent::UpstreamFailed { .. } => "upstream_failed",
        RelayEvent::Relayed { .. } => "relayed",
        RelayEvent::WsUpgraded { .. } => "ws_upgraded",
        RelayEvent::WsFrame { .. } => "ws_frame",
        RelayEvent::Held { .. } => "held",
        RelayEvent::Edited { .. } => "edited",
        RelayEvent::Unheld { .. } => "unheld",
        RelayEvent::Injected { .. } => "injected",
        RelayEvent::FinReceived { .. } => "fin_received",
        RelayEvent::FinSent { .. } => "fin_sent",
        RelayEvent::Fault { .. } => "fault",
        RelayEvent::TcpInfo { .. } => "tcp_info",
        RelayEvent::Options { .. } => "options",
        RelayEvent::Closed { .. } => "closed",
    }
}

/// A relayed read's kind: toward the server is out, toward the client in.
pub fn kind_of(dir: Dir) -> Kind {
    match dir {
        Dir::Up => Kind::Out,
        Dir::Down => Kind::In,
    }
}

/// The words for `event`; bytes go in `data`, still untrusted.
pub fn narrate(event: &RelayEvent, target: &str) -> Narration {
    let line = |kind, text: String| Narration {
        kind,
        text,
        data: None,
    };
    match event {
        RelayEvent::Listening { local } => line(
            Kind::Good,
            format!("Relaying {local} → {}", sanitize(target.as_bytes())),
        ),
        RelayEvent::StartFailed { reason } => line(Kind::Error, format!("Cannot listen: {reason}")),
        RelayEvent::Stopped => line(Kind::Info, "Relay stopped".into()),
        RelayEvent::AcceptFailed { reason } | RelayEvent::Warning { reason } => {
            line(Kind::Error, reason.clone())
        }
        RelayEvent::Accepted {
            pair,
            client,
            local,
            ..
        } => line(
            Kind::Info,
            format!(
                "{pair} client {client} → {local} accepted; connecting upstream {}…",
                sanitize(target.as_bytes())
            ),
        ),
        RelayEvent::UpstreamOpen {
            pair,
            local,
            remote,
            ..
        } => line(
            Kind::Good,
            format!("{pair} upstream open: {local} → {remote}"),
        ),
        RelayEvent::UpstreamFailed { pair: _, reason } => line(Kind::Error, reason.clone()),
        RelayEvent::ProxyAsked { pair, words } => line(Kind::Info, format!("{pair} asks: {words}")),
        RelayEvent::WsUpgraded { pair } => line(
            Kind::Good,
            format!("{pair} upgraded to WebSocket (101): frames follow, told one by one"),
        ),
        RelayEvent::WsFrame { pair, dir, frame } => {
            let (head, preview) = &**frame;
            super::websocket::frame_line(
                &format!("{pair} {}", dir.arrow()),
                kind_of(*dir),
                head,
                preview,
            )
        }
        RelayEvent::Relayed { pair, dir, data } => Narration {
            kind: kind_of(*dir),
            text: format!("{pair} {} {} B: ", dir.arrow(), data.len),
            data: Some(data.clone()),
        },
        RelayEvent::Held { pair, dir, chunk } => {
            let (name, shown) = held_view(chunk);
            Narration {
                kind: Kind::Info,
                text: format!("{pair} {} held {name} ({} B): ", dir.arrow(), shown.len()),
                data: Some(crate::net::Payload::of(shown)),
            }
        }
        RelayEvent::Edited { pair, dir, chunk } => {
            let (name, shown) = held_view(chunk);
            Narration {
                kind: Kind::Info,
                text: format!("{pair} {} {name} edited ({} B): ", dir.arrow(), shown.len()),
                data: Some(crate::net::Payload::of(shown)),
            }
        }
        RelayEvent::Unheld {
            pair,
            dir,
            seq,
            dropped,
        } => line(
            Kind::Info,
            format!(
                "{pair} {} chunk {seq} {}",
                dir.arrow(),
                if *dropped { "dropped" } else { "released" }
            ),
        ),
        RelayEvent::Injected { pair, dir, data } => Narration {
            kind: kind_of(*dir),
            text: format!("{pair} {} injected {} B: ", dir.arrow(), data.len),
            data: Some(data.clone()),
        },
        RelayEvent::FinReceived { pair, side } => line(
            Kind::Info,
            format!("{pair} {} sent FIN (shut down its write side)", side.name()),
        ),
        RelayEvent::FinSent { pair, side } => line(
            Kind::Info,
            format!("{pair} FIN forwarded to the {}", side.name()),
        ),
        RelayEvent::Fault { pair, what } => line(Kind::Error, format!("{pair} {what}")),
        RelayEvent::TcpInfo { pair, side, info } => line(
            Kind::Info,
            format!("{pair} {} side {}", side.name(), info.line()),
        ),
        RelayEvent::Options {
            pair,
            side,
            options,
        } => match options {
            Ok(options) => line(
                Kind::Info,
                format!("{pair} {} side {}", side.name(), options.line()),
            ),
            Err(reason) => line(Kind::Error, format!("{pair} {} side {reason}", side.name())),
        },
        RelayEvent::Closed {
            pair,
            reason,
            error,
        } => line(
            if *error { Kind::Error } else { Kind::Info },
            format!("{pair} closed: {reason}"),
        ),
    }
}

/// How a held chunk is named, and the bytes shown (and edited) for it:
/// after a WebSocket upgrade, the message and its payload (unmasked);
/// before, the chunk and its bytes.
pub fn held_view(chunk: &crate::net::relay::HeldChunk) -> (String, &[u8]) {
    match &chunk.message {
        Some(message) => {
            let frames = match message.frames {
                1 => String::new(),
                n => format!(" in {n} frames"),
            };
            let name = format!("{} message {}{frames}", message.opcode.name(), chunk.seq);
            (name, &message.payload)
        }
        None => (format!("chunk {}", chunk.seq), &chunk.bytes),
    }
}
