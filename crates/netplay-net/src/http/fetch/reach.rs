//! The way to the server: a TCP connection (name overrides, a proxy, the
//! capture tap) or a UNIX socket (`--unix-socket`).

use std::borrow::Cow;
use std::path::Path;

use super::{connect_any, Fetch, FetchRequest, Io};
use crate::error::stream_error;
use crate::http::HttpEvent;
use crate::resolve::resolve;

impl Fetch {
    /// Over TCP: the stream (tapped when capturing) and the bytes to send
    /// as the request (absolute form through an HTTP proxy).
    pub(super) async fn reach_tcp<'a>(
        &mut self,
        request: &'a FetchRequest,
        (host, port, authority): (&str, u16, &str),
        tls: bool,
    ) -> Result<(Box<dyn Io>, Cow<'a, [u8]>), String> {
        self.phase = "resolving";
        let route = request.names.route(host, port);
        let proxy = request.proxy.as_deref();
        let addrs = match (proxy, &route.pinned) {
            (Some(proxy), _) => match request.names.route(&proxy.host, proxy.port).pinned {
                Some(addrs) => addrs,
                None => resolve(&proxy.authority(), request.timeout).await?,
            },
            (None, Some(addrs)) => addrs.clone(),
            (None, None) if route.connect_to.is_some() => {
                resolve(&route.authority(), request.timeout).await?
            }
            (None, None) => resolve(authority, request.timeout).await?,
        };
        let literal = match proxy {
            Some(proxy) => proxy.host.parse::<std::net::IpAddr>().is_ok(),
            None => route.pinned.is_some() || route.host.parse::<std::net::IpAddr>().is_ok(),
        };
        if !literal {
            self.timings.dns = Some(self.elapsed());
            self.emit(HttpEvent::Resolved {
                addrs: addrs.clone(),
            })
            .await;
        }
        self.phase = "connecting";
        let mut stream = connect_any(&addrs).await?;
        self.timings.connect = Some(self.elapsed());
        let local = stream.local_addr().map_err(|e| stream_error(&e))?;
        let remote = stream.peer_addr().map_err(|e| stream_error(&e))?;
        let _ = stream.set_nodelay(true);
        self.emit(HttpEvent::Connected { local, remote }).await;
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let sni = (tls && bare.parse::<std::net::IpAddr>().is_err()).then_some(bare);
        let mut lines = crate::names::four_lines(
            (bare, port),
            &route,
            remote,
            crate::http::request::head_field(&request.wire, b"host").as_deref(),
            sni,
        );
        let wire = match proxy {
            Some(proxy) => {
                self.phase = "in the proxy's handshake";
                lines[1] = format!("address  {remote} (the proxy: it reaches the target)");
                let (wire, said) =
                    crate::http::proxied::through(proxy, &mut stream, request, &route, tls).await?;
                self.emit(HttpEvent::Proxy(said)).await;
                wire
            }
            None => std::borrow::Cow::Borrowed(&request.wire[..]),
        };
        self.emit(HttpEvent::Names(Box::new(lines))).await;

        // Tapped under TLS: the capture holds what went over the socket.
        let stream: Box<dyn Io> = match &request.capture {
            Some(capture) => Box::new(crate::pcap::tap::Tapped::client(
                stream,
                std::sync::Arc::clone(capture),
                local,
                remote,
            )),
            None => Box::new(stream),
        };
        Ok((stream, wire))
    }

    /// Over a UNIX socket: the peer's credentials are said, no name is
    /// looked up, no proxy applies.
    pub(super) async fn reach_unix<'a>(
        &mut self,
        request: &'a FetchRequest,
        path: &Path,
        (host, port): (&str, u16),
        tls: bool,
    ) -> Result<(Box<dyn Io>, Cow<'a, [u8]>), String> {
        self.phase = "connecting";
        let shown = crate::text::sanitize_str(&path.display().to_string());
        let stream = crate::unix::connect(path, &shown).await?;
        self.timings.connect = Some(self.elapsed());
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let sni = (tls && bare.parse::<std::net::IpAddr>().is_err()).then_some(bare);
        let lines = [
            format!(
                "name     {} (not looked up: --unix-socket)",
                crate::text::sanitize_str(&format!("{host}:{port}"))
            ),
            format!(
                "address  unix:{shown} ({})",
                crate::unix::peer_words(&stream)
            ),
            match crate::http::request::head_field(&request.wire, b"host") {
                Some(host) => format!("Host     {host}"),
                None => "Host     (none in the request)".to_string(),
            },
            match sni {
                Some(sni) => format!("SNI      {sni}"),
                None => "SNI      (none: plain HTTP, or an IP address)".to_string(),
            },
        ];
        self.emit(HttpEvent::Names(Box::new(lines))).await;
        Ok((Box::new(stream), Cow::Borrowed(&request.wire[..])))
    }
}
