//! TLS on the TCP engines over loopback: netplay's TLS server and client
//! with each other in every mode, against tokio-rustls and the HTTP engine,
//! and against the failures people meet (plain text on a TLS port, TLS on
//! a plain port, unknown CA, wrong name, expired, a pinned self-signed CA).

use crate::common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use common::tls::{ca_file, pki, self_signed_ca_leaf, server_files, Pki};
use common::*;
use netplay::net::behaviour::greet::{Behaviour, ServerConfig};
use netplay::net::tcp_client::{self, ClientEvent, ClientHandle};
use netplay::net::tcp_server::{self, ServerEvent, ServerHandle};
use netplay::net::tls::{self, TlsInfo, TlsOptions, Verdict};
use netplay::net::{CloseReason, Engine, Event};
use tokio::sync::mpsc::Receiver;

fn config(behaviour: Behaviour) -> ServerConfig {
    ServerConfig {
        behaviour,
        reply_delay: Duration::ZERO,
        ..ServerConfig::default()
    }
}

/// A netplay TLS server with `pki`'s certificate and key files.
async fn tls_server(
    engine: &Engine,
    rx: &mut Receiver<Event>,
    behaviour: Behaviour,
    pki: &Pki,
) -> (ServerHandle, SocketAddr) {
    let (cert, key) = server_files(pki);
    let tls = tls::server::server(Some(&cert), Some(&key)).expect("TLS server");
    let server =
        tcp_server::start_with(engine, "127.0.0.1:0", config(behaviour), Some(tls.acceptor));
    let addr = listening(rx, server.id()).await;
    (server, addr)
}

fn trusting(ca: &std::path::Path) -> TlsOptions {
    TlsOptions {
        extra_ca: Some(ca.to_path_buf()),
        ..TlsOptions::default()
    }
}

/// Connects with TLS; the handshake's outcome.
async fn tls_client(
    engine: &Engine,
    rx: &mut Receiver<Event>,
    addr: SocketAddr,
    options: TlsOptions,
) -> (ClientHandle, Result<TlsInfo, String>) {
    let asked = std::time::Instant::now();
    let client = tcp_client::connect_with(engine, &addr.to_string(), WAIT, Some(options));
    let id = client.id();
    let outcome = wait_for(rx, "TlsEstablished or ConnectFailed", |event| match event {
        Event::Client(
            got,
            ClientEvent::TlsEstablished {
                info,
                connect,
                handshake,
                done,
            },
        ) if *got == id => {
            // One clock: the connect and the handshake fit between asking
            // and the moment the handshake was done.
            let span = done.saturating_duration_since(asked);
            assert!(
                *connect + *handshake <= span + std::time::Duration::from_millis(1),
                "connect {connect:?} + handshake {handshake:?} > {span:?}"
            );
            Some(Ok((**info).clone()))
        }
        Event::Client(got, ClientEvent::ConnectFailed { reason }) if *got == id => {
            Some(Err(reason.clone()))
        }
        _ => None,
    })
    .await;
    (client, outcome)
}

/// What one TLS conversation has shown so far (events from both ends
/// arrive interleaved on one channel, so nothing is waited for alone).
#[derive(Default)]
struct Seen {
    client_tls: Option<TlsInfo>,
    server_tls: Option<(netplay::net::ConnId, String)>,
    client_bytes: Vec<u8>,
    server_bytes: Vec<u8>,
    half_closed: Option<netplay::net::ConnId>,
    client_closed: Option<CloseReason>,
}

impl Seen {
    fn fold(&mut self, event: &Event) {
        match event {
            Event::Client(_, ClientEvent::TlsEstablished { info, .. }) => {
                self.client_tls = Some((**info).clone())
            }
            Event::Client(_, ClientEvent::ConnectFailed { reason }) => panic!("{reason}"),
            Event::Client(_, ClientEvent::Received(data)) => {
                self.client_bytes.extend_from_slice(&data.preview)
            }
            Event::Client(_, ClientEvent::Closed { reason }) => {
                self.client_closed = Some(reason.clone())
            }
            Event::Server(_, ServerEvent::TlsAccepted { conn, version, .. }) => {
                self.server_tls = Some((*conn, version.clone()))
            }
            Event::Server(_, ServerEvent::Received { data, .. }) => {
                self.server_bytes.extend_from_slice(&data.preview)
            }
            Event::Server(_, ServerEvent::PeerHalfClosed { conn }) => {
                self.half_closed = Some(*conn)
            }
            _ => {}
        }
    }
}

