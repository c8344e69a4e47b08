//! The code behind each tab (F12): the same socket work, written out as a
//! runnable Python 3 script in the socket tutorial's style (a thread per
//! connection), as the one-liner a developer would type (`nc`, `socat`,
//! `curl -v`), and as a short Rust/tokio program — all for the tab's
//! current settings.
//!
//! Pure text: no I/O here. The Python scripts are run against netplay's own
//! engine in `tests/it/code/python.rs`.

mod one_liner;
mod python;
mod rust;
mod unix;

use std::time::Duration;

use crate::net::behaviour::greet::Behaviour;
use crate::net::udp::UdpMode;

/// What a tab is set to do, as far as the code needs to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Setting {
    /// The TCP Server tab.
    TcpServer {
        /// `host:port` to listen on.
        listen: String,
        /// What it answers.
        mode: Behaviour,
        /// The delay before each reply.
        delay: Duration,
        /// TLS, when on.
        tls: Option<ServerTls>,
    },
    /// The TCP Client tab.
    TcpClient {
        /// `host:port` to connect to, or `unix:/path`; `host:port via
        /// PROXY-URL` (no password) when a proxy was named.
        target: String,
        /// The message to send (the composer's text, or the last one sent),
        /// with its line ending.
        message: Vec<u8>,
        /// TLS, when on.
        tls: Option<ClientTls>,
    },
    /// The UDP tab: a server on `bind`, a client sending to `target`.
    Udp {
        /// `host:port` to bind.
        bind: String,
        /// What the server answers.
        mode: UdpMode,
        /// `host:port` to send to.
        target: String,
        /// The datagram to send.
        message: Vec<u8>,
    },
    /// The HTTP tab.
    Http {
        /// The URL.
        url: String,
        /// The request editor's text (LF line endings).
        request: String,
        /// Whether certificate checks are off (`-k`).
        insecure: bool,
    },
    /// The Relay tab.
    Relay {
        /// `host:port` to listen on.
        listen: String,
        /// `host:port` to forward to.
        target: String,
    },
}

/// A TLS client's settings, as the code speaks them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientTls {
    /// No certificate check (`-k`).
    pub insecure: bool,
    /// A CA file trusted besides the system's (the tab's CA file, else
    /// netplay's local CA when it exists).
    pub ca_file: Option<String>,
    /// The name to send and check, when not the host.
    pub sni: Option<String>,
}

/// A TLS server's settings, as the code speaks them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerTls {
    /// The certificate chain file; `None`: netplay's local CA made one in
    /// memory, and the code makes its own pair.
    pub cert: Option<String>,
    /// The key file.
    pub key: Option<String>,
}

/// The three versions of one setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code {
    /// A runnable Python 3 script.
    pub python: String,
    /// The one-liner(s), one per line, with a comment each.
    pub one_liner: String,
    /// A short Rust/tokio program.
    pub rust: String,
    /// A file name stem for saving: `netplay-tcp-server`.
    pub stem: &'static str,
}

/// The code for `setting`.
pub fn code_for(setting: &Setting) -> Code {
    // The HTTP tab's `URL via PROXY`: the code for the URL, and the proxy
    // said (curl takes it as -x; the scripts connect directly and say so).
    if let Setting::Http {
        url,
        request,
        insecure,
    } = setting
    {
        if let Some((target, proxy)) = url.split_once(" via ") {
            let direct = Setting::Http {
                url: target.trim().to_string(),
                request: request.clone(),
                insecure: *insecure,
            };
            return through_proxy(code_parts(&direct), proxy.trim());
        }
    }
    code_parts(setting)
}

