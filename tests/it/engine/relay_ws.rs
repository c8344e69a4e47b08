//! A relayed pair that upgrades to WebSocket, between a real WebSocket
//! library (tungstenite, a blocking server over `std::net`) and clients —
//! tungstenite's own, or raw sockets that fragment on purpose: held
//! chunks are whole messages, an edit rewrites the frame, and an injected
//! frame never lands inside a message.

use crate::common;

use std::net::TcpStream;

use super::relay::start_relay;
use common::ws::{greet_server, RawClient};
use common::*;
use netplay::net::relay::{Dir, DirCommand, HeldChunk, PairCommand, RelayConfig, RelayEvent};
use netplay::net::ws::frame::Opcode;
use netplay::net::{ConnId, Engine, Event};
use tokio::sync::mpsc::Receiver;
use tungstenite::Message;

async fn held(rx: &mut Receiver<Event>) -> (ConnId, HeldChunk) {
    wait_for(rx, "Held", |event| match event {
        Event::Relay(_, RelayEvent::Held { pair, dir, chunk }) => {
            assert_eq!(*dir, Dir::Up);
            Some((*pair, chunk.clone()))
        }
        _ => None,
    })
    .await
}

async fn edited(rx: &mut Receiver<Event>) -> HeldChunk {
    wait_for(rx, "Edited", |event| match event {
        Event::Relay(_, RelayEvent::Edited { chunk, .. }) => Some(chunk.clone()),
        _ => None,
    })
    .await
}

fn up(command: DirCommand) -> PairCommand {
    PairCommand::Dir(Dir::Up, command)
}

