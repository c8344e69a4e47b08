//! The learning layer as a person reads it in the TUI (TestBackend): the
//! timeline of a connection and what the kernel keeps after it.

mod common;

use std::time::Duration;

use common::ui::*;
use crossterm::event::KeyCode;
use netplay::net::greet::{Behaviour, ServerConfig};
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
    let text = pump_until(&mut app, &mut rx, "late segments of this connection").await;
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
