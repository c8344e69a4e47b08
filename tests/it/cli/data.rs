//! The headless data path: what goes to stdout is the whole payload, byte
//! for byte, however fast the peer writes and however slowly stdout is read.
//! Diagnostics never crash the data path.

use crate::common;

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_netplay");

/// A deterministic byte stream with every byte value in it (NUL, 0xFF, ESC,
/// …): xorshift64, one byte per step.
struct Noise(u64);

impl Noise {
    fn fill(&mut self, buf: &mut [u8]) {
        for byte in buf {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            *byte = (self.0 >> 24) as u8;
        }
    }
}

/// Runs `child`'s stdout through `check` on a thread, failing the test if
/// the whole run takes longer than `limit`.
fn with_deadline<T: Send + 'static>(
    limit: Duration,
    work: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(work());
    });
    rx.recv_timeout(limit)
        .unwrap_or_else(|_| panic!("did not finish in {limit:?}"))
}

#[test]
fn tcp_connect_writes_100_mib_of_binary_to_stdout_exactly_even_for_a_slow_reader() {
    const TOTAL: usize = 100 * 1024 * 1024;
    const SEED: u64 = 0x9E37_79B9_7F4A_7C15;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut noise = Noise(SEED);
        let mut chunk = vec![0u8; 256 * 1024];
        let mut sent = 0;
        while sent < TOTAL {
            let n = chunk.len().min(TOTAL - sent);
            noise.fill(&mut chunk[..n]);
            stream.write_all(&chunk[..n]).unwrap();
            sent += n;
        }
        // Dropping the stream closes it: netplay exits at EOF.
    });
    let mut child = Command::new(BIN)
        .args(["--quiet", "tcp", "connect", &addr.to_string()])
        .stdin(Stdio::piped()) // held open: only the peer's close ends it
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take();
    let mut stdout = child.stdout.take().unwrap();
    let (received, mismatch) = with_deadline(Duration::from_secs(240), move || {
        let mut expected = Noise(SEED);
        let mut want = vec![0u8; 64 * 1024];
        let mut got = vec![0u8; 64 * 1024];
        let mut received = 0usize;
        let mut mismatch = None;
        loop {
            let n = stdout.read(&mut got).unwrap();
            if n == 0 {
                break;
            }
            expected.fill(&mut want[..n]);
            if mismatch.is_none() && got[..n] != want[..n] {
                let at = (0..n).find(|i| got[*i] != want[*i]).unwrap_or(0);
                mismatch = Some(received + at);
            }
            received += n;
            // The first 8 MiB are read slowly, far slower than the peer
            // writes: netplay must hold back (TCP back-pressure), not drop.
            if received < 8 * 1024 * 1024 {
                std::thread::sleep(Duration::from_millis(2));
            }
        }
        (received, mismatch)
    });
    peer.join().unwrap();
    drop(stdin);
    let status = child.wait().unwrap();
    assert_eq!(mismatch, None, "first differing byte offset");
    assert_eq!(received, TOTAL, "every byte on stdout");
    assert!(status.success());
}

#[test]
fn tcp_connect_json_counts_every_byte_exactly() {
    const TOTAL: usize = 3 * 1024 * 1024 + 17;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.write_all(&vec![0xffu8; TOTAL]).unwrap();
    });
    let output = with_deadline(Duration::from_secs(60), move || {
        Command::new(BIN)
            .args(["--json", "tcp", "connect", &addr.to_string()])
            .stdin(Stdio::null())
            .output()
            .unwrap()
    });
    peer.join().unwrap();
    assert!(output.status.success());
    let mut total = 0u64;
    for line in String::from_utf8(output.stdout).unwrap().lines() {
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        if value["event"] == "received" {
            total += value["len"].as_u64().unwrap();
        }
    }
    assert_eq!(
        total, TOTAL as u64,
        "the received lens add up to every byte"
    );
}

