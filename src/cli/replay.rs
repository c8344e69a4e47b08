//! `netplay replay`: a recorded session as a mock server (`--serve`) or as
//! a client that checks a server against the recording (`--connect`, exit
//! 1 when the answers differ).

use std::path::Path;
use std::process::ExitCode;

use super::output::{Output, Value};
use super::Exit;
use crate::narrate::Kind;
use crate::net::acceptor::{Accepted, Acceptor};
use crate::net::record::replay;
use crate::shutdown::Shutdown;
use crate::text::sanitize;

/// Replays `file` (see [`super::ReplayArgs::run`]).
/// How `--serve` replays: the recorded delays or not, and the cap on
/// connections at once.
struct How {
    timing: bool,
    max_conn: Option<usize>,
}

async fn replay_file(
    file: &Path,
    serve: Option<String>,
    connect: Option<String>,
    How { timing, max_conn }: How,
    out: Output,
    mut stop: Shutdown,
) -> ExitCode {
    let shown = sanitize(file.display().to_string().as_bytes());
    let recording = match crate::files::read_regular(file, 256 * 1024 * 1024)
        .and_then(|bytes| String::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_string()))
        .and_then(|text| crate::record::parse(&text))
    {
        Ok(recording) => std::sync::Arc::new(recording),
        Err(reason) => {
            out.error(&format!("{shown}: {reason}"));
            return Exit::Usage.into();
        }
    };
    if let Some(addr) = connect {
        let limit = crate::net::tcp_client::DEFAULT_CONNECT_TIMEOUT;
        let connected = tokio::time::timeout(limit, tokio::net::TcpStream::connect(&addr)).await;
        let stream = match connected {
            Ok(Ok(stream)) => stream,
            Ok(Err(err)) => {
                out.error(&format!(
                    "cannot connect to {}: {err}",
                    sanitize(addr.as_bytes())
                ));
                return Exit::Failure.into();
            }
            Err(_) => {
                out.error(&format!(
                    "cannot connect to {}: no answer within {}",
                    sanitize(addr.as_bytes()),
                    crate::format::human_duration(limit)
                ));
                return Exit::Failure.into();
            }
        };
        // How long a silent server may take to give a recorded answer.
        let limit = std::time::Duration::from_secs(2);
        return match replay::play_client(stream, &recording, limit).await {
            Ok(None) => {
                out.event("same", Kind::Good, "The server answered as recorded", &[]);
                ExitCode::SUCCESS
            }
            Ok(Some(difference)) => {
                let text = format!(
                    "The answers differ at {}: recorded {} · got {}",
                    difference.place(),
                    sanitize(&difference.expected),
                    sanitize(&difference.got)
                );
                let fields = [
                    ("at", Value::from(difference.place())),
                    ("offset", Value::from(difference.offset as u64)),
                    ("expected", Value::from(sanitize(&difference.expected))),
                    ("got", Value::from(sanitize(&difference.got))),
                ];
                out.event_to_stderr("differ", Kind::Error, &text, &fields);
                Exit::Failure.into()
            }
            Err(err) => {
                out.error(&format!("replay failed: {err}"));
                Exit::Failure.into()
            }
        };
    }
    let addr = serve.unwrap_or_default();
    let listener = match tokio::net::TcpListener::bind(&addr).await {
        Ok(listener) => listener,
        Err(err) => {
            out.error(&format!(
                "cannot listen on {}: {err}",
                sanitize(addr.as_bytes())
            ));
            return Exit::Failure.into();
        }
    };
    let local = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    out.event(
        "listening",
        Kind::Good,
        &format!("Replaying {shown} on {local}"),
        &[("local", Value::from(local.clone()))],
    );
    // Out of file descriptors, wait instead of spinning: 100 ms doubling
    // to 1 s, one line a second at most (the listeners' one acceptor).
    let mut acceptor = Acceptor::new(listener);
    let mut replaying = tokio::task::JoinSet::new();
    // A WebSocket session is played as messages: read once, shared.
    let websocket = std::sync::Arc::new(crate::net::record::replay_ws::plan(&recording));
    if websocket.is_some() {
        let words = "A WebSocket session: each client's upgrade is answered afresh, then the recorded messages follow its own";
        out.event("websocket", Kind::Info, words, &[]);
    }
    loop {
        tokio::select! {
            _ = stop.recv() => return ExitCode::SUCCESS,
            Some(_) = replaying.join_next() => {}
            accepted = acceptor.accept() => match accepted {
                Accepted::Peer { stream, peer, recovered } => {
                    if let Some(words) = recovered {
                        out.event_to_stderr("accepting", Kind::Info, &words, &[]);
                    }
                    if let Some(limit) = max_conn.filter(|limit| replaying.len() >= *limit) {
                        drop(stream);
                        let text = format!("Refused connection from {peer}: {limit} connections open (--max-conn)");
                        out.event("rejected", Kind::Error, &text, &[("peer", Value::from(peer.to_string()))]);
                        continue;
                    }
                    out.event("accepted", Kind::Info, &format!("Replaying to {peer}"), &[("peer", Value::from(peer.to_string()))]);
                    // Each connection replays on its own, from the one
                    // shared copy of the recording.
                    let recording = std::sync::Arc::clone(&recording);
                    let websocket = std::sync::Arc::clone(&websocket);
                    replaying.spawn(async move {
                        let _ = match &*websocket {
                            Some(plan) => crate::net::record::replay_ws::serve_one(stream, &recording, plan, timing).await,
                            None => replay::serve_one(stream, &recording, timing).await,
                        };
                    });
                }
                Accepted::Failed(Some(reason)) => out.error(&reason),
                Accepted::Failed(None) => {}
            },
        }
    }
}

impl super::ReplayArgs {
    /// Replays the recording: as a server (`--serve`) or a client (`--connect`).
    pub async fn run(self, out: Output, stop: Shutdown) -> ExitCode {
        let super::ReplayArgs {
            file,
            serve,
            connect,
            timing,
            max_conn,
        } = self;
        let how = How { timing, max_conn };
        replay_file(&file, serve, connect, how, out, stop).await
    }
}
