//! UDP multicast and broadcast on loopback: two members of one group on
//! one port (each its own netplay), a sender that hears both, each arrival
//! marked as sent to the group; a broadcast refused without SO_BROADCAST
//! and answered with it, marked as a broadcast. Every datagram stays
//! on loopback (the group is joined on 127.0.0.1, TTL 1).

use crate::common;

use common::cli::*;

/// A group address of this test run's own (parallel runs do not meet).
fn group() -> String {
    let pid = std::process::id();
    format!("239.255.{}.{}", (pid >> 8) & 0xff, pid & 0xff)
}

#[test]
fn two_members_of_a_group_both_hear_one_datagram() {
    let group = group();
    let greet = Server::start(&[
        "udp",
        "serve",
        &format!("{group}:0@127.0.0.1"),
        "--mode",
        "greet",
    ]);
    let line = greet.line_with("Bind UDP on 0.0.0.0:");
    let port: u16 = line
        .split("0.0.0.0:")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|p| p.parse().ok())
        .expect("the port");
    greet.line_with(&format!("Joined multicast group {group} on 127.0.0.1"));
    // The second member shares the port (SO_REUSEADDR), by --join.
    let echo = Server::start(&[
        "udp",
        "serve",
        &format!("0.0.0.0:{port}"),
        "--join",
        &format!("{group}@127.0.0.1"),
        "--mode",
        "echo",
    ]);
    echo.line_with("Joined multicast group");
    let output = netplay(&[
        "udp",
        "send",
        &format!("{group}:{port}"),
        "Michael",
        "--multicast-if",
        "127.0.0.1",
        "--ttl",
        "1",
        "--wait",
        "2000",
    ])
    .output()
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stdout.contains("Hello, Michael!"),
        "the greet member: {stdout}"
    );
    assert!(
        stdout.lines().any(|l| l.ends_with(": Michael")),
        "the echo member: {stdout}"
    );
    assert!(stderr.contains("Multicast TTL 1"), "{stderr}");
    // Each member marks the arrival as sent to the group (IP_PKTINFO)...
    let marked = format!("(to multicast group {group}), 7 B: Michael");
    greet.line_with(&marked);
    echo.line_with(&marked);
    echo.line_with("Sent to 127.0.0.1:");
    // Leaving is said as joining was.
    let (code, rest) = greet.terminate();
    assert_eq!(code, 0);
    assert!(
        rest.iter()
            .any(|line| line.contains(&format!("Left multicast group {group} on 127.0.0.1"))),
        "{rest:?}"
    );
}

#[test]
fn broadcast_needs_so_broadcast_and_then_is_answered() {
    let echo = Server::start(&["udp", "serve", "0.0.0.0:0", "--mode", "echo"]);
    let line = echo.line_with("Bind UDP on 0.0.0.0:");
    let port = line
        .split("0.0.0.0:")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .expect("the port")
        .to_string();
    let target = format!("127.255.255.255:{port}");
    let refused = netplay(&["udp", "send", &target, "hello"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(
        stderr.contains("needs SO_BROADCAST (--broadcast"),
        "{stderr}"
    );
    let output = netplay(&[
        "udp",
        "send",
        &target,
        "hello",
        "--broadcast",
        "--wait",
        "2000",
    ])
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        String::from_utf8_lossy(&output.stdout).contains(": hello"),
        "{stderr}"
    );
    assert!(stderr.contains("SO_BROADCAST on"), "{stderr}");
    echo.line_with("(to broadcast address 127.255.255.255), 5 B: hello");
    // A datagram sent to the socket's own address is not marked (the same
    // wildcard socket reads each destination).
    let output = netplay(&["udp", "send", &format!("127.0.0.1:{port}"), "direct"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let line = echo.line_with(": direct");
    assert!(line.contains("Echoed 6 B back"), "{line}");
    assert!(!line.contains("(to "), "{line}");
}

#[test]
fn a_group_that_is_not_one_is_refused() {
    let output = netplay(&["udp", "serve", "127.0.0.1:0", "--join", "10.1.2.3"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a multicast address"));
}

#[test]
fn joining_from_a_unicast_bind_is_warned() {
    let group = group();
    let server = Server::start(&[
        "udp",
        "serve",
        "127.0.0.1:0",
        "--join",
        &format!("{group}@127.0.0.1"),
    ]);
    server.line_with("gets no datagrams sent to a group; bind 0.0.0.0:");
    let output = netplay(&["udp", "send", &format!("{group}:9"), "x", "--ttl", "256"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "a TTL over 255 is refused");
}
