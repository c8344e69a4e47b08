//! The UDP engine over loopback: the tutorial's client and server, bursts
//! through the lossy switch at fixed seeds, a flood, and the errors.

use crate::common;

use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::time::Duration;

use netplay::net::behaviour::lossy::{Lossy, LossyConfig};
use netplay::net::udp::{self, Bind, UdpEvent, UdpHandle, UdpMode, UdpStats};
use netplay::net::{Engine, Event, SocketId};
use tokio::sync::mpsc::Receiver;

async fn bound(rx: &mut Receiver<Event>, handle: &UdpHandle) -> (SocketAddr, Arc<UdpStats>) {
    let id = handle.id();
    common::wait_for(rx, "Bound", |event| match event {
        Event::Udp(got, UdpEvent::Bound { local, stats, .. }) if *got == id => {
            Some((*local, stats.clone()))
        }
        Event::Udp(got, UdpEvent::BindFailed { reason }) if *got == id => {
            panic!("bind failed: {reason}")
        }
        _ => None,
    })
    .await
}

async fn udp_event<T>(
    rx: &mut Receiver<Event>,
    id: SocketId,
    what: &str,
    mut pick: impl FnMut(&UdpEvent) -> Option<T>,
) -> T {
    common::wait_for(rx, what, |event| match event {
        Event::Udp(got, e) if *got == id => pick(e),
        _ => None,
    })
    .await
}

fn engine() -> (Engine, Receiver<Event>) {
    Engine::new(tokio::runtime::Handle::current())
}

/// Opens a silent ephemeral socket connected to `target` and waits for it.
async fn open_ephemeral(
    engine: &Engine,
    rx: &mut Receiver<Event>,
    target: SocketAddr,
) -> UdpHandle {
    let socket = udp::open(
        engine,
        Bind::EphemeralFor(target.to_string()),
        UdpMode::Silent,
        None,
    );
    bound(rx, &socket).await;
    socket
}

/// The next error the socket `id` reports.
async fn next_error(rx: &mut Receiver<Event>, id: SocketId) -> String {
    udp_event(rx, id, "Error", |e| match e {
        UdpEvent::Error { reason } => Some(reason.clone()),
        _ => None,
    })
    .await
}

