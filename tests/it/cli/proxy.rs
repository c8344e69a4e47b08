//! `-x/--proxy` through independent proxies (tests/it/common/proxies.rs,
//! written on std::net): SOCKS5 with and without the proxy resolving the
//! name, HTTP CONNECT for TLS, absolute form for plain HTTP, credentials,
//! refusals said in words, and curl's environment variables.

use crate::common;

use std::io::Write;
use std::process::Stdio;

use common::cli::*;
use common::proxies;

fn ca_path() -> String {
    let output = netplay(&["ca", "path"]).output().unwrap();
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

#[test]
fn fetch_through_socks5_with_and_without_remote_names() {
    let web = Server::start(&["tcp", "serve", "127.0.0.1:0", "--mode", "http"]);
    let port = web.address("Listening on ").port();
    let (proxy, seen) = proxies::socks5(None);

    // socks5h: the name goes to the proxy (only it knows web.test).
    let url = format!("http://web.test:{port}/via-socks");
    let output = netplay(&["fetch", "-v", &url, "-x", &format!("socks5h://{proxy}")])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("Hello from netplay!"));
    assert!(
        stderr.contains(&format!(
            "SOCKS5   CONNECT web.test:{port} (the proxy resolves the name) → succeeded"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("> Host: web.test:"),
        "the URL's Host: {stderr}"
    );
    // socks5: netplay resolves, the proxy gets an address.
    let url = format!("http://localhost:{port}/local-dns");
    let output = netplay(&["fetch", &url, "--proxy", &format!("socks5://{proxy}")])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let seen = seen.lock().unwrap().clone();
    let first = format!("name:web.test:{port}");
    assert_eq!(seen[0], first);
    assert!(
        seen[1] == format!("127.0.0.1:{port}") || seen[1] == format!("::1:{port}"),
        "{seen:?}"
    );
}

#[test]
fn https_through_an_http_connect_proxy_with_credentials() {
    let tls = Server::start(&["tcp", "serve", "127.0.0.1:0", "--tls", "--mode", "http"]);
    let port = tls.address("Listening on ").port();
    // "user:secret" in base64.
    let (proxy, seen) = proxies::http(Some("Basic dXNlcjpzZWNyZXQ="));
    let url = format!("https://localhost:{port}/tunnel");
    let ca = ca_path();
    let output = netplay(&[
        "fetch",
        "-v",
        &url,
        "-x",
        &format!("http://user:secret@{proxy}"),
        "--cacert",
        &ca,
    ])
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("* > CONNECT localhost:{port} HTTP/1.1")),
        "{stderr}"
    );
    assert!(
        stderr.contains("* > Proxy-Authorization: Basic ***"),
        "hidden: {stderr}"
    );
    assert!(
        stderr.contains("* < HTTP/1.1 200 Connection established"),
        "{stderr}"
    );
    assert!(stderr.contains("SNI      localhost"), "{stderr}");
    assert_eq!(
        seen.lock().unwrap()[0],
        format!("CONNECT localhost:{port} HTTP/1.1")
    );

    // Without the credentials: the 407 said in words.
    let output = netplay(&[
        "fetch",
        &url,
        "-x",
        &format!("http://{proxy}"),
        "--cacert",
        &ca,
    ])
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("the proxy wants credentials (407"),
        "{stderr}"
    );
}

