//! The relay as a proxy (`--socks5`, `--http-proxy`), driven by curl — an
//! independent client — and by netplay's own `fetch -x`: each connection
//! is a relayed pair, with credentials and an allow-list.

use crate::common;

use std::process::Command;

use common::cli::*;

/// curl, if this machine has it (`.ci/setup` installs it).
pub(super) fn curl() -> bool {
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

/// A plain-HTTP origin for these tests: records each request head, answers
/// and closes (as a server told `Connection: close` does).
fn recording_origin() -> (
    std::net::SocketAddr,
    std::sync::Arc<std::sync::Mutex<Vec<String>>>,
) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let heads = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = std::sync::Arc::clone(&heads);
    std::thread::spawn(move || {
        for stream in listener.incoming().map_while(Result::ok) {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut head = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                head.push_str(&line);
            }
            record.lock().unwrap().push(head);
            let mut stream = stream;
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
        }
    });
    (addr, heads)
}

/// Two requests, two servers, one curl on keep-alive: each server gets its
/// own request in origin form, without the proxy's credentials, and told
/// to close after it (so the next request is read afresh).
#[test]
fn absolute_form_requests_never_carry_the_proxy_credentials_onward() {
    if !curl() {
        return;
    }
    let (first, first_heads) = recording_origin();
    let (second, second_heads) = recording_origin();
    let relay = Server::start(&[
        "relay",
        "127.0.0.1:0",
        "--http-proxy",
        "--proxy-user",
        "u:p",
    ]);
    let proxy = format!("http://u:p@{}", relay.address("Relaying "));
    let output = Command::new("curl")
        .args(["-s", "--max-time", "10", "-x", &proxy])
        .arg(format!("http://{first}/a"))
        .arg(format!("http://{second}/b"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout), "okok");
    for (heads, path) in [(&first_heads, "/a"), (&second_heads, "/b")] {
        let heads = heads.lock().unwrap();
        assert_eq!(heads.len(), 1, "{heads:?}");
        assert!(
            heads[0].starts_with(&format!("GET {path} HTTP/1.1\r\n")),
            "{heads:?}"
        );
        assert!(
            !heads[0].to_ascii_lowercase().contains("proxy-"),
            "{heads:?}"
        );
        assert!(heads[0].contains("Connection: close\r\n"), "{heads:?}");
    }
}

/// A SOCKS5 client naming the relay itself (0.0.0.0, or a v4-mapped
/// address) is refused; so is a name that is not one.
#[test]
fn the_relay_refuses_itself_and_names_that_are_not_names() {
    use std::io::{Read, Write};
    let relay = Server::start(&["relay", "127.0.0.1:0", "--socks5"]);
    let addr = relay.address("Relaying ");
    let ask = |atyp: u8, host: &[u8]| {
        let mut client = std::net::TcpStream::connect(addr).unwrap();
        client.set_read_timeout(Some(common::WAIT)).unwrap();
        client.write_all(&[5, 1, 0]).unwrap();
        let mut chosen = [0u8; 2];
        client.read_exact(&mut chosen).unwrap();
        let mut request = vec![5, 1, 0, atyp];
        if atyp == 3 {
            request.push(host.len() as u8);
        }
        request.extend_from_slice(host);
        request.extend_from_slice(&addr.port().to_be_bytes());
        client.write_all(&request).unwrap();
        let mut reply = [0u8; 10];
        client
            .read_exact(&mut reply)
            .map(|()| reply[1])
            .unwrap_or(0xff)
    };
    assert_ne!(ask(1, &[0, 0, 0, 0]), 0, "0.0.0.0 is this relay");
    let mut mapped = [0u8; 16];
    mapped[10] = 0xff;
    mapped[11] = 0xff;
    mapped[12..].copy_from_slice(&[127, 0, 0, 1]);
    assert_ne!(ask(4, &mapped), 0, "::ffff:127.0.0.1 is this relay");
    assert_ne!(ask(3, b"\x1b]0;pwn\x07evil.test"), 0, "not a name");
    relay.line_with("would relay to itself");
    relay.line_with("not a host name");
}

/// The relay's HTTP proxy: Host comes from the URL, the path goes as
/// written, and a proxy URL's userinfo is not shown.
#[test]
fn a_forwarded_request_gets_the_urls_host_and_its_own_path() {
    use std::io::{Read, Write};
    let (origin, heads) = recording_origin();
    let relay = Server::start(&["relay", "127.0.0.1:0", "--http-proxy"]);
    let proxy = relay.address("Relaying ");
    let mut client = std::net::TcpStream::connect(proxy).unwrap();
    client.set_read_timeout(Some(common::WAIT)).unwrap();
    let request = format!(
        "GET http://user:pw@{origin}/a/%2e%2e/../s?x=%zz HTTP/1.1\r\nHost: admin.internal\r\n\r\n"
    );
    client.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    client.read_to_string(&mut answer).unwrap();
    assert!(answer.ends_with("ok"), "{answer}");
    let heads = heads.lock().unwrap();
    assert!(
        heads[0].starts_with("GET /a/%2e%2e/../s?x=%zz HTTP/1.1\r\n"),
        "{heads:?}"
    );
    assert!(
        heads[0].contains(&format!("Host: {origin}\r\n")),
        "{heads:?}"
    );
    assert!(!heads[0].contains("admin.internal"), "{heads:?}");
    let line = relay.line_with("asks: HTTP GET");
    assert!(!line.contains("pw"), "{line}");
}
