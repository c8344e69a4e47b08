//! `netplay udp serve` and `netplay udp send`.

use std::process::ExitCode;
use std::time::Duration;

use std::net::SocketAddr;

use super::event_log::{self, Dump, EventLog, Next, Piece};
use super::output::{Output, Value};
use super::{Exit, UdpServeMode};
use crate::narrate::Kind;
use crate::net::udp::UdpOptions;
use crate::net::udp::{self, Bind, Blocked, UdpEvent, UdpMode};
use crate::net::Event;
use crate::shutdown::Shutdown;
use crate::text::sanitize;

/// How long `udp send` keeps listening after a message's first reply, for
/// more replies to it.
const REPLY_LINGER: Duration = Duration::from_millis(100);

/// Binds and answers until Ctrl+C or SIGTERM (exit 0); a bind failure exits 1.
pub async fn serve(
    addr: &str,
    mode: UdpServeMode,
    rules: Option<std::sync::Arc<crate::net::behaviour::rules::Rules>>,
    (out, dump, pcap): (Output, Option<Dump>, Option<&std::path::Path>),
    (no_reply_to, options): (&[String], UdpOptions),
    stop: Shutdown,
) -> ExitCode {
    let mode = match mode {
        _ if rules.is_some() => UdpMode::Rules,
        UdpServeMode::Greet => UdpMode::Greet,
        UdpServeMode::Echo => UdpMode::Echo,
        UdpServeMode::Silent => UdpMode::Silent,
    };
    let mut blocked = Vec::new();
    for text in no_reply_to {
        match Blocked::parse(text) {
            Ok(peer) => blocked.push(peer),
            Err(reason) => {
                out.error(&format!("--no-reply-to: {reason}"));
                return Exit::Usage.into();
            }
        }
    }
    let (engine, events) = event_log::engine(&out, dump);
    let capture = match super::pcap::start_live(
        &engine,
        pcap,
        "Written live by netplay udp serve: one packet per datagram.",
    ) {
        Ok(capture) => capture,
        Err(reason) => {
            out.error(&reason);
            return Exit::Usage.into();
        }
    };
    let log = EventLog::new(out, dump);
    let bind = Bind::Address(addr.to_string());
    let socket = udp::open_with(&engine, bind, (mode, None), options);
    // The socket writes the capture itself: every datagram whole, whatever
    // the lines show.
    let end = capture.map(|(capture, end)| {
        socket.set_capture(Some(capture));
        end
    });
    if rules.is_some() {
        socket.set_rules(rules);
    }
    for peer in blocked {
        socket.no_reply_to(peer, true);
    }
    // After a stop the socket is closed, and every event it had queued is
    // still written (up to its Closed) before the command ends.
    let code = log
        .drive(
            events,
            stop,
            || socket.close(),
            |log, event| match event {
                Event::Udp(_, UdpEvent::Closed) => {
                    log.event("closed", Kind::Info, "Socket closed", Vec::new);
                    Next::Done(ExitCode::SUCCESS)
                }
                Event::Udp(_, event) => serve_line(log, event, mode),
                _ => Next::Go,
            },
        )
        .await;
    drop(socket);
    match end {
        Some(end) => super::pcap::finish_capture(end, code, out).await,
        None => code,
    }
}

