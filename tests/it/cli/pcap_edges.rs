//! More pcapng files read back by tshark: the edges — a relay's bulk
//! transfer in order, a refused or reset connection, a `--reconnect`
//! recording, UDP sends from `--repeat`/`--file`, `replay --pcap`.

use crate::common;

use std::io::Write;
use std::process::{Command, Stdio};

use super::pcap::{count, followed, followed_stream, recorded, tshark, tshark_says};
use common::cli::*;

/// A bulk echo through the relay: both directions of each leg add to one
/// flow at once, and the packets still go into the file in the order of
/// their sequence numbers (no analysis flag, time never going back).
#[test]
fn a_relayed_bulk_echo_keeps_its_packets_in_order() {
    let Some(_) = tshark() else { return };
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("bulk.pcapng");
    let server = Server::start(&["tcp", "serve", "127.0.0.1:0", "--mode", "echo"]);
    let target = server.address("Listening on ").to_string();
    let relay = Server::start(&[
        "relay",
        "127.0.0.1:0",
        &target,
        "--pcap",
        pcap.to_str().unwrap(),
    ]);
    let addr = relay.address("Relaying ");
    let bytes: Vec<u8> = (0..2_000_000u32).map(|i| (i % 251) as u8).collect();
    let mut client = std::net::TcpStream::connect(addr).unwrap();
    client.set_read_timeout(Some(common::WAIT)).unwrap();
    let mut writer = client.try_clone().unwrap();
    let sent = bytes.clone();
    let sending = std::thread::spawn(move || {
        writer.write_all(&sent).unwrap();
        writer.shutdown(std::net::Shutdown::Write).unwrap();
    });
    let mut echoed = Vec::new();
    std::io::Read::read_to_end(&mut client, &mut echoed).unwrap();
    sending.join().unwrap();
    assert_eq!(echoed.len(), bytes.len());
    drop(client);
    relay.line_with("closed");
    let (code, rest) = relay.terminate();
    assert_eq!(code, 0, "{rest:?}");
    assert_eq!(count(&pcap, "tcp.analysis.flags"), 0, "in order");
    let [up, down] = followed_stream(&pcap, 0);
    assert!(up == bytes && down == bytes, "client leg whole each way");
    let capinfos = Command::new("capinfos").arg("-o").arg(&pcap).output();
    if let Ok(capinfos) = capinfos {
        let text = String::from_utf8_lossy(&capinfos.stdout);
        assert!(text.contains("True"), "strict time order: {text}");
    }
}

/// A `--reconnect` recording holds several connections: each becomes its
/// own flow (none is dropped).
#[test]
fn every_connection_of_a_recording_becomes_a_flow() {
    let Some(_) = tshark() else { return };
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("reconnect.jsonl");
    let lines = [
        r#"{"netplay_record":1,"side":"client","local":"127.0.0.1:40000","remote":"127.0.0.1:9999","start_us":1700000000000000}"#,
        r#"{"t_us":0,"event":"connected"}"#,
        r#"{"t_us":10,"dir":"out","data":"first"}"#,
        r#"{"t_us":20,"event":"closed"}"#,
        r#"{"t_us":30,"event":"connected"}"#,
        r#"{"t_us":40,"dir":"out","data":"SECOND"}"#,
        r#"{"t_us":50,"dir":"in","data":"answer"}"#,
        r#"{"t_us":60,"event":"closed"}"#,
    ];
    std::fs::write(&record, lines.join("\n") + "\n").unwrap();
    let pcap = dir.path().join("reconnect.pcapng");
    let output = netplay(&[
        "pcap",
        record.to_str().unwrap(),
        "-o",
        pcap.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(followed_stream(&pcap, 0), [b"first".to_vec(), Vec::new()]);
    assert_eq!(
        followed_stream(&pcap, 1),
        [b"SECOND".to_vec(), b"answer".to_vec()]
    );
    assert_eq!(count(&pcap, "tcp.flags.syn == 1 && tcp.flags.ack == 0"), 2);
    assert_eq!(count(&pcap, "tcp.analysis.flags"), 0);
}

/// A fetch that never connected captures nothing, and an existing file at
/// the --pcap path stays as it was.
#[test]
fn a_refused_fetch_leaves_the_pcap_path_alone() {
    let dir = tempfile::tempdir().unwrap();
    let keep = dir.path().join("keep.pcapng");
    std::fs::write(&keep, "ORIGINAL").unwrap();
    // A port nothing listens on (bound, then closed).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/");
    let output = netplay(&["fetch", &url, "--pcap", keep.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("No capture written"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&keep).unwrap(), "ORIGINAL");
}

/// A server that resets the connection: the capture shows its RST where
/// it happened, not FINs at the end.
#[test]
fn a_peer_reset_is_captured_as_a_reset() {
    let Some(_) = tshark() else { return };
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("reset.pcapng");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (mut peer, _) = listener.accept().unwrap();
        let mut head = [0u8; 1024];
        let _ = std::io::Read::read(&mut peer, &mut head);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .unwrap();
        let _guard = runtime.enter();
        peer.set_nonblocking(true).unwrap();
        let peer = tokio::net::TcpStream::from_std(peer).unwrap();
        // SO_LINGER 0: the close sends RST (what the test is about).
        #[allow(deprecated)]
        peer.set_linger(Some(std::time::Duration::ZERO)).unwrap();
        drop(peer);
    });
    let url = format!("http://{addr}/");
    let output = netplay(&["fetch", &url, "--pcap", pcap.to_str().unwrap()])
        .output()
        .unwrap();
    server.join().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("Wrote "), "{stderr}");
    let port = addr.port().to_string();
    let resets = tshark_says(
        &pcap,
        &[
            "-Y",
            "tcp.flags.reset == 1",
            "-T",
            "fields",
            "-e",
            "tcp.srcport",
        ],
    );
    assert_eq!(
        resets.lines().collect::<Vec<_>>(),
        [port.as_str()],
        "the server's RST"
    );
    assert_eq!(
        count(&pcap, "tcp.flags.fin == 1"),
        0,
        "no FIN after a reset"
    );
}