/// An error gets a second line, `hint:`, saying what it means and what to
/// try — except with `-q`.
#[test]
fn errors_come_with_a_hint_line_unless_quiet() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = dead.local_addr().unwrap().to_string();
    drop(dead);
    for quiet in [false, true] {
        let mut args = vec!["tcp", "connect", addr.as_str()];
        if quiet {
            args.insert(0, "-q");
        }
        let output = with_deadline(Duration::from_secs(30), {
            let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
            move || {
                Command::new(BIN)
                    .args(&args)
                    .stdin(Stdio::null())
                    .output()
                    .unwrap()
            }
        });
        assert_eq!(output.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last_two: Vec<&str> = stderr.lines().rev().take(2).collect();
        if quiet {
            assert!(!stderr.contains("hint:"), "{stderr}");
        } else {
            assert!(
                last_two[0].starts_with("hint: Nothing is listening")
                    && last_two[1].contains("connection refused"),
                "{stderr}"
            );
        }
    }
}

/// `--tcp-info`: the kernel's view at the close, as one line and as JSON
/// with the fields the README names.
#[test]
fn tcp_connect_tcp_info_reports_the_kernels_view_at_the_close() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = std::thread::spawn(move || {
        for _ in 0..2 {
            let (mut stream, _) = listener.accept().unwrap();
            let mut got = Vec::new();
            stream.read_to_end(&mut got).unwrap();
            stream.write_all(&got).unwrap();
        }
    });
    let run = |json: bool| {
        let mut args = vec!["tcp", "connect", "--tcp-info"];
        if json {
            args.insert(0, "--json");
        }
        let addr = addr.to_string();
        with_deadline(Duration::from_secs(30), move || {
            let mut child = Command::new(BIN)
                .args(&args)
                .arg(&addr)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            child.stdin.take().unwrap().write_all(b"ping\n").unwrap();
            child.wait_with_output().unwrap()
        })
    };
    let output = run(false);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let line = stderr
        .lines()
        .find(|line| line.contains("tcp_info"))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(
        line.contains("rtt ") && line.contains("cwnd ") && line.contains("segs out"),
        "{line}"
    );
    let output = run(true);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let value: serde_json::Value = stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .rfind(|value| value["event"] == "tcp_info") // the close's (one also comes every second)
        .unwrap_or_else(|| panic!("{stdout}"));
    let rtt = value["rtt_us"].as_u64().unwrap();
    assert!(rtt > 0 && rtt < 10_000, "loopback rtt {rtt} µs");
    for field in [
        "rttvar_us",
        "min_rtt_us",
        "cwnd",
        "ssthresh",
        "mss",
        "pmtu",
        "retrans",
        "total_retrans",
        "unacked",
        "bytes_acked",
        "bytes_received",
        "segs_out",
        "segs_in",
        "notsent_bytes",
    ] {
        assert!(value[field].is_u64(), "{field} in {value}");
    }
    assert!(value["bytes_received"].as_u64().unwrap() >= 5);
    peer.join().unwrap();

    // The server side: each connection's sample at its close.
    let server = common::cli::Server::start(&[
        "tcp",
        "serve",
        "127.0.0.1:0",
        "--mode",
        "echo",
        "--tcp-info",
    ]);
    let addr = server.address("Listening on ");
    let mut client = common::tutorial_client(addr);
    client.write_all(b"ping").unwrap();
    common::expect_bytes(&mut client, b"ping");
    drop(client);
    let line = server.line_with("tcp_info");
    assert!(line.contains("rtt ") && line.contains("segs out"), "{line}");
}

