//! How a client command reaches its target, as curl defines it, on
//! `fetch`, `tcp connect` and `ws`: `--resolve` and `--connect-to` (where
//! the connection goes, while the Host header and the TLS server name stay
//! the URL's: `crate::net::names`), and `-x/--proxy` with `--noproxy` and
//! curl's environment variables (`crate::net::proxy`).

use std::sync::Arc;

use clap::Args;

use crate::net::names::Overrides;
use crate::net::proxy::Proxy;

/// The name overrides and the proxy a connection goes by.
pub type Reach = (Arc<Overrides>, Option<Arc<Proxy>>);

/// The name-override flags a client command takes.
#[derive(Args, Debug, Clone, Default)]
pub struct NameArgs {
    /// Use ADDR for HOST:PORT instead of asking DNS (as curl's --resolve;
    /// HOST may be *, several addresses are tried in order; repeatable).
    #[arg(long = "resolve", value_name = "HOST:PORT:ADDR[,ADDR]")]
    pub resolve: Vec<String>,
    /// Connect to HOST2:PORT2 when the target is HOST1:PORT1 (as curl's
    /// --connect-to; empty parts: any / the same; repeatable). The Host
    /// header and the TLS server name stay the target's.
    #[arg(long = "connect-to", value_name = "HOST1:PORT1:HOST2:PORT2")]
    pub connect_to: Vec<String>,
    /// Go through this proxy: socks5://, socks5h:// (the proxy resolves
    /// the name), socks4://, socks4a:// or http:// (CONNECT), with an
    /// optional user:password@; "" for none. Without it, curl's variables
    /// apply: http_proxy, HTTPS_PROXY, ALL_PROXY.
    #[arg(short = 'x', long, value_name = "URL")]
    pub proxy: Option<String>,
    /// Hosts reached without the proxy (NO_PROXY's form: names, .domains,
    /// addresses, CIDR ranges, comma-separated; * for all).
    #[arg(long, value_name = "LIST")]
    pub noproxy: Option<String>,
}

impl NameArgs {
    /// The overrides given, or the first malformed one's reason.
    pub fn overrides(&self) -> Result<Arc<Overrides>, String> {
        let mut names = Overrides::default();
        for text in &self.resolve {
            names
                .add_resolve(text)
                .map_err(|reason| format!("--resolve {reason}"))?;
        }
        for text in &self.connect_to {
            names
                .add_connect_to(text)
                .map_err(|reason| format!("--connect-to {reason}"))?;
        }
        Ok(Arc::new(names))
    }

    /// How `addr` (`host:port`) is reached for `scheme`: the name
    /// overrides and the proxy, or the first reason one is not valid.
    pub fn reach(&self, scheme: &str, addr: &str) -> Result<Reach, String> {
        let host = crate::net::resolve::split_host_port(addr).map(|typed| typed.host);
        let overrides = self.overrides()?;
        let proxy = self.proxy(scheme, host.as_deref().unwrap_or_default())?;
        Ok((overrides, proxy))
    }

    /// The proxy for a `scheme` (`http`, `https`, `ws`, `wss`, `tcp`) and
    /// `host`: `--proxy`, else the environment's, unless `--noproxy` or
    /// `NO_PROXY` exempts the host.
    pub fn proxy(&self, scheme: &str, host: &str) -> Result<Option<Arc<Proxy>>, String> {
        let (url, from) = match &self.proxy {
            Some(url) if url.is_empty() => return Ok(None),
            Some(url) => (url.clone(), "--proxy"),
            None => match crate::net::proxy::from_env(scheme, host, self.noproxy.as_deref()) {
                Some(url) => (url, "the environment's proxy"),
                None => return Ok(None),
            },
        };
        // NO_PROXY (or --noproxy) exempts a host from -x too, as in curl.
        if crate::net::proxy::exempt(host, self.noproxy.as_deref()) {
            return Ok(None);
        }
        Proxy::parse(&url)
            .map(|proxy| Some(Arc::new(proxy)))
            .map_err(|reason| format!("{from}: {reason}"))
    }
}
