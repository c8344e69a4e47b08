//! `fetch` reads what Node's parser (llhttp) reads and says where a
//! response strays from RFC 9112: bare-LF heads, empty lines before the
//! status line (also after a 100 Continue), whitespace after a chunk size
//! and an empty chunk extension.

use crate::common;

use common::cli::*;

fn fetch_verbose(reply: &[u8]) -> (i32, String, String) {
    let addr = common::answering_server(reply.to_vec());
    let output = wait_output(
        netplay(&["fetch", "-v", &format!("http://{addr}/")])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_bare_lf_head_is_read_and_flagged() {
    let (code, body, err) = fetch_verbose(b"HTTP/1.1 200 OK\nContent-Length: 5\n\nhello");
    assert_eq!((code, body.as_str()), (0, "hello"), "{err}");
    assert!(
        err.contains("* warning: 3 line(s) of the head end in a bare LF"),
        "{err}"
    );
}

#[test]
fn crlf_before_the_status_line_is_skipped_also_after_a_100() {
    let (code, body, err) = fetch_verbose(
        b"\r\nHTTP/1.1 100 Continue\r\n\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    );
    assert_eq!((code, body.as_str()), (0, "ok"), "{err}");
    assert!(
        err.contains("* warning: 2 byte(s) of empty lines (CR/LF) before the status line"),
        "{err}"
    );
    assert!(!err.contains("not an HTTP response"), "{err}");
}

#[test]
fn chunk_line_leniencies_are_flagged() {
    let (code, body, err) = fetch_verbose(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2 \r\nab\r\n1;\r\nc\r\n0\r\n\r\n",
    );
    assert_eq!((code, body.as_str()), (0, "abc"), "{err}");
    assert!(
        err.contains("* warning: whitespace after a chunk size"),
        "{err}"
    );
    assert!(err.contains("* warning: an empty chunk extension"), "{err}");
}

/// `fetch` writes an event stream to stdout as it arrives: the first event
/// is out before the server sends the second.
#[test]
fn fetch_streams_an_event_stream_as_it_arrives() {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (go_on, wait) = std::sync::mpsc::channel::<()>();
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut head = [0u8; 1024];
        let _ = std::io::Read::read(&mut stream, &mut head);
        stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\ndata: first\n\n")
            .unwrap();
        wait.recv_timeout(common::WAIT)
            .expect("the client saw the first event");
        stream.write_all(b"data: second\n\n").unwrap();
    });
    let mut child = netplay(&["fetch", "--timeout", "5", &format!("http://{addr}/events")])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "data: first");
    go_on.send(()).unwrap();
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    assert_eq!(rest, ["", "data: second", ""]);
    server.join().unwrap();
    assert!(child.wait().unwrap().success());
}
