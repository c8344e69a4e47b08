//! The HTTP tab through a proxy: a curl command with `-x` (pasted into the
//! URL field) sets how the next requests reach their server; the
//! addresses view shows the proxy's handshake and the four names.

use crate::common;

use common::ui::*;
use crossterm::event::KeyCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_curl_command_with_a_proxy_sends_through_it() {
    let (mut app, mut rx) = new_app();
    let text = http_server_tab(&mut app, &mut rx, "127.0.0.1:0").await;
    let port = port_after(&text, "Listening on 127.0.0.1:");
    let (proxy, seen) = common::proxies::socks5(None);

    app.on_key(alt('1'));
    app.on_paste(&format!(
        "curl -x socks5h://{proxy} http://web.test:{port}/proxied"
    ));
    let text = show(&mut app);
    assert!(text.contains(&format!("via socks5h://{proxy}")), "{text}");
    app.on_key(key(KeyCode::Enter));
    pump_until(&mut app, &mut rx, "HTTP/1.1 200 OK\\r\\n").await;
    app.on_key(key(F2));
    app.on_key(key(F2));
    let text = show(&mut app);
    assert!(text.contains("the proxy resolves the name"), "{text}");
    assert!(text.contains("Host     web.test:"), "{text}");
    assert_eq!(seen.lock().unwrap()[0], format!("name:web.test:{port}"));
}

/// `URL via PROXY-URL` typed in the HTTP tab's URL field: that request
/// goes through the proxy; the password is used, then hidden from the
/// field (and from what is remembered).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_url_via_a_proxy_sends_through_it_and_hides_the_password() {
    let (mut app, mut rx) = new_app();
    let text = http_server_tab(&mut app, &mut rx, "127.0.0.1:0").await;
    let port = port_after(&text, "Listening on 127.0.0.1:");
    let (proxy, seen) = common::proxies::socks5(Some(("bob", "s3cret")));
    app.on_key(alt('1'));
    set_field(
        &mut app,
        &format!("http://web.test:{port}/typed via socks5h://bob:s3cret@{proxy}"),
    );
    let text = show(&mut app);
    assert!(
        text.contains("Host: web.test:"),
        "the request's Host is the URL's: {text}"
    );
    app.on_key(key(KeyCode::Enter));
    let text = pump_until(&mut app, &mut rx, "HTTP/1.1 200 OK\\r\\n").await;
    assert!(!text.contains("s3cret"), "{text}");
    assert!(
        text.contains(&format!("via socks5h://bob@{proxy}")),
        "{text}"
    );
    assert_eq!(seen.lock().unwrap()[0], format!("name:web.test:{port}"));
}

/// The TCP Client tab: `host:port via PROXY-URL` goes through the proxy,
/// its handshake in the transcript.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_tab_connects_through_a_proxy_named_in_target() {
    let (mut app, mut rx) = new_app();
    let echo = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = echo.local_addr().unwrap().port();
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        let (mut peer, _) = echo.accept().unwrap();
        peer.write_all(b"Welcome!").unwrap();
        let mut buf = [0u8; 64];
        let n = peer.read(&mut buf).unwrap();
        peer.write_all(&buf[..n]).unwrap();
    });
    let (proxy, seen) = common::proxies::socks5(None);
    app.on_key(alt('3'));
    set_field(&mut app, &format!("echo.test:{port} via socks5h://{proxy}"));
    app.on_key(key(KeyCode::Enter));
    let text = pump_until(&mut app, &mut rx, "Welcome!").await;
    assert!(
        text.contains(&format!("SOCKS5   CONNECT echo.test:{port}")),
        "{text}"
    );
    // The status and the message title name the target, not the proxy
    // (the proxy is the 4-tuple's other end).
    let through = format!("echo.test:{port} (through the proxy at {proxy})");
    assert!(text.contains(&format!("Connected to {through}")), "{text}");
    assert!(text.contains(&format!("Message to {through}")), "{text}");
    type_text(&mut app, "Sarah");
    app.on_key(key(KeyCode::Enter));
    pump_until(&mut app, &mut rx, "6 B: Sarah").await;
    assert_eq!(seen.lock().unwrap()[0], format!("name:echo.test:{port}"));
}