#[test]
fn plain_http_goes_to_an_http_proxy_in_absolute_form() {
    let web = Server::start(&["tcp", "serve", "127.0.0.1:0", "--mode", "http"]);
    let port = web.address("Listening on ").port();
    let (proxy, seen) = proxies::http(None);
    let url = format!("http://web.test:{port}/whole?x=1");
    let output = netplay(&["fetch", "-v", &url, "-x", &proxy.to_string()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("absolute form"), "{stderr}");
    assert_eq!(
        seen.lock().unwrap()[0],
        format!("GET http://web.test:{port}/whole?x=1 HTTP/1.1")
    );
}

#[test]
fn refusals_and_bad_logins_are_said_in_words() {
    let (proxy, seen) = proxies::socks5(Some(("user", "right")));
    let refused = netplay(&[
        "fetch",
        "http://127.0.0.1:1/",
        "-x",
        &format!("socks5://user:right@{proxy}"),
    ])
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(
        stderr.contains("connection refused by the target"),
        "{stderr}"
    );
    let wrong = netplay(&[
        "tcp",
        "connect",
        "127.0.0.1:7",
        "-x",
        &format!("socks5://user:wrong@{proxy}"),
    ])
    .stdin(Stdio::null())
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert!(!wrong.status.success());
    assert!(
        stderr.contains("refused the username and password"),
        "{stderr}"
    );
    let none = netplay(&[
        "fetch",
        "http://127.0.0.1:7/",
        "-x",
        &format!("socks5://{proxy}"),
    ])
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&none.stderr);
    assert!(stderr.contains("wants a username and password"), "{stderr}");
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        ["127.0.0.1:1", "bad login"]
    );
    let bad = netplay(&["fetch", "http://x.test/", "-x", "ftp://p.test"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn tcp_connect_and_ws_take_the_proxy_and_the_environment() {
    let echo = Server::start(&["tcp", "serve", "127.0.0.1:0", "--mode", "echo"]);
    let port = echo.address("Listening on ").port();
    let (proxy, seen) = proxies::socks5(None);
    let mut child = netplay(&[
        "tcp",
        "connect",
        &format!("echo.test:{port}"),
        "-x",
        &format!("socks5h://{proxy}"),
    ])
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    child.stdin.take().unwrap().write_all(b"through\n").unwrap();
    let output = wait_output(child);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "through\n");
    assert!(stderr.contains("SOCKS5   CONNECT echo.test:"), "{stderr}");
    assert_eq!(seen.lock().unwrap()[0], format!("name:echo.test:{port}"));

    // ws:// takes http_proxy from the environment, as a browser would.
    let ws = Server::start(&["ws", "serve", "127.0.0.1:0"]);
    let ws_port = ws.address("Listening on ").port();
    let (http_proxy, http_seen) = proxies::http(None);
    let mut child = netplay(&["ws", &format!("ws://greet.test:{ws_port}/")])
        .env("http_proxy", format!("http://{http_proxy}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"Tracy\n").unwrap();
    let output = wait_output(child);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("Hello, Tracy!"));
    assert_eq!(
        http_seen.lock().unwrap()[0],
        format!("CONNECT greet.test:{ws_port} HTTP/1.1")
    );

    // NO_PROXY (or --noproxy) exempts a host: a dead proxy is not tried.
    let web = Server::start(&["tcp", "serve", "127.0.0.1:0", "--mode", "http"]);
    let url = format!("http://{}/direct", web.address("Listening on "));
    let output = netplay(&["fetch", &url])
        .env("ALL_PROXY", "socks5://127.0.0.1:1")
        .env("NO_PROXY", "localhost,127.0.0.0/8")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = netplay(&[
        "fetch",
        &url,
        "-x",
        "socks5://127.0.0.1:1",
        "--noproxy",
        "127.0.0.1",
    ])
    .output()
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = netplay(&["fetch", &url])
        .env("ALL_PROXY", "socks5://127.0.0.1:1")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .output()
        .unwrap();
    assert!(!output.status.success(), "the environment's proxy is used");
    // NO_PROXY exempts a host from -x too, as curl does.
    let output = netplay(&["fetch", &url, "-x", "socks5://127.0.0.1:1"])
        .env("NO_PROXY", "127.0.0.1")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // A bad proxy URL is said without its password.
    let output = netplay(&["fetch", &url, "-x", "https://me:s3cret@127.0.0.1:1"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        !stderr.contains("s3cret") && stderr.contains("me:***@"),
        "{stderr}"
    );
}
