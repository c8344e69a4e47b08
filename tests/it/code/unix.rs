//! The code views on a socket file run: the Python server made for
//! `unix:/path` answers a `std` UNIX client, and the Python TLS client for
//! `unix:/path` verifies `netplay tcp serve unix:… --tls` and chats.

use crate::common;

use std::io::{Read, Write};
use std::time::Duration;

use super::python::{python, Script};
use netplay::code::{code_for, Setting};
use netplay::net::behaviour::greet::Behaviour;

#[test]
fn the_server_script_for_a_socket_file_echoes() {
    if !python() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("py.sock");
    let code = code_for(&Setting::TcpServer {
        listen: format!("unix:{}", path.display()),
        mode: Behaviour::Echo,
        delay: Duration::ZERO,
        tls: None,
    });
    assert!(
        code.one_liner.contains("UNIX-LISTEN:"),
        "{}",
        code.one_liner
    );
    assert!(code.rust.contains("UnixListener::bind("), "{}", code.rust);
    let script = Script::start(&code.python, &[]);
    script.until("Waiting for connection on");
    let mut client = std::os::unix::net::UnixStream::connect(&path).unwrap();
    client.set_read_timeout(Some(common::WAIT)).unwrap();
    client.write_all(b"round trip").unwrap();
    let mut back = [0u8; 10];
    client.read_exact(&mut back).unwrap();
    assert_eq!(&back, b"round trip");
    script.until("Accept new connection on");
}

#[test]
fn the_tls_client_script_for_a_socket_file_verifies_netplay() {
    if !python() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tls.sock");
    let target = format!("unix:{}", path.display());
    let server = common::cli::Server::start(&["tcp", "serve", &target, "--tls"]);
    server.line_with("Listening on unix:");
    let ca = common::cli::netplay(&["ca", "path"]).output().unwrap();
    let ca = String::from_utf8_lossy(&ca.stdout).trim().to_string();
    let code = code_for(&Setting::TcpClient {
        target,
        message: b"Michael".to_vec(),
        tls: Some(netplay::code::ClientTls {
            insecure: false,
            ca_file: Some(ca.clone()),
            sni: None,
        }),
    });
    let script = Script::start(&code.python, &[]);
    let text = script.until("Hello, Michael!");
    assert!(text.contains("Welcome!"), "{text}");
    assert!(
        code.one_liner.contains("openssl s_client -unix")
            && code.one_liner.contains("-verify_hostname localhost"),
        "{}",
        code.one_liner
    );
}
