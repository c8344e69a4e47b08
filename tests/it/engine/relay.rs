//! The relay engine between real peers over loopback: netplay's own greet
//! server, hyper, and `std::net` clients — polite ones and hostile ones.

use crate::common;

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use common::*;
use netplay::net::behaviour::greet::{Behaviour, ServerConfig};
use netplay::net::relay::{
    self, Dir, DirCommand, Faults, PairCommand, RelayConfig, RelayEvent, RelayHandle, HOLD_LIMIT,
};
use netplay::net::tcp_server::{self, ServerHandle};
use netplay::net::{ConnId, Engine, Event};
use tokio::sync::mpsc::Receiver;

pub(super) async fn greet_server(
    engine: &Engine,
    rx: &mut Receiver<Event>,
) -> (ServerHandle, SocketAddr) {
    let config = ServerConfig {
        behaviour: Behaviour::Greet,
        reply_delay: Duration::ZERO,
        max_connections: None,
        idle_timeout: None,
        tcp_info: false,
    };
    let server = tcp_server::start(engine, "127.0.0.1:0", config);
    let addr = listening(rx, server.id()).await;
    (server, addr)
}

pub(super) async fn start_relay(
    engine: &Engine,
    rx: &mut Receiver<Event>,
    target: SocketAddr,
    config: RelayConfig,
) -> (RelayHandle, SocketAddr) {
    let relay = relay::start(
        engine,
        "127.0.0.1:0",
        &target.to_string(),
        config,
        relay::DEFAULT_CONNECT_TIMEOUT,
    );
    let addr = wait_for(rx, "relay Listening", |event| match event {
        Event::Relay(_, RelayEvent::Listening { local }) => local.ip(),
        Event::Relay(_, RelayEvent::StartFailed { reason }) => panic!("relay: {reason}"),
        _ => None,
    })
    .await;
    (relay, addr)
}

pub(super) fn faults_both(faults: Faults) -> RelayConfig {
    RelayConfig {
        faults: [faults, faults],
        ..RelayConfig::default()
    }
}

pub(super) async fn pair_closed(rx: &mut Receiver<Event>) -> (ConnId, String, bool) {
    wait_for(rx, "pair Closed", |event| match event {
        Event::Relay(
            _,
            RelayEvent::Closed {
                pair,
                reason,
                error,
            },
        ) => Some((*pair, reason.clone(), *error)),
        _ => None,
    })
    .await
}

