//! The UDP tab's Alt+B: stop answering the selected datagram's peer (the
//! way out of a loop with another echo server), and answer it again.

use crate::common;

use std::net::UdpSocket;
use std::time::Duration;

use crossterm::event::KeyCode;

use common::ui::*;

/// Sends `ping` from `socket` to `port`; whether an answer came.
fn answered(socket: &UdpSocket, port: u16) -> bool {
    socket.send_to(b"ping", ("127.0.0.1", port)).unwrap();
    socket.recv(&mut [0u8; 16]).is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alt_b_stops_answering_the_selected_peer_and_answers_it_again() {
    let (mut app, mut rx) = new_app();
    app.on_key(alt('4'));
    set_field(&mut app, "127.0.0.1:0");
    app.on_key(key(KeyCode::Enter));
    let text = pump_until(&mut app, &mut rx, "Bound 127.0.0.1:").await;
    let port = port_after(&text, "Bound 127.0.0.1:");
    app.on_key(key(KeyCode::F(5))); // greet → echo
                                    // Nobody to stop answering yet: said plainly.
    app.on_key(alt('b'));
    assert!(show(&mut app).contains("No peer to stop answering"));

    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    peer.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let me = peer.local_addr().unwrap();
    let (peer, ok) = tokio::task::spawn_blocking(move || {
        let ok = answered(&peer, port);
        (peer, ok)
    })
    .await
    .unwrap();
    assert!(ok, "echo mode answers");
    pump_until(&mut app, &mut rx, &me.to_string()).await;

    // On the packet list (bind → send to → message → burst → packets),
    // Alt+B takes the selected datagram's peer.
    for _ in 0..4 {
        app.on_key(key(KeyCode::Tab));
    }
    app.on_key(alt('b'));
    pump_until(&mut app, &mut rx, &format!("Not answering {me}")).await;
    let (peer, ok) = tokio::task::spawn_blocking(move || {
        let ok = answered(&peer, port);
        (peer, ok)
    })
    .await
    .unwrap();
    assert!(!ok, "a peer not answered was answered");

    // Again: answered again.
    app.on_key(alt('b'));
    pump_until(&mut app, &mut rx, &format!("Answering {me} again")).await;
    let ok = tokio::task::spawn_blocking(move || answered(&peer, port))
        .await
        .unwrap();
    assert!(ok, "answering again did not answer");
}
