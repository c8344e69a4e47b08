//! Reaching the target: the name overrides (`--resolve`, `--connect-to`),
//! the lookup, and each address tried in turn.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;

use super::{Client, ClientEvent};
use crate::error::{connect_error, connect_timeout};
use crate::names::Overrides;
use crate::proxy::Proxy;
use crate::resolve::{resolve, split_host_port};

impl Client {
    /// Connects to `target` (`host:port`) — through `proxy` when given —
    /// or says why not.
    pub(super) async fn establish(
        &self,
        target: &str,
        timeout: Duration,
        (names, proxy): (&Overrides, Option<&Proxy>),
    ) -> Result<TcpStream, String> {
        if let Some(proxy) = proxy {
            return self.through(proxy, target, timeout, names).await;
        }
        let route = split_host_port(target)
            .ok()
            .filter(|_| !names.is_empty())
            .map(|typed| names.route(&typed.host, typed.port));
        let (addrs, via) = match &route {
            Some(route) => {
                let mut via = Vec::new();
                if let Some(connect_to) = &route.connect_to {
                    via.push(format!("--connect-to {connect_to}"));
                }
                let addrs = match &route.pinned {
                    Some(addrs) => {
                        via.push("from --resolve: no DNS".to_string());
                        addrs.clone()
                    }
                    None => resolve(&route.authority(), timeout).await?,
                };
                (addrs, (!via.is_empty()).then(|| via.join(", ")))
            }
            None => (resolve(target, timeout).await?, None),
        };
        self.emit(ClientEvent::Resolved {
            addrs: addrs.clone(),
            via,
        })
        .await;
        self.connect_first(&addrs, timeout).await
    }

    /// The first of `addrs` that takes the connection.
    async fn connect_first(
        &self,
        addrs: &[std::net::SocketAddr],
        timeout: Duration,
    ) -> Result<TcpStream, String> {
        let mut reasons = Vec::new();
        for remote in addrs {
            self.emit(ClientEvent::Connecting { remote: *remote }).await;
            match tokio::time::timeout(timeout, TcpStream::connect(remote)).await {
                Ok(Ok(stream)) => return Ok(stream),
                Ok(Err(err)) => reasons.push(connect_error(&err, *remote)),
                Err(_) => reasons.push(connect_timeout(*remote, timeout)),
            }
        }
        let mut reason = reasons.pop().unwrap_or_else(|| "no address to try".into());
        if !reasons.is_empty() {
            reason.push_str(&format!(
                " (and {} other address(es) failed)",
                reasons.len()
            ));
        }
        Err(reason)
    }
}

impl Client {
    /// Connects to the proxy and asks it for `target`; its handshake is
    /// told as [`ClientEvent::Proxy`].
    async fn through(
        &self,
        proxy: &Proxy,
        target: &str,
        timeout: Duration,
        names: &Overrides,
    ) -> Result<TcpStream, String> {
        let typed = split_host_port(target)?;
        let route = names.route(&typed.host, typed.port);
        let host = match route.pinned.as_ref().and_then(|addrs| addrs.first()) {
            Some(addr) if !proxy.resolves_names() => addr.ip().to_string(),
            _ => route.host.clone(),
        };
        // --resolve applies to the proxy's own name too.
        let addrs = match names.route(&proxy.host, proxy.port).pinned {
            Some(addrs) => addrs,
            None => resolve(&proxy.authority(), timeout).await?,
        };
        self.emit(ClientEvent::Resolved {
            addrs: addrs.clone(),
            via: Some(format!("the proxy {}", proxy.shown())),
        })
        .await;
        let mut stream = self.connect_first(&addrs, timeout).await?;
        let lines = proxy.open(&mut stream, (&host, route.port), timeout).await;
        match lines {
            Ok(lines) => {
                self.emit(ClientEvent::Proxy { lines }).await;
                Ok(stream)
            }
            Err(reason) => Err(reason),
        }
    }
}

impl Client {
    /// The TLS handshake over `stream` (TCP, tapped or not, or a UNIX
    /// socket), within `timeout` and cancelled by a stop; told as
    /// [`ClientEvent::TlsEstablished`] (`connect`: how long the connect
    /// before it took).
    pub(super) async fn tls_handshake<S>(
        &self,
        (client, config, name): (
            &crate::tls::TlsClient,
            Arc<rustls::ClientConfig>,
            rustls::pki_types::ServerName<'static>,
        ),
        stream: S,
        (stats, connect): (&crate::ConnStats, std::time::Duration),
        (timeout, peer): (std::time::Duration, &str),
    ) -> Result<tokio_rustls::client::TlsStream<S>, String>
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        let connector = tokio_rustls::TlsConnector::from(config);
        let mut stop = self.stop.clone();
        let stream = tokio::select! {
            biased;
            () = stop.stopped() => return Err("cancelled during the TLS handshake".into()),
            result = tokio::time::timeout(timeout, connector.connect(name.clone(), stream)) => match result {
                Ok(Ok(stream)) => stream,
                Ok(Err(err)) => return Err(client.describe(&err)),
                Err(_) => return Err(format!(
                    "the TLS handshake with {peer} did not finish within {}",
                    crate::error::human_duration(timeout)
                )),
            },
        };
        let info = Box::new(client.info(stream.get_ref().1, &name));
        let done = std::time::Instant::now();
        self.emit(ClientEvent::TlsEstablished {
            info,
            connect,
            handshake: done.saturating_duration_since(stats.opened),
            done,
        })
        .await;
        Ok(stream)
    }
}
