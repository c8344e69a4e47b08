//! Rules mode headless (`tcp serve --rules`): the example against
//! a `std::net` client, lines split into 1-byte writes, close, and a bad
//! rules file's line numbers.

use crate::common;

use std::io::{Read, Write};
use std::net::TcpStream;

use common::cli::{netplay, Server};

fn rules_file(dir: &std::path::Path, text: &str) -> std::path::PathBuf {
    let path = dir.join("mock.rules");
    std::fs::write(&path, text).unwrap();
    path
}

fn read_exactly(stream: &mut TcpStream, len: usize) -> Vec<u8> {
    let mut got = vec![0u8; len];
    stream.read_exact(&mut got).unwrap();
    got
}

#[test]
fn the_example_answers_ping_in_one_write_and_split_into_bytes_then_closes() {
    let dir = tempfile::tempdir().unwrap();
    let rules = rules_file(
        dir.path(),
        "^PING (\\d+)$ => PONG $1 #{{n}}\\n\n^QUIT$ => close\n",
    );
    let server = Server::start(&[
        "tcp",
        "serve",
        "127.0.0.1:0",
        "--rules",
        rules.to_str().unwrap(),
    ]);
    let addr = server.address("Listening on ");
    let mut client = TcpStream::connect(addr).unwrap();
    client.set_read_timeout(Some(common::WAIT)).unwrap();
    client.write_all(b"PING 7\nPING 8\n").unwrap();
    assert_eq!(read_exactly(&mut client, 20), b"PONG 7 #1\nPONG 8 #2\n");
    // A line split into one-byte writes is put back together.
    for byte in b"PING 9\r\n" {
        client.write_all(&[*byte]).unwrap();
        client.flush().unwrap();
    }
    assert_eq!(read_exactly(&mut client, 10), b"PONG 9 #3\n");
    server.line_with("rule 1 matched");
    client.write_all(b"nothing matches\nQUIT\n").unwrap();
    let mut rest = Vec::new();
    client.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty(), "no reply to an unmatched line: {rest:?}");
    server.line_with("rule 2: close");
}

#[test]
fn a_bad_rules_file_names_its_lines_and_does_not_start() {
    let dir = tempfile::tempdir().unwrap();
    let rules = rules_file(dir.path(), "ok => fine\nno arrow\n([ => x\n");
    let output = netplay(&[
        "tcp",
        "serve",
        "127.0.0.1:0",
        "--rules",
        rules.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("mock.rules line 2: no `=>`"), "{stderr}");
    assert!(
        stderr.contains("mock.rules line 3: bad pattern (["),
        "{stderr}"
    );
}

#[test]
fn udp_rules_answer_each_datagram_whole() {
    let dir = tempfile::tempdir().unwrap();
    let rules = rules_file(
        dir.path(),
        "^PING (\\d+)$ => PONG $1 #{{n}}\n^QUIT$ => close\n",
    );
    let server = Server::start(&[
        "udp",
        "serve",
        "127.0.0.1:0",
        "--rules",
        rules.to_str().unwrap(),
    ]);
    let addr = server.address("Bind UDP on ");
    let client = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    client.set_read_timeout(Some(common::WAIT)).unwrap();
    let mut buf = [0u8; 64];
    for (n, ping) in [(1, "PING 4"), (2, "PING 5")] {
        client.send_to(ping.as_bytes(), addr).unwrap();
        let (len, _) = client.recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..len], format!("PONG {} #{n}", &ping[5..]).as_bytes());
    }
    server.line_with("rule 1 matched");
    // `close` has no connection to close in UDP: no reply, like ignore.
    client.send_to(b"QUIT", addr).unwrap();
    client.send_to(b"PING 6", addr).unwrap();
    let (len, _) = client.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..len], b"PONG 6 #3");
}

#[test]
fn udp_send_repeat_sends_exactly_count_datagrams() {
    let server = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = server.local_addr().unwrap();
    server.set_read_timeout(Some(common::WAIT)).unwrap();
    let echo = std::thread::spawn(move || {
        let mut got = Vec::new();
        let mut buf = [0u8; 64];
        while let Ok((len, from)) = server.recv_from(&mut buf) {
            got.push(buf[..len].to_vec());
            server.send_to(&buf[..len], from).unwrap();
            if got.len() == 5 {
                // One more read would wait: the count says five.
                server
                    .set_read_timeout(Some(std::time::Duration::from_millis(300)))
                    .unwrap();
            }
        }
        got
    });
    let output = netplay(&[
        "udp",
        "send",
        &addr.to_string(),
        "--repeat",
        "10",
        "--jitter",
        "5",
        "--count",
        "5",
        "--wait",
        "500",
        "one",
        "two",
    ])
    .output()
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let got = echo.join().unwrap();
    assert_eq!(
        got,
        [
            b"one".to_vec(),
            b"two".to_vec(),
            b"one".to_vec(),
            b"two".to_vec(),
            b"one".to_vec()
        ]
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(stdout.lines().count(), 5, "{stdout}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Sent 5 datagrams, 5 replies"), "{stderr}");
}

#[test]
fn tcp_connect_reconnect_comes_back_and_loses_no_stdin_line() {
    use std::io::BufRead;
    use std::process::Stdio;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut child = netplay(&["tcp", "connect", &addr.to_string(), "--reconnect"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let read_line = |stream: &mut TcpStream| {
        stream.set_read_timeout(Some(common::WAIT)).unwrap();
        let mut line = String::new();
        std::io::BufReader::new(stream)
            .read_line(&mut line)
            .unwrap();
        line
    };
    let (mut first, _) = listener.accept().unwrap();
    stdin.write_all(b"one\n").unwrap();
    assert_eq!(read_line(&mut first), "one\n");
    drop(first); // the server closes: netplay waits 1 s and comes back
    let waiting = loop {
        let line = lines.recv_timeout(common::WAIT).expect("a reconnect line");
        if line.contains("Reconnecting in") {
            break line;
        }
    };
    assert!(
        waiting.contains("Reconnecting in 1 s (attempt 1)"),
        "{waiting}"
    );
    stdin.write_all(b"two\n").unwrap(); // read while disconnected
    let (mut second, _) = listener.accept().unwrap();
    assert_eq!(
        read_line(&mut second),
        "two\n",
        "the line read meanwhile is not lost"
    );
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(child.wait().unwrap().success());
}
