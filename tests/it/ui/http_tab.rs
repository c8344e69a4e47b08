//! The HTTP tab as a person uses it: fetching from netplay's own server,
//! bad URLs and refusals, malformed heads marked, long bodies, pasted curl
//! commands, .http collections and "copy as curl".

use crate::common;

use common::ui::*;
use crossterm::event::KeyCode;
use netplay::net::Engine;
use netplay::ui::shell::event_loop::{App, StartOptions};
use std::io::Write;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_tab_edits_and_fetches_from_the_own_server() {
    let (mut app, mut rx) = new_app();
    app.on_key(alt('2'));
    set_field(&mut app, "127.0.0.1:0");
    for _ in 0..4 {
        app.on_key(key(F5)); // greet → echo → discard → manual → http
    }
    app.on_key(key(KeyCode::Enter));
    let text = pump_until(&mut app, &mut rx, "Listening on 127.0.0.1:").await;
    assert!(text.contains("mode http"), "{text}");
    let port = port_after(&text, "Listening on 127.0.0.1:");

    app.on_key(alt('1'));
    set_field(&mut app, &format!("http://127.0.0.1:{port}/hello?x=1"));
    let text = show(&mut app);
    assert!(
        text.contains("GET /hello?x=1 HTTP/1.1"),
        "editor follows the URL:\n{text}"
    );
    assert!(text.contains(&format!("Host: 127.0.0.1:{port}")));
    app.on_key(key(F5));
    assert!(show(&mut app).contains("HEAD /hello?x=1 HTTP/1.1"));
    app.on_key(key(F5)); // POST
    app.on_key(key(F5)); // PUT
    for _ in 0..4 {
        app.on_key(key(F5)); // PATCH DELETE OPTIONS, back to GET
    }
    app.on_key(key(KeyCode::Enter));
    let text = pump_until(&mut app, &mut rx, "Request: GET /hello?x=1 HTTP/1.1").await;
    assert!(text.contains("HTTP/1.1 200 OK\\r\\n"), "{text}");
    assert!(text.contains("Content-Type    text/plain"), "{text}");
    app.on_key(key(F2));
    assert!(
        show(&mut app).contains("GET /hello?x=1 HTTP/1.1\\r\\n"),
        "request as sent"
    );
    app.on_key(key(F2));
    let text = show(&mut app);
    assert!(
        text.contains("first byte") && text.contains("(you)"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_tab_bad_url_and_refused() {
    let (mut app, mut rx) = new_app();
    app.on_key(alt('1'));
    set_field(&mut app, "ftp://x/");
    assert!(
        show(&mut app).contains("URL ✗ unsupported scheme 'ftp'"),
        "the reason shows inline while typing:\n{}",
        show(&mut app)
    );
    app.on_key(key(KeyCode::Enter));
    assert!(show(&mut app).contains("unsupported scheme 'ftp'"));
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    set_field(&mut app, &format!("http://{closed}/"));
    app.on_key(key(KeyCode::Enter));
    pump_until(&mut app, &mut rx, "connection refused").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_response_pane_scrolls_past_65536_lines() {
    // A 64 KiB body of bare newlines is 65,536 preview lines plus the head:
    // more than a u16 can count.
    let mut response = b"HTTP/1.1 200 OK\r\nContent-Length: 70000\r\n\r\n".to_vec();
    response.extend(std::iter::repeat_n(b'\n', 70_000));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = [0u8; 4096];
        let _ = std::io::Read::read(&mut stream, &mut request);
        stream.write_all(&response).unwrap();
    });
    let (mut app, mut rx) = new_app();
    app.on_key(alt('1'));
    set_field(&mut app, &format!("http://{addr}/"));
    app.on_key(key(KeyCode::Enter));
    pump_until(&mut app, &mut rx, "first 65,536 B shown").await;
    assert!(show(&mut app).contains("raw head"));
    app.on_key(key(KeyCode::Tab)); // URL → request
    app.on_key(key(KeyCode::Tab)); // → response
    app.on_key(key(KeyCode::End));
    let text = show(&mut app);
    assert!(
        !text.contains("raw head"),
        "End reaches the bottom:\n{text}"
    );
    assert!(text.contains("│\\n"), "the last body lines:\n{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_tab_marks_each_kind_of_malformed_head() {
    let cases: [(&'static [u8], &str); 4] = [
        (
            b"HTTP/1.1 200 OK\r\nX-A : v\r\nContent-Length: 4\r\n\r\nbody",
            "space before the colon",
        ),
        (
            b"HTTP/1.1 200 OK\r\nX-A: \xff\x01\r\nContent-Length: 4\r\n\r\nbody",
            "control byte 0x01 at offset 6",
        ),
        (
            b"HTTP/1.1 200 OK\r\nnot a header\r\nContent-Length: 4\r\n\r\nbody",
            "no colon: not a header field",
        ),
        (
            b"HTTP/1.1 200 OK\r\nX-A: one\r\n two\r\nContent-Length: 4\r\n\r\nbody",
            "obs-fold",
        ),
    ];
    for (wire, problem) in cases {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = [0u8; 4096];
            let _ = std::io::Read::read(&mut stream, &mut request);
            let _ = stream.write_all(wire);
        });
        let (mut app, mut rx) = new_app();
        app.on_key(alt('1'));
        set_field(&mut app, &format!("http://{addr}/"));
        app.on_key(key(KeyCode::Enter));
        let text = pump_until(&mut app, &mut rx, "body · 4 B").await;
        assert!(text.contains(&format!("↑ {problem}")), "{text}");
        assert!(text.contains("⚠ not valid HTTP/1.1: line "), "{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_tab_shows_an_invalid_head_with_each_problem_marked() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = [0u8; 4096];
        let _ = std::io::Read::read(&mut stream, &mut request);
        let _ = stream.write_all(
            b"HTTP/1.1 200 OK\r\nX-Evil: \x1b]2;PWNED\x07x\r\nX-Fold: a\r\n b\r\nContent-Length: 9\r\n\r\nthe body!",
        );
    });
    let (mut app, mut rx) = new_app();
    app.on_key(alt('1'));
    set_field(&mut app, &format!("http://{addr}/"));
    app.on_key(key(KeyCode::Enter));
    let text = pump_until(&mut app, &mut rx, "the body!").await;
    assert!(
        text.contains("not valid HTTP/1.1: line 2: control byte 0x1b at offset 8"),
        "{text}"
    );
    assert!(text.contains("↑ control byte 0x1b at offset 8"), "{text}");
    assert!(text.contains("↑ obs-fold"), "{text}");
    assert!(
        text.contains("X-Evil: \\x1b]2;PWNED\\x07x"),
        "sanitized:\n{text}"
    );
    assert!(!text.contains('\u{1b}') && !text.contains('\u{7}'), "inert");
}

#[test]
fn every_tab_binds_each_key_once_per_scope() {
    use netplay::ui::shell::keys::conflicts;
    use netplay::ui::{
        tabs::http::HttpTab, tabs::tcp_client::ClientTab, tabs::tcp_server::ServerTab,
        tabs::udp::UdpTab,
    };
    assert_eq!(conflicts(HttpTab::BINDINGS), Vec::<String>::new());
    assert_eq!(conflicts(ServerTab::BINDINGS), Vec::<String>::new());
    assert_eq!(conflicts(ClientTab::BINDINGS), Vec::<String>::new());
    assert_eq!(conflicts(UdpTab::BINDINGS), Vec::<String>::new());
    assert_eq!(
        conflicts(netplay::ui::shell::app::GLOBAL_BINDINGS),
        Vec::<String>::new()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pasted_curl_command_becomes_the_request_and_alt_c_gives_it_back() {
    let (mut app, _rx) = new_app();
    app.on_key(alt('1'));
    app.on_paste(
        "curl 'http://127.0.0.1:8080/api' \\\n  -H 'Content-Type: application/json' \\\n  -L --data-raw '{\"a\":1}'",
    );
    let text = show(&mut app);
    assert!(text.contains("http://127.0.0.1:8080/api"), "{text}");
    assert!(text.contains("POST /api HTTP/1.1"), "{text}");
    assert!(text.contains("Content-Type: application/json"), "{text}");
    assert!(text.contains("{\"a\":1}"), "{text}");
    assert!(
        text.contains("From curl: POST") && text.contains("not used: -L"),
        "{text}"
    );
    app.on_key(alt('c'));
    let text = show(&mut app);
    assert!(
        text.contains("curl -v -X POST -H 'Content-Type: application/json' --data-binary '{\"a\":1}' http://127.0.0.1:8080/api"),
        "{text}"
    );
    assert!(
        text.contains("netplay fetch -v -X POST -H 'Content-Type: application/json' -d"),
        "{text}"
    );
    app.on_key(key(KeyCode::Char('c')));
    assert!(app
        .clipboard
        .as_deref()
        .is_some_and(|c| c.contains("curl -v -X POST")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_http_file_lists_its_requests_fills_the_editor_and_takes_one_more() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("api.http");
    std::fs::write(
        &path,
        "@base = http://127.0.0.1:9999\n\n### index page\nGET {{base}}/ HTTP/1.1\n\n### create item\nPOST {{base}}/items\nContent-Type: application/json\n\n{\"name\": \"x\"}\n\n> {%\nclient.test(\"ok\");\n%}\n",
    )
    .unwrap();
    let (engine, _rx) = Engine::new(tokio::runtime::Handle::current());
    let options = StartOptions {
        http_file: Some(path.clone()),
        ..StartOptions::default()
    };
    let mut app = App::new(engine, options);
    let text = show(&mut app);
    assert!(
        text.contains("api.http: 2 requests (Alt+R lists them) · 1 part not supported"),
        "{text}"
    );
    app.on_key(alt('r'));
    let text = show(&mut app);
    assert!(
        text.contains("index page") && text.contains("create item"),
        "{text}"
    );
    assert!(
        text.contains("scripts ({% … %}) are not supported"),
        "{text}"
    );
    app.on_key(key(KeyCode::Down));
    app.on_key(key(KeyCode::Enter));
    let text = show(&mut app);
    assert!(text.contains("POST /items HTTP/1.1"), "{text}");
    assert!(text.contains("{\"name\": \"x\"}"), "{text}");
    assert!(text.contains("create item · Enter sends it"), "{text}");
    // Alt+W appends what is in the editor; the file reads back with three.
    app.on_key(alt('w'));
    assert!(show(&mut app).contains("Appended the request to"));
    let collection = netplay::http_file::parse(&std::fs::read_to_string(&path).unwrap());
    assert_eq!(collection.requests.len(), 3);
    assert_eq!(collection.requests[2].name, "POST /items");
    assert_eq!(collection.requests[2].body, "{\"name\": \"x\"}");

    // With no file loaded, Alt+R asks for one; a FIFO is refused at once
    // (reading one would block the screen), a pasted path is taken.
    let (engine, _rx) = Engine::new(tokio::runtime::Handle::current());
    let mut app = App::new(engine, StartOptions::default());
    let fifo = dir.path().join("fifo");
    if std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success())
    {
        app.on_key(alt('r'));
        type_text(&mut app, fifo.to_str().unwrap());
        app.on_key(key(KeyCode::Enter));
        assert!(
            show(&mut app).contains("not a regular file"),
            "{}",
            show(&mut app)
        );
    }
    app.on_key(alt('r'));
    assert!(show(&mut app).contains("Open a .http file"));
    app.on_paste(path.to_str().unwrap());
    app.on_key(key(KeyCode::Enter));
    let text = show(&mut app);
    assert!(
        text.contains("index page") && text.contains("Requests ·"),
        "{text}"
    );
    app.on_key(key(KeyCode::Esc));
    assert!(!show(&mut app).contains("Requests ·"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alt_c_exports_the_request_as_sent_changed_defaults_and_all() {
    let (mut app, _rx) = new_app();
    app.on_key(alt('1'));
    app.on_paste("curl -X GET -H 'Host: vhost.test' -H 'Accept: application/json' -A my-agent -d q=1 http://127.0.0.1:8080/g");
    app.on_key(alt('c'));
    let text = show(&mut app);
    for part in [
        "curl -v -X GET -H 'Host: vhost.test'",
        "-H 'User-Agent: my-agent'",
        "-H 'Accept: application/json'",
        "--data-binary q=1 http://127.0.0.1:8080/g",
        "netplay fetch -v -X GET -H 'Host: vhost.test'",
    ] {
        assert!(text.contains(part), "{part:?} missing:\n{text}");
    }
}

#[tokio::test]
async fn a_long_not_supported_list_scrolls_with_page_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.http");
    let mut text = String::from("### one\nGET http://127.0.0.1:9999/\n\n");
    for n in 0..40 {
        text.push_str(&format!("> {{%\nclient.test(\"{n}\");\n%}}\n\n"));
    }
    std::fs::write(&path, text).unwrap();
    let (engine, _rx) = Engine::new(tokio::runtime::Handle::current());
    let options = StartOptions {
        http_file: Some(path),
        ..StartOptions::default()
    };
    let mut app = App::new(engine, options);
    app.on_key(alt('r'));
    let first = screen(&mut app, 80, 24);
    assert!(first.contains("Not supported"), "{first}");
    for _ in 0..10 {
        app.on_key(key(KeyCode::PageDown));
    }
    let last = screen(&mut app, 80, 24);
    assert!(last.contains("line 160:"), "the end of the list:\n{last}");
    assert_ne!(first, last);
    app.on_key(key(KeyCode::Up));
    assert_eq!(
        screen(&mut app, 80, 24),
        first,
        "↑ returns to the selection"
    );
}

/// A `text/event-stream` answer is shown live as events, counted exactly,
/// while the stream stays open (10,000 events; the tab keeps the last 500).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_tab_shows_an_event_stream_live() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (finish, wait) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut head = [0u8; 2048];
        let _ = std::io::Read::read(&mut stream, &mut head);
        let mut out =
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
                .to_vec();
        for i in 1..=10_000 {
            out.extend_from_slice(
                format!("event: tick\nid: {i}\ndata: \x1b]0;evil\x07 {i}\n\n").as_bytes(),
            );
        }
        stream.write_all(&out).unwrap();
        let _ = wait.recv_timeout(common::WAIT);
    });
    let (mut app, mut rx) = new_app();
    app.on_key(alt('1'));
    set_field(&mut app, &format!("http://{addr}/stream"));
    app.on_key(key(KeyCode::Enter));
    // Fold events without drawing each time, until the last one is in.
    let deadline = tokio::time::Instant::now() + common::WAIT;
    loop {
        let event = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("the 10,000th event in time")
            .expect("engine open");
        let last = matches!(&event, netplay::net::Event::Http(_, netplay::net::http::HttpEvent::Sse(e)) if e.seq == 10_000);
        app.on_engine(event);
        if last {
            break;
        }
    }
    let text = show(&mut app);
    assert!(
        text.contains("events (text/event-stream) · 10,000 received · the last 100 shown"),
        "{text}"
    );
    assert!(!text.contains('\x1b'), "the peer's escape is shown escaped");
    finish.send(()).unwrap();
}

/// A ws:// URL fills the upgrade request; after the checked 101 the same
/// socket stays open, the frames show both ways, F8 sends the editor as a
/// message, Esc closes with 1000 and the request comes back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_tab_upgrades_to_a_websocket_and_talks() {
    let (mut app, mut rx) = new_app();
    app.on_key(alt('2'));
    set_field(&mut app, "127.0.0.1:0");
    app.on_key(alt('w'));
    app.on_key(key(KeyCode::Enter));
    let text = pump_until(&mut app, &mut rx, "Listening on 127.0.0.1:").await;
    let port = port_after(&text, "Listening on 127.0.0.1:");

    app.on_key(alt('1'));
    set_field(&mut app, &format!("ws://127.0.0.1:{port}/chat"));
    let text = show(&mut app);
    assert!(
        text.contains("Upgrade: websocket") && text.contains("Sec-WebSocket-Key: "),
        "{text}"
    );
    app.on_key(key(KeyCode::Enter));
    let text = pump_until(&mut app, &mut rx, "text frame · FIN · 8 B: Welcome!").await;
    assert!(text.contains("101 Switching Protocols"), "{text}");
    assert!(
        text.contains("WebSocket message · F8 sends it as text"),
        "{text}"
    );
    type_text(&mut app, "Michael");
    app.on_key(key(KeyCode::F(8)));
    let text = pump_until(&mut app, &mut rx, "Hello, Michael!").await;
    assert!(
        text.contains("text frame · FIN · 7 B · mask "),
        "our frame is masked: {text}"
    );
    // Alt+B: binary, from escapes.
    type_text(&mut app, "\\x00\\xff");
    app.on_key(alt('b'));
    pump_until(&mut app, &mut rx, "binary frame · FIN · 2 B · mask ").await;
    // Esc with a code typed: the close carries it, and the server's
    // answer comes back with the same code.
    type_text(&mut app, "4000 bye");
    app.on_key(key(KeyCode::Esc));
    let text = pump_until(&mut app, &mut rx, "close frame · FIN · 2 B · 4000").await;
    assert!(text.contains("close frame · FIN · 5 B · mask "), "{text}");
    // (The line wraps at this width: each part is on screen.)
    assert!(
        text.contains("· 4000 (private") && text.contains("): bye"),
        "{text}"
    );
    let text = if text.contains("Request (edit") {
        text
    } else {
        pump_until(&mut app, &mut rx, "Request (edit").await
    };
    assert!(
        text.contains("GET /chat HTTP/1.1"),
        "the request is back: {text}"
    );
}

/// A server that answers the upgrade by hand and then sends one message in
/// two fragments with a ping between them; returns what it read after.
fn fragmenting_server() -> (u16, std::thread::JoinHandle<Vec<u8>>) {
    use netplay::net::ws::frame::{encode, Opcode};
    use netplay::net::ws::handshake::{accept, ServerSide};
    use std::io::Read;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let thread = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(common::WAIT)).unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        let response = loop {
            stream.read_exact(&mut byte).unwrap();
            head.push(byte[0]);
            if let ServerSide::Upgraded(upgrade, _) = accept(&head, &[]) {
                break upgrade.response;
            }
        };
        let mut wire = response;
        encode(&mut wire, false, Opcode::Text, b"Hel", None);
        encode(&mut wire, true, Opcode::Ping, b"still there?", None);
        encode(&mut wire, true, Opcode::Continuation, b"lo", None);
        stream.write_all(&wire).unwrap();
        // The pong (masked: 6 + 12 bytes) comes back on its own.
        let mut pong = [0u8; 18];
        stream.read_exact(&mut pong).unwrap();
        pong.to_vec()
    });
    (port, thread)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_tab_shows_fragments_a_ping_between_them_and_the_message_whole() {
    let (mut app, mut rx) = new_app();
    let (port, server) = fragmenting_server();
    app.on_key(alt('1'));
    set_field(&mut app, &format!("ws://127.0.0.1:{port}/"));
    app.on_key(key(KeyCode::Enter));
    let text = pump_until(
        &mut app,
        &mut rx,
        "message of 5 B, reassembled from 2 frames: Hello",
    )
    .await;
    assert!(text.contains("← text frame · not FIN · 3 B: Hel"), "{text}");
    assert!(
        text.contains("← ping frame · FIN · 12 B: still there?"),
        "{text}"
    );
    assert!(
        text.contains("← continuation frame · FIN · 2 B: lo"),
        "{text}"
    );
    let pong = tokio::task::spawn_blocking(move || server.join().unwrap())
        .await
        .unwrap();
    assert_eq!(
        &pong[..2],
        &[0x8a, 0x80 | 12],
        "answered with a masked pong"
    );
    pump_until(&mut app, &mut rx, "→ pong frame · FIN · 12 B · mask ").await;
}