#[test]
fn udp_send_prints_a_whole_65507_byte_reply() {
    let server = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    server.set_read_timeout(Some(common::WAIT)).unwrap();
    let addr = server.local_addr().unwrap();
    let mut reply = vec![0u8; 65_507];
    Noise(7).fill(&mut reply);
    let answer = reply.clone();
    let peer = std::thread::spawn(move || {
        let mut buf = [0u8; 2048];
        let (_, from) = server.recv_from(&mut buf).unwrap();
        server.send_to(&answer, from).unwrap();
        addr
    });
    let (status, stdout) = with_deadline(Duration::from_secs(60), move || {
        let mut child = Command::new(BIN)
            .args(["udp", "send", &addr.to_string(), "big?"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // A reader slower than the writer: 1 KiB at a time, with pauses,
        // so netplay's write to stdout blocks on a full pipe.
        let mut stdout = child.stdout.take().unwrap();
        let mut all = Vec::new();
        let mut piece = [0u8; 1024];
        loop {
            let n = stdout.read(&mut piece).unwrap();
            if n == 0 {
                break;
            }
            all.extend_from_slice(&piece[..n]);
            std::thread::sleep(Duration::from_millis(1));
        }
        (child.wait().unwrap(), all)
    });
    let addr = peer.join().unwrap();
    assert!(status.success());
    let mut expected = format!("{addr}: ").into_bytes();
    expected.extend_from_slice(&reply);
    expected.push(b'\n');
    assert_eq!(stdout.len(), expected.len());
    assert!(stdout == expected, "the whole datagram, byte for byte");
}

#[test]
fn fetch_verbose_survives_a_closed_stderr() {
    let addr = common::answering_server(
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nA: 1\r\nB: 2\r\n\r\nhello".to_vec(),
    );
    let mut child = Command::new(BIN)
        .args(["fetch", "-v", &format!("http://{addr}/")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // `2>&1 >/dev/null | head -1`: the stderr reader is gone at once.
    drop(child.stderr.take());
    let output = with_deadline(Duration::from_secs(30), move || {
        child.wait_with_output().unwrap()
    });
    assert_eq!(output.status.code(), Some(0), "no panic on EPIPE");
    assert_eq!(output.stdout, b"hello");
}

#[test]
fn fetch_tls_errors_name_the_command_line_fixes() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let pki = common::tls::pki(&["127.0.0.1", "localhost"], false);
    let addr = runtime.block_on(common::tls::tls_server(&pki));
    let output = with_deadline(Duration::from_secs(30), move || {
        Command::new(BIN)
            .args(["fetch", &format!("https://127.0.0.1:{}/", addr.port())])
            .output()
            .unwrap()
    });
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1));
    assert!(err.contains("--cacert") && err.contains("-k"), "{err}");
    assert!(!err.contains("F6") && !err.contains("F7"), "{err}");
    drop(runtime);
}

#[test]
fn fetch_dash_o_keeps_an_existing_file_when_the_download_fails() {
    // Promises 100 bytes, sends 4, closes: a truncated download.
    let addr =
        common::answering_server(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhalf".to_vec());
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("page.html");
    std::fs::write(&target, b"the good copy").unwrap();
    let output = with_deadline(Duration::from_secs(30), {
        let target = target.clone();
        move || {
            Command::new(BIN)
                .args(["fetch", "-o"])
                .arg(&target)
                .arg(format!("http://{addr}/"))
                .output()
                .unwrap()
        }
    });
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("truncated"));
    assert_eq!(std::fs::read(&target).unwrap(), b"the good copy");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(left.len(), 1, "no partial file left behind");
}

#[test]
fn fetch_dash_o_into_a_missing_directory_fails_at_once() {
    // A server that accepts and never answers: only an early check can end
    // the command before the 30 s timeout.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let started = std::time::Instant::now();
    let output = with_deadline(Duration::from_secs(20), move || {
        Command::new(BIN)
            .args([
                "fetch",
                "-o",
                "/nonexistent-netplay-dir/x",
                &format!("http://{addr}/"),
            ])
            .output()
            .unwrap()
    });
    assert_eq!(output.status.code(), Some(1));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("/nonexistent-netplay-dir"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10));
    drop(listener);
}

/// Heads strict parsing refuses, each with the problem netplay names; every
/// one frames a 4-byte body.
const MALFORMED: [(&[u8], &str); 5] = [
    (
        b"HTTP/1.1 200 OK\r\nX-Evil: \x1b]2;PWNED\x07x\r\nContent-Length: 4\r\n\r\n",
        "control byte 0x1b at offset 8",
    ),
    (
        b"HTTP/1.1 200 OK\r\nX-A: one\r\n two\r\nContent-Length: 4\r\n\r\n",
        "obs-fold",
    ),
    (
        b"HTTP/1.1 200 OK\r\nX-A : v\r\nContent-Length: 4\r\n\r\n",
        "space before the colon",
    ),
    (
        b"HTTP/1.1 200 OK\r\nX-A: \xff\x01\r\nContent-Length: 4\r\n\r\n",
        "control byte 0x01",
    ),
    (
        b"HTTP/1.1 200 OK\r\nnot a header\r\nContent-Length: 4\r\n\r\n",
        "no colon",
    ),
];