/// `unix:/path` as the Target: the tab talks over a UNIX socket and says
/// who is on the other end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_tab_talks_over_a_unix_socket() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("greet.sock");
    let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    std::thread::spawn(move || {
        let (mut peer, _) = listener.accept().unwrap();
        peer.write_all(b"Welcome!").unwrap();
        std::thread::sleep(std::time::Duration::from_secs(2));
    });
    let (mut app, mut rx) = new_app();
    app.on_key(alt('3'));
    set_field(&mut app, &format!("unix:{}", path.display()));
    app.on_key(key(KeyCode::Enter));
    let text = pump_until(&mut app, &mut rx, "Welcome!").await;
    assert!(
        text.contains(&format!("Connected to unix:{}", path.display())),
        "{text}"
    );
    assert!(text.contains("peer pid"), "{text}");
}

/// A proxy password typed in the Target is used, then hidden: the field
/// shows `user@` only, and the password is never on screen again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_password_in_target_is_used_then_hidden() {
    let (mut app, mut rx) = new_app();
    let echo = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = echo.local_addr().unwrap().port();
    std::thread::spawn(move || {
        use std::io::Write;
        let (mut peer, _) = echo.accept().unwrap();
        peer.write_all(b"Welcome!").unwrap();
        std::thread::sleep(std::time::Duration::from_secs(2));
    });
    let (proxy, seen) = common::proxies::socks5(Some(("bob", "s3cret")));
    app.on_key(alt('3'));
    set_field(
        &mut app,
        &format!("echo.test:{port} via socks5h://bob:s3cret@{proxy}"),
    );
    app.on_key(key(KeyCode::Enter));
    let text = pump_until(&mut app, &mut rx, "Welcome!").await;
    assert!(!text.contains("s3cret"), "{text}");
    assert!(
        text.contains(&format!("via socks5h://bob@{proxy}")),
        "{text}"
    );
    assert_eq!(seen.lock().unwrap()[0], format!("name:echo.test:{port}"));
}

/// A curl command with `--unix-socket` (pasted into the HTTP tab) sends
/// over the socket file, to the server tab listening there in http mode:
/// the answer names the client by its pid, the names view the socket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_curl_command_with_a_unix_socket_reaches_the_server_tab_on_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("api.sock");
    let (mut app, mut rx) = new_app();
    let text = http_server_tab(&mut app, &mut rx, &format!("unix:{}", path.display())).await;
    assert!(text.contains("Listening on unix:"), "{text}");
    app.on_key(alt('1'));
    app.on_paste(&format!(
        "curl --unix-socket {} http://docker/v1.43/version",
        path.display()
    ));
    let text = show(&mut app);
    assert!(text.contains("over the UNIX socket"), "{text}");
    app.on_key(key(KeyCode::Enter));
    let client = format!("Client:  pid {} uid", std::process::id());
    pump_until(&mut app, &mut rx, &client).await;
    app.on_key(key(F2));
    app.on_key(key(F2));
    let text = show(&mut app);
    assert!(text.contains("not looked up: --unix-socket"), "{text}");
    assert!(text.contains("address  unix:"), "{text}");
}

/// A redirect followed (F9) goes through the same proxy as the request
/// that got it, password and all; and a `via` typed after a pasted
/// `curl --unix-socket` wins over the socket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_and_a_typed_proxy_keep_to_the_proxy() {
    use std::io::{Read, Write};
    let web = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = web.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for (at, stream) in web.incoming().enumerate() {
            let Ok(mut stream) = stream else { return };
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let head = String::from_utf8_lossy(&head);
            let path = head.split(' ').nth(1).unwrap_or_default();
            let answer = match at {
                0 => "HTTP/1.1 302 Found\r\nLocation: /final\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string(),
                _ => {
                    let body = format!("page at {path}\n");
                    format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
                }
            };
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    let (proxy, seen) = common::proxies::socks5(Some(("bob", "pw")));
    let (mut app, mut rx) = new_app();
    app.on_key(alt('1'));
    set_field(
        &mut app,
        &format!("http://web.test:{port}/start via socks5h://bob:pw@{proxy}"),
    );
    app.on_key(key(KeyCode::Enter));
    pump_until(&mut app, &mut rx, "302 Found").await;
    app.on_key(key(KeyCode::F(9)));
    pump_until(&mut app, &mut rx, "page at /final").await;
    assert_eq!(seen.lock().unwrap().len(), 2, "both through the proxy");

    // A pasted curl command's socket, then a typed proxy: the proxy wins.
    app.on_paste("curl --unix-socket /nonexistent/netplay.sock http://docker/x");
    set_field(
        &mut app,
        &format!("http://web.test:{port}/final via socks5h://bob:pw@{proxy}"),
    );
    app.on_key(key(KeyCode::Enter));
    // The pasted command's request (GET /x), through the typed proxy.
    pump_until(&mut app, &mut rx, "page at /x").await;
    assert_eq!(seen.lock().unwrap().len(), 3);
}
