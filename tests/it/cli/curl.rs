//! `netplay fetch --from-curl`: a "Copy as cURL" command line sent as the
//! request it describes, to a loopback peer that records the bytes.

use crate::common;

use std::io::{Read, Write};

use common::cli::netplay;

/// A peer that reads one request whose body ends with `end`, answers 204
/// and returns what it read.
fn recording_peer(end: &'static [u8]) -> (std::net::SocketAddr, std::thread::JoinHandle<String>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(common::WAIT)).unwrap();
        let mut request = Vec::new();
        let mut buf = [0u8; 4096];
        while !request.ends_with(end) {
            let n = stream.read(&mut buf).unwrap();
            assert!(n > 0, "{}", String::from_utf8_lossy(&request));
            request.extend_from_slice(&buf[..n]);
        }
        stream
            .write_all(b"HTTP/1.1 204 No Content\r\n\r\n")
            .unwrap();
        String::from_utf8(request).unwrap()
    });
    (addr, peer)
}

#[test]
fn from_curl_sends_what_chrome_copied_and_lists_what_it_ignored() {
    let (addr, peer) = recording_peer(b"line2\"}");
    let command = format!(
        "curl 'http://{addr}/api/items?id=7' \\\n  -H 'accept: application/json' \\\n  -b 'session=abc' \\\n  -u user:pass \\\n  --compressed \\\n  --data-raw $'{{\"name\":\"O\\'Brien\",\"note\":\"line1\\\\nline2\"}}'"
    );
    let output = netplay(&["fetch", "--from-curl", &command])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("curl options not used: --compressed"),
        "{stderr}"
    );
    let request = peer.join().unwrap();
    assert!(
        request.starts_with("POST /api/items?id=7 HTTP/1.1\r\n"),
        "{request}"
    );
    assert!(
        request.contains("Accept: application/json\r\n"),
        "{request}"
    );
    assert!(request.contains("Cookie: session=abc\r\n"), "{request}");
    assert!(
        request.contains("Authorization: Basic dXNlcjpwYXNz\r\n"),
        "{request}"
    );
    assert!(
        request.ends_with("\r\n\r\n{\"name\":\"O'Brien\",\"note\":\"line1\\nline2\"}"),
        "{request}"
    );
}

#[test]
fn options_given_to_netplay_win_over_the_curl_command() {
    let (addr, peer) = recording_peer(b"mine");
    let command = format!("curl -X POST -H 'X-Who: curl' -d theirs http://{addr}/a");
    let output = netplay(&[
        "fetch",
        "-X",
        "PUT",
        "-H",
        "X-Who: netplay",
        "-d",
        "mine",
        "--from-curl",
        &command,
    ])
    .output()
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let request = peer.join().unwrap();
    assert!(request.starts_with("PUT /a HTTP/1.1\r\n"), "{request}");
    assert!(
        request.contains("X-Who: netplay\r\n") && !request.contains("X-Who: curl"),
        "{request}"
    );
}

#[test]
fn a_bad_curl_command_is_one_line_and_exit_2() {
    let output = netplay(&["fetch", "--from-curl", "curl -H"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("curl option -H needs a value"), "{stderr}");
}

#[test]
fn line_breaks_in_headers_and_methods_never_reach_the_wire() {
    for args in [
        vec!["fetch", "-H", "X: a\r\nInjected: 2", "http://127.0.0.1:9/"],
        vec![
            "fetch",
            "-X",
            "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\nGET",
            "http://127.0.0.1:9/",
        ],
        vec![
            "fetch",
            "--from-curl",
            "curl -H $'X: a\\r\\nY: b' http://127.0.0.1:9/",
        ],
    ] {
        let output = netplay(&args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("line break") || stderr.contains("not an HTTP token"),
            "{stderr}"
        );
    }
    let output = netplay(&["fetch", "--from-curl", "curl -é http://127.0.0.1:9/"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("curl options not used: -é"),
        "no panic, a list: {stderr}"
    );
}

#[test]
fn what_a_pasted_curl_command_holds_never_drives_the_terminal() {
    // Unused options and the values of -o, -b, -d @file, -F carry escape
    // sequences (a window title, a clipboard write): stderr shows them as
    // text. Port 9 on loopback: nothing listens, the request fails fast.
    let command = "curl --\x1b]2;TITLE\x07 -o \x1b]52;c;AAAA\x07 -b \x1b[2J -d @\x1b[31m -F a=\x07b http://127.0.0.1:9/";
    let output = netplay(&["fetch", "--from-curl", command])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("curl options not used"), "{stderr}");
    for byte in [0x1b_u8, 0x07, 0x9b] {
        assert!(
            !output.stderr.contains(&byte) && !output.stdout.contains(&byte),
            "a raw {byte:#x} reached the terminal: {stderr:?}"
        );
    }
    assert!(
        stderr.contains("\\u{1b}]2;TITLE"),
        "shown as text: {stderr}"
    );
}
