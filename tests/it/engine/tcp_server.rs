//! The TCP server engine over real loopback sockets, driven by plain
//! `std::net` clients as the tutorial's Python client would.

use crate::common;

use std::io::{Read, Write};
use std::net::Shutdown;
use std::time::Duration;

use common::*;
use netplay::net::behaviour::greet::{Behaviour, ServerConfig};
use netplay::net::tcp_server::{self, ServerEvent};
use netplay::net::{CloseReason, ConnId, Engine, Event};

fn config(behaviour: Behaviour) -> ServerConfig {
    ServerConfig {
        behaviour,
        reply_delay: Duration::ZERO,
        max_connections: None,
        idle_timeout: None,
        tcp_info: false,
    }
}

async fn accepted(rx: &mut tokio::sync::mpsc::Receiver<Event>) -> ConnId {
    wait_for(rx, "Accepted", |event| match event {
        Event::Server(_, ServerEvent::Accepted { conn, .. }) => Some(*conn),
        _ => None,
    })
    .await
}

async fn closed(rx: &mut tokio::sync::mpsc::Receiver<Event>, id: ConnId) -> CloseReason {
    wait_for(rx, "Closed", |event| match event {
        Event::Server(_, ServerEvent::Closed { conn, reason }) if *conn == id => {
            Some(reason.clone())
        }
        _ => None,
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tutorial_chat_and_its_events() {
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let server = tcp_server::start(&engine, "127.0.0.1:0", config(Behaviour::Greet));
    let addr = listening(&mut rx, server.id()).await;
    let client = tokio::task::spawn_blocking(move || tutorial_conversation(addr));

    let mut received = Vec::new();
    let mut sent = Vec::new();
    let mut accepted_peer = None;
    let reason = wait_for(&mut rx, "Closed", |event| match event {
        Event::Server(_, ServerEvent::Accepted { peer, local, .. }) => {
            assert_eq!(
                local.ip(),
                Some(addr),
                "local side of the 4-tuple is the listener"
            );
            accepted_peer = peer.ip();
            None
        }
        Event::Server(_, ServerEvent::Received { data, .. }) => {
            received.push(data.preview.to_vec());
            None
        }
        Event::Server(_, ServerEvent::Sent { data, .. }) => {
            sent.push(data.preview.to_vec());
            None
        }
        Event::Server(_, ServerEvent::Closed { reason, .. }) => Some(reason.clone()),
        _ => None,
    })
    .await;
    client.await.expect("client thread");
    assert_eq!(reason, CloseReason::Local("client sent exit".into()));
    assert!(accepted_peer.expect("accepted").ip().is_loopback());
    assert_eq!(
        received.concat(),
        b"MichaelTracySarahexit".to_vec(),
        "each read is reported"
    );
    assert_eq!(
        sent.concat(),
        b"Welcome!Hello, Michael!Hello, Tracy!Hello, Sarah!".to_vec()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_clients_each_get_their_own_replies() {
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let server = tcp_server::start(&engine, "127.0.0.1:0", config(Behaviour::Greet));
    let addr = listening(&mut rx, server.id()).await;
    let clients = tokio::task::spawn_blocking(move || {
        let threads: Vec<_> = (0..50)
            .map(|n| {
                std::thread::spawn(move || {
                    let mut stream = tutorial_client(addr);
                    expect_bytes(&mut stream, b"Welcome!");
                    for round in 0..3 {
                        let name = format!("client{n}-round{round}");
                        stream.write_all(name.as_bytes()).expect("send");
                        expect_bytes(&mut stream, format!("Hello, {name}!").as_bytes());
                    }
                    stream.write_all(b"exit").expect("exit");
                    assert!(read_to_close(&mut stream).is_empty());
                })
            })
            .collect();
        for thread in threads {
            thread.join().expect("client thread");
        }
    });
    let mut closes = 0;
    wait_for(&mut rx, "50 closes", |event| match event {
        Event::Server(_, ServerEvent::Closed { .. }) => {
            closes += 1;
            (closes == 50).then_some(())
        }
        _ => None,
    })
    .await;
    clients.await.expect("clients");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_discard_and_live_behaviour_switch() {
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let server = tcp_server::start(&engine, "127.0.0.1:0", config(Behaviour::Echo));
    let addr = listening(&mut rx, server.id()).await;

    let mut stream = tutorial_client(addr);
    let conn = accepted(&mut rx).await;
    stream.write_all(b"ping\r\n").unwrap();
    expect_bytes(&mut stream, b"ping\r\n");

    server.set_config(config(Behaviour::Greet));
    stream.write_all(b"Ann").unwrap();
    expect_bytes(&mut stream, b"Hello, Ann!");

    server.set_config(config(Behaviour::Discard));
    stream.write_all(b"into the void").unwrap();
    stream.shutdown(Shutdown::Write).unwrap();
    assert!(
        read_to_close(&mut stream).is_empty(),
        "discard never answers"
    );
    assert_eq!(closed(&mut rx, conn).await, CloseReason::Peer);
}

/// An echo the kernel takes whole is one `Echoed` event; one that must
/// wait for a peer that reads nothing is `Received` at once, `Sent` later.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_echo_is_one_event_unless_it_has_to_wait() {
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let server = tcp_server::start(&engine, "127.0.0.1:0", config(Behaviour::Echo));
    let addr = listening(&mut rx, server.id()).await;
    let mut stream = tutorial_client(addr);
    let conn = accepted(&mut rx).await;
    stream.write_all(b"ping").unwrap();
    expect_bytes(&mut stream, b"ping");
    let first = wait_for(&mut rx, "a data event", |event| match event {
        Event::Server(_, event @ (ServerEvent::Echoed { .. } | ServerEvent::Received { .. })) => {
            Some(event.clone())
        }
        _ => None,
    })
    .await;
    let ServerEvent::Echoed { conn: of, data } = first else {
        panic!("expected Echoed, got {first:?}");
    };
    assert_eq!((of, &data.preview[..], data.len), (conn, &b"ping"[..], 4));

    // A peer that never reads: the echo fills the socket buffers and waits.
    let hog = tutorial_client(addr);
    let hog_conn = accepted(&mut rx).await;
    let mut writer = hog.try_clone().unwrap();
    let flood = std::thread::spawn(move || {
        let chunk = vec![b'x'; 64 * 1024];
        while writer.write_all(&chunk).is_ok() {}
    });
    wait_for(&mut rx, "Received", |event| match event {
        Event::Server(_, ServerEvent::Received { conn, .. }) if *conn == hog_conn => Some(()),
        _ => None,
    })
    .await;
    server.stop();
    drop(hog);
    assert_eq!(closed(&mut rx, conn).await, CloseReason::ServerStopped);
    flood.join().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manual_mode_send_kick_and_broadcast() {
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let server = tcp_server::start(&engine, "127.0.0.1:0", config(Behaviour::Manual));
    let addr = listening(&mut rx, server.id()).await;

    let mut first = tutorial_client(addr);
    let first_id = accepted(&mut rx).await;
    let mut second = tutorial_client(addr);
    let second_id = accepted(&mut rx).await;

    server.send(first_id, b"just you".to_vec()).expect("queued");
    expect_bytes(&mut first, b"just you");
    server.broadcast(b"everyone".to_vec()).expect("queued");
    expect_bytes(&mut first, b"everyone");
    expect_bytes(&mut second, b"everyone");

    // The peer half-closes: manual mode keeps the connection so the user can reply.
    second.shutdown(Shutdown::Write).unwrap();
    wait_for(&mut rx, "PeerHalfClosed", |event| match event {
        Event::Server(_, ServerEvent::PeerHalfClosed { conn }) if *conn == second_id => Some(()),
        _ => None,
    })
    .await;
    server
        .send(second_id, b"still here".to_vec())
        .expect("queued");
    expect_bytes(&mut second, b"still here");

    server.kick(first_id).expect("queued");
    assert_eq!(
        closed(&mut rx, first_id).await,
        CloseReason::Local("kicked".into())
    );
    assert!(read_to_close(&mut first).is_empty());
    server.kick(second_id).expect("queued");
    assert_eq!(
        closed(&mut rx, second_id).await,
        CloseReason::Local("kicked".into())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_mode_answers_a_real_request() {
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let server = tcp_server::start(&engine, "127.0.0.1:0", config(Behaviour::Http));
    let addr = listening(&mut rx, server.id()).await;
    let mut stream = tutorial_client(addr);
    stream
        .write_all(b"GET /hello?x=1 HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        .unwrap();
    let response = String::from_utf8(read_to_close(&mut stream)).unwrap();
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    assert!(head.contains(&format!("Content-Length: {}", body.len())));
    assert!(body.contains("GET /hello?x=1 HTTP/1.1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reply_delay_still_answers_and_stop_interrupts_it() {
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let server = tcp_server::start(
        &engine,
        "127.0.0.1:0",
        ServerConfig {
            behaviour: Behaviour::Greet,
            reply_delay: Duration::from_millis(50),
            ..Default::default()
        },
    );
    let addr = listening(&mut rx, server.id()).await;
    let mut stream = tutorial_client(addr);
    expect_bytes(&mut stream, b"Welcome!");
    let conn = accepted(&mut rx).await;
    server.set_config(ServerConfig {
        behaviour: Behaviour::Greet,
        reply_delay: Duration::from_secs(3600),
        ..Default::default()
    });
    stream.write_all(b"Zed").unwrap();
    wait_for(&mut rx, "Received", |event| match event {
        Event::Server(_, ServerEvent::Received { .. }) => Some(()),
        _ => None,
    })
    .await;
    // The reply is an hour away: stopping must not wait for it.
    server.stop();
    assert_eq!(closed(&mut rx, conn).await, CloseReason::ServerStopped);
    wait_for(&mut rx, "Stopped", |event| match event {
        Event::Server(_, ServerEvent::Stopped) => Some(()),
        _ => None,
    })
    .await;
    assert!(read_to_close(&mut stream).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_closes_everything_and_restart_reuses_the_port() {
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let server = tcp_server::start(&engine, "127.0.0.1:0", config(Behaviour::Echo));
    let addr = listening(&mut rx, server.id()).await;
    let mut clients: Vec<_> = (0..3).map(|_| tutorial_client(addr)).collect();
    for _ in 0..3 {
        accepted(&mut rx).await;
    }
    drop(server); // dropping the handle stops the listener
    let mut closes = 0;
    wait_for(&mut rx, "Stopped", |event| match event {
        Event::Server(_, ServerEvent::Closed { reason, .. }) => {
            assert_eq!(*reason, CloseReason::ServerStopped);
            closes += 1;
            None
        }
        Event::Server(_, ServerEvent::Stopped) => Some(()),
        _ => None,
    })
    .await;
    assert_eq!(closes, 3, "every connection reported closed before Stopped");
    for client in &mut clients {
        let mut buf = [0u8; 1];
        assert_eq!(client.read(&mut buf).unwrap(), 0);
    }
    assert!(std::net::TcpStream::connect(addr).is_err(), "listener gone");

    let again = tcp_server::start(&engine, &addr.to_string(), config(Behaviour::Greet));
    assert_eq!(listening(&mut rx, again.id()).await, addr);
    tokio::task::spawn_blocking(move || tutorial_conversation(addr))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_errors_are_one_line_reasons() {
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = holder.local_addr().unwrap();
    for (addr, expected) in [
        (taken.to_string(), "already in use"),
        ("nonsense".to_string(), "missing port"),
        ("127.0.0.1:70000".to_string(), "out of range"),
        (
            "192.0.2.1:9999".to_string(),
            "not available on this machine",
        ),
    ] {
        let server = tcp_server::start(&engine, &addr, config(Behaviour::Greet));
        let reason = wait_for(&mut rx, "StartFailed", |event| match event {
            Event::Server(id, ServerEvent::StartFailed { reason }) if *id == server.id() => {
                Some(reason.clone())
            }
            Event::Server(id, ServerEvent::Listening { .. }) if *id == server.id() => {
                panic!("{addr} should not bind")
            }
            _ => None,
        })
        .await;
        assert!(reason.contains(expected), "{addr}: {reason}");
        assert!(!reason.contains('\n'));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv6_and_localhost_bind() {
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let local = tcp_server::start(&engine, "localhost:0", config(Behaviour::Greet));
    let addr = listening(&mut rx, local.id()).await;
    assert!(addr.ip().is_loopback());
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("skipping IPv6 half: this machine has no ::1");
        return;
    }
    let v6 = tcp_server::start(&engine, "[::1]:0", config(Behaviour::Greet));
    let addr = listening(&mut rx, v6.id()).await;
    assert!(addr.is_ipv6());
    tokio::task::spawn_blocking(move || tutorial_conversation(addr))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_reader_loses_previews_not_counts() {
    // A tiny channel that nobody drains during the flood: data events must be
    // counted as dropped while the byte counters stay exact and the close
    // (a lifecycle event) still arrives.
    let (engine, mut rx) = Engine::with_capacity(tokio::runtime::Handle::current(), 8);
    let server = tcp_server::start(&engine, "127.0.0.1:0", config(Behaviour::Discard));
    let addr = listening(&mut rx, server.id()).await;
    let (conn, stats) = {
        let mut stream = tutorial_client(addr);
        let accepted = wait_for(&mut rx, "Accepted", |event| match event {
            Event::Server(_, ServerEvent::Accepted { conn, stats, .. }) => {
                Some((*conn, stats.clone()))
            }
            _ => None,
        })
        .await;
        let chunk = vec![b'x'; 1000];
        tokio::task::spawn_blocking(move || {
            for _ in 0..2000 {
                stream.write_all(&chunk).unwrap();
            }
            stream.shutdown(Shutdown::Write).unwrap();
            read_to_close(&mut stream);
        })
        .await
        .unwrap();
        accepted
    };
    assert_eq!(closed(&mut rx, conn).await, CloseReason::Peer);
    assert_eq!(stats.snapshot().bytes_in, 2_000_000);
    assert!(
        engine.dropped_events() > 0,
        "the flood overflowed the channel"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_to_a_peer_that_never_reads_are_refused_past_the_queue() {
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let server = tcp_server::start(&engine, "127.0.0.1:0", config(Behaviour::Manual));
    let addr = listening(&mut rx, server.id()).await;
    let never_reads = tutorial_client(addr);
    let conn = accepted(&mut rx).await;
    let chunk = vec![b'x'; 64 * 1024];
    // More than the kernel buffers plus the queue can hold.
    for _ in 0..(tcp_server::CONN_QUEUE + 400) {
        if server.send(conn, chunk.clone()).is_err() {
            break;
        }
        tokio::task::yield_now().await;
    }
    let reason = wait_for(&mut rx, "a queue-full warning", |event| match event {
        Event::Server(_, ServerEvent::Warning { reason }) => Some(reason.clone()),
        _ => None,
    })
    .await;
    assert!(reason.contains(&format!("Not sent to {conn}")), "{reason}");
    server.stop();
    drop(never_reads);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_pipelined_requests_in_one_write_are_all_answered() {
    const REQUESTS: usize = 10_000;
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let server = tcp_server::start(&engine, "127.0.0.1:0", config(Behaviour::Http));
    let addr = listening(&mut rx, server.id()).await;
    let stream = tutorial_client(addr);
    let mut reader = stream.try_clone().unwrap();
    // The answers are read while the requests are still being written: a
    // peer that only writes would fill both directions' buffers.
    let counter = std::thread::spawn(move || {
        let needle = b"HTTP/1.1 200 OK\r\n";
        let mut seen = 0usize;
        let mut window: Vec<u8> = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        while seen < REQUESTS {
            let n = reader.read(&mut buf).expect("read answers");
            assert!(n > 0, "closed after {seen} answers");
            window.extend_from_slice(&buf[..n]);
            let mut last = 0;
            for (at, piece) in window.windows(needle.len()).enumerate() {
                if piece == needle {
                    seen += 1;
                    last = at + needle.len();
                }
            }
            window.drain(..last.max(window.len().saturating_sub(needle.len())));
        }
        (seen, reader)
    });
    let mut writer = stream;
    writer
        .write_all(&b"A / HTTP/1.1\r\n\r\n".repeat(REQUESTS))
        .unwrap();
    let (seen, mut reader) = counter.join().unwrap();
    assert_eq!(seen, REQUESTS);
    // Still alive: one more request on the same connection is answered.
    // The counter stopped at the 10,000th status line, so the rest of that
    // answer may still be unread: read until a new status line arrives.
    writer.write_all(b"GET /again HTTP/1.1\r\n\r\n").unwrap();
    reader
        .set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    let mut after = Vec::new();
    let mut buf = [0u8; 4096];
    while !after.windows(15).any(|w| w == b"HTTP/1.1 200 OK") {
        let n = reader.read(&mut buf).expect("the request after the flood");
        assert!(n > 0, "closed after the flood");
        after.extend_from_slice(&buf[..n]);
    }
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saves_go_through_the_engine_and_never_overwrite() {
    use netplay::net::SaveFor;
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let dir = tempfile::tempdir().unwrap();
    let mut saved = Vec::new();
    for text in ["first", "second"] {
        engine.save(
            SaveFor::ServerLog,
            dir.path().to_path_buf(),
            "netplay-tcp-server-x.log".into(),
            text.as_bytes().to_vec(),
        );
        let path = wait_for(&mut rx, "Saved", |event| match event {
            Event::Saved(SaveFor::ServerLog, outcome) => Some(outcome.clone()),
            _ => None,
        })
        .await
        .expect("saved");
        saved.push(path);
    }
    assert_eq!(saved[0], dir.path().join("netplay-tcp-server-x.log"));
    assert_eq!(saved[1], dir.path().join("netplay-tcp-server-x-1.log"));
    assert_eq!(std::fs::read(&saved[0]).unwrap(), b"first");
    engine.save(
        SaveFor::UdpPackets,
        dir.path().join("missing"),
        "x.log".into(),
        b"x".to_vec(),
    );
    let failed = wait_for(&mut rx, "a failed save", |event| match event {
        Event::Saved(SaveFor::UdpPackets, outcome) => Some(outcome.clone()),
        _ => None,
    })
    .await;
    assert!(failed.unwrap_err().contains("missing"));
}
