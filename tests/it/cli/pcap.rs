//! pcapng files of netplay's own sessions, read back by the real tool:
//! tshark (installed by `.ci/run`; these tests say so and pass without it
//! only where it cannot be installed).

use crate::common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use common::cli::*;
use netplay::record::{Entry, Way};

/// tshark, if this machine has it.
pub(super) fn tshark() -> Option<&'static str> {
    common::tshark::available().then_some("tshark")
}

/// tshark's output for `args` on `file`; fails on any warning it prints.
pub(super) fn tshark_says(file: &Path, args: &[&str]) -> String {
    common::tshark::says(file, args)
}

/// What `follow,tcp,raw` shows each way of the first stream:
/// `[client → server, server → client]`.
pub(super) fn followed(file: &Path) -> [Vec<u8>; 2] {
    followed_stream(file, 0)
}

pub(super) fn recorded(file: &Path) -> [Vec<u8>; 2] {
    let recording = netplay::record::parse(&std::fs::read_to_string(file).unwrap()).unwrap();
    let mut ways = [Vec::new(), Vec::new()];
    for entry in recording.entries {
        if let Entry::Data { way, bytes, .. } = entry {
            ways[usize::from(way == Way::In)].extend_from_slice(&bytes);
        }
    }
    ways
}

pub(super) fn count(file: &Path, filter: &str) -> usize {
    tshark_says(file, &["-Y", filter]).lines().count()
}

#[test]
fn the_tutorial_chat_opens_in_tshark_with_every_byte_each_way() {
    let Some(_) = tshark() else { return };
    let server = Server::start(&["tcp", "serve", "127.0.0.1:0"]);
    let addr = server.address("Listening on ").to_string();
    let dir = tempfile::tempdir().unwrap();
    let (pcap, record) = (
        dir.path().join("chat.pcapng"),
        dir.path().join("chat.jsonl"),
    );
    let mut child = netplay(&[
        "tcp",
        "connect",
        &addr,
        "--pcap",
        pcap.to_str().unwrap(),
        "--record",
        record.to_str().unwrap(),
    ])
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"Michael\nTracy\n")
        .unwrap();
    let output = wait_output(child);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let expected = recorded(&record);
    assert!(expected[1].starts_with(b"Welcome!"), "{expected:?}");
    assert_eq!(
        followed(&pcap),
        expected,
        "tshark's TCP stream is the bytes netplay saw"
    );
    assert_eq!(count(&pcap, "tcp.flags.syn == 1"), 2, "SYN and SYN-ACK");
    assert_eq!(count(&pcap, "tcp.flags.fin == 1"), 2, "a FIN each way");
    assert_eq!(
        count(&pcap, "tcp.analysis.flags"),
        0,
        "nothing odd in TCP's analysis"
    );
    let comment = tshark_says(&pcap, &["-q", "-z", "io,phs"]);
    assert!(comment.contains("tcp"), "{comment}");

    // The recording converted afterwards gives the same stream.
    let converted = dir.path().join("converted.pcapng");
    let output = netplay(&[
        "pcap",
        record.to_str().unwrap(),
        "-o",
        converted.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("Wrote "));
    assert_eq!(followed(&converted), expected);
    let info = Command::new("capinfos").arg(&converted).output();
    if let Ok(info) = info {
        let text = String::from_utf8_lossy(&info.stdout);
        assert!(
            text.contains("Synthetic capture written by netplay"),
            "{text}"
        );
    }
}

