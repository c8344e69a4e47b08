//! Remembered state through the app (TestBackend): what one run keeps, the
//! next run starts with; command-line options win; a corrupt file is one
//! line in the footer, never a crash.

use crate::common;

use common::ui::*;
use crossterm::event::KeyCode;
use netplay::net::Engine;
use netplay::ui::shell::event_loop::{App, StartOptions, Tab};
use netplay::ui::shell::remembered::StateFile;

fn app_with_state(path: &std::path::Path, options: StartOptions) -> App {
    let (engine, _rx) = Engine::new(tokio::runtime::Handle::current());
    let mut app = App::new(engine, options.clone());
    app.load_state(StateFile::new(path.to_path_buf()), &options);
    app
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn addresses_modes_and_histories_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("netplay/state");
    let mut app = app_with_state(&path, StartOptions::default());
    app.on_key(alt('1'));
    set_field(&mut app, "http://127.0.0.1:8080/remembered");
    app.on_key(alt('2'));
    set_field(&mut app, "127.0.0.1:7001");
    app.on_key(key(KeyCode::F(5))); // mode greet → echo
    app.on_key(alt('3'));
    set_field(&mut app, "[::1]:7002");
    app.on_key(key(KeyCode::Tab)); // the message
    app.on_key(key(KeyCode::F(3))); // line ending LF (the default) → CRLF
    app.on_key(alt('4'));
    set_field(&mut app, "127.0.0.1:0");
    app.on_key(key(KeyCode::Tab)); // send to
    set_field(&mut app, "127.0.0.1:9");
    app.on_key(key(KeyCode::Tab)); // the message
    type_text(&mut app, "Tracy");
    app.on_key(key(KeyCode::Enter)); // sent: into the history
    app.on_key(alt('5'));
    app.on_key(key(KeyCode::Tab));
    set_field(&mut app, "127.0.0.1:7003");
    app.flush_state();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("# netplay state 1\n"), "{text}");
    drop(app);

    let mut app = app_with_state(&path, StartOptions::default());
    assert!(app.notice.is_none());
    app.on_key(alt('1'));
    assert!(show(&mut app).contains("http://127.0.0.1:8080/remembered"));
    assert!(
        show(&mut app).contains("GET /remembered HTTP/1.1"),
        "the request follows the URL"
    );
    app.on_key(alt('2'));
    let text = show(&mut app);
    assert!(
        text.contains("127.0.0.1:7001") && text.contains("mode echo"),
        "{text}"
    );
    app.on_key(alt('3'));
    let text = show(&mut app);
    assert!(
        text.contains("[::1]:7002") && text.contains("EOL CRLF"),
        "{text}"
    );
    app.on_key(alt('4'));
    app.on_key(key(KeyCode::Tab));
    app.on_key(key(KeyCode::Tab));
    app.on_key(key(KeyCode::Up));
    assert!(
        show(&mut app).contains("Tracy"),
        "the message history came back"
    );
    app.on_key(alt('5'));
    assert!(show(&mut app).contains("127.0.0.1:7003"));

    // The command line wins over what was remembered.
    let options = StartOptions {
        tab: Tab::TcpClient,
        addr: Some("127.0.0.1:7777".into()),
        server_mode: Some(netplay::net::behaviour::greet::Behaviour::Discard),
        http_file: None,
        ..StartOptions::default()
    };
    let mut app = app_with_state(&path, options);
    let text = show(&mut app);
    assert!(
        text.contains("127.0.0.1:7777") && !text.contains("[::1]:7002"),
        "{text}"
    );
    app.on_key(alt('2'));
    assert!(show(&mut app).contains("mode discard"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_state_file_is_one_line_and_the_rest_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state");
    std::fs::write(
        &path,
        "# netplay state 1\nclient.target=127.0.0.1:7004\n\u{1b}]0;owned\u{7}\nbad key=1\n",
    )
    .unwrap();
    let mut app = app_with_state(&path, StartOptions::default());
    app.on_key(alt('3'));
    // The notice shows until the next key; Alt+3 was that key here.
    let mut app2 = app_with_state(&path, StartOptions::default());
    let text = show(&mut app2);
    assert!(
        text.contains("Remembered state: 2 lines not understood, ignored ("),
        "{text}"
    );
    assert!(
        !text.contains('\u{1b}'),
        "nothing from the file reaches the screen raw"
    );
    assert!(
        show(&mut app).contains("127.0.0.1:7004"),
        "the good line is kept"
    );
    std::fs::write(&path, [0xff, 0x00, 0xfe]).unwrap();
    let mut app3 = app_with_state(&path, StartOptions::default());
    assert!(show(&mut app3).contains("is not text; starting fresh"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_settings_and_an_edited_request_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("netplay/state");
    let mut app = app_with_state(&path, StartOptions::default());
    // The client: TLS with a CA file and an SNI name, then insecure.
    app.on_key(alt('3'));
    app.on_key(ctrl('t'));
    app.on_key(key(KeyCode::Tab)); // the CA file
    type_text(&mut app, "/tmp/my-ca.pem");
    app.on_key(key(KeyCode::Tab)); // SNI
    type_text(&mut app, "lab.example");
    app.on_key(ctrl('t')); // on, INSECURE: not kept as such
                           // The server: TLS on with its files.
    app.on_key(alt('2'));
    app.on_key(ctrl('t'));
    app.on_key(key(KeyCode::Tab)); // the certificate
    type_text(&mut app, "/tmp/cert.pem");
    app.on_key(key(KeyCode::Tab)); // the key
    type_text(&mut app, "/tmp/key.pem");
    // The HTTP request, edited: a header added.
    app.on_key(alt('1'));
    app.on_key(key(KeyCode::Tab)); // the request editor
    app.on_key(key(KeyCode::Down));
    type_text(&mut app, "X-Kept: yes");
    app.on_key(key(KeyCode::Enter));
    app.flush_state();
    drop(app);

    let mut app = app_with_state(&path, StartOptions::default());
    app.on_key(alt('3'));
    let text = show(&mut app);
    assert!(
        text.contains("TLS on, verified (Ctrl+T)"),
        "verification back on:\n{text}"
    );
    assert!(
        text.contains("/tmp/my-ca.pem") && text.contains("lab.example"),
        "{text}"
    );
    app.on_key(alt('2'));
    let text = show(&mut app);
    assert!(
        text.contains("/tmp/cert.pem") && text.contains("/tmp/key.pem"),
        "{text}"
    );
    assert!(text.contains("TLS on (Ctrl+T)"), "{text}");
    app.on_key(alt('1'));
    let text = show(&mut app);
    assert!(text.contains("X-Kept: yes"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alt_r_offers_the_last_http_file_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("netplay/state");
    let file = dir.path().join("api.http");
    std::fs::write(&file, "### one\nGET http://127.0.0.1:9/ HTTP/1.1\n").unwrap();
    let options = StartOptions {
        http_file: Some(file.clone()),
        ..StartOptions::default()
    };
    let mut app = app_with_state(&path, options);
    assert!(show(&mut app).contains("api.http: 1 request"));
    app.flush_state();
    drop(app);

    let mut app = app_with_state(&path, StartOptions::default());
    app.on_key(alt('1'));
    app.on_key(alt('r'));
    let text = show(&mut app);
    assert!(text.contains("Open a .http file"), "{text}");
    assert!(
        text.contains(&file.display().to_string()),
        "the last file is offered:\n{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quitting_during_a_websocket_keeps_the_request_not_the_message_being_typed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("netplay/state");
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let options = StartOptions::default();
    let mut app = App::new(engine, options.clone());
    app.load_state(StateFile::new(path.clone()), &options);
    app.on_key(alt('2'));
    set_field(&mut app, "127.0.0.1:0");
    app.on_key(alt('w'));
    app.on_key(key(KeyCode::Enter));
    let text = pump_until(&mut app, &mut rx, "Listening on 127.0.0.1:").await;
    let port = port_after(&text, "Listening on 127.0.0.1:");
    app.on_key(alt('1'));
    set_field(&mut app, &format!("ws://127.0.0.1:{port}/chat"));
    app.on_key(key(KeyCode::Enter));
    pump_until(&mut app, &mut rx, "8 B: Welcome!").await;
    type_text(&mut app, "half a message");
    app.flush_state();
    drop(app);

    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("half a message"), "{text}");
    let mut app = app_with_state(&path, options);
    app.on_key(alt('1'));
    let text = show(&mut app);
    assert!(text.contains("GET /chat HTTP/1.1"), "{text}");
    // And an emptied request is said, not sent.
    app.on_key(key(KeyCode::Tab)); // → the request
    for _ in 0..20 {
        app.on_key(ctrl('k'));
        app.on_key(key(KeyCode::Backspace));
    }
    app.on_key(key(KeyCode::F(8)));
    let text = show(&mut app);
    assert!(text.contains("The request is empty"), "{text}");
}

/// No proxy password reaches the state file: a used `URL via` (the field
/// shows `user@`), an unsent one, and an unsent curl command with `-x`
/// and `-u` (the last URL sent is kept instead).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_password_is_remembered() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("netplay/state");
    let mut app = app_with_state(&path, StartOptions::default());
    app.on_key(alt('1'));
    set_field(
        &mut app,
        "http://127.0.0.1:1/a via socks5h://bob:Secret1@127.0.0.1:9",
    );
    app.on_key(alt('3'));
    set_field(
        &mut app,
        "db.test:5432 via socks5h://eve:Secret2@127.0.0.1:9",
    );
    app.flush_state();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("Secret"), "{text}");
    assert!(text.contains("via socks5h://bob@127.0.0.1:9"), "{text}");
    app.on_key(alt('1'));
    set_field(
        &mut app,
        "curl -x socks5h://bob:Secret3@127.0.0.1:9 -u me:Secret4 http://127.0.0.1:1/c",
    );
    app.flush_state();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("Secret"), "{text}");
}
