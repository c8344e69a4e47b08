//! `URL via PROXY-URL` in the URL field: this request goes through that
//! proxy (over a pasted curl command's `-x`), as the TCP Client tab's
//! Target takes `host:port via PROXY-URL`. A password in it is used, then
//! hidden from the field; it is kept for the session, never saved.

use std::sync::Arc;

use super::HttpTab;
use crate::net::http::request::parse_url;
use crate::net::proxy::Proxy;

/// A request's proxy and UNIX socket (at most one is set).
pub(super) type Reached = (Option<Arc<Proxy>>, Option<std::path::PathBuf>);

impl HttpTab {
    /// The URL part of the field: what is parsed, checked as it is typed,
    /// and saved with a request.
    pub(super) fn url_part(&self) -> String {
        crate::ui::via::target_of(self.url.text())
    }

    /// The URL to send, and how it reaches its server: through the
    /// field's own proxy (`… via PROXY-URL`, which wins over a curl
    /// command's `--unix-socket` and `-x`), else as the last curl command
    /// said (a proxy, or a UNIX socket).
    pub(super) fn url_and_reach(&mut self) -> Result<(url::Url, Reached), String> {
        let typed = self.secret.fill(self.url.text().trim());
        let (url, proxy) = crate::ui::via::split(&typed)?;
        let url = parse_url(&url)?;
        let reached = match proxy {
            Some(proxy) => (Some(proxy), None),
            None => (self.reach.proxy.clone(), self.reach.unix_socket.clone()),
        };
        if let Some(shown) = self.secret.keep(&typed) {
            self.url.set_text(&shown);
        }
        Ok((url, reached))
    }
}
