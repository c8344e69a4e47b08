//! `netplay tcp serve` and `netplay tcp connect`: the TCP engine with
//! stdout for a screen.

use std::process::ExitCode;

use super::event_log::{self, Dump, EventLog, Next, Piece};
use super::output::{Output, Value};
use super::record_file::Recorder;
use super::server_fields::{data_fields, event_name, server_fields};
use super::{seconds, Eol, Exit};
use crate::narrate::{Kind, ServerNarrator};
use crate::net::behaviour::greet::ServerConfig;
use crate::net::tcp_client::{self, ClientEvent};
use crate::net::tcp_server::{self, ServerEvent};
use crate::net::{CloseReason, Event};
use crate::shutdown::Shutdown;
use crate::text::sanitize;

/// What a server starts with besides its config.
pub struct Setup {
    /// `--tls`.
    pub tls: Option<crate::net::tls::server::TlsServer>,
    /// `--rules`.
    pub rules: Option<std::sync::Arc<crate::net::behaviour::rules::Rules>>,
    /// `--websocket` (or `ws serve`).
    pub websocket: Option<crate::net::tcp_server::WsOptions>,
    /// `--pcap FILE`.
    pub pcap: Option<std::path::PathBuf>,
    /// `--keylog FILE` (else `SSLKEYLOGFILE`), for `--tls`.
    pub keylog: Option<std::path::PathBuf>,
}

/// Runs the server until Ctrl+C or SIGTERM, then closes every connection
/// and exits 0; a failure to listen exits 1.
pub async fn serve(
    addr: &str,
    config: ServerConfig,
    Setup {
        tls,
        rules,
        websocket,
        pcap,
        keylog,
    }: Setup,
    (out, dump): (Output, Option<Dump>),
    stop: Shutdown,
) -> ExitCode {
    let (engine, events) = event_log::engine(&out, dump);
    let mut log = EventLog::new(out, dump);
    if let Some(tls) = &tls {
        let fields = || vec![("sha256", Value::from(tls.sha256.clone()))];
        log.event("tls_certificate", Kind::Info, &tls.describe(), fields);
    }
    let capture = match pcap.as_deref().map(|path| {
        crate::net::pcap::Capture::start(&engine, path, "Written live by netplay tcp serve.")
    }) {
        Some(Ok(started)) => Some(started),
        Some(Err(reason)) => {
            out.error(&reason);
            return Exit::Usage.into();
        }
        None => None,
    };
    // TLS secrets: to --keylog / SSLKEYLOGFILE, and into the capture.
    let acceptor = match tls.map(|tls| {
        keyed(
            tls.acceptor,
            keylog.as_deref(),
            capture.as_ref().map(|(c, _)| c),
        )
    }) {
        Some(Ok(acceptor)) => Some(acceptor),
        Some(Err(reason)) => {
            out.error(&reason);
            return Exit::Usage.into();
        }
        None => None,
    };
    let server = tcp_server::start_websocket(&engine, addr, config, acceptor, websocket);
    if rules.is_some() {
        server.set_rules(rules);
    }
    let capture = capture.map(|(capture, end)| {
        server.set_capture(Some(capture));
        end
    });
    let mut narrator = ServerNarrator::new();
    let mode_name = config.behaviour.name();
    let echo = config.behaviour == crate::net::behaviour::greet::Behaviour::Echo;
    let json = out.json;
    let code = log
        .drive(
            events,
            stop,
            || server.stop(),
            |log, event| {
                let Event::Server(_, event) = event else {
                    return Next::Go;
                };
                match &event {
                    ServerEvent::TcpInfo { last: false, .. } if !json => {
                        return Next::Go; // the text mode prints the sample at the close only
                    }
                    ServerEvent::Received { conn, data } => {
                        let head = [
                            Piece::Conn(*conn),
                            Piece::Str(" received "),
                            Piece::Num(data.len as u64),
                            Piece::Str(" B from "),
                            Piece::Str(&narrator.peer(*conn)),
                            Piece::Str(": "),
                        ];
                        log.data("received", Kind::In, &head, data, || {
                            data_fields(*conn, data)
                        });
                        return Next::Go;
                    }
                    ServerEvent::Echoed { conn, data } => {
                        let head = [
                            Piece::Conn(*conn),
                            Piece::Str(" echoed "),
                            Piece::Num(data.len as u64),
                            Piece::Str(" B back to "),
                            Piece::Str(&narrator.peer(*conn)),
                            Piece::Str(": "),
                        ];
                        log.data("echoed", Kind::Echo, &head, data, || {
                            data_fields(*conn, data)
                        });
                        return Next::Go;
                    }
                    // A delayed or partial echo's bytes are on its `received`
                    // line: the line of a busy echo server says so in half the
                    // bytes.
                    ServerEvent::Sent { conn, data } if echo && log.previews_text() => {
                        let head = [
                            Piece::Conn(*conn),
                            Piece::Str(" echoed "),
                            Piece::Num(data.len as u64),
                            Piece::Str(" B back to "),
                            Piece::Str(&narrator.peer(*conn)),
                        ];
                        log.pieces(Kind::Out, &head);
                        return Next::Go;
                    }
                    ServerEvent::Sent { conn, data } => {
                        let head = [
                            Piece::Conn(*conn),
                            Piece::Str(" sent "),
                            Piece::Num(data.len as u64),
                            Piece::Str(" B to "),
                            Piece::Str(&narrator.peer(*conn)),
                            Piece::Str(": "),
                        ];
                        log.data("sent", Kind::Out, &head, data, || data_fields(*conn, data));
                        return Next::Go;
                    }
                    // Said once, on stderr with its hint (not also as a line).
                    ServerEvent::StartFailed { reason } => {
                        return Next::Fail(super::unix_listen::cannot_listen(reason));
                    }
                    _ => {}
                }
                let line = narrator.narrate(&event, mode_name);
                match &line.data {
                    // WebSocket frames and messages carry their bytes.
                    Some(data) => {
                        let head = [Piece::Str(&line.text)];
                        log.data(event_name(&event), line.kind, &head, data, || {
                            server_fields(&event)
                        });
                    }
                    None => log.event(event_name(&event), line.kind, &line.text, || {
                        server_fields(&event)
                    }),
                }
                match event {
                    ServerEvent::Stopped => Next::Done(ExitCode::SUCCESS),
                    _ => Next::Go,
                }
            },
        )
        .await;
    drop(server);
    match capture {
        Some(end) => super::pcap::finish_capture(end, code, out).await,
        None => code,
    }
}

