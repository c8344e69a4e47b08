//! The TCP server's `http` behaviour: answers each HTTP/1.1 request on a
//! connection with a small valid response, so the HTTP tab and `curl` can be
//! tried with no network. Heads are parsed with httparse; bodies are skipped
//! by Content-Length; keep-alive and pipelining work.

/// The largest request head accepted before answering 431.
pub const MAX_HEAD: usize = 64 * 1024;
/// The most request headers parsed.
pub const MAX_HEADERS: usize = 100;

/// One response to write, and whether to close after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpReply {
    /// The full response bytes (head and body).
    pub bytes: Vec<u8>,
    /// Close the connection once written.
    pub close: bool,
}

/// Per-connection request parser and responder.
#[derive(Debug)]
pub struct HttpResponder {
    peer: crate::stream::Endpoint,
    local: crate::stream::Endpoint,
    head: Vec<u8>,
    body_left: u64,
    pending: Option<HttpReply>,
    requests: u64,
    closed: bool,
}

impl HttpResponder {
    /// A responder for the connection between `peer` and `local`.
    pub fn new(peer: crate::stream::Endpoint, local: crate::stream::Endpoint) -> Self {
        Self {
            peer,
            local,
            head: Vec::new(),
            body_left: 0,
            pending: None,
            requests: 0,
            closed: false,
        }
    }

    /// Takes the bytes of one read and returns the responses now due.
    ///
    /// A loop, not recursion: a peer can pipeline thousands of requests in
    /// one write, and each costs one turn here, never a stack frame. Work
    /// per call is linear in `data` (one cursor over the buffer, one drain
    /// at the end), and the buffer holds at most one unparsed head.
    pub fn feed(&mut self, data: &[u8]) -> Vec<HttpReply> {
        let mut replies = Vec::new();
        if self.closed {
            return replies;
        }
        self.head.extend_from_slice(data);
        let mut at = 0;
        loop {
            if self.body_left > 0 {
                let available = (self.head.len() - at) as u64;
                let take = self.body_left.min(available);
                at += take as usize;
                self.body_left -= take;
                if self.body_left > 0 {
                    break;
                }
            }
            if let Some(reply) = self.pending.take() {
                self.push(reply, &mut replies);
                if self.closed {
                    break;
                }
            }
            if at == self.head.len() {
                break;
            }
            match parse_request(&self.head[at..]) {
                Parsed::Partial => {
                    if self.head.len() - at > MAX_HEAD {
                        self.push(
                            error_reply(431, "Request Header Fields Too Large", "head over 64 KiB"),
                            &mut replies,
                        );
                    }
                    break;
                }
                Parsed::Refused(reply) => {
                    self.push(reply, &mut replies);
                    break;
                }
                Parsed::Request(request) => {
                    self.requests += 1;
                    at += request.head_len;
                    self.body_left = request.content_length;
                    self.pending = Some(HttpReply {
                        bytes: self.response(
                            &request.method,
                            &request.path,
                            request.minor,
                            request.keep_alive,
                        ),
                        close: !request.keep_alive,
                    });
                }
            }
        }
        if self.closed {
            self.head = Vec::new();
        } else {
            self.head.drain(..at);
        }
        replies
    }

    fn push(&mut self, reply: HttpReply, replies: &mut Vec<HttpReply>) {
        self.closed |= reply.close;
        replies.push(reply);
    }

    fn response(&self, method: &str, path: &str, minor: u8, keep_alive: bool) -> Vec<u8> {
        let body = format!(
            "Hello from netplay!\n\nRequest: {method} {path} HTTP/1.{minor}\nClient:  {}\nServer:  {}\nRequest #{} on this connection.\n",
            self.peer, self.local, self.requests
        );
        let mut head = format!(
            "HTTP/1.1 200 OK\r\nServer: netplay/{}\r\nDate: {}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n",
            env!("CARGO_PKG_VERSION"),
            http_date(),
            body.len()
        );
        head.push_str(if keep_alive {
            "Connection: keep-alive\r\n\r\n"
        } else {
            "Connection: close\r\n\r\n"
        });
        let mut bytes = head.into_bytes();
        if method != "HEAD" {
            bytes.extend_from_slice(body.as_bytes());
        }
        bytes
    }
}

