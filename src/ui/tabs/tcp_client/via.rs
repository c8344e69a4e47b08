//! The TCP Client tab's side of `via` (see `ui::via`): a UNIX socket's
//! connection, and who the status names through a proxy.

pub(super) use crate::ui::via::{target_of, without_password, Secret};

use std::sync::Arc;

use crate::net::proxy::Proxy;

/// The Target and its proxy (`crate::ui::via::split`); a UNIX socket is
/// reached directly, so a proxy named for one is refused, not ignored.
pub(super) fn split(typed: &str) -> Result<(String, Option<Arc<Proxy>>), String> {
    let (target, proxy) = crate::ui::via::split(typed)?;
    if target.starts_with("unix:") && proxy.is_some() {
        return Err("A UNIX socket is reached directly: 'via PROXY' does not apply to it".into());
    }
    Ok((target, proxy))
}

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
            shortened(target.trim(), 48)
        ),
        None => remote.to_string(),
    }
}

/// Typed text for a status or a title: escaped as the field shows it (its
/// control characters were escaped when typed), at most `most` characters.
pub(super) fn shortened(typed: &str, most: usize) -> String {
    let text = crate::text::typed(typed);
    match text.chars().count() > most {
        true => format!("{}…", text.chars().take(most).collect::<String>()),
        false => text,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_unix_target_takes_no_proxy_and_labels_stay_short() {
        assert!(
            super::split("unix:/run/x.sock via socks5h://127.0.0.1:1080")
                .unwrap_err()
                .contains("reached directly")
        );
        assert!(super::split("unix:/run/x.sock").unwrap().1.is_none());
        let remote: std::net::SocketAddr = "127.0.0.1:1080".parse().unwrap();
        let long = format!("{}:80 via socks5h://127.0.0.1:1080", "x".repeat(200));
        let label = super::peer_label(&long, remote);
        assert!(label.chars().count() < 100, "{label}");
        assert!(label.ends_with("(through the proxy at 127.0.0.1:1080)"));
        // Already escaped when typed: not escaped a second time.
        let typed = "a\\u{1b}b:80 via socks5h://127.0.0.1:1080";
        assert!(super::peer_label(typed, remote).starts_with("a\\u{1b}b:80 "));
    }
}
