//! `URL via PROXY-URL` in the URL field: this request goes through that
//! proxy (over a pasted curl command's `-x`), as the TCP Client tab's
//! Target takes `host:port via PROXY-URL`. A password in it is used, then
//! hidden from the field; it is kept for the session, never saved.

use std::sync::Arc;

use super::HttpTab;
use crate::net::http::request::parse_url;
use crate::net::proxy::Proxy;

impl HttpTab {
    /// The URL part of the field: what is parsed, checked as it is typed,
    /// and saved with a request.
    pub(super) fn url_part(&self) -> String {
        crate::ui::via::target_of(self.url.text())
    }

    /// The URL to send, and the proxy to send it through: the field's
    /// own (`… via PROXY-URL`), else the last curl command's.
    pub(super) fn url_and_proxy(&mut self) -> Result<(url::Url, Option<Arc<Proxy>>), String> {
        let typed = self.secret.fill(self.url.text().trim());
        let (url, proxy) = crate::ui::via::split(&typed)?;
        let url = parse_url(&url)?;
        let proxy = proxy.or_else(|| self.reach.proxy.clone());
        if let Some(shown) = self.secret.keep(&typed) {
            self.url.set_text(&shown);
        }
        Ok((url, proxy))
    }
}
