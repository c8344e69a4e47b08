//! The learning layer as a person reads it in the TUI (TestBackend): the
//! timeline of a connection and what the kernel keeps after it.

use crate::common;

use std::time::Duration;

use common::ui::*;
use crossterm::event::KeyCode;
use netplay::net::behaviour::greet::{Behaviour, ServerConfig};
use netplay::net::tcp_server;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_tab_shows_the_life_of_a_connection_in_order() {
    let (mut app, mut rx) = new_app();
    let config = ServerConfig {
        behaviour: Behaviour::Greet,
        reply_delay: Duration::ZERO,
        ..ServerConfig::default()
    };
    let server = tcp_server::start(&app.engine, "127.0.0.1:0", config);
    let addr = common::listening(&mut rx, server.id()).await;
    app.on_key(alt('3'));
    set_field(&mut app, &addr.to_string());
    app.on_key(key(KeyCode::Enter));
    pump_until(&mut app, &mut rx, "Welcome!").await;
    let text = pump_until(&mut app, &mut rx, "rtt ").await;
    assert!(text.contains("cwnd "), "TCP_INFO in the status: {text}");
    type_text(&mut app, "Michael");
    app.on_key(key(KeyCode::Enter));
    pump_until(&mut app, &mut rx, "Hello, Michael!").await;
    app.on_key(key(KeyCode::F(6))); // half-close: we close first
    let text = pump_until(&mut app, &mut rx, "TIME_WAIT for about 60 s").await;
    let order = [
        "connect started",
        "connected (TCP handshake done)",
        "first byte in",
        "first byte out",
        "FIN sent: you shut down your write side",
        "FIN received: the peer closed",
        "+",
    ];
    let mut at = 0;
    for mark in &order[..order.len() - 1] {
        let found = text[at..]
            .find(mark)
            .unwrap_or_else(|| panic!("{mark:?} missing or out of order:\n{text}"));
        at += found;
    }
    assert!(
        text.contains("You closed first, so the kernel keeps"),
        "{text}"
    );
    assert!(text.contains("TIME_WAIT for about 60 s"), "{text}");
    assert!(
        text.contains("tcp_info"),
        "the last sample is logged: {text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_l_lists_this_machines_addresses_and_fills_the_listen_field() {
    let (mut app, _rx) = new_app();
    app.on_key(alt('2'));
    set_field(&mut app, "0.0.0.0:8080");
    app.on_key(ctrl('l'));
    let text = show(&mut app);
    assert!(text.contains("This machine's addresses"), "{text}");
    assert!(
        text.contains("every interface: reachable from every network"),
        "{text}"
    );
    assert!(
        text.contains("127.0.0.1") && text.contains("this machine only"),
        "{text}"
    );
    // The wildcards come first (0.0.0.0, [::]), then loopback.
    app.on_key(key(KeyCode::Down));
    app.on_key(key(KeyCode::Down));
    app.on_key(key(KeyCode::Enter));
    let text = show(&mut app);
    assert!(!text.contains("This machine's addresses"), "closed: {text}");
    assert!(text.contains("│127.0.0.1:8080"), "the port stays: {text}");
    // Esc closes without a choice.
    app.on_key(ctrl('l'));
    app.on_key(key(KeyCode::Esc));
    assert!(show(&mut app).contains("│127.0.0.1:8080"));
    // Tabs that do not listen have no picker.
    app.on_key(alt('1'));
    app.on_key(ctrl('l'));
    assert!(!show(&mut app).contains("This machine's addresses"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_o_on_the_client_shows_tcp_info_and_changes_socket_options_live() {
    let (mut app, mut rx) = new_app();
    let server = tcp_server::start(&app.engine, "127.0.0.1:0", ServerConfig::default());
    let addr = common::listening(&mut rx, server.id()).await;
    app.on_key(alt('3'));
    app.on_key(ctrl('o'));
    assert!(
        show(&mut app).contains("Not connected: the kernel's view shows a connection"),
        "{}",
        show(&mut app)
    );
    set_field(&mut app, &addr.to_string());
    app.on_key(key(KeyCode::Enter));
    pump_until(&mut app, &mut rx, "Welcome!").await;
    app.on_key(ctrl('o'));
    let text = pump_until(&mut app, &mut rx, "(default here; the kernel's is off)").await;
    assert!(text.contains("The kernel's view"), "{text}");
    assert!(
        text.contains("SO_KEEPALIVE") && text.contains("TTL / hops"),
        "{text}"
    );
    let text = pump_until(&mut app, &mut rx, "ESTABLISHED").await;
    for field in [
        "RTT",
        "cwnd",
        "MSS · PMTU",
        "send-Q · recv-Q",
        "segments out · in",
    ] {
        assert!(text.contains(field), "{field} missing:\n{text}");
    }
    assert!(
        text.contains("connected (TCP handshake done)"),
        "the timeline: {text}"
    );
    app.on_key(key(KeyCode::Char('n')));
    let text = pump_until(&mut app, &mut rx, "off: Nagle holds small writes").await;
    assert!(text.contains("(set here)"), "{text}");
    app.on_key(key(KeyCode::Char('b')));
    if cfg!(target_os = "linux") {
        pump_until(
            &mut app,
            &mut rx,
            "8192 B (you set 4096 B; Linux doubles it",
        )
        .await;
    }
    app.on_key(key(KeyCode::Char('k')));
    pump_until(&mut app, &mut rx, "on: idle 10 s, every 5 s, 3 probes").await;
    // Keys go to the view while it is open, not to the message input.
    app.on_key(key(KeyCode::Esc));
    let text = show(&mut app);
    assert!(!text.contains("The kernel's view"), "Esc closes it: {text}");
    assert!(
        text.contains("options nodelay on"),
        "read-backs are logged: {text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_row_has_a_timeline_and_a_kernel_view_with_close_by_rst() {
    let (mut app, mut rx) = new_app();
    app.on_key(alt('2'));
    set_field(&mut app, "127.0.0.1:0");
    app.on_key(key(KeyCode::Enter));
    let text = pump_until(&mut app, &mut rx, "Listening on 127.0.0.1:").await;
    let port = port_after(&text, "Listening on 127.0.0.1:");
    let mut client = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    pump_until(&mut app, &mut rx, "Accept new connection").await;
    std::io::Write::write_all(&mut client, b"Michael").unwrap();
    pump_until(&mut app, &mut rx, "Hello, Michael!").await;
    app.on_key(ctrl('o'));
    let text = pump_until(&mut app, &mut rx, "ESTABLISHED").await;
    let order = [
        "accepted (the kernel did the handshake)",
        "first byte out",
        "first byte in",
    ];
    let mut at = 0;
    for mark in order {
        at += text[at..]
            .find(mark)
            .unwrap_or_else(|| panic!("{mark:?} missing or out of order:\n{text}"));
    }
    pump_until(&mut app, &mut rx, "FIN (default)").await;
    app.on_key(key(KeyCode::Char('r')));
    pump_until(&mut app, &mut rx, "RST (SO_LINGER 0) (set here)").await;
    app.on_key(key(KeyCode::Esc));
    app.on_key(key(KeyCode::Tab)); // to the connections table
    app.on_key(key(KeyCode::Char('k'))); // kick
    client.set_read_timeout(Some(common::WAIT)).unwrap();
    let mut buf = [0u8; 64];
    let mut seen = Vec::new();
    let outcome = loop {
        match std::io::Read::read(&mut client, &mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => seen.extend_from_slice(&buf[..n]),
            Err(err) => break Err(err),
        }
    };
    match outcome {
        Err(err) => assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset, "{err}"),
        Ok(()) => panic!("the client read a FIN, not a reset, after {seen:?}"),
    }
    pump_until(&mut app, &mut rx, "kicked").await;
    app.on_key(ctrl('o'));
    let text = show(&mut app);
    assert!(text.contains("TCP_INFO, the last sample"), "{text}");
    assert!(
        text.contains("RST sent: the server closed with SO_LINGER 0"),
        "{text}"
    );
    assert!(text.contains("neither side keeps"), "{text}");
    assert!(
        text.contains("RST (SO_LINGER 0) (set here)"),
        "kept on reopening: {text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f12_shows_the_code_behind_every_tab_for_its_settings() {
    let (mut app, _rx) = new_app();
    let expected = [
        ('1', "HTTP", "s.sendall(REQUEST)", "curl -v"),
        (
            '2',
            "TCP Server",
            "def tcplink(sock, addr):",
            "nc -l 127.0.0.1 9999",
        ),
        (
            '3',
            "TCP Client",
            "MESSAGE = b'Michael\\n'",
            "| nc -N 127.0.0.1 9999",
        ),
        ('4', "UDP", "s.recvfrom(65535)", "nc -u -w1"),
        (
            '5',
            "Relay",
            "def pipe(src, dst, name):",
            "socat -v TCP-LISTEN:9998",
        ),
    ];
    for (digit, title, python, one_liner) in expected {
        app.on_key(alt(digit));
        app.on_key(key(KeyCode::F(12)));
        let text = show(&mut app);
        assert!(
            text.contains(&format!("Code · {title}")),
            "{title}:\n{text}"
        );
        assert!(
            text.contains("import socket") && text.contains(python),
            "{title}:\n{text}"
        );
        app.on_key(key(KeyCode::Right));
        let text = show(&mut app);
        assert!(text.contains(one_liner), "{title}:\n{text}");
        app.on_key(key(KeyCode::Right));
        let text = show(&mut app);
        assert!(text.contains("#[tokio::main]"), "{title}:\n{text}");
        app.on_key(key(KeyCode::Esc));
        assert!(!show(&mut app).contains("Code · "), "Esc closes it");
    }
    // The settings follow the tab: a typed message and the server's mode.
    app.on_key(alt('3'));
    app.on_key(key(KeyCode::Tab)); // the message input
    type_text(&mut app, "Tracy");
    app.on_key(key(KeyCode::F(12)));
    assert!(show(&mut app).contains("MESSAGE = b'Tracy\\n'"));
    app.on_key(key(KeyCode::Esc));
    app.on_key(alt('2'));
    app.on_key(key(KeyCode::F(5))); // mode: the next after greet
    app.on_key(key(KeyCode::F(12)));
    let text = show(&mut app);
    assert!(
        text.contains("(mode echo)") && text.contains("sock.sendall(data)"),
        "{text}"
    );
    // s saves the page shown, c copies it (OSC 52 happens in the loop).
    let dir = tempfile::tempdir().unwrap();
    app.code.as_mut().unwrap().save_in(dir.path());
    app.on_key(key(KeyCode::Char('s')));
    let saved = dir.path().join("netplay-tcp-server.py");
    let text = show(&mut app);
    assert!(text.contains("Saved to"), "{text}");
    assert!(std::fs::read_to_string(&saved)
        .unwrap()
        .contains("def tcplink"));
    app.on_key(key(KeyCode::Char('c')));
    assert!(app
        .clipboard
        .as_deref()
        .is_some_and(|copied| copied.contains("def tcplink")));
    assert!(show(&mut app).contains("Copied the Python 3 page"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_set_to_close_with_rst_says_so_and_pastes_never_land_under_an_overlay() {
    let (mut app, mut rx) = new_app();
    let server = tcp_server::start(&app.engine, "127.0.0.1:0", ServerConfig::default());
    let addr = common::listening(&mut rx, server.id()).await;
    app.on_key(alt('3'));
    set_field(&mut app, &addr.to_string());
    app.on_key(key(KeyCode::Enter));
    pump_until(&mut app, &mut rx, "Welcome!").await;
    app.on_key(ctrl('o'));
    pump_until(&mut app, &mut rx, "FIN (default)").await;
    app.on_paste("LEAKED-UNDER-THE-VIEW");
    app.on_key(key(KeyCode::Char('r')));
    pump_until(&mut app, &mut rx, "RST (SO_LINGER 0) (set here)").await;
    app.on_key(key(KeyCode::Esc));
    app.on_key(key(KeyCode::F(12)));
    app.on_paste("LEAKED-UNDER-THE-CODE");
    app.on_key(key(KeyCode::Esc));
    assert!(!show(&mut app).contains("LEAKED"), "{}", show(&mut app));
    app.on_key(key(KeyCode::F(8))); // disconnect
    let text = pump_until(&mut app, &mut rx, "RST sent: you closed with SO_LINGER 0").await;
    assert!(text.contains("neither side keeps"), "{text}");
    assert!(!text.contains("You closed first"), "{text}");
}