/// Writes the line of one event of `udp serve`; a bind failure ends it.
fn serve_line(log: &mut EventLog, event: UdpEvent, mode: UdpMode) -> Next {
    let peer = |addr: SocketAddr| ("peer", Value::from(addr.to_string()));
    match event {
        UdpEvent::Bound { local, .. } => log.event(
            "bound",
            Kind::Good,
            &crate::narrate::udp::bound(local, None, mode.name()).1,
            || vec![("local", local.to_string().into())],
        ),
        UdpEvent::BindFailed { reason } => {
            return Next::Fail(crate::narrate::udp::cannot_bind(&reason))
        }
        UdpEvent::Note { text } => log.event("socket", Kind::Info, &text, Vec::new),
        UdpEvent::Received {
            from,
            data,
            note,
            to,
        } => {
            let note = crate::net::udp::pktinfo::Arrival::with_note(to.as_deref(), note)
                .map(|note| format!(" ({note})"))
                .unwrap_or_default();
            let head = [
                Piece::Str("Received from "),
                Piece::Addr(from),
                Piece::Str(&note),
                Piece::Str(", "),
                Piece::Num(data.len as u64),
                Piece::Str(" B: "),
            ];
            log.data("received", Kind::In, &head, &data, || {
                let mut fields = vec![peer(from), ("len", (data.len as u64).into())];
                if let Some(to) = to {
                    fields.push(("to", to.to_string().into()));
                }
                fields
            });
        }
        UdpEvent::RuleMatched { from, rule } => log.event(
            "rule",
            Kind::Info,
            &crate::narrate::udp::rule_matched(from, rule),
            || vec![peer(from), ("rule", (rule as u64).into())],
        ),
        UdpEvent::Echoed { peer: to, data } => {
            let head = [
                Piece::Str("Echoed "),
                Piece::Num(data.len as u64),
                Piece::Str(" B back to "),
                Piece::Addr(to),
                Piece::Str(": "),
            ];
            log.data("echoed", Kind::Echo, &head, &data, || {
                vec![peer(to), ("len", (data.len as u64).into())]
            });
        }
        UdpEvent::Sent { to, data } => {
            let head = [
                Piece::Str("Sent to "),
                Piece::Addr(to),
                Piece::Str(", "),
                Piece::Num(data.len as u64),
                Piece::Str(" B: "),
            ];
            log.data("sent", Kind::Out, &head, &data, || {
                vec![peer(to), ("len", (data.len as u64).into())]
            });
        }
        UdpEvent::Lost { from, len } => log.event(
            "lost",
            Kind::Error,
            &crate::narrate::udp::lost(from, len),
            || vec![peer(from), ("len", (len as u64).into())],
        ),
        UdpEvent::LoopSuspect { peer: from, reason } => {
            log.event("loop_suspect", Kind::Error, &reason, || {
                vec![peer(from), ("reason", reason.clone().into())]
            })
        }
        UdpEvent::NoReply {
            peer: blocked,
            on,
            refused,
        } => {
            let text = match (&refused, on) {
                (Some(reason), _) => reason.clone(),
                (None, true) => format!(
                    "{} (--no-reply-to)",
                    crate::narrate::udp::no_reply(blocked, true)
                ),
                (None, false) => crate::narrate::udp::no_reply(blocked, false),
            };
            let kind = if refused.is_some() {
                Kind::Error
            } else {
                Kind::Info
            };
            log.event("no_reply", kind, &text, || {
                vec![
                    ("peer", blocked.to_string().into()),
                    ("on", u64::from(on).into()),
                ]
            })
        }
        UdpEvent::Error { reason } => log.event("error", Kind::Error, &reason, || {
            vec![("reason", reason.clone().into())]
        }),
        UdpEvent::BurstDone(_) | UdpEvent::Closed => {}
    }
    Next::Go
}

/// Sends each message as one datagram from an ephemeral socket connected to
/// `addr`, printing each reply with its sender (waiting up to `wait_ms` for
/// each). Exits 1 when the target refuses (ICMP) or cannot be reached.
pub async fn send(
    addr: &str,
    messages: &[Vec<u8>],
    wait_ms: u64,
    (out, pcap, options): (Output, Option<&std::path::Path>, &UdpOptions),
    mut stop: Shutdown,
) -> ExitCode {
    let (engine, events) = super::headless_engine(true);
    let (socket, end) = match sending_socket(&engine, addr, (pcap, options)) {
        Ok(opened) => opened,
        Err(reason) => {
            out.error(&reason);
            return Exit::Usage.into();
        }
    };
    let code = send_each(addr, messages, wait_ms, (socket, events), out, &mut stop).await;
    match end {
        Some(end) => super::pcap::finish_capture(end, code, out).await,
        None => code,
    }
}

