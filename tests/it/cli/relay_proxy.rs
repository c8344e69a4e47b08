//! The relay as a proxy (`--socks5`, `--http-proxy`), driven by curl — an
//! independent client — and by netplay's own `fetch -x`: each connection
//! is a relayed pair, with credentials and an allow-list.

use crate::common;

use std::process::Command;

use common::cli::*;

/// curl, if this machine has it (`.ci/setup` installs it).
fn curl() -> bool {
    let found = Command::new("curl")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("skipped: curl is not installed (.ci/setup installs it)");
    }
    found
}

fn curl_via(proxy: &str, url: &str, more: &[&str]) -> (String, String) {
    let output = Command::new("curl")
        .args([
            "-s",
            "-S",
            "--max-time",
            "10",
            "-w",
            "\n%{http_code}",
            "-x",
            proxy,
            url,
        ])
        .args(more)
        .env_remove("ALL_PROXY")
        .env_remove("NO_PROXY")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let code = stdout.rsplit('\n').next().unwrap_or_default().to_string();
    (stdout, code)
}

#[test]
fn curl_through_the_socks5_relay_shows_each_connection_as_a_pair() {
    if !curl() {
        return;
    }
    let web = Server::start(&["tcp", "serve", "127.0.0.1:0", "--mode", "http"]);
    let web_port = web.address("Listening on ").port();
    let relay = Server::start(&["relay", "127.0.0.1:0", "--socks5", "--proxy-user", "me:pw"]);
    let proxy = relay.address("Relaying ");
    // socks5h: the relay resolves "localhost" itself.
    let url = format!("http://localhost:{web_port}/via-relay");
    let (body, code) = curl_via(&format!("socks5h://me:pw@{proxy}"), &url, &[]);
    assert_eq!(code, "200", "{body}");
    assert!(body.contains("Hello from netplay!"));
    relay.line_with(&format!(
        "asks: SOCKS5 CONNECT localhost:{web_port} (a name: resolved here)"
    ));
    relay.line_with("client → server");
    relay.line_with("closed: both sides closed");
    // Wrong password: curl is refused, the relay says why.
    let (_, code) = curl_via(&format!("socks5h://me:nope@{proxy}"), &url, &[]);
    assert_eq!(code, "000");
    relay.line_with("wrong username or password");
    // netplay's own client through netplay's relay.
    let output = netplay(&["fetch", &url, "-x", &format!("socks5://me:pw@{proxy}")])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn curl_through_the_http_proxy_relay_connect_and_absolute_form() {
    if !curl() {
        return;
    }
    let web = Server::start(&["tcp", "serve", "127.0.0.1:0", "--mode", "http"]);
    let web_addr = web.address("Listening on ");
    let tls = Server::start(&["tcp", "serve", "127.0.0.1:0", "--tls", "--mode", "http"]);
    let tls_port = tls.address("Listening on ").port();
    let relay = Server::start(&[
        "relay",
        "127.0.0.1:0",
        "--http-proxy",
        "--allow",
        "127.0.0.1",
        "--allow",
        &format!("localhost:{tls_port}"),
    ]);
    let proxy = format!("http://{}", relay.address("Relaying "));

    // Plain HTTP: the request goes whole, forwarded in origin form.
    let (body, code) = curl_via(&proxy, &format!("http://{web_addr}/plain?x=1"), &[]);
    assert_eq!(code, "200", "{body}");
    relay.line_with(&format!(
        "asks: HTTP GET http://{web_addr}/plain?x=1 (forwarded in origin form)"
    ));
    relay.line_with("GET /plain?x=1 HTTP/1.1");

    // HTTPS: CONNECT, then TLS end to end (the relay sees records).
    let output = netplay(&["ca", "path"]).output().unwrap();
    let ca = String::from_utf8_lossy(&output.stdout).trim().to_string();
    let url = format!("https://localhost:{tls_port}/secure");
    let (body, code) = curl_via(&proxy, &url, &["--cacert", &ca]);
    assert_eq!(code, "200", "{body}");
    relay.line_with(&format!("asks: HTTP CONNECT localhost:{tls_port}"));

    // Outside the allow-list: 403, and said.
    let (_, code) = curl_via(&proxy, "http://localhost:9/", &[]);
    assert_eq!(code, "403");
    relay.line_with("not in --allow: refused");
}
