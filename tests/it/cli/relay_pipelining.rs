//! The relay as an HTTP proxy carries one request per connection in
//! absolute form: a pipelining client's further requests (each with its
//! own Proxy-Authorization) never reach the server, while a polite
//! client's request body reaches it whole.

use crate::common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

use common::cli::*;

/// A server that reads one request head (and `body` more bytes), answers
/// 200, then reads on until the relay closes; returns all it got.
fn origin(body: usize) -> (std::net::SocketAddr, std::thread::JoinHandle<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(common::WAIT)).unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        let head_end = |got: &[u8]| got.windows(4).position(|w| w == b"\r\n\r\n");
        while head_end(&got).is_none_or(|end| got.len() < end + 4 + body) {
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => return got,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
        stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            .unwrap();
        // Whatever else comes before the relay closes (it closes when
        // the client does).
        stream
            .set_read_timeout(Some(std::time::Duration::from_millis(500)))
            .unwrap();
        while let Ok(n) = stream.read(&mut buf) {
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        got
    });
    (addr, server)
}

#[test]
fn pipelined_requests_do_not_carry_their_credentials_to_the_server() {
    let (origin_addr, server) = origin(0);
    let relay = Server::start(&[
        "relay",
        "127.0.0.1:0",
        "--http-proxy",
        "--proxy-user",
        "me:pw",
    ]);
    let proxy = relay.address("Relaying ");
    let auth = "Proxy-Authorization: Basic bWU6cHc=\r\n";
    let one = format!("GET http://{origin_addr}/one HTTP/1.1\r\nHost: {origin_addr}\r\n{auth}\r\n");
    let two = format!("GET http://{origin_addr}/two HTTP/1.1\r\nHost: {origin_addr}\r\n{auth}\r\n");
    let mut client = TcpStream::connect(proxy).unwrap();
    client.set_read_timeout(Some(common::WAIT)).unwrap();
    // Both in one write: a pipelining client.
    client.write_all(format!("{one}{two}").as_bytes()).unwrap();
    let mut answer = Vec::new();
    let _ = client.read_to_end(&mut answer);
    assert!(answer.starts_with(b"HTTP/1.1 200 OK"), "{answer:?}");
    drop(client);
    let got = String::from_utf8_lossy(&server.join().unwrap()).into_owned();
    assert!(got.starts_with("GET /one HTTP/1.1\r\n"), "{got}");
    assert!(!got.contains("/two"), "the second request stayed: {got}");
    assert!(!got.contains("Proxy-Authorization"), "{got}");
    relay.line_with("are not relayed (one request per connection");
}

#[test]
fn a_request_body_goes_through_whole() {
    let body = vec![b'x'; 50_000];
    let (origin_addr, server) = origin(body.len());
    let relay = Server::start(&["relay", "127.0.0.1:0", "--http-proxy"]);
    let proxy = relay.address("Relaying ");
    let mut client = TcpStream::connect(proxy).unwrap();
    client.set_read_timeout(Some(common::WAIT)).unwrap();
    let head = format!(
        "POST http://{origin_addr}/upload HTTP/1.1\r\nHost: {origin_addr}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    client.write_all(head.as_bytes()).unwrap();
    client.write_all(&body).unwrap();
    let mut answer = Vec::new();
    let _ = client.read_to_end(&mut answer);
    assert!(answer.starts_with(b"HTTP/1.1 200 OK"), "{answer:?}");
    drop(client);
    let got = server.join().unwrap();
    let end = got.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert_eq!(got.len() - end, body.len(), "the whole body, nothing more");
}