async fn send_each(
    addr: &str,
    messages: &[Vec<u8>],
    wait_ms: u64,
    (socket, mut events): (udp::UdpHandle, tokio::sync::mpsc::Receiver<Event>),
    out: Output,
    stop: &mut Shutdown,
) -> ExitCode {
    let wait = Duration::from_millis(wait_ms);
    let mut failed = false;
    for message in messages {
        socket.send(addr, message.clone());
        let mut deadline = tokio::time::Instant::now() + wait;
        let mut replies = 0u32;
        loop {
            let next = tokio::select! {
                next = tokio::time::timeout_at(deadline, events.recv()) => next,
                _ = stop.recv() => {
                    drop(socket);
                    return ExitCode::SUCCESS;
                }
            };
            let event = match next {
                Ok(Some(Event::Udp(_, event))) => event,
                Ok(_) => continue,
                Err(_) if replies > 0 => break,
                Err(_) => {
                    out.event_to_stderr(
                        "no_reply",
                        Kind::Info,
                        &format!("No reply within {wait_ms} ms"),
                        &[],
                    );
                    break;
                }
            };
            match event {
                UdpEvent::Note { text } => out.event_to_stderr("socket", Kind::Info, &text, &[]),
                UdpEvent::Bound {
                    local, connected, ..
                } => out.event_to_stderr(
                    "bound",
                    Kind::Info,
                    &crate::narrate::udp::bound(local, connected, "silent").1,
                    &[("local", local.to_string().into())],
                ),
                UdpEvent::BindFailed { reason } | UdpEvent::Error { reason } => {
                    out.error(&reason);
                    failed = true;
                    break;
                }
                UdpEvent::Received { from, data, .. } => {
                    if out.json {
                        out.event(
                            "reply",
                            Kind::In,
                            &format!("{} B", data.len),
                            &[
                                ("peer", from.to_string().into()),
                                ("len", (data.len as u64).into()),
                                ("data", Value::from(sanitize(&data.preview))),
                            ],
                        );
                    } else {
                        if out.data(&reply_line(from, &data.preview)).is_err() {
                            return Exit::Failure.into();
                        }
                    }
                    // UDP may answer once, twice or not at all: after the
                    // first reply, every reply that follows within a short
                    // linger is printed too, never dropped.
                    replies += 1;
                    deadline = deadline.min(tokio::time::Instant::now() + REPLY_LINGER);
                }
                UdpEvent::Sent { .. }
                | UdpEvent::Echoed { .. }
                | UdpEvent::LoopSuspect { .. }
                | UdpEvent::NoReply { .. }
                | UdpEvent::Lost { .. }
                | UdpEvent::RuleMatched { .. }
                | UdpEvent::BurstDone(_)
                | UdpEvent::Closed => {}
            }
        }
        if failed {
            break;
        }
    }
    drop(socket);
    if failed {
        Exit::Failure.into()
    } else {
        ExitCode::SUCCESS
    }
}

/// `udp send --repeat` and `--file`: `pieces` one datagram each on
/// `schedule` (each sent once the one before is), replies printed as they
/// arrive; after the last (or Ctrl+C) and `wait_ms` more, a count of what
/// was sent and answered. `each`: say every send on stderr (`Sent N`).
pub async fn send_timed(
    addr: &str,
    pieces: impl Iterator<Item = Vec<u8>> + Send + 'static,
    schedule: crate::net::timed::Repeat,
    each: bool,
    wait_ms: u64,
    (out, pcap, options): (Output, Option<&std::path::Path>, &UdpOptions),
    stop: Shutdown,
) -> ExitCode {
    let (engine, events) = super::headless_engine(true);
    let (socket, end) = match sending_socket(&engine, addr, (pcap, options)) {
        Ok(opened) => opened,
        Err(reason) => {
            out.error(&reason);
            return Exit::Usage.into();
        }
    };
    let run = socket.send_each(&engine, addr, schedule, pieces);
    let code = timed_replies((socket, run, events), each, wait_ms, out, stop).await;
    match end {
        Some(end) => super::pcap::finish_capture(end, code, out).await,
        None => code,
    }
}

