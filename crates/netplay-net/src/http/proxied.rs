//! A request through a proxy: a tunnel (SOCKS, or `CONNECT` for TLS), or
//! — plain HTTP to an HTTP proxy — the request itself sent to the proxy,
//! its target in absolute form (`GET http://host/path HTTP/1.1`), as curl
//! does.

use std::borrow::Cow;

use tokio::net::TcpStream;

use super::fetch::FetchRequest;
use crate::names::Route;
use crate::proxy::Proxy;

/// Opens the way to the target over `stream` (connected to the proxy):
/// the bytes to send as the request, and the lines to show.
pub(crate) async fn through<'a>(
    proxy: &Proxy,
    stream: &mut TcpStream,
    request: &'a FetchRequest,
    route: &Route,
    tls: bool,
) -> Result<(Cow<'a, [u8]>, Vec<String>), String> {
    if !tls && proxy.forwards_plain_http() {
        let wire = absolute_form(&request.wire, &request.url, proxy.authorization());
        let said = vec![format!(
            "proxy    {} (plain HTTP: the request goes to it whole, its target in absolute form)",
            proxy.shown()
        )];
        return Ok((Cow::Owned(wire), said));
    }
    // A proxy that resolves names gets the name (as curl); one that takes
    // addresses gets --resolve's, when given.
    let host = match route.pinned.as_ref().and_then(|addrs| addrs.first()) {
        Some(addr) if !proxy.resolves_names() => addr.ip().to_string(),
        _ => route.host.clone(),
    };
    let said = proxy
        .open(stream, (&host, route.port), request.timeout)
        .await?;
    Ok((Cow::Borrowed(&request.wire[..]), said))
}

/// `wire` as shown: a `Proxy-Authorization` value replaced by `***`
/// (the bytes sent keep it).
pub(crate) fn shown(wire: &[u8]) -> Cow<'_, [u8]> {
    const NAME: &[u8] = b"proxy-authorization:";
    let head_end = wire
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(wire.len());
    let Some(start) = wire[..head_end]
        .windows(NAME.len() + 2)
        .position(|w| w[0] == b'\n' && w[1..=NAME.len()].eq_ignore_ascii_case(NAME))
    else {
        return Cow::Borrowed(wire);
    };
    let value = start + 1 + NAME.len();
    let end = wire[value..]
        .iter()
        .position(|b| *b == b'\r' || *b == b'\n')
        .map_or(wire.len(), |at| value + at);
    let mut out = wire[..value].to_vec();
    out.extend_from_slice(b" Basic ***");
    out.extend_from_slice(&wire[end..]);
    Cow::Owned(out)
}

/// `wire` with its request target in absolute form (an origin-form target
/// `/path` becomes `http://host:port/path`) and, when credentials were
/// given, a `Proxy-Authorization` header after the request line.
fn absolute_form(wire: &[u8], url: &url::Url, authorization: Option<String>) -> Vec<u8> {
    let line_end = wire.iter().position(|b| *b == b'\n').unwrap_or(wire.len());
    let (line, rest) = wire.split_at(line_end);
    let mut parts = line.splitn(3, |b| *b == b' ');
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return wire.to_vec();
    };
    let mut out = Vec::with_capacity(wire.len() + 64);
    out.extend_from_slice(method);
    out.push(b' ');
    if target.starts_with(b"/") {
        let origin = url.origin().ascii_serialization();
        out.extend_from_slice(origin.as_bytes());
    }
    out.extend_from_slice(target);
    out.push(b' ');
    out.extend_from_slice(version);
    if let Some(value) = authorization {
        let ending: &[u8] = if version.ends_with(b"\r") {
            b"\n"
        } else {
            b"\r\n"
        };
        out.extend_from_slice(ending);
        out.extend_from_slice(format!("Proxy-Authorization: {value}").as_bytes());
        if version.ends_with(b"\r") {
            out.push(b'\r');
        }
    }
    out.extend_from_slice(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_form_becomes_absolute_with_the_credentials_after_it() {
        let url = url::Url::parse("http://web.test:8080/a?b").unwrap();
        let wire = b"GET /a?b HTTP/1.1\r\nHost: web.test:8080\r\n\r\n";
        assert_eq!(
            absolute_form(wire, &url, None),
            b"GET http://web.test:8080/a?b HTTP/1.1\r\nHost: web.test:8080\r\n\r\n"
        );
        assert_eq!(
            absolute_form(wire, &url, Some("Basic eDp5".into())),
            b"GET http://web.test:8080/a?b HTTP/1.1\r\nProxy-Authorization: Basic eDp5\r\nHost: web.test:8080\r\n\r\n".to_vec()
        );
        let sent = absolute_form(wire, &url, Some("Basic eDp5".into()));
        assert_eq!(
            shown(&sent).as_ref(),
            b"GET http://web.test:8080/a?b HTTP/1.1\r\nProxy-Authorization: Basic ***\r\nHost: web.test:8080\r\n\r\n"
        );
    }
}
