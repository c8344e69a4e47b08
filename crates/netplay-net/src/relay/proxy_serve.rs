//! The relay as a proxy (`relay LISTEN --socks5` / `--http-proxy`): each
//! client names its own target — a SOCKS5 request, an HTTP `CONNECT`, or
//! an absolute-form HTTP request — and the pair is then relayed like any
//! other, with the same hold, edit and faults. Optional credentials and an
//! allow-list of targets.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use crate::stream::Stream;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Which proxy protocol the relay speaks to its clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyKind {
    /// SOCKS5 (RFC 1928; username/password, RFC 1929).
    Socks5,
    /// HTTP: `CONNECT host:port`, and absolute-form requests.
    Http,
}

/// The relay as a proxy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyServe {
    /// Its protocol.
    pub kind: ProxyKind,
    /// The one user and password accepted, when set.
    pub auth: Option<(String, String)>,
    /// Targets allowed (`NO_PROXY`'s forms, each with an optional
    /// `:PORT`); empty: any.
    pub allow: Vec<String>,
}

/// Where the relay's pairs go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upstream {
    /// Every client to this `host:port`.
    Fixed(String),
    /// Each client to the target it names.
    Proxy(ProxyServe),
}

/// How the client is answered once the upstream is (or is not) open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reply {
    Socks5,
    Connect,
    /// An absolute-form request: no answer of the proxy's own.
    Forward,
}

/// What a client asked for.
pub(crate) struct Asked {
    /// `host:port`.
    pub(crate) target: String,
    /// The request in words, for the pair's log.
    pub(crate) words: String,
    /// Bytes for the upstream before anything else (a forwarded head).
    pub(crate) first: Vec<u8>,
    pub(crate) reply: Reply,
    /// An absolute-form request: the body bytes that may follow its head
    /// to the server (`Content-Length`, or 0); `None` when that cannot be
    /// known (a chunked body) or for a tunnel. What the client sends past
    /// it — a pipelined request, with its own `Proxy-Authorization` — is
    /// not relayed: one request per connection.
    pub(crate) allowance: Option<u64>,
}

/// The largest request head read from a proxy client.
const HEAD_LIMIT: usize = 16 * 1024;

impl ProxyServe {
    /// Reads the client's request (bounded by `limit`); a refusal is
    /// answered here, and its reason returned.
    pub(crate) async fn accept(
        &self,
        client: &mut Stream,
        limit: Duration,
    ) -> Result<Asked, String> {
        let asked = match self.kind {
            ProxyKind::Socks5 => tokio::time::timeout(limit, self.socks5(client)).await,
            ProxyKind::Http => tokio::time::timeout(limit, self.http(client)).await,
        };
        let asked = asked.map_err(|_| "the client sent no proxy request in time".to_string())??;
        if let Some(refusal) = self.refused(&asked.target) {
            let _ = self
                .answer(client, asked.reply, Err(Failure::NotAllowed))
                .await;
            return Err(format!("{}: {refusal}", asked.words));
        }
        Ok(asked)
    }

    fn refused(&self, target: &str) -> Option<String> {
        if self.allow.is_empty() {
            return None;
        }
        let (host, port) = target.rsplit_once(':')?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let allowed = self.allow.iter().any(|entry| {
            let (pattern, wanted) = allow_entry(entry);
            let host_ok = pattern == "*"
                || crate::proxy::bypassed(host, pattern.strip_prefix('*').unwrap_or(pattern));
            wanted.is_none_or(|p| p == port) && host_ok
        });
        (!allowed).then(|| "not in --allow: refused".to_string())
    }

