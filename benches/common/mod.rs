//! What the benches share: a plain tokio echo server, closed-loop clients
//! over a one-second window, and the median of the rounds.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub const WINDOW: Duration = Duration::from_secs(1);
pub const ROUNDS: usize = 7;
pub const PLAIN_BUFFER: usize = 16 * 1024;

pub async fn plain_echo_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let _ = stream.set_nodelay(true);
                let mut buffer = vec![0u8; PLAIN_BUFFER];
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

/// `connections` closed-loop clients of `size`-byte messages for
/// [`WINDOW`]; returns round trips per second.
pub async fn closed_loop(addr: SocketAddr, connections: usize, size: usize) -> f64 {
    let done = Arc::new(AtomicBool::new(false));
    let trips = Arc::new(AtomicU64::new(0));
    let mut clients = Vec::new();
    let mut streams = Vec::new();
    for _ in 0..connections {
        let stream = TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        streams.push(stream);
    }
    let started = Instant::now();
    for mut stream in streams {
        let done = Arc::clone(&done);
        let trips = Arc::clone(&trips);
        clients.push(tokio::spawn(async move {
            let message = vec![0x5au8; size];
            let mut echo = vec![0u8; size];
            while !done.load(Ordering::Relaxed) {
                stream.write_all(&message).await.unwrap();
                stream.read_exact(&mut echo).await.unwrap();
                trips.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    tokio::time::sleep(WINDOW).await;
    done.store(true, Ordering::Relaxed);
    let elapsed = started.elapsed();
    for client in clients {
        client.await.unwrap();
    }
    trips.load(Ordering::Relaxed) as f64 / elapsed.as_secs_f64()
}

pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

pub struct Load {
    pub name: &'static str,
    pub connections: usize,
    pub size: usize,
}

impl Load {
    pub fn rate(&self, trips_per_s: f64) -> String {
        if self.size >= 1024 * 1024 {
            let mib = trips_per_s * (self.size as f64) / (1024.0 * 1024.0);
            format!("{mib:9.1} MiB/s")
        } else {
            format!("{:9.0} msg/s", trips_per_s)
        }
    }
}

/// Runs each load against `plain` and `netplay` in alternating windows,
/// [`ROUNDS`] rounds, and prints a table row per load: both medians and the
/// median of the rounds' ratios.
pub async fn compare(loads: &[Load], plain: SocketAddr, netplay: SocketAddr) {
    for load in loads {
        let mut plains = Vec::new();
        let mut netplays = Vec::new();
        let mut ratios = Vec::new();
        for round in 0..ROUNDS {
            // Alternate which goes first, so neither always gets the
            // warmer machine.
            let (p, n) = if round % 2 == 0 {
                let p = closed_loop(plain, load.connections, load.size).await;
                (p, closed_loop(netplay, load.connections, load.size).await)
            } else {
                let n = closed_loop(netplay, load.connections, load.size).await;
                (closed_loop(plain, load.connections, load.size).await, n)
            };
            plains.push(p);
            netplays.push(n);
            ratios.push(n / p);
        }
        println!(
            "| {} | {} | {} | {:.2}× |",
            load.name,
            load.rate(median(&mut plains)).trim(),
            load.rate(median(&mut netplays)).trim(),
            median(&mut ratios)
        );
    }
}