/// The socket writes the capture itself: a server whose event lines show
/// ~100-byte previews and a sender with `--repeat` or `--file` still
/// capture every datagram whole.
#[test]
fn repeated_and_file_sends_are_captured_whole_on_both_sides() {
    let Some(_) = tshark() else { return };
    let dir = tempfile::tempdir().unwrap();
    let served = dir.path().join("served.pcapng");
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
    let big = "x".repeat(1400);
    let lines = dir.path().join("lines.txt");
    std::fs::write(&lines, format!("one\ntwo\n{big}\n")).unwrap();
    let (repeated, filed) = (
        dir.path().join("repeat.pcapng"),
        dir.path().join("file.pcapng"),
    );
    for (extra, file) in [
        (vec!["tick", "--repeat", "1", "--count", "40"], &repeated),
        (vec!["--file", lines.to_str().unwrap(), "--lines"], &filed),
    ] {
        let mut args = vec!["udp", "send", addr.as_str()];
        args.extend(extra);
        args.extend(["--wait", "3000", "--pcap", file.to_str().unwrap()]);
        let output = netplay(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{stderr}");
        assert!(stderr.contains("Wrote "), "{stderr}");
    }
    let (code, rest) = server.terminate();
    assert_eq!(code, 0, "{rest:?}");

    assert_eq!(count(&repeated, "udp"), 80, "40 sent, 40 echoed");
    assert_eq!(count(&repeated, "data.data == 74:69:63:6b"), 80);
    let sizes = tshark_says(&filed, &["-T", "fields", "-e", "udp.length"]);
    let mut sizes: Vec<&str> = sizes.lines().collect();
    sizes.sort_unstable();
    // Sends and echoes interleave: the sizes are compared as a set.
    assert_eq!(
        sizes,
        ["12", "12", "12", "12", "1409", "1409"],
        "each line whole"
    );
    assert_eq!(count(&served, "udp"), 86, "the server saw all of it");
    assert_eq!(count(&served, "udp.length == 1409"), 2, "not a preview");
    assert_eq!(count(&served, "udp.checksum.status == \"Bad\""), 0);
}

/// `replay --pcap`: as a client and as a mock server, the replayed
/// connection opens in tshark as the recorded bytes each way.
#[test]
fn replay_both_ways_captures_the_recorded_bytes() {
    let Some(_) = tshark() else { return };
    // Echo: the answers do not depend on how the sends were cut.
    let server = Server::start(&["tcp", "serve", "127.0.0.1:0", "--mode", "echo"]);
    let addr = server.address("Listening on ").to_string();
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("chat.jsonl");
    let mut child = netplay(&[
        "tcp",
        "connect",
        &addr,
        "--record",
        record.to_str().unwrap(),
    ])
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let stdin = child.stdin.take().unwrap();
    (&stdin).write_all(b"Michael\nTracy\n").unwrap();
    drop(stdin);
    assert!(wait_output(child).status.success());
    let expected = recorded(&record);

    let played = dir.path().join("played.pcapng");
    let output = netplay(&[
        "replay",
        record.to_str().unwrap(),
        "--connect",
        &addr,
        "--pcap",
        played.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("Wrote "), "{stderr}");
    assert_eq!(
        followed(&played),
        expected,
        "--connect: the stream each way"
    );
    assert_eq!(count(&played, "tcp.flags.fin == 1"), 2, "a FIN each way");

    let served = dir.path().join("served.pcapng");
    let mock = Server::start(&[
        "replay",
        record.to_str().unwrap(),
        "--serve",
        "127.0.0.1:0",
        "--pcap",
        served.to_str().unwrap(),
    ]);
    let mock_addr = mock.address(" on ");
    let mut client = std::net::TcpStream::connect(mock_addr).unwrap();
    client.set_read_timeout(Some(common::WAIT)).unwrap();
    client.write_all(&expected[0]).unwrap();
    let mut answers = Vec::new();
    std::io::Read::read_to_end(&mut client, &mut answers).unwrap();
    drop(client);
    assert_eq!(answers, expected[1], "the recorded answers");
    let (code, rest) = mock.terminate();
    assert_eq!(code, 0, "{rest:?}");
    assert_eq!(followed(&served), expected, "--serve: the stream each way");
    assert_eq!(count(&served, "tcp.analysis.flags"), 0, "nothing odd");
}