#[test]
fn fetch_warns_about_each_kind_of_malformed_head_and_delivers_the_body() {
    for (head, problem) in MALFORMED {
        let addr = common::answering_server([head, b"body"].concat());
        let output = with_deadline(Duration::from_secs(30), move || {
            Command::new(BIN)
                .args(["fetch", &format!("http://{addr}/")])
                .output()
                .unwrap()
        });
        let err = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(output.status.code(), Some(0), "{problem}: {err}");
        assert_eq!(output.stdout, b"body", "{problem}");
        assert!(
            err.contains("warning: not valid HTTP/1.1") && err.contains(problem),
            "{err}"
        );
        assert!(!output.stderr.contains(&0x1b), "inert: {err}");
    }
}

#[test]
fn fetch_shows_an_invalid_head_warns_and_strict_refuses() {
    let serve = || {
        let addr = common::answering_server(
            b"HTTP/1.1 200 OK\r\nX-Evil: \x1b]2;PWNED\x07x\r\nContent-Length: 4\r\n\r\nbody"
                .to_vec(),
        );
        format!("http://{addr}/")
    };
    let url = serve();
    let output = with_deadline(Duration::from_secs(30), move || {
        Command::new(BIN)
            .args(["fetch", "-v", &url])
            .output()
            .unwrap()
    });
    let err = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(0), "{err}");
    assert_eq!(output.stdout, b"body");
    assert!(
        err.contains("warning: not valid HTTP/1.1: line 2: control byte 0x1b"),
        "{err}"
    );
    assert!(
        !output.stderr.contains(&0x1b) && !output.stderr.contains(&0x07),
        "inert: {err}"
    );

    let url = serve();
    let output = with_deadline(Duration::from_secs(30), move || {
        Command::new(BIN)
            .args(["fetch", "--strict", &url])
            .output()
            .unwrap()
    });
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    assert!(String::from_utf8_lossy(&output.stderr).contains("(--strict)"));
}

#[test]
fn tcp_connect_with_a_peer_that_writes_before_it_reads_moves_both_ways() {
    const EACH_WAY: usize = 8 * 1024 * 1024;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // Writes everything first, reads only afterwards: a client that stops
    // reading while it writes deadlocks with it.
    let peer = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.write_all(&vec![b'p'; EACH_WAY]).unwrap();
        // netplay half-closes when its stdin ends; then this side closes.
        let mut got = Vec::new();
        stream.read_to_end(&mut got).unwrap();
        got.len()
    });
    let (status, stdout_len) = with_deadline(Duration::from_secs(60), move || {
        let mut child = Command::new(BIN)
            .args(["--quiet", "tcp", "connect", "--raw", &addr.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&vec![b'c'; EACH_WAY]);
        });
        let mut stdout = child.stdout.take().unwrap();
        let mut out = Vec::new();
        stdout.read_to_end(&mut out).unwrap();
        writer.join().unwrap();
        (child.wait().unwrap(), out.len())
    });
    assert!(status.success());
    assert_eq!(stdout_len, EACH_WAY, "every byte of the peer's on stdout");
    assert_eq!(
        peer.join().unwrap(),
        EACH_WAY,
        "every byte of stdin to the peer"
    );
}

#[test]
fn a_stop_signal_ends_netplay_even_while_stdout_is_blocked() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // Sends until netplay goes away.
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let block = vec![b'x'; 64 * 1024];
        while stream.write_all(&block).is_ok() {}
    });
    let mut child = Command::new(BIN)
        .args(["--quiet", "tcp", "connect", &addr.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped()) // never read: the pipe fills, writes block
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until one of netplay's threads is blocked writing to the pipe.
    common::cli::wait_until_blocked_on_a_pipe(child.id());
    let stopped = std::time::Instant::now();
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let code = with_deadline(Duration::from_secs(20), move || {
        child.wait().unwrap().code()
    });
    assert_eq!(code, Some(0), "a clean exit status, not the signal's");
    assert!(stopped.elapsed() < Duration::from_secs(10));
}