    async fn socks5(&self, client: &mut Stream) -> Result<Asked, String> {
        let io = |err: std::io::Error| format!("the SOCKS5 handshake broke off: {err}");
        let mut head = [0u8; 2];
        client.read_exact(&mut head).await.map_err(io)?;
        if head[0] != 5 {
            return Err(format!("not a SOCKS5 client (version {})", head[0]));
        }
        let mut methods = vec![0u8; usize::from(head[1])];
        client.read_exact(&mut methods).await.map_err(io)?;
        let wanted = if self.auth.is_some() { 2 } else { 0 };
        if !methods.contains(&wanted) {
            let _ = client.write_all(&[5, 0xff]).await;
            return Err(if wanted == 2 {
                "SOCKS5 client offered no username/password: refused".into()
            } else {
                "SOCKS5 client wants authentication; none is set up".into()
            });
        }
        client.write_all(&[5, wanted]).await.map_err(io)?;
        if let Some((user, password)) = &self.auth {
            let mut version_len = [0u8; 2];
            client.read_exact(&mut version_len).await.map_err(io)?;
            let mut given_user = vec![0u8; usize::from(version_len[1])];
            client.read_exact(&mut given_user).await.map_err(io)?;
            let mut len = [0u8; 1];
            client.read_exact(&mut len).await.map_err(io)?;
            let mut given_password = vec![0u8; usize::from(len[0])];
            client.read_exact(&mut given_password).await.map_err(io)?;
            let ok = given_user == user.as_bytes() && given_password == password.as_bytes();
            client.write_all(&[1, u8::from(!ok)]).await.map_err(io)?;
            if !ok {
                return Err(format!(
                    "SOCKS5 login as {}: wrong username or password",
                    crate::text::sanitize(&given_user)
                ));
            }
        }
        let mut request = [0u8; 4];
        client.read_exact(&mut request).await.map_err(io)?;
        let host = match request[3] {
            1 => {
                let mut ip = [0u8; 4];
                client.read_exact(&mut ip).await.map_err(io)?;
                Ipv4Addr::from(ip).to_string()
            }
            4 => {
                let mut ip = [0u8; 16];
                client.read_exact(&mut ip).await.map_err(io)?;
                format!("[{}]", Ipv6Addr::from(ip))
            }
            3 => {
                let mut len = [0u8; 1];
                client.read_exact(&mut len).await.map_err(io)?;
                let mut name = vec![0u8; usize::from(len[0])];
                client.read_exact(&mut name).await.map_err(io)?;
                match String::from_utf8(name)
                    .ok()
                    .filter(|name| is_host_name(name))
                {
                    Some(name) => name,
                    None => {
                        let _ = client.write_all(&[5, 1, 0, 1, 0, 0, 0, 0, 0, 0]).await;
                        return Err("SOCKS5 client named a target that is not a host name".into());
                    }
                }
            }
            other => {
                let _ = client.write_all(&[5, 8, 0, 1, 0, 0, 0, 0, 0, 0]).await;
                return Err(format!("SOCKS5 address type {other} is not supported"));
            }
        };
        let mut port = [0u8; 2];
        client.read_exact(&mut port).await.map_err(io)?;
        let target = format!("{host}:{}", u16::from_be_bytes(port));
        if request[1] != 1 {
            let _ = client.write_all(&[5, 7, 0, 1, 0, 0, 0, 0, 0, 0]).await;
            return Err(format!(
                "SOCKS5 command {} to {target}: only CONNECT is supported",
                request[1]
            ));
        }
        let named = if request[3] == 3 {
            " (a name: resolved here)"
        } else {
            ""
        };
        Ok(Asked {
            words: format!("SOCKS5 CONNECT {target}{named}"),
            target,
            first: Vec::new(),
            reply: Reply::Socks5,
            allowance: None,
        })
    }

