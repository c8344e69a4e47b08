//! `netplay ws URL`: a WebSocket client for pipes, like websocat — stdin
//! lines become text messages (`--binary`: binary ones), each message the
//! server sends goes to stdout on its own line (whole: this is data, never
//! a preview), pings are answered, and stdin's end sends a close frame and
//! waits (bounded) for the server's. With `--json`, every frame and
//! message is a JSON line instead. It runs over the TCP client engine
//! (`wss://` adds TLS), with the engine's sans-I/O WebSocket client.

use std::process::ExitCode;
use std::time::Duration;

use tokio::io::AsyncBufReadExt;
use tokio::sync::oneshot;

use super::output::{Output, Value};
use super::record_file::Recorder;
use super::{Exit, WsConnectArgs};
use crate::narrate::Kind;
use crate::net::tcp_client::{self, ClientEvent, ClientWriter, Connect};
use crate::net::ws::client::{Client, ClientRead};
use crate::net::ws::frame::{close_code_is_valid, close_code_words, close_payload, encode, Opcode};
use crate::net::ws::handshake::new_mask;
use crate::net::ws::Read;
use crate::net::{Engine, Event};
use crate::shutdown::Shutdown;
use crate::text::{escape_bytes, sanitize};

/// How long the server has to answer our close frame.
const CLOSE_WAIT: Duration = Duration::from_secs(5);

/// Where to connect, from a `ws://` or `wss://` URL.
struct Target {
    /// `host:port` for the TCP client.
    addr: String,
    /// The Host header.
    host: String,
    /// Path and query.
    path: String,
    tls: bool,
}

fn target(url: &str) -> Result<Target, String> {
    let parsed = url::Url::parse(url)
        .map_err(|err| format!("{}: not a URL ({err})", sanitize(url.as_bytes())))?;
    let tls = match parsed.scheme() {
        "ws" => false,
        "wss" => true,
        other => {
            return Err(format!(
                "{}: a WebSocket URL starts with ws:// or wss://, not {}://",
                sanitize(url.as_bytes()),
                sanitize(other.as_bytes())
            ))
        }
    };
    let host = parsed
        .host_str()
        .ok_or_else(|| format!("{}: no host", sanitize(url.as_bytes())))?;
    let port = parsed
        .port_or_known_default()
        .unwrap_or(if tls { 443 } else { 80 });
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addr = if bare.contains(':') {
        format!("[{bare}]:{port}")
    } else {
        format!("{bare}:{port}")
    };
    let default_port = if tls { 443 } else { 80 };
    let host_header = if port == default_port {
        host.to_string()
    } else {
        format!("{host}:{port}")
    };
    let mut path = parsed.path().to_string();
    if let Some(query) = parsed.query() {
        path.push('?');
        path.push_str(query);
    }
    Ok(Target {
        addr,
        host: host_header,
        path,
        tls,
    })
}

impl WsConnectArgs {
    /// Connects, upgrades, and pipes until the close; a recording that
    /// could not be written whole fails the command.
    pub async fn run(self, out: Output, stop: Shutdown) -> ExitCode {
        // wss:// is captured on the socket (the records and their keys);
        // ws:// from the session's events.
        let secure = self
            .url
            .as_deref()
            .is_some_and(|url| url.starts_with("wss:"));
        let (pcap, capture) = match (self.pcap.as_deref(), secure) {
            (Some(path), true) => {
                match crate::net::pcap::tap::SyncCapture::create(
                    path,
                    "Written live by netplay ws.",
                ) {
                    Ok(capture) => (None, Some(capture)),
                    Err(reason) => {
                        out.error(&reason);
                        return Exit::Usage.into();
                    }
                }
            }
            (pcap, _) => (pcap, None),
        };
        let mut recorder = match Recorder::create(self.record.as_deref(), pcap, out) {
            Ok(recorder) => recorder,
            Err(reason) => {
                out.error(&reason);
                return Exit::Usage.into();
            }
        };
        let code = self
            .converse(out, stop, (&mut recorder, capture.clone()))
            .await;
        let code = match capture {
            Some(capture) => super::pcap::finished(capture.finish(), code, out),
            None => code,
        };
        match recorder.map(Recorder::finish) {
            Some(false) if code == ExitCode::SUCCESS => Exit::Failure.into(),
            _ => code,
        }
    }

