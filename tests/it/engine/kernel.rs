//! The kernel's view through the engine, over real loopback sockets: socket
//! options set on a live connection and read back (Linux doubles a buffer
//! size), Nagle's coalescing seen in `TCP_INFO`, a close with RST that the
//! peer sees as a reset, and sampling on demand for server rows and relay
//! pairs.

use crate::common;

use std::io::{ErrorKind, Read};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use common::{listening, wait_for};
use netplay::net::behaviour::greet::{Behaviour, ServerConfig};
use netplay::net::kernel::sockopts::{SockOpt, SockOptions};
use netplay::net::kernel::tcp_info::TcpInfo;
use netplay::net::relay::{self, PairCommand, RelayConfig, RelayEvent, Side};
use netplay::net::tcp_client::{self, ClientEvent, ClientHandle, Connect};
use netplay::net::tcp_server::{self, ServerEvent};
use netplay::net::{Engine, Event};
use tokio::sync::mpsc::Receiver;

/// A client connected through the engine to a plain `std::net` listener;
/// returns the handle and the accepted peer socket.
async fn client_and_peer(
    engine: &Engine,
    rx: &mut Receiver<Event>,
    tcp_info: bool,
) -> (ClientHandle, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = std::thread::spawn(move || listener.accept().unwrap().0);
    let client = tcp_client::open(
        engine,
        &addr.to_string(),
        Connect {
            timeout: Duration::from_secs(5),
            tls: None,
            tcp_info,
            ..Connect::default()
        },
    );
    wait_for(rx, "Connected", |event| match event {
        Event::Client(_, ClientEvent::Connected { .. }) => Some(()),
        Event::Client(_, ClientEvent::ConnectFailed { reason }) => panic!("{reason}"),
        _ => None,
    })
    .await;
    (client, accepted.join().unwrap())
}

async fn client_options(rx: &mut Receiver<Event>) -> SockOptions {
    wait_for(rx, "Options", |event| match event {
        Event::Client(_, ClientEvent::Options(result)) => Some(result.clone().unwrap()),
        _ => None,
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nagle_on_coalesces_small_writes_into_fewer_segments() {
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let (client, mut peer) = client_and_peer(&engine, &mut rx, true).await;
    client.set_option(SockOpt::NoDelay(false)).unwrap();
    assert!(!client_options(&mut rx).await.nodelay, "Nagle is on");
    let writes = 2_000;
    let reader = std::thread::spawn(move || {
        let mut got = vec![0u8; writes];
        peer.read_exact(&mut got).unwrap();
        peer
    });
    // Each send is its own write() of one byte, back to back.
    let writer = client.writer();
    for _ in 0..writes {
        assert!(writer.send(b"x".to_vec()).await);
    }
    let _peer = reader.join().unwrap();
    client.disconnect();
    let info: TcpInfo = wait_for(&mut rx, "the last TCP_INFO", |event| match event {
        Event::Client(_, ClientEvent::TcpInfo { info, last: true }) => Some(*info),
        _ => None,
    })
    .await;
    eprintln!("segs_out {} for {writes} writes", info.segs_out);
    // segs_out counts the handshake's ACK too; still far fewer than writes:
    // while a small segment is unacknowledged, Nagle holds the next ones.
    assert!(
        (info.segs_out as usize) < writes,
        "{} writes went out as {} segments: {}",
        writes,
        info.segs_out,
        info.line()
    );
    assert!(info.bytes_acked as usize >= writes, "{}", info.line());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_with_rst_makes_the_peer_see_a_reset() {
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let (client, mut peer) = client_and_peer(&engine, &mut rx, false).await;
    client.set_option(SockOpt::CloseWithReset(true)).unwrap();
    let options = client_options(&mut rx).await;
    assert_eq!(options.linger, Some(Duration::ZERO));
    client.disconnect();
    peer.set_read_timeout(Some(common::WAIT)).unwrap();
    let mut buf = [0u8; 16];
    match peer.read(&mut buf) {
        Err(err) => assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err}"),
        Ok(n) => panic!("the peer read {n} B (0 = a FIN) instead of a reset"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_connection_reads_back_a_doubled_receive_buffer_and_samples_on_demand() {
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let config = ServerConfig {
        behaviour: Behaviour::Echo,
        tcp_info: false,
        ..ServerConfig::default()
    };
    let server = tcp_server::start(&engine, "127.0.0.1:0", config);
    let addr = listening(&mut rx, server.id()).await;
    let _client = TcpStream::connect(addr).unwrap();
    let conn = wait_for(&mut rx, "Accepted", |event| match event {
        Event::Server(_, ServerEvent::Accepted { conn, .. }) => Some(*conn),
        _ => None,
    })
    .await;
    server
        .set_option(conn, SockOpt::Buffers(64 * 1024))
        .unwrap();
    let options = wait_for(&mut rx, "Options", |event| match event {
        Event::Server(_, ServerEvent::Options { conn: got, options }) if *got == conn => {
            Some(options.clone().unwrap())
        }
        _ => None,
    })
    .await;
    if cfg!(target_os = "linux") {
        assert_eq!(options.recv_buffer, 128 * 1024, "Linux doubles SO_RCVBUF");
        assert_eq!(options.send_buffer, 128 * 1024, "and SO_SNDBUF");
    }
    assert!(options.nodelay, "netplay's default");
    // Not sampled until watched; then every second.
    server.watch(conn, true).unwrap();
    let info = wait_for(&mut rx, "TcpInfo", |event| match event {
        Event::Server(
            _,
            ServerEvent::TcpInfo {
                conn: got, info, ..
            },
        ) if *got == conn => Some(*info),
        _ => None,
    })
    .await;
    assert_eq!(info.state_name(), "ESTABLISHED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_pair_shows_each_of_its_two_sockets() {
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let upstream = TcpListener::bind("127.0.0.1:0").unwrap();
    let target: SocketAddr = upstream.local_addr().unwrap();
    let relay = relay::start(
        &engine,
        "127.0.0.1:0",
        &target.to_string(),
        RelayConfig::default(),
        relay::DEFAULT_CONNECT_TIMEOUT,
    );
    let addr = wait_for(&mut rx, "relay Listening", |event| match event {
        Event::Relay(_, RelayEvent::Listening { local }) => local.ip(),
        _ => None,
    })
    .await;
    let _client = TcpStream::connect(addr).unwrap();
    let (_server_side, _) = upstream.accept().unwrap();
    let pair = wait_for(&mut rx, "UpstreamOpen", |event| match event {
        Event::Relay(_, RelayEvent::UpstreamOpen { pair, .. }) => Some(*pair),
        _ => None,
    })
    .await;
    relay
        .command(pair, PairCommand::Option(Side::Server, SockOpt::Ttl(16)))
        .unwrap();
    let ttl = wait_for(&mut rx, "Options", |event| match event {
        Event::Relay(_, RelayEvent::Options { side, options, .. }) => {
            assert_eq!(*side, Side::Server);
            Some(options.clone().unwrap().ttl)
        }
        _ => None,
    })
    .await;
    assert_eq!(ttl, 16);
    relay
        .command(pair, PairCommand::Watch(Some(Side::Client)))
        .unwrap();
    let (side, info) = wait_for(&mut rx, "TcpInfo", |event| match event {
        Event::Relay(_, RelayEvent::TcpInfo { side, info, .. }) => Some((*side, *info)),
        _ => None,
    })
    .await;
    assert_eq!(side, Side::Client);
    assert_eq!(info.state_name(), "ESTABLISHED");
}