/// The replies and sends of [`send_timed`], as they come.
async fn timed_replies(
    (socket, mut run, mut events): (
        udp::UdpHandle,
        crate::net::timed::Repeating,
        tokio::sync::mpsc::Receiver<Event>,
    ),
    each: bool,
    wait_ms: u64,
    out: Output,
    mut stop: Shutdown,
) -> ExitCode {
    let (mut sent, mut replies, mut failed, mut not_sent) = (0u64, 0u64, false, 0u64);
    let mut linger: Option<tokio::time::Instant> = None;
    loop {
        let next = async {
            match linger {
                Some(deadline) => tokio::time::timeout_at(deadline, events.recv()).await,
                None => Ok(events.recv().await),
            }
        };
        let event = tokio::select! {
            _ = stop.recv() => {
                // Stopped: no more sends, then every "sent" already on its
                // way is counted before the summary (the socket says it has
                // closed after the last).
                drop(run);
                drop(socket);
                let settle = tokio::time::Instant::now() + Duration::from_secs(1);
                while let Ok(Some(event)) = tokio::time::timeout_at(settle, events.recv()).await {
                    match event {
                        Event::Udp(_, UdpEvent::Sent { .. }) => sent += 1,
                        Event::Udp(_, UdpEvent::Closed) => break,
                        _ => {}
                    }
                }
                return summary(sent, replies, not_sent, failed, out);
            }
            () = run.finished(), if linger.is_none() => {
                linger = Some(tokio::time::Instant::now() + Duration::from_millis(wait_ms));
                continue;
            }
            event = next => event,
        };
        match event {
            Ok(Some(Event::Udp(_, UdpEvent::Received { from, data, .. }))) => {
                replies += 1;
                if out.data(&reply_line(from, &data.preview)).is_err() {
                    return Exit::Failure.into();
                }
            }
            Ok(Some(Event::Udp(_, UdpEvent::Sent { .. }))) => {
                sent += 1;
                if each {
                    let text = format!("Sent {sent}");
                    out.event_to_stderr("sent", Kind::Out, &text, &[("count", sent.into())]);
                }
            }
            Ok(Some(Event::Udp(_, UdpEvent::BindFailed { reason }))) => {
                out.error(&reason);
                return Exit::Failure.into();
            }
            Ok(Some(Event::Udp(_, UdpEvent::Error { reason }))) => {
                out.error(&reason);
                failed = true;
                not_sent += 1;
            }
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
    }
    drop(socket);
    summary(sent, replies, not_sent, failed, out)
}

/// The last line of `udp send --repeat/--file`: datagrams sent (those the
/// socket could not send are counted apart: `--count` counts attempts).
fn summary(sent: u64, replies: u64, not_sent: u64, failed: bool, out: Output) -> ExitCode {
    let mut text = format!(
        "Sent {}, {}",
        crate::format::plural(sent, "datagram"),
        match replies {
            1 => "1 reply".to_string(),
            n => format!("{} replies", crate::format::count(n)),
        }
    );
    if not_sent > 0 {
        text.push_str(&format!(", {not_sent} not sent"));
    }
    let fields = [
        ("sent", sent.into()),
        ("replies", replies.into()),
        ("not_sent", not_sent.into()),
    ];
    out.event_to_stderr("summary", Kind::Info, &text, &fields);
    if failed {
        Exit::Failure.into()
    } else {
        ExitCode::SUCCESS
    }
}

/// An ephemeral socket connected to `addr`, answering nothing: what `udp
/// send` sends from, writing `--pcap` when asked (with the capture's end
/// to wait for once the socket is dropped).
fn sending_socket(
    engine: &crate::net::Engine,
    addr: &str,
    (pcap, options): (Option<&std::path::Path>, &UdpOptions),
) -> Result<(udp::UdpHandle, Option<CaptureEnd>), String> {
    let comment = "Written live by netplay udp send: one packet per datagram.";
    let capture = super::pcap::start_live(engine, pcap, comment)?;
    let socket = udp::open_with(
        engine,
        Bind::EphemeralFor(addr.to_string()),
        (UdpMode::Silent, None),
        options.clone(),
    );
    let end = capture.map(|(capture, end)| {
        socket.set_capture(Some(capture));
        end
    });
    Ok((socket, end))
}

type CaptureEnd = tokio::sync::oneshot::Receiver<crate::net::pcap::CaptureEnd>;

impl super::UdpServeArgs {
    /// Checks the arguments and serves.
    pub async fn run(self, out: Output, stop: Shutdown) -> ExitCode {
        let super::UdpServeArgs {
            addr,
            mode,
            rules,
            dump,
            no_reply_to,
            pcap,
            group,
        } = self;
        let rules = match super::rules_or_reasons(rules.as_deref(), &out) {
            Ok(rules) => rules,
            Err(code) => return code,
        };
        let how = (out, dump, pcap.as_deref());
        let options = match group.options() {
            Ok(options) => options,
            Err(reason) => {
                out.error(&reason);
                return Exit::Usage.into();
            }
        };
        serve(&addr, mode, rules, how, (&no_reply_to, options), stop).await
    }
}

/// A reply as `udp send` prints it: `from: bytes`, one line per reply (a
/// reply that ends its own line gets no blank line after it).
fn reply_line(from: SocketAddr, bytes: &[u8]) -> Vec<u8> {
    let mut line = format!("{from}: ").into_bytes();
    line.extend_from_slice(bytes);
    if !bytes.ends_with(b"\n") {
        line.push(b'\n');
    }
    line
}

/// `udp send ADDR` with no message: what stdin holds, cut after each line
/// (read whole first, at most 1 GiB, on the blocking pool).
async fn stdin_lines() -> Result<crate::files::Pieces, String> {
    use std::io::{IsTerminal, Read};
    if std::io::stdin().is_terminal() {
        return Err("nothing to send: give MSG, --file FILE, or pipe data to stdin".into());
    }
    let read = tokio::task::spawn_blocking(|| {
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .take(1 << 30)
            .read_to_end(&mut bytes)
            .map(|_| bytes)
    })
    .await
    .map_err(|err| err.to_string())?;
    match read {
        Ok(bytes) if bytes.is_empty() => Err("nothing to send: stdin was empty".into()),
        Ok(bytes) => Ok(crate::files::Pieces::of(bytes, true)),
        Err(err) => Err(format!("cannot read stdin: {err}")),
    }
}

impl super::UdpSendArgs {
    /// Checks the arguments and sends.
    pub async fn run(self, out: Output, stop: Shutdown) -> ExitCode {
        let super::UdpSendArgs {
            addr,
            messages,
            file,
            lines,
            wait,
            repeat,
            jitter,
            count,
            pcap,
            group,
        } = self;
        let options = match group.options() {
            Ok(options) => options,
            Err(reason) => {
                out.error(&reason);
                return Exit::Usage.into();
            }
        };
        let file = match file
            .map(|path| {
                crate::files::pieces(&path, lines, 1 << 30).map_err(|reason| (path, reason))
            })
            .transpose()
        {
            Ok(file) => file,
            Err((path, reason)) => {
                let shown = crate::text::sanitize_str(&path.display().to_string());
                out.error(&format!("--file {shown}: {reason}"));
                return Exit::Usage.into();
            }
        };
        let file = match file {
            None if messages.is_empty() => match stdin_lines().await {
                Ok(pieces) => Some(pieces),
                Err(reason) => {
                    out.error(&reason);
                    return Exit::Usage.into();
                }
            },
            file => file,
        };
        let messages: Vec<Vec<u8>> = messages.into_iter().map(String::into_bytes).collect();
        let back_to_back = |count: u64| {
            crate::net::timed::Repeat::new(
                std::time::Duration::ZERO,
                std::time::Duration::ZERO,
                Some(count.max(1)),
                0,
            )
        };
        let every = |every: u64| {
            crate::net::timed::Repeat::new(
                std::time::Duration::from_millis(every.max(1)),
                std::time::Duration::from_millis(jitter),
                count,
                std::process::id().into(),
            )
        };
        match (file, repeat) {
            (Some(file), Some(ms)) => {
                send_timed(
                    &addr,
                    file.cycle(),
                    every(ms),
                    true,
                    wait,
                    (out, pcap.as_deref(), &options),
                    stop,
                )
                .await
            }
            (Some(file), None) => {
                let total = file.total();
                send_timed(
                    &addr,
                    file,
                    back_to_back(total),
                    false,
                    wait,
                    (out, pcap.as_deref(), &options),
                    stop,
                )
                .await
            }
            (None, Some(ms)) => {
                send_timed(
                    &addr,
                    messages.into_iter().cycle(),
                    every(ms),
                    true,
                    wait,
                    (out, pcap.as_deref(), &options),
                    stop,
                )
                .await
            }
            (None, None) => {
                send(
                    &addr,
                    &messages,
                    wait,
                    (out, pcap.as_deref(), &options),
                    stop,
                )
                .await
            }
        }
    }
}