#[test]
fn a_big_transfer_is_cut_to_the_mss_and_numbered_by_its_bytes() {
    let Some(_) = tshark() else { return };
    let server = Server::start(&["tcp", "serve", "127.0.0.1:0", "--mode", "echo"]);
    let addr = server.address("Listening on ").to_string();
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("big.pcapng");
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let mut child = netplay(&[
        "tcp",
        "connect",
        &addr,
        "--raw",
        "--pcap",
        pcap.to_str().unwrap(),
    ])
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let sent = data.clone();
    let writer = std::thread::spawn(move || stdin.write_all(&sent));
    let output = wait_output(child);
    writer.join().unwrap().unwrap();
    assert_eq!(output.stdout, data, "the echo came back whole");
    let ways = followed(&pcap);
    assert_eq!((ways[0].len(), ways[1].len()), (data.len(), data.len()));
    assert_eq!(ways, [data.clone(), data]);
    assert_eq!(
        count(&pcap, "tcp.len > 65483"),
        0,
        "no segment over the MSS"
    );
    assert_eq!(count(&pcap, "tcp.analysis.flags"), 0);
}

/// `follow,tcp,raw` of stream `index`.
pub(super) fn followed_stream(file: &Path, index: usize) -> [Vec<u8>; 2] {
    let text = tshark_says(file, &["-q", "-z", &format!("follow,tcp,raw,{index}")]);
    let mut ways = [Vec::new(), Vec::new()];
    let body = text.split("Node 1:").nth(1).expect("a followed stream");
    for line in body.lines().skip(1) {
        if line.starts_with('=') {
            break;
        }
        let (way, hex) = match line.strip_prefix('\t') {
            Some(hex) => (1, hex),
            None => (0, line),
        };
        let hex = hex.trim();
        for at in (0..hex.len()).step_by(2) {
            ways[way].push(u8::from_str_radix(&hex[at..at + 2], 16).unwrap());
        }
    }
    ways
}

#[test]
fn tcp_serve_captures_each_connection_as_its_own_flow() {
    let Some(_) = tshark() else { return };
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("server.pcapng");
    let server = Server::start(&[
        "tcp",
        "serve",
        "127.0.0.1:0",
        "--pcap",
        pcap.to_str().unwrap(),
    ]);
    let addr = server.address("Listening on ");
    common::tutorial_conversation(addr);
    let mut second = common::tutorial_client(addr);
    common::expect_bytes(&mut second, b"Welcome!");
    second.write_all(b"exit").unwrap();
    common::read_to_close(&mut second);
    server.line_with("closed. (#");
    let (code, rest) = server.terminate();
    assert_eq!(code, 0, "{rest:?}");

    let first = followed_stream(&pcap, 0);
    assert_eq!(first[0], b"MichaelTracySarahexit");
    assert_eq!(
        first[1],
        b"Welcome!Hello, Michael!Hello, Tracy!Hello, Sarah!"
    );
    let second = followed_stream(&pcap, 1);
    assert_eq!(second, [b"exit".to_vec(), b"Welcome!".to_vec()]);
    assert_eq!(
        count(&pcap, "tcp.flags.syn == 1 && tcp.flags.ack == 0"),
        2,
        "two connections"
    );
    assert_eq!(count(&pcap, "tcp.flags.fin == 1"), 4);
    assert_eq!(count(&pcap, "tcp.analysis.flags"), 0);
    // The server closed after "exit": its FIN comes first.
    let fins = tshark_says(
        &pcap,
        &[
            "-Y",
            "tcp.flags.fin == 1 && tcp.stream == 1",
            "-T",
            "fields",
            "-e",
            "tcp.srcport",
        ],
    );
    assert_eq!(
        fins.lines().next(),
        Some(addr.port().to_string().as_str()),
        "{fins}"
    );
}

