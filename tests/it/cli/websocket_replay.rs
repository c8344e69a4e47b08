//! A recorded WebSocket session (`netplay ws --record`) played back as
//! messages: `replay --serve` answers a new client's upgrade afresh (its
//! key is not the recorded one) and `replay --connect` compares a server's
//! messages, not its bytes.

use crate::common;

use std::io::Write;
use std::net::TcpStream;
use std::path::Path;
use std::process::Stdio;

use common::cli::*;
use tungstenite::Message;

/// Records `netplay ws` saying `lines` to `ws serve` (greet) into `file`.
fn record_session(file: &Path, lines: &[u8]) {
    let server = Server::start(&["ws", "serve", "127.0.0.1:0"]);
    let addr = server.address("Listening on ");
    let url = format!("ws://{addr}/chat");
    let mut child = netplay(&["ws", &url, "--record", file.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(lines).unwrap();
    let output = wait_output(child);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn replay_serve_answers_a_fresh_upgrade_and_plays_the_messages() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ws.jsonl");
    record_session(&file, b"Michael\nTracy\n");

    let replay = Server::start(&["replay", file.to_str().unwrap(), "--serve", "127.0.0.1:0"]);
    let addr = replay.address("on ");
    replay.line_with("A WebSocket session");
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(common::WAIT)).unwrap();
    // tungstenite checks Sec-WebSocket-Accept against its own fresh key:
    // the recorded bytes would fail here.
    let (mut ws, _) = tungstenite::client(format!("ws://{addr}/chat"), stream).unwrap();
    ws.send(Message::text("Michael")).unwrap();
    ws.send(Message::text("Tracy")).unwrap();
    let mut got = Vec::new();
    while got.len() < 3 {
        match ws.read().unwrap() {
            Message::Text(text) => got.push(text.to_string()),
            _ => continue,
        }
    }
    assert_eq!(got, ["Welcome!", "Hello, Michael!", "Hello, Tracy!"]);
    ws.close(None).unwrap();
    loop {
        match ws.read() {
            Ok(Message::Close(Some(frame))) => {
                assert_eq!(u16::from(frame.code), 1000, "the recorded close");
                break;
            }
            Ok(_) => continue,
            Err(tungstenite::Error::ConnectionClosed) => break,
            Err(err) => panic!("{err}"),
        }
    }
}

#[test]
fn replay_connect_compares_messages_not_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ws.jsonl");
    record_session(&file, b"Michael\n");
    let path = file.to_str().unwrap();

    // Another greet server: same messages (its frames are new bytes).
    let greet = Server::start(&["ws", "serve", "127.0.0.1:0"]);
    let addr = greet.address("Listening on ").to_string();
    let output = wait_output(
        netplay(&["replay", path, "--connect", &addr])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("The server answered as recorded"),
        "{stdout}"
    );

    // Another server answers the upgrade too, then says something else.
    let (other, _) = common::ws::greeting_server("Bienvenue!");
    let addr = other.to_string();
    let output = wait_output(
        netplay(&["replay", path, "--connect", &addr])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "differ at message 1: recorded text (8 B) Welcome! · got text (10 B) Bienvenue!"
        ),
        "{stderr}"
    );

    // A plain server never upgrades.
    let plain = Server::start(&["tcp", "serve", "127.0.0.1:0", "--mode", "http"]);
    let addr = plain.address("Listening on ").to_string();
    let output = wait_output(
        netplay(&["replay", path, "--connect", &addr])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "differ at the upgrade: recorded HTTP/1.1 101 Switching Protocols · got HTTP/1.1 "
        ),
        "{stderr}"
    );
}
