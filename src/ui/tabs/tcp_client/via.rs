//! The TCP Client tab's side of `via` (see `ui::via`): a UNIX socket's
//! connection, and who the status names through a proxy.

pub(super) use crate::ui::via::{split, target_of, without_password, Secret};

impl super::ClientTab {
    /// Connected over a UNIX socket (`unix:/path` as the Target): no
    /// 4-tuple to show, the peer's credentials instead.
    pub(super) fn connected_unix(&mut self, path: &str, peer: &str, stats: &crate::net::ConnStats) {
        self.timeline
            .mark_at(stats.opened, "connected (UNIX socket)");
        if let Some((backoff, _)) = &mut self.reconnect {
            backoff.connected();
        }
        self.phase = super::Phase::Connected;
        let text = format!("Connected to unix:{path} ({peer})");
        self.console.say(crate::narrate::Kind::Good, text.clone());
        self.console.log.push(crate::narrate::Kind::Good, text);
        self.focus = super::Focus::Message;
    }
}

/// Who a connection to `remote` talks to, for the status and the message
/// title: the address itself, or — through a proxy, where `remote` is the
/// proxy — the target typed, sanitized, and the proxy.
pub(super) fn peer_label(typed: &str, remote: std::net::SocketAddr) -> String {
    match typed.split_once(" via ") {
        Some((target, _)) => format!(
            "{} (through the proxy at {remote})",
            crate::text::sanitize_str(target.trim())
        ),
        None => remote.to_string(),
    }
}