    async fn http(&self, client: &mut Stream) -> Result<Asked, String> {
        // Byte by byte: what follows the head is the client's, for the
        // target (a request body, or TLS after CONNECT).
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") && !head.ends_with(b"\n\n") && !head.ends_with(b"\n\r\n")
        {
            if head.len() >= HEAD_LIMIT {
                let _ = client
                    .write_all(b"HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .await;
                return Err(format!(
                    "a proxy request head over {} KiB: refused",
                    HEAD_LIMIT / 1024
                ));
            }
            let mut byte = [0u8; 1];
            client
                .read_exact(&mut byte)
                .await
                .map_err(|err| format!("the proxy request broke off: {err}"))?;
            head.push(byte[0]);
        }
        let mut headers = [httparse::EMPTY_HEADER; 128];
        let mut request = httparse::Request::new(&mut headers);
        let parsed = request.parse(&head);
        if !matches!(parsed, Ok(httparse::Status::Complete(_))) {
            let _ = client
                .write_all(
                    b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                )
                .await;
            return Err(match parsed {
                Err(httparse::Error::TooManyHeaders) => {
                    "a proxy request with over 128 header fields".into()
                }
                _ => "not an HTTP proxy request".into(),
            });
        }
        let method = request.method.unwrap_or("").to_string();
        let path = request.path.unwrap_or("").to_string();
        let chunked = request
            .headers
            .iter()
            .any(|h| h.name.eq_ignore_ascii_case("transfer-encoding"));
        let lengths = request
            .headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case("content-length"))
            .map(|h| h.value);
        // A length that frames nothing lets nothing past the head.
        let allowance = match crate::http::content_length::agreed(lengths) {
            _ if chunked => None,
            Ok(length) => Some(length.map_or(0, |(length, _)| length)),
            Err(_) => Some(0),
        };
        if let Some((user, password)) = &self.auth {
            use base64::Engine as _;
            let token =
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            let expected = format!("Basic {token}");
            let given = request
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("proxy-authorization"))
                .map(|h| h.value);
            if given != Some(expected.as_bytes()) {
                let _ = client
                    .write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"netplay\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .await;
                return Err(format!(
                    "{} {}: no or wrong Proxy-Authorization (407)",
                    crate::text::sanitize_str(&method),
                    crate::text::sanitize_str(&without_userinfo(&path))
                ));
            }
        }
        if method == "CONNECT" {
            if !is_authority(&path) {
                let _ = client.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").await;
                // A user:password@ typed into the authority is not shown.
                let shown = match path.rsplit_once('@') {
                    Some((_, host)) => format!("***@{host}"),
                    None => path.clone(),
                };
                return Err(format!(
                    "CONNECT {}: not host:port",
                    crate::text::sanitize_str(&shown)
                ));
            }
            return Ok(Asked {
                words: format!("HTTP CONNECT {}", crate::text::sanitize_str(&path)),
                target: path,
                first: Vec::new(),
                reply: Reply::Connect,
                allowance: None,
            });
        }
        let url = url::Url::parse(&path)
            .ok()
            .filter(|url| url.scheme() == "http");
        let Some(url) = url else {
            let _ = client
                .write_all(
                    b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                )
                .await;
            return Err(format!(
                "{} {}: a proxy request needs an absolute http:// target or CONNECT",
                crate::text::sanitize_str(&method),
                crate::text::sanitize_str(&path)
            ));
        };
        let host_ok = match url.host() {
            Some(url::Host::Domain(name)) => is_host_name(name),
            Some(_) => true,
            None => false,
        };
        if !host_ok {
            let _ = client
                .write_all(
                    b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                )
                .await;
            return Err("a proxy request whose host is not a host name".into());
        }
        let host = url.host_str().unwrap_or_default();
        let port = url.port_or_known_default().unwrap_or(80);
        let authority = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let shown = without_userinfo(&path);
        Ok(Asked {
            words: format!(
                "HTTP {} {} (forwarded in origin form)",
                crate::text::sanitize_str(&method),
                crate::text::sanitize_str(&shown)
            ),
            first: origin_form(
                &head,
                &path,
                url.port().map_or(host.to_string(), |_| authority.clone()),
            ),
            target: authority,
            reply: Reply::Forward,
            allowance,
        })
    }

    /// Tells the client how its request went.
    pub(crate) async fn answer(
        &self,
        client: &mut Stream,
        reply: Reply,
        outcome: Result<SocketAddr, Failure>,
    ) -> std::io::Result<()> {
        match (reply, outcome) {
            (Reply::Socks5, Ok(bound)) => {
                let mut answer = vec![5, 0, 0];
                match bound.ip() {
                    IpAddr::V4(ip) => {
                        answer.push(1);
                        answer.extend_from_slice(&ip.octets());
                    }
                    IpAddr::V6(ip) => {
                        answer.push(4);
                        answer.extend_from_slice(&ip.octets());
                    }
                }
                answer.extend_from_slice(&bound.port().to_be_bytes());
                client.write_all(&answer).await
            }
            (Reply::Socks5, Err(failure)) => {
                let code = match failure {
                    Failure::NotAllowed => 2,
                    Failure::Refused => 5,
                    Failure::Unreachable => 4,
                };
                client.write_all(&[5, code, 0, 1, 0, 0, 0, 0, 0, 0]).await
            }
            (Reply::Connect, Ok(_)) => {
                client
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .await
            }
            (_, Err(failure)) => {
                let status = match failure {
                    Failure::NotAllowed => "403 Forbidden",
                    Failure::Refused | Failure::Unreachable => "502 Bad Gateway",
                };
                client
                    .write_all(
                        format!(
                            "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        )
                        .as_bytes(),
                    )
                    .await
            }
            (Reply::Forward, Ok(_)) => Ok(()),
        }
    }
}