/// The HTTP code made to go through `proxy` (named without a password).
fn through_proxy(mut code: Code, proxy: &str) -> Code {
    let shown = crate::text::sanitize_str(proxy);
    let note = |comment: &str| {
        format!(
            "{comment} The tab goes through the proxy {shown}; this program connects\n{comment} directly (the one-liner view's curl -x goes through it).\n"
        )
    };
    code.python = note("#") + &code.python;
    code.rust = note("//") + &code.rust;
    code.one_liner = code
        .one_liner
        .lines()
        .map(|line| match line.strip_prefix("curl ") {
            Some(rest) => format!("curl -x {} {rest}", crate::curl::quote(proxy)),
            None => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    code
}

fn code_parts(setting: &Setting) -> Code {
    Code {
        python: python::script(setting),
        one_liner: one_liner::command(setting),
        rust: rust::program(setting),
        stem: match setting {
            Setting::TcpServer { .. } => "netplay-tcp-server",
            Setting::TcpClient { .. } => "netplay-tcp-client",
            Setting::Udp { .. } => "netplay-udp",
            Setting::Http { .. } => "netplay-http-get",
            Setting::Relay { .. } => "netplay-relay",
        },
    }
}

/// `host:port` split for code: brackets off an IPv6 host; a missing or bad
/// port becomes 9999 (the playground's default).
/// What the TCP Client tab's Target asks for: a UNIX socket, or
/// `host:port` (possibly `via` a proxy, named with its password left out).
pub(crate) enum ClientTarget {
    /// `unix:/path`.
    Unix(String),
    /// `host:port`, and the proxy's URL if one was named.
    Tcp(String, Option<String>),
}

pub(crate) fn client_target(target: &str) -> ClientTarget {
    if let Some(path) = target.trim().strip_prefix("unix:") {
        return ClientTarget::Unix(path.to_string());
    }
    match target.split_once(" via ") {
        Some((addr, proxy)) => {
            ClientTarget::Tcp(addr.trim().to_string(), Some(proxy.trim().to_string()))
        }
        None => ClientTarget::Tcp(target.trim().to_string(), None),
    }
}

pub(crate) fn host_port(addr: &str) -> (String, u16) {
    let addr = addr.trim();
    let (host, port) = match addr.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() || port.parse::<u16>().is_ok() => (host, port),
        _ => (addr, ""),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let host = if host.is_empty() { "127.0.0.1" } else { host };
    (host.to_string(), port.parse().unwrap_or(9999))
}

/// Whether a host is an IPv6 address (the socket family follows it).
pub(crate) fn is_ipv6(host: &str) -> bool {
    host.contains(':')
}

/// A byte string as printable text with `\r`, `\n`, `\t`, `\\`, `quote`
/// and `\xNN` escapes (the same in Python, Rust and the shell's `printf`).
pub(crate) fn escaped(bytes: &[u8], quote: u8) -> String {
    let mut text = String::new();
    for &b in bytes {
        match b {
            b'\n' => text.push_str("\\n"),
            b'\r' => text.push_str("\\r"),
            b'\t' => text.push_str("\\t"),
            b'\\' => text.push_str("\\\\"),
            _ if b == quote => {
                text.push('\\');
                text.push(char::from(b));
            }
            0x20..=0x7e => text.push(char::from(b)),
            _ => text.push_str(&format!("\\x{b:02x}")),
        }
    }
    text
}

/// Text as a Python or Rust string literal's inside: printable characters
/// (non-ASCII too: both read UTF-8 source) as they are, the rest escaped
/// as `\u{…}` (Rust) or `\uXXXX` (Python), and the quote and backslash.
pub(crate) fn escaped_str(text: &str, quote: char, rust: bool) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            _ if c == quote => {
                out.push('\\');
                out.push(c);
            }
            _ if crate::text::is_unsafe_char(c) => {
                if rust {
                    out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
                } else if u32::from(c) > 0xffff {
                    out.push_str(&format!("\\U{:08x}", u32::from(c)));
                } else {
                    out.push_str(&format!("\\u{:04x}", u32::from(c)));
                }
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_split_and_bytes_escape() {
        assert_eq!(host_port("127.0.0.1:9999"), ("127.0.0.1".into(), 9999));
        assert_eq!(host_port("[::1]:80"), ("::1".into(), 80));
        assert_eq!(host_port("localhost"), ("localhost".into(), 9999));
        assert_eq!(host_port(":7"), ("127.0.0.1".into(), 7));
        assert_eq!(escaped(b"a'b\\\n\x1b\xff", b'\''), "a\\'b\\\\\\n\\x1b\\xff");
    }

    #[test]
    fn an_http_url_via_a_proxy_is_said_and_curled_through_it() {
        let code = code_for(&Setting::Http {
            url: "http://web.test/x via socks5h://bob@127.0.0.1:1080".into(),
            request: "GET /x HTTP/1.1\nHost: web.test\n\n".into(),
            insecure: false,
        });
        assert!(code.one_liner.contains("curl -x "), "{}", code.one_liner);
        assert!(code.one_liner.contains("socks5h://bob@127.0.0.1:1080"));
        assert!(
            code.one_liner.contains("http://web.test/x"),
            "{}",
            code.one_liner
        );
        assert!(code.python.contains("goes through the proxy"));
        assert!(code.rust.contains("goes through the proxy"));
        assert!(!code.python.contains(" via "), "the URL alone is fetched");
    }

    #[test]
    fn every_tab_has_all_three() {
        let settings = [
            Setting::TcpServer {
                listen: "127.0.0.1:9999".into(),
                mode: Behaviour::Greet,
                delay: Duration::ZERO,
                tls: None,
            },
            Setting::TcpClient {
                target: "127.0.0.1:9999".into(),
                message: b"Michael".to_vec(),
                tls: None,
            },
            Setting::Udp {
                bind: "127.0.0.1:9999".into(),
                mode: UdpMode::Greet,
                target: "127.0.0.1:9999".into(),
                message: b"Michael".to_vec(),
            },
            Setting::Http {
                url: "http://127.0.0.1:8080/".into(),
                request: "GET / HTTP/1.1\nHost: 127.0.0.1:8080\nConnection: close\n\n".into(),
                insecure: false,
            },
            Setting::Relay {
                listen: "127.0.0.1:9998".into(),
                target: "127.0.0.1:9999".into(),
            },
        ];
        for setting in &settings {
            let code = code_for(setting);
            assert!(code.python.contains("import socket"), "{setting:?}");
            assert!(code.rust.contains("#[tokio::main]"), "{setting:?}");
            assert!(!code.one_liner.is_empty(), "{setting:?}");
        }
    }
}
