//! The headless commands, run as a person or a script would: the built
//! binary, real loopback peers, exit codes and output checked.

use crate::common;

use common::cli::*;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;

fn run_with_input(args: &[&str], input: &[u8]) -> Output {
    let mut child = netplay(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let output = wait_output(child);
    writer.join().unwrap();
    output
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn tcp_serve_greets_the_tutorial_client_and_stops_on_sigterm() {
    let server = Server::start(&["tcp", "serve", "127.0.0.1:0"]);
    let addr = server.address("Listening on ");
    common::tutorial_conversation(addr);
    server.line_with("Accept new connection from 127.0.0.1:");
    server.line_with("received 7 B from 127.0.0.1:");
    server.line_with("sent 15 B to 127.0.0.1:");
    server.line_with("closed. (#");
    let (code, rest) = server.terminate();
    assert_eq!(code, 0, "SIGTERM is a clean stop");
    assert!(
        rest.iter().any(|l| l.contains("Stopped listening")),
        "{rest:?}"
    );
}

#[test]
fn tcp_connect_pipes_against_tcp_serve() {
    let server = Server::start(&["tcp", "serve", "127.0.0.1:0"]);
    let addr = server.address("Listening on ");
    let output = run_with_input(&["tcp", "connect", &addr.to_string()], b"Michael\n");
    assert!(output.status.success(), "{}", stderr(&output));
    // stdin's end half-closes; the greet server then closes; connect exits 0
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "Welcome!Hello, Michael!\n"
    );
    assert!(stderr(&output).contains("FIN sent"), "{}", stderr(&output));
}

#[test]
fn tcp_connect_raw_and_refused() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut all = Vec::new();
        stream.read_to_end(&mut all).unwrap();
        stream.write_all(b"\x00\xffbinary").unwrap();
        all
    });
    let output = run_with_input(
        &["--quiet", "tcp", "connect", "--raw", &addr.to_string()],
        b"raw\x00bytes\n",
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        peer.join().unwrap(),
        b"raw\x00bytes\n",
        "stdin bytes as they are"
    );
    assert_eq!(
        output.stdout, b"\x00\xffbinary",
        "socket bytes exact to a pipe"
    );
    assert!(output.stderr.is_empty(), "--quiet: {}", stderr(&output));

    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let output = run_with_input(&["tcp", "connect", &closed.to_string()], b"");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).starts_with("netplay: connection refused by"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn exit_codes_and_one_line_reasons() {
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = holder.local_addr().unwrap().to_string();
    let output = wait_output(
        netplay(&["tcp", "serve", &taken])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("netplay: cannot listen: address"),
        "{}",
        stderr(&output)
    );
    assert!(stderr(&output).contains("already in use"));
    // Said once: on stderr, not also as an event line.
    assert!(
        !String::from_utf8_lossy(&output.stdout).contains("already in use"),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let output = netplay(&["relay", &taken, "127.0.0.1:9"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        stderr(&output)
    );
    assert_eq!(all.matches("already in use").count(), 1, "{all}");

    let output = netplay(&["fetch", "ftp://example/"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output).trim(),
        "netplay: unsupported scheme 'ftp': netplay speaks http://, https://, ws:// and wss://"
    );
    let output = netplay(&["fetch", "-H", "no colon", "http://127.0.0.1:1/"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let output = netplay(&["no-such-command"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "bad arguments");

    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let output = netplay(&["fetch", &format!("http://{closed}/")])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).starts_with("netplay: connection refused"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn fetch_prints_the_body_and_head_and_honours_fail() {
    let addr = common::answering_server(
        b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nX-Test: yes\r\n\r\nhello\n".to_vec(),
    );
    let output = netplay(&["fetch", &format!("http://{addr}/")])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(output.stdout, b"hello\n");

    let output = netplay(&["fetch", "-i", "-v", "--timing", &format!("http://{addr}/")])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.starts_with("HTTP/1.1 200 OK\r\nContent-Length: 6\r\nX-Test: yes\r\n\r\nhello\n"),
        "{stdout}"
    );
    let err = stderr(&output);
    // As curl -v shows a head: CR LF is the line break, not shown.
    assert!(err.lines().any(|line| line == "> GET / HTTP/1.1"), "{err}");
    assert!(err.lines().any(|line| line == "< X-Test: yes"), "{err}");
    assert!(err.lines().any(|line| line == ">"), "the blank line: {err}");
    // A bare LF is not what a line break should be: shown, escaped.
    let bare = common::answering_server(b"HTTP/1.1 200 OK\nContent-Length: 2\n\nok".to_vec());
    let bare_output = netplay(&["fetch", "-v", &format!("http://{bare}/")])
        .output()
        .unwrap();
    let bare_err = stderr(&bare_output);
    assert!(
        bare_err.lines().any(|line| line == "< HTTP/1.1 200 OK\\n"),
        "{bare_err}"
    );
    assert!(
        err.contains("first byte:") && err.contains("total:"),
        "{err}"
    );

    let missing = common::answering_server(
        b"HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope".to_vec(),
    );
    let output = netplay(&["fetch", &format!("http://{missing}/")])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "an HTTP error is still a response"
    );
    let output = netplay(&["fetch", "--fail", &format!("http://{missing}/")])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(22));
    assert!(stderr(&output).contains("HTTP 404 Not Found (--fail)"));
}

#[test]
fn fetch_streams_the_body_to_stdout_as_it_arrives() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = [0u8; 4096];
        let _ = stream.read(&mut request);
        stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nfirst")
            .unwrap();
        // the rest only once the first half has come out of netplay's stdout
        go_rx
            .recv_timeout(common::WAIT)
            .expect("first half never seen");
        stream.write_all(b"-rest").unwrap();
    });
    let mut child = netplay(&["fetch", &format!("http://{addr}/")])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let (seen_tx, seen_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut all = Vec::new();
        let mut buf = [0u8; 64];
        loop {
            match stdout.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    all.extend_from_slice(&buf[..n]);
                    let _ = seen_tx.send(all.clone());
                }
            }
        }
    });
    let first = seen_rx.recv_timeout(common::WAIT).expect("no body yet");
    assert_eq!(
        first, b"first",
        "the first half is out before the rest exists"
    );
    go_tx.send(()).unwrap();
    let mut last = first;
    while let Ok(more) = seen_rx.recv_timeout(common::WAIT) {
        last = more;
    }
    assert_eq!(last, b"first-rest");
    assert!(child.wait().unwrap().success());
}