/// Folds events into `seen` until `done` holds.
async fn until(
    rx: &mut Receiver<Event>,
    seen: &mut Seen,
    what: &str,
    done: impl Fn(&Seen) -> bool,
) {
    if done(seen) {
        return;
    }
    wait_for(rx, what, |event| {
        seen.fold(event);
        done(seen).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mode_over_tls_between_netplay_peers() {
    let pki = pki(&["127.0.0.1", "localhost"], false);
    let ca = ca_file(&pki);
    for behaviour in [
        Behaviour::Greet,
        Behaviour::Echo,
        Behaviour::Discard,
        Behaviour::Manual,
        Behaviour::Http,
    ] {
        let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
        let (server, addr) = tls_server(&engine, &mut rx, behaviour, &pki).await;
        let client =
            tcp_client::connect_with(&engine, &addr.to_string(), WAIT, Some(trusting(&ca)));
        let mut seen = Seen::default();
        until(&mut rx, &mut seen, "both handshakes", |seen| {
            seen.client_tls.is_some() && seen.server_tls.is_some()
        })
        .await;
        let info = seen.client_tls.clone().unwrap();
        assert_eq!(info.version, "TLSv1.3");
        assert_eq!(info.verdict, Some(Verdict::Trusted));
        assert_eq!(info.chain[0].names, ["IP:127.0.0.1", "DNS:localhost"]);
        let (conn, version) = seen.server_tls.clone().unwrap();
        assert_eq!(version, "TLSv1.3");
        let expect =
            |seen: &Seen, bytes: &[u8]| seen.client_bytes.windows(bytes.len()).any(|w| w == bytes);
        match behaviour {
            Behaviour::Greet => {
                until(&mut rx, &mut seen, "Welcome!", |s| expect(s, b"Welcome!")).await;
                client.send(b"Michael".to_vec()).unwrap();
                until(&mut rx, &mut seen, "the greeting", |s| {
                    expect(s, b"Hello, Michael!")
                })
                .await;
            }
            Behaviour::Echo => {
                client.send(b"ping".to_vec()).unwrap();
                until(&mut rx, &mut seen, "the echo", |s| expect(s, b"ping")).await;
            }
            Behaviour::Discard => {
                client.send(b"into the void".to_vec()).unwrap();
                until(&mut rx, &mut seen, "the server's read", |s| {
                    s.server_bytes == b"into the void"
                })
                .await;
            }
            Behaviour::Manual => {
                server.send(conn, b"typed by hand".to_vec()).unwrap();
                until(&mut rx, &mut seen, "the manual reply", |s| {
                    expect(s, b"typed by hand")
                })
                .await;
            }
            Behaviour::Rules => {
                let rules =
                    netplay::net::behaviour::rules::Rules::parse("^hi (.*)$ => ho $1\\n").unwrap();
                server.set_rules(Some(std::sync::Arc::new(rules)));
                client.send(b"hi tls\n".to_vec()).unwrap();
                until(&mut rx, &mut seen, "the rule's reply", |s| {
                    expect(s, b"ho tls\n")
                })
                .await;
            }
            Behaviour::Http => {
                client
                    .send(b"GET /tls HTTP/1.1\r\nHost: lab\r\nConnection: close\r\n\r\n".to_vec())
                    .unwrap();
                until(&mut rx, &mut seen, "the response", |s| {
                    expect(s, b"HTTP/1.1 200 OK")
                })
                .await;
            }
        }
        // Half-close: close_notify, then FIN; the server reads its end.
        // (The http mode may have closed already: Connection: close.)
        let _ = client.shutdown_write();
        if behaviour == Behaviour::Manual {
            until(&mut rx, &mut seen, "the half-close", |s| {
                s.half_closed == Some(conn)
            })
            .await;
            server.kick(conn).unwrap(); // manual mode waits for us
        }
        until(&mut rx, &mut seen, "the close", |s| {
            s.client_closed.is_some()
        })
        .await;
        assert_eq!(seen.client_closed, Some(CloseReason::Peer), "{behaviour:?}");
    }
    std::fs::remove_file(ca).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_rustls_and_the_http_engine_against_the_tls_http_mode() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let pki = pki(&["localhost"], false);
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let (_server, addr) = tls_server(&engine, &mut rx, Behaviour::Http, &pki).await;

    let mut roots = rustls::RootCertStore::empty();
    use rustls::pki_types::pem::PemObject;
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(pki.ca_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls_stream = connector.connect(name, stream).await.unwrap();
    tls_stream
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut response = Vec::new();
    tls_stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8_lossy(&response);
    assert!(text.starts_with("HTTP/1.1 200 OK"), "{text}");
    let sni = wait_for(&mut rx, "TlsAccepted", |event| match event {
        Event::Server(_, ServerEvent::TlsAccepted { sni, .. }) => Some(sni.clone()),
        _ => None,
    })
    .await;
    assert_eq!(
        sni.as_deref(),
        Some("localhost"),
        "the SNI received is shown"
    );

    // The HTTP engine, verification on, through the extra CA.
    let ca = ca_file(&pki);
    use netplay::net::http::request::{default_request, parse_url, to_wire};
    let url = parse_url(&format!("https://localhost:{}/", addr.port())).unwrap();
    let request = netplay::net::http::FetchRequest {
        refuse: Default::default(),
        capture: None,
        names: Default::default(),
        proxy: None,
        unix_socket: None,
        wire: to_wire(&default_request(&url, "GET")),
        head_request: false,
        url,
        tls: TlsOptions {
            extra_ca: Some(ca.clone()),
            ..TlsOptions::default()
        },
        timeout: WAIT,
        body: netplay::net::http::BodyTarget::Spool,
    };
    let handle = netplay::net::http::fetch(&engine, request);
    let id = handle.id();
    let status = wait_for(&mut rx, "the response head", |event| match event {
        Event::Http(got, netplay::net::http::HttpEvent::Head(head)) if *got == id => {
            Some(head.status)
        }
        Event::Http(got, netplay::net::http::HttpEvent::Failed { reason, .. }) if *got == id => {
            panic!("{reason}")
        }
        _ => None,
    })
    .await;
    assert_eq!(status, 200);
    std::fs::remove_file(ca).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_text_on_a_tls_port_and_tls_on_a_plain_port() {
    let pki = pki(&["127.0.0.1"], false);
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let (_server, addr) = tls_server(&engine, &mut rx, Behaviour::Greet, &pki).await;
    let plain = tcp_client::connect(&engine, &addr.to_string(), WAIT);
    plain.send(b"hello?\n".to_vec()).unwrap();
    let reason = wait_for(&mut rx, "TlsFailed", |event| match event {
        Event::Server(_, ServerEvent::TlsFailed { reason, .. }) => Some(reason.clone()),
        _ => None,
    })
    .await;
    assert_eq!(reason, "client sent plain text to a TLS port");

    let plain_server = tcp_server::start(&engine, "127.0.0.1:0", config(Behaviour::Greet));
    let plain_addr = listening(&mut rx, plain_server.id()).await;
    let (_client, outcome) = tls_client(&engine, &mut rx, plain_addr, TlsOptions::default()).await;
    let reason = outcome.unwrap_err();
    assert!(reason.contains("did not answer with TLS"), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_ca_wrong_name_expired_and_pinned_over_tcp() {
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());

    let good = pki(&["127.0.0.1"], false);
    let (_server, addr) = tls_server(&engine, &mut rx, Behaviour::Echo, &good).await;
    let (_client, outcome) = tls_client(&engine, &mut rx, addr, TlsOptions::default()).await;
    let reason = outcome.unwrap_err();
    assert!(
        reason.contains("signed by an unknown authority (CN=netplay test CA)")
            && reason.contains("--cacert FILE"),
        "{reason}"
    );
    let insecure = TlsOptions {
        insecure: true,
        ..TlsOptions::default()
    };
    let (_client, outcome) = tls_client(&engine, &mut rx, addr, insecure).await;
    let info = outcome.unwrap();
    assert!(info.insecure && info.verification().starts_with("NOT verified"));

    let wrong = pki(&["example.test"], false);
    let (_server, addr) = tls_server(&engine, &mut rx, Behaviour::Echo, &wrong).await;
    let ca = ca_file(&wrong);
    let (_client, outcome) = tls_client(&engine, &mut rx, addr, trusting(&ca)).await;
    let reason = outcome.unwrap_err();
    assert!(
        reason.contains("is not valid for 127.0.0.1: it is for DNS:example.test"),
        "{reason}"
    );
    // …and right when the expected name is sent (SNI).
    let mut named = trusting(&ca);
    named.sni = Some("example.test".into());
    let (_client, outcome) = tls_client(&engine, &mut rx, addr, named).await;
    assert_eq!(outcome.unwrap().sni.as_deref(), Some("example.test"));
    std::fs::remove_file(ca).unwrap();

    let expired = pki(&["127.0.0.1"], true);
    let (_server, addr) = tls_server(&engine, &mut rx, Behaviour::Echo, &expired).await;
    let ca = ca_file(&expired);
    let (_client, outcome) = tls_client(&engine, &mut rx, addr, trusting(&ca)).await;
    let reason = outcome.unwrap_err();
    assert!(reason.contains("expired on"), "{reason}");
    std::fs::remove_file(ca).unwrap();

    let pinned = self_signed_ca_leaf(&["localhost", "127.0.0.1"]);
    let (_server, addr) = tls_server(&engine, &mut rx, Behaviour::Echo, &pinned).await;
    let ca = ca_file(&pinned);
    let (_client, outcome) = tls_client(&engine, &mut rx, addr, trusting(&ca)).await;
    let info = outcome.unwrap();
    assert_eq!(info.verdict, Some(Verdict::Pinned));
    assert!(info.chain[0].is_ca);
    std::fs::remove_file(ca).unwrap();
}

/// A TLS client that sends and never reads: the stalled-write timeout must
/// still close it (the close_notify it will never take cannot hold the
/// close forever).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_peer_that_never_reads_is_still_closed_by_the_idle_timeout() {
    use tokio::io::AsyncWriteExt;
    let pki = pki(&["localhost"], false);
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let (cert, key) = server_files(&pki);
    let tls = tls::server::server(Some(&cert), Some(&key)).unwrap();
    let config = ServerConfig {
        behaviour: Behaviour::Echo,
        reply_delay: Duration::ZERO,
        idle_timeout: Some(Duration::from_millis(500)),
        ..ServerConfig::default()
    };
    let server = tcp_server::start_with(&engine, "127.0.0.1:0", config, Some(tls.acceptor));
    let addr = listening(&mut rx, server.id()).await;
    let mut roots = rustls::RootCertStore::empty();
    use rustls::pki_types::pem::PemObject;
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(pki.ca_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.connect(&addr.into()).unwrap();
    socket.set_nonblocking(true).unwrap();
    let stream = tokio::net::TcpStream::from_std(socket.into()).unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls_stream = connector.connect(name, stream).await.unwrap();
    let flood = tokio::spawn(async move {
        let block = vec![b'x'; 64 * 1024];
        while tls_stream.write_all(&block).await.is_ok() {}
    });
    let reason = wait_for(&mut rx, "Closed", |event| match event {
        Event::Server(_, ServerEvent::Closed { reason, .. }) => Some(reason.clone()),
        _ => None,
    })
    .await;
    assert!(reason.to_string().contains("--idle-timeout"), "{reason}");
    server.stop();
    wait_for(&mut rx, "Stopped", |event| {
        matches!(event, Event::Server(_, ServerEvent::Stopped)).then_some(())
    })
    .await;
    flood.abort();
    for file in [cert, key] {
        std::fs::remove_file(file).unwrap();
    }
}

/// A pinned certificate whose validity starts in the future is "not valid
/// yet", not "expired".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pinned_certificate_not_valid_yet_says_so() {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.not_before = rcgen::date_time_ymd(2090, 1, 1);
    params.not_after = rcgen::date_time_ymd(2091, 1, 1);
    let cert = params.self_signed(&key).unwrap();
    let future = Pki {
        ca_pem: cert.pem(),
        server_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        server_cert: cert.der().clone(),
        server_key: rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
    };
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let (_server, addr) = tls_server(&engine, &mut rx, Behaviour::Echo, &future).await;
    let ca = ca_file(&future);
    let (_client, outcome) = tls_client(&engine, &mut rx, addr, trusting(&ca)).await;
    let reason = outcome.unwrap_err();
    assert!(reason.contains("is not valid until"), "{reason}");
    std::fs::remove_file(ca).unwrap();
}
