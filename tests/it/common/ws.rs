//! WebSocket peers for the tests: the tutorial's greet served by a real
//! library (tungstenite), and a client that speaks the protocol by hand
//! to cut frames as a test needs.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread::JoinHandle;

use netplay::net::ws::frame::{encode, parse_head, Opcode};
use tungstenite::Message;

use super::WAIT;

/// The tutorial's greet over WebSocket, by tungstenite: "Welcome!", then
/// `Hello, <msg>!` for each text message. Returns what it received (pings
/// as `ping:<payload>`), in order, when the client goes.
pub fn greet_server() -> (SocketAddr, JoinHandle<Vec<String>>) {
    greeting_server("Welcome!")
}

/// [`greet_server`] with another first word.
pub fn greeting_server(welcome: &'static str) -> (SocketAddr, JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let thread = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        let mut ws = tungstenite::accept(stream).expect("the server's handshake");
        ws.send(Message::text(welcome)).unwrap();
        let mut got = Vec::new();
        loop {
            match ws.read() {
                Ok(Message::Text(text)) => {
                    ws.send(Message::text(format!("Hello, {text}!"))).unwrap();
                    got.push(text.to_string());
                }
                Ok(Message::Ping(payload)) => {
                    got.push(format!("ping:{}", String::from_utf8_lossy(&payload)));
                }
                Ok(Message::Close(_)) | Err(_) => return got,
                Ok(_) => {}
            }
        }
    });
    (addr, thread)
}

/// A client that speaks WebSocket by hand, to cut frames as it likes.
pub struct RawClient {
    stream: TcpStream,
    buffered: Vec<u8>,
}

impl RawClient {
    pub fn connect(addr: SocketAddr) -> Self {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        let request = format!(
            "GET /chat HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).unwrap();
        let mut client = Self {
            stream,
            buffered: Vec::new(),
        };
        while !client.buffered.windows(4).any(|w| w == b"\r\n\r\n") {
            client.fill();
        }
        let end = client
            .buffered
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap()
            + 4;
        assert!(client.buffered.starts_with(b"HTTP/1.1 101"));
        client.buffered.drain(..end);
        client
    }

    fn fill(&mut self) {
        let mut chunk = [0u8; 4096];
        let n = self.stream.read(&mut chunk).expect("the server's bytes");
        assert!(n > 0, "closed early");
        self.buffered.extend_from_slice(&chunk[..n]);
    }

    /// The next frame from the server: its opcode and payload.
    pub fn frame(&mut self) -> (Opcode, Vec<u8>) {
        loop {
            if let Some(head) = parse_head(&self.buffered) {
                let end = head.head_len + head.len as usize;
                if self.buffered.len() >= end {
                    assert!(head.mask.is_none(), "a server's frames are not masked");
                    let payload = self.buffered[head.head_len..end].to_vec();
                    self.buffered.drain(..end);
                    return (head.opcode, payload);
                }
            }
            self.fill();
        }
    }

    pub fn text(&mut self) -> String {
        loop {
            match self.frame() {
                (Opcode::Text, payload) => return String::from_utf8(payload).unwrap(),
                (Opcode::Pong | Opcode::Ping, _) => continue,
                other => panic!("expected text, got {other:?}"),
            }
        }
    }

    pub fn send(&mut self, fin: bool, opcode: Opcode, payload: &[u8]) {
        let mut frame = Vec::new();
        encode(
            &mut frame,
            fin,
            opcode,
            payload,
            Some([0x37, 0xfa, 0x21, 0x3d]),
        );
        self.stream.write_all(&frame).unwrap();
    }
}
