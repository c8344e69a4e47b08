//! Recording inside the engine (client, server connections, relay pairs)
//! and playing a recording over the client tab's connection, against real
//! peers over loopback: netplay's greet server and `std::net` clients,
//! polite and flooding.

use crate::common;

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use netplay::net::behaviour::greet::{Behaviour, ServerConfig};
use netplay::net::record::recorder::{RecordFor, RecordNews, RecordTo};
use netplay::net::relay::{self, RelayConfig, RelayEvent};
use netplay::net::tcp_client::{self, ClientEvent, Connect, Replay};
use netplay::net::tcp_server::{self, ServerHandle};
use netplay::net::{Engine, Event};
use netplay::record::{Entry, Recording, Side, Way};
use tokio::sync::mpsc::Receiver;

async fn server(
    engine: &Engine,
    rx: &mut Receiver<Event>,
    behaviour: Behaviour,
) -> (ServerHandle, SocketAddr) {
    let config = ServerConfig {
        behaviour,
        reply_delay: Duration::ZERO,
        max_connections: None,
        idle_timeout: None,
        tcp_info: false,
    };
    let server = tcp_server::start(engine, "127.0.0.1:0", config);
    let addr = listening(rx, server.id()).await;
    (server, addr)
}

fn to(dir: &Path, stem: &str) -> RecordTo {
    RecordTo {
        dir: dir.to_path_buf(),
        stem: stem.to_string(),
    }
}

/// Waits for a recording to end; its file and line count.
async fn ended(rx: &mut Receiver<Event>) -> (RecordFor, PathBuf, u64) {
    wait_for(rx, "recording Ended", |event| match event {
        Event::Record(RecordNews::Ended {
            who,
            path,
            lines,
            error,
        }) => {
            assert_eq!(error, &None, "the recording failed");
            Some((*who, path.clone(), *lines))
        }
        _ => None,
    })
    .await
}