/// The acceptor with a key log: the file asked for, and the capture's.
fn keyed(
    acceptor: tokio_rustls::TlsAcceptor,
    keylog: Option<&std::path::Path>,
    capture: Option<&crate::net::pcap::Capture>,
) -> Result<tokio_rustls::TlsAcceptor, String> {
    let file = crate::net::tls::keylog::configured(keylog)?;
    if file.is_none() && capture.is_none() {
        return Ok(acceptor);
    }
    let mut config = (**acceptor.config()).clone();
    config.key_log = match capture {
        Some(capture) => capture.key_log(file),
        None => file.unwrap_or(config.key_log),
    };
    Ok(tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config)))
}

/// Connects and pipes: stdin to the socket, the socket to stdout. Exits 0
/// when the peer closes; stdin's end half-closes (FIN) and keeps reading,
/// and piped stdin keeps going after the peer's own FIN while it flows.
pub async fn connect(addr: &str, mut how: ConnectHow, out: Output, stop: Shutdown) -> ExitCode {
    let (record, mut pcap) = (how.record.take(), how.pcap.take());
    // Under TLS the capture is taken on the socket (the records and their
    // keys); plain TCP is captured from the session's events.
    if let (Some(path), true) = (pcap.as_deref(), how.tls.is_some()) {
        match crate::net::pcap::tap::SyncCapture::create(
            path,
            "Written live by netplay tcp connect.",
        ) {
            Ok(capture) => how.capture = Some(capture),
            Err(reason) => {
                out.error(&reason);
                return Exit::Usage.into();
            }
        }
        pcap = None;
    }
    let capture = how.capture.clone();
    let mut recorder = match Recorder::create(record.as_deref(), pcap.as_deref(), out) {
        Ok(recorder) => recorder,
        Err(reason) => {
            out.error(&reason);
            return Exit::Usage.into();
        }
    };
    let code = converse(addr, how, &mut recorder, out, stop).await;
    let code = match capture {
        Some(capture) => super::pcap::finish_sync(&capture, code, out),
        None => code,
    };
    // A recording that could not be written whole fails the command.
    match recorder.map(Recorder::finish) {
        Some(false) if code == ExitCode::SUCCESS => Exit::Failure.into(),
        _ => code,
    }
}

