//! The UI through ratatui's TestBackend: keys in, the text a person would
//! read out. Engine events come from the real engine on loopback.

use crate::common;

use std::io::Write;
use std::time::Duration;

use common::ui::*;
use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use netplay::net::{Engine, Event};
use netplay::ui::shell::event_loop::{self as app, App, StartOptions, Tab};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use tokio::sync::mpsc;

#[tokio::test]
async fn tabs_switch_with_alt_digits() {
    let (mut app, _rx) = new_app();
    let home = show(&mut app);
    for name in ["1 HTTP", "2 TCP Server", "3 TCP Client", "4 UDP"] {
        assert!(home.contains(name), "tab bar lists {name}:\n{home}");
    }
    assert!(
        home.contains("URL") && home.contains("http://127.0.0.1:9999/"),
        "{home}"
    );

    app.on_key(alt('2'));
    assert_eq!(app.tab, Tab::TcpServer);
    let server = show(&mut app);
    assert!(server.contains("Listen on") && server.contains("127.0.0.1:9999"));
    assert!(server.contains("Connections · 0 open"));

    app.on_key(alt('3'));
    assert!(show(&mut app).contains("Target"));
    app.on_key(alt('4'));
    assert!(show(&mut app).contains("Burst (count x size)"));
    app.on_key(alt('1'));
    assert_eq!(app.tab, Tab::Http);
}

