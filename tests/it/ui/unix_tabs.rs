//! The TCP Server and Relay tabs on UNIX sockets: `unix:/path` in Listen
//! on (and in Forward to); the table names a peer by its pid (SO_PEERCRED),
//! and Alt+K says a UNIX socket has no packets to capture.

use crate::common;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;

use common::ui::*;
use crossterm::event::KeyCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_tab_listens_on_a_socket_file_and_names_its_peer_by_pid() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tab.sock");
    let (mut app, mut rx) = new_app();
    app.on_key(alt('2'));
    set_field(&mut app, &format!("unix:{}", path.display()));
    app.on_key(key(KeyCode::Enter));
    pump_until(&mut app, &mut rx, "Listening on unix:").await;
    let client_path = path.clone();
    let client = std::thread::spawn(move || {
        let mut stream = UnixStream::connect(client_path).unwrap();
        let mut welcome = [0u8; 8];
        stream.read_exact(&mut welcome).unwrap();
        stream.write_all(b"Tracy\n").unwrap();
        let mut hello = [0u8; 14];
        stream.read_exact(&mut hello).unwrap();
        hello
    });
    let text = pump_until(&mut app, &mut rx, "Hello, Tracy!").await;
    assert_eq!(&client.join().unwrap(), b"Hello, Tracy!\n");
    let pid = format!("pid {}", std::process::id());
    assert!(
        text.lines()
            .any(|line| line.contains("#2") && line.contains(&pid)),
        "the table's PEER column: {text}"
    );
    app.on_key(alt('k'));
    let text = show(&mut app);
    assert!(text.contains("a UNIX socket has none"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relay_tab_relays_a_socket_file_to_another() {
    let dir = tempfile::tempdir().unwrap();
    let front = dir.path().join("front.sock");
    let back = dir.path().join("back.sock");
    let listener = std::os::unix::net::UnixListener::bind(&back).unwrap();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut buf = [0u8; 64];
        let n = stream.read(&mut buf).unwrap();
        stream.write_all(&buf[..n]).unwrap();
    });
    let (mut app, mut rx) = new_app();
    app.on_key(alt('5'));
    set_field(&mut app, &format!("unix:{}", front.display()));
    app.on_key(key(KeyCode::Tab));
    set_field(&mut app, &format!("unix:{}", back.display()));
    app.on_key(key(KeyCode::Enter));
    pump_until(&mut app, &mut rx, "Relaying unix:").await;
    let client = std::thread::spawn(move || {
        let mut stream = UnixStream::connect(front).unwrap();
        stream.write_all(b"round trip").unwrap();
        let mut back = [0u8; 10];
        stream.read_exact(&mut back).unwrap();
        back
    });
    let text = pump_until(&mut app, &mut rx, "server → client 10 B").await;
    assert_eq!(&client.join().unwrap(), b"round trip");
    let pid = format!("pid {}", std::process::id());
    assert!(text.contains(&pid), "{text}");
    assert!(text.contains(&format!("unix:{}", back.display())), "{text}");
}