/// Checks an `--allow` entry at start: a mistyped one would refuse every
/// target without a word.
pub fn check_allow(entry: &str) -> Result<(), String> {
    let shown = crate::text::typed(entry);
    let (pattern, port) = allow_entry(entry);
    if let Some(port) = port {
        if !port.bytes().all(|b| b.is_ascii_digit()) || port.parse::<u16>().map_or(true, |p| p == 0)
        {
            return Err(format!("--allow '{shown}': the port must be 1–65535"));
        }
    }
    let ok = match pattern.split_once('/') {
        Some((net, bits)) => match (net.parse::<IpAddr>(), bits.parse::<u8>()) {
            (Ok(IpAddr::V4(_)), Ok(bits)) => bits <= 32,
            (Ok(IpAddr::V6(_)), Ok(bits)) => bits <= 128,
            _ => false,
        },
        None if pattern == "*" => true,
        None => {
            let name = pattern.strip_prefix("*.").unwrap_or(pattern);
            pattern.parse::<IpAddr>().is_ok() || (is_host_name(name) && !name.starts_with('.'))
        }
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "--allow '{shown}': not a target (host, host:port, [v6]:port, *, *.domain, a CIDR range)"
        ))
    }
}

/// An `--allow` entry's pattern and port: `host`, `host:port`,
/// `[v6]:port`, `*`, `*.domain`, a CIDR range.
fn allow_entry(entry: &str) -> (&str, Option<&str>) {
    if let Some((v6, after)) = entry
        .strip_prefix('[')
        .and_then(|rest| rest.split_once(']'))
    {
        return (v6, after.strip_prefix(':'));
    }
    match entry.rsplit_once(':') {
        Some((pattern, port)) if !pattern.contains(':') && port.parse::<u16>().is_ok() => {
            (pattern, Some(port))
        }
        _ => (entry, None),
    }
}

/// A DNS name as a target may be: letters, digits, `-`, `_` and dots, at
/// most 253 bytes (anything else never resolves, and would reach the
/// screen).
fn is_host_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// `host:port` or `[v6]:port`, as CONNECT names its target.
fn is_authority(text: &str) -> bool {
    let Some((host, port)) = text.rsplit_once(':') else {
        return false;
    };
    let host_ok = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) => v6.parse::<std::net::Ipv6Addr>().is_ok(),
        None => is_host_name(host),
    };
    host_ok
        && port.bytes().all(|b| b.is_ascii_digit())
        && port.parse::<u16>().is_ok_and(|port| port > 0)
}

/// Why the upstream could not be had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    NotAllowed,
    Refused,
    Unreachable,
}

/// `head` with its target in origin form (`GET /path HTTP/1.1`), without
/// `Proxy-Authorization` / `Proxy-Connection` (they are for the proxy, not
/// the server), and with `Connection: close`.
fn origin_form(head: &[u8], target: &str, host: String) -> Vec<u8> {
    let mut out = Vec::with_capacity(head.len());
    for (n, line) in head.split_inclusive(|b| *b == b'\n').enumerate() {
        if n == 0 {
            let mut parts = line.splitn(3, |b| *b == b' ');
            let (method, _, version) = (parts.next(), parts.next(), parts.next());
            out.extend_from_slice(method.unwrap_or_default());
            out.push(b' ');
            // The path as the client wrote it, byte for byte (a debugging
            // tool does not normalise `/a/../b`).
            out.extend_from_slice(origin_target(target).as_bytes());
            out.push(b' ');
            out.extend_from_slice(version.unwrap_or(b"HTTP/1.1\r\n"));
            // Host is the URL's (RFC 9112 3.2.2), whatever the client sent.
            out.extend_from_slice(format!("Host: {host}\r\n").as_bytes());
            continue;
        }
        let lower = line.to_ascii_lowercase();
        let hop = [
            &b"proxy-authorization:"[..],
            b"proxy-connection:",
            b"connection:",
            b"keep-alive:",
            b"host:",
        ];
        if hop.iter().any(|name| lower.starts_with(name)) {
            continue;
        }
        if line == b"\r\n" || line == b"\n" {
            // One request per connection: the server closes after it, so
            // the client's next request comes on a new connection, where
            // it is read (and its proxy headers removed) again.
            out.extend_from_slice(b"Connection: close\r\n");
        }
        out.extend_from_slice(line);
    }
    out
}

