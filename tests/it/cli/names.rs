//! `--resolve` and `--connect-to` as curl defines them: the connection
//! goes elsewhere while the Host header and the TLS server name stay the
//! URL's — four separate things, shown as four lines.

use crate::common;

use std::io::Write;
use std::process::Stdio;

use common::cli::*;

fn ca_path() -> String {
    let output = netplay(&["ca", "path"]).output().unwrap();
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

#[test]
fn fetch_connect_to_and_resolve_keep_the_urls_host_and_sni() {
    let server = Server::start(&["tcp", "serve", "127.0.0.1:0", "--tls", "--mode", "http"]);
    let port = server.address("Listening on ").port();
    let ca = ca_path();
    // The URL says localhost:443; the connection goes to the server.
    let connect_to = format!("localhost:443:127.0.0.1:{port}");
    let output = netplay(&[
        "fetch",
        "-v",
        "https://localhost/moved",
        "--connect-to",
        &connect_to,
        "--cacert",
        &ca,
    ])
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("Hello from netplay!"));
    assert!(
        stderr.contains("--connect-to localhost:443 → 127.0.0.1:"),
        "{stderr}"
    );
    assert!(stderr.contains("* Host     localhost\n"), "{stderr}");
    assert!(stderr.contains("* SNI      localhost\n"), "{stderr}");
    assert!(stderr.contains("> Host: localhost\n"), "{stderr}");

    // --resolve: no DNS for the name, which stays the Host and the SNI.
    let url = format!("https://localhost:{port}/pinned");
    let resolve = format!("localhost:{port}:127.0.0.1");
    let output = netplay(&["fetch", "-v", &url, "--resolve", &resolve, "--cacert", &ca])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("(from --resolve: no DNS)"), "{stderr}");
    assert!(!stderr.contains("* Resolved"), "no lookup: {stderr}");

    // A name the certificate does not cover: the TLS check uses the URL's
    // name, not the address connected to.
    let url = format!("https://example.test:{port}/");
    let resolve = format!("example.test:{port}:127.0.0.1");
    let output = netplay(&["fetch", &url, "--resolve", &resolve, "--cacert", &ca])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("example.test"), "{stderr}");
}

#[test]
fn tcp_connect_and_ws_take_the_same_overrides() {
    let echo = Server::start(&["tcp", "serve", "127.0.0.1:0", "--mode", "echo"]);
    let port = echo.address("Listening on ").port();
    let connect_to = format!("echo.test:7:127.0.0.1:{port}");
    let mut child = netplay(&["tcp", "connect", "echo.test:7", "--connect-to", &connect_to])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"ping\n").unwrap();
    let output = wait_output(child);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "ping\n");
    assert!(
        stderr.contains("--connect-to echo.test:7 → 127.0.0.1:"),
        "{stderr}"
    );

    let ws = Server::start(&["ws", "serve", "127.0.0.1:0"]);
    let port = ws.address("Listening on ").port();
    let url = format!("ws://greeter.test:{port}/");
    let resolve = format!("greeter.test:{port}:127.0.0.1");
    let mut child = netplay(&["ws", &url, "--resolve", &resolve])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"Michael\n").unwrap();
    let output = wait_output(child);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "Welcome!\nHello, Michael!\n"
    );
    drop(ws);
}

#[test]
fn malformed_overrides_are_refused_with_the_reason() {
    for args in [
        &["fetch", "http://x.test/", "--resolve", "x.test:80"][..],
        &[
            "fetch",
            "http://x.test/",
            "--resolve",
            "x.test:80:not-an-ip",
        ],
        &["tcp", "connect", "x.test:80", "--connect-to", "a:1:b"],
        &["ws", "ws://x.test/", "--connect-to", "a:99999:b:1"],
    ] {
        let output = netplay(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("--resolve") || stderr.contains("--connect-to"),
            "{stderr}"
        );
    }
}
