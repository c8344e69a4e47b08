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

#[test]
fn a_generated_certificate_is_written_out_and_verifies() {
    let dir = scratch_dir();
    let server = Server::start_in(
        &dir,
        &["tcp", "serve", "127.0.0.1:0", "--tls", "--mode", "http"],
    );
    let line = server.line_with("written to ./netplay-cert.pem");
    assert!(line.contains("SHA-256 "), "{line}");
    let addr = server.address("Listening on ").to_string();
    let cert = dir.join("netplay-cert.pem");
    assert!(std::fs::read_to_string(&cert)
        .unwrap()
        .starts_with("-----BEGIN CERTIFICATE-----"));

    let cacert = cert.to_str().unwrap();
    let output = connect(
        &[
            "tcp", "connect", "--raw", "--tls", "--cacert", cacert, &addr,
        ],
        b"GET / HTTP/1.1\r\nHost: lab\r\nConnection: close\r\n\r\n",
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stdout.starts_with("HTTP/1.1 200 OK"), "{stdout}");
    assert!(stderr.contains("TLS handshake done in"), "{stderr}");
    assert!(stderr.contains("verified: pinned"), "{stderr}");
    assert!(
        stderr.contains("names    DNS:localhost, IP:127.0.0.1, IP:::1"),
        "{stderr}"
    );
    server.line_with("TLS handshake done with 127.0.0.1:");

    // Without the CA: one sentence naming the flags that fix it.
    let output = connect(&["tcp", "connect", "--tls", &addr], b"");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    // The generated certificate is its own CA (as `openssl req -x509`
    // makes it): the sentence says to pin that file.
    assert!(
        last.contains("a CA certificate used as the server's own")
            && last.contains("pass that same file with --cacert FILE to pin it, or -k"),
        "{stderr}"
    );
    server.line_with("client rejected our certificate");

    // Where openssl is installed, it verifies the file too (optional: nothing
    // depends on the openssl binary).
    if let Ok(mut child) = std::process::Command::new("openssl")
        .args(["s_client", "-connect", &addr, "-CAfile", cacert])
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