async fn converse(
    addr: &str,
    how: ConnectHow,
    recorder: &mut Option<Recorder>,
    out: Output,
    mut stop: Shutdown,
) -> ExitCode {
    let ConnectHow {
        eol,
        raw,
        timeout,
        tls,
        tcp_info,
        reconnect,
        send,
        capture,
        names,
        proxy,
        ..
    } = how;
    let limit = match seconds(timeout, "--timeout") {
        Ok(limit) => limit,
        Err(reason) => {
            out.error(&reason);
            return Exit::Usage.into();
        }
    };
    let (engine, mut events) = super::headless_engine(true);
    let secure = tls.is_some();
    // Recorded here, from the lossless headless events, so one file spans
    // every `--reconnect` attempt.
    let how = tcp_client::Connect {
        timeout: limit,
        tls,
        tcp_info,
        record: None,
        replay: None,
        capture,
        names,
        proxy,
        // Piped stdin (or --send) is sent whole even after the peer's FIN,
        // as nc does; at a terminal, the peer's close ends the session.
        write_after_peer_fin: send.is_some()
            || !std::io::IsTerminal::is_terminal(&std::io::stdin()),
    };
    // With --send, stdin is not read at all.
    let queue = match send {
        None => Some(super::stdin_queue::StdinQueue::start(eol, raw)),
        Some(_) => None,
    };
    let mut backoff = crate::net::timed::Backoff::default();
    let mut client = tcp_client::open(&engine, addr, how.clone());
    let mut stopping = false;
    // Whether this connection has received anything yet.
    let mut heard = false;
    loop {
        tokio::select! {
            // One disconnect is enough; later signals wait for the close.
            _ = stop.recv(), if !stopping => {
                stopping = true;
                client.disconnect();
            }
            event = events.recv() => {
                let Some(Event::Client(_, event)) = event else { continue };
                match event {
                    ClientEvent::Resolved { addrs, via: Some(via) } => {
                        let list: Vec<String> = addrs.iter().map(ToString::to_string).collect();
                        let text = format!("{} → {} ({via})", sanitize(addr.as_bytes()), list.join(", "));
                        out.event_to_stderr("route", Kind::Info, &text, &[("via", via.into())]);
                    }
                    ClientEvent::Proxy { lines } => {
                        for line in lines {
                            out.event_to_stderr("proxy", Kind::Info, &line, &[]);
                        }
                    }
                    ClientEvent::Resolved { .. } | ClientEvent::Connecting { .. } => {}
                    ClientEvent::Connected { local, remote, .. } => {
                        heard = false;
                        if let Some(recorder) = recorder.as_mut() {
                            recorder.connected(&local.to_string(), &remote.to_string());
                        }
                        let text = crate::narrate::client::connected(local, remote);
                        let fields = [("local", Value::from(local.to_string())), ("remote", Value::from(remote.to_string()))];
                        emit(&out, "connected", Kind::Good, &text, &fields);
                        backoff.connected();
                        if !secure {
                            start_sending(&queue, &client, send.as_ref(), out);
                        }
                    }
                    ClientEvent::ConnectedUnix { path, peer, .. } => {
                        heard = false;
                        if let Some(recorder) = recorder.as_mut() {
                            recorder.connected("unix", &format!("unix:{path}"));
                        }
                        let text = format!("Connected to unix:{path} ({peer})");
                        let fields = [("remote", Value::from(format!("unix:{path}"))), ("peer", Value::from(peer))];
                        emit(&out, "connected", Kind::Good, &text, &fields);
                        backoff.connected();
                        start_sending(&queue, &client, send.as_ref(), out);
                    }
                    ClientEvent::TlsEstablished { info, connect, handshake, .. } => {
                        let text = crate::narrate::client::tls_done(handshake, connect);
                        let micros = |d: std::time::Duration| Value::from(d.as_micros() as u64);
                        let fields = [
                            ("version", Value::from(info.version.clone())),
                            ("cipher", Value::from(info.cipher.clone())),
                            ("alpn", Value::from(info.alpn.clone().unwrap_or_default())),
                            ("sni", Value::from(info.sni.clone().unwrap_or_default())),
                            ("verification", Value::from(info.verification())),
                            ("connect_us", micros(connect)),
                            ("handshake_us", micros(handshake)),
                        ];
                        emit(&out, "tls", Kind::Good, &text, &fields);
                        for line in info.lines() {
                            emit(&out, "tls_detail", Kind::Info, &line, &[]);
                        }
                        start_sending(&queue, &client, send.as_ref(), out);
                    }
                    ClientEvent::TcpInfo { info, last } => {
                        if tcp_info && (last || out.json) {
                            let fields = tcp_info_fields(&info);
                            emit(&out, "tcp_info", Kind::Info, &info.line(), &fields);
                        }
                    }
                    ClientEvent::Options(_) | ClientEvent::Replayed(_) => {}
                    ClientEvent::ConnectFailed { reason } => {
                        out.error(&reason);
                        if reconnect && !stopping {
                            match wait_to_reconnect(&mut backoff, &out, &mut stop).await {
                                true => { client = tcp_client::open(&engine, addr, how.clone()); continue; }
                                false => return ExitCode::SUCCESS,
                            }
                        }
                        return Exit::Failure.into();
                    }
                    ClientEvent::Received(data) => {
                        if let Some(recorder) = recorder.as_mut() {
                            recorder.data(crate::record::Way::In, &data.preview);
                        }
                        // A plain connection's first bytes that are a TLS
                        // record: said on stderr (stdout stays the bytes).
                        if !secure && !std::mem::replace(&mut heard, true) {
                            if let Some(meaning) = crate::net::tls::looks_like_tls_record(&data.preview) {
                                out.event_to_stderr("hint", Kind::Error, &format!("{meaning} (--tls)"), &[]);
                            }
                        }
                        if out.json {
                            let fields = [("len", Value::from(data.len as u64)), ("data", Value::from(sanitize(&data.preview)))];
                            out.event("received", Kind::In, &format!("{} B", data.len), &fields);
                        } else if out.data(&data.preview).is_err() {
                            client.disconnect();
                        }
                    }
                    ClientEvent::Sent(data) => {
                        if let Some(recorder) = recorder.as_mut() {
                            recorder.data(crate::record::Way::Out, &data.preview);
                        }
                        if out.json {
                            let fields = [("len", Value::from(data.len as u64)), ("data", Value::from(sanitize(&data.preview)))];
                            out.event("sent", Kind::Out, &format!("{} B", data.len), &fields);
                        }
                    }
                    ClientEvent::PeerHalfClosed => {
                        if let Some(recorder) = recorder.as_mut() {
                            recorder.life("peer_half_close");
                        }
                        let what = if send.is_some() { "--send" } else { "stdin" };
                        let text = format!("FIN received: the peer sends no more; {what} still goes to it until it ends");
                        emit(&out, "peer_fin", Kind::Info, &text, &[]);
                    }
                    ClientEvent::WriteShutdown => {
                        if let Some(recorder) = recorder.as_mut() {
                            recorder.life("half_close");
                        }
                        let why = if send.is_some() { "the last --send went" } else { "stdin ended" };
                        emit(&out, "write_shutdown", Kind::Out, &format!("FIN sent: {why}; still reading"), &[]);
                    }
                    ClientEvent::Closed { reason } => {
                        if let Some(recorder) = recorder.as_mut() {
                            recorder.life("closed");
                        }
                        let text = match &reason {
                            CloseReason::Peer => "Connection closed by peer".to_string(),
                            other => format!("Connection closed: {other}"),
                        };
                        emit(&out, "closed", Kind::Info, &text, &[("reason", Value::from(reason.to_string()))]);
                        if reconnect && !stopping {
                            if let CloseReason::Error(why) = &reason {
                                out.error(why);
                            }
                            match wait_to_reconnect(&mut backoff, &out, &mut stop).await {
                                true => { client = tcp_client::open(&engine, addr, how.clone()); continue; }
                                false => return ExitCode::SUCCESS,
                            }
                        }
                        return match reason {
                            CloseReason::Error(why) => {
                                out.error(&why);
                                Exit::Failure.into()
                            }
                            _ => ExitCode::SUCCESS,
                        };
                    }
                }
            }
        }
    }
}