fn tutorial_client(server: SocketAddr, expect: &[(&str, &str)]) {
    let any = if server.is_ipv4() {
        "127.0.0.1:0"
    } else {
        "[::1]:0"
    };
    let socket = UdpSocket::bind(any).unwrap();
    socket.set_read_timeout(Some(common::WAIT)).unwrap();
    for (send, reply) in expect {
        socket.send_to(send.as_bytes(), server).unwrap();
        let mut buf = [0u8; 1024];
        let (n, from) = socket.recv_from(&mut buf).unwrap();
        assert_eq!(from, server);
        assert_eq!(String::from_utf8_lossy(&buf[..n]), *reply);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tutorial_client_against_greet_and_echo() {
    let (engine, mut rx) = engine();
    let (server, addr, stats) =
        common::open_local_udp(&engine, &mut rx, UdpMode::Greet, None).await;
    tokio::task::spawn_blocking(move || {
        tutorial_client(
            addr,
            &[
                ("Michael", "Hello, Michael!"),
                ("Tracy", "Hello, Tracy!"),
                ("Sarah", "Hello, Sarah!"),
            ],
        )
    })
    .await
    .unwrap();
    // The last reply can reach the client a moment before the server task
    // counts it as sent: wait for the counters, with a deadline.
    let deadline = std::time::Instant::now() + common::WAIT;
    while stats.snapshot().datagrams_out < 3 {
        assert!(std::time::Instant::now() < deadline, "send counter stuck");
        tokio::task::yield_now().await;
    }
    let snapshot = stats.snapshot();
    assert_eq!((snapshot.datagrams_in, snapshot.datagrams_out), (3, 3));
    assert_eq!(snapshot.bytes_in, 17);

    server.set_mode(UdpMode::Echo);
    tokio::task::spawn_blocking(move || tutorial_client(addr, &[("ping", "ping")]))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv6_round_trip_or_a_clean_skip() {
    if UdpSocket::bind("[::1]:0").is_err() {
        eprintln!("skipping: this machine has no ::1");
        return;
    }
    let (engine, mut rx) = engine();
    let server = udp::open(
        &engine,
        Bind::Address("[::1]:0".into()),
        UdpMode::Greet,
        None,
    );
    let (addr, _) = bound(&mut rx, &server).await;
    assert!(addr.is_ipv6());
    tokio::task::spawn_blocking(move || tutorial_client(addr, &[("six", "Hello, six!")]))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unbound_send_uses_a_connected_ephemeral_socket() {
    let (engine, mut rx) = engine();
    let (_server, addr, _) = common::open_local_udp(&engine, &mut rx, UdpMode::Greet, None).await;
    let client = udp::open(
        &engine,
        Bind::EphemeralFor(addr.to_string()),
        UdpMode::Silent,
        None,
    );
    let client_id = client.id();
    let connected = udp_event(&mut rx, client_id, "Bound", |e| match e {
        UdpEvent::Bound {
            local, connected, ..
        } => Some((*local, *connected)),
        _ => None,
    })
    .await;
    assert_ne!(connected.0.port(), 0, "the OS picked a port");
    assert_eq!(connected.1, Some(addr));
    client.send(&addr.to_string(), b"Michael".to_vec());
    let reply = udp_event(&mut rx, client_id, "reply", |e| match e {
        UdpEvent::Received { from, data, .. } => Some((*from, data.preview.to_vec())),
        _ => None,
    })
    .await;
    assert_eq!(reply, (addr, b"Hello, Michael!".to_vec()));
}

fn expected_fates(config: LossyConfig, count: u32) -> (u32, u32) {
    let mut lossy = Lossy::new(config);
    let mut dropped = 0;
    let mut duplicated = 0;
    for _ in 0..count {
        let fate = lossy.decide();
        dropped += u32::from(fate.dropped);
        duplicated += u32::from(fate.duplicated);
    }
    (dropped, duplicated)
}

async fn burst_through(
    config: LossyConfig,
    count: u32,
) -> netplay::net::behaviour::burst::BurstReport {
    let (engine, mut rx) = engine();
    let (_server, addr, _) =
        common::open_local_udp(&engine, &mut rx, UdpMode::Greet, Some(config)).await;
    let client = open_ephemeral(&engine, &mut rx, addr).await;
    client.burst(&addr.to_string(), count, 48, Duration::from_millis(400));
    udp_event(&mut rx, client.id(), "BurstDone", |e| match e {
        UdpEvent::BurstDone(report) => Some(report.clone()),
        _ => None,
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn burst_counts_are_exact_at_fixed_seeds() {
    for seed in [1, 7, 42] {
        let config = LossyConfig {
            drop_percent: 30,
            duplicate_percent: 10,
            max_delay: Duration::ZERO,
            seed,
        };
        let (dropped, duplicated) = expected_fates(config, 200);
        let report = burst_through(config, 200).await;
        assert_eq!(report.sent, 200);
        assert_eq!(report.missing, dropped, "seed {seed}: {report}");
        assert_eq!(report.duplicates, duplicated, "seed {seed}: {report}");
        assert_eq!(report.replies, 200 - dropped + duplicated);
        assert_eq!(report.out_of_order, 0, "no delay, no reordering");
    }
    // with delays the same datagrams are lost and duplicated; order suffers
    let config = LossyConfig {
        drop_percent: 20,
        duplicate_percent: 5,
        max_delay: Duration::from_millis(40),
        seed: 99,
    };
    let (dropped, duplicated) = expected_fates(config, 200);
    let report = burst_through(config, 200).await;
    assert_eq!(
        (report.missing, report.duplicates),
        (dropped, duplicated),
        "{report}"
    );
    // no loss at all without the switch
    let clean = LossyConfig {
        drop_percent: 0,
        duplicate_percent: 0,
        max_delay: Duration::ZERO,
        seed: 0,
    };
    let report = burst_through(clean, 100).await;
    assert_eq!((report.replies, report.missing), (100, 0), "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_100k_datagrams_is_counted_exactly() {
    let (engine, mut rx) = engine();
    let (sink, addr, stats) = common::open_local_udp(&engine, &mut rx, UdpMode::Silent, None).await;
    let sink_id = sink.id();
    // The receiving side folds events as the UI would, concurrently.
    let absorb = tokio::spawn(async move {
        let mut received = 0u64;
        while let Some(event) = rx.recv().await {
            if let Event::Udp(id, UdpEvent::Received { .. }) = event {
                if id == sink_id {
                    received += 1;
                }
            }
        }
        received
    });
    const TOTAL: u64 = 100_000;
    let stats_for_sender = stats.clone();
    tokio::task::spawn_blocking(move || {
        let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
        let mut sent = 0u64;
        while sent < TOTAL {
            // small batches: each datagram costs ~1 KiB of the receive
            // buffer, and a full buffer makes the kernel drop (real UDP)
            for _ in 0..64 {
                if sent == TOTAL {
                    break;
                }
                sender.send_to(&sent.to_be_bytes(), addr).unwrap();
                sent += 1;
            }
            // pace by the receiver so the kernel never has to drop
            let deadline = std::time::Instant::now() + common::WAIT;
            while stats_for_sender.snapshot().datagrams_in < sent {
                assert!(std::time::Instant::now() < deadline, "receiver stalled");
                std::thread::yield_now();
            }
        }
    })
    .await
    .unwrap();
    let snapshot = stats.snapshot();
    assert_eq!(snapshot.datagrams_in, TOTAL);
    assert_eq!(snapshot.bytes_in, TOTAL * 8);
    let drops = engine.drop_counter();
    drop(sink);
    drop(engine);
    // the channel closes once the socket task has ended: every offer is done
    let received = absorb.await.unwrap();
    assert_eq!(
        received + drops.get(),
        TOTAL,
        "every datagram is an event or a counted drop"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_one_line_reasons() {
    let (engine, mut rx) = engine();
    // in use
    let holder = UdpSocket::bind("127.0.0.1:0").unwrap();
    let taken = holder.local_addr().unwrap();
    let clash = udp::open(
        &engine,
        Bind::Address(taken.to_string()),
        UdpMode::Greet,
        None,
    );
    let reason = udp_event(&mut rx, clash.id(), "BindFailed", |e| match e {
        UdpEvent::BindFailed { reason } => Some(reason.clone()),
        _ => None,
    })
    .await;
    assert!(reason.contains("already in use"), "{reason}");

    // too large
    let (socket, addr, _) = common::open_local_udp(&engine, &mut rx, UdpMode::Silent, None).await;
    socket.send(&addr.to_string(), vec![0u8; 70_000]);
    let reason = next_error(&mut rx, socket.id()).await;
    assert!(
        reason.contains("datagram too large: 70000 bytes"),
        "{reason}"
    );
    assert!(reason.contains("65507"));

    // unknown target form
    socket.send("nowhere", b"x".to_vec());
    let reason = next_error(&mut rx, socket.id()).await;
    assert!(reason.contains("missing port"), "{reason}");

    // ICMP port unreachable on a connected ephemeral socket
    let closed = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let client = open_ephemeral(&engine, &mut rx, closed).await;
    client.send(&closed.to_string(), b"anyone?".to_vec());
    let reason = next_error(&mut rx, client.id()).await;
    assert!(reason.contains("connection refused"), "{reason}");
    drop(holder);
}