#[test]
fn the_relay_captures_both_legs_of_a_pair() {
    let Some(_) = tshark() else { return };
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("relay.pcapng");
    let server = Server::start(&["tcp", "serve", "127.0.0.1:0"]);
    let target = server.address("Listening on ").to_string();
    let relay = Server::start(&[
        "relay",
        "127.0.0.1:0",
        &target,
        "--pcap",
        pcap.to_str().unwrap(),
    ]);
    let addr = relay.address("Relaying ");
    common::tutorial_conversation(addr);
    relay.line_with("closed");
    let (code, rest) = relay.terminate();
    assert_eq!(code, 0, "{rest:?}");

    let up = b"MichaelTracySarahexit".to_vec();
    let down = b"Welcome!Hello, Michael!Hello, Tracy!Hello, Sarah!".to_vec();
    let client_leg = followed_stream(&pcap, 0);
    let server_leg = followed_stream(&pcap, 1);
    assert_eq!(client_leg, [up.clone(), down.clone()], "client ↔ relay");
    assert_eq!(server_leg, [up, down], "relay ↔ server");
    let ports = tshark_says(
        &pcap,
        &[
            "-Y",
            "tcp.flags.syn == 1 && tcp.flags.ack == 0",
            "-T",
            "fields",
            "-e",
            "tcp.dstport",
        ],
    );
    let ports: Vec<&str> = ports.lines().collect();
    assert_eq!(
        ports,
        [
            addr.port().to_string(),
            target.rsplit(':').next().unwrap().to_string()
        ]
    );
    assert_eq!(count(&pcap, "tcp.analysis.flags"), 0);
}

#[test]
fn an_https_fetch_opens_decrypted_with_the_keys_in_the_file() {
    let Some(_) = tshark() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (pcap, keylog) = (dir.path().join("https.pcapng"), dir.path().join("keys.log"));
    let server = Server::start(&["tcp", "serve", "127.0.0.1:0", "--tls", "--mode", "http"]);
    let addr = server.address("Listening on ");
    let url = format!("https://localhost:{}/hello", addr.port());
    let output = netplay(&[
        "fetch",
        &url,
        "--pcap",
        pcap.to_str().unwrap(),
        "--keylog",
        keylog.to_str().unwrap(),
        "-o",
        "/dev/null",
    ])
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("Wrote ") && stderr.contains(" packets to "),
        "{stderr}"
    );
    let keys = std::fs::read_to_string(&keylog).unwrap();
    assert!(keys.contains("CLIENT_TRAFFIC_SECRET_0 "), "{keys}");

    // No key file given to tshark: the keys travel in the capture.
    let decode = format!("tcp.port=={},tls", addr.port());
    let http = tshark_says(
        &pcap,
        &[
            "-d",
            &decode,
            "-Y",
            "http",
            "-T",
            "fields",
            "-e",
            "http.request.method",
            "-e",
            "http.request.uri",
            "-e",
            "http.response.code",
        ],
    );
    let rows: Vec<&str> = http.lines().map(str::trim).collect();
    assert_eq!(rows, ["GET\t/hello", "200"], "{http}");
    let secrets = Command::new("capinfos").arg(&pcap).output();
    if let Ok(info) = secrets {
        let text = String::from_utf8_lossy(&info.stdout);
        assert!(
            text.contains("Number of decryption secrets in file: "),
            "{text}"
        );
    }
}

