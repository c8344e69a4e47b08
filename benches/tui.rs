//! The TUI measured as people run it: the release binary in a
//! pseudo-terminal (its screen parsed as a terminal would), the TCP Server
//! tab in echo mode and the Relay tab, against plain tokio programs doing
//! the same work, each in its own process, the load generator in a third.
//!
//! The plain programs and the load generator are the reference ones beside
//! the steering notes (`../shared/bench`, built here as
//! `../shared/bench/compare.sh` builds them; `REFBENCH_DIR` points
//! elsewhere). Run with `cargo bench --bench tui`; prints one Markdown row
//! per load: the means, and the median of the per-round ratios
//! (plain, netplay, plain, netplay, … in neighbouring windows). Each of
//! netplay and the plain programs runs in a session of its own, as in its
//! own terminal; the load generator in the bench's.

use netplay_pty as harness;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use harness::Netplay;

const ROUNDS: usize = 3;
const SECONDS: &str = "2";

/// The reference programs, built (cached) in the same target directory as
/// `compare.sh` uses.
fn reference_programs() -> PathBuf {
    let source = std::env::var_os("REFBENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/bench"));
    let target = std::env::var_os("REFBENCH_TARGET")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("netplay-refbench"));
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "-q", "--manifest-path"])
        .arg(source.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target)
        .status()
        .expect("cargo");
    assert!(
        status.success(),
        "cannot build the reference programs in {source:?}"
    );
    target.join("release")
}

/// A free loopback port (bound, then let go).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts a reference program in a session of its own (`setsid`), as a
/// person runs it in another terminal. The scheduler shares the CPU between
/// sessions first (autogroups): netplay's pseudo-terminal is a session of
/// its own, and a reference program left in the load generator's session
/// would get the CPU the load leaves it, an unfair head start (measured:
/// the plain relay ran up to 1.5× faster from the load's session).
fn start(program: PathBuf, args: &[String]) -> Running {
    let child = Command::new("setsid")
        .arg(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start a reference program");
    // The plain programs print nothing: wait until they accept.
    let addr = args[0].clone();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::net::TcpStream::connect(&addr).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "{addr} never listened"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    Running(child)
}

/// One run of the load generator against `port`: its messages per second.
fn load(bin: &std::path::Path, port: u16, conns: usize, size: usize) -> f64 {
    let output = Command::new(bin.join("client"))
        .args([
            format!("127.0.0.1:{port}"),
            conns.to_string(),
            size.to_string(),
            SECONDS.into(),
        ])
        .output()
        .expect("run the load generator");
    let text = String::from_utf8_lossy(&output.stdout);
    text.split_whitespace()
        .find_map(|word| word.strip_prefix("rate="))
        .and_then(|rate| rate.parse().ok())
        .unwrap_or(0.0)
}

fn row(name: &str, bin: &std::path::Path, plain: u16, netplay: u16, conns: usize, size: usize) {
    let (mut a, mut b, mut ratios) = (0.0, 0.0, Vec::new());
    for _ in 0..ROUNDS {
        let p = load(bin, plain, conns, size);
        let n = load(bin, netplay, conns, size);
        a += p;
        b += n;
        ratios.push(n / p.max(1.0));
    }
    let shown: Vec<String> = ratios.iter().map(|r| format!("{r:.2}")).collect();
    ratios.sort_by(|x, y| x.total_cmp(y));
    let median = ratios[ratios.len() / 2];
    println!(
        "| {name} | {:.0} msg/s | {:.0} msg/s | {median:.2}× ({}) | {} |",
        a / ROUNDS as f64,
        b / ROUNDS as f64,
        shown.join(" "),
        if median >= 0.85 { "ok" } else { "below 0.85" }
    );
}

fn main() {
    let bin = reference_programs();
    let echo_port = free_port();
    let _echo = start(bin.join("server"), &[format!("127.0.0.1:{echo_port}")]);
    let relay_port = free_port();
    let _relay = start(
        bin.join("relay"),
        &[
            format!("127.0.0.1:{relay_port}"),
            format!("127.0.0.1:{echo_port}"),
        ],
    );

    let mut np = Netplay::start(
        120,
        40,
        &[
            "--no-state",
            "--tab",
            "server",
            "--addr",
            "127.0.0.1:0",
            "--mode",
            "echo",
        ],
    );
    np.wait_for_text("mode echo");
    np.press_enter();
    let np_echo = np.listening_port();
    np.wait_for_text("Waiting for connection...");
    // The Relay tab, in front of the plain echo server (as the plain relay).
    np.press_alt('5');
    np.wait_for_text("Forward to");
    np.fill_field("127.0.0.1:0");
    np.press_tab();
    np.fill_field(&format!("127.0.0.1:{echo_port}"));
    np.press_enter();
    let np_relay = np.port_after("Relaying ");
    // Back to the server tab: what a person watching it would see.
    np.press_alt('2');

    println!("TUI (release binary in a pty, 120×40) vs plain tokio, each in its own process, {ROUNDS} rounds of {SECONDS} s");
    println!();
    println!(
        "| load | plain tokio (mean) | netplay TUI (mean) | ratio: median (rounds) | ≥ 0.85 |"
    );
    println!("| --- | ---: | ---: | ---: | --- |");
    row(
        "TCP Server tab, echo 50 × 64 B",
        &bin,
        echo_port,
        np_echo,
        50,
        64,
    );
    row(
        "TCP Server tab, echo 4 × 1 MiB",
        &bin,
        echo_port,
        np_echo,
        4,
        1 << 20,
    );
    np.press_alt('5');
    row("Relay tab, 50 × 64 B", &bin, relay_port, np_relay, 50, 64);
    row(
        "Relay tab, 4 × 1 MiB",
        &bin,
        relay_port,
        np_relay,
        4,
        1 << 20,
    );
}
