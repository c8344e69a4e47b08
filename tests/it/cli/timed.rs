//! Timed sends headless: `tcp connect --send TEXT --repeat MS --count N`
//! (exact count, then FIN) and `udp send --file FILE [--lines]`, against
//! `std::net` peers on loopback.

use crate::common;

use std::io::Read;
use std::net::{TcpListener, UdpSocket};
use std::time::Duration;

use common::cli::netplay;

#[test]
fn tcp_connect_repeats_send_exactly_count_times_then_half_closes() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let reader = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(common::WAIT)).unwrap();
        // read_to_end returns at the client's FIN: after the last send.
        let mut all = Vec::new();
        stream.read_to_end(&mut all).unwrap();
        all
    });
    let output = netplay(&[
        "tcp",
        "connect",
        &addr.to_string(),
        "--send",
        "PING\\r\\n",
        "--repeat",
        "10",
        "--jitter",
        "5",
        "--count",
        "7",
    ])
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(reader.join().unwrap(), b"PING\r\n".repeat(7));
    assert!(stderr.contains("Sent 7"), "{stderr}");
}

#[test]
fn tcp_connect_send_alone_sends_once_and_a_bad_escape_is_refused() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let reader = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut all = Vec::new();
        stream.read_to_end(&mut all).unwrap();
        all
    });
    let output = netplay(&[
        "tcp",
        "connect",
        &addr.to_string(),
        "--send",
        "\\x00\\xffhi",
    ])
    .output()
    .unwrap();
    assert!(output.status.success());
    assert_eq!(reader.join().unwrap(), b"\x00\xffhi");
    let output = netplay(&["tcp", "connect", &addr.to_string(), "--send", "\\xZZ"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--send"));
}

#[test]
fn udp_send_file_as_one_datagram_or_one_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lines.txt");
    std::fs::write(&file, b"one\ntwo\nthree").unwrap();
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    peer.set_read_timeout(Some(common::WAIT)).unwrap();
    let addr = peer.local_addr().unwrap().to_string();
    let file_arg = file.display().to_string();
    for (lines, expected) in [
        (false, vec![&b"one\ntwo\nthree"[..]]),
        (true, vec![&b"one\n"[..], b"two\n", b"three"]),
    ] {
        let mut args = vec!["udp", "send", &addr, "--file", &file_arg, "--wait", "50"];
        if lines {
            args.push("--lines");
        }
        let output = netplay(&args).output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let mut buf = [0u8; 64];
        for datagram in expected {
            let (len, _) = peer.recv_from(&mut buf).unwrap();
            assert_eq!(&buf[..len], datagram);
        }
    }
    peer.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    assert!(peer.recv_from(&mut [0u8; 64]).is_err(), "nothing more");
    let output = netplay(&["udp", "send", &addr, "--file", "/nonexistent/x"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn udp_send_file_lines_waits_once_at_the_end_not_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("many.txt");
    let text: String = (0..300).map(|n| format!("line {n}\n")).collect();
    std::fs::write(&file, &text).unwrap();
    // A silent peer: nobody answers, and nothing refuses either.
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = peer.local_addr().unwrap().to_string();
    // Read as they come: 300 queued datagrams would overflow the buffer.
    peer.set_read_timeout(Some(common::WAIT)).unwrap();
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 64];
        (0..300)
            .map(|_| {
                let (len, _) = peer.recv_from(&mut buf).unwrap();
                buf[..len].to_vec()
            })
            .collect::<Vec<_>>()
    });
    let started = std::time::Instant::now();
    let output = netplay(&[
        "udp",
        "send",
        &addr,
        "--file",
        &file.display().to_string(),
        "--lines",
        "--wait",
        "300",
    ])
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("Sent 300 datagrams, 0 replies"), "{stderr}");
    // 300 lines with a 300 ms wait each would take 90 s.
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    let got = reader.join().unwrap();
    for (n, datagram) in got.iter().enumerate() {
        assert_eq!(datagram, format!("line {n}\n").as_bytes());
    }
}

#[test]
fn a_datagram_too_large_is_not_counted_as_sent() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.bin");
    std::fs::write(&file, vec![b'x'; 70_000]).unwrap();
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = peer.local_addr().unwrap().to_string();
    let output = netplay(&[
        "udp",
        "send",
        &addr,
        "--file",
        &file.display().to_string(),
        "--wait",
        "50",
    ])
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("datagram too large"), "{stderr}");
    assert!(stderr.contains("Sent 0 datagrams"), "{stderr}");
}
