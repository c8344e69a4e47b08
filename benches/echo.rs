//! netplay's TCP server in echo mode against a plain tokio echo server doing
//! the same work, side by side in one run over loopback. Run with
//! `cargo bench --bench echo`; prints each load, both rates and the ratio.
//!
//! netplay runs as it does for a person: the TCP Server tab of a real `App`
//! started the listener, and the real UI loop (`ui::shell::event_loop::run`, drawing into a
//! TestBackend at its frame pace) folds every event into the tab's log and
//! table on this thread, while the runtime's two workers carry the traffic.
//!
//! Loads (closed loop: each connection sends, waits for the whole echo,
//! sends again):
//! - 1, 50 and 200 connections × 64-byte messages (messages per second);
//! - 4 connections × 1 MiB messages (MiB per second).
//!
//! Each load alternates plain and netplay windows of one second, seven
//! rounds; each round's pair gives a ratio, and the median ratio is the
//! number to read (absolute rates on a shared machine are noise, and a pair
//! of neighbouring windows shares most of it).

mod common;

use common::{compare, plain_echo_server, Load, ROUNDS, WINDOW};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use netplay::net::behaviour::greet::Behaviour;
use netplay::net::tcp_server::ServerEvent;
use netplay::net::{Engine, Event};
use netplay::ui::shell::event_loop::{self as app, App, StartOptions, Tab};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

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
            name: "200 × 64 B",
            connections: 200,
            size: 64,
        },
        Load {
            name: "4 × 1 MiB",
            connections: 4,
            size: 1024 * 1024,
        },
    ];
    runtime.block_on(async {
        let plain = plain_echo_server().await;
        let (engine, mut events) = Engine::new(tokio::runtime::Handle::current());
        let mut app = App::new(
            engine.clone(),
            StartOptions {
                tab: Tab::TcpServer,
                addr: Some("127.0.0.1:0".into()),
                server_mode: Some(Behaviour::Echo),
                http_file: None,
                ..StartOptions::default()
            },
        );
        app.on_key(KeyEvent::new(KeyCode::F(8), KeyModifiers::NONE));
        let netplay = loop {
            let event = events.recv().await.expect("engine");
            let listening = match &event {
                Event::Server(_, ServerEvent::Listening { local }) => local.ip(),
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
                "echo over loopback, closed loop, {ROUNDS} rounds of {} s windows each; netplay with its UI folding every event",
                WINDOW.as_secs()
            );
            println!();
            println!("| load | plain tokio (median) | netplay, UI logging (median) | ratio (median of rounds) |");
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
