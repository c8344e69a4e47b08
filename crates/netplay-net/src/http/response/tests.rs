//! The response parser's unit tests: framing, interims, chunked bodies.
use super::*;

fn run(parts: &[&[u8]], head_request: bool) -> (Vec<Output>, Result<(), ParseError>) {
    let mut parser = ResponseParser::new(head_request);
    let mut all = Vec::new();
    for part in parts {
        match parser.feed(part) {
            Ok(out) => all.extend(out),
            Err(err) => return (all, Err(err)),
        }
    }
    match parser.finish() {
        Ok(out) => {
            all.extend(out);
            (all, Ok(()))
        }
        Err(err) => (all, Err(err)),
    }
}

fn body(outputs: &[Output]) -> Vec<u8> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Body(b) => Some(b.clone()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .concat()
}

#[test]
fn content_length_split_anywhere() {
    let whole: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Case: MiXed\r\n\r\nhello";
    for cut in 0..whole.len() {
        let (out, result) = run(&[&whole[..cut], &whole[cut..]], false);
        result.unwrap();
        assert_eq!(body(&out), b"hello", "cut at {cut}");
        assert_eq!(out.last(), Some(&Output::Done));
        match &out[0] {
            Output::Head(head) => {
                assert_eq!(head.headers[1].0, "X-Case", "case kept");
                assert_eq!(head.raw, whole[..whole.len() - 5].to_vec());
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn chunked_with_trailers() {
    let whole: &[u8] =
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 42\r\n\r\n";
    for cut in 0..whole.len() {
        let (out, result) = run(&[&whole[..cut], &whole[cut..]], false);
        result.unwrap();
        assert_eq!(body(&out), b"hello world", "cut at {cut}");
        assert!(out.contains(&Output::Trailers(vec![("X-Sum".into(), b"42".to_vec())])));
    }
}

#[test]
fn no_body_cases() {
    for (status, head_req) in [(204, false), (304, false), (200, true)] {
        let raw = format!("HTTP/1.1 {status} X\r\nContent-Length: 10\r\n\r\n");
        let (out, result) = run(&[raw.as_bytes()], head_req);
        result.unwrap();
        assert!(body(&out).is_empty());
        assert_eq!(out.last(), Some(&Output::Done));
    }
}

#[test]
fn interim_continue_is_skipped() {
    let (out, result) = run(
        &[b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"],
        false,
    );
    result.unwrap();
    assert!(matches!(&out[0], Output::Interim(h) if h.status == 100));
    assert!(matches!(&out[1], Output::Head(h) if h.status == 200));
    assert_eq!(body(&out), b"ok");
}

#[test]
fn read_until_close() {
    let (out, result) = run(&[b"HTTP/1.0 200 OK\r\n\r\nall of ", b"it"], false);
    result.unwrap();
    assert_eq!(body(&out), b"all of it");
}

#[test]
fn framing_conflicts() {
    let (out, result) = run(
        &[b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"],
        false,
    );
    result.unwrap();
    assert_eq!(body(&out), b"ok");
    assert!(matches!(&out[0], Output::Head(h) if h.warnings[0].contains("Content-Length ignored")));
    let (_, result) = run(
        &[b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"],
        false,
    );
    assert!(result
        .unwrap_err()
        .0
        .contains("conflicting Content-Length values 3 and 4"));
    let (_, result) = run(&[b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"], false);
    assert!(result.unwrap_err().0.contains("invalid Content-Length"));
}

#[test]
fn clear_errors() {
    let err = |parts: &[&[u8]]| run(parts, false).1.unwrap_err().0;
    assert!(err(&[b"Welcome!"]).contains("not an HTTP response: the server sent \"Welcome!\""));
    assert!(err(&[b"HTTP/1.1 2x0 OK\r\n\r\n"]).contains("malformed response head"));
    assert!(err(&[b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"])
        .contains("truncated body: 3 of 10 bytes"));
    assert!(
        err(&[b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"])
            .contains("bad chunk size")
    );
    assert!(
        err(&[b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc"])
            .contains("not followed by CRLF")
    );
    assert!(
        err(&[b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"])
            .contains("truncated chunked body")
    );
    assert!(err(&[b""]).contains("without sending a response"));
    let mut big = b"HTTP/1.1 200 OK\r\nX: ".to_vec();
    big.extend(std::iter::repeat_n(b'a', MAX_HEAD + 1));
    assert!(err(&[&big]).contains("larger than 64 KiB"));
    let mut many = b"HTTP/1.1 200 OK\r\n".to_vec();
    for i in 0..=MAX_HEADERS {
        many.extend(format!("H{i}: v\r\n").as_bytes());
    }
    many.extend(b"\r\n");
    assert!(err(&[&many]).contains("more than 100 headers"));
}

#[test]
fn huge_chunk_size_allocates_nothing() {
    let mut parser = ResponseParser::new(false);
    let out = parser
        .feed(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nabc")
        .unwrap();
    assert_eq!(body(&out), b"abc");
    assert!(parser.finish().is_err());
}

fn warnings(outputs: &[Output]) -> Vec<String> {
    let mut all = Vec::new();
    for output in outputs {
        match output {
            Output::Head(head) | Output::Interim(head) => all.extend(head.warnings.clone()),
            Output::Warning(words) => all.push(words.clone()),
            _ => {}
        }
    }
    all
}

#[test]
fn bare_lf_lines_are_read_and_flagged() {
    let (out, result) = run(&[b"HTTP/1.1 200 OK\nContent-Length: 2\n\nhi"], false);
    result.unwrap();
    assert_eq!(body(&out), b"hi");
    let said = warnings(&out);
    assert!(
        said.iter()
            .any(|w| w.contains("3 line(s) of the head end in a bare LF")),
        "{said:?}"
    );
    // A CRLF head says nothing.
    let (out, _) = run(&[b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"], false);
    assert!(warnings(&out).is_empty());
}

#[test]
fn empty_lines_before_a_status_line_are_skipped_as_llhttp_does() {
    let whole: &[u8] =
        b"\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    for cut in 0..whole.len() {
        let (out, result) = run(&[&whole[..cut], &whole[cut..]], false);
        result.unwrap_or_else(|err| panic!("cut {cut}: {err:?}"));
        assert_eq!(body(&out), b"ok", "cut {cut}");
        let said = warnings(&out);
        assert!(
            said.iter().any(|w| w.contains("4 byte(s) of empty lines")),
            "{said:?}"
        );
        assert!(
            said.iter().any(|w| w.contains("2 byte(s) of empty lines")),
            "{said:?}"
        );
    }
    // Only empty lines, past the head cap: refused, not buffered forever.
    let flood = vec![b'\n'; MAX_HEAD + 1];
    assert!(run(&[&flood], false).1.is_err());
}

#[test]
fn chunk_size_whitespace_and_an_empty_extension_are_flagged_once() {
    let (out, result) = run(
        &[b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1 \r\na\r\n1;\r\nb\r\n1 ;\r\nc\r\n1;name\r\nd\r\n0\r\n\r\n"],
        false,
    );
    result.unwrap();
    assert_eq!(body(&out), b"abcd");
    let said = warnings(&out);
    assert_eq!(
        said.iter()
            .filter(|w| w.contains("whitespace after a chunk size"))
            .count(),
        1,
        "{said:?}"
    );
    assert_eq!(
        said.iter()
            .filter(|w| w.contains("an empty chunk extension"))
            .count(),
        1,
        "{said:?}"
    );
    // A named extension alone is fine.
    let (out, _) = run(
        &[b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;name=v\r\na\r\n0\r\n\r\n"],
        false,
    );
    assert!(warnings(&out).is_empty(), "{:?}", warnings(&out));
}