fn holding_up() -> RelayConfig {
    RelayConfig {
        hold_new: [true, false],
        ..RelayConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_text_message_is_edited_before_it_reaches_the_server() {
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let (server_addr, server) = greet_server();
    let (relay, relay_addr) = start_relay(&engine, &mut rx, server_addr, holding_up()).await;
    let client = tokio::task::spawn_blocking(move || {
        let stream = TcpStream::connect(relay_addr).unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        let (mut ws, _) = tungstenite::client(format!("ws://{relay_addr}/chat"), stream).unwrap();
        assert_eq!(ws.read().unwrap(), Message::text("Welcome!"));
        ws.send(Message::text("Michael")).unwrap();
        let reply = ws.read().unwrap();
        ws.close(None).unwrap();
        reply
    });
    // The upgrade request is held too, as bytes: let it go.
    let (pair, request) = held(&mut rx).await;
    assert!(request.bytes.starts_with(b"GET /chat HTTP/1.1"));
    assert!(request.message.is_none());
    relay.command(pair, up(DirCommand::Step)).unwrap();

    let (_, chunk) = held(&mut rx).await;
    let message = chunk.message.as_ref().expect("a whole message");
    assert_eq!(
        (message.opcode, &message.payload[..]),
        (Opcode::Text, &b"Michael"[..])
    );
    assert!(message.mask.is_some(), "the client's frame is masked");
    assert_ne!(&chunk.bytes[..], b"Michael", "the wire bytes are masked");

    relay
        .command(pair, up(DirCommand::Edit(chunk.seq, b"Tracy".to_vec())))
        .unwrap();
    let after = edited(&mut rx).await;
    let message = after.message.as_ref().expect("still a message");
    assert_eq!(&message.payload[..], b"Tracy");
    assert_eq!(message.mask, chunk.message.as_ref().unwrap().mask);
    relay.command(pair, up(DirCommand::ReleaseAll)).unwrap();
    relay.command(pair, up(DirCommand::Hold(false))).unwrap();

    assert_eq!(client.await.unwrap(), Message::text("Hello, Tracy!"));
    assert_eq!(server.join().unwrap(), ["Tracy"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fragments_with_a_ping_between_are_held_and_edited_as_one_message() {
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let (server_addr, server) = greet_server();
    let (relay, relay_addr) = start_relay(&engine, &mut rx, server_addr, holding_up()).await;
    let client = tokio::task::spawn_blocking(move || RawClient::connect(relay_addr));
    let (pair, _request) = held(&mut rx).await;
    relay.command(pair, up(DirCommand::Step)).unwrap();
    let mut client = client.await.unwrap();
    assert_eq!(client.text(), "Welcome!");

    client.send(false, Opcode::Text, b"Hel");
    client.send(true, Opcode::Ping, b"are you there");
    client.send(true, Opcode::Continuation, b"lo");
    let (_, chunk) = held(&mut rx).await;
    let message = chunk.message.as_ref().expect("one message");
    assert_eq!((message.opcode, message.frames), (Opcode::Text, 3));
    assert_eq!(&message.payload[..], b"Hello");

    relay
        .command(
            pair,
            up(DirCommand::Edit(chunk.seq, b"Hello, edited".to_vec())),
        )
        .unwrap();
    assert_eq!(edited(&mut rx).await.message.unwrap().frames, 2);
    relay.command(pair, up(DirCommand::Hold(false))).unwrap();
    let reply = tokio::task::spawn_blocking(move || {
        let reply = client.text();
        drop(client);
        reply
    })
    .await
    .unwrap();
    assert_eq!(reply, "Hello, Hello, edited!");
    assert_eq!(
        server.join().unwrap(),
        ["ping:are you there", "Hello, edited"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_injected_mid_message_waits_for_the_message_to_end() {
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let (server_addr, server) = greet_server();
    let (relay, relay_addr) =
        start_relay(&engine, &mut rx, server_addr, RelayConfig::default()).await;
    let mut client = tokio::task::spawn_blocking(move || {
        let mut client = RawClient::connect(relay_addr);
        assert_eq!(client.text(), "Welcome!");
        client.send(false, Opcode::Text, b"Hel");
        client
    })
    .await
    .unwrap();
    // The first fragment went on (nothing is held): the server is now in
    // the middle of a message.
    let pair = wait_for(&mut rx, "the first fragment", |event| match event {
        Event::Relay(
            _,
            RelayEvent::WsFrame {
                pair,
                dir: Dir::Up,
                frame,
            },
        ) => {
            assert!(!frame.0.fin);
            Some(*pair)
        }
        _ => None,
    })
    .await;
    let inject = DirCommand::InjectFrame(Opcode::Text, b"injected".to_vec());
    relay.command(pair, up(inject)).unwrap();
    let replies = tokio::task::spawn_blocking(move || {
        client.send(true, Opcode::Continuation, b"lo");
        let replies = [client.text(), client.text()];
        drop(client);
        replies
    })
    .await
    .unwrap();
    assert_eq!(replies, ["Hello, Hello!", "Hello, injected!"]);
    assert_eq!(server.join().unwrap(), ["Hello", "injected"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fault_does_not_keep_an_unfinished_message_and_its_ping_waiting() {
    use netplay::net::relay::Faults;
    use netplay::net::ws::frame::encode;
    use netplay::net::ws::handshake::{accept, ServerSide};
    use std::io::{Read, Write};
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let server_addr = listener.local_addr().unwrap();
    // The server sends the start of a message and a ping between its
    // fragments, and finishes the message only after the pong.
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        let response = loop {
            stream.read_exact(&mut byte).unwrap();
            head.push(byte[0]);
            if let ServerSide::Upgraded(upgrade, _) = accept(&head, &[]) {
                break upgrade.response;
            }
        };
        let mut wire = response;
        encode(&mut wire, false, Opcode::Text, b"Hel", None);
        encode(&mut wire, true, Opcode::Ping, b"there?", None);
        stream.write_all(&wire).unwrap();
        let mut pong = [0u8; 12];
        stream.read_exact(&mut pong).unwrap();
        let mut rest = Vec::new();
        encode(&mut rest, true, Opcode::Continuation, b"lo", None);
        stream.write_all(&rest).unwrap();
        pong
    });
    let latency = Faults {
        latency: std::time::Duration::from_millis(10),
        ..Faults::default()
    };
    let config = RelayConfig {
        faults: [latency, latency],
        ..RelayConfig::default()
    };
    let (_relay, relay_addr) = start_relay(&engine, &mut rx, server_addr, config).await;
    let client = tokio::task::spawn_blocking(move || {
        let mut client = RawClient::connect(relay_addr);
        assert_eq!(client.frame(), (Opcode::Text, b"Hel".to_vec()));
        assert_eq!(client.frame(), (Opcode::Ping, b"there?".to_vec()));
        client.send(true, Opcode::Pong, b"there?");
        client.frame()
    });
    assert_eq!(
        client.await.unwrap(),
        (Opcode::Continuation, b"lo".to_vec())
    );
    let pong = tokio::task::spawn_blocking(move || server.join().unwrap())
        .await
        .unwrap();
    assert_eq!(pong[0], 0x8a, "the pong reached the server");
}