/// A listener that accepts and never reads: the peer that never drains.
pub(super) fn silent_server() -> (std::net::TcpListener, SocketAddr) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tutorial_chat_through_the_relay_with_both_directions_shown() {
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let (_server, server_addr) = greet_server(&engine, &mut rx).await;
    let (_relay, relay_addr) =
        start_relay(&engine, &mut rx, server_addr, RelayConfig::default()).await;
    let client = tokio::task::spawn_blocking(move || tutorial_conversation(relay_addr));
    let mut up = Vec::new();
    let mut down = Vec::new();
    let mut sides = Vec::new();
    let reason = wait_for(&mut rx, "pair Closed", |event| match event {
        Event::Relay(_, RelayEvent::UpstreamOpen { remote, .. }) => {
            assert_eq!(
                remote.ip(),
                Some(server_addr),
                "the upstream 4-tuple ends at the target"
            );
            None
        }
        Event::Relay(_, RelayEvent::Relayed { dir, data, .. }) => {
            match dir {
                Dir::Up => up.push(data.preview.to_vec()),
                Dir::Down => down.push(data.preview.to_vec()),
            }
            None
        }
        Event::Relay(_, RelayEvent::FinReceived { side, .. }) => {
            sides.push(*side);
            None
        }
        Event::Relay(_, RelayEvent::Closed { reason, .. }) => Some(reason.clone()),
        _ => None,
    })
    .await;
    client.await.expect("client");
    assert_eq!(up.concat(), b"MichaelTracySarahexit".to_vec());
    assert_eq!(
        down.concat(),
        b"Welcome!Hello, Michael!Hello, Tracy!Hello, Sarah!".to_vec()
    );
    assert_eq!(
        sides,
        [relay::Side::Server, relay::Side::Client],
        "the server closed first (exit), then the client"
    );
    assert!(!reason.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_close_propagates_both_ways() {
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let (listener, server_addr) = silent_server();
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut got = Vec::new();
        stream.read_to_end(&mut got).unwrap(); // ends at the relayed FIN
        stream.write_all(b"after your FIN").unwrap();
        stream.shutdown(Shutdown::Write).unwrap();
        got
    });
    let (_relay, relay_addr) =
        start_relay(&engine, &mut rx, server_addr, RelayConfig::default()).await;
    let client = tokio::task::spawn_blocking(move || {
        let mut stream = tutorial_client(relay_addr);
        stream.write_all(b"request").unwrap();
        stream.shutdown(Shutdown::Write).unwrap();
        read_to_close(&mut stream)
    });
    let (_, reason, error) = pair_closed(&mut rx).await;
    assert_eq!(client.await.unwrap(), b"after your FIN");
    assert_eq!(server.join().unwrap(), b"request");
    assert_eq!(reason, "both sides closed");
    assert!(!error);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hold_edit_and_step_change_what_the_server_receives() {
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let (_server, server_addr) = greet_server(&engine, &mut rx).await;
    let config = RelayConfig {
        hold_new: [true, false],
        ..RelayConfig::default()
    };
    let (relay, relay_addr) = start_relay(&engine, &mut rx, server_addr, config).await;
    let mut client = tutorial_client(relay_addr);
    expect_bytes(&mut client, b"Welcome!"); // down is not held
    client.write_all(b"Michael").unwrap();
    let (pair, chunk) = wait_for(&mut rx, "Held", |event| match event {
        Event::Relay(_, RelayEvent::Held { pair, dir, chunk }) => {
            assert_eq!(*dir, Dir::Up);
            Some((*pair, chunk.clone()))
        }
        _ => None,
    })
    .await;
    assert_eq!(&chunk.bytes[..], b"Michael");
    let edit = DirCommand::Edit(chunk.seq, b"Tracy".to_vec());
    relay
        .command(pair, PairCommand::Dir(Dir::Up, edit))
        .unwrap();
    wait_for(&mut rx, "Edited", |event| {
        matches!(event, Event::Relay(_, RelayEvent::Edited { .. })).then_some(())
    })
    .await;
    // Nothing reached the server while held.
    client
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut byte = [0u8; 1];
    let early = client.read(&mut byte);
    assert!(
        matches!(&early, Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)),
        "{early:?}"
    );
    client.set_read_timeout(Some(WAIT)).unwrap();
    relay
        .command(pair, PairCommand::Dir(Dir::Up, DirCommand::Step))
        .unwrap();
    expect_bytes(&mut client, b"Hello, Tracy!");

    // Dropped chunks never arrive; injected bytes do, both ways.
    client.write_all(b"Sarah").unwrap();
    let seq = wait_for(&mut rx, "second Held", |event| match event {
        Event::Relay(_, RelayEvent::Held { chunk, .. }) => Some(chunk.seq),
        _ => None,
    })
    .await;
    relay
        .command(pair, PairCommand::Dir(Dir::Up, DirCommand::Drop(seq)))
        .unwrap();
    relay
        .command(
            pair,
            PairCommand::Dir(Dir::Up, DirCommand::Inject(b"Ann".to_vec())),
        )
        .unwrap();
    expect_bytes(&mut client, b"Hello, Ann!");
    relay
        .command(
            pair,
            PairCommand::Dir(Dir::Down, DirCommand::Inject(b"psst".to_vec())),
        )
        .unwrap();
    expect_bytes(&mut client, b"psst");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_direction_stops_reading_at_its_bound() {
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let (listener, server_addr) = silent_server();
    let config = RelayConfig {
        hold_new: [true, false],
        ..RelayConfig::default()
    };
    let (_relay, relay_addr) = start_relay(&engine, &mut rx, server_addr, config).await;
    let client = std::thread::spawn(move || {
        let mut stream = TcpStream::connect(relay_addr).unwrap();
        stream
            .set_write_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        let block = vec![b'x'; 64 * 1024];
        let mut written = 0usize;
        // A flood far past the bound: the writes stall once the relay's
        // queue and both kernels' buffers are full.
        while written < 256 * 1024 * 1024 {
            match stream.write(&block) {
                Ok(n) => written += n,
                Err(_) => break,
            }
        }
        (stream, written)
    });
    let _upstream = listener.accept().unwrap();
    let (stream, written) = tokio::task::spawn_blocking(move || client.join().unwrap())
        .await
        .unwrap();
    assert!(
        written < 64 * 1024 * 1024,
        "the sender was held back: {written}"
    );
    // The relay may still be reading what the kernels buffered when the
    // sender gives up (a busy machine): take events until it has held
    // something and then gone quiet.
    let mut held = 0usize;
    let mut chunks = 0usize;
    let deadline = Instant::now() + common::WAIT;
    while Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_millis(300), rx.recv()).await {
            Ok(Some(Event::Relay(_, RelayEvent::Held { chunk, .. }))) => {
                held += chunk.bytes.len();
                chunks += 1;
            }
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(_) if chunks > 0 => break,
            Err(_) => {}
        }
    }
    assert!(chunks > 0);
    assert!(held <= HOLD_LIMIT, "held {held} B in {chunks} chunks");
    drop(stream);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_refused_closes_the_client_with_a_clear_line() {
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let (listener, dead) = silent_server();
    drop(listener); // nothing listens there now
    let (_relay, relay_addr) = start_relay(&engine, &mut rx, dead, RelayConfig::default()).await;
    let mut client = tutorial_client(relay_addr);
    let reason = wait_for(&mut rx, "UpstreamFailed", |event| match event {
        Event::Relay(_, RelayEvent::UpstreamFailed { reason, .. }) => Some(reason.clone()),
        _ => None,
    })
    .await;
    assert!(
        reason.starts_with(&format!("upstream {dead} refused"))
            && reason.contains("closed client #"),
        "{reason}"
    );
    assert_eq!(read_to_close(&mut client), b"");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listen_address_in_use_is_one_line() {
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let (_taken, addr) = silent_server();
    let _relay = relay::start(
        &engine,
        &addr.to_string(),
        "127.0.0.1:9",
        RelayConfig::default(),
        relay::DEFAULT_CONNECT_TIMEOUT,
    );
    let reason = wait_for(&mut rx, "StartFailed", |event| match event {
        Event::Relay(_, RelayEvent::StartFailed { reason }) => Some(reason.clone()),
        _ => None,
    })
    .await;
    assert!(
        reason.contains("already in use") && !reason.contains('\n'),
        "{reason}"
    );
}

const MIB: usize = 1024 * 1024;

/// One mebibyte of a big body; each differs, so a lost or reordered
/// chunk is caught.
fn piece(index: usize) -> Vec<u8> {
    (0..MIB)
        .map(|j| ((index * 31 + j * 7) % 251) as u8)
        .collect()
}

/// A hyper server: `GET /big/N` streams N MiB; `POST` echoes the body.
async fn hyper_server() -> SocketAddr {
    use http_body_util::{BodyExt, Full, StreamBody};
    use hyper::body::{Bytes, Frame};
    type Body = http_body_util::combinators::BoxBody<Bytes, std::convert::Infallible>;
    async fn handler(
        request: hyper::Request<hyper::body::Incoming>,
    ) -> Result<hyper::Response<Body>, hyper::Error> {
        if request.method() == hyper::Method::POST {
            let body = request.into_body().collect().await?.to_bytes();
            return Ok(hyper::Response::new(Full::new(body).boxed()));
        }
        let mib: usize = request
            .uri()
            .path()
            .trim_start_matches("/big/")
            .parse()
            .unwrap_or(1);
        let frames = futures_util::stream::iter(
            (0..mib).map(|i| Ok::<_, std::convert::Infallible>(Frame::data(Bytes::from(piece(i))))),
        );
        Ok(hyper::Response::new(BodyExt::boxed(StreamBody::new(
            frames,
        ))))
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let io = hyper_util::rt::TokioIo::new(stream);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, hyper::service::service_fn(handler))
                    .await;
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hyper_bodies_are_byte_identical_through_the_relay() {
    use http_body_util::{BodyExt, Full};
    use hyper::body::Bytes;
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let server_addr = hyper_server().await;
    let (_relay, relay_addr) =
        start_relay(&engine, &mut rx, server_addr, RelayConfig::default()).await;
    // The screen's engine: whatever the test does not read is counted as
    // dropped, never slowing the relay.
    tokio::spawn(async move { while rx.recv().await.is_some() {} });

    let stream = tokio::net::TcpStream::connect(relay_addr).await.unwrap();
    let io = hyper_util::rt::TokioIo::new(stream);
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io).await.unwrap();
    tokio::spawn(connection);

    let request = hyper::Request::get("/big/64")
        .header("host", "relay.test")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    let mut body = response.into_body();
    let mut received = 0usize;
    while let Some(frame) = body.frame().await {
        let data = frame.unwrap().into_data().unwrap();
        let first_wrong = data.iter().enumerate().position(|(i, byte)| {
            let at = received + i;
            *byte != ((at / MIB * 31 + (at % MIB) * 7) % 251) as u8
        });
        assert_eq!(first_wrong, None, "bytes differ after {received}");
        received += data.len();
    }
    assert_eq!(received, 64 * 1024 * 1024);

    let upload: Vec<u8> = (0..3).flat_map(piece).collect();
    let request = hyper::Request::post("/echo")
        .header("host", "relay.test")
        .body(Full::new(Bytes::from(upload.clone())))
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    let echoed = response.into_body().collect().await.unwrap().to_bytes();
    assert!(echoed[..] == upload[..], "the upload came back whole");
}

/// A client that writes until the relay stops taking its bytes (the
/// server reads nothing); the stream, still open.
fn flood_until_blocked(addr: SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_write_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let block = vec![b'f'; 64 * 1024];
    while stream.write(&block).is_ok() {}
    stream.set_read_timeout(Some(WAIT)).unwrap();
    stream
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_reaches_a_pair_whose_pump_waits_on_a_non_reading_server() {
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let (listener, server_addr) = silent_server();
    let faults = Faults {
        reset: true,
        ..Faults::default()
    };
    // Reset on at the start, off, then on again: each switch-on counts.
    let (relay, relay_addr) = start_relay(
        &engine,
        &mut rx,
        server_addr,
        faults_both(Faults::default()),
    )
    .await;
    let client = tokio::task::spawn_blocking(move || flood_until_blocked(relay_addr));
    let (_upstream, _) = listener.accept().unwrap();
    let mut client = client.await.unwrap();
    relay.set_config(faults_both(faults));
    let outcome = tokio::task::spawn_blocking(move || {
        let mut buf = [0u8; 16];
        client.read(&mut buf).map_err(|err| err.kind())
    })
    .await
    .unwrap();
    assert_eq!(outcome, Err(ErrorKind::ConnectionReset));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_switched_off_and_on_again_fires_for_a_pair_opened_with_it() {
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let (_server, server_addr) = greet_server(&engine, &mut rx).await;
    let on = Faults {
        reset: true,
        ..Faults::default()
    };
    let (relay, relay_addr) = start_relay(&engine, &mut rx, server_addr, faults_both(on)).await;
    let mut client = tutorial_client(relay_addr);
    wait_for(&mut rx, "UpstreamOpen", |event| {
        matches!(event, Event::Relay(_, RelayEvent::UpstreamOpen { .. })).then_some(())
    })
    .await;
    relay.set_config(RelayConfig::default());
    relay.set_config(faults_both(on));
    let outcome = tokio::task::spawn_blocking(move || {
        let mut buf = [0u8; 64];
        loop {
            match client.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(_) => continue, // Welcome! may come first
                Err(err) => return Err(err.kind()),
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(outcome, Err(ErrorKind::ConnectionReset));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_senders_reset_is_seen_while_its_bytes_wait_for_the_receiver() {
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let (listener, server_addr) = silent_server();
    let (_relay, relay_addr) =
        start_relay(&engine, &mut rx, server_addr, RelayConfig::default()).await;
    let client = tokio::task::spawn_blocking(move || flood_until_blocked(relay_addr));
    let (_upstream, _) = listener.accept().unwrap();
    let client = client.await.unwrap();
    socket2::SockRef::from(&client)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(client); // RST, with the relay's write to the server still blocked
    let (_, reason, error) = pair_closed(&mut rx).await;
    assert!(error && reason.contains("client"), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_bytes_never_land_inside_a_sliced_chunk() {
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let (listener, server_addr) = silent_server();
    let faults = Faults {
        slice: Some(1),
        slice_delay: Duration::from_millis(5),
        ..Faults::default()
    };
    let config = RelayConfig {
        faults: [faults, Faults::default()],
        ..RelayConfig::default()
    };
    let (relay, relay_addr) = start_relay(&engine, &mut rx, server_addr, config).await;
    let mut client = tutorial_client(relay_addr);
    let (mut upstream, _) = listener.accept().unwrap();
    upstream.set_read_timeout(Some(WAIT)).unwrap();
    client.write_all(b"abcdefghijklmnopqrst").unwrap();
    let pair = wait_for(&mut rx, "the read", |event| match event {
        Event::Relay(
            _,
            RelayEvent::Relayed {
                pair, dir: Dir::Up, ..
            },
        ) => Some(*pair),
        _ => None,
    })
    .await;
    let mut first = [0u8; 3];
    upstream.read_exact(&mut first).unwrap(); // the slicing is under way
    relay
        .command(
            pair,
            PairCommand::Dir(Dir::Up, DirCommand::Inject(b"INJ".to_vec())),
        )
        .unwrap();
    let mut rest = [0u8; 20];
    upstream.read_exact(&mut rest).unwrap();
    let mut got = first.to_vec();
    got.extend_from_slice(&rest);
    assert_eq!(got, b"abcdefghijklmnopqrstINJ");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_pairs_together_hold_at_most_the_relay_budget() {
    use netplay::net::relay::{READ_BUFFER, RELAY_BUDGET};
    const CLIENTS: usize = 80; // × 1 MiB each would be 80 MiB
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let (listener, server_addr) = silent_server();
    let config = RelayConfig {
        hold_new: [true, false],
        ..RelayConfig::default()
    };
    let (_relay, relay_addr) = start_relay(&engine, &mut rx, server_addr, config).await;
    let accept = std::thread::spawn(move || {
        (0..CLIENTS)
            .map(|_| listener.accept().unwrap().0)
            .collect::<Vec<_>>()
    });
    let clients = std::thread::spawn(move || {
        let floods: Vec<_> = (0..CLIENTS)
            .map(|_| std::thread::spawn(move || flood_until_blocked(relay_addr)))
            .collect();
        floods
            .into_iter()
            .map(|flood| flood.join().unwrap())
            .collect::<Vec<_>>()
    });
    // The UI's part: fold every event (held chunks wait for room).
    let held = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = std::sync::Arc::clone(&held);
    tokio::spawn(async move {
        while let Some(event) = rx.recv().await {
            if let Event::Relay(_, RelayEvent::Held { chunk, .. }) = event {
                counted.fetch_add(chunk.bytes.len(), std::sync::atomic::Ordering::Relaxed);
            }
        }
    });
    let clients = tokio::task::spawn_blocking(move || clients.join().unwrap())
        .await
        .unwrap();
    let _upstreams = accept.join().unwrap();
    let held = held.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        held <= RELAY_BUDGET + CLIENTS * READ_BUFFER,
        "{held} B held by {CLIENTS} pairs"
    );
    assert!(
        held > RELAY_BUDGET / 2,
        "{held} B: the pairs did fill the budget"
    );
    drop(clients);
}
