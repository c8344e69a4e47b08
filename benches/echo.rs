//! Echo throughput: netplay's TCP server in echo mode against a plain tokio
//! echo server doing the same work, over loopback. Run with
//! `cargo bench --bench echo`; prints MiB/s for each and the ratio.
//!
//! The engine's event channel is drained by a task, as the UI would.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use netplay::net::greet::{Behaviour, ServerConfig};
use netplay::net::tcp_server::{self, ServerEvent};
use netplay::net::{Engine, Event};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const CONNECTIONS: usize = 4;
const BYTES_PER_CONNECTION: usize = 64 * 1024 * 1024;
const CHUNK: usize = 16 * 1024;
const ROUNDS: usize = 3;

async fn plain_echo_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let _ = stream.set_nodelay(true);
                let mut buffer = vec![0u8; CHUNK];
                loop {
                    match stream.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
                            if stream.write_all(&buffer[..n]).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    addr
}

/// Pushes the bytes through `CONNECTIONS` echo connections at once and
/// returns the time taken.
async fn drive(addr: SocketAddr) -> Duration {
    let started = Instant::now();
    let mut clients = Vec::new();
    for _ in 0..CONNECTIONS {
        clients.push(tokio::spawn(async move {
            let stream = TcpStream::connect(addr).await.unwrap();
            stream.set_nodelay(true).unwrap();
            let (mut reader, mut writer) = stream.into_split();
            let send = tokio::spawn(async move {
                let chunk = vec![0x5au8; CHUNK];
                let mut sent = 0;
                while sent < BYTES_PER_CONNECTION {
                    writer.write_all(&chunk).await.unwrap();
                    sent += CHUNK;
                }
                writer
            });
            let mut buffer = vec![0u8; CHUNK];
            let mut received = 0;
            while received < BYTES_PER_CONNECTION {
                let n = reader.read(&mut buffer).await.unwrap();
                assert!(n > 0, "echo closed early");
                received += n;
            }
            drop(send.await.unwrap());
        }));
    }
    for client in clients {
        client.await.unwrap();
    }
    started.elapsed()
}

fn mib_per_s(elapsed: Duration) -> f64 {
    (CONNECTIONS * BYTES_PER_CONNECTION * 2) as f64 / (1024.0 * 1024.0) / elapsed.as_secs_f64()
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let plain = plain_echo_server().await;
        let (engine, mut events) = Engine::new(tokio::runtime::Handle::current());
        let server = tcp_server::start(
            &engine,
            "127.0.0.1:0",
            ServerConfig {
                behaviour: Behaviour::Echo,
                reply_delay: Duration::ZERO,
                ..Default::default()
            },
        );
        let netplay_addr = loop {
            match events.recv().await {
                Some(Event::Server(_, ServerEvent::Listening { local })) => break local,
                Some(_) => continue,
                None => panic!("engine gone"),
            }
        };
        let drain = tokio::spawn(async move {
            let mut count = 0u64;
            while events.recv().await.is_some() {
                count += 1;
            }
            count
        });
        println!(
            "echo over loopback: {CONNECTIONS} connections × {} MiB each way, {ROUNDS} rounds",
            BYTES_PER_CONNECTION / (1024 * 1024)
        );
        let mut best_plain = Duration::MAX;
        let mut best_netplay = Duration::MAX;
        for round in 1..=ROUNDS {
            let p = drive(plain).await;
            let n = drive(netplay_addr).await;
            println!(
                "round {round}: plain tokio {:8.1} MiB/s · netplay {:8.1} MiB/s",
                mib_per_s(p),
                mib_per_s(n)
            );
            best_plain = best_plain.min(p);
            best_netplay = best_netplay.min(n);
        }
        println!(
            "best: plain tokio {:.1} MiB/s, netplay {:.1} MiB/s — netplay at {:.0}% of plain; {} events dropped for display",
            mib_per_s(best_plain),
            mib_per_s(best_netplay),
            100.0 * best_plain.as_secs_f64() / best_netplay.as_secs_f64(),
            engine.dropped_events()
        );
        drop(server);
        drop(engine);
        drain.abort();
    });
}
