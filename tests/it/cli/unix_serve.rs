//! `tcp serve unix:/path` and `relay` over UNIX sockets, with independent
//! peers (`std` UNIX streams, curl's `--unix-socket`): peers are named by
//! their credentials (SO_PEERCRED), stale files are said and removed only
//! when asked, and a proxy client can never name a socket file.

use crate::common;

use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::process::Command;

use common::cli::*;

#[test]
fn tcp_serve_on_a_unix_socket_says_who_connected_and_guards_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("echo.sock");
    let addr = format!("unix:{}", path.display());
    let server = Server::start(&["--json", "tcp", "serve", &addr, "--mode", "echo"]);
    server.line_with("\"listening\"");
    let mut client = UnixStream::connect(&path).unwrap();
    client.write_all(b"ping\n").unwrap();
    let mut back = [0u8; 5];
    client.read_exact(&mut back).unwrap();
    assert_eq!(&back, b"ping\n");
    let accepted = server.line_with("\"accepted\"");
    let pid = std::process::id();
    assert!(
        accepted.contains(&format!("\"peer_pid\":{pid}")),
        "{accepted}"
    );
    assert!(
        accepted.contains(&format!("\"local\":\"{addr}\"")),
        "{accepted}"
    );

    // The same file again: in use, said in one line, exit 1.
    let output = netplay(&["tcp", "serve", &addr]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("is in use: another socket is bound there"),
        "{stderr}"
    );
    let (code, _) = server.terminate();
    assert_eq!(code, 0);
    assert!(!path.exists(), "the server removes the file it made");

    // A stale file is said and left; --unlink-stale removes it first.
    drop(UnixListener::bind(&path).unwrap());
    let output = netplay(&["tcp", "serve", &addr]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("a stale socket file"), "{stderr}");
    assert!(stderr.contains("or start with --unlink-stale"), "{stderr}");
    assert!(
        !stderr.contains("privileged"),
        "no hint about ports: {stderr}"
    );
    assert!(path.exists(), "never deleted unless asked");
    let mut server = Server::start(&["tcp", "serve", &addr, "--unlink-stale"]);
    server.line_with("Listening on unix:");
    let mut stderr = String::new();
    let (code, _) = {
        let mut err = server.child.stderr.take().unwrap();
        let result = server.terminate();
        err.read_to_string(&mut stderr).unwrap();
        result
    };
    assert_eq!(code, 0);
    assert!(stderr.contains("Removed the stale socket file"), "{stderr}");

    // What does not apply to a UNIX socket is refused up front.
    for flag in [&["--pcap", "x.pcapng"][..], &["--tcp-info"]] {
        let mut args = vec!["tcp", "serve", &addr];
        args.extend_from_slice(flag);
        let output = netplay(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{flag:?}: {stderr}");
        assert!(
            stderr.contains("does not apply to a UNIX socket"),
            "{stderr}"
        );
    }
    // A symbolic link (here to a stale socket) is never replaced or
    // removed, even with --unlink-stale.
    let stale = dir.path().join("stale.sock");
    drop(UnixListener::bind(&stale).unwrap());
    let link = dir.path().join("link.sock");
    std::os::unix::fs::symlink(&stale, &link).unwrap();
    let link_addr = format!("unix:{}", link.display());
    let output = netplay(&["tcp", "serve", &link_addr, "--unlink-stale"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("is a symbolic link"), "{stderr}");
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(stale.exists());
    // A path too long for a socket address is a usage error.
    let long = format!("unix:/tmp/{}", "x".repeat(120));
    let output = netplay(&["tcp", "serve", &long]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("at most 107 bytes"));

    // A regular file is never taken for a socket, nor replaced.
    std::fs::write(&path, "data").unwrap();
    let output = netplay(&["tcp", "serve", &addr]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("is a regular file, not a socket"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), b"data");
    let output = netplay(&["tcp", "serve", &addr, "--unlink-stale"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert_eq!(std::fs::read(&path).unwrap(), b"data");
}

/// curl speaks HTTP over the relay's socket file (`--unix-socket`), the
/// relay forwards to a TCP web server: one pair, named by curl's pid.
#[test]
fn curl_over_a_unix_socket_through_the_relay_to_tcp() {
    if !super::relay_proxy::curl() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("relay.sock");
    let web = Server::start(&["tcp", "serve", "127.0.0.1:0", "--mode", "http"]);
    let web_addr = web.address("Listening on ");
    let listen = format!("unix:{}", path.display());
    let relay = Server::start(&["relay", &listen, &web_addr.to_string()]);
    relay.line_with("Relaying unix:");
    let curl = Command::new("curl")
        .args(["-s", "-S", "--max-time", "10", "--unix-socket"])
        .arg(&path)
        .arg("http://docker/v1.43/version")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let curl_pid = curl.id();
    let output = wait_output(curl);
    let body = String::from_utf8_lossy(&output.stdout);
    assert!(body.contains("Hello from netplay!"), "{body}");
    assert!(body.contains("GET /v1.43/version"), "{body}");
    relay.line_with(&format!("client pid {curl_pid} uid "));
    relay.line_with("upstream open: 127.0.0.1:");
    relay.line_with("closed: both sides closed");
}

/// A proxy client names host:port; `unix:/path` is never a socket file
/// here, in SOCKS5 or in a CONNECT: the relay must not hand a remote
/// client a way into this machine's UNIX sockets. (Two guards: the name
/// is refused as no host name, and only the relay's own target may be a
/// UNIX socket.)
#[test]
fn a_proxy_client_cannot_reach_a_unix_socket() {
    let dir = tempfile::tempdir().unwrap();
    // Named so that the target `unix:…/private.sock` port 80, written
    // host:port, is this very file's path.
    let private = UnixListener::bind(dir.path().join("private.sock:80")).unwrap();
    private.set_nonblocking(true).unwrap();
    let relay = Server::start(&["relay", "127.0.0.1:0", "--socks5"]);
    let proxy = relay.address("Relaying ");
    let name = format!("unix:{}", dir.path().join("private.sock").display());
    let mut socks = std::net::TcpStream::connect(proxy).unwrap();
    socks.set_read_timeout(Some(common::WAIT)).unwrap();
    socks.write_all(&[5, 1, 0]).unwrap();
    let mut reply = [0u8; 2];
    socks.read_exact(&mut reply).unwrap();
    assert_eq!(reply, [5, 0]);
    let mut request = vec![5, 1, 0, 3, name.len() as u8];
    request.extend_from_slice(name.as_bytes());
    request.extend_from_slice(&80u16.to_be_bytes());
    socks.write_all(&request).unwrap();
    let mut answer = [0u8; 10];
    socks.read_exact(&mut answer).unwrap();
    assert_ne!(answer[1], 0, "refused: {answer:?}");
    relay.line_with("named a target that is not a host name");
    let http = Server::start(&["relay", "127.0.0.1:0", "--http-proxy"]);
    let proxy = http.address("Relaying ");
    let mut client = std::net::TcpStream::connect(proxy).unwrap();
    client.set_read_timeout(Some(common::WAIT)).unwrap();
    write!(
        client,
        "CONNECT {name}:80 HTTP/1.1\r\nHost: {name}:80\r\n\r\n"
    )
    .unwrap();
    let mut head = String::new();
    let _ = client.read_to_string(&mut head);
    assert!(!head.starts_with("HTTP/1.1 200"), "{head}");
    http.line_with("not host:port");
    assert!(
        matches!(private.accept(), Err(err) if err.kind() == std::io::ErrorKind::WouldBlock),
        "nothing reached the socket file"
    );
}

/// TLS over a socket file: `tcp serve unix:… --tls` (netplay's local CA),
/// answered by netplay's own `tcp connect --tls unix:…` and by curl
/// (`--unix-socket` with `https://`), each verifying the certificate for
/// localhost.
#[test]
fn tls_over_a_unix_socket_both_ways() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tls.sock");
    let addr = format!("unix:{}", path.display());
    let server = Server::start(&["tcp", "serve", &addr, "--tls", "--mode", "http"]);
    server.line_with("Listening on unix:");
    let mut child = netplay(&["tcp", "connect", "--tls", &addr])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"GET /over-tls HTTP/1.1\nHost: localhost\nConnection: close\n\n")
        .unwrap();
    let output = wait_output(child);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stdout.starts_with("HTTP/1.1 200 OK"), "{stdout}");
    assert!(stderr.contains("SNI localhost"), "{stderr}");
    assert!(
        stderr.contains("verified: signed by netplay's local CA"),
        "{stderr}"
    );
    server.line_with("TLS handshake done with pid ");
    if !super::relay_proxy::curl() {
        return;
    }
    let ca = netplay(&["ca", "path"]).output().unwrap();
    let ca = String::from_utf8_lossy(&ca.stdout).trim().to_string();
    let curl = Command::new("curl")
        .args([
            "-s",
            "-S",
            "--max-time",
            "10",
            "--cacert",
            &ca,
            "--unix-socket",
        ])
        .arg(&path)
        .arg("https://localhost/by-curl")
        .output()
        .unwrap();
    let body = String::from_utf8_lossy(&curl.stdout);
    assert!(
        body.contains("GET /by-curl HTTP/1.1"),
        "{body} {}",
        String::from_utf8_lossy(&curl.stderr)
    );
}

/// A recording made over a UNIX socket — as a client (remote `unix:…`) or
/// as a server (local `unix:…`, the peer by pid) — is not turned into a
/// pcapng file: said in words, not as a bad address.
#[test]
fn a_unix_recording_is_not_a_capture() {
    let dir = tempfile::tempdir().unwrap();
    let body =
        "{\"t_us\":1,\"event\":\"connected\"}\n{\"t_us\":2,\"dir\":\"out\",\"data\":\"hi\"}\n";
    for (name, head) in [
        (
            "client.jsonl",
            r#"{"netplay_record":1,"side":"client","local":"unix","remote":"unix:/run/x.sock","start_us":1}"#,
        ),
        (
            "server.jsonl",
            r#"{"netplay_record":1,"side":"server","local":"unix:/run/x.sock","remote":"pid 1 uid 0 gid 0","start_us":1}"#,
        ),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, format!("{head}\n{body}")).unwrap();
        let out = dir.path().join("out.pcapng");
        let output = netplay(&["pcap", path.to_str().unwrap(), "-o", out.to_str().unwrap()])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{name}: {stderr}");
        assert!(
            stderr.contains("a recording of a UNIX socket"),
            "{name}: {stderr}"
        );
        assert!(!out.exists());
    }
}