/// The origin-form target of an absolute `http://authority/path?query`:
/// everything from the path on, as written (`/` when there is none).
fn origin_target(absolute: &str) -> String {
    let rest = absolute.get(7..).unwrap_or_default(); // after "http://"
    match rest.find(['/', '?']) {
        Some(at) if rest[at..].starts_with('/') => rest[at..].to_string(),
        Some(at) => format!("/{}", &rest[at..]),
        None => "/".to_string(),
    }
}

/// An absolute URL as shown: without `user:password@`.
fn without_userinfo(target: &str) -> String {
    let Some(scheme_end) = target.find("://").map(|at| at + 3) else {
        return target.to_string();
    };
    let rest = &target[scheme_end..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{}{}", &target[..scheme_end], &rest[at + 1..]),
        None => target.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forwarded_head_loses_the_proxys_headers() {
        let head = b"GET http://web.test:8080/a/b?c=1 HTTP/1.1\r\nHost: evil.test\r\nProxy-Authorization: Basic x\r\nProxy-Connection: keep-alive\r\n\r\n";
        assert_eq!(
            origin_form(head, "http://web.test:8080/a/b?c=1", "web.test:8080".into()),
            b"GET /a/b?c=1 HTTP/1.1\r\nHost: web.test:8080\r\nConnection: close\r\n\r\n".to_vec()
        );
    }

    #[test]
    fn the_path_goes_as_written_and_userinfo_is_not_shown() {
        assert_eq!(
            origin_target("http://h:1/a/%2e%2e/../s?x=%zz"),
            "/a/%2e%2e/../s?x=%zz"
        );
        assert_eq!(origin_target("http://h?q"), "/?q");
        assert_eq!(origin_target("http://h"), "/");
        assert_eq!(without_userinfo("http://u:pw@h:1/x"), "http://h:1/x");
        assert_eq!(without_userinfo("http://h/x@y"), "http://h/x@y");
    }

    #[test]
    fn targets_must_be_names_or_addresses() {
        assert!(is_host_name("web.test") && is_host_name("a_b-c.example"));
        assert!(!is_host_name("\u{1b}]0;pwn\u{7}evil.invalid"));
        assert!(!is_host_name("evil\u{202e}.test"));
        assert!(is_authority("localhost:443") && is_authority("[::1]:8080"));
        assert!(!is_authority("localhost") && !is_authority("a b:80") && !is_authority("x:0"));
        assert!(!is_authority("x:+80"));
    }

    #[test]
    fn the_allow_list_takes_names_domains_ranges_and_ports() {
        let serve = ProxyServe {
            kind: ProxyKind::Socks5,
            auth: None,
            allow: vec![
                "localhost:8080".into(),
                "*.internal.test".into(),
                "127.0.0.0/8".into(),
            ],
        };
        assert!(serve.refused("localhost:8080").is_none());
        assert!(serve.refused("localhost:8081").is_some());
        assert!(serve.refused("a.internal.test:1").is_none());
        assert!(serve.refused("127.0.0.9:22").is_none());
        assert!(serve.refused("example.com:80").is_some());
        assert!(serve.refused("[::1]:80").is_some());
        let serve = ProxyServe {
            allow: vec!["[::1]:18082".into()],
            ..serve
        };
        assert!(serve.refused("[::1]:18082").is_none());
        assert!(serve.refused("[::1]:80").is_some());
        let serve = ProxyServe {
            allow: vec!["*".into()],
            ..serve
        };
        assert!(serve.refused("example.com:80").is_none());
        for good in [
            "host.test",
            "host.test:80",
            "[::1]:80",
            "*",
            "*.test",
            "10.0.0.0/8",
            "::1",
        ] {
            assert!(check_allow(good).is_ok(), "{good}");
        }
        for bad in [
            "[::1",
            "",
            "*.",
            "a:b:c",
            "10.0.0.0/99",
            ":80",
            "[::1]:99999",
            "x:0",
            "x:+80",
        ] {
            assert!(check_allow(bad).is_err(), "{bad}");
        }
    }
}
