//! Building the raw request: the default text the editor starts from, and
//! turning what the user edited into the exact bytes sent (CRLF line
//! endings, Content-Length filled in for a body unless the user set one).

use url::Url;

/// The methods the method selector offers, in cycle order.
pub const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/// `User-Agent` sent by default.
pub fn user_agent() -> String {
    format!("netplay/{}", env!("CARGO_PKG_VERSION"))
}

/// Parses and checks a URL typed by the user; only http and https.
pub fn parse_url(text: &str) -> Result<Url, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("no URL: type one, e.g. http://127.0.0.1:9999/".into());
    }
    let url = Url::parse(text).or_else(|err| match err {
        url::ParseError::RelativeUrlWithoutBase => Url::parse(&format!("http://{text}")),
        other => Err(other),
    });
    let url = url.map_err(|err| format!("bad URL: {err}"))?;
    match url.scheme() {
        "http" | "https" | "ws" | "wss" => {}
        other => {
            return Err(format!(
                "unsupported scheme '{}': netplay speaks http://, https://, ws:// and wss://",
                crate::text::sanitize_str(other)
            ))
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("the URL has no host".into());
    }
    Ok(url)
}

/// `host` or `host:port` as the Host header wants it (port only when not
/// the scheme's default; IPv6 in brackets).
pub fn host_header(url: &Url) -> String {
    let host = match url.host() {
        Some(url::Host::Ipv6(addr)) => format!("[{addr}]"),
        Some(host) => host.to_string(),
        None => String::new(),
    };
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    }
}

/// The request target: path and query.
pub fn target(url: &Url) -> String {
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_string(),
    }
}

/// The editable request text for `method` on `url` (LF line endings; the
/// wire form uses CRLF).
pub fn default_request(url: &Url, method: &str) -> String {
    // A ws:// URL: the upgrade request, with a fresh key (RFC 6455 §4.1).
    if matches!(url.scheme(), "ws" | "wss") {
        return format!(
            "GET {} HTTP/1.1\nHost: {}\nUser-Agent: {}\nUpgrade: websocket\nConnection: Upgrade\nSec-WebSocket-Key: {}\nSec-WebSocket-Version: 13\n\n",
            target(url),
            host_header(url),
            user_agent(),
            crate::ws::handshake::new_key()
        );
    }
    format!(
        "{method} {} HTTP/1.1\nHost: {}\nUser-Agent: {}\nAccept: */*\nConnection: close\n\n",
        target(url),
        host_header(url),
        user_agent()
    )
}

/// The bytes to send for the edited request text: every line ending becomes
/// CRLF, the head ends with a blank line, and a body gets a Content-Length
/// unless the user set one (or Transfer-Encoding).
pub fn to_wire(text: &str) -> Vec<u8> {
    let normalized = text.replace("\r\n", "\n");
    let (head, body) = match normalized.split_once("\n\n") {
        Some((head, body)) => (head.to_string(), body.to_string()),
        None => (normalized.trim_end_matches('\n').to_string(), String::new()),
    };
    let mut lines: Vec<String> = head.lines().map(str::to_string).collect();
    let has = |name: &str, lines: &[String]| {
        lines.iter().skip(1).any(|line| {
            line.split_once(':')
                .is_some_and(|(n, _)| n.trim().eq_ignore_ascii_case(name))
        })
    };
    if !body.is_empty() && !has("content-length", &lines) && !has("transfer-encoding", &lines) {
        lines.push(format!("Content-Length: {}", body.len()));
    }
    let mut wire = lines.join("\r\n").into_bytes();
    wire.extend_from_slice(b"\r\n\r\n");
    wire.extend_from_slice(body.as_bytes());
    wire
}

