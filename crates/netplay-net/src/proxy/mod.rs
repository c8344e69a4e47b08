//! Reaching a target through a proxy, as curl does: SOCKS5 (`socks5://`
//! resolves the name here, `socks5h://` lets the proxy resolve it),
//! SOCKS4 and SOCKS4a, and HTTP `CONNECT` (`http://`), each with an
//! optional `user:password`. The handshake is its own step with its own
//! lines, so a learner sees the proxy say yes (or why not) before the
//! first byte of the conversation.

mod env;
mod http;
mod socks;

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};

pub use env::{bypassed, exempt, from_env};

/// Which proxy protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// SOCKS5; `remote_dns`: the proxy resolves the name (`socks5h://`).
    Socks5 {
        /// Whether the name goes to the proxy unresolved.
        remote_dns: bool,
    },
    /// SOCKS4 (`remote_dns` false: an IPv4 address resolved here) or
    /// SOCKS4a (the name goes to the proxy).
    Socks4 {
        /// Whether the name goes to the proxy unresolved (SOCKS4a).
        remote_dns: bool,
    },
    /// An HTTP proxy: `CONNECT host:port` opens a tunnel.
    Http,
}

/// A proxy to go through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proxy {
    /// Its protocol.
    pub kind: Kind,
    /// Its host (no brackets).
    pub host: String,
    /// Its port.
    pub port: u16,
    /// `user:password` from the URL (percent-decoded).
    pub auth: Option<(String, String)>,
}