/// How `tcp connect` talks, from its flags.
pub struct ConnectHow {
    /// The line ending after each stdin line.
    pub eol: Eol,
    /// Stdin as raw bytes, not lines.
    pub raw: bool,
    /// The connect timeout, seconds.
    pub timeout: f64,
    /// TLS, when asked for.
    pub tls: Option<crate::net::tls::TlsOptions>,
    /// `--tcp-info`.
    pub tcp_info: bool,
    /// `--reconnect`: on a close or a failed connect, try again after a
    /// backoff (1 s doubling to 30 s) until stopped.
    pub reconnect: bool,
    /// `--record FILE`: the session as JSON lines (`crate::record`).
    pub record: Option<std::path::PathBuf>,
    /// `--pcap FILE`: the session as a pcapng file (`crate::net::pcap`).
    pub pcap: Option<std::path::PathBuf>,
    /// With TLS, the capture taken under it (set by [`connect`]).
    pub capture: Option<std::sync::Arc<crate::net::pcap::tap::SyncCapture>>,
    /// `--send TEXT` (with `--repeat`): these bytes on this schedule
    /// instead of stdin, then FIN.
    pub send: Option<(Vec<u8>, crate::net::timed::Repeat)>,
    /// `--resolve`, `--connect-to`.
    pub names: std::sync::Arc<crate::net::names::Overrides>,
    /// `--proxy` (or the environment's).
    pub proxy: Option<std::sync::Arc<crate::net::proxy::Proxy>>,
}