#[test]
fn a_tls_server_captures_the_records_and_their_keys() {
    let Some(_) = tshark() else { return };
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("server-tls.pcapng");
    let server = Server::start(&[
        "tcp",
        "serve",
        "127.0.0.1:0",
        "--tls",
        "--mode",
        "http",
        "--pcap",
        pcap.to_str().unwrap(),
    ]);
    let addr = server.address("Listening on ");
    let url = format!("https://localhost:{}/from-the-server-side", addr.port());
    let output = netplay(&["fetch", &url, "-o", "/dev/null"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    server.line_with("closed");
    let (code, rest) = server.terminate();
    assert_eq!(code, 0, "{rest:?}");

    let decode = format!("tcp.port=={},tls", addr.port());
    let tls = tshark_says(
        &pcap,
        &[
            "-d",
            &decode,
            "-Y",
            "tls.handshake.type == 1",
            "-T",
            "fields",
            "-e",
            "frame.number",
        ],
    );
    assert_eq!(
        tls.lines().count(),
        1,
        "the ClientHello is there: it is TLS on the wire"
    );
    let http = tshark_says(
        &pcap,
        &[
            "-d",
            &decode,
            "-Y",
            "http",
            "-T",
            "fields",
            "-e",
            "http.request.uri",
            "-e",
            "http.response.code",
        ],
    );
    let rows: Vec<&str> = http.lines().map(str::trim).collect();
    assert_eq!(rows, ["/from-the-server-side", "200"], "{http}");
}

#[test]
fn tcp_connect_tls_captures_the_records_and_their_keys() {
    let Some(_) = tshark() else { return };
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("client-tls.pcapng");
    let server = Server::start(&["tcp", "serve", "127.0.0.1:0", "--tls", "--mode", "http"]);
    let addr = server.address("Listening on ");
    let target = format!("localhost:{}", addr.port());
    let mut child = netplay(&[
        "tcp",
        "connect",
        &target,
        "--tls",
        "--raw",
        "--pcap",
        pcap.to_str().unwrap(),
    ])
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"GET /by-hand HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .unwrap();
    let output = wait_output(child);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("HTTP/1.1 200"));
    assert!(stderr.contains("Wrote "), "{stderr}");
    let decode = format!("tcp.port=={},tls", addr.port());
    let http = tshark_says(
        &pcap,
        &[
            "-d",
            &decode,
            "-Y",
            "http",
            "-T",
            "fields",
            "-e",
            "http.request.uri",
            "-e",
            "http.response.code",
        ],
    );
    let rows: Vec<&str> = http.lines().map(str::trim).collect();
    assert_eq!(rows, ["/by-hand", "200"], "{http}");
}

#[test]
fn a_udp_exchange_is_one_packet_per_datagram_both_ways() {
    let Some(_) = tshark() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (served, sent) = (
        dir.path().join("udp-serve.pcapng"),
        dir.path().join("udp-send.pcapng"),
    );
    let server = Server::start(&[
        "udp",
        "serve",
        "127.0.0.1:0",
        "--mode",
        "echo",
        "--pcap",
        served.to_str().unwrap(),
    ]);
    let addr = server.address("Bind UDP on ").to_string();
    let output = netplay(&[
        "udp",
        "send",
        &addr,
        "ping",
        "pong?",
        "--pcap",
        sent.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    server.line_with("Echoed");
    let (code, rest) = server.terminate();
    assert_eq!(code, 0, "{rest:?}");

    for file in [&served, &sent] {
        let rows = tshark_says(
            file,
            &[
                "-T",
                "fields",
                "-e",
                "udp.srcport",
                "-e",
                "udp.dstport",
                "-e",
                "data.data",
            ],
        );
        let rows: Vec<Vec<&str>> = rows.lines().map(|l| l.split('\t').collect()).collect();
        assert_eq!(rows.len(), 4, "two datagrams each way: {rows:?}");
        let port = addr.rsplit(':').next().unwrap();
        assert_eq!(rows[0][1], port, "the first goes to the server");
        assert_eq!(rows[0][2], "70696e67", "ping");
        assert_eq!(rows[1][0], port, "its echo comes back");
        assert_eq!(rows[3][2], "706f6e673f", "pong?");
        assert_eq!(count(file, "udp.checksum.status == \"Bad\""), 0);
    }
}

#[test]
fn a_wss_session_opens_decrypted_with_its_frames() {
    let Some(_) = tshark() else { return };
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("wss.pcapng");
    let server = Server::start(&["ws", "serve", "127.0.0.1:0", "--tls"]);
    let addr = server.address("Listening on ");
    let url = format!("wss://localhost:{}/", addr.port());
    let mut child = netplay(&["ws", &url, "--pcap", pcap.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"Michael\n").unwrap();
    let output = wait_output(child);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let decode = format!("tcp.port=={},tls", addr.port());
    let texts = tshark_says(
        &pcap,
        &[
            "-d",
            &decode,
            "-Y",
            "websocket",
            "-T",
            "fields",
            "-e",
            "websocket.payload.text",
        ],
    );
    assert!(texts.lines().any(|l| l.contains("Michael")), "{texts}");
    assert!(
        texts.lines().any(|l| l.contains("Hello, Michael!")),
        "{texts}"
    );
}
