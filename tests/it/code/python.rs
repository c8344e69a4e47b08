//! The Python scripts of the Code overlay (F12), run for real against
//! netplay's own engine over loopback: a generated server answers the
//! engine's client, a generated client talks to the engine's server, and so
//! on for UDP, HTTP and the relay. Skipped, with a message, when `python3`
//! is not on PATH.

use crate::common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::{listening, wait_for, WAIT};
use netplay::code::{code_for, Setting};
use netplay::net::behaviour::greet::{Behaviour, ServerConfig};
use netplay::net::tcp_client::{self, ClientEvent};
use netplay::net::tcp_server;
use netplay::net::udp::{self, Bind, UdpEvent, UdpMode};
use netplay::net::{Engine, Event};

pub(super) fn python() -> bool {
    let found = Command::new("python3")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !found {
        eprintln!("skipped: python3 is not on PATH, so the generated scripts cannot run");
    }
    found
}

/// A running script; killed when dropped.
pub(super) struct Script {
    child: Child,
    lines: mpsc::Receiver<String>,
    _dir: tempfile::TempDir,
}

impl Script {
    pub(super) fn start(code: &str, args: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("script.py");
        std::fs::write(&path, code).unwrap();
        let mut child = Command::new("python3")
            .arg("-u")
            .arg(&path)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            lines,
            _dir: dir,
        }
    }

    /// Lines until one contains `needle` (all of them, joined).
    pub(super) fn until(&self, needle: &str) -> String {
        let mut seen = String::new();
        loop {
            match self.lines.recv_timeout(WAIT) {
                Ok(line) => {
                    seen.push_str(&line);
                    seen.push('\n');
                    if line.contains(needle) {
                        return seen;
                    }
                }
                Err(_) => panic!("no {needle:?} from the script; it printed:\n{seen}"),
            }
        }
    }

    /// The port in a line like `… on 127.0.0.1:PORT...`.
    fn port(&self, needle: &str) -> u16 {
        let line = self.until(needle);
        let after = line.rsplit_once(needle).map(|(_, rest)| rest).unwrap_or("");
        let port = after
            .split(|c: char| !c.is_ascii_digit() && c != ':')
            .next()
            .unwrap_or("")
            .rsplit(':')
            .next()
            .unwrap_or("");
        port.parse()
            .unwrap_or_else(|_| panic!("no port in {line:?}"))
    }
}

