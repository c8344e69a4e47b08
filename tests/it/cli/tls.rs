//! `tcp serve --tls` and `tcp connect --tls` as a person runs them (the
//! `openssl s_server` / `s_client` pair): the built binary, a generated or
//! given certificate, verification, and the errors in plain words.

use crate::common;

use std::io::Write;
use std::process::Stdio;

use common::cli::*;
use common::tls::{ca_file, pki, server_files};

fn scratch_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "netplay-cli-tls-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `tcp connect` with `args`, `input` on stdin; its output.
fn connect(args: &[&str], input: &[u8]) -> std::process::Output {
    let mut child = netplay(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input).unwrap();
    drop(stdin);
    wait_output(child)
}

/// The CA file `netplay ca path` names (made on first use).
fn ca_path_of_this_run() -> String {
    let output = netplay(&["ca", "path"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// A `GET` through `tcp connect --tls` with `extra` flags; its output.
fn get_over_tls(addr: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["tcp", "connect", "--raw", "--tls"];
    args.extend_from_slice(extra);
    args.push(addr);
    connect(
        &args,
        b"GET / HTTP/1.1\r\nHost: lab\r\nConnection: close\r\n\r\n",
    )
}

#[test]
fn a_tls_server_without_cert_uses_netplays_local_ca_and_writes_nothing_here() {
    let dir = scratch_dir();
    let first = Server::start_in(
        &dir,
        &["tcp", "serve", "127.0.0.1:0", "--tls", "--mode", "http"],
    );
    let line = first.line_with("signed by netplay's local CA");
    assert!(line.contains("SHA-256 "), "{line}");
    let first_addr = first.address("Listening on ").to_string();
    // A second server in the same directory: before, it replaced the
    // first one's certificate file; now each has its own leaf, one CA.
    let second = Server::start_in(
        &dir,
        &["tcp", "serve", "127.0.0.1:0", "--tls", "--mode", "http"],
    );
    second.line_with("signed by netplay's local CA");
    let second_addr = second.address("Listening on ").to_string();
    let written: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert!(
        written.is_empty(),
        "nothing in the working directory: {written:?}"
    );

    let ca = ca_path_of_this_run();
    assert!(std::fs::read_to_string(&ca)
        .unwrap()
        .starts_with("-----BEGIN CERTIFICATE-----"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let key = std::path::Path::new(&ca).with_file_name("ca-key.pem");
        let mode = std::fs::metadata(key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the CA's key is private");
    }
    for addr in [&first_addr, &second_addr] {
        // Given the CA file, as curl --cacert is: the chain verifies.
        let output = get_over_tls(addr, &["--cacert", &ca]);
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{stderr}");
        assert!(stdout.starts_with("HTTP/1.1 200 OK"), "{stdout}");
        assert!(
            stderr.contains("verified: the chain leads to a trusted root"),
            "{stderr}"
        );
        assert!(
            stderr.contains("names    DNS:localhost, IP:127.0.0.1, IP:::1"),
            "{stderr}"
        );
        // Without it: netplay's own client trusts its CA, and says so.
        let output = get_over_tls(addr, &[]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{stderr}");
        assert!(
            stderr.contains("verified: signed by netplay's local CA"),
            "{stderr}"
        );
    }
    first.line_with("TLS handshake done with 127.0.0.1:");

    // Python's ssl, given the CA file, verifies the server by name.
    let port = first_addr.rsplit(':').next().unwrap();
    let script = format!(
        "import socket, ssl\nctx = ssl.create_default_context(cafile={ca:?})\nwith socket.create_connection(('127.0.0.1', {port}), timeout=10) as raw:\n    with ctx.wrap_socket(raw, server_hostname='localhost') as tls:\n        tls.sendall(b'GET / HTTP/1.0\\r\\n\\r\\n')\n        print(tls.recv(64).decode().split('\\r\\n')[0])\n"
    );
    if let Ok(output) = std::process::Command::new("python3")
        .args(["-c", &script])
        .output()
    {
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stdout.starts_with("HTTP/1.1 200 OK"), "{stdout} {stderr}");
    }
    // Where openssl is installed, it verifies with the CA file too.
    if let Ok(mut child) = std::process::Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &second_addr,
            "-CAfile",
            &ca,
            "-verify_return_error",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        drop(child.stdin.take());
        let output = wait_output(child);
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(text.contains("Verify return code: 0 (ok)"), "{text}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn ca_install_prints_the_commands_and_runs_none() {
    let ca = ca_path_of_this_run();
    let output = netplay(&["ca", "install"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains(&format!("curl --cacert {ca}")), "{text}");
    assert!(text.contains("update-ca-certificates"), "{text}");
}

#[test]
fn the_users_certificate_sni_and_json() {
    let pki = pki(&["localhost"], false);
    let (cert, key) = server_files(&pki);
    let ca = ca_file(&pki);
    let server = Server::start(&[
        "tcp",
        "serve",
        "127.0.0.1:0",
        "--tls",
        "--cert",
        cert.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
        "--mode",
        "echo",
    ]);
    let addr = server.address("Listening on ").to_string();
    // By IP the name does not match; --sni sends (and checks) localhost.
    let output = connect(
        &[
            "tcp",
            "connect",
            "--tls",
            "--cacert",
            ca.to_str().unwrap(),
            &addr,
        ],
        b"",
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("is not valid for 127.0.0.1: it is for DNS:localhost")
            && stderr.contains("--sni NAME"),
        "{stderr}"
    );
    let output = connect(
        &[
            "--json",
            "tcp",
            "connect",
            "--tls",
            "--cacert",
            ca.to_str().unwrap(),
            "--sni",
            "localhost",
            "--alpn",
            "echo/1,x",
            &addr,
        ],
        b"ping\n",
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let tls_line = stdout
        .lines()
        .find(|line| line.contains("\"event\":\"tls\""))
        .unwrap_or_else(|| panic!("no tls event: {stdout}"));
    let value: serde_json::Value = serde_json::from_str(tls_line).unwrap();
    assert_eq!(value["version"], "TLSv1.3");
    assert_eq!(value["sni"], "localhost");
    assert!(value["handshake_us"].as_u64().is_some());
    assert!(stdout.contains("\"event\":\"received\""), "{stdout}");
    let line = server.line_with("TLS handshake done with");
    assert!(line.contains("SNI localhost"), "{line}");
    for file in [cert, key, ca] {
        std::fs::remove_file(file).unwrap();
    }
}

#[test]
fn plain_text_to_a_tls_port_is_explained_on_the_client_side_too() {
    let server = Server::start(&["tcp", "serve", "127.0.0.1:0", "--tls"]);
    let addr = server.address("Listening on ").to_string();
    let output = connect(&["tcp", "connect", &addr], b"hi\n");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("these bytes are a TLS alert: the server speaks TLS")
            && stderr.contains("(--tls)"),
        "{stderr}"
    );
    assert!(
        output.stdout.starts_with(b"\x15\x03"),
        "stdout stays the bytes"
    );
    server.line_with("client sent plain text to a TLS port");
}