fn read(path: &Path) -> Recording {
    netplay::record::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// All the bytes one way, in order.
fn bytes(recording: &Recording, way: Way) -> Vec<u8> {
    recording
        .entries
        .iter()
        .filter_map(|entry| match entry {
            Entry::Data { way: w, bytes, .. } if *w == way => Some(bytes.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

fn lives(recording: &Recording) -> Vec<String> {
    recording
        .entries
        .iter()
        .filter_map(|entry| match entry {
            Entry::Life { what, .. } => Some(what.clone()),
            _ => None,
        })
        .collect()
}

async fn verdict(
    rx: &mut Receiver<Event>,
) -> Result<Option<netplay::net::record::replay::Difference>, String> {
    wait_for(rx, "Replayed", |event| match event {
        Event::Client(_, ClientEvent::Replayed(outcome)) => Some(outcome.clone()),
        _ => None,
    })
    .await
}

async fn echoed(rx: &mut Receiver<Event>, id: netplay::net::ClientId, what: &[u8]) {
    let mut got = Vec::new();
    wait_for(rx, "echo", |event| match event {
        Event::Client(c, ClientEvent::Received(data)) if *c == id => {
            got.extend_from_slice(&data.preview);
            got.ends_with(what).then_some(())
        }
        _ => None,
    })
    .await
}

const GREET_SERVER_SENT: &[u8] = b"Welcome!Hello, Michael!Hello, Tracy!Hello, Sarah!";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_records_from_its_first_byte_and_its_replay_checks_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let (_greet, addr) = server(&engine, &mut rx, Behaviour::Greet).await;
    let client = tcp_client::open(
        &engine,
        &addr.to_string(),
        Connect {
            capture: None,
            timeout: Duration::from_secs(5),
            record: Some(to(dir.path(), "client")),
            ..Connect::default()
        },
    );
    let id = client.id();
    // The greeting is in the file though it came before anyone could ask.
    for (name, after) in [
        ("", "Welcome!"),
        ("Michael", "Hello, Michael!"),
        ("Tracy", "Hello, Tracy!"),
        ("Sarah", "Hello, Sarah!"),
    ] {
        if !name.is_empty() {
            client.send(name.as_bytes().to_vec()).unwrap();
        }
        let mut got = Vec::new();
        wait_for(&mut rx, after, |event| match event {
            Event::Client(c, ClientEvent::Received(data)) if *c == id => {
                got.extend_from_slice(&data.preview);
                got.ends_with(after.as_bytes()).then_some(())
            }
            _ => None,
        })
        .await;
    }
    client.disconnect();
    let (who, path, lines) = ended(&mut rx).await;
    assert_eq!(who, RecordFor::Client(id));
    assert!(path.starts_with(dir.path()), "{path:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(
            mode, 0o600,
            "a recording holds a conversation: this user only"
        );
    }
    let recording = read(&path);
    assert_eq!(recording.side, Side::Client);
    assert_eq!(recording.remote, addr.to_string());
    assert_eq!(bytes(&recording, Way::In), GREET_SERVER_SENT);
    assert_eq!(bytes(&recording, Way::Out), b"MichaelTracySarah");
    assert_eq!(lives(&recording), ["connected", "closed"]);
    assert_eq!(lines as usize, recording.entries.len());

    // Played over a client connection: the same server answers as recorded…
    let recording = Arc::new(recording);
    let replay = |target: SocketAddr| {
        tcp_client::open(
            &engine,
            &target.to_string(),
            Connect {
                capture: None,
                timeout: Duration::from_secs(5),
                replay: Some(Replay {
                    recording: Arc::clone(&recording),
                    limit: Duration::from_secs(2),
                }),
                ..Connect::default()
            },
        )
    };
    let _same = replay(addr);
    assert_eq!(verdict(&mut rx).await, Ok(None));
    // …and an echo server does not: the first byte differs.
    let (_echo, echo) = server(&engine, &mut rx, Behaviour::Echo).await;
    let _other = replay(echo);
    let difference = verdict(&mut rx)
        .await
        .unwrap()
        .expect("an echo server differs");
    assert_eq!(difference.offset, 0);
    assert!(difference.expected.starts_with(b"Welcome!"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_switches_recording_on_and_off_mid_connection() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let (_echo, addr) = server(&engine, &mut rx, Behaviour::Echo).await;
    let client = tcp_client::connect(&engine, &addr.to_string(), Duration::from_secs(5));
    let id = client.id();
    client.send(b"before".to_vec()).unwrap();
    echoed(&mut rx, id, b"before").await;
    client.record(Some(to(dir.path(), "mid"))).unwrap();
    wait_for(&mut rx, "Started", |event| {
        matches!(event, Event::Record(RecordNews::Started { .. })).then_some(())
    })
    .await;
    client.send(b"during".to_vec()).unwrap();
    echoed(&mut rx, id, b"during").await;
    client.record(None).unwrap();
    let (_, path, _) = ended(&mut rx).await;
    client.send(b"after".to_vec()).unwrap();
    echoed(&mut rx, id, b"after").await;
    let recording = read(&path);
    assert_eq!(bytes(&recording, Way::Out), b"during");
    assert_eq!(bytes(&recording, Way::In), b"during");
    // The connection lives on after its recording.
    assert!(client.send(b"still".to_vec()).is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unwritable_place_is_a_reason_and_the_connection_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let (_echo, addr) = server(&engine, &mut rx, Behaviour::Echo).await;
    let client = tcp_client::open(
        &engine,
        &addr.to_string(),
        Connect {
            capture: None,
            timeout: Duration::from_secs(5),
            record: Some(to(&dir.path().join("no such \u{1b}]2;PWNED\u{7} dir"), "x")),
            ..Connect::default()
        },
    );
    let reason = wait_for(&mut rx, "Ended with an error", |event| match event {
        Event::Record(RecordNews::Ended {
            error: Some(reason),
            path,
            ..
        }) => {
            assert_eq!(path, &PathBuf::new());
            Some(reason.clone())
        }
        _ => None,
    })
    .await;
    assert!(reason.contains("cannot record to"), "{reason}");
    assert!(
        !reason.contains('\u{1b}') && !reason.contains('\u{7}'),
        "{reason:?}"
    );
    let id = client.id();
    client.send(b"ping".to_vec()).unwrap();
    wait_for(&mut rx, "the echo", |event| match event {
        Event::Client(c, ClientEvent::Received(data)) if *c == id => {
            (data.preview[..] == b"ping"[..]).then_some(())
        }
        _ => None,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_connections_record_one_file_each_and_replay_as_that_server() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let (greet, addr) = server(&engine, &mut rx, Behaviour::Greet).await;
    greet.record(Some(to(dir.path(), "server"))).unwrap();
    // Two conversations, one after the other: two files.
    for _ in 0..2 {
        tokio::task::spawn_blocking(move || tutorial_conversation(addr))
            .await
            .unwrap();
    }
    let mut files = Vec::new();
    for _ in 0..2 {
        let (who, path, _) = ended(&mut rx).await;
        assert!(matches!(who, RecordFor::ServerConn(..)));
        files.push(path);
    }
    assert_ne!(files[0], files[1]);
    let recording = read(&files[0]);
    assert_eq!(recording.side, Side::Server);
    assert_eq!(recording.local, addr.to_string());
    assert_eq!(bytes(&recording, Way::Out), GREET_SERVER_SENT);
    assert_eq!(bytes(&recording, Way::In), b"MichaelTracySarahexit");
    assert_eq!(lives(&recording), ["connected", "closed"]);
    // A server-side recording replayed with --serve plays that server:
    // the tutorial's client gets its answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mock = listener.local_addr().unwrap();
    let recording = Arc::new(recording);
    let serving = Arc::clone(&recording);
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        netplay::net::record::replay::serve_one(stream, &serving, false).await
    });
    tokio::task::spawn_blocking(move || tutorial_conversation(mock))
        .await
        .unwrap();
    // Switched off: the next connection writes no file.
    greet.record(None).unwrap();
    tokio::task::spawn_blocking(move || tutorial_conversation(addr))
        .await
        .unwrap();
    let entries = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(entries, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_client_is_recorded_to_the_last_byte() {
    const FLOOD: usize = 4 * 1024 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let (discard, addr) = server(&engine, &mut rx, Behaviour::Discard).await;
    discard.record(Some(to(dir.path(), "flood"))).unwrap();
    // Binary, every byte value: the escapes must round-trip all of them.
    let flood: Vec<u8> = (0..FLOOD).map(|at| (at * 7 % 256) as u8).collect();
    let sent = flood.clone();
    tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream.write_all(&sent).unwrap();
        stream.shutdown(std::net::Shutdown::Write).unwrap();
        let mut rest = Vec::new();
        let _ = stream.read_to_end(&mut rest);
    })
    .await
    .unwrap();
    let (_, path, _) = ended(&mut rx).await;
    let recording = read(&path);
    assert_eq!(bytes(&recording, Way::In).len(), FLOOD);
    assert!(
        bytes(&recording, Way::In) == flood,
        "the recorded bytes differ"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_pairs_record_one_file_each_seen_from_the_client() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let (_greet, target) = server(&engine, &mut rx, Behaviour::Greet).await;
    let relay = relay::start(
        &engine,
        "127.0.0.1:0",
        &target.to_string(),
        RelayConfig::default(),
        relay::DEFAULT_CONNECT_TIMEOUT,
    );
    relay.record(Some(to(dir.path(), "relay"))).unwrap();
    let addr = wait_for(&mut rx, "relay Listening", |event| match event {
        Event::Relay(_, RelayEvent::Listening { local }) => local.ip(),
        _ => None,
    })
    .await;
    for _ in 0..2 {
        tokio::task::spawn_blocking(move || tutorial_conversation(addr))
            .await
            .unwrap();
    }
    let mut pairs = Vec::new();
    for _ in 0..2 {
        let (who, path, _) = ended(&mut rx).await;
        let RecordFor::RelayPair(_, pair) = who else {
            panic!("{who:?}")
        };
        pairs.push(pair);
        let recording = read(&path);
        assert_eq!(recording.side, Side::Client);
        assert_eq!(recording.remote, target.to_string());
        assert_eq!(bytes(&recording, Way::In), GREET_SERVER_SENT);
        assert_eq!(bytes(&recording, Way::Out), b"MichaelTracySarahexit");
        let lives = lives(&recording);
        assert_eq!(lives.first().map(String::as_str), Some("connected"));
        assert_eq!(lives.last().map(String::as_str), Some("closed"));
    }
    assert_ne!(pairs[0], pairs[1]);
}

/// A recording whose client sent `pieces` × 60 KB and whose server sent
/// nothing.
fn big_client_recording(pieces: usize) -> Recording {
    let text: Vec<String> = std::iter::once(netplay::record::header_line(
        "127.0.0.1:1",
        "127.0.0.1:2",
        Side::Client,
        std::time::Instant::now(),
    ))
    .chain((0..pieces).map(|at| {
        netplay::record::data_line(Duration::from_micros(at as u64), Way::Out, &[b'x'; 60_000])
    }))
    .collect();
    netplay::record::parse(&text.join("\n")).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_against_a_flooding_server_that_never_reads_ends_and_disconnects() {
    // The server floods and reads nothing: the replay's sends block while
    // its tap fills. It must still see the difference, and F8 must work.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let block = vec![b'A'; 65_536];
        while stream.write_all(&block).is_ok() {}
    });
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let client = tcp_client::open(
        &engine,
        &addr.to_string(),
        Connect {
            capture: None,
            timeout: Duration::from_secs(5),
            replay: Some(Replay {
                recording: Arc::new(big_client_recording(250)),
                limit: Duration::from_millis(500),
            }),
            ..Connect::default()
        },
    );
    let difference = verdict(&mut rx).await.unwrap().expect("the flood differs");
    assert_eq!(difference.offset, 0);
    assert_eq!(difference.got.first(), Some(&b'A'));
    client.disconnect();
    let id = client.id();
    wait_for(&mut rx, "Closed", |event| match event {
        Event::Client(c, ClientEvent::Closed { .. }) if *c == id => Some(()),
        _ => None,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_connect_gives_up_on_a_server_that_never_reads() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let _held = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        std::thread::sleep(Duration::from_secs(15));
        drop(stream);
    });
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let started = std::time::Instant::now();
    let outcome = netplay::net::record::replay::play_client(
        stream,
        &big_client_recording(250),
        Duration::from_millis(200),
    )
    .await;
    let err = outcome.expect_err("a server that reads nothing is an error");
    assert!(err.to_string().contains("took none"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planted_names_do_not_stop_a_recording() {
    let dir = tempfile::tempdir().unwrap();
    // Every readable name for the next few seconds is taken.
    let now = std::time::SystemTime::now();
    for ahead in 0..5 {
        let at = netplay::clock::Stamp::at(now + Duration::from_secs(ahead)).file_part();
        for n in 0..100 {
            let name = match n {
                0 => format!("planted-{at}.jsonl"),
                n => format!("planted-{at} ({n}).jsonl"),
            };
            std::fs::write(dir.path().join(name), "not yours").unwrap();
        }
    }
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let (_echo, addr) = server(&engine, &mut rx, Behaviour::Echo).await;
    let client = tcp_client::open(
        &engine,
        &addr.to_string(),
        Connect {
            capture: None,
            timeout: Duration::from_secs(5),
            record: Some(to(dir.path(), "planted")),
            ..Connect::default()
        },
    );
    let path = wait_for(&mut rx, "Started", |event| match event {
        Event::Record(RecordNews::Started { path, .. }) => Some(path.clone()),
        Event::Record(RecordNews::Ended {
            error: Some(reason),
            ..
        }) => panic!("{reason}"),
        _ => None,
    })
    .await;
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    assert!(!name.contains('('), "{name}");
    assert_eq!(
        name.rsplit('-').next().unwrap().len(),
        "0123456789abcdef.jsonl".len()
    );
    client.disconnect();
    ended(&mut rx).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_connect_keeps_going_with_a_slow_but_steady_server() {
    // 12 MB from the client, far more than the loopback buffers hold; the
    // server reads 64 KiB every 10 ms and sends nothing. The whole takes
    // longer than the stall limit (5 × 200 ms): only counting our own
    // progress keeps the replay going.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let reader = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut total = 0usize;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            std::thread::sleep(Duration::from_millis(10));
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => return total,
                Ok(n) => total += n,
            }
        }
    });
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let started = std::time::Instant::now();
    let outcome = netplay::net::record::replay::play_client(
        stream,
        &big_client_recording(200),
        Duration::from_millis(200),
    )
    .await
    .map_err(|err| format!("{err} after {:?}", started.elapsed()));
    assert_eq!(outcome.unwrap(), None, "a steady reader is progress");
    assert_eq!(reader.join().unwrap(), 12_000_000);
}
