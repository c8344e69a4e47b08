//! The HTTP engine against a real HTTP server library (hyper), raw
//! `std::net` fakes that misbehave on purpose, and rustls servers with
//! rcgen-generated certificates. Loopback only.

use crate::common;

use std::convert::Infallible;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use http_body_util::{combinators::BoxBody, BodyExt, Full, StreamBody};
use hyper::body::{Bytes, Frame, Incoming};
use hyper::{Request, Response};
use netplay::net::http::request::{default_request, parse_url, to_wire};
use netplay::net::http::{self, BodySummary, FetchRequest, Head, HttpEvent, TlsInfo, TlsOptions};
use netplay::net::{Engine, Event, RequestId};
use tokio::sync::mpsc::Receiver;

type Body = BoxBody<Bytes, Infallible>;

const BIG: usize = 64 * 1024 * 1024;

fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).boxed()
}

/// The real HTTP server every happy-path test talks to.
async fn handler(req: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    let path = req.uri().path().to_string();
    let response = match path.as_str() {
        "/len" => Response::new(full("hello")),
        "/chunked" => {
            let frames = vec![
                Ok::<_, Infallible>(Frame::data(Bytes::from_static(b"hello "))),
                Ok(Frame::data(Bytes::from_static(b"chunked world"))),
                Ok(Frame::trailers({
                    let mut trailers = hyper::HeaderMap::new();
                    trailers.insert("x-checksum", "42".parse().unwrap());
                    trailers
                })),
            ];
            let mut response =
                Response::new(StreamBody::new(futures_util::stream::iter(frames)).boxed());
            response
                .headers_mut()
                .insert("trailer", "x-checksum".parse().unwrap());
            response
        }
        "/204" => Response::builder().status(204).body(full("")).unwrap(),
        "/304" => Response::builder().status(304).body(full("")).unwrap(),
        "/301" => Response::builder()
            .status(301)
            .header("location", "/len")
            .body(full("moved"))
            .unwrap(),
        "/gzip" => {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            encoder.write_all(&b"gzip body ".repeat(500)).unwrap();
            Response::builder()
                .header("content-encoding", "gzip")
                .body(full(encoder.finish().unwrap()))
                .unwrap()
        }
        "/big" => {
            let frames = (0..BIG / (1024 * 1024))
                .map(|i| Ok::<_, Infallible>(Frame::data(Bytes::from(big_piece(i)))));
            Response::builder()
                .header("content-length", BIG.to_string())
                .body(StreamBody::new(futures_util::stream::iter(frames)).boxed())
                .unwrap()
        }
        "/slow" => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Response::new(full("too late"))
        }
        _ => Response::builder().status(404).body(full("no")).unwrap(),
    };
    Ok(response)
}

/// One mebibyte of the big body; each differs so misordering is caught.
fn big_piece(index: usize) -> Vec<u8> {
    (0..1024 * 1024)
        .map(|j| ((index * 31 + j * 7) % 251) as u8)
        .collect()
}

async fn hyper_server() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let io = hyper_util::rt::TokioIo::new(stream);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, hyper::service::service_fn(handler))
                    .await;
            });
        }
    });
    addr
}

/// What one request produced.
#[derive(Default)]
pub(super) struct Outcome {
    interims: Vec<Head>,
    head: Option<Head>,
    trailers: Vec<(String, Vec<u8>)>,
    body: Option<BodySummary>,
    pub(super) error: Option<String>,
    pub(super) tls: Option<TlsInfo>,
    sent: Vec<u8>,
}

async fn run(rx: &mut Receiver<Event>, id: RequestId) -> Outcome {
    let mut outcome = Outcome::default();
    loop {
        let event = common::wait_for(rx, "an HTTP event", |event| match event {
            Event::Http(got, e) if *got == id => Some(e.clone()),
            _ => None,
        })
        .await;
        match event {
            HttpEvent::Interim(head) => outcome.interims.push(*head),
            HttpEvent::Head(head) => outcome.head = Some(*head),
            HttpEvent::Trailers(t) => outcome.trailers = t,
            HttpEvent::TlsEstablished(info) => outcome.tls = Some(*info),
            HttpEvent::RequestSent(sent) => outcome.sent = sent.preview.into_vec(),
            HttpEvent::Done { body, .. } => {
                outcome.body = Some(*body);
                return outcome;
            }
            HttpEvent::Failed { reason, body, .. } => {
                outcome.error = Some(reason);
                outcome.body = body.map(|body| *body);
                return outcome;
            }
            _ => {}
        }
    }
}