/// Once connected: stdin to the connection, or `--send`'s bytes on their
/// schedule and then FIN (counted on stderr).
fn start_sending(
    queue: &Option<std::sync::Arc<tokio::sync::Mutex<super::stdin_queue::StdinQueue>>>,
    client: &tcp_client::ClientHandle,
    send: Option<&(Vec<u8>, crate::net::timed::Repeat)>,
    out: Output,
) {
    let writer = client.writer();
    if let Some(queue) = queue {
        tokio::spawn(super::stdin_queue::forward(queue.clone(), writer));
        return;
    }
    let Some((bytes, schedule)) = send else {
        return;
    };
    let (bytes, mut schedule) = (bytes.clone(), schedule.clone());
    tokio::spawn(async move {
        loop {
            // Counted once written, not when queued.
            if writer.send_confirmed(bytes.clone()).await != crate::net::timed::SendOutcome::Sent {
                return;
            }
            let wait = schedule.sent_one();
            let sent = schedule.sent();
            if schedule.repeats() {
                let text = format!("Sent {sent}");
                out.event_to_stderr("sent_count", Kind::Out, &text, &[("count", sent.into())]);
            }
            match wait {
                Some(wait) => tokio::time::sleep(wait).await,
                None => break,
            }
        }
        writer.shutdown_write().await;
    });
}

/// `--reconnect`: says when the next attempt comes and waits for it;
/// `false` when a stop signal came instead.
async fn wait_to_reconnect(
    backoff: &mut crate::net::timed::Backoff,
    out: &Output,
    stop: &mut Shutdown,
) -> bool {
    let (wait, attempt) = backoff.next_wait();
    let text = crate::narrate::client::reconnecting(wait, attempt);
    let fields = [
        ("attempt", Value::from(attempt)),
        ("wait_ms", Value::from(wait.as_millis() as u64)),
    ];
    emit(out, "reconnecting", Kind::Info, &text, &fields);
    tokio::select! {
        () = tokio::time::sleep(wait) => true,
        _ = stop.recv() => false,
    }
}

