//! The server and the relay over UNIX domain sockets, with `std` peers:
//! the peer is named by its credentials (SO_PEERCRED), the socket file by
//! its path, and the bytes flow as over TCP.

use crate::common;

use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::time::Duration;

use common::*;
use netplay::net::behaviour::greet::{Behaviour, ServerConfig};
use netplay::net::relay::{self, RelayConfig, RelayEvent};
use netplay::net::stream::Endpoint;
use netplay::net::tcp_server::{self, ServerEvent};
use netplay::net::{Engine, Event};

fn echo() -> ServerConfig {
    ServerConfig {
        behaviour: Behaviour::Echo,
        reply_delay: Duration::ZERO,
        max_connections: None,
        idle_timeout: None,
        tcp_info: false,
    }
}

/// Our own process, as a UNIX peer's credentials name it.
fn is_us(end: &Endpoint) -> bool {
    matches!(end, Endpoint::Unix(unix) if unix.cred.and_then(|cred| cred.pid) == Some(std::process::id() as i32))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_on_a_unix_socket_names_its_peer_by_pid_and_removes_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("echo.sock");
    let addr = format!("unix:{}", path.display());
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let server = tcp_server::start(&engine, &addr, echo());
    let local = wait_for(&mut rx, "Listening", |event| match event {
        Event::Server(_, ServerEvent::Listening { local }) => Some(local.clone()),
        Event::Server(_, ServerEvent::StartFailed { reason }) => panic!("{reason}"),
        _ => None,
    })
    .await;
    assert_eq!(local.to_string(), addr);
    let client_path = path.clone();
    let client = tokio::task::spawn_blocking(move || {
        let mut stream = UnixStream::connect(client_path).unwrap();
        stream.write_all(b"over a file\n").unwrap();
        let mut back = [0u8; 12];
        stream.read_exact(&mut back).unwrap();
        back
    });
    let (peer, local) = wait_for(&mut rx, "Accepted", |event| match event {
        Event::Server(_, ServerEvent::Accepted { peer, local, .. }) => {
            Some((peer.clone(), local.clone()))
        }
        _ => None,
    })
    .await;
    assert!(is_us(&peer), "{peer:?}");
    assert!(peer
        .to_string()
        .starts_with(&format!("pid {} uid ", std::process::id())));
    assert_eq!(local.to_string(), addr, "this side is the socket file");
    assert_eq!(&client.await.unwrap(), b"over a file\n");

    // A second server on the same file is told it is in use; the file
    // stays the first one's.
    let second = tcp_server::start(&engine, &addr, echo());
    let reason = wait_for(&mut rx, "StartFailed", |event| match event {
        Event::Server(id, ServerEvent::StartFailed { reason }) if *id == second.id() => {
            Some(reason.clone())
        }
        _ => None,
    })
    .await;
    assert!(reason.contains("is in use"), "{reason}");
    server.stop();
    wait_for(&mut rx, "Stopped", |event| match event {
        Event::Server(id, ServerEvent::Stopped) if *id == server.id() => Some(()),
        _ => None,
    })
    .await;
    assert!(!path.exists(), "the listener removes the file it made");

    // A stale file (its server gone without removing it) is said, and left.
    drop(UnixListener::bind(&path).unwrap());
    let third = tcp_server::start(&engine, &addr, echo());
    let reason = wait_for(&mut rx, "StartFailed", |event| match event {
        Event::Server(id, ServerEvent::StartFailed { reason }) if *id == third.id() => {
            Some(reason.clone())
        }
        _ => None,
    })
    .await;
    assert!(reason.contains("a stale socket file"), "{reason}");
    assert!(path.exists(), "never deleted unless asked");
    assert!(netplay::net::unix::remove_stale(path.to_str().unwrap())
        .await
        .unwrap());
    assert!(!path.exists());
}

