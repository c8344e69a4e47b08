//! `netplay relay` at its limits: the memory of thousands of idle pairs,
//! and `--max-conn` refusing the client past the limit while the polite
//! ones are served. The real binary, real sockets, loopback only.

use crate::common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use common::cli::*;

/// A target that accepts every connection and holds it, saying nothing.
fn silent_target() -> (std::net::SocketAddr, std::sync::mpsc::Receiver<TcpStream>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().map_while(Result::ok) {
            if tx.send(stream).is_err() {
                return;
            }
        }
    });
    (addr, rx)
}

#[test]
fn an_idle_relay_pair_costs_at_most_16_kib() {
    const PAIRS: usize = 3_000;
    let soft = common::open_files_limit();
    if soft < 2 * PAIRS + 200 {
        eprintln!("skipped: needs `ulimit -n` of at least {}", 2 * PAIRS + 200);
        return;
    }
    let (target, upstreams) = silent_target();
    let relay = Server::start(&["relay", "127.0.0.1:0", &target.to_string()]);
    let addr = relay.address("Relaying ");
    let pid = relay.child.id();
    // A few pairs first, so one-time costs are in the baseline.
    let warm: Vec<TcpStream> = (0..50).map(|_| TcpStream::connect(addr).unwrap()).collect();
    let mut held: Vec<TcpStream> = (0..50)
        .map(|_| upstreams.recv_timeout(common::WAIT).unwrap())
        .collect();
    let before = common::settled_rss(pid);
    let idle: Vec<TcpStream> = (0..PAIRS)
        .map(|_| TcpStream::connect(addr).expect("connect"))
        .collect();
    // Every pair has its upstream open before the memory is read.
    for _ in 0..PAIRS {
        held.push(
            upstreams
                .recv_timeout(common::WAIT)
                .expect("an upstream connection"),
        );
    }
    let after = common::settled_rss(pid);
    let per_pair = after.saturating_sub(before) * 1024 / PAIRS as u64;
    eprintln!("idle relay pair: {per_pair} B ({before} KiB → {after} KiB)");
    assert!(per_pair <= 16 * 1024, "{per_pair} B per idle pair");
    // Still relaying: a new pair carries bytes.
    let mut client = TcpStream::connect(addr).unwrap();
    let mut upstream = upstreams
        .recv_timeout(common::WAIT)
        .expect("an upstream connection");
    client.write_all(b"ping").unwrap();
    let mut got = [0u8; 4];
    upstream.set_read_timeout(Some(common::WAIT)).unwrap();
    upstream.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"ping");
    drop((warm, idle, held));
}

#[test]
fn max_conn_refuses_the_client_past_the_limit_and_serves_the_polite_ones() {
    let (target, upstreams) = silent_target();
    let relay = Server::start(&[
        "relay",
        "127.0.0.1:0",
        &target.to_string(),
        "--max-conn",
        "2",
    ]);
    let addr = relay.address("Relaying ");
    let first = TcpStream::connect(addr).unwrap();
    let second = TcpStream::connect(addr).unwrap();
    let up1 = upstreams.recv_timeout(common::WAIT).unwrap();
    let up2 = upstreams.recv_timeout(common::WAIT).unwrap();
    relay.line_with("upstream open");
    // The third is closed at once, with a line; no upstream is opened.
    let mut third = TcpStream::connect(addr).unwrap();
    third.set_read_timeout(Some(common::WAIT)).unwrap();
    let mut rest = Vec::new();
    assert_eq!(third.read_to_end(&mut rest).unwrap_or(0), 0);
    let line = relay.line_with("Refused connection from");
    assert!(line.contains("2 pairs open (--max-conn)"), "{line}");
    assert!(upstreams.recv_timeout(Duration::from_millis(200)).is_err());
    // The polite pairs end (both sides of both close; which upstream is
    // whose is not known): the next client is relayed.
    drop((first, second, up1, up2));
    relay.line_with("closed");
    let mut fourth = TcpStream::connect(addr).unwrap();
    let mut up4 = upstreams
        .recv_timeout(common::WAIT)
        .expect("relayed after a slot freed");
    fourth.write_all(b"hi").unwrap();
    let mut got = [0u8; 2];
    up4.set_read_timeout(Some(common::WAIT)).unwrap();
    up4.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"hi");
}
