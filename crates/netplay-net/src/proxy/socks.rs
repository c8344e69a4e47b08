//! The SOCKS handshakes, client side: SOCKS5 (RFC 1928) with
//! username/password (RFC 1929), SOCKS4 and SOCKS4a.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::{io_words, Proxy};

/// A SOCKS5 reply code in words (RFC 1928, section 6).
fn socks5_reply(code: u8) -> String {
    match code {
        1 => "general failure".into(),
        2 => "not allowed by the proxy's rules".into(),
        3 => "network unreachable".into(),
        4 => "host unreachable".into(),
        5 => "connection refused by the target".into(),
        6 => "TTL expired".into(),
        7 => "command not supported".into(),
        8 => "address type not supported".into(),
        other => format!("reply code {other}"),
    }
}

/// The target as the proxy is told it: the name (remote DNS) or an
/// address resolved here.
async fn target_address(
    (host, port): (&str, u16),
    remote_dns: bool,
    limit: Duration,
) -> Result<Option<SocketAddr>, String> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(Some(SocketAddr::new(ip, port)));
    }
    if remote_dns {
        return Ok(None);
    }
    let addrs = crate::resolve::resolve(&format!("{host}:{port}"), limit).await?;
    addrs
        .first()
        .copied()
        .map(Some)
        .ok_or_else(|| format!("{host} has no address"))
}

pub(super) async fn socks5<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    proxy: &Proxy,
    (host, port): (&str, u16),
    remote_dns: bool,
    limit: Duration,
) -> Result<Vec<String>, String> {
    let io = |err: std::io::Error| io_words(&err);
    let mut lines = Vec::new();
    let methods: &[u8] = if proxy.auth.is_some() { &[0, 2] } else { &[0] };
    let mut greeting = vec![5, methods.len() as u8];
    greeting.extend_from_slice(methods);
    stream.write_all(&greeting).await.map_err(io)?;
    let mut chosen = [0u8; 2];
    stream.read_exact(&mut chosen).await.map_err(io)?;
    if chosen[0] != 5 {
        return Err(format!(
            "not a SOCKS5 proxy (it answered version {})",
            chosen[0]
        ));
    }
    let offered = if proxy.auth.is_some() {
        "no authentication, username/password"
    } else {
        "no authentication"
    };
    match chosen[1] {
        0 => lines.push(format!(
            "SOCKS5   offered: {offered} → chosen: no authentication"
        )),
        2 if proxy.auth.is_some() => {
            lines.push(format!(
                "SOCKS5   offered: {offered} → chosen: username/password"
            ));
            let (user, password) = proxy.auth.clone().unwrap_or_default();
            if user.len() > 255 || password.len() > 255 {
                return Err("the username and password must be 255 bytes at most each".into());
            }
            let mut login = vec![1, user.len() as u8];
            login.extend_from_slice(user.as_bytes());
            login.push(password.len() as u8);
            login.extend_from_slice(password.as_bytes());
            stream.write_all(&login).await.map_err(io)?;
            let mut status = [0u8; 2];
            stream.read_exact(&mut status).await.map_err(io)?;
            if status[1] != 0 {
                return Err("the proxy refused the username and password".into());
            }
            lines.push("SOCKS5   username/password accepted".to_string());
        }
        0xff if proxy.auth.is_none() => {
            return Err(
                "the proxy wants a username and password (give user:password@ in the proxy URL)"
                    .into(),
            )
        }
        0xff => return Err("the proxy accepts none of the authentication methods offered".into()),
        other => return Err(format!("the proxy chose a method not offered ({other})")),
    }
    let mut request = vec![5, 1, 0];
    let resolved = target_address((host, port), remote_dns, limit).await?;
    match resolved {
        Some(SocketAddr::V4(addr)) => {
            request.push(1);
            request.extend_from_slice(&addr.ip().octets());
        }
        Some(SocketAddr::V6(addr)) => {
            request.push(4);
            request.extend_from_slice(&addr.ip().octets());
        }
        None => {
            if host.len() > 255 {
                return Err("the name is longer than SOCKS5 carries (255 bytes)".into());
            }
            request.push(3);
            request.push(host.len() as u8);
            request.extend_from_slice(host.as_bytes());
        }
    }
    request.extend_from_slice(&port.to_be_bytes());
    stream.write_all(&request).await.map_err(io)?;
    let mut reply = [0u8; 4];
    stream.read_exact(&mut reply).await.map_err(io)?;
    let bound_len = match reply[3] {
        1 => 4,
        4 => 16,
        3 => {
            let mut len = [0u8; 1];
            stream.read_exact(&mut len).await.map_err(io)?;
            usize::from(len[0])
        }
        other => {
            return Err(format!(
                "the proxy's reply has an unknown address type {other}"
            ))
        }
    };
    let mut bound = vec![0u8; bound_len + 2];
    stream.read_exact(&mut bound).await.map_err(io)?;
    // What the proxy was told: the name, or the address found here.
    let asked = match resolved {
        None => format!("{host}:{port} (the proxy resolves the name)"),
        Some(addr) if host.parse::<IpAddr>().is_err() => {
            format!("{addr} ({host}, resolved here)")
        }
        Some(addr) => addr.to_string(),
    };
    if reply[1] != 0 {
        return Err(format!("CONNECT {asked}: {}", socks5_reply(reply[1])));
    }
    lines.push(format!("SOCKS5   CONNECT {asked} → succeeded"));
    Ok(lines)
}

pub(super) async fn socks4<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    proxy: &Proxy,
    (host, port): (&str, u16),
    remote_dns: bool,
    limit: Duration,
) -> Result<Vec<String>, String> {
    let io = |err: std::io::Error| io_words(&err);
    let user = proxy.auth.as_ref().map_or("", |(user, _)| user.as_str());
    let mut request = vec![4, 1];
    request.extend_from_slice(&port.to_be_bytes());
    let name = match target_address((host, port), remote_dns, limit).await? {
        Some(SocketAddr::V4(addr)) => {
            request.extend_from_slice(&addr.ip().octets());
            None
        }
        Some(SocketAddr::V6(_)) => return Err("SOCKS4 carries IPv4 addresses only".into()),
        None => {
            // SOCKS4a: 0.0.0.x, then the name after the user id.
            request.extend_from_slice(&[0, 0, 0, 1]);
            Some(host)
        }
    };
    request.extend_from_slice(user.as_bytes());
    request.push(0);
    if let Some(name) = name {
        request.extend_from_slice(name.as_bytes());
        request.push(0);
    }
    stream.write_all(&request).await.map_err(io)?;
    let mut reply = [0u8; 8];
    stream.read_exact(&mut reply).await.map_err(io)?;
    let version = if name.is_some() { "SOCKS4a" } else { "SOCKS4" };
    match reply[1] {
        0x5a => Ok(vec![format!("{version}  CONNECT {host}:{port} → granted")]),
        0x5b => Err(format!("CONNECT {host}:{port}: rejected or failed")),
        0x5c | 0x5d => Err(format!(
            "CONNECT {host}:{port}: refused (the proxy could not confirm the user id with identd)"
        )),
        other => Err(format!("CONNECT {host}:{port}: unknown reply {other:#04x}")),
    }
}