impl Drop for Script {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn engine_server(
    engine: &Engine,
    rx: &mut tokio::sync::mpsc::Receiver<Event>,
    mode: Behaviour,
) -> SocketAddr {
    let config = ServerConfig {
        behaviour: mode,
        ..ServerConfig::default()
    };
    let server = tcp_server::start(engine, "127.0.0.1:0", config);
    let addr = listening(rx, server.id()).await;
    std::mem::forget(server); // runs until the test's runtime ends
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tcp_server_script_greets_the_engines_client() {
    if !python() {
        return;
    }
    let code = code_for(&Setting::TcpServer {
        listen: "127.0.0.1:0".into(),
        mode: Behaviour::Greet,
        delay: Duration::ZERO,
        tls: None,
    });
    let script = Script::start(&code.python, &[]);
    let port = script.port("Waiting for connection on 127.0.0.1:");
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let client = tcp_client::connect(&engine, &format!("127.0.0.1:{port}"), WAIT);
    let mut got = Vec::new();
    let mut sent = false;
    wait_for(&mut rx, "Hello, Michael!", |event| {
        if let Event::Client(_, ClientEvent::Received(data)) = event {
            got.extend_from_slice(&data.preview);
        }
        if !sent && got.starts_with(b"Welcome!") {
            sent = true;
            client.send(b"Michael".to_vec()).unwrap();
        }
        got.ends_with(b"Hello, Michael!").then_some(())
    })
    .await;
    assert_eq!(got, b"Welcome!Hello, Michael!");
    client.send(b"exit".to_vec()).unwrap();
    wait_for(&mut rx, "closed", |event| match event {
        Event::Client(_, ClientEvent::Closed { .. }) => Some(()),
        _ => None,
    })
    .await;
    script.until("closed.");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tcp_client_script_talks_to_the_engines_greet_server() {
    if !python() {
        return;
    }
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let addr = engine_server(&engine, &mut rx, Behaviour::Greet).await;
    let code = code_for(&Setting::TcpClient {
        target: addr.to_string(),
        message: b"Michael".to_vec(),
        tls: None,
    });
    let script = Script::start(&code.python, &[]);
    let text = script.until("Connection closed by peer.");
    assert!(text.contains("Connected: local 127.0.0.1:"), "{text}");
    assert!(text.contains("Welcome!"), "{text}");
    assert!(text.contains("Hello, Michael!"), "{text}");
}

/// The F12 Python script of a TLS client, given netplay's local CA (what
/// the tab puts in it when its CA field is empty), against `netplay tcp
/// serve --tls`: it verifies the certificate and chats.
#[test]
fn the_tls_client_script_verifies_netplays_tls_server() {
    if !python() {
        return;
    }
    let server = common::cli::Server::start(&["tcp", "serve", "127.0.0.1:0", "--tls"]);
    let addr = server.address("Listening on ");
    let ca = common::cli::netplay(&["ca", "path"]).output().unwrap();
    let ca = String::from_utf8_lossy(&ca.stdout).trim().to_string();
    let code = code_for(&Setting::TcpClient {
        target: addr.to_string(),
        message: b"Michael".to_vec(),
        tls: Some(netplay::code::ClientTls {
            insecure: false,
            ca_file: Some(ca.clone()),
            sni: None,
        }),
    });
    let script = Script::start(&code.python, &[]);
    let text = script.until("Hello, Michael!");
    assert!(text.contains("Welcome!"), "{text}");
    // The one-liner checks the same way (where openssl is installed).
    assert!(
        code.one_liner.contains(&format!("-CAfile {ca}"))
            && code.one_liner.contains("-verify_ip 127.0.0.1"),
        "{}",
        code.one_liner
    );
    assert!(
        !code.one_liner.contains("-servername 127.0.0.1"),
        "no IP as SNI: {}",
        code.one_liner
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_udp_scripts_answer_and_ask_the_engine() {
    if !python() {
        return;
    }
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    // The client script against the engine's greet socket.
    let (_socket, addr, _) = common::open_local_udp(&engine, &mut rx, UdpMode::Greet, None).await;
    let code = code_for(&Setting::Udp {
        bind: "127.0.0.1:0".into(),
        mode: UdpMode::Greet,
        target: addr.to_string(),
        message: b"Tracy".to_vec(),
    });
    let client = Script::start(&code.python, &[]);
    client.until("Hello, Tracy!");
    // The server script against a datagram from the engine.
    let server = Script::start(&code.python, &["server"]);
    let port = server.port("Bind UDP on 127.0.0.1:");
    let sender = udp::open(
        &engine,
        Bind::Address("127.0.0.1:0".into()),
        UdpMode::Silent,
        None,
    );
    let id = sender.id();
    wait_for(&mut rx, "Bound", |event| match event {
        Event::Udp(got, UdpEvent::Bound { .. }) if *got == id => Some(()),
        _ => None,
    })
    .await;
    sender.send(&format!("127.0.0.1:{port}"), b"Sarah".to_vec());
    let reply = wait_for(&mut rx, "the reply", |event| match event {
        Event::Udp(got, UdpEvent::Received { data, .. }) if *got == id => {
            Some(data.preview.to_vec())
        }
        _ => None,
    })
    .await;
    assert_eq!(reply, b"Hello, Sarah!");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_http_script_gets_from_the_engines_http_server() {
    if !python() {
        return;
    }
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let addr = engine_server(&engine, &mut rx, Behaviour::Http).await;
    let url = format!("http://{addr}/hello");
    let request = format!("GET /hello HTTP/1.1\nHost: {addr}\nConnection: close\n\n");
    let code = code_for(&Setting::Http {
        url,
        request,
        insecure: false,
    });
    let script = Script::start(&code.python, &[]);
    let text = script.until("bytes of body");
    assert!(text.starts_with("HTTP/1.1 200 OK"), "{text}");
    assert!(!text.contains(" 0 bytes of body"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relay_script_carries_the_tutorial_chat_to_the_engines_server() {
    if !python() {
        return;
    }
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let addr = engine_server(&engine, &mut rx, Behaviour::Greet).await;
    let code = code_for(&Setting::Relay {
        listen: "127.0.0.1:0".into(),
        target: addr.to_string(),
    });
    let script = Script::start(&code.python, &[]);
    let port = script.port("Relaying 127.0.0.1:");
    let mut client = TcpStream::connect(("127.0.0.1", port)).unwrap();
    client.set_read_timeout(Some(WAIT)).unwrap();
    common::expect_bytes(&mut client, b"Welcome!");
    client.write_all(b"Michael").unwrap();
    common::expect_bytes(&mut client, b"Hello, Michael!");
    client.write_all(b"exit").unwrap();
    let mut rest = Vec::new();
    client.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty(), "{rest:?}");
    script.until("server -> client");
}

/// Every variant of every tab's code, for the syntax checks.
fn every_setting() -> Vec<Setting> {
    let mut all = Vec::new();
    for mode in Behaviour::ALL {
        for tls in [
            None,
            Some(netplay::code::ServerTls::default()),
            Some(netplay::code::ServerTls {
                cert: Some("my cert.pem".into()),
                key: Some("it's key.pem".into()),
            }),
        ] {
            for listen in ["[::1]:9999", "unix:/tmp/it's \"a\" {x}.sock"] {
                all.push(Setting::TcpServer {
                    listen: listen.into(),
                    mode,
                    delay: Duration::from_millis(500),
                    tls: tls.clone(),
                });
            }
        }
    }
    let with_ca = netplay::code::ClientTls {
        insecure: false,
        ca_file: Some("/tmp/it's ca.pem".into()),
        sni: Some("localhost".into()),
    };
    let insecure = netplay::code::ClientTls {
        insecure: true,
        ..Default::default()
    };
    for tls in [
        None,
        Some(netplay::code::ClientTls::default()),
        Some(with_ca),
        Some(insecure),
    ] {
        for target in ["localhost:9999", "unix:/tmp/it's.sock"] {
            all.push(Setting::TcpClient {
                target: target.into(),
                message: b"it's \"quoted\" \\ 100%\r\n\x1b\xff".to_vec(),
                tls: tls.clone(),
            });
        }
    }
    for mode in UdpMode::ALL {
        all.push(Setting::Udp {
            bind: "0.0.0.0:9999".into(),
            mode,
            target: "[::1]:9999".into(),
            message: Vec::new(),
        });
    }
    for (url, insecure) in [
        ("https://example.com/", true),
        ("http://[::1]:8080/x", false),
    ] {
        all.push(Setting::Http {
            url: url.into(),
            request: "POST /x HTTP/1.1\nHost: h\nContent-Type: text/plain\n\nbody 'q' \"d\"".into(),
            insecure,
        });
    }
    all.push(Setting::Relay {
        listen: "127.0.0.1:9998".into(),
        target: "example.com:80".into(),
    });
    all.push(Setting::Relay {
        listen: "hôst-é\u{202e}\u{1b}'\"\\:0".into(),
        target: "[::1]:80".into(),
    });
    all
}

#[test]
fn every_python_script_parses() {
    if !python() {
        return;
    }
    for setting in every_setting() {
        let code = code_for(&setting);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("script.py");
        std::fs::write(&path, &code.python).unwrap();
        let out = Command::new("python3")
            .args(["-c", "import ast, sys; ast.parse(open(sys.argv[1]).read())"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{setting:?}\n{}\n{}",
            String::from_utf8_lossy(&out.stderr),
            code.python
        );
    }
}

#[test]
fn every_rust_program_parses() {
    let rustfmt = Command::new("rustfmt").arg("--version").output();
    if !rustfmt.is_ok_and(|out| out.status.success()) {
        eprintln!("skipped: rustfmt is not on PATH");
        return;
    }
    for setting in every_setting() {
        let code = code_for(&setting);
        let mut child = Command::new("rustfmt")
            .args(["--edition", "2021", "--emit", "stdout"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(code.rust.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{setting:?}\n{}\n{}",
            String::from_utf8_lossy(&out.stderr),
            code.rust
        );
    }
}

/// Runs `line` with `sh`, the tools it names replaced by stubs that write
/// their arguments and standard input to files: what the one-liner would
/// really do, without a network.
fn run_with_stubs(line: &str) -> (tempfile::TempDir, String, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    for tool in ["nc", "curl", "socat", "openssl", "ncat"] {
        let stub = bin.join(tool);
        std::fs::write(
            &stub,
            format!(
                "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"{0}/args\"\ncat > \"{0}/stdin\"\n",
                dir.path().display()
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let status = Command::new("sh")
        .arg("-c")
        .arg(line)
        .current_dir(dir.path())
        .env("PATH", path)
        .stdin(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "{line}");
    let args = std::fs::read_to_string(dir.path().join("args")).unwrap_or_default();
    let stdin = std::fs::read(dir.path().join("stdin")).unwrap_or_default();
    (dir, args, stdin)
}

#[test]
fn one_liners_quote_everything_typed_so_nothing_becomes_a_command() {
    let hostile =
        b"it's 100% \"q\" \\n; touch PWNED #\r\n\x1b\xff$(touch PWNED2)`touch PWNED3`".to_vec();
    let settings = [
        Setting::TcpClient {
            target: "x;touch PWNED4;#:9999".into(),
            message: hostile.clone(),
            tls: None,
        },
        Setting::Udp {
            bind: "127.0.0.1:9999".into(),
            mode: UdpMode::Greet,
            target: "$(touch PWNED5):9".into(),
            message: hostile.clone(),
        },
    ];
    for setting in &settings {
        let code = code_for(setting);
        let line = code
            .one_liner
            .lines()
            .find(|line| line.starts_with("printf"))
            .unwrap();
        let (dir, args, stdin) = run_with_stubs(line);
        assert_eq!(stdin, hostile, "the peer gets exactly the message: {line}");
        assert!(
            args.lines()
                .any(|arg| arg.starts_with("x;touch") || arg.starts_with("$(touch")),
            "{args}"
        );
        for trap in ["PWNED", "PWNED2", "PWNED3", "PWNED4", "PWNED5"] {
            assert!(
                !dir.path().join(trap).exists(),
                "{trap} was created by: {line}"
            );
        }
    }
    let code = code_for(&Setting::Http {
        url: "http://127.0.0.1:9/x'$(touch PWNED6)".into(),
        request:
            "X$(touch${IFS}PWNED7)GET /x HTTP/1.1\nX-Evil: a'; touch PWNED8; '\n\n$(touch PWNED9)"
                .into(),
        insecure: false,
    });
    let line = code
        .one_liner
        .lines()
        .find(|line| line.starts_with("curl"))
        .unwrap();
    let (dir, args, _) = run_with_stubs(line);
    assert!(args.contains("X$(touch${IFS}PWNED7)GET"), "{args}");
    for trap in ["PWNED6", "PWNED7", "PWNED8", "PWNED9"] {
        assert!(
            !dir.path().join(trap).exists(),
            "{trap} was created by: {line}"
        );
    }
}

/// The TCP Client tab's other Targets: `unix:/path` gives AF_UNIX code and
/// `nc -U`; `via PROXY` names the proxy (never its password) and gives
/// ncat --proxy.
#[test]
fn unix_and_proxy_targets_give_their_own_code() {
    let unix = code_for(&Setting::TcpClient {
        target: "unix:/run/app.sock".into(),
        message: b"Michael".to_vec(),
        tls: None,
    });
    assert!(
        unix.python.contains("socket.AF_UNIX") && unix.python.contains("'/run/app.sock'"),
        "{}",
        unix.python
    );
    assert!(
        unix.one_liner.contains("nc -N -U '/run/app.sock'")
            || unix.one_liner.contains("nc -N -U /run/app.sock"),
        "{}",
        unix.one_liner
    );
    assert!(unix.rust.contains("UnixStream::connect"), "{}", unix.rust);
    let proxied = code_for(&Setting::TcpClient {
        target: "db.test:5432 via socks5h://bob@127.0.0.1:1080".into(),
        message: b"hi".to_vec(),
        tls: None,
    });
    assert!(
        proxied.one_liner.contains("--proxy-type socks5"),
        "{}",
        proxied.one_liner
    );
    assert!(
        proxied
            .python
            .contains("through the proxy socks5h://bob@127.0.0.1:1080"),
        "{}",
        proxied.python
    );
    assert!(
        proxied.python.contains("HOST, PORT = 'db.test', 5432"),
        "{}",
        proxied.python
    );
}
