//! `netplay tcp serve` at its limits: out of file descriptors, idle peers,
//! and the memory 5,000 idle connections cost. The real binary, real
//! sockets, loopback only.

use crate::common;

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_netplay");

/// A `netplay tcp serve` child whose stdout lines arrive on a channel.
struct Serve {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Serve {
    /// Starts `netplay tcp serve 127.0.0.1:0 ARGS` under `sh -c` with a
    /// `ulimit -n` of `files` (when given).
    fn start(args: &str, files: Option<u32>) -> (Self, SocketAddr) {
        let limit = files
            .map(|n| format!("ulimit -n {n} && "))
            .unwrap_or_default();
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(format!("{limit}exec '{BIN}' tcp serve 127.0.0.1:0 {args}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn netplay");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let serve = Self { child, lines };
        let line = serve.line_with("Listening on ");
        let addr = line
            .split("Listening on ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|addr| addr.parse().ok())
            .unwrap_or_else(|| panic!("no address in {line:?}"));
        (serve, addr)
    }

    fn line_with(&self, needle: &str) -> String {
        let deadline = Instant::now() + common::WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => continue,
                Err(_) => panic!("no stdout line with {needle:?}"),
            }
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn out_of_file_descriptors_backs_off_reports_once_a_second_and_recovers() {
    let (serve, addr) = Serve::start("--mode greet", Some(32));
    let started = Instant::now();
    // More peers than descriptors: the kernel completes their handshakes
    // and they wait in the backlog while netplay cannot accept them.
    let mut peers: Vec<TcpStream> = (0..60)
        .map(|_| TcpStream::connect(addr).expect("connect"))
        .collect();
    let line = serve.line_with("too many open files");
    assert!(line.contains("retrying"), "{line}");
    // Let it stay out of descriptors for a while, then count its lines.
    std::thread::sleep(Duration::from_millis(1500));
    peers.clear(); // every peer closes: descriptors free up
    serve.line_with("Accepting again");
    let complaints = serve
        .lines
        .try_iter()
        .filter(|line| line.contains("too many open files"))
        .count()
        + 1;
    let seconds = started.elapsed().as_secs() as usize + 1;
    assert!(
        complaints <= seconds + 1,
        "{complaints} lines in {seconds} s"
    );
    // A new peer is served as usual.
    let mut fresh = TcpStream::connect(addr).expect("connect");
    fresh.set_read_timeout(Some(common::WAIT)).unwrap();
    let mut welcome = [0u8; 8];
    fresh.read_exact(&mut welcome).unwrap();
    assert_eq!(&welcome, b"Welcome!");
}

#[test]
fn idle_timeout_closes_a_silent_peer() {
    let (serve, addr) = Serve::start("--mode discard --idle-timeout 0.3", None);
    let mut silent = TcpStream::connect(addr).expect("connect");
    silent.set_read_timeout(Some(common::WAIT)).unwrap();
    let mut rest = Vec::new();
    silent.read_to_end(&mut rest).expect("closed by netplay");
    let line = serve.line_with("closed.");
    assert!(line.contains("idle for 300 ms"), "{line}");
}

#[test]
fn an_idle_connection_costs_at_most_8_kib() {
    const CONNECTIONS: usize = 5_000;
    let soft = common::open_files_limit();
    if soft < CONNECTIONS + 200 {
        eprintln!(
            "skipped: needs `ulimit -n` of at least {}",
            CONNECTIONS + 200
        );
        return;
    }
    let (serve, addr) = Serve::start("--mode discard", Some(CONNECTIONS as u32 + 200));
    // A few connections first, so one-time costs (tables, the first task
    // allocations) are in the baseline.
    let warm: Vec<TcpStream> = (0..50).map(|_| TcpStream::connect(addr).unwrap()).collect();
    let settle = |serve: &Serve| common::settled_rss(serve.child.id());
    let before = settle(&serve);
    let idle: Vec<TcpStream> = (0..CONNECTIONS)
        .map(|_| TcpStream::connect(addr).expect("connect"))
        .collect();
    let after = settle(&serve);
    let per_connection = (after.saturating_sub(before)) * 1024 / CONNECTIONS as u64;
    eprintln!("idle connection: {per_connection} B ({before} KiB → {after} KiB)");
    assert!(
        per_connection <= 8 * 1024,
        "{per_connection} B per idle connection"
    );
    drop((warm, idle));
}

#[test]
fn idle_timeout_also_closes_a_peer_that_never_reads_our_replies() {
    let (serve, addr) = Serve::start("--mode echo --idle-timeout 0.5 --max-conn 1", None);
    let hog = TcpStream::connect(addr).expect("connect");
    // Sends until netplay's echo writes stall (it never reads them back).
    let writer = {
        let mut hog = hog.try_clone().unwrap();
        std::thread::spawn(move || {
            let block = vec![b'h'; 64 * 1024];
            for _ in 0..1024 {
                if std::io::Write::write_all(&mut hog, &block).is_err() {
                    return;
                }
            }
        })
    };
    let line = serve.line_with("the peer read nothing for 500 ms");
    assert!(line.contains("closed."), "{line}");
    let _ = hog.shutdown(std::net::Shutdown::Both);
    let _ = writer.join();
    // The slot is free again: a new peer is served.
    let mut next = TcpStream::connect(addr).expect("connect");
    next.set_read_timeout(Some(common::WAIT)).unwrap();
    std::io::Write::write_all(&mut next, b"ping").unwrap();
    let mut echo = [0u8; 4];
    next.read_exact(&mut echo).unwrap();
    assert_eq!(&echo, b"ping");
    drop(hog);
}
