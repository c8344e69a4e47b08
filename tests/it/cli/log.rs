//! The event lines of `tcp serve`, `relay` and `udp serve`: a bounded
//! preview whatever the size of a read, every byte with `--dump`, nothing
//! with `-q` (the data path untouched), and a UDP echo that answers a
//! client repeating itself every time.

use crate::common;

use std::io::{Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::time::Duration;

use common::cli::*;

/// Sends `bytes` in one write to an echo server and reads them all back.
fn echo_through(addr: std::net::SocketAddr, bytes: &[u8]) {
    let mut client = TcpStream::connect(addr).unwrap();
    client.set_read_timeout(Some(common::WAIT)).unwrap();
    client.write_all(bytes).unwrap();
    let mut back = vec![0u8; bytes.len()];
    client.read_exact(&mut back).unwrap();
    assert!(back == bytes, "the echo differs");
}

/// The `N B` and the data after it of every line of an echo server that
/// tells of a read (`echoed`, or `received` when the echo went out in
/// pieces), until the total reaches `want` bytes.
fn received_lines(server: &Server, want: usize) -> Vec<(usize, String)> {
    let mut lines = Vec::new();
    let mut total = 0;
    while total < want {
        let line = server.line_with(" B ");
        let Some(after) = line
            .split(" received ")
            .nth(1)
            .or_else(|| line.split(" echoed ").nth(1))
        else {
            continue;
        };
        let len: usize = after.split(' ').next().unwrap().parse().unwrap();
        let data = after
            .split_once(": ")
            .map(|(_, d)| d.to_string())
            .unwrap_or_default();
        total += len;
        lines.push((len, data));
    }
    assert_eq!(total, want);
    lines
}

#[test]
fn an_echo_is_logged_once_with_its_bytes() {
    let server = Server::start(&["tcp", "serve", "127.0.0.1:0", "--mode", "echo"]);
    let addr = server.address("Listening on ");
    echo_through(addr, b"hello echo");
    // The first line about bytes is the echo: no `received` line first.
    let echoed = server.line_with(" B ");
    assert!(echoed.contains(" ⇄ #"), "{echoed}");
    assert!(
        echoed.contains(" echoed 10 B back to 127.0.0.1:"),
        "{echoed}"
    );
    assert!(echoed.ends_with(": hello echo"), "{echoed}");
    let (code, rest) = server.terminate();
    assert_eq!(code, 0);
    assert!(
        !rest.iter().any(|line| line.contains(" B ")),
        "no second line for the same bytes: {rest:?}"
    );
}

#[test]
fn a_delayed_echo_is_logged_as_received_then_echoed() {
    let server = Server::start(&[
        "tcp",
        "serve",
        "127.0.0.1:0",
        "--mode",
        "echo",
        "--delay",
        "10",
    ]);
    let addr = server.address("Listening on ");
    echo_through(addr, b"hello echo");
    let received = server.line_with(" received 10 B from 127.0.0.1:");
    assert!(received.ends_with(": hello echo"), "{received}");
    let echoed = server.line_with(" echoed 10 B back to 127.0.0.1:");
    assert!(
        !echoed.contains("hello"),
        "the bytes are on the line above: {echoed}"
    );
    let (code, _) = server.terminate();
    assert_eq!(code, 0);
}

#[test]
fn a_64_kib_read_logs_a_bounded_line() {
    let server = Server::start(&["tcp", "serve", "127.0.0.1:0", "--mode", "echo"]);
    let addr = server.address("Listening on ");
    let bytes = vec![b'x'; 64 * 1024];
    echo_through(addr, &bytes);
    let lines = received_lines(&server, bytes.len());
    for (len, data) in &lines {
        // ~100 bytes of text, then … when the read was longer.
        assert!(
            data.len() <= 100 + '…'.len_utf8(),
            "{} B shown of {len}",
            data.len()
        );
        if *len > 100 {
            assert!(data.ends_with('…'), "{data}");
        }
    }
    let (code, _) = server.terminate();
    assert_eq!(code, 0);
}

#[test]
fn dump_prints_every_byte_of_every_read() {
    let server = Server::start(&["tcp", "serve", "127.0.0.1:0", "--mode", "echo", "--dump"]);
    let addr = server.address("Listening on ");
    // Printable bytes that need no escaping, in a pattern, so the lines
    // put together must give exactly what was sent.
    let bytes: Vec<u8> = (0..100_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    echo_through(addr, &bytes);
    let shown: String = received_lines(&server, bytes.len())
        .into_iter()
        .map(|(len, data)| {
            assert_eq!(data.len(), len);
            data
        })
        .collect();
    assert!(
        shown.as_bytes() == bytes,
        "the dump differs from what was sent"
    );
}

#[test]
fn dump_hex_prints_a_hex_dump_of_every_byte() {
    let server = Server::start(&[
        "tcp",
        "serve",
        "127.0.0.1:0",
        "--mode",
        "discard",
        "--dump=hex",
    ]);
    let addr = server.address("Listening on ");
    let bytes: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
    let mut client = TcpStream::connect(addr).unwrap();
    client.write_all(&bytes).unwrap();
    drop(client);
    let mut dumped = Vec::new();
    while dumped.len() < bytes.len() {
        let line = server.lines.recv_timeout(common::WAIT).expect("a hex line");
        let Some(hex) = line.strip_prefix("    ") else {
            continue;
        };
        let columns = hex.split("  |").next().unwrap();
        dumped.extend(
            columns
                .split_whitespace()
                .skip(1)
                .map(|byte| u8::from_str_radix(byte, 16).unwrap()),
        );
    }
    assert!(dumped == bytes, "the hex dump differs from what was sent");
}

#[test]
fn dump_takes_its_form_only_after_an_equals_sign() {
    // `--dump` before the address must not swallow it as its form.
    let server = Server::start(&["tcp", "serve", "--dump", "127.0.0.1:0", "--mode", "echo"]);
    let addr = server.address("Listening on ");
    echo_through(addr, b"every byte");
    let line = server.line_with(" echoed ");
    assert!(line.ends_with(": every byte"), "{line}");
    let output = wait_output(
        netplay(&["tcp", "serve", "127.0.0.1:0", "--max-conn", "0"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    assert_eq!(output.status.code(), Some(2), "--max-conn 0 refused");
}

#[test]
fn quiet_serve_prints_nothing_and_still_echoes_every_byte() {
    let mut server = Server::start(&["-q", "tcp", "serve", "127.0.0.1:0", "--mode", "echo"]);
    // Nothing on stdout to learn the port from: find it the way a script
    // would not need to, by asking the kernel for the process's listener.
    let port = listening_port(server.child.id());
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let bytes: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    echo_through(addr, &bytes);
    let _ = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status();
    let status = server.child.wait().unwrap();
    assert!(status.success());
    assert!(
        server
            .lines
            .recv_timeout(Duration::from_millis(200))
            .is_err(),
        "-q printed a line"
    );
}

use std::process::Command;

/// The TCP port process `pid` listens on (from /proc: its socket inodes
/// matched against the kernel's table of listening sockets).
fn listening_port(pid: u32) -> u16 {
    let deadline = std::time::Instant::now() + common::WAIT;
    loop {
        let inodes: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
            .unwrap()
            .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
            .filter_map(|link| {
                let link = link.to_string_lossy().to_string();
                Some(
                    link.strip_prefix("socket:[")?
                        .strip_suffix(']')?
                        .to_string(),
                )
            })
            .collect();
        let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
        for row in table.lines().skip(1) {
            let fields: Vec<&str> = row.split_whitespace().collect();
            // State 0A is LISTEN.
            if fields[3] == "0A" && inodes.iter().any(|inode| inode == fields[9]) {
                let port = fields[1].rsplit(':').next().unwrap();
                return u16::from_str_radix(port, 16).unwrap();
            }
        }
        assert!(std::time::Instant::now() < deadline, "no listener");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn relay_lines_are_bounded_too() {
    let server = Server::start(&["tcp", "serve", "127.0.0.1:0", "--mode", "echo"]);
    let target = server.address("Listening on ").to_string();
    let relay = Server::start(&["relay", "127.0.0.1:0", &target]);
    let addr = relay.address("Relaying ");
    echo_through(addr, &vec![b'r'; 200_000]);
    let mut relayed = 0;
    while relayed < 2 * 200_000 {
        let line = relay.line_with(" B: ");
        let (head, data) = line.split_once(" B: ").unwrap();
        relayed += head.rsplit(' ').next().unwrap().parse::<usize>().unwrap();
        assert!(data.len() <= 100 + '…'.len_utf8(), "{line}");
    }
}

#[test]
fn udp_echo_answers_a_client_that_repeats_itself_every_time() {
    let server = Server::start(&["udp", "serve", "127.0.0.1:0", "--mode", "echo"]);
    let addr = server.address("Bind UDP on ");
    // netplay's own repeating sender: 40 times the same datagram.
    let output = wait_output(
        netplay(&[
            "udp",
            "send",
            &addr.to_string(),
            "ping",
            "--repeat",
            "1",
            "--count",
            "40",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap(),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let replies = stdout
        .lines()
        .filter(|line| line.ends_with(": ping"))
        .count();
    assert_eq!(replies, 40, "{stdout}");
    // Each echo is one line, with its bytes, not a `Received` and a `Sent`.
    let first = server.line_with(" B");
    assert!(
        first.contains(" ⇄ Echoed 4 B back to 127.0.0.1:") && first.ends_with(": ping"),
        "{first}"
    );
    // A closed-loop client at full speed for over a second: every echo
    // comes back (past 5,000 a second, all but one: that one is held back
    // once, to test for a loop), and the server names it once as a
    // possible loop.
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    // A short timeout, as such a client has, so it goes on after one.
    client
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let until = std::time::Instant::now() + Duration::from_millis(1500);
    let (mut sent, mut lost) = (0u32, 0u32);
    while std::time::Instant::now() < until {
        client.send_to(b"beat", addr).unwrap();
        sent += 1;
        let mut reply = [0u8; 16];
        match client.recv_from(&mut reply) {
            Ok((len, _)) => assert_eq!(&reply[..len], b"beat"),
            Err(_) => lost += 1,
        }
    }
    assert!(sent > 16);
    // The test needs 5,000 echoes sent back within a second: no fewer.
    let fast = sent > 5_000;
    assert!(lost <= u32::from(fast), "{lost} of {sent} not answered");
    let local = client.local_addr().unwrap().to_string();
    let line = server.line_with("sends every echo straight back");
    assert!(
        line.contains(&local) && line.contains("--no-reply-to"),
        "{line}"
    );
}

#[test]
fn udp_no_reply_to_is_not_answered_and_a_bad_address_is_refused() {
    let blocked = UdpSocket::bind("127.0.0.1:0").unwrap();
    let polite = UdpSocket::bind("127.0.0.1:0").unwrap();
    let who = blocked.local_addr().unwrap().to_string();
    let server = Server::start(&[
        "udp",
        "serve",
        "127.0.0.1:0",
        "--mode",
        "echo",
        "--no-reply-to",
        &who,
    ]);
    let addr = server.address("Bind UDP on ");
    server.line_with("Not answering");
    for socket in [&blocked, &polite] {
        socket
            .set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        socket.send_to(b"hi", addr).unwrap();
    }
    assert!(
        blocked.recv_from(&mut [0u8; 8]).is_err(),
        "a blocked peer was answered"
    );
    assert!(
        polite.recv_from(&mut [0u8; 8]).is_ok(),
        "a polite peer was not answered"
    );
    let output = wait_output(
        netplay(&[
            "udp",
            "serve",
            "127.0.0.1:0",
            "--no-reply-to",
            "nowhere\u{1b}]2;x\u{7}",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap(),
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--no-reply-to") && !stderr.contains('\u{1b}'),
        "{stderr}"
    );
}

#[test]
fn a_stop_signal_ends_tcp_serve_while_its_log_is_blocked() {
    // stdout is a pipe nobody reads: the log fills it and its write blocks.
    let mut child = netplay(&["tcp", "serve", "127.0.0.1:0", "--mode", "echo", "--dump"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let port = {
        // The first line names the port; read it, then never read again.
        let mut stdout = child.stdout.take().unwrap();
        let mut seen = Vec::new();
        let mut byte = [0u8; 1];
        while !seen.ends_with(b"\n") && stdout.read(&mut byte).unwrap_or(0) == 1 {
            seen.push(byte[0]);
        }
        let line = String::from_utf8_lossy(&seen).into_owned();
        let port: u16 = line
            .split("127.0.0.1:")
            .nth(1)
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("no port in {line:?}"));
        std::mem::forget(stdout); // kept open, never read
        port
    };
    // The flood's socket stays open (its echoes unread) to the end.
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let flood = {
        let mut stream = stream.try_clone().unwrap();
        std::thread::spawn(move || {
            let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
            let block = vec![b'x'; 64 * 1024];
            for _ in 0..64 {
                if stream.write_all(&block).is_err() {
                    return;
                }
            }
        })
    };
    // Until one of netplay's threads waits on the full pipe.
    wait_until_blocked_on_a_pipe(child.id());
    let stopped = std::time::Instant::now();
    assert!(Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success());
    let code = wait_output(child).status.code();
    assert_eq!(code, Some(0), "a clean exit status, not the signal's");
    assert!(stopped.elapsed() < Duration::from_secs(10));
    let _ = flood.join();
    let _ = stream.flush();
}