/// The `tcp_info` event's fields, named as `ss -i` and the kernel do.
pub(super) fn tcp_info_fields(
    info: &crate::net::kernel::tcp_info::TcpInfo,
) -> Vec<(&'static str, Value)> {
    vec![
        ("state", Value::from(info.state_name())),
        ("rtt_us", u64::from(info.rtt_us).into()),
        ("rttvar_us", u64::from(info.rttvar_us).into()),
        ("min_rtt_us", u64::from(info.min_rtt_us).into()),
        ("cwnd", u64::from(info.cwnd).into()),
        ("ssthresh", u64::from(info.ssthresh).into()),
        ("mss", u64::from(info.mss).into()),
        ("pmtu", u64::from(info.pmtu).into()),
        ("retrans", u64::from(info.retrans).into()),
        ("total_retrans", u64::from(info.total_retrans).into()),
        ("unacked", u64::from(info.unacked).into()),
        ("bytes_acked", info.bytes_acked.into()),
        ("bytes_received", info.bytes_received.into()),
        ("segs_out", u64::from(info.segs_out).into()),
        ("segs_in", u64::from(info.segs_in).into()),
        ("notsent_bytes", u64::from(info.notsent_bytes).into()),
    ]
}

/// Status lines of `connect`: JSON on stdout with --json, else text on
/// stderr (stdout carries the data).
fn emit(out: &Output, event: &str, kind: Kind, text: &str, fields: &[(&str, Value)]) {
    if out.json {
        out.event(event, kind, text, fields);
    } else {
        out.event_to_stderr(event, kind, text, fields);
    }
}

impl super::TcpServeArgs {
    /// Checks the arguments and runs the server.
    pub async fn run(self, out: Output, stop: Shutdown) -> ExitCode {
        let super::TcpServeArgs {
            addr,
            mode,
            delay,
            max_conn,
            idle_timeout,
            tls,
            cert,
            key,
            tcp_info,
            rules,
            dump,
            pcap,
            keylog,
            websocket,
            unlink_stale,
        } = self;
        let refused = [
            (
                "--pcap",
                pcap.is_some(),
                "a capture is IP packets, and a UNIX socket has none",
            ),
            (
                "--tcp-info",
                tcp_info,
                "TCP_INFO is TCP's; a UNIX socket has no such state",
            ),
        ];
        if let Err(code) = super::unix_listen::prepare(&[&addr], &refused, unlink_stale, &out).await
        {
            return code;
        }
        let rules = match super::rules_or_reasons(rules.as_deref(), &out) {
            Ok(rules) => rules,
            Err(code) => return code,
        };
        let mode = if rules.is_some() {
            super::ServeMode::Rules
        } else {
            mode
        };
        let tls = match tls
            .then(|| {
                let extra: Vec<String> = crate::net::tls::server::listen_name(&addr)
                    .into_iter()
                    .collect();
                crate::net::tls::server::server_for(cert.as_deref(), key.as_deref(), &extra)
            })
            .transpose()
        {
            Ok(tls) => tls,
            Err(reason) => {
                out.error(&format!("cannot start TLS: {reason}"));
                return Exit::Failure.into();
            }
        };
        let idle_timeout = match idle_timeout
            .map(|s| seconds(s, "--idle-timeout"))
            .transpose()
        {
            Ok(limit) => limit,
            Err(reason) => {
                out.error(&reason);
                return Exit::Usage.into();
            }
        };
        let config = crate::net::behaviour::greet::ServerConfig {
            behaviour: mode.behaviour(),
            reply_delay: std::time::Duration::from_millis(delay),
            max_connections: max_conn,
            idle_timeout,
            tcp_info,
        };
        let websocket = websocket
            .websocket
            .then(|| crate::net::tcp_server::WsOptions {
                protocols: websocket.protocols.clone(),
                max_message: usize::try_from(websocket.max_message).unwrap_or(usize::MAX),
                strict: !websocket.lenient,
            });
        let setup = Setup {
            tls,
            rules,
            websocket,
            pcap,
            keylog,
        };
        serve(&addr, config, setup, (out, dump), stop).await
    }
}
