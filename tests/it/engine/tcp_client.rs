//! The TCP client engine against plain `std::net` listeners and against
//! netplay's own server.

use crate::common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use common::*;
use netplay::net::behaviour::greet::ServerConfig;
use netplay::net::tcp_client::{self, ClientEvent, DEFAULT_CONNECT_TIMEOUT};
use netplay::net::tcp_server;
use netplay::net::{ClientId, CloseReason, Engine, Event};
use tokio::sync::mpsc::Receiver;

async fn client_event(rx: &mut Receiver<Event>, id: ClientId, what: &str) -> ClientEvent {
    wait_for(rx, what, |event| match event {
        Event::Client(client, e) if *client == id => Some(e.clone()),
        _ => None,
    })
    .await
}

/// Waits for the next client event that is not lookup or connect progress.
async fn next_outcome(rx: &mut Receiver<Event>, id: ClientId) -> ClientEvent {
    loop {
        match client_event(rx, id, "client outcome").await {
            ClientEvent::Resolved { .. } | ClientEvent::Connecting { .. } => continue,
            other => return other,
        }
    }
}

async fn received_text(rx: &mut Receiver<Event>, id: ClientId, expected: &str) {
    let mut got = Vec::new();
    while got.len() < expected.len() {
        match next_outcome(rx, id).await {
            ClientEvent::Received(data) => got.extend(data.preview),
            ClientEvent::Sent(_) | ClientEvent::Connected { .. } => {}
            other => panic!("expected data, got {other:?}"),
        }
    }
    assert_eq!(String::from_utf8_lossy(&got), expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn against_a_plain_std_listener_with_half_close() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        stream.write_all(b"hi\x1b]0;owned\x07").unwrap();
        // Read until the client's FIN, then answer after it.
        let mut all = Vec::new();
        stream.read_to_end(&mut all).unwrap();
        stream.write_all(b"bye").unwrap();
        all
    });

    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let client = tcp_client::connect(&engine, &addr.to_string(), DEFAULT_CONNECT_TIMEOUT);
    match next_outcome(&mut rx, client.id()).await {
        ClientEvent::Connected { local, remote, .. } => {
            assert_eq!(remote, addr);
            assert!(local.ip().is_loopback());
            assert_ne!(local.port(), addr.port());
        }
        other => panic!("expected Connected, got {other:?}"),
    }
    received_text(&mut rx, client.id(), "hi\x1b]0;owned\x07").await;
    client.send(b"one".to_vec()).expect("queued");
    client.send(b"two".to_vec()).expect("queued");
    client.shutdown_write().expect("queued");
    let mut saw_shutdown = false;
    let mut sent = Vec::new();
    let mut got = Vec::new();
    let reason = loop {
        match next_outcome(&mut rx, client.id()).await {
            ClientEvent::Sent(data) => sent.extend(data.preview),
            ClientEvent::WriteShutdown => saw_shutdown = true,
            ClientEvent::Received(data) => {
                assert!(saw_shutdown, "the reply came after our FIN");
                got.extend(data.preview);
            }
            ClientEvent::Closed { reason } => break reason,
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(sent, b"onetwo");
    assert_eq!(got, b"bye", "replies still arrive after a half-close");
    assert_eq!(reason, CloseReason::Peer);
    assert_eq!(peer.join().unwrap(), b"onetwo");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chats_with_netplays_own_server() {
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let server = tcp_server::start(&engine, "127.0.0.1:0", ServerConfig::default());
    let addr = listening(&mut rx, server.id()).await;
    let client = tcp_client::connect(&engine, &addr.to_string(), DEFAULT_CONNECT_TIMEOUT);
    received_text(&mut rx, client.id(), "Welcome!").await;
    client.send(b"Michael".to_vec()).expect("queued");
    received_text(&mut rx, client.id(), "Hello, Michael!").await;
    client.send(b"exit".to_vec()).expect("queued");
    loop {
        if let ClientEvent::Closed { reason } = next_outcome(&mut rx, client.id()).await {
            assert_eq!(reason, CloseReason::Peer);
            break;
        }
    }
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_closes_and_the_peer_sees_eof() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        read_to_close(&mut stream)
    });
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let client = tcp_client::connect(&engine, &addr.to_string(), DEFAULT_CONNECT_TIMEOUT);
    assert!(matches!(
        next_outcome(&mut rx, client.id()).await,
        ClientEvent::Connected { .. }
    ));
    client.disconnect();
    match next_outcome(&mut rx, client.id()).await {
        ClientEvent::Closed { reason } => {
            assert_eq!(reason, CloseReason::Local("disconnected".into()))
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(peer.join().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_by_peer_is_reported_as_such() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        // Unread data at close makes the kernel send RST instead of FIN.
        let mut byte = [0u8; 1];
        stream.read_exact(&mut byte).unwrap();
        drop(stream);
    });
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let client = tcp_client::connect(&engine, &addr.to_string(), DEFAULT_CONNECT_TIMEOUT);
    assert!(matches!(
        next_outcome(&mut rx, client.id()).await,
        ClientEvent::Connected { .. }
    ));
    client
        .send(b"xmore bytes than the peer reads".to_vec())
        .expect("queued");
    peer.join().unwrap();
    let reason = loop {
        if let ClientEvent::Closed { reason } = next_outcome(&mut rx, client.id()).await {
            break reason;
        }
    };
    assert_eq!(
        reason,
        CloseReason::Error("connection reset by peer (RST)".into())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_errors_are_clear() {
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let closed_port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    for (target, expected) in [
        (closed_port.to_string(), "connection refused by"),
        ("127.0.0.1".to_string(), "missing port"),
        ("::1:80".to_string(), "brackets"),
        ("host name:80".to_string(), "not a host name"),
    ] {
        let client = tcp_client::connect(&engine, &target, Duration::from_secs(5));
        match next_outcome(&mut rx, client.id()).await {
            ClientEvent::ConnectFailed { reason } => {
                assert!(reason.contains(expected), "{target}: {reason}")
            }
            other => panic!("{target}: expected failure, got {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_never_reads_fills_a_bounded_send_queue() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // Accepts, then never reads: the kernel buffers fill, then our queue.
    let peer = std::thread::spawn(move || listener.accept().unwrap().0);
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let client = tcp_client::connect(&engine, &addr.to_string(), DEFAULT_CONNECT_TIMEOUT);
    assert!(matches!(
        next_outcome(&mut rx, client.id()).await,
        ClientEvent::Connected { .. }
    ));
    let chunk = vec![b'x'; 64 * 1024];
    let mut accepted = 0usize;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match client.send(chunk.clone()) {
            Ok(()) => accepted += 1,
            Err(busy) => {
                assert!(busy.to_string().contains("waiting for the peer"));
                break;
            }
        }
        assert!(
            accepted < 4000,
            "4000 × 64 KiB accepted: the queue is not bounded"
        );
        assert!(tokio::time::Instant::now() < deadline, "never refused");
        // Let the connection task write what the kernel will take.
        tokio::task::yield_now().await;
    }
    assert!(accepted >= tcp_client::SEND_QUEUE, "{accepted}");
    drop(peer.join());
}
