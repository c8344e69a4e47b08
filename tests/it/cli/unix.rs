//! `fetch --unix-socket` as curl's: a real HTTP server (hyper) on a UNIX
//! socket answers, the peer's credentials are shown (SO_PEERCRED), and a
//! missing or stale socket file is said — never deleted.

use common::cli::*;

use crate::common;

/// hyper on a UNIX socket in `dir`, answering every request with its path
/// and Host header.
fn hyper_on_unix(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("api.sock");
    let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::UnixListener::from_std(listener).unwrap();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                tokio::spawn(async move {
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let service = hyper::service::service_fn(
                        |request: hyper::Request<hyper::body::Incoming>| async move {
                            let host = request
                                .headers()
                                .get("host")
                                .and_then(|h| h.to_str().ok())
                                .unwrap_or("")
                                .to_string();
                            let body = format!("{} via {host}", request.uri().path());
                            Ok::<_, std::convert::Infallible>(hyper::Response::new(
                                http_body_util::Full::new(hyper::body::Bytes::from(body)),
                            ))
                        },
                    );
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(io, service)
                        .await;
                });
            }
        });
    });
    path
}

#[test]
fn fetch_over_a_unix_socket_shows_the_peer_and_says_a_stale_file() {
    let dir = tempfile::tempdir().unwrap();
    let socket = hyper_on_unix(dir.path());
    let output = netplay(&[
        "fetch",
        "-v",
        "--unix-socket",
        socket.to_str().unwrap(),
        "http://docker/v1.43/version",
    ])
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "/v1.43/version via docker"
    );
    let pid = std::process::id();
    assert!(
        stderr.contains(&format!(
            "address  unix:{} (peer pid {pid}, uid ",
            socket.display()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("(not looked up: --unix-socket)"),
        "{stderr}"
    );

    // The same from a pasted curl command (`--from-curl`).
    let command = format!(
        "curl --unix-socket {} http://docker/from-curl",
        socket.display()
    );
    let output = netplay(&["fetch", "--from-curl", &command])
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "/from-curl via docker"
    );

    // A socket file nobody accepts on: said, and left where it is.
    let stale = dir.path().join("stale.sock");
    drop(std::os::unix::net::UnixListener::bind(&stale).unwrap());
    let output = netplay(&[
        "fetch",
        "--unix-socket",
        stale.to_str().unwrap(),
        "http://x/",
    ])
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("a stale socket file"), "{stderr}");
    assert!(stale.exists(), "never deleted");
    let missing = dir.path().join("none.sock");
    let output = netplay(&[
        "fetch",
        "--unix-socket",
        missing.to_str().unwrap(),
        "http://x/",
    ])
    .output()
    .unwrap();
    assert!(String::from_utf8_lossy(&output.stderr).contains("no socket file at"));
    // A regular file is said to be one.
    let file = dir.path().join("file.txt");
    std::fs::write(&file, "x").unwrap();
    let output = netplay(&[
        "fetch",
        "--unix-socket",
        file.to_str().unwrap(),
        "http://x/",
    ])
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("is a regular file, not a socket"),
        "{stderr}"
    );
}

/// `tcp connect unix:/path` is `nc -U`: stdin to the socket, the socket to
/// stdout, the peer's credentials on stderr.
#[test]
fn tcp_connect_to_a_unix_socket_pipes_both_ways() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("echo.sock");
    let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    std::thread::spawn(move || {
        let (mut peer, _) = listener.accept().unwrap();
        peer.write_all(b"Welcome!\n").unwrap();
        let mut buf = [0u8; 64];
        let n = peer.read(&mut buf).unwrap();
        peer.write_all(&buf[..n]).unwrap();
    });
    let target = format!("unix:{}", path.display());
    let mut child = netplay(&["tcp", "connect", &target])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"ping\n").unwrap();
    let output = wait_output(child);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "Welcome!\nping\n");
    let pid = std::process::id();
    assert!(
        stderr.contains(&format!("Connected to {target} (peer pid {pid}, uid ")),
        "{stderr}"
    );
    let refused = netplay(&["tcp", "connect", &target, "--pcap", "x.pcapng"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("a capture is IP packets"));
}

/// A peer that sends its all, half-closes, then reads everything: piped
/// stdin still reaches it whole after its FIN (TCP's half-close, as `nc`
/// does), over TCP and over a UNIX socket.
#[test]
fn an_upload_goes_on_after_the_peers_fin() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let upload: Vec<u8> = (0..4_000_000u32).map(|i| (i % 251) as u8).collect();
    let path = dir.path().join("half.sock");
    let unix = std::os::unix::net::UnixListener::bind(&path).unwrap();
    let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let tcp_addr = tcp.local_addr().unwrap();
    let (got_tx, got) = std::sync::mpsc::channel();
    let unix_got = got_tx.clone();
    std::thread::spawn(move || {
        let (mut peer, _) = unix.accept().unwrap();
        peer.write_all(b"bye\n").unwrap();
        peer.shutdown(std::net::Shutdown::Write).unwrap();
        let mut all = Vec::new();
        peer.read_to_end(&mut all).unwrap();
        unix_got.send(all.len()).unwrap();
    });
    std::thread::spawn(move || {
        let (mut peer, _) = tcp.accept().unwrap();
        peer.write_all(b"bye\n").unwrap();
        peer.shutdown(std::net::Shutdown::Write).unwrap();
        let mut all = Vec::new();
        peer.read_to_end(&mut all).unwrap();
        got_tx.send(all.len()).unwrap();
    });
    for target in [format!("unix:{}", path.display()), tcp_addr.to_string()] {
        let mut child = netplay(&["tcp", "connect", "--raw", &target])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let bytes = upload.clone();
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&bytes);
        });
        let output = wait_output(child);
        writer.join().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{target}: {stderr}");
        assert_eq!(String::from_utf8_lossy(&output.stdout), "bye\n");
        assert!(
            stderr.contains("FIN received: the peer sends no more"),
            "{stderr}"
        );
        let received = got.recv_timeout(common::WAIT).unwrap();
        assert_eq!(received, upload.len(), "{target}: the whole upload");
    }
}
