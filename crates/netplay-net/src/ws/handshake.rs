//! The opening handshake (RFC 6455 §4): an HTTP/1.1 `GET` with
//! `Upgrade: websocket`, answered by `101 Switching Protocols` whose
//! `Sec-WebSocket-Accept` proves the server read the client's key
//! (base64 of SHA-1 of the key and a fixed GUID). Both sides are here:
//! the server's check of a request, the client's request and its check of
//! the answer.

use base64::Engine as _;

/// The GUID every accept key is derived with (RFC 6455 §1.3).
const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The largest request head a server reads before refusing it.
pub const MAX_HEAD: usize = 16 * 1024;

/// `Sec-WebSocket-Accept` for a client's `Sec-WebSocket-Key`.
pub fn accept_key(key: &str) -> String {
    let mut input = key.trim().as_bytes().to_vec();
    input.extend_from_slice(GUID.as_bytes());
    let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &input);
    base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
}

/// A fresh `Sec-WebSocket-Key`: 16 random bytes, base64.
pub fn new_key() -> String {
    base64::engine::general_purpose::STANDARD.encode(random::<16>())
}

/// A fresh masking key.
pub fn new_mask() -> [u8; 4] {
    random::<4>()
}

fn random<const N: usize>() -> [u8; N] {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; N];
    // The system's generator does not fail on Linux; a zero key would
    // still be a valid (if predictable) key.
    let _ = ring::rand::SystemRandom::new().fill(&mut bytes);
    bytes
}

/// A request the server accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upgrade {
    /// The request target (`/chat`).
    pub path: String,
    /// The subprotocol chosen, if any.
    pub protocol: Option<String>,
    /// The whole `101` answer to send.
    pub response: Vec<u8>,
}

/// What a server makes of the bytes read so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerSide {
    /// The head is not complete yet.
    Partial,
    /// Upgraded; `used` bytes were the head (what follows are frames).
    Upgraded(Upgrade, usize),
    /// Refused: the reason, and the whole answer to send before closing
    /// (`400`, or `426` naming the version netplay speaks).
    Refused(String, Vec<u8>),
}

/// Reads a client's upgrade request from `bytes`; `protocols` are the
/// subprotocols this server speaks, the first the client also offers is
/// chosen (none offered or none in common: no protocol header).
pub fn accept(bytes: &[u8], protocols: &[String]) -> ServerSide {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut headers);
    let used = match request.parse(bytes) {
        Ok(httparse::Status::Complete(used)) if used <= MAX_HEAD => used,
        Ok(httparse::Status::Complete(_)) => {
            return refuse(400, &format!("a request head over {MAX_HEAD} B"))
        }
        Ok(httparse::Status::Partial) if bytes.len() <= MAX_HEAD => return ServerSide::Partial,
        Ok(httparse::Status::Partial) => {
            return refuse(400, &format!("a request head over {MAX_HEAD} B"))
        }
        Err(err) => return refuse(400, &format!("not an HTTP request ({err})")),
    };
    let header = |name: &str| {
        request
            .headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).trim().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let has_token = |name: &str, token: &str| {
        header(name)
            .split(',')
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    };
    if request.method != Some("GET") {
        return refuse(400, "a WebSocket upgrade is a GET request");
    }
    if request.version != Some(1) {
        return refuse(400, "a WebSocket upgrade needs HTTP/1.1");
    }
    if header("host").is_empty() {
        return refuse(400, "no Host header (HTTP/1.1 requires one)");
    }
    if !has_token("upgrade", "websocket") {
        return refuse(400, "no `Upgrade: websocket` header");
    }
    if !has_token("connection", "upgrade") {
        return refuse(400, "no `Connection: Upgrade` header");
    }
    if header("sec-websocket-version") != "13" {
        return ServerSide::Refused(
            "Sec-WebSocket-Version is not 13".into(),
            response_with(
                426,
                "Upgrade Required",
                "Sec-WebSocket-Version: 13\r\n",
                "this server speaks WebSocket version 13",
            ),
        );
    }
    let key = header("sec-websocket-key");
    let decoded = base64::engine::general_purpose::STANDARD.decode(key.as_bytes());
    if decoded.map(|k| k.len()) != Ok(16) {
        return refuse(400, "Sec-WebSocket-Key is not 16 bytes in base64");
    }
    let offered = header("sec-websocket-protocol");
    let protocol = offered
        .split(',')
        .map(str::trim)
        .find(|p| protocols.iter().any(|ours| ours == p))
        .map(str::to_string);
    let mut response = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n",
        accept_key(&key)
    );
    if let Some(protocol) = &protocol {
        response.push_str(&format!("Sec-WebSocket-Protocol: {protocol}\r\n"));
    }
    response.push_str("\r\n");
    let upgrade = Upgrade {
        path: request.path.unwrap_or("/").to_string(),
        protocol,
        response: response.into_bytes(),
    };
    ServerSide::Upgraded(upgrade, used)
}

fn refuse(status: u16, reason: &str) -> ServerSide {
    ServerSide::Refused(
        reason.to_string(),
        response_with(status, "Bad Request", "", reason),
    )
}

