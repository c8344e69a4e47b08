//! Server-Sent Events from a real HTTP server library (hyper): a POST that
//! starts a stream, as LLM APIs do; 10,000 events, each reported live and
//! numbered; a stream that outlives the request's time limit, and one
//! silent for longer than it.

use crate::common;

use std::convert::Infallible;
use std::time::Duration;

use http_body_util::{BodyExt, StreamBody};
use hyper::body::{Bytes, Frame, Incoming};
use hyper::{Request, Response};
use netplay::net::http::request::{default_request, parse_url, to_wire};
use netplay::net::http::{self, FetchRequest, HttpEvent, TlsOptions};
use netplay::net::{Engine, Event};

const EVENTS: usize = 10_000;

async fn handler(
    req: Request<Incoming>,
) -> Result<Response<http_body_util::combinators::BoxBody<Bytes, Infallible>>, Infallible> {
    assert_eq!(req.method(), "POST");
    let body = req.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], br#"{"stream":true}"#);
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Frame<Bytes>, Infallible>>(64);
    tokio::spawn(async move {
        for i in 1..=EVENTS {
            let event = format!("id: {i}\nevent: token\ndata: piece {i}\n\n");
            if tx.send(Ok(Frame::data(Bytes::from(event)))).await.is_err() {
                return;
            }
        }
        // Past the request's 1 s limit: a stream that keeps talking (a
        // comment every 300 ms, as servers keep a stream alive) is not
        // timed out.
        for _ in 0..5 {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let _ = tx
                .send(Ok(Frame::data(Bytes::from_static(b": alive\n\n"))))
                .await;
        }
        let _ = tx
            .send(Ok(Frame::data(Bytes::from_static(b"data: [DONE]\n\n"))))
            .await;
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    Ok(Response::builder()
        .header("content-type", "text/event-stream; charset=utf-8")
        .body(StreamBody::new(stream).boxed())
        .unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_posted_event_stream_is_reported_event_by_event_and_outlives_the_time_limit() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let io = hyper_util::rt::TokioIo::new(stream);
        let _ = hyper::server::conn::http1::Builder::new()
            .serve_connection(io, hyper::service::service_fn(handler))
            .await;
    });
    let url = parse_url(&format!("http://{addr}/v1/chat")).unwrap();
    let mut request = default_request(&url, "POST");
    // The editor's text: to_wire adds the Content-Length.
    request = request.replace(
        "\n\n",
        "\nContent-Type: application/json\n\n{\"stream\":true}",
    );
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let handle = http::fetch(
        &engine,
        FetchRequest {
            refuse: Default::default(),
            capture: None,
            names: Default::default(),
            proxy: None,
            unix_socket: None,
            wire: to_wire(&request),
            head_request: false,
            url,
            tls: TlsOptions::default(),
            timeout: Duration::from_secs(1),
            body: http::BodyTarget::Spool,
        },
    );
    let mut seen = 0u64;
    let done = loop {
        let event = common::wait_for(&mut rx, "an HTTP event", |event| match event {
            Event::Http(id, e) if *id == handle.id() => Some(e.clone()),
            _ => None,
        })
        .await;
        match event {
            HttpEvent::Sse(event) => {
                seen += 1;
                assert_eq!(event.seq, seen, "numbered in order, none lost");
                if event.seq <= EVENTS as u64 {
                    assert_eq!(event.event.as_deref(), Some("token"));
                    assert_eq!(event.id.as_deref(), Some(event.seq.to_string().as_str()));
                    assert_eq!(
                        &event.data.preview[..],
                        format!("piece {}", event.seq).as_bytes()
                    );
                } else {
                    assert_eq!(&event.data.preview[..], b"[DONE]");
                    // The id carries over from the last event that set one.
                    assert_eq!(event.id.as_deref(), Some("10000"));
                }
            }
            HttpEvent::Done { body, .. } => break Ok(body),
            HttpEvent::Failed { reason, .. } => break Err(reason),
            _ => {}
        }
    };
    let body = done.expect("the stream ends cleanly, not timed out");
    assert_eq!(seen, EVENTS as u64 + 1);
    assert!(
        body.size > 300_000,
        "the body is kept whole too: {}",
        body.size
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_stream_silent_for_the_whole_limit_ends_with_a_clear_line() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut request = [0u8; 1024];
        let _ = stream.read(&mut request).await;
        let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\ndata: one\n\n";
        stream.write_all(head.as_bytes()).await.unwrap();
        // Then nothing, ever (held open).
        tokio::time::sleep(Duration::from_secs(30)).await;
    });
    let url = parse_url(&format!("http://{addr}/events")).unwrap();
    let (engine, mut rx) = Engine::new(tokio::runtime::Handle::current());
    let started = std::time::Instant::now();
    let handle = http::fetch(
        &engine,
        FetchRequest {
            refuse: Default::default(),
            capture: None,
            names: Default::default(),
            proxy: None,
            unix_socket: None,
            wire: to_wire(&default_request(&url, "GET")),
            head_request: false,
            url,
            tls: TlsOptions::default(),
            timeout: Duration::from_millis(500),
            body: http::BodyTarget::Spool,
        },
    );
    let mut events = 0;
    let reason = loop {
        let event = common::wait_for(&mut rx, "an HTTP event", |event| match event {
            Event::Http(id, e) if *id == handle.id() => Some(e.clone()),
            _ => None,
        })
        .await;
        match event {
            HttpEvent::Sse(_) => events += 1,
            HttpEvent::Failed { reason, .. } => break reason,
            HttpEvent::Done { .. } => panic!("a silent stream must not end cleanly"),
            _ => {}
        }
    };
    assert_eq!(events, 1);
    assert_eq!(
        reason,
        "the event stream was silent for 500 ms (the request's time limit)"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}