    async fn converse(
        &self,
        out: Output,
        mut stop: Shutdown,
        (recorder, capture): (
            &mut Option<Recorder>,
            Option<std::sync::Arc<crate::net::pcap::tap::SyncCapture>>,
        ),
    ) -> ExitCode {
        let Some(url) = self.url.as_deref() else {
            out.error("netplay ws needs a URL (ws://host:port/path) or `serve ADDR`");
            return Exit::Usage.into();
        };
        let target = match target(url) {
            Ok(target) => target,
            Err(reason) => {
                out.error(&reason);
                return Exit::Usage.into();
            }
        };
        if !close_code_is_valid(self.close_code) {
            out.error(&format!(
                "--close-code {}: {} (use 1000, 1001, 1002-1003, 1007-1014 or 3000-4999)",
                self.close_code,
                close_code_words(self.close_code)
            ));
            return Exit::Usage.into();
        }
        let limit = match super::seconds(self.timeout, "--timeout") {
            Ok(limit) => limit,
            Err(reason) => {
                out.error(&reason);
                return Exit::Usage.into();
            }
        };
        let scheme = if target.tls { "wss" } else { "ws" };
        let (names, proxy) = match self.names.reach(scheme, &target.addr) {
            Ok(reach) => reach,
            Err(reason) => {
                out.error(&reason);
                return Exit::Usage.into();
            }
        };
        let tls = target.tls.then(|| crate::net::tls::TlsOptions {
            extra_ca: self.cacert.clone(),
            insecure: self.insecure,
            sni: self.sni.clone(),
            alpn: Vec::new(),
            fixes: crate::net::tls::Fixes {
                sni: Some("--sni NAME"),
                ..crate::net::tls::CLI_FIXES
            },
            keylog: self.keylog.clone(),
        });
        // Lossless, whole reads: messages go to stdout entire.
        let (engine, mut events) =
            Engine::lossless(tokio::runtime::Handle::current(), 256, usize::MAX);
        let connection = tcp_client::open(
            &engine,
            &target.addr,
            Connect {
                capture,
                timeout: limit,
                tls,
                names,
                proxy,
                ..Connect::default()
            },
        );
        let max_message = usize::try_from(self.max_message).unwrap_or(usize::MAX);
        let mut ws = Client::new(true, max_message);
        // Every message goes through the writer, which waits for room: a
        // slow server slows stdin down, and nothing is dropped.
        let writer = connection.writer();
        let mut stdin: Option<(tokio::task::JoinHandle<()>, oneshot::Receiver<()>)> = None;
        let mut closing: Option<tokio::time::Instant> = None;
        let mut ping = self
            .ping_interval
            .map(|secs| tokio::time::interval(Duration::from_secs_f64(secs.max(0.01))));
        // Sends our close and waits (bounded) until it is written.
        let close = |code: u16, reason: String| {
            let writer = writer.clone();
            let mut frame = Vec::new();
            encode(
                &mut frame,
                true,
                Opcode::Close,
                &close_payload(code, &reason),
                Some(new_mask()),
            );
            async move {
                let _ = tokio::time::timeout(CLOSE_WAIT, writer.send_confirmed(frame)).await;
            }
        };
        loop {
            let stdin_ended = async {
                match stdin.as_mut() {
                    Some((_, ended)) => {
                        let _ = ended.await;
                    }
                    None => std::future::pending().await,
                }
            };
            let ping_due = async {
                match ping.as_mut() {
                    Some(ping) => ping.tick().await,
                    None => std::future::pending().await,
                }
            };
            let close_due = async {
                match closing {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = stop.recv(), if closing.is_none() => {
                    if let Some((task, _)) = stdin.take() {
                        task.abort();
                    }
                    if !ws.upgraded() {
                        return ExitCode::SUCCESS;
                    }
                    close(1001, "going away".into()).await;
                    closing = Some(tokio::time::Instant::now() + CLOSE_WAIT);
                }
                () = close_due => {
                    out.error(&format!("the server did not answer our close frame within {} s; closing the connection", CLOSE_WAIT.as_secs()));
                    return Exit::Failure.into();
                }
                // A ping (or, below, a pong) is skipped when 64 writes already
                // wait for a server that reads nothing: a later one does.
                _ = ping_due, if ws.upgraded() && closing.is_none() => {
                    let _ = connection.send(ws.control(Opcode::Ping, b"netplay"));
                }
                // Stdin ended, every line written: close politely, wait.
                () = stdin_ended, if closing.is_none() => {
                    stdin = None;
                    close(self.close_code, String::new()).await;
                    closing = Some(tokio::time::Instant::now() + CLOSE_WAIT);
                }
                event = events.recv() => {
                    let Some(Event::Client(_, event)) = event else {
                        if event.is_none() {
                            return Exit::Failure.into();
                        }
                        continue;
                    };
                    match event {
                        ClientEvent::Proxy { lines } => {
                            for line in lines {
                                out.event_to_stderr("proxy", Kind::Info, &line, &[]);
                            }
                        }
                        ClientEvent::Connected { local, remote, .. } => {
                            if let Some(recorder) = recorder.as_mut() {
                                recorder.connected(&local.to_string(), &remote.to_string());
                            }
                            let _ = writer.send(ws.request(&target.host, &target.path, &self.protocols, &self.headers)).await;
                        }
                        ClientEvent::ConnectFailed { reason, .. } => {
                            out.error(&reason);
                            return Exit::Failure.into();
                        }
                        ClientEvent::Sent(data) => {
                            if let Some(recorder) = recorder.as_mut() {
                                recorder.data(crate::record::Way::Out, &data.preview);
                            }
                        }
                        ClientEvent::Received(data) => {
                            if let Some(recorder) = recorder.as_mut() {
                                recorder.data(crate::record::Way::In, &data.preview);
                            }
                            for read in ws.feed(&data.preview) {
                                match self.on_read(read, &out) {
                                    Step::Go => {}
                                    Step::Pong(payload) => {
                                        let _ = connection.send(ws.control(Opcode::Pong, &payload));
                                    }
                                    Step::Upgraded => {
                                        let (ended, on_end) = oneshot::channel();
                                        let task = tokio::spawn(forward_stdin(writer.clone(), self.binary, max_message, out, ended));
                                        stdin = Some((task, on_end));
                                    }
                                    Step::Closed(code) => {
                                        if let Some((task, _)) = stdin.take() {
                                            task.abort();
                                        }
                                        if closing.is_none() {
                                            // Their close first: ours answers it, with their code.
                                            let code = code.filter(|c| close_code_is_valid(*c)).unwrap_or(1000);
                                            close(code, String::new()).await;
                                        }
                                        drain(&mut events, recorder).await;
                                        return ExitCode::SUCCESS;
                                    }
                                    Step::Violation(code, reason) => {
                                        if let Some((task, _)) = stdin.take() {
                                            task.abort();
                                        }
                                        close(code, reason).await;
                                        drain(&mut events, recorder).await;
                                        return Exit::Failure.into();
                                    }
                                    Step::Fail(code) => return code,
                                }
                            }
                        }
                        ClientEvent::Closed { .. } => {
                            if let Some(recorder) = recorder.as_mut() {
                                recorder.life("closed");
                            }
                            if closing.is_some() {
                                return ExitCode::SUCCESS;
                            }
                            out.error("the server closed the connection without a close frame (1006)");
                            return Exit::Failure.into();
                        }
                        _ => {}
                    }
                }
            }
        }
    }

    fn on_read(&self, read: ClientRead, out: &Output) -> Step {
        match read {
            ClientRead::Upgraded { status, protocol } => {
                let mut text = format!("Connected: {status}");
                if let Some(protocol) = &protocol {
                    text.push_str(&format!(", subprotocol {protocol}"));
                }
                out.event_to_stderr(
                    "ws_upgraded",
                    Kind::Good,
                    &text,
                    &[("protocol", Value::from(protocol.unwrap_or_default()))],
                );
                Step::Upgraded
            }
            ClientRead::Refused(reason) => {
                out.error(&format!("no WebSocket: {reason}"));
                Step::Fail(Exit::Failure.into())
            }
            ClientRead::Read(read) => match read {
                Read::Frame { head, preview } => {
                    if out.json {
                        let mask = head
                            .mask
                            .map(|k| format!("{:02x}{:02x}{:02x}{:02x}", k[0], k[1], k[2], k[3]));
                        out.event(
                            "ws_frame",
                            Kind::In,
                            &format!("{} frame, {} B", head.opcode.name(), head.len),
                            &[
                                ("dir", "in".into()),
                                ("fin", Value::Bool(head.fin)),
                                ("rsv", u64::from(head.rsv).into()),
                                ("opcode", head.opcode.name().into()),
                                ("mask", mask.unwrap_or_default().into()),
                                ("len", head.len.into()),
                                ("data", escape_bytes(&preview.preview).into()),
                            ],
                        );
                    }
                    Step::Go
                }
                Read::Message { text, data, frames } => {
                    if out.json {
                        out.event(
                            "ws_message",
                            Kind::In,
                            &format!(
                                "{} message, {} B",
                                if text { "text" } else { "binary" },
                                data.len()
                            ),
                            &[
                                ("type", if text { "text" } else { "binary" }.into()),
                                ("frames", (frames as u64).into()),
                                ("len", (data.len() as u64).into()),
                                ("data", escape_bytes(&data).into()),
                            ],
                        );
                        return Step::Go;
                    }
                    let mut line = data;
                    line.push(b'\n');
                    match out.data(&line) {
                        Ok(()) => Step::Go,
                        Err(err) => {
                            out.error(&format!("writing a message to stdout failed: {err}"));
                            Step::Fail(Exit::Failure.into())
                        }
                    }
                }
                Read::Ping(payload) => Step::Pong(payload),
                Read::Pong(_) => Step::Go,
                Read::Close { code, reason } => {
                    let words = match code {
                        Some(code) => format!("{code} ({})", close_code_words(code)),
                        None => "no code".to_string(),
                    };
                    let reason = if reason.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", sanitize(reason.as_bytes()))
                    };
                    out.event_to_stderr(
                        "ws_closed",
                        Kind::Info,
                        &format!("The server closed: {words}{reason}"),
                        &[("code", u64::from(code.unwrap_or(1005)).into())],
                    );
                    Step::Closed(code)
                }
                Read::Violation {
                    reason,
                    code,
                    fatal,
                } => {
                    out.error(&format!("the server broke the protocol: {reason}"));
                    if fatal {
                        return Step::Violation(code, reason);
                    }
                    Step::Go
                }
            },
        }
    }
}