/// UNIX → TCP → UNIX: a relay on a socket file forwards to a TCP relay
/// that forwards to a UNIX echo peer; the bytes come back whole, and each
/// end is named as it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relay_carries_unix_to_tcp_and_tcp_to_unix() {
    let dir = tempfile::tempdir().unwrap();
    let front = dir.path().join("front.sock");
    let back = dir.path().join("back.sock");
    let echo_peer = UnixListener::bind(&back).unwrap();
    std::thread::spawn(move || {
        for stream in echo_peer.incoming() {
            let Ok(mut stream) = stream else { return };
            std::thread::spawn(move || {
                let mut buf = [0u8; 65536];
                while let Ok(n) = stream.read(&mut buf) {
                    if n == 0 || stream.write_all(&buf[..n]).is_err() {
                        return;
                    }
                }
            });
        }
    });
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let timeout = relay::DEFAULT_CONNECT_TIMEOUT;
    let inner = relay::start(
        &engine,
        "127.0.0.1:0",
        &format!("unix:{}", back.display()),
        RelayConfig::default(),
        timeout,
    );
    let inner_addr = wait_for(&mut rx, "inner Listening", |event| match event {
        Event::Relay(id, RelayEvent::Listening { local }) if *id == inner.id() => local.ip(),
        _ => None,
    })
    .await;
    let outer = relay::start(
        &engine,
        &format!("unix:{}", front.display()),
        &inner_addr.to_string(),
        RelayConfig::default(),
        timeout,
    );
    wait_for(&mut rx, "outer Listening", |event| match event {
        Event::Relay(id, RelayEvent::Listening { local }) if *id == outer.id() => {
            assert!(local.is_unix());
            Some(())
        }
        _ => None,
    })
    .await;
    let payload: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    let sent = payload.clone();
    let client = tokio::task::spawn_blocking(move || {
        let mut stream = UnixStream::connect(front).unwrap();
        let writer = {
            let mut stream = stream.try_clone().unwrap();
            std::thread::spawn(move || stream.write_all(&sent).unwrap())
        };
        let mut got = vec![0u8; 300_000];
        stream.read_exact(&mut got).unwrap();
        writer.join().unwrap();
        got
    });
    let (mut outer_client, mut inner_server) = (None, None);
    wait_for(&mut rx, "both upstreams open", |event| {
        match event {
            Event::Relay(id, RelayEvent::Accepted { client, .. }) if *id == outer.id() => {
                outer_client = Some(client.clone());
            }
            Event::Relay(id, RelayEvent::UpstreamOpen { remote, .. }) if *id == inner.id() => {
                inner_server = Some(remote.clone());
            }
            _ => {}
        }
        (outer_client.is_some() && inner_server.is_some()).then_some(())
    })
    .await;
    assert!(is_us(&outer_client.unwrap()), "the client's pid");
    let server = inner_server.unwrap();
    assert!(is_us(&server), "the echo peer's pid: {server:?}");
    assert!(server
        .to_string()
        .starts_with(&format!("unix:{}", back.display())));
    assert_eq!(client.await.unwrap(), payload, "every byte, in order");
}

/// A relay told to forward its socket file to itself refuses, as it does
/// for its own TCP port — by the file, not its name: a path the display
/// escapes (a tab in it), and a hard link made after the start, too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_does_not_relay_to_its_own_socket_file() {
    let dir = tempfile::tempdir().unwrap();
    let odd = dir.path().join("lo\top\t.sock");
    let cases = [
        (odd.clone(), odd, false),
        (dir.path().join("h1.sock"), dir.path().join("h2.sock"), true),
    ];
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    for (listen, target, link) in cases {
        let relay = relay::start(
            &engine,
            &format!("unix:{}", listen.display()),
            &format!("unix:{}", target.display()),
            RelayConfig::default(),
            relay::DEFAULT_CONNECT_TIMEOUT,
        );
        wait_for(&mut rx, "Listening", |event| match event {
            Event::Relay(id, RelayEvent::Listening { .. }) if *id == relay.id() => Some(()),
            Event::Relay(id, RelayEvent::StartFailed { reason }) if *id == relay.id() => {
                panic!("{reason}")
            }
            _ => None,
        })
        .await;
        if link {
            std::fs::hard_link(&listen, &target).unwrap();
        }
        let client = tokio::task::spawn_blocking(move || {
            let mut stream = UnixStream::connect(listen).unwrap();
            let mut all = Vec::new();
            let _ = stream.read_to_end(&mut all);
            all
        });
        let reason = wait_for(&mut rx, "UpstreamFailed", |event| match event {
            Event::Relay(id, RelayEvent::UpstreamFailed { reason, .. }) if *id == relay.id() => {
                Some(reason.clone())
            }
            Event::Relay(id, RelayEvent::UpstreamOpen { .. }) if *id == relay.id() => {
                panic!("relayed to itself")
            }
            _ => None,
        })
        .await;
        assert!(reason.contains("this relay's own socket"), "{reason}");
        assert!(client.await.unwrap().is_empty());
    }
}