#[test]
fn fetch_posts_data_and_sends_headers() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(common::WAIT)).unwrap();
        let mut request = Vec::new();
        let mut buf = [0u8; 4096];
        while !request.ends_with(b"name=x") {
            let n = stream.read(&mut buf).unwrap();
            assert!(n > 0);
            request.extend_from_slice(&buf[..n]);
        }
        stream
            .write_all(b"HTTP/1.1 204 No Content\r\n\r\n")
            .unwrap();
        String::from_utf8(request).unwrap()
    });
    let output = netplay(&[
        "fetch",
        "-d",
        "name=x",
        "-H",
        "X-One: 1",
        &format!("http://{addr}/form"),
    ])
    .output()
    .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let request = peer.join().unwrap();
    assert!(request.starts_with("POST /form HTTP/1.1\r\n"), "{request}");
    assert!(
        request.contains("X-One: 1\r\nContent-Length: 6\r\n\r\nname=x"),
        "{request}"
    );
}

#[test]
fn fetch_dash_o_streams_64_mib_to_disk_byte_for_byte() {
    const SIZE: usize = 64 * 1024 * 1024;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let body_byte = |i: usize| ((i * 7 + i / 4093) % 251) as u8;
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = [0u8; 4096];
        let _ = stream.read(&mut request);
        stream
            .write_all(format!("HTTP/1.1 200 OK\r\nContent-Length: {SIZE}\r\n\r\n").as_bytes())
            .unwrap();
        let mut piece = vec![0u8; 1024 * 1024];
        for block in 0..SIZE / piece.len() {
            for (j, byte) in piece.iter_mut().enumerate() {
                *byte = body_byte(block * 1024 * 1024 + j);
            }
            stream.write_all(&piece).unwrap();
        }
    });
    let dir = std::env::temp_dir().join(format!("netplay-cli-o-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let target = dir.join("big.bin");
    let output = netplay(&[
        "fetch",
        "-o",
        target.to_str().unwrap(),
        &format!("http://{addr}/big"),
    ])
    .output()
    .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(output.stdout.is_empty(), "the body went to the file");
    let saved = std::fs::read(&target).unwrap();
    assert_eq!(saved.len(), SIZE);
    assert!(
        saved.iter().enumerate().all(|(i, b)| *b == body_byte(i)),
        "bytes differ"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn json_lines_parse_as_json() {
    let server = Server::start(&["--json", "tcp", "serve", "127.0.0.1:0", "--mode", "echo"]);
    let first = server.line_with("\"listening\"");
    let value: serde_json::Value = serde_json::from_str(&first).expect("valid JSON");
    assert_eq!(value["event"], "listening");
    let addr: SocketAddr = value["local"].as_str().unwrap().parse().unwrap();
    let mut stream = common::tutorial_client(addr);
    stream.write_all(b"\x1b]0;x\x07ping").unwrap();
    common::expect_bytes(&mut stream, b"\x1b]0;x\x07ping");
    drop(stream);
    // Written straight back whole: one `echoed` event for the read.
    let received: serde_json::Value =
        serde_json::from_str(&server.line_with("\"echoed\"")).unwrap();
    assert_eq!(received["kind"], "echo");
    assert_eq!(received["len"], 10);
    assert_eq!(received["data"], "\\x1b]0;x\\x07ping");
    for field in ["time", "kind", "text", "conn"] {
        assert!(received.get(field).is_some(), "{field} in {received}");
    }
    // RFC 3339, as every JSON consumer parses it (`2026-12-07T03:11:19.109+00:00`).
    let time = received["time"].as_str().unwrap();
    let bytes = time.as_bytes();
    assert!(
        bytes.len() == 29
            && bytes[10] == b'T'
            && bytes[19] == b'.'
            && matches!(bytes[23], b'+' | b'-')
            && bytes[26] == b':',
        "{time}"
    );
    let closed: serde_json::Value = serde_json::from_str(&server.line_with("\"closed\"")).unwrap();
    assert_eq!(closed["reason"], "closed by peer");
    let (code, rest) = server.terminate();
    assert_eq!(code, 0);
    for line in rest {
        serde_json::from_str::<serde_json::Value>(&line).expect("every line is JSON");
    }
}

#[test]
fn udp_serve_and_send() {
    let server = Server::start(&["udp", "serve", "127.0.0.1:0"]);
    let addr = server.address("Bind UDP on ");
    let output = netplay(&[
        "udp",
        "send",
        &addr.to_string(),
        "Michael",
        "Tracy",
        "Sarah",
    ])
    .output()
    .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        format!("{addr}: Hello, Michael!\n{addr}: Hello, Tracy!\n{addr}: Hello, Sarah!\n")
    );
    server.line_with("Received from 127.0.0.1:");
    let (code, _) = server.terminate();
    assert_eq!(code, 0);

    // No message: stdin's lines, one datagram each (as `nc -u` sends);
    // a reply that ends its own line gets no blank line after it.
    let echo = Server::start(&["udp", "serve", "127.0.0.1:0", "--mode", "echo"]);
    let addr = echo.address("Bind UDP on ");
    let output = run_with_input(&["udp", "send", &addr.to_string()], b"hi\nthere\n");
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        format!("{addr}: hi\n{addr}: there\n")
    );
    assert!(
        stderr(&output).contains("Sent 2 datagrams, 2 replies"),
        "{}",
        stderr(&output)
    );
    let output = run_with_input(&["udp", "send", &addr.to_string()], b"");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("stdin was empty"),
        "{}",
        stderr(&output)
    );

    let closed = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let output = netplay(&["udp", "send", &closed.to_string(), "anyone?"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("connection refused"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn completions_and_man_page() {
    let output = netplay(&["completions", "bash"]).output().unwrap();
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("netplay"));
    let output = netplay(&["man"]).output().unwrap();
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains(".TH netplay"));
    let output = netplay(&["fetch", "--help"]).output().unwrap();
    assert!(String::from_utf8_lossy(&output.stdout).contains("Examples:"));
}

#[test]
fn a_large_upload_is_sent_whole_but_shown_in_part() {
    const BODY: usize = 200 * 1024;
    let dir = std::env::temp_dir().join(format!("netplay-upload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("body.bin");
    std::fs::write(&file, vec![b'u'; BODY]).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(common::WAIT)).unwrap();
        let mut all = Vec::new();
        let mut buf = [0u8; 65536];
        while all.iter().filter(|b| **b == b'u').count() < BODY {
            let n = stream.read(&mut buf).unwrap();
            assert!(n > 0, "request cut short");
            all.extend_from_slice(&buf[..n]);
        }
        stream
            .write_all(b"HTTP/1.1 204 No Content\r\n\r\n")
            .unwrap();
        all.len()
    });
    let output = netplay(&[
        "fetch",
        "-v",
        "--data-file",
        file.to_str().unwrap(),
        &format!("http://{addr}/upload"),
    ])
    .output()
    .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        peer.join().unwrap() > BODY,
        "head and the whole body arrived"
    );
    let err = stderr(&output);
    assert!(err.contains("more body bytes"), "{err}");
    assert!(err.len() < 120 * 1024, "the -v echo is a bounded preview");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn tcp_connect_stops_cleanly_on_sigterm() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut child = netplay(&["tcp", "connect", &addr.to_string()])
        .stdin(Stdio::piped()) // kept open: only the signal ends it
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (mut peer, _) = listener.accept().unwrap();
    peer.set_read_timeout(Some(common::WAIT)).unwrap();
    // Wait until netplay reports the connection, so its handler is in place.
    let mut stderr_pipe = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr_pipe.read_line(&mut line).unwrap();
    assert!(line.contains("Connected"), "{line}");
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut rest = Vec::new();
    peer.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty(), "netplay closed the connection");
    let output = wait_output(child);
    assert_eq!(output.status.code(), Some(0));
}

