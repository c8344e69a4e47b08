//! Independent proxies for the tests, written here on `std::net` (not
//! netplay's code): a SOCKS5 server (RFC 1928/1929) and an HTTP proxy
//! (CONNECT and absolute-form requests). Names ending in `.test` resolve
//! to 127.0.0.1 at the proxy, so a test can tell who resolved a name.
//! Each records what it was asked, for the tests to check.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// What a proxy was asked, in order.
pub type Seen = Arc<Mutex<Vec<String>>>;

/// Copies both ways until either side ends.
fn pipe(client: TcpStream, target: TcpStream) {
    let (mut client_read, mut target_write) =
        (client.try_clone().unwrap(), target.try_clone().unwrap());
    let upstream = std::thread::spawn(move || {
        let _ = std::io::copy(&mut client_read, &mut target_write);
        let _ = target_write.shutdown(std::net::Shutdown::Write);
    });
    let (mut target_read, mut client_write) = (target, client);
    let _ = std::io::copy(&mut target_read, &mut client_write);
    let _ = client_write.shutdown(std::net::Shutdown::Write);
    let _ = upstream.join();
}

fn resolve(host: &str, port: u16) -> Option<SocketAddr> {
    if host.ends_with(".test") || host == "localhost" {
        return Some(SocketAddr::from((Ipv4Addr::LOCALHOST, port)));
    }
    host.parse::<IpAddr>()
        .ok()
        .map(|ip| SocketAddr::new(ip, port))
}

/// A SOCKS5 server on loopback; with `auth`, only that user and password.
/// A target on port 1 is refused (reply 5), as a closed port would be.
pub fn socks5(auth: Option<(&'static str, &'static str)>) -> (SocketAddr, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let seen: Seen = Arc::default();
    let record = Arc::clone(&seen);
    std::thread::spawn(move || {
        for client in listener.incoming().map_while(Result::ok) {
            let record = Arc::clone(&record);
            std::thread::spawn(move || {
                let _ = socks5_one(client, auth, &record);
            });
        }
    });
    (addr, seen)
}

fn socks5_one(
    mut client: TcpStream,
    auth: Option<(&str, &str)>,
    seen: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    let mut head = [0u8; 2];
    client.read_exact(&mut head)?;
    let mut methods = vec![0u8; usize::from(head[1])];
    client.read_exact(&mut methods)?;
    let wanted = if auth.is_some() { 2 } else { 0 };
    if !methods.contains(&wanted) {
        return client.write_all(&[5, 0xff]);
    }
    client.write_all(&[5, wanted])?;
    if let Some((user, password)) = auth {
        let mut version_len = [0u8; 2];
        client.read_exact(&mut version_len)?;
        let mut given_user = vec![0u8; usize::from(version_len[1])];
        client.read_exact(&mut given_user)?;
        let mut len = [0u8; 1];
        client.read_exact(&mut len)?;
        let mut given_password = vec![0u8; usize::from(len[0])];
        client.read_exact(&mut given_password)?;
        let ok = given_user == user.as_bytes() && given_password == password.as_bytes();
        client.write_all(&[1, if ok { 0 } else { 1 }])?;
        if !ok {
            seen.lock().unwrap().push("bad login".into());
            return Ok(());
        }
    }
    let mut request = [0u8; 4];
    client.read_exact(&mut request)?;
    let host = match request[3] {
        1 => {
            let mut ip = [0u8; 4];
            client.read_exact(&mut ip)?;
            Ipv4Addr::from(ip).to_string()
        }
        4 => {
            let mut ip = [0u8; 16];
            client.read_exact(&mut ip)?;
            Ipv6Addr::from(ip).to_string()
        }
        _ => {
            let mut len = [0u8; 1];
            client.read_exact(&mut len)?;
            let mut name = vec![0u8; usize::from(len[0])];
            client.read_exact(&mut name)?;
            format!("name:{}", String::from_utf8_lossy(&name))
        }
    };
    let mut port = [0u8; 2];
    client.read_exact(&mut port)?;
    let port = u16::from_be_bytes(port);
    seen.lock().unwrap().push(format!("{host}:{port}"));
    let target = resolve(host.trim_start_matches("name:"), port)
        .filter(|_| port != 1)
        .and_then(|addr| TcpStream::connect(addr).ok());
    let Some(target) = target else {
        return client.write_all(&[5, 5, 0, 1, 0, 0, 0, 0, 0, 0]);
    };
    client.write_all(&[5, 0, 0, 1, 127, 0, 0, 1, 0, 0])?;
    pipe(client, target);
    Ok(())
}

/// An HTTP proxy on loopback: CONNECT opens a tunnel, an absolute-form
/// request is forwarded in origin form; with `auth` (`Basic …` value),
/// anything else gets 407.
pub fn http(auth: Option<&'static str>) -> (SocketAddr, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let seen: Seen = Arc::default();
    let record = Arc::clone(&seen);
    std::thread::spawn(move || {
        for client in listener.incoming().map_while(Result::ok) {
            let record = Arc::clone(&record);
            std::thread::spawn(move || {
                let _ = http_one(client, auth, &record);
            });
        }
    });
    (addr, seen)
}

fn http_one(
    client: TcpStream,
    auth: Option<&str>,
    seen: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        lines.push(line.trim_end().to_string());
    }
    let request_line = lines.first().cloned().unwrap_or_default();
    seen.lock().unwrap().push(request_line.clone());
    let mut client = client;
    let given = lines
        .iter()
        .find_map(|line| line.strip_prefix("Proxy-Authorization: "));
    if auth.is_some() && given != auth {
        return client.write_all(
            b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n",
        );
    }
    let mut parts = request_line.split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if method == "CONNECT" {
        let (host, port) = target.rsplit_once(':').unwrap_or((target, "443"));
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let connected = port
            .parse()
            .ok()
            .and_then(|port| resolve(host, port))
            .and_then(|addr| TcpStream::connect(addr).ok());
        let Some(target) = connected else {
            return client.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
        };
        client.write_all(b"HTTP/1.1 200 Connection established\r\nVia: test-proxy\r\n\r\n")?;
        return {
            pipe(client, target);
            Ok(())
        };
    }
    // Absolute form: http://host:port/path → connect, send in origin form.
    let rest = target.strip_prefix("http://").unwrap_or(target);
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (host, port) = authority.rsplit_once(':').unwrap_or((authority, "80"));
    let Some(mut upstream) = port
        .parse()
        .ok()
        .and_then(|port| resolve(host, port))
        .and_then(|addr| TcpStream::connect(addr).ok())
    else {
        return client.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
    };
    let version = request_line.rsplit(' ').next().unwrap_or("HTTP/1.1");
    let mut head = format!("{method} /{path} {version}\r\n");
    for line in lines.iter().skip(1) {
        if !line.starts_with("Proxy-Authorization:") {
            head.push_str(line);
            head.push_str("\r\n");
        }
    }
    head.push_str("\r\n");
    upstream.write_all(head.as_bytes())?;
    pipe(client, upstream);
    Ok(())
}
