//! The Relay tab through ratatui's TestBackend, between a tutorial client
//! and netplay's greet server on loopback: what a person would read.

use crate::common;

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use common::ui::*;
use crossterm::event::KeyCode;
use netplay::net::behaviour::greet::{Behaviour, ServerConfig};
use netplay::net::tcp_server::{self, ServerHandle};
use netplay::net::Event;
use netplay::ui::shell::event_loop::App;
use tokio::sync::mpsc;

const F8: KeyCode = KeyCode::F(8);

/// A greet server on the app's own engine (its events reach the app and
/// are ignored there: no tab started it).
async fn greet_server(app: &App, rx: &mut mpsc::Receiver<Event>) -> (ServerHandle, SocketAddr) {
    let config = ServerConfig {
        behaviour: Behaviour::Greet,
        reply_delay: Duration::ZERO,
        max_connections: None,
        idle_timeout: None,
        tcp_info: false,
    };
    let server = tcp_server::start(&app.engine, "127.0.0.1:0", config);
    let addr = common::listening(rx, server.id()).await;
    (server, addr)
}

/// Opens the Relay tab, points it at `target` and starts it; the port it
/// listens on.
async fn start_relay(app: &mut App, rx: &mut mpsc::Receiver<Event>, target: &str) -> u16 {
    app.on_key(alt('5'));
    set_field(app, "127.0.0.1:0");
    app.on_key(key(KeyCode::Tab)); // → Forward to
    set_field(app, target);
    app.on_key(key(F8));
    let text = pump_until(app, rx, "Relaying 127.0.0.1:").await;
    port_after(&text, "Relaying 127.0.0.1:")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_tab_shows_the_pair_both_ways_and_its_four_tuples() {
    let (mut app, mut rx) = new_app();
    let (_server, server_addr) = greet_server(&app, &mut rx).await;
    let port = start_relay(&mut app, &mut rx, &server_addr.to_string()).await;
    let text = show(&mut app);
    assert!(
        text.contains(&format!("→ {server_addr}")),
        "the status names the target:\n{text}"
    );

    let mut client = common::tutorial_client(([127, 0, 0, 1], port).into());
    common::expect_bytes(&mut client, b"Welcome!");
    client.write_all(b"Michael").unwrap();
    common::expect_bytes(&mut client, b"Hello, Michael!");
    let text = pump_until(&mut app, &mut rx, "server → client 15 B: Hello, Michael!").await;
    assert!(text.contains("client → server 7 B: Michael"), "{text}");
    assert!(text.contains("1 open · 1 accepted"), "{text}");
    assert!(
        text.contains("upstream 127.0.0.1:") && text.contains(&format!("→ {server_addr}")),
        "the selected pair's 4-tuples:\n{text}"
    );

    drop(client);
    let text = pump_until(&mut app, &mut rx, "0 open · 1 accepted").await;
    assert!(text.contains("client sent FIN"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hold_edit_and_step_from_the_keyboard() {
    let (mut app, mut rx) = new_app();
    let (_server, server_addr) = greet_server(&app, &mut rx).await;
    let port = start_relay(&mut app, &mut rx, &server_addr.to_string()).await;
    let mut client = common::tutorial_client(([127, 0, 0, 1], port).into());
    common::expect_bytes(&mut client, b"Welcome!");
    pump_until(&mut app, &mut rx, "· 1 open").await;

    app.on_key(key(KeyCode::Tab)); // Forward to → Pairs
    app.on_key(key(KeyCode::F(6)));
    assert!(show(&mut app).contains("HELD (F6)"));
    client.write_all(b"Michael").unwrap();
    pump_until(&mut app, &mut rx, "held chunk 1 (7 B): Michael").await;
    app.on_key(key(KeyCode::Char('e')));
    let text = show(&mut app);
    assert!(text.contains("Edit chunk 1 of #"), "{text}");
    set_field(&mut app, "Tracy\\x21");
    app.on_key(key(KeyCode::Enter));
    pump_until(&mut app, &mut rx, "edited (6 B): Tracy!").await;
    // The keyboard is back on the pairs: `s` steps the chunk at once (it
    // used to type into the inject field).
    app.on_key(key(KeyCode::Char('s')));
    common::expect_bytes(&mut client, b"Hello, Tracy!!");
    pump_until(&mut app, &mut rx, "chunk 1 released").await;

    // Inject into the server → client direction.
    app.on_key(key(KeyCode::F(5)));
    app.on_key(key(KeyCode::Char('i')));
    type_text(&mut app, "psst");
    app.on_key(key(KeyCode::Enter));
    common::expect_bytes(&mut client, b"psst");
    pump_until(&mut app, &mut rx, "server → client injected 4 B: psst").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_pane_switches_faults_live_and_shows_them() {
    let (mut app, mut rx) = new_app();
    let (_server, server_addr) = greet_server(&app, &mut rx).await;
    start_relay(&mut app, &mut rx, &server_addr.to_string()).await;
    app.on_key(key(KeyCode::Tab)); // → Pairs
    app.on_key(key(KeyCode::Tab)); // → Faults
    app.on_key(key(KeyCode::Enter)); // latency, client → server: 50 ms
    app.on_key(key(KeyCode::Right));
    app.on_key(key(KeyCode::Down));
    app.on_key(key(KeyCode::Down));
    app.on_key(key(KeyCode::Down)); // slicer, server → client
    app.on_key(key(KeyCode::Enter));
    let text = show(&mut app);
    assert!(text.contains("Faults · 2 on"), "{text}");
    assert!(
        text.contains("client → server latency 50 ms")
            && text.contains("server → client slicer 1 B every 10 ms"),
        "{text}"
    );
    app.on_key(key(KeyCode::Delete));
    let text = show(&mut app);
    assert!(text.contains("Faults · 1 on"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_refused_and_listen_in_use_are_one_line_each() {
    let (mut app, mut rx) = new_app();
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_addr = dead.local_addr().unwrap();
    drop(dead);
    let port = start_relay(&mut app, &mut rx, &dead_addr.to_string()).await;
    let _client = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let text = pump_until(&mut app, &mut rx, "refused the connection").await;
    assert!(text.contains("closed client #"), "{text}");
    // The error is explained right under it, in plain words.
    let text = pump_until(&mut app, &mut rx, "why: Nothing is listening on that port").await;
    assert!(text.contains("then try again"), "{text}");

    app.on_key(key(F8)); // stop
    pump_until(&mut app, &mut rx, "Stopped").await;
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_addr = taken.local_addr().unwrap();
    app.on_key(key(KeyCode::BackTab)); // Forward to → Listen on
    set_field(&mut app, &taken_addr.to_string());
    app.on_key(key(KeyCode::Enter));
    let text = pump_until(&mut app, &mut rx, "already in use").await;
    assert!(text.contains("Cannot listen"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_o_shows_a_pairs_two_sockets_and_its_timeline() {
    let (mut app, mut rx) = new_app();
    let (_server, server_addr) = greet_server(&app, &mut rx).await;
    let port = start_relay(&mut app, &mut rx, &server_addr.to_string()).await;
    let mut client = common::tutorial_client(([127, 0, 0, 1], port).into());
    common::expect_bytes(&mut client, b"Welcome!");
    client.write_all(b"Michael").unwrap();
    common::expect_bytes(&mut client, b"Hello, Michael!");
    pump_until(&mut app, &mut rx, "Hello, Michael!").await;
    app.on_key(ctrl('o'));
    let text = pump_until(&mut app, &mut rx, "ESTABLISHED").await;
    assert!(text.contains("our socket to the client"), "{text}");
    let order = [
        "accepted: the client is connected",
        "upstream connected",
        "first byte server → client",
        "first byte client → server",
    ];
    let mut at = 0;
    for mark in order {
        at += text[at..]
            .find(mark)
            .unwrap_or_else(|| panic!("{mark:?} missing or out of order:\n{text}"));
    }
    app.on_key(key(KeyCode::Tab));
    let text = pump_until(&mut app, &mut rx, "our socket to the server").await;
    assert!(text.contains(&format!("⇄ {server_addr}")), "{text}");
    pump_until(&mut app, &mut rx, "t TTL / hops   64 (default)").await;
    app.on_key(key(KeyCode::Char('t')));
    pump_until(&mut app, &mut rx, "t TTL / hops   1 (set here)").await;
    app.on_key(key(KeyCode::Esc));
    drop(client);
    let text = pump_until(&mut app, &mut rx, "0 open · 1 accepted").await;
    assert!(!text.contains("The kernel's view"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_80x24_the_faults_pane_scrolls_to_the_selected_fault() {
    let (mut app, _rx) = new_app();
    app.on_key(alt('5'));
    for _ in 0..3 {
        app.on_key(key(KeyCode::Tab)); // Listen on → Forward to → Pairs → Faults
    }
    for _ in 0..4 {
        app.on_key(key(KeyCode::Down)); // latency → … → limit
    }
    app.on_key(key(KeyCode::Enter));
    let text = screen(&mut app, 80, 24);
    assert!(text.contains("Faults 5/8"), "{text}");
    assert!(
        text.lines()
            .any(|line| line.contains("│limit") && line.contains("10 B")),
        "the fault switched on is in view:\n{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_120_columns_the_pair_row_shows_the_whole_upstream_port() {
    let (mut app, mut rx) = new_app();
    let (_server, server_addr) = greet_server(&app, &mut rx).await;
    let port = start_relay(&mut app, &mut rx, &server_addr.to_string()).await;
    let mut client = common::tutorial_client(([127, 0, 0, 1], port).into());
    common::expect_bytes(&mut client, b"Welcome!");
    pump_until(&mut app, &mut rx, "⇄  upstream 127.0.0.1:").await;
    let text = screen(&mut app, 120, 40);
    // The held pane names the upstream side's own port in full…
    let upstream = text
        .split("⇄  upstream 127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .expect("the upstream 4-tuple")
        .to_string();
    // …and the pair's row shows the same port, not cut.
    assert!(
        text.lines()
            .any(|line| line.contains("▶") && line.contains(&format!("⇄ :{upstream} "))),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_pair_shows_frames_and_a_held_message_is_edited_as_text() {
    use tungstenite::Message;
    let (mut app, mut rx) = new_app();
    let (server_addr, server) = common::ws::greet_server();
    let port = start_relay(&mut app, &mut rx, &server_addr.to_string()).await;
    app.on_key(key(KeyCode::Tab)); // → Pairs
    app.on_key(key(KeyCode::F(7))); // hold client → server of new pairs
    let client = std::thread::spawn(move || {
        let stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.set_read_timeout(Some(common::WAIT)).unwrap();
        let url = format!("ws://127.0.0.1:{port}/chat");
        let (mut ws, _) = tungstenite::client(url, stream).unwrap();
        assert_eq!(ws.read().unwrap(), Message::text("Welcome!"));
        ws.send(Message::text("Michael")).unwrap();
        let replies = [ws.read().unwrap(), ws.read().unwrap()];
        ws.close(None).unwrap();
        replies
    });
    // The upgrade request is held as a chunk of bytes: step it.
    pump_until(&mut app, &mut rx, "held chunk 1").await;
    app.on_key(key(KeyCode::Char('s')));
    pump_until(&mut app, &mut rx, "upgraded to WebSocket (101)").await;
    pump_until(
        &mut app,
        &mut rx,
        "server → client text frame · FIN · 8 B: Welcome!",
    )
    .await;
    let text = pump_until(&mut app, &mut rx, "held text message 2 (7 B): Michael").await;
    assert!(text.contains("next: text message 2 Michael"), "{text}");

    app.on_key(key(KeyCode::Char('e')));
    let text = show(&mut app);
    assert!(text.contains("Edit text message 2 of #"), "{text}");
    set_field(&mut app, "Tracy");
    app.on_key(key(KeyCode::Enter));
    pump_until(&mut app, &mut rx, "text message 2 edited (5 B): Tracy").await;
    // The frame lines tell what each side sent; the server got the edit.
    app.on_key(key(KeyCode::Char('s')));
    app.on_key(key(KeyCode::F(6))); // stop holding: the close goes through
    pump_until(
        &mut app,
        &mut rx,
        "server → client text frame · FIN · 13 B: Hello, Tracy!",
    )
    .await;

    // Inject a text message into server → client: a whole frame.
    app.on_key(key(KeyCode::F(5)));
    app.on_key(key(KeyCode::Char('i')));
    let text = show(&mut app);
    assert!(text.contains("as a text message (Alt+W)"), "{text}");
    type_text(&mut app, "psst");
    app.on_key(key(KeyCode::Enter));
    let replies = tokio::task::spawn_blocking(move || client.join().unwrap())
        .await
        .unwrap();
    assert_eq!(
        replies,
        [Message::text("Hello, Tracy!"), Message::text("psst")]
    );
    assert_eq!(server.join().unwrap(), ["Tracy"]);
}

/// `socks5` in Forward to: the tab is a SOCKS5 proxy, and a client that
/// names the greet server gets it, as a pair like any other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn socks5_in_forward_to_makes_the_tab_a_proxy() {
    let (mut app, mut rx) = new_app();
    let (_server, server_addr) = greet_server(&app, &mut rx).await;
    let port = start_relay(&mut app, &mut rx, "socks5").await;
    let client = std::thread::spawn(move || {
        use std::io::Read;
        let mut client = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        client.set_read_timeout(Some(common::WAIT)).unwrap();
        client.write_all(&[5, 1, 0]).unwrap();
        let mut chosen = [0u8; 2];
        client.read_exact(&mut chosen).unwrap();
        assert_eq!(chosen, [5, 0]);
        let SocketAddr::V4(target) = server_addr else {
            panic!("IPv4")
        };
        let mut request = vec![5, 1, 0, 1];
        request.extend_from_slice(&target.ip().octets());
        request.extend_from_slice(&target.port().to_be_bytes());
        client.write_all(&request).unwrap();
        let mut reply = [0u8; 10];
        client.read_exact(&mut reply).unwrap();
        assert_eq!(reply[1], 0, "granted");
        common::expect_bytes(&mut client, b"Welcome!");
        client.write_all(b"Sarah").unwrap();
        common::expect_bytes(&mut client, b"Hello, Sarah!");
    });
    let text = pump_until(&mut app, &mut rx, "server → client 13 B: Hello, Sarah!").await;
    assert!(
        text.contains(&format!("asks: SOCKS5 CONNECT {server_addr}")),
        "{text}"
    );
    client.join().unwrap();
}
