//! `netplay relay`, run as a person would: the built binary between a
//! tutorial client and a real server, its lines and exit codes checked.

use crate::common;

use std::io::Write;
use std::time::Instant;

use common::cli::*;

/// A greet server (`netplay tcp serve`) and a relay in front of it with
/// `flags`; the relay's address.
fn relay_to_greet(flags: &[&str]) -> (Server, Server, std::net::SocketAddr) {
    let server = Server::start(&["tcp", "serve", "127.0.0.1:0"]);
    let target = server.address("Listening on ").to_string();
    let mut args = vec!["relay", "127.0.0.1:0", target.as_str()];
    args.extend_from_slice(flags);
    let relay = Server::start(&args);
    let addr = relay.address("Relaying ");
    (server, relay, addr)
}

#[test]
fn relay_prints_one_line_per_read_and_stops_on_sigterm() {
    let (_server, relay, addr) = relay_to_greet(&[]);
    let mut client = common::tutorial_client(addr);
    common::expect_bytes(&mut client, b"Welcome!");
    client.write_all(b"Michael").unwrap();
    common::expect_bytes(&mut client, b"Hello, Michael!");
    relay.line_with("server → client 8 B: Welcome!");
    relay.line_with("client → server 7 B: Michael");
    relay.line_with("server → client 15 B: Hello, Michael!");
    drop(client);
    relay.line_with("closed: both sides closed");
    let (code, _) = relay.terminate();
    assert_eq!(code, 0);
}

#[test]
fn relay_json_relayed_events_carry_conn_dir_len_and_data() {
    let server = Server::start(&["tcp", "serve", "127.0.0.1:0"]);
    let target = server.address("Listening on ").to_string();
    let relay = Server::start(&["--json", "relay", "127.0.0.1:0", &target]);
    let line = relay.line_with("\"listening\"");
    let value: serde_json::Value = serde_json::from_str(&line).unwrap();
    let addr: std::net::SocketAddr = value["local"].as_str().unwrap().parse().unwrap();
    let mut client = common::tutorial_client(addr);
    common::expect_bytes(&mut client, b"Welcome!");
    client.write_all(b"Tracy").unwrap();
    common::expect_bytes(&mut client, b"Hello, Tracy!");
    let mut seen = Vec::new();
    while seen.len() < 3 {
        let line = relay.line_with("\"relayed\"");
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert!(value["conn"].is_u64(), "{line}");
        seen.push((
            value["dir"].as_str().unwrap().to_string(),
            value["len"].as_u64().unwrap(),
            value["data"].as_str().unwrap().to_string(),
        ));
    }
    assert_eq!(
        seen,
        [
            ("down".to_string(), 8, "Welcome!".to_string()),
            ("up".to_string(), 5, "Tracy".to_string()),
            ("down".to_string(), 13, "Hello, Tracy!".to_string()),
        ]
    );
}

#[test]
fn relay_quiet_prints_nothing_and_still_relays_with_faults() {
    let (_server, relay, addr) = {
        let server = Server::start(&["tcp", "serve", "127.0.0.1:0"]);
        let target = server.address("Listening on ").to_string();
        // -q: no lines at all, so take a free port first.
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = probe.local_addr().unwrap();
        drop(probe);
        let relay = Server::start(&[
            "-q",
            "relay",
            &addr.to_string(),
            &target,
            "--latency",
            "100",
            "--direction",
            "down",
        ]);
        (server, relay, addr)
    };
    let started = Instant::now();
    let mut client = loop {
        match std::net::TcpStream::connect(addr) {
            Ok(stream) => break stream,
            Err(_) if started.elapsed() < common::WAIT => std::thread::yield_now(),
            Err(err) => panic!("relay never listened: {err}"),
        }
    };
    client.set_read_timeout(Some(common::WAIT)).unwrap();
    let sent = Instant::now();
    common::expect_bytes(&mut client, b"Welcome!");
    client.write_all(b"Sarah").unwrap();
    common::expect_bytes(&mut client, b"Hello, Sarah!");
    assert!(sent.elapsed().as_millis() >= 200, "two delayed replies");
    drop(client);
    let (code, lines) = relay.terminate();
    assert_eq!(code, 0);
    assert!(lines.is_empty(), "{lines:?}");
}

#[test]
fn relay_bad_flags_and_busy_port_exit_with_one_line() {
    let output = wait_output(
        netplay(&["relay", "127.0.0.1:0", "127.0.0.1:9", "--bandwidth", "0"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--bandwidth"));

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy = taken.local_addr().unwrap().to_string();
    let output = wait_output(
        netplay(&["relay", &busy, "127.0.0.1:9"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(lines[0].contains("already in use"), "{stderr}");
    assert!(
        lines[1].starts_with("hint: ") && lines[1].contains("pick another port"),
        "the second line explains: {stderr}"
    );
}
