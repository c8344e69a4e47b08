//! `netplay ws serve` (and `tcp serve --websocket`) against a real
//! WebSocket library (tungstenite, a blocking client over `std::net`), and
//! against raw sockets that break RFC 6455 on purpose.

use crate::common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

use common::cli::*;
use netplay::net::ws::frame::{encode, Opcode};
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::{Message, WebSocket};

type Client = WebSocket<TcpStream>;

fn client(
    addr: SocketAddr,
    protocols: Option<&str>,
) -> (Client, tungstenite::handshake::client::Response) {
    use tungstenite::client::IntoClientRequest;
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(common::WAIT)).unwrap();
    let mut request = format!("ws://{addr}/chat").into_client_request().unwrap();
    if let Some(protocols) = protocols {
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", protocols.parse().unwrap());
    }
    tungstenite::client(request, stream).expect("the upgrade")
}

fn text(client: &mut Client) -> String {
    loop {
        match client.read().expect("a message") {
            Message::Text(text) => return text.to_string(),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("expected text, got {other:?}"),
        }
    }
}

fn close_code(client: &mut Client) -> CloseCode {
    loop {
        match client.read() {
            Ok(Message::Close(Some(frame))) => return frame.code,
            Ok(Message::Close(None)) => panic!("a close without a code"),
            Ok(_) => continue,
            Err(err) => panic!("no close frame: {err}"),
        }
    }
}

#[test]
fn the_tutorials_greet_over_websocket() {
    let server = Server::start(&["ws", "serve", "127.0.0.1:0"]);
    let addr = server.address("Listening on ");
    let (mut ws, _) = client(addr, None);
    assert_eq!(text(&mut ws), "Welcome!");
    ws.send(Message::text("Michael")).unwrap();
    assert_eq!(text(&mut ws), "Hello, Michael!");
    // A ping is answered with a pong carrying the same bytes.
    ws.send(Message::Ping(b"are you there".to_vec().into()))
        .unwrap();
    match ws.read().unwrap() {
        Message::Pong(bytes) => assert_eq!(&bytes[..], b"are you there"),
        other => panic!("expected a pong, got {other:?}"),
    }
    ws.send(Message::text("exit")).unwrap();
    assert_eq!(close_code(&mut ws), CloseCode::Normal);
    server.line_with("upgraded to WebSocket: 101 Switching Protocols for GET /chat");
    let frame = server.line_with(" text frame · FIN · 7 B · mask ");
    assert!(frame.ends_with(": Michael"), "{frame}");
    server.line_with(" pong frame · FIN · 13 B: are you there");
    server.line_with("WebSocket close 1000 (normal closure): client sent exit");
}

#[test]
fn echo_answers_text_binary_and_a_fragmented_message_whole() {
    let server = Server::start(&[
        "tcp",
        "serve",
        "127.0.0.1:0",
        "--mode",
        "echo",
        "--websocket",
    ]);
    let addr = server.address("Listening on ");
    let (mut ws, _) = client(addr, None);
    ws.send(Message::text("héllo")).unwrap();
    assert_eq!(text(&mut ws), "héllo");
    let big = vec![0xa5u8; 1 << 20];
    ws.send(Message::binary(big.clone())).unwrap();
    match ws.read().unwrap() {
        Message::Binary(bytes) => assert!(bytes[..] == big[..], "the 1 MiB came back whole"),
        other => panic!("{other:?}"),
    }
    // Three fragments with a ping between them, as raw frames.
    let mut raw = TcpStream::connect(addr).unwrap();
    raw.set_read_timeout(Some(common::WAIT)).unwrap();
    upgrade(&mut raw);
    let mut wire = Vec::new();
    encode(&mut wire, false, Opcode::Text, b"one ", Some([1, 2, 3, 4]));
    encode(&mut wire, true, Opcode::Ping, b"", Some([5, 6, 7, 8]));
    encode(
        &mut wire,
        false,
        Opcode::Continuation,
        b"two ",
        Some([9, 9, 9, 9]),
    );
    encode(
        &mut wire,
        true,
        Opcode::Continuation,
        b"three",
        Some([0, 1, 0, 1]),
    );
    raw.write_all(&wire).unwrap();
    let mut expected = Vec::new();
    encode(&mut expected, true, Opcode::Pong, b"", None);
    encode(&mut expected, true, Opcode::Text, b"one two three", None);
    let mut got = vec![0u8; expected.len()];
    raw.read_exact(&mut got).unwrap();
    assert_eq!(got, expected);
    server.line_with("text message of 13 B, reassembled from 3 frames: one two three");
}