#[tokio::test]
async fn alt_digits_work_while_typing_and_letters_type() {
    let (mut app, _rx) = new_app();
    app.on_key(alt('3'));
    assert!(app.typing());
    set_field(&mut app, "localhost:7");
    // 'k' and ' ' are text here, never shortcuts
    type_text(&mut app, "k ");
    assert!(show(&mut app).contains("localhost:7k"));
    app.on_key(alt('2'));
    assert_eq!(app.tab, Tab::TcpServer);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tutorial_chat_as_a_person_reads_it() {
    let (mut app, mut rx) = new_app();
    app.on_key(alt('2'));
    set_field(&mut app, "127.0.0.1:0");
    app.on_key(key(KeyCode::Enter));
    let text = pump_until(&mut app, &mut rx, "Listening on 127.0.0.1:").await;
    let port: u16 = port_after(&text, "Listening on 127.0.0.1:");
    assert!(text.contains("Waiting for connection..."));

    app.on_key(alt('3'));
    set_field(&mut app, &format!("127.0.0.1:{port}"));
    app.on_key(key(KeyCode::Enter));
    let text = pump_until(&mut app, &mut rx, "Welcome!").await;
    assert!(
        text.contains(&format!("⇄ 127.0.0.1:{port} (server)")),
        "{text}"
    );
    type_text(&mut app, "Michael");
    app.on_key(key(KeyCode::Enter));
    pump_until(&mut app, &mut rx, "Hello, Michael!").await;

    app.on_key(alt('2'));
    let text = show(&mut app);
    assert!(
        text.contains("Accept new connection from 127.0.0.1:"),
        "{text}"
    );
    // "Michael" and the LF the client tab ends a line with (as nc does).
    assert!(text.contains("received 8 B from"), "{text}");
    assert!(text.contains("1 open"));

    app.on_key(alt('3'));
    // Alt+3 puts the keyboard on the target, but a live connection's target
    // is locked: typing goes to the message input instead.
    type_text(&mut app, "exit");
    assert!(
        !show(&mut app).contains(&format!("127.0.0.1:{port}exit")),
        "the target is unchanged"
    );
    app.on_key(key(KeyCode::Enter));
    pump_until(&mut app, &mut rx, "Connection closed by peer").await;
    app.on_key(alt('2'));
    pump_until(&mut app, &mut rx, "closed. (#").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_bytes_never_reach_a_cell() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream
            .write_all(b"\x1b]0;pwned\x07\x1b]52;c;aGk=\x07\x1b[2J\x1b[H\x9b31m\xc2\x9b\xe2\x80\xaeevil\x1bPq\x1b\\\x7f\x0e done")
            .unwrap();
        stream
    });
    let (mut app, mut rx) = new_app();
    app.on_key(alt('3'));
    set_field(&mut app, &addr.to_string());
    app.on_key(key(KeyCode::Enter));
    let text = pump_until(&mut app, &mut rx, "done").await;
    assert!(text.contains("\\x1b]0;pwned\\x07"), "{text}");
    assert!(
        text.contains("\\u{202e}evil"),
        "bidi override shown, not obeyed"
    );
    assert!(text.contains("\\xc2\\x9b") || text.contains("\\u{9b}"));
    for c in text.chars() {
        assert!(
            !netplay::text::is_unsafe_char(c) || c == '\n',
            "{c:?} on screen"
        );
    }
    app.on_key(key(F2));
    assert!(
        show(&mut app).contains("1b 5d 30 3b"),
        "hex view shows the bytes"
    );
    drop(peer.join());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_and_in_use_show_one_line_reasons() {
    let (mut app, mut rx) = new_app();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    app.on_key(alt('3'));
    set_field(&mut app, &closed.to_string());
    app.on_key(key(KeyCode::Enter));
    pump_until(&mut app, &mut rx, "connection refused by").await;

    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    app.on_key(alt('2'));
    set_field(&mut app, &holder.local_addr().unwrap().to_string());
    app.on_key(key(KeyCode::Enter));
    pump_until(&mut app, &mut rx, "already in use").await;
    // the app is still usable: start on a free port
    set_field(&mut app, "127.0.0.1:0");
    app.on_key(key(KeyCode::Enter));
    pump_until(&mut app, &mut rx, "Listening on").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn input_is_answered_under_an_event_flood() {
    // A producer floods the event channel for as long as the loop runs; a
    // Ctrl+C sent meanwhile must still end the loop promptly.
    let (engine, _unused) = Engine::new(tokio::runtime::Handle::current());
    let mut app = App::new(engine, StartOptions::default());
    let (flood_tx, flood_rx) = mpsc::channel(16_384);
    let (going_tx, going_rx) = tokio::sync::oneshot::channel();
    let producer = tokio::spawn(async move {
        let mut sent = 0u64;
        let mut going = Some(going_tx);
        let stats_server = netplay::net::ServerId(u64::MAX);
        loop {
            let event = Event::Server(
                stats_server,
                netplay::net::tcp_server::ServerEvent::AcceptFailed {
                    reason: format!("synthetic event {sent}"),
                },
            );
            if flood_tx.send(event).await.is_err() {
                return sent;
            }
            sent += 1;
            if sent == 50_000 {
                // The loop has folded at least 50,000 - 16,384 events by now.
                if let Some(going) = going.take() {
                    let _ = going.send(());
                }
            }
        }
    });
    let (input_tx, input_rx) = mpsc::unbounded_channel::<std::io::Result<TermEvent>>();
    let input = futures_util::stream::unfold(input_rx, |mut rx| async move {
        rx.recv().await.map(|event| (event, rx))
    });
    let input = Box::pin(input);
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    app.on_key(alt('2'));
    let quit = tokio::spawn(async move {
        going_rx.await.unwrap();
        input_tx
            .send(Ok(TermEvent::Key(KeyEvent::new(
                KeyCode::Char('c'),
                KeyModifiers::CONTROL,
            ))))
            .unwrap();
        input_tx
    });
    let outcome = tokio::time::timeout(
        Duration::from_secs(10),
        app::run(&mut terminal, &mut app, input, flood_rx),
    )
    .await;
    assert!(outcome.is_ok(), "Ctrl+C was not handled under the flood");
    assert!(app.quit);
    drop(quit.await);
    let sent = producer.await.unwrap();
    assert!(sent >= 50_000);
    assert!(app.server.console.log.ring().total() >= 50_000 - 16_384);
    assert!(app.server.console.log.ring().len() <= netplay::ring::DEFAULT_CAPACITY);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn udp_tab_binds_answers_and_shows_hex() {
    let (mut app, mut rx) = new_app();
    app.on_key(alt('4'));
    let text = show(&mut app);
    assert!(
        text.contains("Bind") && text.contains("Lossy network off"),
        "{text}"
    );
    set_field(&mut app, "127.0.0.1:0");
    app.on_key(key(KeyCode::Enter));
    let text = pump_until(&mut app, &mut rx, "Bound 127.0.0.1:").await;
    let port: u16 = port_after(&text, "Bound 127.0.0.1:");
    let client = tokio::task::spawn_blocking(move || {
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        socket.set_read_timeout(Some(common::WAIT)).unwrap();
        let mut replies = Vec::new();
        for name in ["Michael", "Tracy", "Sarah"] {
            socket
                .send_to(name.as_bytes(), ("127.0.0.1", port))
                .unwrap();
            let mut buf = [0u8; 64];
            let n = socket.recv(&mut buf).unwrap();
            replies.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
        replies
    });
    assert_eq!(
        client.await.unwrap(),
        ["Hello, Michael!", "Hello, Tracy!", "Hello, Sarah!"]
    );
    let text = pump_until(&mut app, &mut rx, "Hello, Sarah!").await;
    assert!(text.contains("in 3 (17 B) · out 3 (41 B)"), "{text}");
    // the newest packet is selected: its hex is in the detail pane
    assert!(text.contains("48 65 6c 6c 6f 2c 20 53"), "{text}");
    app.on_key(key(F6));
    assert!(show(&mut app).contains("LOSSY NETWORK ON"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn udp_flood_is_absorbed_with_bounded_memory() {
    let (mut app, mut rx) = new_app();
    app.on_key(alt('4'));
    set_field(&mut app, "127.0.0.1:0");
    for _ in 0..2 {
        app.on_key(key(F5)); // greet → echo → silent
    }
    app.on_key(key(KeyCode::Enter));
    let text = pump_until(&mut app, &mut rx, "Bound 127.0.0.1:").await;
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port_after(&text, "Bound 127.0.0.1:")));
    const TOTAL: u64 = 100_000;
    let (done_tx, mut done_rx) = tokio::sync::oneshot::channel();
    // The sender paces itself on what the UI has folded, as a slow link would.
    let folded = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let seen = folded.clone();
    std::thread::spawn(move || {
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let mut sent = 0u64;
        while sent < TOTAL {
            for _ in 0..64 {
                if sent < TOTAL {
                    socket.send_to(b"flood", addr).unwrap();
                    sent += 1;
                }
            }
            let deadline = std::time::Instant::now() + common::WAIT;
            while seen.load(std::sync::atomic::Ordering::Relaxed) < sent {
                assert!(std::time::Instant::now() < deadline, "UI stalled");
                std::thread::yield_now();
            }
        }
        let _ = done_tx.send(());
    });
    loop {
        tokio::select! {
            _ = &mut done_rx => break,
            event = rx.recv() => {
                app.on_engine(event.expect("engine"));
                let total = app.udp.packets.total() + app.engine.dropped_events();
                folded.store(total, std::sync::atomic::Ordering::Relaxed);
            }
        }
    }
    assert_eq!(app.udp.packets.total() + app.engine.dropped_events(), TOTAL);
    assert!(app.udp.packets.len() <= netplay::ring::DEFAULT_CAPACITY);
    let text = show(&mut app);
    assert!(text.contains("in 100,000 (500,000 B)"), "{text}");
    assert!(text.contains("oldest dropped"), "{text}");
}

/// The table's selection holds a connection by its id: arrivals do not move
/// it; once its connection is closed, the next arrival takes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_table_selection_holds_its_connection() {
    let (mut app, mut rx) = new_app();
    app.on_key(alt('2'));
    set_field(&mut app, "127.0.0.1:0");
    for _ in 0..3 {
        app.on_key(key(F5)); // greet → echo → discard → manual
    }
    app.on_key(key(KeyCode::Enter));
    let text = pump_until(&mut app, &mut rx, "Listening on 127.0.0.1:").await;
    let addr: std::net::SocketAddr =
        ([127, 0, 0, 1], port_after(&text, "Listening on 127.0.0.1:")).into();
    let mut first = common::tutorial_client(addr);
    pump_until(&mut app, &mut rx, "Connections · 1 open").await;
    let _second = common::tutorial_client(addr);
    pump_until(&mut app, &mut rx, "Connections · 2 open").await;
    app.on_key(key(KeyCode::Tab)); // address → connections
    app.on_key(key(KeyCode::Up)); // hold the first
    let _third = common::tutorial_client(addr);
    let _fourth = common::tutorial_client(addr);
    pump_until(&mut app, &mut rx, "Connections · 4 open").await;
    app.on_key(key(KeyCode::Char('k')));
    pump_until(&mut app, &mut rx, "Connections · 3 open").await;
    let mut buf = [0u8; 1];
    assert_eq!(std::io::Read::read(&mut first, &mut buf).unwrap(), 0);

    // The held row is closed now: a new arrival is selected.
    let mut fifth = common::tutorial_client(addr);
    pump_until(&mut app, &mut rx, "Connections · 4 open").await;
    app.on_key(key(KeyCode::Char('k')));
    pump_until(&mut app, &mut rx, "Connections · 3 open").await;
    assert_eq!(std::io::Read::read(&mut fifth, &mut buf).unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_tab_manual_reply_broadcast_and_kick() {
    let (mut app, mut rx) = new_app();
    app.on_key(alt('2'));
    set_field(&mut app, "127.0.0.1:0");
    for _ in 0..3 {
        app.on_key(key(F5)); // greet → echo → discard → manual
    }
    app.on_key(key(KeyCode::Enter));
    let text = pump_until(&mut app, &mut rx, "Listening on 127.0.0.1:").await;
    assert!(text.contains("mode manual"), "{text}");
    let port: u16 = port_after(&text, "Listening on 127.0.0.1:");
    let mut first = common::tutorial_client(([127, 0, 0, 1], port).into());
    pump_until(&mut app, &mut rx, "· 1 open").await;
    let mut second = common::tutorial_client(([127, 0, 0, 1], port).into());
    pump_until(&mut app, &mut rx, "· 2 open").await;

    // The newest connection is selected; Up selects the first one.
    app.on_key(key(KeyCode::Tab)); // address → connections
    app.on_key(key(KeyCode::Up));
    app.on_key(key(KeyCode::Tab)); // → message
    type_text(&mut app, "just you");
    app.on_key(key(KeyCode::Enter));
    common::expect_bytes(&mut first, b"just you");
    pump_until(&mut app, &mut rx, "sent 8 B to").await;

    app.on_key(key(F7)); // broadcast
    assert!(show(&mut app).contains("Broadcast to all open connections"));
    type_text(&mut app, "all");
    app.on_key(key(KeyCode::Enter));
    common::expect_bytes(&mut first, b"all");
    common::expect_bytes(&mut second, b"all");
    // Both connections' send events must be in before the pause below
    // counts new entries: each task reports its own write.
    pump_until_count(&mut app, &mut rx, "sent 3 B to", 2).await;

    // Kick the selected (first) connection with 'k' from the table.
    app.on_key(key(KeyCode::BackTab)); // message → connections
    app.on_key(key(KeyCode::Char('k')));
    let text = pump_until(&mut app, &mut rx, "closed by netplay: kicked").await;
    assert!(text.contains("1 open"), "{text}");
    let mut buf = [0u8; 1];
    assert_eq!(
        std::io::Read::read(&mut first, &mut buf).unwrap(),
        0,
        "kicked: EOF"
    );

    // Space pauses the log: new events are counted, not shown.
    app.on_key(key(KeyCode::Char(' ')));
    drop(second);
    // (manual mode keeps a half-closed connection open for a reply)
    let text = pump_until(&mut app, &mut rx, "PAUSED, 1 new").await;
    assert!(!text.contains("shut down its write side"), "{text}");
    app.on_key(key(KeyCode::Char(' ')));
    let text = show(&mut app);
    assert!(text.contains("shut down its write side (FIN)"), "{text}");
    assert!(
        text.contains("peer FIN"),
        "the table shows the half-close: {text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_tab_escapes_line_endings_half_close_and_hex() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(common::WAIT)).unwrap();
        let mut got = Vec::new();
        std::io::Read::read_to_end(&mut stream, &mut got).unwrap();
        // only after our FIN: the reply still arrives
        stream.write_all(b"late reply").unwrap();
        got
    });
    let (mut app, mut rx) = new_app();
    app.on_key(alt('3'));
    set_field(&mut app, &addr.to_string());
    app.on_key(key(KeyCode::Enter));
    pump_until(&mut app, &mut rx, "Connected: local").await;
    app.on_key(key(F4)); // escapes on; the line ending is LF already
    assert!(show(&mut app).contains("EOL LF (F3) · escapes on (F4)"));
    type_text(&mut app, "\\x41\\x00B");
    app.on_key(key(KeyCode::Enter));
    pump_until(&mut app, &mut rx, "→ 4 B: A\\x00B\\n").await;
    type_text(&mut app, "\\q");
    app.on_key(key(KeyCode::Enter));
    assert!(show(&mut app).contains("Not sent: unknown escape \\q"));
    app.on_key(key(F6)); // half-close
    pump_until(&mut app, &mut rx, "FIN sent").await;
    let text = pump_until(&mut app, &mut rx, "late reply").await;
    assert!(text.contains("you closed first"), "{text}");
    pump_until(&mut app, &mut rx, "Connection closed by peer").await;
    app.on_key(key(F2));
    assert!(
        show(&mut app).contains("6c 61 74 65 20 72 65 70"),
        "hex of 'late rep'"
    );
    assert_eq!(peer.join().unwrap(), b"A\x00B\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn udp_tab_leaves_the_size_limit_to_the_engine_and_keeps_the_message() {
    let target = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = target.local_addr().unwrap();
    let (mut app, mut rx) = new_app();
    app.on_key(alt('4'));
    app.on_key(key(KeyCode::Tab)); // bind → target
    set_field(&mut app, &addr.to_string());
    app.on_key(key(KeyCode::Tab)); // → message
    app.on_paste(&"x".repeat(70_000));
    app.on_key(key(KeyCode::Enter));
    pump_until(&mut app, &mut rx, "datagram too large: 70000 bytes").await;
    app.on_key(key(KeyCode::Up)); // the history has it back
    assert!(show(&mut app).contains("xxxxxxxx"));
    drop(target);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_mode_answers_by_the_editor_and_edits_apply_to_the_next_line() {
    let (mut app, mut rx) = new_app();
    app.on_key(alt('2'));
    set_field(&mut app, "127.0.0.1:0");
    for _ in 0..5 {
        app.on_key(key(F5)); // greet → … → rules
    }
    assert!(
        show(&mut app).contains("mode rules (F5) · Alt+E edits the rules"),
        "{}",
        show(&mut app)
    );
    app.on_key(key(KeyCode::Enter));
    let text = pump_until(&mut app, &mut rx, "Listening on 127.0.0.1:").await;
    let port = port_after(&text, "Listening on 127.0.0.1:");
    let mut client = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    client.set_read_timeout(Some(common::WAIT)).unwrap();
    client.write_all(b"PING 3\n").unwrap();
    let mut got = [0u8; 10];
    std::io::Read::read_exact(&mut client, &mut got).unwrap();
    assert_eq!(&got, b"PONG 3 #1\n");
    pump_until(&mut app, &mut rx, "rule 2 matched").await;
    // Edit: a bad line shows its error and keeps the rules in force; a
    // good one applies to the next line read.
    app.on_key(alt('e'));
    assert!(
        show(&mut app).contains("Rules · 2 rules in force"),
        "{}",
        show(&mut app)
    );
    // The editor opens on an empty line after the rules: typing adds one.
    app.on_paste("^HELLO$");
    assert!(
        show(&mut app).contains("✗ line 4: no `=>`"),
        "{}",
        show(&mut app)
    );
    app.on_paste(" => hi there\\n");
    assert!(
        show(&mut app).contains("Rules · 3 rules in force"),
        "{}",
        show(&mut app)
    );
    app.on_key(key(KeyCode::Esc));
    client.write_all(b"HELLO\n").unwrap();
    let mut got = [0u8; 9];
    std::io::Read::read_exact(&mut client, &mut got).unwrap();
    assert_eq!(&got, b"hi there\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f7_repeats_the_message_on_the_client_tab_and_counts_it() {
    let (mut app, mut rx) = new_app();
    let config = netplay::net::behaviour::greet::ServerConfig {
        behaviour: netplay::net::behaviour::greet::Behaviour::Echo,
        ..Default::default()
    };
    let server = netplay::net::tcp_server::start(&app.engine, "127.0.0.1:0", config);
    let addr = common::listening(&mut rx, server.id()).await;
    app.on_key(alt('3'));
    set_field(&mut app, &addr.to_string());
    app.on_key(key(KeyCode::Enter));
    pump_until(&mut app, &mut rx, "Connected to").await;
    type_text(&mut app, "tick");
    app.on_key(key(KeyCode::F(7)));
    pump_until(&mut app, &mut rx, "repeating every 1 s").await;
    app.on_key(key(KeyCode::F(7)));
    pump_until(&mut app, &mut rx, "repeating every 250 ms").await;
    let text = pump_until(&mut app, &mut rx, "4 sent (F7)").await;
    assert!(text.contains("5 B: tick\\n"), "{text}");
    app.on_key(key(KeyCode::F(7))); // 50 ms
    app.on_key(key(KeyCode::F(7))); // off
    assert!(show(&mut app).contains("Repeat off"), "{}", show(&mut app));
    assert!(!show(&mut app).contains("repeating every"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_r_reconnects_the_client_after_the_server_closes() {
    let (mut app, mut rx) = new_app();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let accepts = std::thread::spawn(move || {
        // The first connection is closed at once; the second is kept.
        let (first, _) = listener.accept().unwrap();
        drop(first);
        listener.accept().unwrap().0
    });
    app.on_key(alt('3'));
    set_field(&mut app, &addr.to_string());
    app.on_key(ctrl('r'));
    assert!(
        show(&mut app).contains("Reconnect on"),
        "{}",
        show(&mut app)
    );
    app.on_key(key(KeyCode::Enter));
    pump_until(&mut app, &mut rx, "Reconnecting in 1 s (attempt 1)").await;
    // The loop ticks once a second; here the test ticks until the attempt.
    let deadline = tokio::time::Instant::now() + common::WAIT;
    loop {
        app.on_tick();
        if show(&mut app).contains("Connected to") {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{}", show(&mut app));
        if let Ok(Some(event)) = tokio::time::timeout(Duration::from_millis(50), rx.recv()).await {
            app.on_engine(event);
        }
    }
    let _second = accepts.join().unwrap();
    app.on_key(key(KeyCode::F(8))); // disconnecting by hand ends it
    pump_until(&mut app, &mut rx, "Disconnected (you closed)").await;
    // No attempt is scheduled: ticks do not connect again.
    for _ in 0..3 {
        app.on_tick();
    }
    let text = show(&mut app);
    assert_eq!(
        text.matches("Reconnecting in").count(),
        1,
        "only the first: {text}"
    );
    assert!(
        !text.contains("Connecting to 127.0.0.1") || text.matches("Connecting to").count() == 2,
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f9_repeats_a_datagram_on_the_udp_tab() {
    let (mut app, mut rx) = new_app();
    let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    peer.set_read_timeout(Some(common::WAIT)).unwrap();
    let addr = peer.local_addr().unwrap();
    app.on_key(alt('4'));
    app.on_key(key(KeyCode::Tab)); // send to
    set_field(&mut app, &addr.to_string());
    app.on_key(key(KeyCode::Tab)); // the message
    type_text(&mut app, "beat");
    app.on_key(key(KeyCode::F(9)));
    app.on_key(key(KeyCode::F(9))); // 250 ms
    let mut buf = [0u8; 16];
    for _ in 0..3 {
        let (len, _) = peer.recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..len], b"beat");
    }
    let text = pump_until(&mut app, &mut rx, "repeating every 250 ms").await;
    assert!(text.contains("sent (F9)"), "{text}");
    app.on_key(key(KeyCode::F(9))); // 50 ms
    app.on_key(key(KeyCode::F(9))); // off
    assert!(show(&mut app).contains("Repeat off"));
}
