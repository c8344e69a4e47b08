//! The JSON fields of `tcp serve`'s events (`--json`): one function per
//! kind of event, beside the sentences the narrator gives them.

use super::output::Value;
use crate::net::tcp_server::ServerEvent;
use crate::text::sanitize;

pub(super) fn event_name(event: &ServerEvent) -> &'static str {
    match event {
        ServerEvent::Listening { .. } => "listening",
        ServerEvent::StartFailed { .. } => "start_failed",
        ServerEvent::AcceptFailed { .. } => "accept_failed",
        ServerEvent::Warning { .. } => "warning",
        ServerEvent::Rejected { .. } => "rejected",
        ServerEvent::Accepted { .. } => "accepted",
        ServerEvent::Received { .. } => "received",
        ServerEvent::Echoed { .. } => "echoed",
        ServerEvent::Sent { .. } => "sent",
        ServerEvent::PeerHalfClosed { .. } => "peer_half_closed",
        ServerEvent::Closed { .. } => "closed",
        ServerEvent::Stopped => "stopped",
        ServerEvent::TlsAccepted { .. } => "tls",
        ServerEvent::TlsFailed { .. } => "tls_failed",
        ServerEvent::TcpInfo { .. } => "tcp_info",
        ServerEvent::Options { .. } => "options",
        ServerEvent::RuleMatched { .. } => "rule",
        ServerEvent::WebSocket { event, .. } => match **event {
            crate::net::tcp_server::WsEvent::Upgraded { .. } => "ws_upgraded",
            crate::net::tcp_server::WsEvent::Refused { .. } => "ws_refused",
            crate::net::tcp_server::WsEvent::Frame { .. } => "ws_frame",
            crate::net::tcp_server::WsEvent::Message { .. } => "ws_message",
            crate::net::tcp_server::WsEvent::Violation { .. } => "ws_violation",
        },
    }
}

/// A UNIX peer's credentials as fields of their own (`peer_pid`,
/// `peer_uid`, `peer_gid`), for scripts; none for a TCP peer.
pub(super) fn cred_fields(end: &crate::net::stream::Endpoint) -> Vec<(&'static str, Value)> {
    use crate::net::stream::Endpoint;
    let Some(cred) = (match end {
        Endpoint::Unix(end) => end.cred,
        Endpoint::Ip(_) => None,
    }) else {
        return Vec::new();
    };
    let mut fields = Vec::new();
    if let Some(pid) = cred.pid {
        fields.push(("peer_pid", u64::try_from(pid).unwrap_or(0).into()));
    }
    fields.push(("peer_uid", u64::from(cred.uid).into()));
    fields.push(("peer_gid", u64::from(cred.gid).into()));
    fields
}

pub(super) fn server_fields(event: &ServerEvent) -> Vec<(&'static str, Value)> {
    match event {
        ServerEvent::Listening { local } => vec![("local", local.to_string().into())],
        ServerEvent::Accepted {
            conn, peer, local, ..
        } => {
            let mut fields = vec![
                ("conn", conn.0.into()),
                ("peer", peer.to_string().into()),
                ("local", local.to_string().into()),
            ];
            fields.extend(cred_fields(peer));
            fields
        }
        ServerEvent::Rejected { peer, limit } => vec![
            ("peer", peer.to_string().into()),
            ("limit", (*limit as u64).into()),
        ],
        ServerEvent::Received { conn, data }
        | ServerEvent::Echoed { conn, data }
        | ServerEvent::Sent { conn, data } => data_fields(*conn, data),
        ServerEvent::PeerHalfClosed { conn } => vec![("conn", conn.0.into())],
        ServerEvent::Closed { conn, reason } => vec![
            ("conn", conn.0.into()),
            ("reason", reason.to_string().into()),
        ],
        ServerEvent::StartFailed { reason }
        | ServerEvent::AcceptFailed { reason }
        | ServerEvent::Warning { reason } => {
            vec![("reason", reason.clone().into())]
        }
        ServerEvent::Stopped => Vec::new(),
        ServerEvent::Options { conn, .. } => vec![("conn", conn.0.into())],
        ServerEvent::RuleMatched { conn, rule } => {
            vec![("conn", conn.0.into()), ("rule", (*rule as u64).into())]
        }
        ServerEvent::TlsAccepted {
            conn,
            version,
            cipher,
            sni,
            alpn,
        } => vec![
            ("conn", conn.0.into()),
            ("version", version.clone().into()),
            ("cipher", cipher.clone().into()),
            ("sni", sni.clone().unwrap_or_default().into()),
            ("alpn", alpn.clone().unwrap_or_default().into()),
        ],
        ServerEvent::TlsFailed { conn, reason } => {
            vec![("conn", conn.0.into()), ("reason", reason.clone().into())]
        }
        ServerEvent::WebSocket { conn, event } => ws_fields(*conn, event),
        ServerEvent::TcpInfo { conn, info, .. } => {
            let mut fields = vec![("conn", conn.0.into())];
            fields.extend(super::tcp::tcp_info_fields(info));
            fields
        }
    }
}

fn ws_fields(
    conn: crate::net::ConnId,
    event: &crate::net::tcp_server::WsEvent,
) -> Vec<(&'static str, Value)> {
    use crate::net::tcp_server::WsEvent;
    let mut fields = vec![("conn", conn.0.into())];
    match event {
        WsEvent::Upgraded { path, protocol } => {
            fields.push(("path", sanitize(path.as_bytes()).into()));
            fields.push((
                "protocol",
                sanitize(protocol.as_deref().unwrap_or("").as_bytes()).into(),
            ));
        }
        WsEvent::Refused { reason } => fields.push(("reason", reason.clone().into())),
        WsEvent::Frame { out, head, .. } => {
            fields.push(("dir", if *out { "out" } else { "in" }.into()));
            fields.push(("fin", Value::Bool(head.fin)));
            fields.push(("rsv", u64::from(head.rsv).into()));
            fields.push(("opcode", head.opcode.name().into()));
            fields.push(("opcode_bits", u64::from(head.opcode.bits()).into()));
            let mask = head
                .mask
                .map(|k| format!("{:02x}{:02x}{:02x}{:02x}", k[0], k[1], k[2], k[3]));
            fields.push(("mask", mask.unwrap_or_default().into()));
            fields.push(("len", head.len.into()));
        }
        WsEvent::Message { text, frames, data } => {
            fields.push(("type", if *text { "text" } else { "binary" }.into()));
            fields.push(("frames", (*frames as u64).into()));
            fields.push(("len", (data.len as u64).into()));
        }
        WsEvent::Violation {
            reason,
            code,
            fatal,
        } => {
            fields.push(("reason", reason.clone().into()));
            fields.push(("code", u64::from(*code).into()));
            fields.push(("fatal", Value::Bool(*fatal)));
        }
    }
    fields
}

pub(super) fn data_fields(
    conn: crate::net::ConnId,
    data: &crate::net::Payload,
) -> Vec<(&'static str, Value)> {
    vec![("conn", conn.0.into()), ("len", (data.len as u64).into())]
}
