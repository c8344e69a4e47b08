//! Turning what a person types (`127.0.0.1:9999`, `[::1]:9999`,
//! `localhost:9999`, a bare `9999`) into socket addresses, with a clear reason
//! when it cannot be done.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use crate::error::human_duration;
use crate::text::typed;

/// The `host` and `port` halves of a typed address, checked for shape only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPort {
    /// Host name or IP literal, without IPv6 brackets.
    pub host: String,
    /// Port number.
    pub port: u16,
}

/// Splits `text` into host and port, or says what is wrong with it.
pub fn split_host_port(text: &str) -> Result<HostPort, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("no address: type host:port, e.g. 127.0.0.1:9999".to_string());
    }
    if let Ok(port) = text.parse::<u16>() {
        return Ok(HostPort {
            host: Ipv4Addr::LOCALHOST.to_string(),
            port,
        });
    }
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(HostPort {
            host: addr.ip().to_string(),
            port: addr.port(),
        });
    }
    if text.parse::<IpAddr>().is_ok() {
        return Err(format!(
            "missing port in '{}': write host:port, e.g. {}",
            typed(text),
            if text.contains(':') {
                "[::1]:9999 (IPv6 in brackets)"
            } else {
                "127.0.0.1:9999"
            }
        ));
    }
    if let Some(rest) = text.strip_prefix('[') {
        let Some((host, after)) = rest.split_once(']') else {
            return Err(format!("missing ']' in '{}'", typed(text)));
        };
        if host.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(format!("'{}' is not an IPv6 address", typed(host)));
        }
        let Some(port) = after.strip_prefix(':') else {
            return Err(format!(
                "missing port after ']' in '{}': e.g. [::1]:9999",
                typed(text)
            ));
        };
        return Ok(HostPort {
            host: host.to_string(),
            port: parse_port(port)?,
        });
    }
    let Some((host, port)) = text.rsplit_once(':') else {
        return Err(format!(
            "missing port in '{}': write host:port, e.g. {}:9999",
            typed(text),
            typed(text)
        ));
    };
    if host.contains(':') {
        return Err(format!(
            "'{}' looks like IPv6: put the address in brackets, e.g. [::1]:9999",
            typed(text)
        ));
    }
    if host.is_empty() {
        return Err(format!(
            "missing host in '{}': e.g. 127.0.0.1{}",
            typed(text),
            typed(text)
        ));
    }
    if host.contains(char::is_whitespace) {
        return Err(format!(
            "'{}' is not a host name (it has spaces)",
            typed(host)
        ));
    }
    Ok(HostPort {
        host: host.to_string(),
        port: parse_port(port)?,
    })
}

fn parse_port(text: &str) -> Result<u16, String> {
    match text.parse::<u32>() {
        Ok(port) if port <= u32::from(u16::MAX) => Ok(port as u16),
        Ok(_) => Err(format!(
            "port {text} is out of range: ports go from 0 to 65535"
        )),
        Err(_) => Err(format!(
            "'{}' is not a port number: ports go from 0 to 65535",
            typed(text)
        )),
    }
}

/// Resolves a typed address to every socket address it names, in the
/// resolver's order (host names go through the system resolver).
pub async fn resolve(text: &str, limit: Duration) -> Result<Vec<SocketAddr>, String> {
    let HostPort { host, port } = split_host_port(text)?;
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let lookup = tokio::net::lookup_host((host.clone(), port));
    match tokio::time::timeout(limit, lookup).await {
        Err(_) => Err(format!(
            "looking up '{}' timed out after {}",
            typed(&host),
            human_duration(limit)
        )),
        Ok(Err(err)) => Err(format!(
            "unknown host '{}': {}",
            typed(&host),
            typed(&crate::error::os_reason(&err))
        )),
        Ok(Ok(addrs)) => {
            let addrs: Vec<SocketAddr> = addrs.collect();
            if addrs.is_empty() {
                Err(format!("unknown host '{}': no addresses", typed(&host)))
            } else {
                Ok(addrs)
            }
        }
    }
}

/// Resolves `text` and binds the first address that works, with `bind`
/// (a TCP listener, a UDP socket); the last failure, in words, if none
/// does. One loop for every kind of socket.
pub async fn bind_first<T, F, Fut>(text: &str, limit: Duration, mut bind: F) -> Result<T, String>
where
    F: FnMut(SocketAddr) -> Fut,
    Fut: std::future::Future<Output = std::io::Result<T>>,
{
    let mut last_error = format!("{text} resolved to no address");
    for candidate in resolve(text, limit).await? {
        match bind(candidate).await {
            Ok(socket) => return Ok(socket),
            Err(err) => last_error = crate::error::bind_error(&err, candidate),
        }
    }
    Err(last_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> (String, u16) {
        let hp = split_host_port(text).unwrap();
        (hp.host, hp.port)
    }

    #[test]
    fn accepts_the_usual_forms() {
        assert_eq!(ok("127.0.0.1:9999"), ("127.0.0.1".into(), 9999));
        assert_eq!(ok("[::1]:9999"), ("::1".into(), 9999));
        assert_eq!(ok("0.0.0.0:9999"), ("0.0.0.0".into(), 9999));
        assert_eq!(ok("localhost:9999"), ("localhost".into(), 9999));
        assert_eq!(ok(" 9999 "), ("127.0.0.1".into(), 9999));
        assert_eq!(ok("[fe80::1%2]:80").1, 80);
    }

    #[test]
    fn a_typed_address_is_quoted_as_typed_and_made_safe() {
        // `\u{1b}` as the field shows a pasted ESC: quoted once, not `\\u…`.
        let err = split_host_port("host\\u{1b}").unwrap_err();
        assert!(err.contains("'host\\u{1b}'"), "{err}");
        let err = split_host_port("host\u{1b}]0;x").unwrap_err();
        assert!(!err.contains('\u{1b}'), "{err}");
    }

    #[test]
    fn explains_bad_forms() {
        let err = |t| split_host_port(t).unwrap_err();
        assert!(err("").contains("no address"));
        assert!(err("localhost").contains("missing port"));
        assert!(err("::1:9999").contains("brackets") || err("::1:9999").contains("missing port"));
        assert!(err("fe80::1:80:x").contains("brackets"));
        assert!(err("host:99999").contains("out of range"));
        assert!(err("host:abc").contains("not a port"));
        assert!(err("[::1]").contains("missing port"));
        assert!(err("[::1:80").contains("missing ']'"));
        assert!(err(":80").contains("missing host"));
    }
}
