//! `netplay replay`: a recorded session as a mock server (`--serve`) or as
//! a client that checks a server against the recording (`--connect`, exit
//! 1 when the answers differ).

use std::path::Path;
use std::process::ExitCode;

use super::output::{Output, Value};
use super::Exit;
use crate::narrate::Kind;
use crate::net::acceptor::{Accepted, Acceptor};
use crate::net::pcap::flow::{CLIENT, SERVER};
use crate::net::record::replay;
use crate::shutdown::Shutdown;
use crate::text::sanitize;

/// How `--serve` replays: the recorded delays or not, and the cap on
/// connections at once; and the capture of `--pcap`.
struct How {
    timing: bool,
    max_conn: Option<usize>,
    pcap: Option<std::path::PathBuf>,
}

/// Replays `file` (see [`super::ReplayArgs::run`]).
async fn replay_file(
    file: &Path,
    serve: Option<String>,
    connect: Option<String>,
    how: How,
    out: Output,
    stop: Shutdown,
) -> ExitCode {
    let shown = sanitize(file.display().to_string().as_bytes());
    if [&serve, &connect]
        .iter()
        .any(|addr| addr.as_deref().is_some_and(|a| a.starts_with("unix:")))
    {
        out.error("replay takes host:port: a UNIX socket is not replayed on yet");
        return Exit::Usage.into();
    }
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
    // The capture's writer runs on an engine of its own.
    let (engine, _events) = super::headless_engine(true);
    let comment = "Written live by netplay replay.";
    let (capture, end) = match super::pcap::start_live(&engine, how.pcap.as_deref(), comment) {
        Ok(Some((capture, end))) => (Some(capture), Some(end)),
        Ok(None) => (None, None),
        Err(reason) => {
            out.error(&reason);
            return Exit::Usage.into();
        }
    };
    let code = play(
        recording,
        (&shown, serve, connect),
        (how, capture),
        out,
        stop,
    )
    .await;
    match end {
        Some(end) => super::pcap::finish_capture(end, code, out).await,
        None => code,
    }
}

/// Plays the recording as a server or a client.
async fn play(
    recording: std::sync::Arc<crate::record::Recording>,
    (shown, serve, connect): (&str, Option<String>, Option<String>),
    (
        How {
            timing, max_conn, ..
        },
        capture,
    ): (How, Option<crate::net::pcap::Capture>),
    out: Output,
    mut stop: Shutdown,
) -> ExitCode {
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
        let played = match tapped(stream, capture.as_ref(), CLIENT) {
            Ok(stream) => replay::play_client(stream, &recording, limit).await,
            Err(stream) => replay::play_client(stream, &recording, limit).await,
        };
        return match played {
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
                    let stream: Box<dyn replay::Conn> = match tapped(stream, capture.as_ref(), SERVER) {
                        Ok(tapped) => Box::new(tapped),
                        Err(stream) => Box::new(stream),
                    };
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

/// `stream` tapped into the capture as the flow seen from `ours`, or as
/// it is when there is no capture (or its addresses are gone).
fn tapped(
    stream: tokio::net::TcpStream,
    capture: Option<&crate::net::pcap::Capture>,
    ours: usize,
) -> Result<crate::net::pcap::tap::Tapped<tokio::net::TcpStream>, tokio::net::TcpStream> {
    let (Some(capture), Ok(local), Ok(remote)) = (capture, stream.local_addr(), stream.peer_addr())
    else {
        return Err(stream);
    };
    let flow = if ours == CLIENT {
        (local, remote)
    } else {
        (remote, local)
    };
    Ok(capture.tap(stream, flow, ours))
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
            pcap,
        } = self;
        let how = How {
            timing,
            max_conn,
            pcap,
        };
        replay_file(&file, serve, connect, how, out, stop).await
    }
}
