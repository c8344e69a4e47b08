//! Recording from the TUI (Alt+R on the client, server and relay tabs)
//! and playing a recording in the client tab (Alt+P), through ratatui's
//! TestBackend against real peers on loopback. Files go to a temporary
//! `--record-dir`.

use crate::common;

use std::path::{Path, PathBuf};

use common::ui::*;
use crossterm::event::KeyCode;
use netplay::net::behaviour::greet::{Behaviour, ServerConfig};
use netplay::net::{Engine, Event};
use netplay::ui::shell::event_loop::{App, StartOptions};
use tokio::sync::mpsc;

fn app_recording_to(dir: &Path) -> (App, mpsc::Receiver<Event>) {
    let (engine, rx) = Engine::new(tokio::runtime::Handle::current());
    let options = StartOptions {
        record_dir: dir.to_path_buf(),
        ..StartOptions::default()
    };
    (App::new(engine, options), rx)
}

async fn engine_server(
    app: &App,
    rx: &mut mpsc::Receiver<Event>,
    behaviour: Behaviour,
) -> (netplay::net::tcp_server::ServerHandle, std::net::SocketAddr) {
    let config = ServerConfig {
        behaviour,
        ..Default::default()
    };
    let server = netplay::net::tcp_server::start(&app.engine, "127.0.0.1:0", config);
    let addr = common::listening(rx, server.id()).await;
    (server, addr)
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alt_r_records_the_client_and_alt_p_plays_it_back() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, mut rx) = app_recording_to(dir.path());
    let (_greet, addr) = engine_server(&app, &mut rx, Behaviour::Greet).await;
    app.on_key(alt('3'));
    set_field(&mut app, &addr.to_string());
    app.on_key(alt('r'));
    let text = show(&mut app);
    assert!(
        text.contains("Recording on: each new connection from its first byte"),
        "{text}"
    );
    app.on_key(key(KeyCode::Enter));
    pump_until(&mut app, &mut rx, "Welcome!").await;
    let text = pump_until(&mut app, &mut rx, "REC netplay-client-").await;
    assert!(text.contains("Recording to "), "{text}");
    type_text(&mut app, "Michael");
    app.on_key(key(KeyCode::Enter));
    pump_until(&mut app, &mut rx, "Hello, Michael!").await;
    app.on_key(key(KeyCode::F(8)));
    let text = pump_until(&mut app, &mut rx, "Recorded 5 events to").await;
    assert!(text.contains("Disconnected"), "{text}");
    app.on_key(alt('r'));
    assert!(show(&mut app).contains("Recording off"));
    let files = files_in(dir.path());
    assert_eq!(files.len(), 1, "{files:?}");

    // Alt+P: the path prompt, then the replay on a fresh connection.
    app.on_key(alt('p'));
    let text = show(&mut app);
    assert!(
        text.contains("Play a recording against the target"),
        "{text}"
    );
    type_text(&mut app, &files[0].display().to_string());
    app.on_key(key(KeyCode::Enter));
    let text = pump_until(&mut app, &mut rx, "Replay: the server answered as recorded").await;
    assert!(text.contains("Playing the client side of"), "{text}");
    // The connection stays open for more; F8 closes it. Against an echo
    // server the same recording differs at once.
    app.on_key(key(KeyCode::F(8)));
    pump_until_count(&mut app, &mut rx, "Disconnected (you closed)", 2).await;
    let (_echo, echo) = engine_server(&app, &mut rx, Behaviour::Echo).await;
    set_field(&mut app, &echo.to_string());
    app.on_key(alt('p'));
    type_text(&mut app, &files[0].display().to_string());
    app.on_key(key(KeyCode::Enter));
    let text = pump_until(&mut app, &mut rx, "Replay: the answers differ at byte 0").await;
    assert!(text.contains("recorded Welcome!"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alt_p_says_why_a_file_cannot_be_played() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, _rx) = app_recording_to(dir.path());
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"netplay_record\":9}\n").unwrap();
    app.on_key(alt('3'));
    for (path, why) in [
        (bad.display().to_string(), "recording format 9"),
        (
            dir.path().join("missing").display().to_string(),
            "Cannot play",
        ),
    ] {
        app.on_key(alt('p'));
        // A pasted path lands in the prompt, not under it.
        app.on_paste(&path);
        app.on_key(key(KeyCode::Enter));
        let text = show(&mut app);
        assert!(text.contains(why), "{why}:\n{text}");
        assert!(
            text.contains("Not connected") || text.contains("Cannot play"),
            "{text}"
        );
    }
    // Esc closes the prompt without a word.
    app.on_key(alt('p'));
    app.on_key(key(KeyCode::Esc));
    assert!(!show(&mut app).contains("Play a recording against the target"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alt_r_on_the_server_records_each_connection_to_its_own_file() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, mut rx) = app_recording_to(dir.path());
    app.on_key(alt('2'));
    set_field(&mut app, "127.0.0.1:0");
    app.on_key(alt('r'));
    assert!(show(&mut app).contains("Recording on: each new connection"));
    app.on_key(key(KeyCode::Enter));
    let text = pump_until(&mut app, &mut rx, "Listening on 127.0.0.1:").await;
    assert!(text.contains("REC on"), "{text}");
    let port = port_after(&text, "Listening on 127.0.0.1:");
    for _ in 0..2 {
        tokio::task::spawn_blocking(move || {
            common::tutorial_conversation(([127, 0, 0, 1], port).into())
        })
        .await
        .unwrap();
    }
    pump_until_count(&mut app, &mut rx, "Recorded ", 2).await;
    let files = files_in(dir.path());
    assert_eq!(files.len(), 2, "{files:?}");
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        assert!(name.starts_with("netplay-server-"), "{name}");
        let text = std::fs::read_to_string(file).unwrap();
        assert!(text.contains("\"side\":\"server\""), "{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alt_r_on_the_relay_records_each_pair() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, mut rx) = app_recording_to(dir.path());
    let (_greet, target) = engine_server(&app, &mut rx, Behaviour::Greet).await;
    app.on_key(alt('5'));
    set_field(&mut app, "127.0.0.1:0");
    app.on_key(key(KeyCode::Tab)); // → Forward to
    set_field(&mut app, &target.to_string());
    app.on_key(alt('r'));
    app.on_key(key(KeyCode::F(8)));
    let text = pump_until(&mut app, &mut rx, "Relaying 127.0.0.1:").await;
    let port = port_after(&text, "Relaying 127.0.0.1:");
    tokio::task::spawn_blocking(move || {
        common::tutorial_conversation(([127, 0, 0, 1], port).into())
    })
    .await
    .unwrap();
    pump_until(&mut app, &mut rx, "Recorded ").await;
    let files = files_in(dir.path());
    assert_eq!(files.len(), 1, "{files:?}");
    let recording = netplay::record::parse(&std::fs::read_to_string(&files[0]).unwrap()).unwrap();
    assert_eq!(recording.remote, target.to_string());
}