/// Sends a valid upgrade request and reads the 101's head.
fn upgrade(raw: &mut TcpStream) {
    let key = netplay::net::ws::handshake::new_key();
    raw.write_all(&netplay::net::ws::handshake::request(
        "x",
        "/",
        &key,
        &[],
        &[],
    ))
    .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        raw.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    assert!(
        head.starts_with(b"HTTP/1.1 101 "),
        "{}",
        String::from_utf8_lossy(&head)
    );
}

/// What a raw peer gets back after `wire`: the close frame's code.
fn closed_with(addr: SocketAddr, wire: &[u8]) -> u16 {
    let mut raw = TcpStream::connect(addr).unwrap();
    raw.set_read_timeout(Some(common::WAIT)).unwrap();
    upgrade(&mut raw);
    raw.write_all(wire).unwrap();
    let mut rest = Vec::new();
    let _ = raw.read_to_end(&mut rest);
    let head = netplay::net::ws::frame::parse_head(&rest).expect("a frame back");
    assert_eq!(head.opcode, Opcode::Close, "{rest:?}");
    u16::from_be_bytes([rest[head.head_len], rest[head.head_len + 1]])
}

#[test]
fn broken_rules_are_closed_with_their_codes_and_a_polite_peer_passes() {
    let server = Server::start(&[
        "ws",
        "serve",
        "127.0.0.1:0",
        "--mode",
        "echo",
        "--max-message",
        "1024",
    ]);
    let addr = server.address("Listening on ");
    let masked = |opcode, payload: &[u8]| {
        let mut wire = Vec::new();
        encode(&mut wire, true, opcode, payload, Some([7, 7, 7, 7]));
        wire
    };
    let mut unmasked = Vec::new();
    encode(&mut unmasked, true, Opcode::Text, b"hi", None);
    assert_eq!(closed_with(addr, &unmasked), 1002);
    server.line_with("a client frame without a mask");
    assert_eq!(
        closed_with(addr, &masked(Opcode::Text, &[0xc3, 0x28])),
        1007
    );
    assert_eq!(closed_with(addr, &masked(Opcode::Binary, &[0; 1025])), 1009);
    server.line_with("over the message cap of 1024 B → closing with 1009 (message too big)");
    assert_eq!(closed_with(addr, &masked(Opcode::Reserved(3), b"")), 1002);
    assert_eq!(closed_with(addr, &masked(Opcode::Ping, &[0; 126])), 1002);
    // A head that announces 1 TiB is refused before anything is buffered;
    // one with the length's top bit set breaks RFC 6455 §5.2.
    for (len, code) in [(1u64 << 40, 1009), (u64::MAX, 1002)] {
        let mut huge = vec![0x82, 0xff];
        huge.extend_from_slice(&len.to_be_bytes());
        huge.extend_from_slice(&[1, 2, 3, 4]);
        assert_eq!(closed_with(addr, &huge), code);
    }
    // Exactly at the cap: answered.
    let (mut ws, _) = client(addr, None);
    ws.send(Message::binary(vec![1u8; 1024])).unwrap();
    assert!(matches!(ws.read().unwrap(), Message::Binary(b) if b.len() == 1024));
}

