//! `relay LISTEN --socks5` / `--http-proxy`: the relay as a proxy, where
//! each client names its own target (`crate::net::relay::proxy_serve`).

use clap::Args;

use crate::net::relay::proxy_serve::{ProxyKind, ProxyServe, Upstream};

/// The flags that make the relay a proxy.
#[derive(Args, Debug, Clone, Default)]
pub struct RelayProxyArgs {
    /// Be a SOCKS5 proxy: each client names its target (curl -x
    /// socks5h://LISTEN, a browser's SOCKS setting); no TARGET then.
    #[arg(long, conflicts_with = "http_proxy")]
    pub socks5: bool,
    /// Be an HTTP proxy: CONNECT host:port (HTTPS, any TCP) and
    /// absolute-form requests (plain HTTP); no TARGET then.
    #[arg(long)]
    pub http_proxy: bool,
    /// As a proxy, accept only this user and password (USER:PASSWORD).
    #[arg(long, value_name = "USER:PASSWORD")]
    pub proxy_user: Option<String>,
    /// As a proxy, reach only targets that match (names, *.domains,
    /// addresses, CIDR ranges, each with an optional :PORT; repeatable).
    #[arg(long, value_name = "TARGET")]
    pub allow: Vec<String>,
}

impl RelayProxyArgs {
    /// Where the pairs go: `target`, or each client's own as a proxy.
    pub fn upstream(&self, target: Option<&str>) -> Result<Upstream, String> {
        let kind = match (self.socks5, self.http_proxy) {
            (true, _) => Some(ProxyKind::Socks5),
            (_, true) => Some(ProxyKind::Http),
            _ => None,
        };
        let Some(kind) = kind else {
            if self.proxy_user.is_some() || !self.allow.is_empty() {
                return Err("--proxy-user and --allow go with --socks5 or --http-proxy".into());
            }
            return match target {
                Some(target) => Ok(Upstream::Fixed(target.to_string())),
                None => Err("no TARGET: give host:port, or --socks5 / --http-proxy".into()),
            };
        };
        if target.is_some() {
            return Err("a proxy's clients name their targets: give no TARGET with --socks5 or --http-proxy".into());
        }
        for entry in &self.allow {
            crate::net::relay::proxy_serve::check_allow(entry)?;
        }
        let auth = match &self.proxy_user {
            Some(text) => match text.split_once(':') {
                Some((user, password)) if !user.is_empty() => {
                    Some((user.to_string(), password.to_string()))
                }
                _ => return Err("--proxy-user takes USER:PASSWORD".into()),
            },
            None => None,
        };
        Ok(Upstream::Proxy(ProxyServe {
            kind,
            auth,
            allow: self.allow.clone(),
        }))
    }
}