/// What one request head says, as far as the test server cares.
struct Request {
    head_len: usize,
    method: String,
    path: String,
    minor: u8,
    content_length: u64,
    keep_alive: bool,
}

enum Parsed {
    /// More bytes are needed.
    Partial,
    /// The request is answered with an error, and the connection closes.
    Refused(HttpReply),
    Request(Request),
}

fn parse_request(bytes: &[u8]) -> Parsed {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    let head_len = match request.parse(bytes) {
        Ok(httparse::Status::Partial) => return Parsed::Partial,
        Ok(httparse::Status::Complete(len)) => len,
        Err(httparse::Error::TooManyHeaders) => {
            return Parsed::Refused(error_reply(
                431,
                "Request Header Fields Too Large",
                "over 100 headers",
            ))
        }
        Err(err) => {
            return Parsed::Refused(error_reply(
                400,
                "Bad Request",
                &format!("not an HTTP request: {err}"),
            ))
        }
    };
    let minor = request.version.unwrap_or(1);
    let mut keep_alive = minor == 1;
    // Every Content-Length read the way `fetch` reads them: a sign, junk
    // or two values that differ leave the request's end unknowable (a
    // smuggled second request would hide there), so it is refused.
    let lengths = request
        .headers
        .iter()
        .filter(|header| header.name.eq_ignore_ascii_case("content-length"))
        .map(|header| header.value);
    let content_length = match crate::http::content_length::agreed(lengths) {
        Ok(length) => length.map_or(0, |(length, _)| length),
        Err(crate::http::content_length::LengthError::Invalid(_)) => {
            return Parsed::Refused(error_reply(400, "Bad Request", "invalid Content-Length"))
        }
        Err(crate::http::content_length::LengthError::Conflict(_)) => {
            return Parsed::Refused(error_reply(
                400,
                "Bad Request",
                "conflicting Content-Length values",
            ))
        }
    };
    for header in request.headers.iter() {
        let value = String::from_utf8_lossy(header.value);
        if header.name.eq_ignore_ascii_case("content-length") {
            continue;
        } else if header.name.eq_ignore_ascii_case("connection") {
            let value = value.to_ascii_lowercase();
            if value.contains("close") {
                keep_alive = false;
            } else if value.contains("keep-alive") {
                keep_alive = true;
            }
        } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
            return Parsed::Refused(error_reply(
                501,
                "Not Implemented",
                "chunked request bodies are not supported by netplay's test server",
            ));
        }
    }
    Parsed::Request(Request {
        head_len,
        method: request.method.unwrap_or("GET").to_string(),
        path: request.path.unwrap_or("/").to_string(),
        minor,
        content_length,
        keep_alive,
    })
}

fn error_reply(code: u16, reason: &str, detail: &str) -> HttpReply {
    let body = format!("{code} {reason}: {detail}\n");
    let bytes = format!(
        "HTTP/1.1 {code} {reason}\r\nServer: netplay/{}\r\nDate: {}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        env!("CARGO_PKG_VERSION"),
        http_date(),
        body.len()
    )
    .into_bytes();
    HttpReply { bytes, close: true }
}