#[test]
fn a_bad_upgrade_gets_a_4xx_with_its_reason() {
    let server = Server::start(&["ws", "serve", "127.0.0.1:0"]);
    let addr = server.address("Listening on ");
    for (request, status, words) in [
        ("GET / HTTP/1.1\r\nHost: x\r\n\r\n", "400", "no `Upgrade: websocket` header"),
        (
            "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n",
            "426",
            "version 13",
        ),
        ("\x16\x03\x01 not http at all\r\n\r\n", "400", "not an HTTP request"),
    ] {
        let mut raw = TcpStream::connect(addr).unwrap();
        raw.set_read_timeout(Some(common::WAIT)).unwrap();
        raw.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        let _ = raw.read_to_string(&mut answer);
        assert!(answer.starts_with(&format!("HTTP/1.1 {status} ")), "{answer}");
        assert!(answer.contains(words), "{answer}");
    }
    server.line_with("WebSocket upgrade refused: no `Upgrade: websocket` header");
}

#[test]
fn the_first_common_subprotocol_is_chosen_and_json_tells_each_frame() {
    let server = Server::start(&[
        "--json",
        "ws",
        "serve",
        "127.0.0.1:0",
        "--mode",
        "echo",
        "--protocol",
        "chat",
        "--protocol",
        "v2",
    ]);
    let first = server.line_with("\"listening\"");
    let value: serde_json::Value = serde_json::from_str(&first).unwrap();
    let addr: SocketAddr = value["local"].as_str().unwrap().parse().unwrap();
    let (mut ws, response) = client(addr, Some("v2, chat"));
    assert_eq!(response.headers()["Sec-WebSocket-Protocol"], "v2");
    ws.send(Message::text("\x1b]0;owned\x07")).unwrap();
    assert_eq!(text(&mut ws), "\x1b]0;owned\x07");
    let upgraded: serde_json::Value =
        serde_json::from_str(&server.line_with("\"ws_upgraded\"")).unwrap();
    assert_eq!(upgraded["protocol"], "v2");
    let frame: serde_json::Value = serde_json::from_str(&server.line_with("\"ws_frame\"")).unwrap();
    assert_eq!(
        (frame["dir"].as_str(), frame["opcode"].as_str()),
        (Some("in"), Some("text"))
    );
    assert_eq!(frame["fin"], true);
    assert_eq!(frame["mask"].as_str().map(str::len), Some(8));
    // The peer's escape sequence is data, escaped: it drives no terminal.
    assert_eq!(frame["data"], "\\x1b]0;owned\\x07");
}

/// Runs `netplay ws ARGS` with `stdin`; its output.
fn ws_client(args: &[&str], stdin: &[u8]) -> std::process::Output {
    use std::process::Stdio;
    let mut child = netplay(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    std::thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    wait_output(child)
}

#[test]
fn ws_pipes_stdin_lines_to_ws_serve_and_messages_to_stdout() {
    let server = Server::start(&["ws", "serve", "127.0.0.1:0"]);
    let addr = server.address("Listening on ");
    let output = ws_client(&["ws", &format!("ws://{addr}/")], b"Michael\nTracy\r\n");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "Welcome!\nHello, Michael!\nHello, Tracy!\n"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("Connected: HTTP/1.1 101 Switching Protocols"),
        "{stderr}"
    );
    assert!(
        stderr.contains("The server closed: 1000 (normal closure)"),
        "{stderr}"
    );
    // Its close frame carried our code.
    server.line_with("close frame · FIN · 2 B · mask ");
}

