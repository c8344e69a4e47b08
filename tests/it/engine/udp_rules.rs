//! UDP rules mode against hostile peers: a flood of datagrams from a peer
//! that never reads the answers, each one matched and answered (or not),
//! counted exactly; the socket still answers a polite peer after it.

use crate::common;

use std::net::UdpSocket;
use std::sync::Arc;

use netplay::net::behaviour::rules::Rules;
use netplay::net::udp::{UdpEvent, UdpMode};
use netplay::net::{Engine, Event};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_at_a_rules_socket_is_answered_by_count_and_it_stays_polite() {
    const TOTAL: u64 = 20_000;
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let (socket, addr, stats) =
        common::open_local_udp(&engine, &mut rx, UdpMode::Rules, None).await;
    // Odd numbers are answered with the whole datagram repeated 64 times
    // (an amplifying rule: 8 B in, 512+ B out); even ones are swallowed.
    let rules = Rules::parse("[13579]$ => $0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0\n* => ignore\n").unwrap();
    socket.set_rules(Some(Arc::new(rules)));
    let id = socket.id();
    // The UI's side: events folded concurrently (data events may be
    // dropped and counted when it is behind; counters stay exact).
    let absorb = tokio::spawn(async move {
        let mut matched = 0u64;
        while let Some(event) = rx.recv().await {
            if let Event::Udp(got, UdpEvent::RuleMatched { .. }) = event {
                if got == id {
                    matched += 1;
                }
            }
        }
        matched
    });
    let flood_stats = Arc::clone(&stats);
    tokio::task::spawn_blocking(move || {
        // Never reads: every answer lands in a receive buffer nobody drains.
        let flooder = UdpSocket::bind("127.0.0.1:0").unwrap();
        let mut sent = 0u64;
        while sent < TOTAL {
            for _ in 0..64 {
                if sent == TOTAL {
                    break;
                }
                flooder
                    .send_to(format!("{:08}", sent).as_bytes(), addr)
                    .unwrap();
                sent += 1;
            }
            // Paced by the receiver so the kernel drops nothing on the way
            // in (the count must be exact).
            let deadline = std::time::Instant::now() + common::WAIT;
            while flood_stats.snapshot().datagrams_in < sent {
                assert!(std::time::Instant::now() < deadline, "receiver stalled");
                std::thread::yield_now();
            }
        }
    })
    .await
    .unwrap();
    let answered = TOTAL / 2;
    let deadline = std::time::Instant::now() + common::WAIT;
    while stats.snapshot().datagrams_out < answered {
        assert!(std::time::Instant::now() < deadline, "answers stalled");
        tokio::task::yield_now().await;
    }
    let snapshot = stats.snapshot();
    assert_eq!(snapshot.datagrams_in, TOTAL);
    assert_eq!(snapshot.datagrams_out, answered, "one answer per odd line");
    assert_eq!(snapshot.bytes_out, answered * 8 * 64);
    // A polite peer is still answered.
    let polite = UdpSocket::bind("127.0.0.1:0").unwrap();
    polite.set_read_timeout(Some(common::WAIT)).unwrap();
    polite.send_to(b"00000001", addr).unwrap();
    let mut buf = vec![0u8; 1024];
    let (len, _) = polite.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..len], b"00000001".repeat(64));
    drop(socket);
    drop(engine);
    // Rule events are previews for the screen (dropped and counted when
    // the UI is behind); the counters above are the exact record.
    let matched = absorb.await.unwrap();
    assert!(matched > 0 && matched <= TOTAL + 1, "{matched}");
}
