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