#[test]
fn wss_verifies_netplays_own_tls_server_with_its_ca() {
    let server = Server::start(&["ws", "serve", "127.0.0.1:0", "--mode", "echo", "--tls"]);
    let addr = server.address("Listening on ");
    let ca = netplay(&["ca", "path"]).output().unwrap();
    let ca = String::from_utf8_lossy(&ca.stdout).trim().to_string();
    let url = format!("wss://{addr}/secure");
    let output = ws_client(&["ws", &url, "--cacert", &ca], b"over TLS\n");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout), "over TLS\n");
    // netplay's clients trust its local CA without being told (as fetch).
    let output = ws_client(&["ws", &url], b"trusted\n");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "trusted\n");
    // A name the certificate does not carry is refused, with a reason.
    let output = ws_client(&["ws", &url, "--sni", "elsewhere.example"], b"x\n");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("elsewhere.example"), "{stderr}");
    assert!(output.stdout.is_empty());
}

#[test]
fn ws_answers_a_tungstenite_servers_ping_and_sends_binary() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(common::WAIT)).unwrap();
        let mut ws = tungstenite::accept(stream).unwrap();
        ws.send(Message::Ping(b"beat".to_vec().into())).unwrap();
        let mut got = Vec::new();
        loop {
            match ws.read() {
                Ok(Message::Close(frame)) => {
                    got.push(format!("close {:?}", frame.map(|f| u16::from(f.code))));
                    break;
                }
                Ok(message) => got.push(format!("{message:?}")),
                Err(err) => panic!("{err}"),
            }
        }
        // tungstenite answers the close; flush it out.
        let _ = ws.flush();
        got
    });
    let output = ws_client(
        &[
            "ws",
            &format!("ws://{addr}/"),
            "--binary",
            "--close-code",
            "4000",
        ],
        b"raw bytes\n",
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let got = peer.join().unwrap();
    assert!(
        got.iter()
            .any(|m| m.starts_with("Pong(") && m.contains("beat")),
        "{got:?}"
    );
    assert!(got.iter().any(|m| m.starts_with("Binary(")), "{got:?}");
    assert_eq!(
        got.last().map(String::as_str),
        Some("close Some(4000)"),
        "{got:?}"
    );
}

#[test]
fn ws_refuses_a_masked_server_frame_and_a_wrong_accept_key() {
    // A server that masks its frame: a protocol error, exit 1.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for answer in ["masked", "wrong key"] {
            let (mut stream, _) = listener.accept().unwrap();
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") {
                if stream.read_exact(&mut byte).is_err() {
                    return;
                }
                head.push(byte[0]);
            }
            let text = String::from_utf8_lossy(&head).to_string();
            let key = text
                .lines()
                .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
                .unwrap()
                .to_string();
            let accept = if answer == "masked" {
                netplay::net::ws::handshake::accept_key(&key)
            } else {
                "d3Jvbmc=".to_string()
            };
            let mut reply = format!("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n").into_bytes();
            encode(
                &mut reply,
                true,
                Opcode::Text,
                b"hidden",
                Some([1, 2, 3, 4]),
            );
            let _ = stream.write_all(&reply);
            let mut rest = Vec::new();
            let _ = stream.read_to_end(&mut rest);
        }
    });
    let url = format!("ws://{addr}/");
    let output = ws_client(&["ws", &url], b"");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("a masked server frame"), "{stderr}");
    assert!(
        output.stdout.is_empty(),
        "nothing delivered after a broken rule"
    );
    let output = ws_client(&["ws", &url], b"");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("did not read our key"), "{stderr}");
}

#[test]
fn the_relay_tells_a_websocket_pair_frame_by_frame() {
    let server = Server::start(&["ws", "serve", "127.0.0.1:0"]);
    let target = server.address("Listening on ").to_string();
    let relay = Server::start(&["relay", "127.0.0.1:0", &target]);
    let addr = relay.address("Relaying ");
    let (mut ws, _) = client(addr, None);
    assert_eq!(text(&mut ws), "Welcome!");
    ws.send(Message::text("Michael")).unwrap();
    assert_eq!(text(&mut ws), "Hello, Michael!");
    ws.send(Message::binary(vec![7u8; 100_000])).unwrap();
    relay.line_with("upgraded to WebSocket (101): frames follow");
    relay.line_with("server → client text frame · FIN · 8 B: Welcome!");
    let up = relay.line_with("client → server text frame · FIN · 7 B · mask ");
    assert!(up.ends_with(": Michael"), "unmasked for display: {up}");
    relay.line_with("server → client text frame · FIN · 15 B: Hello, Michael!");
    // A frame larger than any read is told once, whole.
    relay.line_with("client → server binary frame · FIN · 100000 B · mask ");
}