/// The exact request bytes for the command line: the default headers, each
/// replaced by a user header of the same name (case-insensitive) or added to,
/// then `Content-Length` for a non-empty body unless the user set framing.
pub fn build_wire(url: &Url, method: &str, headers: &[(String, String)], body: &[u8]) -> Vec<u8> {
    let mut fields = merged_fields(url, headers);
    let framed = fields.iter().any(|(n, _)| {
        n.eq_ignore_ascii_case("content-length") || n.eq_ignore_ascii_case("transfer-encoding")
    });
    if !body.is_empty() && !framed {
        fields.push(("Content-Length".into(), body.len().to_string()));
    }
    let mut head = format!("{method} {} HTTP/1.1\r\n", target(url));
    for (name, value) in &fields {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut wire = head.into_bytes();
    wire.extend_from_slice(body);
    wire
}

/// Whether `name: value` is what netplay (and curl) send anyway for `url`
/// — Host, User-Agent and Accept at their defaults, and the framing
/// (Connection, Content-Length): left out when a request is written for
/// curl or a `.http` file. A value the user changed is not a default.
pub fn is_default_field(url: Option<&Url>, name: &str, value: &str) -> bool {
    let default = match name.trim().to_ascii_lowercase().as_str() {
        "host" => url.map(host_header),
        "user-agent" => Some(user_agent()),
        "accept" => Some("*/*".to_string()),
        "connection" | "content-length" => return true,
        _ => None,
    };
    default.as_deref() == Some(value.trim())
}

/// The default headers, each replaced by a user header of the same name
/// (case-insensitive) or added to.
fn merged_fields(url: &Url, headers: &[(String, String)]) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = vec![
        ("Host".into(), host_header(url)),
        ("User-Agent".into(), user_agent()),
        ("Accept".into(), "*/*".into()),
        ("Connection".into(), "close".into()),
    ];
    // A ws:// URL asks for the upgrade (RFC 6455 §4.1), with a fresh key.
    if matches!(url.scheme(), "ws" | "wss") {
        fields.truncate(2);
        fields.push(("Upgrade".into(), "websocket".into()));
        fields.push(("Connection".into(), "Upgrade".into()));
        fields.push(("Sec-WebSocket-Key".into(), crate::ws::handshake::new_key()));
        fields.push(("Sec-WebSocket-Version".into(), "13".into()));
    }
    for (name, value) in headers {
        match fields
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some(field) => field.1 = value.clone(),
            None => fields.push((name.clone(), value.clone())),
        }
    }
    fields
}

/// The editable request text (LF line endings) for `method` on `url` with
/// `headers` merged into the defaults, then `body`: what a pasted curl
/// command becomes in the HTTP tab ([`to_wire`] adds Content-Length).
pub fn request_text(url: &Url, method: &str, headers: &[(String, String)], body: &str) -> String {
    let mut text = format!("{method} {} HTTP/1.1\n", target(url));
    for (name, value) in merged_fields(url, headers) {
        text.push_str(&format!("{name}: {value}\n"));
    }
    text.push('\n');
    text.push_str(body);
    text
}

/// The method in the first line of the request text (for HEAD framing).
pub fn method_of(text: &str) -> String {
    text.split_whitespace().next().unwrap_or("").to_string()
}

/// Replaces the method token of the first line, keeping the rest as edited.
pub fn with_method(text: &str, method: &str) -> String {
    match text.split_once(' ') {
        Some((_, rest)) if !text.starts_with(' ') => format!("{method} {rest}"),
        _ => format!("{method} {text}"),
    }
}

/// A file name for saving the body: the last path segment, or `index.html`.
pub fn file_name_for(url: &Url) -> String {
    let last = url
        .path_segments()
        .and_then(|mut segments| segments.next_back())
        .unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect();
    let cleaned = cleaned.trim_start_matches('.').to_string();
    if cleaned.is_empty() {
        "index.html".into()
    } else {
        cleaned
    }
}