fn http_date() -> String {
    chrono::Utc::now()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn responder() -> HttpResponder {
        HttpResponder::new(
            "127.0.0.1:5555"
                .parse::<std::net::SocketAddr>()
                .unwrap()
                .into(),
            "127.0.0.1:9999"
                .parse::<std::net::SocketAddr>()
                .unwrap()
                .into(),
        )
    }

    fn parse_response(bytes: &[u8]) -> (u16, usize, Vec<(String, String)>) {
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut response = httparse::Response::new(&mut headers);
        let len = match response.parse(bytes).unwrap() {
            httparse::Status::Complete(len) => len,
            httparse::Status::Partial => panic!("partial response"),
        };
        let headers = response
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_string(),
                    String::from_utf8_lossy(h.value).to_string(),
                )
            })
            .collect();
        (response.code.unwrap(), len, headers)
    }

    #[test]
    fn answers_a_get_in_pieces() {
        let mut r = responder();
        assert!(r.feed(b"GET /hi HTTP/1.1\r\nHost: x\r\n").is_empty());
        let replies = r.feed(b"\r\n");
        assert_eq!(replies.len(), 1);
        let (code, head_len, headers) = parse_response(&replies[0].bytes);
        assert_eq!(code, 200);
        let length: usize = headers
            .iter()
            .find(|(n, _)| n == "Content-Length")
            .unwrap()
            .1
            .parse()
            .unwrap();
        assert_eq!(replies[0].bytes.len() - head_len, length);
        assert!(String::from_utf8_lossy(&replies[0].bytes).contains("GET /hi HTTP/1.1"));
        assert!(!replies[0].close);
    }

    #[test]
    fn skips_bodies_and_pipelines() {
        let mut r = responder();
        let replies =
            r.feed(b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloHEAD / HTTP/1.1\r\nConnection: close\r\n\r\n");
        assert_eq!(replies.len(), 2);
        let (_, head_len, _) = parse_response(&replies[1].bytes);
        assert_eq!(head_len, replies[1].bytes.len(), "HEAD has no body");
        assert!(replies[1].close);
        assert!(r.feed(b"GET / HTTP/1.1\r\n\r\n").is_empty(), "closed");
    }

    #[test]
    fn a_smuggled_request_behind_a_signed_or_conflicting_length_is_never_answered() {
        // The smuggling shape: if the server read `+5` (or the last of two
        // lengths) as 5, "GET /smuggled" would be answered as a request.
        for heads in [
            "Content-Length: +5\r\n",
            "Content-Length: 0\r\nContent-Length: 5\r\n",
            "Content-Length: 5, 0\r\n",
        ] {
            let mut r = responder();
            let wire = format!("POST / HTTP/1.1\r\n{heads}\r\nhelloGET /smuggled HTTP/1.1\r\n\r\n");
            let replies = r.feed(wire.as_bytes());
            assert_eq!(replies.len(), 1, "{heads:?}");
            let (code, _, _) = parse_response(&replies[0].bytes);
            assert_eq!(code, 400, "{heads:?}");
            assert!(replies[0].close, "the connection ends: its framing is lost");
            let text = String::from_utf8_lossy(&replies[0].bytes);
            assert!(!text.contains("smuggled"), "{text}");
        }
    }

    #[test]
    fn the_same_length_twice_is_polite_and_answered() {
        let mut r = responder();
        let replies = r.feed(
            b"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhelloGET /next HTTP/1.1\r\n\r\n",
        );
        assert_eq!(replies.len(), 2);
        assert_eq!(parse_response(&replies[0].bytes).0, 200);
        assert!(String::from_utf8_lossy(&replies[1].bytes).contains("GET /next"));
    }

    #[test]
    fn body_split_across_reads() {
        let mut r = responder();
        assert!(r
            .feed(b"PUT / HTTP/1.0\r\nContent-Length: 4\r\n\r\nab")
            .is_empty());
        let replies = r.feed(b"cd");
        assert_eq!(replies.len(), 1);
        assert!(replies[0].close, "HTTP/1.0 closes by default");
    }

    #[test]
    fn rejects_garbage_and_huge_heads() {
        let mut r = responder();
        let replies = r.feed(b"Michael");
        assert!(
            replies.is_empty(),
            "could still become a request? no: method token"
        );
        let replies = r.feed(b" \x01\r\n\r\n");
        assert_eq!(parse_response(&replies[0].bytes).0, 400);
        let mut r = responder();
        let mut big = b"GET / HTTP/1.1\r\nX: ".to_vec();
        big.extend(std::iter::repeat_n(b'a', MAX_HEAD + 10));
        let replies = r.feed(&big);
        assert_eq!(parse_response(&replies[0].bytes).0, 431);
    }
}