#[test]
fn strict_and_fail_never_replace_the_output_file() {
    let cases: [(&str, &'static [u8], i32); 2] = [
        (
            "--strict",
            b"HTTP/1.1 200 OK\r\nX-Evil: \x1b]2;x\x07\r\nContent-Length: 2\r\n\r\nok",
            1,
        ),
        (
            "--fail",
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found",
            22,
        ),
    ];
    for (flag, response, expected) in cases {
        let addr = common::answering_server(response.to_vec());
        let dir = tempfile::tempdir().unwrap();
        let kept = dir.path().join("page.html");
        std::fs::write(&kept, b"the good copy").unwrap();
        let fresh = dir.path().join("new.html");
        let args = (kept.clone(), flag.to_string());
        let output = with_deadline(Duration::from_secs(30), move || {
            Command::new(BIN)
                .args(["fetch", &args.1, "-o"])
                .arg(&args.0)
                .arg(format!("http://{addr}/"))
                .output()
                .unwrap()
        });
        assert_eq!(output.status.code(), Some(expected), "{flag}");
        assert_eq!(std::fs::read(&kept).unwrap(), b"the good copy", "{flag}");
        assert!(!fresh.exists());
        let left = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(left, 1, "{flag}: no partial file left");
    }
}

#[test]
fn udp_send_prints_every_reply_even_two_per_message() {
    let server = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    server.set_read_timeout(Some(common::WAIT)).unwrap();
    let addr = server.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut buf = [0u8; 2048];
        for _ in 0..2 {
            let Ok((n, from)) = server.recv_from(&mut buf) else {
                return;
            };
            for copy in 1..=2 {
                let reply = [&buf[..n], format!("-reply{copy}").as_bytes()].concat();
                let _ = server.send_to(&reply, from);
            }
        }
    });
    let output = with_deadline(Duration::from_secs(30), move || {
        Command::new(BIN)
            .args(["udp", "send", &addr.to_string(), "first", "second"])
            .output()
            .unwrap()
    });
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [
            format!("{addr}: first-reply1"),
            format!("{addr}: first-reply2"),
            format!("{addr}: second-reply1"),
            format!("{addr}: second-reply2"),
        ]
    );
}

/// `fetch … | head -c 10` and `netplay man | head`: the reader closing the
/// pipe early ends netplay quietly (curl exits 23 for the body, silently).
#[test]
fn a_reader_that_closes_stdout_early_ends_netplay_quietly() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = [0u8; 4096];
        let _ = stream.read(&mut request);
        let body = vec![b'x'; 8 << 20];
        let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len());
        let _ = stream.write_all(head.as_bytes());
        let _ = stream.write_all(&body);
    });
    for args in [
        vec!["fetch".to_string(), format!("http://{addr}/")],
        vec!["man".to_string()],
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut child = Command::new(BIN)
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let mut first = [0u8; 10];
        stdout.read_exact(&mut first).unwrap();
        drop(stdout); // as `head -c 10` does
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
        let want = if args[0] == "fetch" {
            Some(23)
        } else {
            Some(0)
        };
        assert_eq!(output.status.code(), want, "{args:?}");
    }
}

/// `fetch -o LINK` where LINK is a symbolic link to a file (planted in a
/// shared directory, say): refused, the file it names untouched.
#[test]
#[cfg(unix)]
fn fetch_dash_o_refuses_a_link_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim");
    std::fs::write(&victim, b"precious").unwrap();
    let link = dir.path().join("page.html");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let server =
        common::answering_server(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil".to_vec());
    let output = Command::new(BIN)
        .args([
            "fetch",
            "-o",
            link.to_str().unwrap(),
            &format!("http://{server}/"),
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("symbolic link to a file"), "{stderr}");
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
}
