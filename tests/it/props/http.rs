//! The HTTP response parser never panics, whatever a server sends, however
//! the bytes are split across reads.

use netplay::net::http::response::{Output, ResponseParser};
use proptest::prelude::*;

/// Bytes that look like HTTP often enough to reach every state.
fn responses() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"HTTP/1.1 200 OK\r\n".to_vec()),
        Just(b"HTTP/1.1 100 Continue\r\n\r\n".to_vec()),
        Just(b"Content-Length: 5\r\n".to_vec()),
        Just(b"Content-Length: 18446744073709551615\r\n".to_vec()),
        Just(b"Transfer-Encoding: chunked\r\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"ffffffffffffffff\r\n".to_vec()),
        Just(b"0\r\n\r\n".to_vec()),
        Just(b"5\r\nhello\r\n".to_vec()),
        prop::collection::vec(any::<u8>(), 0..16),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
}

proptest! {
    #[test]
    fn parser_never_panics(bytes in responses(), cuts in prop::collection::vec(any::<usize>(), 0..4), head in any::<bool>()) {
        let mut parser = ResponseParser::new(head);
        let mut rest: &[u8] = &bytes;
        let mut body = 0u64;
        for cut in cuts {
            let at = if rest.is_empty() { 0 } else { cut % rest.len() };
            let (now, later) = rest.split_at(at);
            rest = later;
            match parser.feed(now) {
                Ok(out) => body += out.iter().map(|o| match o { Output::Body(b) => b.len() as u64, _ => 0 }).sum::<u64>(),
                Err(_) => return Ok(()),
            }
        }
        if let Ok(out) = parser.feed(rest) {
            body += out.iter().map(|o| match o { Output::Body(b) => b.len() as u64, _ => 0 }).sum::<u64>();
            let _ = parser.finish();
        }
        prop_assert!(body <= bytes.len() as u64, "never more body than bytes");
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let mut parser = ResponseParser::new(false);
        if parser.feed(&bytes).is_ok() {
            let _ = parser.finish();
        }
    }
}

/// One pipelined request for the test server, and whether it is valid.
fn request() -> impl Strategy<Value = (Vec<u8>, bool)> {
    prop_oneof![
        "[a-z]{0,8}".prop_map(|path| (
            format!("GET /{path} HTTP/1.1\r\nHost: x\r\n\r\n").into_bytes(),
            true
        )),
        prop::collection::vec(any::<u8>(), 0..40).prop_map(|body| {
            let mut bytes =
                format!("POST / HTTP/1.1\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
            bytes.extend_from_slice(&body);
            (bytes, true)
        }),
        Just((b"HEAD / HTTP/1.1\r\n\r\n".to_vec(), true)),
        Just((b"A / HTTP/1.1\r\n\r\n".to_vec(), true)),
        Just((b"\x00garbage\r\n\r\n".to_vec(), false)),
        Just((
            b"GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n".to_vec(),
            false
        )),
    ]
}

fn status_lines(
    replies: &[netplay::net::behaviour::http_responder::HttpReply],
) -> Vec<(String, bool)> {
    replies
        .iter()
        .map(|reply| {
            let text = String::from_utf8_lossy(&reply.bytes);
            (text.lines().next().unwrap_or("").to_string(), reply.close)
        })
        .collect()
}

proptest! {
    #[test]
    fn pipelined_requests_get_the_same_answers_however_split(
        requests in prop::collection::vec(request(), 1..40),
        cuts in prop::collection::vec(any::<usize>(), 0..12),
    ) {
        use netplay::net::behaviour::http_responder::HttpResponder;
        let peer: netplay::net::stream::Endpoint = "127.0.0.1:5555".parse::<std::net::SocketAddr>().unwrap().into();
        let local: netplay::net::stream::Endpoint = "127.0.0.1:9999".parse::<std::net::SocketAddr>().unwrap().into();
        let wire: Vec<u8> = requests.iter().flat_map(|(bytes, _)| bytes.clone()).collect();
        // Answered: every valid request up to the first invalid one, which
        // gets an error and closes the connection.
        let valid_prefix = requests.iter().take_while(|(_, ok)| *ok).count();
        let expected = valid_prefix + usize::from(valid_prefix < requests.len());

        let whole = HttpResponder::new(peer.clone(), local.clone()).feed(&wire);
        prop_assert_eq!(whole.len(), expected);

        let mut split = HttpResponder::new(peer, local);
        let mut replies = Vec::new();
        let mut points: Vec<usize> = cuts.iter().map(|c| c % (wire.len() + 1)).collect();
        points.sort_unstable();
        let mut from = 0;
        for point in points.into_iter().chain(std::iter::once(wire.len())) {
            replies.extend(split.feed(&wire[from..point]));
            from = point;
        }
        prop_assert_eq!(status_lines(&replies), status_lines(&whole));
    }
}