pub(super) fn request(url: &str, method: &str) -> FetchRequest {
    let url = parse_url(url).unwrap();
    FetchRequest {
        refuse: Default::default(),
        capture: None,
        names: Default::default(),
        proxy: None,
        unix_socket: None,
        wire: to_wire(&default_request(&url, method)),
        head_request: method == "HEAD",
        url,
        tls: TlsOptions::default(),
        timeout: Duration::from_secs(20),
        body: http::BodyTarget::Spool,
    }
}

pub(super) async fn get(engine: &Engine, rx: &mut Receiver<Event>, req: FetchRequest) -> Outcome {
    let handle = http::fetch(engine, req);
    let outcome = run(rx, handle.id()).await;
    drop(handle);
    outcome
}

pub(super) fn ok_body(outcome: &Outcome) -> Vec<u8> {
    assert!(outcome.error.is_none(), "failed: {:?}", outcome.error);
    outcome.body.as_ref().expect("body").preview.clone()
}

pub(super) fn engine() -> (Engine, Receiver<Event>) {
    Engine::new(tokio::runtime::Handle::current())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hyper_framings_and_no_body_statuses() {
    let addr = hyper_server().await;
    let (engine, mut rx) = engine();
    let base = format!("http://{addr}");

    let len = get(&engine, &mut rx, request(&format!("{base}/len"), "GET")).await;
    assert_eq!(ok_body(&len), b"hello");
    let head = len.head.unwrap();
    assert_eq!(head.status, 200);
    assert!(String::from_utf8_lossy(&head.raw).starts_with("HTTP/1.1 200 OK\r\n"));
    assert!(String::from_utf8_lossy(&len.sent).starts_with("GET /len HTTP/1.1\r\nHost: 127.0.0.1:"));

    // hyper sends trailers only to clients that say they accept them
    let mut with_te = request(&format!("{base}/chunked"), "GET");
    with_te.wire = to_wire(&format!(
        "GET /chunked HTTP/1.1\nHost: {addr}\nTE: trailers\nConnection: close\n\n"
    ));
    let chunked = get(&engine, &mut rx, with_te).await;
    assert_eq!(ok_body(&chunked), b"hello chunked world");
    assert_eq!(
        chunked.trailers,
        vec![("x-checksum".to_string(), b"42".to_vec())]
    );

    let head_only = get(&engine, &mut rx, request(&format!("{base}/len"), "HEAD")).await;
    assert!(ok_body(&head_only).is_empty());
    assert_eq!(
        head_only.head.unwrap().header("content-length"),
        Some(&b"5"[..])
    );

    for status in [204u16, 304] {
        let outcome = get(
            &engine,
            &mut rx,
            request(&format!("{base}/{status}"), "GET"),
        )
        .await;
        assert!(ok_body(&outcome).is_empty());
        assert_eq!(outcome.head.unwrap().status, status);
    }

    let moved = get(&engine, &mut rx, request(&format!("{base}/301"), "GET")).await;
    let head = moved.head.unwrap();
    assert_eq!(head.status, 301);
    assert_eq!(head.location().as_deref(), Some("/len"));

    let gzip = get(&engine, &mut rx, request(&format!("{base}/gzip"), "GET")).await;
    let body = gzip.body.unwrap();
    let decoded = body.decoded.expect("decoded");
    assert_eq!(decoded.encoding, "gzip");
    assert_eq!(decoded.size, 5000);
    assert!(decoded.preview.starts_with(b"gzip body gzip body"));
    assert!(body.size < 5000, "raw size is the compressed size");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_64_mib_body_streams_to_disk_and_saves_byte_for_byte() {
    let addr = hyper_server().await;
    let (engine, mut rx) = engine();
    let handle = http::fetch(&engine, request(&format!("http://{addr}/big"), "GET"));
    let id = handle.id();
    let outcome = run(&mut rx, id).await;
    let body = outcome.body.expect("body");
    assert!(outcome.error.is_none(), "{:?}", outcome.error);
    assert_eq!(body.size, BIG as u64);
    assert_eq!(
        body.preview.len(),
        http::body::BODY_PREVIEW,
        "only a preview in memory"
    );
    let dir = std::env::temp_dir().join(format!("netplay-big-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    http::save_body(
        &engine,
        id,
        body.spool.clone().expect("spool"),
        dir.clone(),
        "big.bin".into(),
    );
    let saved: PathBuf = common::wait_for(&mut rx, "Saved", |event| match event {
        Event::Http(got, HttpEvent::Saved(path)) if *got == id => Some(path.clone()),
        Event::Http(_, HttpEvent::SaveFailed(reason)) => panic!("save failed: {reason}"),
        _ => None,
    })
    .await;
    let mut file = std::fs::File::open(&saved).unwrap();
    let mut piece = vec![0u8; 1024 * 1024];
    for index in 0..BIG / (1024 * 1024) {
        file.read_exact(&mut piece).unwrap();
        assert!(piece == big_piece(index), "mebibyte {index} differs");
    }
    assert_eq!(file.read(&mut piece).unwrap(), 0, "no extra bytes");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_server_hits_the_timeout_and_cancel_stops() {
    let addr = hyper_server().await;
    let (engine, mut rx) = engine();
    let mut slow = request(&format!("http://{addr}/slow"), "GET");
    slow.timeout = Duration::from_millis(300);
    let outcome = get(&engine, &mut rx, slow).await;
    let error = outcome.error.expect("timed out");
    assert!(
        error.contains("timed out after 300 ms while waiting for the response"),
        "{error}"
    );

    let handle = http::fetch(&engine, request(&format!("http://{addr}/slow"), "GET"));
    common::wait_for(&mut rx, "RequestSent", |event| match event {
        Event::Http(id, HttpEvent::RequestSent(_)) if *id == handle.id() => Some(()),
        _ => None,
    })
    .await;
    handle.cancel();
    let outcome = run(&mut rx, handle.id()).await;
    assert_eq!(outcome.error.as_deref(), Some("cancelled"));
}

/// A raw server that answers every connection with `reply` and closes.
pub(super) fn fake_server(reply: &'static [u8]) -> SocketAddr {
    common::answering_server(reply.to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misbehaving_servers_get_clear_errors() {
    let (engine, mut rx) = engine();
    let mut oversized: Vec<u8> = b"HTTP/1.1 200 OK\r\nX-Big: ".to_vec();
    oversized.extend(std::iter::repeat_n(b'a', 70 * 1024));
    let oversized: &'static [u8] = Box::leak(oversized.into_boxed_slice());
    // Complete in one read, and still over the limit.
    let mut big = b"HTTP/1.1 200 OK\r\nX-Big: ".to_vec();
    big.extend(std::iter::repeat_n(b'a', 100 * 1024));
    big.extend_from_slice(b"\r\nContent-Length: 0\r\n\r\n");
    let big: &'static [u8] = Box::leak(big.into_boxed_slice());
    // Invalid (so read leniently) and far too long.
    let mut many = b"HTTP/1.1 200 OK\r\nnot a header\r\n".to_vec();
    for _ in 0..15_000 {
        many.extend_from_slice(b"a: b\r\n");
    }
    many.extend_from_slice(b"\r\n");
    let many: &'static [u8] = Box::leak(many.into_boxed_slice());
    let cases: Vec<(&'static [u8], &str)> = vec![
        (b"HTTP/1.1 2OO OK\r\n\r\n", "malformed response head"),
        (oversized, "larger than 64 KiB"),
        (big, "larger than 64 KiB"),
        (many, "more than 100 lines"),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
            "conflicting Content-Length values 5 and 6",
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nnope\r\n",
            "bad chunk size",
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this",
            "truncated body: 9 of 100 bytes",
        ),
        (
            b"Welcome!",
            "not an HTTP response: the server sent \"Welcome!\"",
        ),
        (b"", "without sending a response"),
    ];
    for (reply, expected) in cases {
        let addr = fake_server(reply);
        let outcome = get(&engine, &mut rx, request(&format!("http://{addr}/"), "GET")).await;
        let error = outcome
            .error
            .unwrap_or_else(|| panic!("{expected}: no error"));
        assert!(
            error.contains(expected),
            "wanted {expected:?}, got {error:?}"
        );
    }
    // close-delimited with a warning-free head still succeeds
    let addr = fake_server(b"HTTP/1.0 200 OK\r\n\r\nuntil close");
    let outcome = get(&engine, &mut rx, request(&format!("http://{addr}/"), "GET")).await;
    assert_eq!(ok_body(&outcome), b"until close");
    // both lengths: handled as chunked, with a warning
    let addr = fake_server(
        b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
    );
    let outcome = get(&engine, &mut rx, request(&format!("http://{addr}/"), "GET")).await;
    assert_eq!(ok_body(&outcome), b"ok");
    assert!(outcome.head.unwrap().warnings[0].contains("Content-Length ignored"));
    // 100 Continue is shown and skipped
    let addr =
        fake_server(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
    let outcome = get(&engine, &mut rx, request(&format!("http://{addr}/"), "GET")).await;
    assert_eq!(ok_body(&outcome), b"hi");
    assert_eq!(outcome.interims[0].status, 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_and_reset_mid_body() {
    let (engine, mut rx) = engine();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let outcome = get(
        &engine,
        &mut rx,
        request(&format!("http://{closed}/"), "GET"),
    )
    .await;
    assert!(outcome.error.unwrap().contains("connection refused"));

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = [0u8; 4096];
        let _ = stream.read(&mut request);
        stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial")
            .unwrap();
        // RST instead of FIN: linger 0 via unread data is not portable, so
        // shut down after making the kernel reset with pending input.
        stream.write_all(b"").unwrap();
        drop(stream);
    });
    let outcome = get(&engine, &mut rx, request(&format!("http://{addr}/"), "GET")).await;
    let error = outcome.error.unwrap();
    assert!(
        error.contains("truncated body: 7 of 1000") || error.contains("reset"),
        "{error}"
    );
    assert_eq!(
        outcome.body.unwrap().preview,
        b"partial",
        "what arrived is kept"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn against_netplays_own_http_mode() {
    use netplay::net::behaviour::greet::{Behaviour, ServerConfig};
    let (engine, mut rx) = engine();
    let server = netplay::net::tcp_server::start(
        &engine,
        "127.0.0.1:0",
        ServerConfig {
            behaviour: Behaviour::Http,
            reply_delay: Duration::ZERO,
            ..Default::default()
        },
    );
    let addr = common::listening(&mut rx, server.id()).await;
    let outcome = get(
        &engine,
        &mut rx,
        request(&format!("http://{addr}/x?y=1"), "GET"),
    )
    .await;
    let body = String::from_utf8(ok_body(&outcome)).unwrap();
    assert!(body.contains("Request: GET /x?y=1 HTTP/1.1"), "{body}");
}

/// A raw server that answers one connection with whatever `write` writes
/// (which may write forever: a write error ends it).
fn scripted_server(write: impl FnOnce(&mut std::net::TcpStream) + Send + 'static) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        if let Ok((mut stream, _)) = listener.accept() {
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            write(&mut stream);
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_interim_responses_are_refused_not_remembered() {
    let addr = scripted_server(|stream| {
        let burst = b"HTTP/1.1 100 Continue\r\n\r\n".repeat(1000);
        while stream.write_all(&burst).is_ok() {}
    });
    let (engine, mut rx) = engine();
    let outcome = get(&engine, &mut rx, request(&format!("http://{addr}/"), "GET")).await;
    let error = outcome.error.expect("refused");
    assert!(error.contains("interim (1xx)"), "{error}");
    assert!(
        outcome.interims.len() <= http::response::MAX_INTERIMS,
        "{} interims kept",
        outcome.interims.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_of_one_byte_chunks_arrives_whole() {
    const SIZE: usize = 1_700_000;
    let addr = scripted_server(|stream| {
        let mut wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        for i in 0..SIZE {
            wire.extend_from_slice(b"1\r\n");
            wire.push(b'a' + (i % 26) as u8);
            wire.extend_from_slice(b"\r\n");
        }
        wire.extend_from_slice(b"0\r\n\r\n");
        let _ = stream.write_all(&wire);
    });
    let (engine, mut rx) = engine();
    let outcome = get(&engine, &mut rx, request(&format!("http://{addr}/"), "GET")).await;
    assert!(outcome.error.is_none(), "{:?}", outcome.error);
    let body = outcome.body.unwrap();
    assert_eq!(body.size, SIZE as u64);
    let saved = std::fs::read(body.spool.as_ref().expect("spooled").path()).unwrap();
    assert_eq!(saved.len(), SIZE);
    assert!(saved
        .iter()
        .enumerate()
        .all(|(i, b)| *b == b'a' + (i % 26) as u8));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gzip_bomb_is_decoded_only_as_far_as_the_preview() {
    // One 8 MiB member of zeros, repeated: 1 GiB once inflated.
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(&vec![0u8; 8 * 1024 * 1024]).unwrap();
    let member = encoder.finish().unwrap();
    let bomb = member.repeat(128);
    let sent = bomb.len();
    let addr = scripted_server(move |stream| {
        let head =
            format!("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {sent}\r\n\r\n");
        let _ = stream.write_all(head.as_bytes());
        let _ = stream.write_all(&bomb);
    });
    let (engine, mut rx) = engine();
    let outcome = get(&engine, &mut rx, request(&format!("http://{addr}/"), "GET")).await;
    assert!(outcome.error.is_none(), "{:?}", outcome.error);
    let body = outcome.body.unwrap();
    assert_eq!(body.size, sent as u64, "the body itself is kept whole");
    let decoded = body.decoded.expect("decoded view");
    assert!(!decoded.complete, "decoding stopped early");
    assert_eq!(decoded.preview.len(), http::body::BODY_PREVIEW);
    assert!(decoded.size <= 1024 * 1024, "decoded {} B", decoded.size);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_head_is_shown_framed_and_marked_line_by_line() {
    // (head, the problem named, its line)
    let cases: [(&'static [u8], &str, usize); 5] = [
        (
            b"HTTP/1.1 200 OK\r\nX-Evil: \x1b]2;PWNED\x07x\r\nContent-Length: 4\r\n\r\nbody",
            "control byte 0x1b at offset 8",
            1,
        ),
        (
            b"HTTP/1.1 200 OK\r\nX-A: one\r\n two\r\nContent-Length: 4\r\n\r\nbody",
            "obs-fold",
            2,
        ),
        (
            b"HTTP/1.1 200 OK\r\nX-A : v\r\nContent-Length: 4\r\n\r\nbody",
            "space before the colon",
            1,
        ),
        (
            b"HTTP/1.1 200 OK\r\nX-A: \xff\x01\r\nContent-Length: 4\r\n\r\nbody",
            "control byte 0x01",
            1,
        ),
        (
            b"HTTP/1.1 200 OK\r\nnot a header\r\nContent-Length: 4\r\n\r\nbody",
            "no colon",
            1,
        ),
    ];
    let (engine, mut rx) = engine();
    for (wire, problem, line) in cases {
        let addr = fake_server(wire);
        let outcome = get(&engine, &mut rx, request(&format!("http://{addr}/"), "GET")).await;
        assert!(outcome.error.is_none(), "{problem}: {:?}", outcome.error);
        let head = outcome.head.clone().expect("head shown");
        assert_eq!(head.status, 200);
        assert!(
            head.invalid
                .iter()
                .any(|p| p.line == line && p.reason.contains(problem)),
            "{problem}: {:?}",
            head.invalid
        );
        assert!(head
            .invalid_summary()
            .unwrap()
            .starts_with("not valid HTTP/1.1: line"));
        assert_eq!(
            ok_body(&outcome),
            b"body",
            "{problem}: framed by Content-Length"
        );
    }
}
