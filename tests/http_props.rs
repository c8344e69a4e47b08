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