/// Starts `args`, waits for a stderr line containing `marker` (the command
/// is past its start), sends `signal`, and returns the exit code: `None`
/// would mean the signal's default action killed it.
fn stop_with_signal_after(args: &[&str], marker: &str, signal: &str) -> Option<i32> {
    let mut child = netplay(args)
        .stdin(Stdio::piped()) // kept open: only the signal ends it
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr_pipe = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        let n = stderr_pipe.read_line(&mut line).unwrap();
        assert!(n > 0, "stderr ended before {marker:?}: {seen}");
        seen.push_str(&line);
        if line.contains(marker) {
            break;
        }
    }
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    // Drain the rest of stderr so the child never blocks on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut stderr_pipe, &mut std::io::sink()));
    wait_output(child).status.code()
}

#[test]
fn every_headless_command_stops_cleanly_on_sigterm_and_sighup() {
    // A TCP peer that accepts and never answers: fetch waits on it forever.
    let silent_tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let tcp_addr = silent_tcp.local_addr().unwrap().to_string();
    let url = format!("http://{tcp_addr}/");
    // A UDP socket that never replies: udp send waits for its answer.
    let silent_udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let udp_addr = silent_udp.local_addr().unwrap().to_string();
    for signal in ["-TERM", "-HUP"] {
        let code = stop_with_signal_after(
            &["udp", "send", "--wait", "60000", &udp_addr, "hello"],
            "Sending from",
            signal,
        );
        assert_eq!(code, Some(0), "udp send on {signal}");
        let code = stop_with_signal_after(&["fetch", "-v", &url], "* Connected", signal);
        assert!(code.is_some(), "fetch killed by {signal}");
        let code = stop_with_signal_after(&["tcp", "connect", &tcp_addr], "Connected", signal);
        assert_eq!(code, Some(0), "tcp connect on {signal}");
    }
    drop((silent_tcp, silent_udp));

    let server = Server::start(&["tcp", "serve", "127.0.0.1:0"]);
    server.address("Listening on ");
    assert_eq!(server.stop_with("-HUP").0, 0, "tcp serve on SIGHUP");
    let server = Server::start(&["udp", "serve", "127.0.0.1:0"]);
    server.address("Bind UDP on ");
    assert_eq!(server.stop_with("-HUP").0, 0, "udp serve on SIGHUP");
}
