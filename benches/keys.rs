//! Key → screen latency of the real binary in a pseudo-terminal, idle,
//! while 200 clients flood its TCP server (echo mode, closed loop, 64-byte
//! messages), and while 50 flood it through its own Relay tab. Run with `cargo bench --bench keys`; prints p50 and p95 for
//! both. A key is timed from the write to the pty until the emulated screen
//! shows it; keys come 40 ms apart, as a quick typist's would.

use netplay_pty as harness;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use harness::Netplay;

const KEYS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const FLOODERS: usize = 200;
const RELAYED: usize = 50;

/// Types each key of [`KEYS`] and times it to the screen; returns sorted
/// latencies.
fn time_keys(np: &mut Netplay) -> Vec<Duration> {
    np.press_ctrl('u');
    let mut typed = String::new();
    let mut latencies = Vec::new();
    for key in KEYS.chars() {
        // A person's pace (~25 keys/s), not a pty's: a key sent the instant
        // the last frame landed would also measure the 60 fps frame cap.
        std::thread::sleep(Duration::from_millis(40));
        typed.push(key);
        let started = Instant::now();
        np.type_text(&key.to_string());
        np.wait_for_text(&typed);
        latencies.push(started.elapsed());
    }
    latencies.sort();
    latencies
}

fn percentile(sorted: &[Duration], p: usize) -> Duration {
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

fn main() {
    let mut np = Netplay::start(
        120,
        40,
        &["--tab", "server", "--addr", "127.0.0.1:0", "--mode", "echo"],
    );
    np.wait_for_text("mode echo");
    np.press_enter();
    let port = np.listening_port();
    np.wait_for_text("Waiting for connection...");
    // While listening, typing goes to the message input.
    let idle = time_keys(&mut np);

    let (flooded, rate) = timed_under_flood(&mut np, port, FLOODERS, &format!("{FLOODERS} open"));

    // The same, with the flood going through netplay's own relay in front
    // of its echo server: every message is read and written twice more.
    np.press_alt('5');
    np.wait_for_text("Forward to");
    np.fill_field("127.0.0.1:0");
    np.press_tab();
    np.fill_field(&format!("127.0.0.1:{port}"));
    np.press_enter();
    let relay_port = np.port_after("Relaying ");
    np.press_backtab(); // back on Listen on: typing goes to the message
    let (relayed, relay_rate) = timed_under_flood(
        &mut np,
        relay_port,
        RELAYED,
        &format!("{RELAYED} open · {RELAYED} accepted"),
    );

    println!(
        "key → screen latency, {} keys each, real binary in a pty",
        KEYS.len()
    );
    println!();
    println!("| load | p50 | p95 |");
    println!("| --- | ---: | ---: |");
    println!(
        "| idle | {:.1} ms | {:.1} ms |",
        percentile(&idle, 50).as_secs_f64() * 1000.0,
        percentile(&idle, 95).as_secs_f64() * 1000.0
    );
    println!(
        "| {FLOODERS} clients flooding echo ({rate:.0} msg/s) | {:.1} ms | {:.1} ms |",
        percentile(&flooded, 50).as_secs_f64() * 1000.0,
        percentile(&flooded, 95).as_secs_f64() * 1000.0
    );
    println!(
        "| {RELAYED} clients flooding echo through the Relay tab ({relay_rate:.0} msg/s) | {:.1} ms | {:.1} ms |",
        percentile(&relayed, 50).as_secs_f64() * 1000.0,
        percentile(&relayed, 95).as_secs_f64() * 1000.0
    );
}

/// Times the keys while `clients` closed-loop clients flood `port` with
/// 64-byte messages (once the screen shows `ready`); the latencies and
/// the messages per second.
fn timed_under_flood(
    np: &mut Netplay,
    port: u16,
    clients: usize,
    ready: &str,
) -> (Vec<Duration>, f64) {
    let stop = Arc::new(AtomicBool::new(false));
    let trips = Arc::new(AtomicU64::new(0));
    let flooders: Vec<_> = (0..clients)
        .map(|_| {
            let stop = Arc::clone(&stop);
            let trips = Arc::clone(&trips);
            std::thread::spawn(move || {
                let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
                stream.set_nodelay(true).unwrap();
                let message = [0x5au8; 64];
                let mut echo = [0u8; 64];
                while !stop.load(Ordering::Relaxed) {
                    if stream.write_all(&message).is_err() || stream.read_exact(&mut echo).is_err()
                    {
                        return;
                    }
                    trips.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    np.wait_for_text(ready);
    let before = trips.load(Ordering::Relaxed);
    let started = Instant::now();
    let latencies = time_keys(np);
    let rate = (trips.load(Ordering::Relaxed) - before) as f64 / started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for flooder in flooders {
        let _ = flooder.join();
    }
    (latencies, rate)
}
