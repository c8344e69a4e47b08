//! Arrivals marked by their destination (IP_PKTINFO): a broadcast on
//! loopback is marked, and keeps its mark when the lossy switch delays
//! it; a unicast datagram is not, nor are the replies to a burst that
//! follows a marked arrival.

use crate::common;

use std::net::{Ipv4Addr, UdpSocket};
use std::time::Duration;

use common::*;
use netplay::net::behaviour::lossy::LossyConfig;
use netplay::net::udp::group::UdpOptions;
use netplay::net::udp::pktinfo::Arrival;
use netplay::net::udp::{self, Bind, UdpEvent, UdpMode};
use netplay::net::{Engine, Event};

const BROADCAST: Ipv4Addr = Ipv4Addr::new(127, 255, 255, 255);

/// The mark of the next arrival on `id` whose bytes are `want`.
async fn arrival(
    rx: &mut tokio::sync::mpsc::Receiver<Event>,
    id: netplay::net::SocketId,
    want: &[u8],
) -> Option<Arrival> {
    wait_for(rx, "Received", |event| match event {
        Event::Udp(got, UdpEvent::Received { data, to, .. })
            if *got == id && &data.preview[..] == want =>
        {
            Some(to.as_deref().copied())
        }
        _ => None,
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_arrivals_sent_to_a_broadcast_address_are_marked() {
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let options = UdpOptions {
        broadcast: true,
        ..UdpOptions::default()
    };
    let bind = Bind::Address("0.0.0.0:0".into());
    let socket = udp::open_with(&engine, bind, (UdpMode::Silent, None), options);
    let id = socket.id();
    let port = wait_for(&mut rx, "Bound", |event| match event {
        Event::Udp(got, UdpEvent::Bound { local, .. }) if *got == id => Some(local.port()),
        _ => None,
    })
    .await;
    let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
    sender.set_broadcast(true).unwrap();
    sender.send_to(b"to all", (BROADCAST, port)).unwrap();
    assert_eq!(
        arrival(&mut rx, id, b"to all").await,
        Some(Arrival::Broadcast(BROADCAST))
    );
    sender.send_to(b"to one", ("127.0.0.1", port)).unwrap();
    assert_eq!(arrival(&mut rx, id, b"to one").await, None);

    // A burst right after a marked arrival: its unicast replies are not
    // marked.
    sender.send_to(b"to all again", (BROADCAST, port)).unwrap();
    arrival(&mut rx, id, b"to all again").await;
    // An echo peer of its own thread, answering while the burst is sent.
    let echo = UdpSocket::bind("127.0.0.1:0").unwrap();
    let echo_addr = echo.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut buf = [0u8; 2048];
        while let Ok((n, from)) = echo.recv_from(&mut buf) {
            let _ = echo.send_to(&buf[..n], from);
        }
    });
    socket.burst(&echo_addr.to_string(), 2000, 32, Duration::from_millis(400));
    let mut replies = 0;
    wait_for(&mut rx, "BurstDone", |event| match event {
        Event::Udp(got, UdpEvent::Received { from, to, .. }) if *got == id => {
            assert_eq!(*from, echo_addr);
            assert_eq!(*to, None, "a burst's reply is unicast");
            replies += 1;
            None
        }
        Event::Udp(got, UdpEvent::BurstDone(_)) if *got == id => Some(()),
        _ => None,
    })
    .await;
    assert!(replies > 0);

    // Delayed by the lossy switch, a broadcast keeps its mark.
    socket.set_lossy(Some(LossyConfig {
        drop_percent: 0,
        duplicate_percent: 0,
        max_delay: Duration::from_millis(30),
        seed: 7,
    }));
    for _ in 0..5 {
        sender.send_to(b"late", (BROADCAST, port)).unwrap();
    }
    for _ in 0..5 {
        assert_eq!(
            arrival(&mut rx, id, b"late").await,
            Some(Arrival::Broadcast(BROADCAST))
        );
    }
}