/// 20,000 lines of 1 KiB to a server that reads late: every one arrives
/// (the client waits for room), then the close frame.
#[test]
fn ws_loses_no_line_to_a_slow_server_and_its_close_arrives() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(common::WAIT)).unwrap();
        let mut ws = tungstenite::accept(stream).unwrap();
        // Reads nothing for a while: the client's queues fill up.
        std::thread::sleep(std::time::Duration::from_millis(500));
        let mut count = 0;
        loop {
            match ws.read() {
                Ok(Message::Text(text)) => {
                    assert_eq!(text.len(), 1000);
                    count += 1;
                }
                Ok(Message::Close(frame)) => return (count, frame.map(|f| u16::from(f.code))),
                Ok(_) => {}
                Err(err) => panic!("after {count}: {err}"),
            }
        }
    });
    let mut lines = Vec::new();
    for i in 0..20_000 {
        lines.extend_from_slice(format!("{i:05}{}\n", "x".repeat(995)).as_bytes());
    }
    let output = ws_client(&["ws", &format!("ws://{addr}/")], &lines);
    let (count, close) = peer.join().unwrap();
    assert_eq!((count, close), (20_000, Some(1000)));
    // The server closed the TCP connection after our close: a clean end.
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn fetch_checks_the_101_of_a_ws_url_and_hands_over_to_netplay_ws() {
    let server = Server::start(&["ws", "serve", "127.0.0.1:0"]);
    let addr = server.address("Listening on ");
    let output = ws_client(&["fetch", &format!("ws://{addr}/")], b"");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("`netplay ws URL` speaks it"), "{stderr}");
    server.line_with("close frame · FIN · 2 B · mask ");
    // A 101 whose accept key is wrong is no WebSocket, said plainly.
    let reply: &'static [u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: d3Jvbmc=\r\n\r\n";
    let addr = common::answering_server(reply.to_vec());
    let output = ws_client(&["fetch", &format!("ws://{addr}/")], b"");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("no WebSocket: Sec-WebSocket-Accept is d3Jvbmc="),
        "{stderr}"
    );
}

#[test]
fn ws_records_the_session_as_on_the_wire() {
    use netplay::record::{Entry, Way};
    let server = Server::start(&["ws", "serve", "127.0.0.1:0"]);
    let addr = server.address("Listening on ");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("session.jsonl");
    let output = ws_client(
        &[
            "ws",
            &format!("ws://{addr}/rec"),
            "--record",
            file.to_str().unwrap(),
        ],
        b"Michael\n",
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let recording = netplay::record::parse(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let way = |w: Way| -> Vec<u8> {
        recording
            .entries
            .iter()
            .filter_map(|e| match e {
                Entry::Data { way, bytes, .. } if *way == w => Some(bytes.clone()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .concat()
    };
    let (sent, got) = (way(Way::Out), way(Way::In));
    assert!(
        sent.starts_with(b"GET /rec HTTP/1.1\r\n"),
        "{:?}",
        String::from_utf8_lossy(&sent)
    );
    assert!(got.starts_with(b"HTTP/1.1 101 Switching Protocols\r\n"));
    assert!(
        got.windows(8).any(|w| w == b"Welcome!"),
        "the server's frames are in it"
    );
    // Our last frame is the close (masked: 0x88, 0x80 | 2).
    let head = sent.len() - 8;
    assert_eq!(
        &sent[head..head + 2],
        &[0x88, 0x82],
        "the close frame is recorded"
    );
}
