//! netplay's relay against a plain tokio relay (`copy_bidirectional` per
//! pair), side by side in one run, both in front of the same plain tokio
//! echo server over loopback. Run with `cargo bench --bench relay`; prints
//! each load, both rates and the ratio.
//!
//! netplay runs as it does for a person: the Relay tab of a real `App`
//! started it, no fault on, and the real UI loop (drawing into a
//! TestBackend at its frame pace) folds every event into the relay log and
//! the pairs table, while the runtime's two workers carry the traffic.
//!
//! Loads (closed loop: each connection sends, waits for the whole echo
//! through the relay, sends again): 1 and 50 connections × 64 B messages,
//! 4 connections × 1 MiB. Seven alternating one-second windows per load;
//! the median of the rounds' ratios is the number to read.

mod common;

use std::net::SocketAddr;

use common::{compare, plain_echo_server, Load, ROUNDS, WINDOW};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use netplay::net::relay::RelayEvent;
use netplay::net::{Engine, Event};
use netplay::ui::shell::event_loop::{self as app, App, StartOptions, Tab};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use tokio::net::{TcpListener, TcpStream};

/// The plain relay: accept, connect upstream, `copy_bidirectional`.
async fn plain_relay(target: SocketAddr) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            tokio::spawn(async move {
                let Ok(mut upstream) = TcpStream::connect(target).await else {
                    return;
                };
                let _ = client.set_nodelay(true);
                let _ = upstream.set_nodelay(true);
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            });
        }
    });
    addr
}

fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
    KeyEvent::new(code, modifiers)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let loads = [
        Load {
            name: "1 × 64 B",
            connections: 1,
            size: 64,
        },
        Load {
            name: "50 × 64 B",
            connections: 50,
            size: 64,
        },
        Load {
            name: "4 × 1 MiB",
            connections: 4,
            size: 1024 * 1024,
        },
    ];
    runtime.block_on(async {
        let echo = plain_echo_server().await;
        let plain = plain_relay(echo).await;
        let (engine, mut events) = Engine::new(tokio::runtime::Handle::current());
        let mut app = App::new(
            engine.clone(),
            StartOptions {
                tab: Tab::Relay,
                addr: Some("127.0.0.1:0".into()),
                server_mode: None,
                http_file: None,
                ..StartOptions::default()
            },
        );
        // Forward to the echo server, then start: as a person would.
        app.on_key(key(KeyCode::Tab, KeyModifiers::NONE));
        app.on_key(key(KeyCode::End, KeyModifiers::NONE));
        app.on_key(key(KeyCode::Char('u'), KeyModifiers::CONTROL));
        for c in echo.to_string().chars() {
            app.on_key(key(KeyCode::Char(c), KeyModifiers::NONE));
        }
        app.on_key(key(KeyCode::F(8), KeyModifiers::NONE));
        let netplay = loop {
            let event = events.recv().await.expect("engine");
            let listening = match &event {
                Event::Relay(_, RelayEvent::Listening { local }) => local.ip(),
                Event::Relay(_, RelayEvent::StartFailed { reason }) => panic!("{reason}"),
                _ => None,
            };
            app.on_engine(event);
            if let Some(local) = listening {
                break local;
            }
        };
        let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
        let ui = app::run(
            &mut terminal,
            &mut app,
            futures_util::stream::pending(),
            events,
        );
        let bench = async {
            println!(
                "relay to a tokio echo server over loopback, closed loop, {ROUNDS} rounds of {} s windows each; netplay with its UI folding every event",
                WINDOW.as_secs()
            );
            println!();
            println!("| load | plain tokio relay (median) | netplay relay, UI logging (median) | ratio (median of rounds) |");
            println!("| --- | ---: | ---: | ---: |");
            compare(&loads, plain, netplay).await;
            println!();
            println!(
                "{} data events were dropped for display (counters stay exact)",
                engine.dropped_events()
            );
        };
        tokio::select! {
            outcome = ui => panic!("the UI loop ended: {outcome:?}"),
            () = bench => {}
        }
    });
}
