//! `CONNECT host:port` through an HTTP proxy: the request, and the
//! proxy's answer (its status line and headers, shown as they came).

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::{io_words, Proxy};

/// The largest answer head read from a proxy.
const HEAD_LIMIT: usize = 16 * 1024;

pub(super) async fn connect<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    proxy: &Proxy,
    (host, port): (&str, u16),
) -> Result<Vec<String>, String> {
    let io = |err: std::io::Error| io_words(&err);
    let authority = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let mut request = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
    if let Some(value) = proxy.authorization() {
        request.push_str(&format!("Proxy-Authorization: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.map_err(io)?;
    let mut lines: Vec<String> = request
        .lines()
        .filter(|line| !line.is_empty())
        .map(|line| match line.strip_prefix("Proxy-Authorization: ") {
            Some(_) => "> Proxy-Authorization: Basic ***".to_string(),
            None => format!("> {line}"),
        })
        .collect();
    // Byte by byte: what follows the head is the tunnel's (a server may
    // greet at once), and must not be read here.
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") && !head.ends_with(b"\n\n") {
        if head.len() >= HEAD_LIMIT {
            return Err(format!(
                "its answer's head is over {} KiB",
                HEAD_LIMIT / 1024
            ));
        }
        let mut byte = [0u8; 1];
        stream.read_exact(&mut byte).await.map_err(io)?;
        head.push(byte[0]);
    }
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut headers);
    match response.parse(&head) {
        Ok(httparse::Status::Complete(_)) => {}
        _ => return Err("its answer to CONNECT is not HTTP".into()),
    }
    let status = response.code.unwrap_or(0);
    let reason = crate::text::sanitize(response.reason.unwrap_or("").as_bytes());
    for line in head.split(|b| *b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if !line.is_empty() {
            lines.push(format!("< {}", crate::text::sanitize(line)));
        }
    }
    match status {
        200..=299 => Ok(lines),
        407 if proxy.auth.is_none() => Err(format!(
            "CONNECT {authority}: the proxy wants credentials (407 {reason}; give user:password@ in the proxy URL)"
        )),
        407 => Err(format!(
            "CONNECT {authority}: the proxy refused the credentials (407 {reason})"
        )),
        _ => Err(format!("CONNECT {authority}: the proxy answered {status} {reason}")),
    }
}