/// The value of header `name` in a request's head as written (for display:
/// sanitized), if it has one.
pub fn head_field(wire: &[u8], name: &[u8]) -> Option<String> {
    let head_end = wire
        .windows(2)
        .position(|pair| pair == b"\n\n" || pair == b"\n\r")
        .unwrap_or(wire.len());
    wire[..head_end]
        .split(|b| *b == b'\n')
        .skip(1)
        .find_map(|line| {
            let (field, value) = line.split_at(line.iter().position(|b| *b == b':')?);
            field
                .eq_ignore_ascii_case(name)
                .then(|| crate::text::sanitize(value[1..].trim_ascii()))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let url = parse_url("http://127.0.0.1:9999/a/b?x=1&y=2").unwrap();
        assert_eq!(host_header(&url), "127.0.0.1:9999");
        assert_eq!(target(&url), "/a/b?x=1&y=2");
        let url = parse_url("https://[::1]:8443/").unwrap();
        assert_eq!(host_header(&url), "[::1]:8443");
        let url = parse_url("example.com").unwrap();
        assert_eq!(url.as_str(), "http://example.com/");
        assert_eq!(
            host_header(&parse_url("https://example.com:443/").unwrap()),
            "example.com"
        );
        assert!(parse_url("ftp://x/")
            .unwrap_err()
            .contains("unsupported scheme"));
        assert!(parse_url("http://").is_err());
        assert!(parse_url("").unwrap_err().contains("no URL"));
        assert!(parse_url("http://exa mple.com/")
            .unwrap_err()
            .starts_with("bad URL"));
    }

    #[test]
    fn default_and_wire_forms() {
        let url = parse_url("http://h:1/p").unwrap();
        let text = default_request(&url, "GET");
        assert!(text.starts_with("GET /p HTTP/1.1\nHost: h:1\nUser-Agent: netplay/"));
        let wire = to_wire(&text);
        assert!(wire.ends_with(b"Connection: close\r\n\r\n"));
        assert!(!wire.windows(2).any(|w| w == b"\n\n"));
        let post = to_wire("POST / HTTP/1.1\nHost: h\n\nname=x");
        assert_eq!(
            post,
            b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\n\r\nname=x".to_vec()
        );
        let kept = to_wire("POST / HTTP/1.1\ncontent-length: 2\n\nabc");
        assert!(!String::from_utf8_lossy(&kept).contains("Content-Length: 3"));
        assert_eq!(
            to_wire("GET / HTTP/1.1"),
            b"GET / HTTP/1.1\r\n\r\n".to_vec()
        );
    }

    #[test]
    fn command_line_requests() {
        let url = parse_url("http://h:8/x").unwrap();
        let wire = build_wire(
            &url,
            "POST",
            &[
                ("user-agent".into(), "me".into()),
                ("X-A".into(), "1".into()),
            ],
            b"\x00\x01",
        );
        let text = String::from_utf8_lossy(&wire);
        assert!(
            text.starts_with("POST /x HTTP/1.1\r\nHost: h:8\r\nUser-Agent: me\r\n"),
            "{text}"
        );
        assert!(
            text.contains("X-A: 1\r\nContent-Length: 2\r\n\r\n"),
            "{text}"
        );
        assert!(wire.ends_with(b"\r\n\r\n\x00\x01"));
    }

    #[test]
    fn methods_and_names() {
        assert_eq!(
            with_method("GET / HTTP/1.1\nHost: x", "POST"),
            "POST / HTTP/1.1\nHost: x"
        );
        assert_eq!(method_of("HEAD / HTTP/1.1"), "HEAD");
        assert_eq!(
            file_name_for(&parse_url("http://h/").unwrap()),
            "index.html"
        );
        assert_eq!(
            file_name_for(&parse_url("http://h/dir/file.tar.gz?x").unwrap()),
            "file.tar.gz"
        );
        assert_eq!(
            file_name_for(&parse_url("http://h/../..").unwrap()),
            "index.html"
        );
    }
}