/// The bytes written or read just before the end (our close frame), for
/// the recording: the connection reports them a moment after the write.
async fn drain(events: &mut tokio::sync::mpsc::Receiver<Event>, recorder: &mut Option<Recorder>) {
    let Some(recorder) = recorder.as_mut() else {
        return;
    };
    // One deadline for the whole drain: a server that keeps sending after
    // its close must not keep us (and the recording growing).
    let deadline = tokio::time::Instant::now() + Duration::from_millis(200);
    while let Ok(Some(event)) = tokio::time::timeout_at(deadline, events.recv()).await {
        match event {
            Event::Client(_, ClientEvent::Sent(data)) => {
                recorder.data(crate::record::Way::Out, &data.preview)
            }
            Event::Client(_, ClientEvent::Received(data)) => {
                recorder.data(crate::record::Way::In, &data.preview)
            }
            Event::Client(_, ClientEvent::Closed { .. }) => {
                recorder.life("closed");
                return;
            }
            _ => {}
        }
    }
}

/// What the loop does after a read.
enum Step {
    Go,
    /// Answer a ping with these bytes.
    Pong(Vec<u8>),
    /// Upgraded: start reading stdin.
    Upgraded,
    /// The server closed (with this code).
    Closed(Option<u16>),
    /// The server broke a rule: close with this code and reason, exit 1.
    Violation(u16, String),
    /// End with this status.
    Fail(ExitCode),
}

/// Sends each stdin line as a message (text, or binary with `--binary` or
/// when not UTF-8), waiting for room: the server's pace is stdin's pace.
/// Says `ended` once stdin is over and every line is queued.
async fn forward_stdin(
    writer: ClientWriter,
    binary: bool,
    max_message: usize,
    out: Output,
    ended: oneshot::Sender<()>,
) {
    let mut stdin = tokio::io::BufReader::new(tokio::io::stdin());
    loop {
        let mut line = Vec::new();
        match stdin.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                if line.ends_with(b"\n") {
                    line.pop();
                    if line.ends_with(b"\r") {
                        line.pop();
                    }
                }
                if line.len() > max_message {
                    out.error(&format!(
                        "a stdin line of {} B is over --max-message {max_message}; not sent",
                        line.len()
                    ));
                    continue;
                }
                let opcode = if !binary && std::str::from_utf8(&line).is_ok() {
                    Opcode::Text
                } else {
                    Opcode::Binary
                };
                let mut frame = Vec::with_capacity(line.len() + 14);
                encode(&mut frame, true, opcode, &line, Some(new_mask()));
                if !writer.send(frame).await {
                    return;
                }
            }
        }
    }
    let _ = ended.send(());
}
