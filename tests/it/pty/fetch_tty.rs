//! `fetch -o /dev/tty`: a body written to a terminal passes the gate, as
//! on stdout — a hostile server cannot retitle the window through it.

use crate::common;

use netplay_pty as harness;

#[test]
fn a_body_sent_to_the_terminal_cannot_drive_it() {
    let server = common::answering_server(
        b"HTTP/1.1 200 OK\r\nContent-Length: 19\r\n\r\nhi\x1b]0;PWNED\x07 there\n".to_vec(),
    );
    let url = format!("http://{server}/");
    let mut np = harness::Netplay::start(80, 24, &["fetch", "-o", "/dev/tty", &url]);
    np.wait_for_text("there");
    let raw = np.raw_since(0);
    assert!(
        !raw.windows(2).any(|w| w == b"\x1b]"),
        "an OSC reached the terminal: {:?}",
        String::from_utf8_lossy(&raw)
    );
    assert!(String::from_utf8_lossy(&raw).contains("\\x1b]0;PWNED\\x07"));
    np.wait_exit();
}

#[test]
fn a_character_cut_between_two_reads_shows_as_itself_on_a_terminal() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (go, wait) = std::sync::mpsc::channel::<()>();
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = [0u8; 1024];
        let _ = stream.read(&mut request);
        stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 18\r\n\r\nsplit \xe2\x82")
            .unwrap();
        // The rest only once the first part has been shown (or not).
        let _ = wait.recv_timeout(common::WAIT);
        stream.write_all(b"\xac euro\n\n\n").unwrap();
    });
    let url = format!("http://{addr}/");
    let mut np = harness::Netplay::start(80, 24, &["fetch", &url]);
    np.wait_for_text("split");
    go.send(()).unwrap();
    np.wait_for_text("euro");
    let raw = String::from_utf8_lossy(&np.raw_since(0)).to_string();
    assert!(raw.contains("split € euro"), "{raw:?}");
    assert!(!raw.contains("\\xe2"), "{raw:?}");
    np.wait_exit();
    server.join().unwrap();
}
