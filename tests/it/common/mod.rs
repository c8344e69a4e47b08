//! Helpers shared by the engine tests: waiting on engine events with a
//! deadline (never a fixed sleep), and tutorial-style blocking clients.
#![allow(dead_code)]

pub mod cli;
pub mod proxies;
pub mod tls;
pub mod tshark;
pub mod ui;
pub mod ws;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use netplay::net::tcp_server::ServerEvent;
use netplay::net::{Event, ServerId};
use tokio::sync::mpsc;

/// How long any single wait in a test may take before it fails.
pub const WAIT: Duration = Duration::from_secs(10);

/// Receives events until `pick` returns `Some`, failing after [`WAIT`].
/// Events that do not match are passed to `seen` so a test can count them.
pub async fn wait_for<T>(
    rx: &mut mpsc::Receiver<Event>,
    what: &str,
    mut pick: impl FnMut(&Event) -> Option<T>,
) -> T {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(event)) => {
                if let Some(found) = pick(&event) {
                    return found;
                }
            }
            Ok(None) => panic!("engine channel closed while waiting for {what}"),
            Err(_) => panic!("timed out after {WAIT:?} waiting for {what}"),
        }
    }
}

/// Binds a UDP socket on 127.0.0.1 with an OS-chosen port and waits for
/// it: the handle, its address and its live counters.
pub async fn open_local_udp(
    engine: &netplay::net::Engine,
    rx: &mut mpsc::Receiver<Event>,
    mode: netplay::net::udp::UdpMode,
    lossy: Option<netplay::net::behaviour::lossy::LossyConfig>,
) -> (
    netplay::net::udp::UdpHandle,
    SocketAddr,
    std::sync::Arc<netplay::net::udp::UdpStats>,
) {
    use netplay::net::udp::{self, Bind, UdpEvent};
    let socket = udp::open(engine, Bind::Address("127.0.0.1:0".into()), mode, lossy);
    let id = socket.id();
    let bound = wait_for(rx, "Bound", |event| match event {
        Event::Udp(got, UdpEvent::Bound { local, stats, .. }) if *got == id => {
            Some((*local, stats.clone()))
        }
        Event::Udp(got, UdpEvent::BindFailed { reason }) if *got == id => {
            panic!("bind failed: {reason}")
        }
        _ => None,
    })
    .await;
    (socket, bound.0, bound.1)
}

/// Waits for the server `id` to report it is listening, returning the address.
pub async fn listening(rx: &mut mpsc::Receiver<Event>, id: ServerId) -> SocketAddr {
    wait_for(rx, "Listening", |event| match event {
        Event::Server(server, ServerEvent::Listening { local }) if *server == id => local.ip(),
        Event::Server(server, ServerEvent::StartFailed { reason }) if *server == id => {
            panic!("server failed to start: {reason}")
        }
        _ => None,
    })
    .await
}

/// A raw TCP server that reads each connection's request (one read) and
/// answers it with `reply` exactly as given, then closes: a peer for bytes
/// no server library would send.
pub fn answering_server(reply: Vec<u8>) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("local address");
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut request = [0u8; 8192];
            let _ = stream.read(&mut request);
            let _ = stream.write_all(&reply);
        }
    });
    addr
}

/// A blocking client with a read timeout, as the tutorial's Python client.
pub fn tutorial_client(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(WAIT)).expect("timeout");
    stream
}

/// Reads exactly `expected.len()` bytes and checks them (TCP may split a
/// reply across reads, so a single `recv` is not enough in a test).
pub fn expect_bytes(stream: &mut TcpStream, expected: &[u8]) {
    let mut got = vec![0u8; expected.len()];
    stream.read_exact(&mut got).expect("read reply");
    assert_eq!(
        String::from_utf8_lossy(&got),
        String::from_utf8_lossy(expected)
    );
}

/// Reads until the peer closes, returning everything.
pub fn read_to_close(stream: &mut TcpStream) -> Vec<u8> {
    let mut all = Vec::new();
    stream.read_to_end(&mut all).expect("read to close");
    all
}

/// The whole tutorial conversation: Welcome!, three names, exit, close.
pub fn tutorial_conversation(addr: SocketAddr) {
    let mut stream = tutorial_client(addr);
    expect_bytes(&mut stream, b"Welcome!");
    for name in ["Michael", "Tracy", "Sarah"] {
        stream.write_all(name.as_bytes()).expect("send");
        expect_bytes(&mut stream, format!("Hello, {name}!").as_bytes());
    }
    stream.write_all(b"exit").expect("send exit");
    assert!(
        read_to_close(&mut stream).is_empty(),
        "server closes after exit"
    );
}

/// This process's soft limit of open files (0 when it cannot be read):
/// tests holding thousands of sockets skip below what they need.
pub fn open_files_limit() -> usize {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .and_then(|line| line.split_whitespace().nth(3))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Resident memory of process `pid`, in KiB (Linux: /proc).
pub fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .expect("VmRSS")
}

/// RSS of `pid` once it stops growing (what was accepted is set up),
/// within [`WAIT`].
pub fn settled_rss(pid: u32) -> u64 {
    let deadline = std::time::Instant::now() + WAIT;
    let mut last = rss_kib(pid);
    loop {
        std::thread::sleep(std::time::Duration::from_millis(200));
        let now = rss_kib(pid);
        if now == last || std::time::Instant::now() > deadline {
            return now;
        }
        last = now;
    }
}