fn response_with(status: u16, words: &str, extra: &str, body: &str) -> Vec<u8> {
    let body = format!("{body}\n");
    format!(
        "HTTP/1.1 {status} {words}\r\n{extra}Content-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// A client's upgrade request for `host` (as the Host header has it) and
/// `path`, with `key`, the subprotocols offered and extra header lines.
pub fn request(
    host: &str,
    path: &str,
    key: &str,
    protocols: &[String],
    extra: &[String],
) -> Vec<u8> {
    let mut head = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
    );
    if !protocols.is_empty() {
        head.push_str(&format!(
            "Sec-WebSocket-Protocol: {}\r\n",
            protocols.join(", ")
        ));
    }
    for line in extra {
        head.push_str(line);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    head.into_bytes()
}

/// Checks a server's answer to a request made with `key` offering
/// `offered` subprotocols: the chosen one (if any), or why the upgrade
/// failed, in words.
pub fn check_response(
    status: u16,
    headers: &[(String, Vec<u8>)],
    key: &str,
    offered: &[String],
) -> Result<Option<String>, String> {
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| String::from_utf8_lossy(v).trim().to_string())
    };
    if status != 101 {
        return Err(format!(
            "the server answered {status}, not 101 Switching Protocols: no upgrade"
        ));
    }
    let expected = accept_key(key);
    match header("sec-websocket-accept") {
        None => return Err("the 101 has no Sec-WebSocket-Accept header".into()),
        Some(got) if got != expected => {
            return Err(format!(
                "Sec-WebSocket-Accept is {}, but the key asks for {expected}: the server did not read our key",
                crate::text::sanitize_str(&got)
            ))
        }
        Some(_) => {}
    }
    let token = |name: &str, token: &str| {
        header(name).is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
    };
    if !token("upgrade", "websocket") {
        return Err("the 101 has no `Upgrade: websocket` header".into());
    }
    if !token("connection", "upgrade") {
        return Err("the 101 has no `Connection: Upgrade` header".into());
    }
    if let Some(extensions) = header("sec-websocket-extensions") {
        return Err(format!(
            "the server chose extensions ({}) that were not offered",
            crate::text::sanitize_str(&extensions)
        ));
    }
    match header("sec-websocket-protocol") {
        Some(chosen) if !offered.contains(&chosen) => Err(format!(
            "the server chose the subprotocol {}, which was not offered",
            crate::text::sanitize_str(&chosen)
        )),
        chosen => Ok(chosen),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_example_key_gives_the_rfc_accept() {
        // RFC 6455 §1.3.
        assert_eq!(
            accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn a_request_is_accepted_with_the_first_common_protocol() {
        let key = new_key();
        let wire = request(
            "127.0.0.1:1",
            "/chat",
            &key,
            &["v2".into(), "chat".into()],
            &[],
        );
        let ServerSide::Upgraded(upgrade, used) = accept(&wire, &["chat".into(), "v2".into()])
        else {
            panic!("refused");
        };
        assert_eq!(used, wire.len());
        assert_eq!(upgrade.path, "/chat");
        assert_eq!(upgrade.protocol.as_deref(), Some("v2"));
        let text = String::from_utf8(upgrade.response).unwrap();
        assert!(text.contains(&accept_key(&key)), "{text}");
        assert!(accept(&wire[..wire.len() - 1], &[]) == ServerSide::Partial);
    }

    #[test]
    fn bad_requests_are_refused_with_a_reason() {
        let good = String::from_utf8(request("h", "/", &new_key(), &[], &[])).unwrap();
        for (broken, words) in [
            (good.replace("GET", "POST"), "GET"),
            (good.replace("websocket", "h2c"), "Upgrade"),
            (good.replace("Version: 13", "Version: 8"), "13"),
            (
                good.replace("Sec-WebSocket-Key: ", "Sec-WebSocket-Key: x"),
                "16 bytes",
            ),
            (good.replace("Host: h\r\n", ""), "Host"),
        ] {
            match accept(broken.as_bytes(), &[]) {
                ServerSide::Refused(reason, answer) => {
                    assert!(reason.contains(words), "{reason}");
                    assert!(answer.starts_with(b"HTTP/1.1 4"));
                }
                other => panic!("{words}: {other:?}"),
            }
        }
        assert!(matches!(
            accept(&vec![b'a'; MAX_HEAD + 1], &[]),
            ServerSide::Refused(..)
        ));
    }

    #[test]
    fn a_wrong_accept_is_said_plainly() {
        let key = new_key();
        let headers = vec![("Sec-WebSocket-Accept".to_string(), b"nope".to_vec())];
        let err = check_response(101, &headers, &key, &[]).unwrap_err();
        assert!(err.contains("did not read our key"), "{err}");
        let mut headers = vec![
            (
                "sec-websocket-accept".to_string(),
                accept_key(&key).into_bytes(),
            ),
            ("Upgrade".to_string(), b"websocket".to_vec()),
            ("Connection".to_string(), b"Upgrade".to_vec()),
        ];
        assert_eq!(check_response(101, &headers, &key, &[]), Ok(None));
        assert!(check_response(200, &headers, &key, &[]).is_err());
        headers.push(("Sec-WebSocket-Protocol".to_string(), b"evil".to_vec()));
        let err = check_response(101, &headers, &key, &["chat".into()]).unwrap_err();
        assert!(err.contains("not offered"), "{err}");
        headers.pop();
        headers.remove(1);
        let err = check_response(101, &headers, &key, &[]).unwrap_err();
        assert!(err.contains("Upgrade: websocket"), "{err}");
    }
}
