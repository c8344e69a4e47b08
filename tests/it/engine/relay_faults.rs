//! The relay's faults, each against real peers over loopback: latency,
//! bandwidth, the slicer, a byte limit, resets and the blackhole.

use crate::common;

use std::io::{ErrorKind, Read, Write};
use std::time::{Duration, Instant};

use super::relay::{faults_both, greet_server, pair_closed, start_relay};
use common::*;
use netplay::net::relay::{Dir, Faults, RelayConfig, RelayEvent};
use netplay::net::tcp_server::ServerEvent;
use netplay::net::{Engine, Event};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_delays_each_chunk_and_keeps_order() {
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let (_server, server_addr) = greet_server(&engine, &mut rx).await;
    let faults = Faults {
        latency: Duration::from_millis(150),
        jitter: Duration::from_millis(20),
        ..Faults::default()
    };
    let (_relay, relay_addr) =
        start_relay(&engine, &mut rx, server_addr, faults_both(faults)).await;
    let started = Instant::now();
    let mut client = tutorial_client(relay_addr);
    expect_bytes(&mut client, b"Welcome!");
    assert!(started.elapsed() >= Duration::from_millis(130));
    let sent = Instant::now();
    client.write_all(b"Michael").unwrap();
    expect_bytes(&mut client, b"Hello, Michael!");
    // One delay each way, jitter at most 20 ms each.
    assert!(
        sent.elapsed() >= Duration::from_millis(260),
        "{:?}",
        sent.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bandwidth_holds_the_rate_within_15_percent() {
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    const RATE: u64 = 50_000;
    let reply = vec![b'z'; 100_000];
    let server_addr = answering_server(reply.clone());
    let config = RelayConfig {
        faults: [
            Faults::default(),
            Faults {
                bandwidth: Some(RATE),
                ..Faults::default()
            },
        ],
        ..RelayConfig::default()
    };
    let (_relay, relay_addr) = start_relay(&engine, &mut rx, server_addr, config).await;
    let got = tokio::task::spawn_blocking(move || {
        let mut stream = tutorial_client(relay_addr);
        stream.write_all(b"GET").unwrap();
        let mut first = [0u8; 1];
        stream.read_exact(&mut first).unwrap();
        let started = Instant::now();
        let mut rest = Vec::new();
        stream.read_to_end(&mut rest).unwrap();
        (started.elapsed(), rest.len() + 1)
    })
    .await
    .unwrap();
    let (took, len) = got;
    assert_eq!(len, reply.len());
    let rate = (len as f64 - 1.0) / took.as_secs_f64();
    let expected = RATE as f64;
    assert!(
        (rate - expected).abs() <= expected * 0.15,
        "{rate:.0} B/s over {took:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slicer_at_one_byte_makes_the_server_read_one_byte_at_a_time() {
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let (_server, server_addr) = greet_server(&engine, &mut rx).await;
    let config = RelayConfig {
        faults: [
            Faults {
                slice: Some(1),
                slice_delay: Duration::from_millis(5),
                ..Faults::default()
            },
            Faults::default(),
        ],
        ..RelayConfig::default()
    };
    let (_relay, relay_addr) = start_relay(&engine, &mut rx, server_addr, config).await;
    let client = tokio::task::spawn_blocking(move || {
        let mut stream = tutorial_client(relay_addr);
        expect_bytes(&mut stream, b"Welcome!");
        stream.write_all(b"Tracy").unwrap();
        expect_bytes(
            &mut stream,
            b"Hello, T!Hello, r!Hello, a!Hello, c!Hello, y!",
        );
    });
    let mut reads = Vec::new();
    wait_for(&mut rx, "five reads", |event| match event {
        Event::Server(_, ServerEvent::Received { data, .. }) => {
            reads.push(data.preview.to_vec());
            (reads.len() == 5).then_some(())
        }
        _ => None,
    })
    .await;
    client.await.unwrap();
    assert_eq!(reads, [b"T", b"r", b"a", b"c", b"y"].map(|b| b.to_vec()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limit_closes_after_exactly_n_bytes() {
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let server_addr = answering_server(b"0123456789abcdefghijklmnopqrstuvwxyz".to_vec());
    let config = RelayConfig {
        faults: [
            Faults::default(),
            Faults {
                limit: Some(10),
                ..Faults::default()
            },
        ],
        ..RelayConfig::default()
    };
    let (_relay, relay_addr) = start_relay(&engine, &mut rx, server_addr, config).await;
    let got = tokio::task::spawn_blocking(move || {
        let mut stream = tutorial_client(relay_addr);
        stream.write_all(b"GET").unwrap();
        read_to_close(&mut stream)
    })
    .await
    .unwrap();
    assert_eq!(got, b"0123456789");
    let what = wait_for(&mut rx, "limit Fault", |event| match event {
        Event::Relay(_, RelayEvent::Fault { what, .. }) => Some(what.clone()),
        _ => None,
    })
    .await;
    assert!(what.contains("limit: 10 B"), "{what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_fault_makes_the_client_see_a_reset() {
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let (_server, server_addr) = greet_server(&engine, &mut rx).await;
    let faults = Faults {
        reset: true,
        ..Faults::default()
    };
    let config = RelayConfig {
        faults: [faults, Faults::default()],
        ..RelayConfig::default()
    };
    let (_relay, relay_addr) = start_relay(&engine, &mut rx, server_addr, config).await;
    let outcome = tokio::task::spawn_blocking(move || {
        let mut stream = tutorial_client(relay_addr);
        let _ = stream.write_all(b"Michael");
        let mut buf = [0u8; 64];
        loop {
            match stream.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(_) => continue,
                Err(err) => return Err(err.kind()),
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(outcome, Err(ErrorKind::ConnectionReset));
    let (_, reason, error) = pair_closed(&mut rx).await;
    assert!(error, "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_switched_on_live_resets_open_pairs_at_once() {
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let (_server, server_addr) = greet_server(&engine, &mut rx).await;
    let (relay, relay_addr) =
        start_relay(&engine, &mut rx, server_addr, RelayConfig::default()).await;
    let mut client = tutorial_client(relay_addr);
    expect_bytes(&mut client, b"Welcome!");
    let faults = Faults {
        reset: true,
        ..Faults::default()
    };
    relay.set_config(RelayConfig {
        faults: [Faults::default(), faults],
        ..RelayConfig::default()
    });
    // The client only reads: the reset reaches it without any new bytes.
    let outcome = tokio::task::spawn_blocking(move || {
        let mut buf = [0u8; 16];
        client.read(&mut buf).map_err(|err| err.kind())
    })
    .await
    .unwrap();
    assert_eq!(outcome, Err(ErrorKind::ConnectionReset));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blackhole_keeps_both_sides_open_and_forwards_nothing() {
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let (_server, server_addr) = greet_server(&engine, &mut rx).await;
    let faults = Faults {
        blackhole: true,
        ..Faults::default()
    };
    let (relay, relay_addr) = start_relay(&engine, &mut rx, server_addr, faults_both(faults)).await;
    let mut client = tutorial_client(relay_addr);
    client.write_all(b"Michael").unwrap();
    wait_for(&mut rx, "the read of Michael", |event| match event {
        Event::Relay(_, RelayEvent::Relayed { dir: Dir::Up, .. }) => Some(()),
        _ => None,
    })
    .await;
    client
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut buf = [0u8; 16];
    let read = client.read(&mut buf);
    assert!(read.is_err(), "nothing comes back, not even EOF: {read:?}");
    relay.set_config(RelayConfig::default());
    client.set_read_timeout(Some(WAIT)).unwrap();
    client.write_all(b"Tracy").unwrap();
    expect_bytes(&mut client, b"Hello, Tracy!");
}