impl Proxy {
    /// Reads a proxy URL as curl does: `socks5://`, `socks5h://`,
    /// `socks4://`, `socks4a://`, `http://` (the default when no scheme
    /// is given), each with an optional `user:password@`; the port
    /// defaults to 1080 for SOCKS and 1080 for HTTP, as curl's.
    pub fn parse(text: &str) -> Result<Self, String> {
        // Said back without its password.
        let typed = crate::text::typed(&redacted(text));
        let with_scheme = if text.contains("://") {
            text.to_string()
        } else {
            format!("http://{text}")
        };
        let url = url::Url::parse(&with_scheme)
            .map_err(|err| format!("'{typed}' is not a proxy URL: {err}"))?;
        let kind = match url.scheme() {
            "socks5" => Kind::Socks5 { remote_dns: false },
            "socks5h" => Kind::Socks5 { remote_dns: true },
            "socks4" => Kind::Socks4 { remote_dns: false },
            "socks4a" => Kind::Socks4 { remote_dns: true },
            "http" => Kind::Http,
            "https" => {
                return Err(format!(
                    "'{typed}': a proxy spoken to over TLS (https://) is not supported yet; use http://, socks5:// or socks5h://"
                ))
            }
            other => {
                return Err(format!(
                    "'{typed}': unknown proxy scheme {other}:// (socks5, socks5h, socks4, socks4a or http)"
                ))
            }
        };
        let host = url
            .host_str()
            .filter(|host| !host.is_empty())
            .ok_or_else(|| format!("'{typed}' names no proxy host"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = url.port().unwrap_or(1080);
        let decode = |part: &str| {
            percent_decode(part)
                .ok_or_else(|| format!("'{typed}': the user or password is not UTF-8"))
        };
        let auth = match (url.username(), url.password()) {
            ("", None) => None,
            (user, password) => Some((decode(user)?, decode(password.unwrap_or(""))?)),
        };
        Ok(Self {
            kind,
            host,
            port,
            auth,
        })
    }

    /// `host:port` of the proxy, as a resolver takes it.
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The proxy as shown: its URL with the password hidden.
    pub fn shown(&self) -> String {
        let scheme = match self.kind {
            Kind::Socks5 { remote_dns: false } => "socks5",
            Kind::Socks5 { remote_dns: true } => "socks5h",
            Kind::Socks4 { remote_dns: false } => "socks4",
            Kind::Socks4 { remote_dns: true } => "socks4a",
            Kind::Http => "http",
        };
        let user = match &self.auth {
            Some((user, _)) => format!("{}:***@", crate::text::sanitize_str(user)),
            None => String::new(),
        };
        format!("{scheme}://{user}{}", self.authority())
    }

    /// Whether the proxy is given the target's name (socks5h, socks4a,
    /// HTTP) rather than an address resolved here.
    pub fn resolves_names(&self) -> bool {
        matches!(
            self.kind,
            Kind::Socks5 { remote_dns: true } | Kind::Socks4 { remote_dns: true } | Kind::Http
        )
    }

    /// Whether a request for `http://` goes to this proxy whole (absolute
    /// form), rather than through a tunnel.
    pub fn forwards_plain_http(&self) -> bool {
        self.kind == Kind::Http
    }

    /// The `Proxy-Authorization` value for an HTTP proxy, if credentials
    /// were given.
    pub fn authorization(&self) -> Option<String> {
        use base64::Engine as _;
        let (user, password) = self.auth.as_ref()?;
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        Some(format!("Basic {token}"))
    }

    /// Asks the proxy, over `stream` (connected to it), for a tunnel to
    /// `host:port`; the handshake's lines for the transcript, or why the
    /// proxy said no. Bounded by `limit`.
    pub async fn open<S: AsyncRead + AsyncWrite + Unpin>(
        &self,
        stream: &mut S,
        (host, port): (&str, u16),
        limit: Duration,
    ) -> Result<Vec<String>, String> {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let handshake = async {
            match self.kind {
                Kind::Socks5 { remote_dns } => {
                    socks::socks5(stream, self, (host, port), remote_dns, limit).await
                }
                Kind::Socks4 { remote_dns } => {
                    socks::socks4(stream, self, (host, port), remote_dns, limit).await
                }
                Kind::Http => http::connect(stream, self, (host, port)).await,
            }
        };
        let mut lines = vec![format!("proxy    {}", self.shown())];
        match tokio::time::timeout(limit, handshake).await {
            Ok(Ok(more)) => {
                lines.extend(more);
                Ok(lines)
            }
            Ok(Err(reason)) => Err(format!("proxy {}: {reason}", self.authority())),
            Err(_) => Err(format!(
                "proxy {}: no answer to the handshake within {}",
                self.authority(),
                crate::error::human_duration(limit)
            )),
        }
    }
}

/// `text` (a proxy URL as typed) with the password after `user:` hidden.
fn redacted(text: &str) -> String {
    // The last `@` ends the user part: a password typed with a `/` in it
    // still stays hidden (a proxy URL has no path to confuse it with).
    let start = text.find("://").map_or(0, |at| at + 3);
    let Some(at) = text[start..].rfind('@').map(|at| start + at) else {
        return text.to_string();
    };
    match text[start..at].find(':').map(|colon| start + colon) {
        Some(colon) => format!("{}:***{}", &text[..colon], &text[at..]),
        None => text.to_string(),
    }
}

/// `%XX` decoded, if the result is UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let hex = bytes
            .get(at + 1..at + 3)
            .and_then(|pair| std::str::from_utf8(pair).ok())
            .and_then(|pair| u8::from_str_radix(pair, 16).ok());
        match (bytes[at], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                at += 3;
            }
            (byte, _) => {
                out.push(byte);
                at += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// What an I/O error in a handshake means, in words.
fn io_words(err: &std::io::Error) -> String {
    match err.kind() {
        std::io::ErrorKind::UnexpectedEof => "it closed the connection mid-handshake".to_string(),
        _ => crate::error::stream_error(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_urls_read_as_curl_reads_them() {
        let proxy = Proxy::parse("socks5h://me:p%40ss@127.0.0.1:9050").unwrap();
        assert_eq!(proxy.kind, Kind::Socks5 { remote_dns: true });
        assert_eq!(proxy.auth, Some(("me".into(), "p@ss".into())));
        assert_eq!(proxy.authority(), "127.0.0.1:9050");
        assert_eq!(proxy.shown(), "socks5h://me:***@127.0.0.1:9050");
        let proxy = Proxy::parse("proxy.test:3128").unwrap();
        assert_eq!((proxy.kind, proxy.port), (Kind::Http, 3128));
        assert_eq!(
            Proxy::parse("socks4a://[::1]").unwrap().authority(),
            "[::1]:1080"
        );
        for bad in ["ftp://x", "https://x:1", "socks5://", "http://:80"] {
            assert!(Proxy::parse(bad).is_err(), "{bad}");
        }
        let reason = Proxy::parse("https://user:s3cret@127.0.0.1:1").unwrap_err();
        assert!(
            !reason.contains("s3cret") && reason.contains("user:***@"),
            "{reason}"
        );
        assert!(!Proxy::parse("ftp://u:pw@h").unwrap_err().contains("pw@"));
        assert!(!Proxy::parse("http://u:sec/ret@127.0.0.1:1")
            .unwrap_err()
            .contains("ret"));
        let proxy = Proxy::parse("http://user:secret@p.test:8080").unwrap();
        assert_eq!(proxy.authorization().unwrap(), "Basic dXNlcjpzZWNyZXQ=");
    }
}
