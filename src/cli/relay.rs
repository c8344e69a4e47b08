//! `netplay relay LISTEN TARGET`: the relay engine with stdout for a
//! screen — one line per read, like `socat -v`, with faults from flags.

use crate::cli::Exit;
use std::process::ExitCode;
use std::time::Duration;

use super::event_log::{EventLog, Next, Piece};
use super::output::{Output, Value};
use super::{RelayArgs, RelayDirection};
use crate::narrate::relay::{event_name, narrate};
use crate::net::relay::{self, Dir, Faults, RelayConfig, RelayEvent};
use crate::net::Event;
use crate::shutdown::Shutdown;

/// The relay's settings from the flags: the faults, on the directions
/// `--direction` names.
pub fn config(args: &RelayArgs) -> Result<RelayConfig, String> {
    let faults = Faults {
        latency: Duration::from_millis(args.latency),
        jitter: Duration::from_millis(args.jitter),
        bandwidth: args.bandwidth,
        slice: args.slice,
        slice_delay: Duration::from_millis(args.slice_delay),
        limit: args.limit,
        ..Faults::default()
    };
    if args.bandwidth == Some(0) {
        return Err("--bandwidth must be at least 1 byte a second".into());
    }
    if args.slice == Some(0) {
        return Err("--slice must be at least 1 byte".into());
    }
    let on = |dir: Dir| match args.direction {
        RelayDirection::Both => true,
        RelayDirection::Up => dir == Dir::Up,
        RelayDirection::Down => dir == Dir::Down,
    };
    let mut config = RelayConfig {
        max_pairs: args.max_conn,
        ..RelayConfig::default()
    };
    for dir in Dir::BOTH {
        if on(dir) {
            config.faults[dir.index()] = faults;
        }
    }
    Ok(config)
}

fn fields(event: &RelayEvent) -> Vec<(&'static str, Value)> {
    let conn = |pair: &crate::net::ConnId| ("conn", Value::from(pair.0));
    match event {
        RelayEvent::WsUpgraded { pair } => vec![conn(pair)],
        RelayEvent::WsFrame { pair, dir, frame } => {
            let (head, _) = &**frame;
            let mask = head
                .mask
                .map(|k| format!("{:02x}{:02x}{:02x}{:02x}", k[0], k[1], k[2], k[3]));
            vec![
                conn(pair),
                ("dir", dir.name().into()),
                ("fin", Value::Bool(head.fin)),
                ("rsv", u64::from(head.rsv).into()),
                ("opcode", head.opcode.name().into()),
                ("mask", mask.unwrap_or_default().into()),
                ("len", head.len.into()),
            ]
        }
        RelayEvent::Listening { local } => vec![("local", local.to_string().into())],
        RelayEvent::StartFailed { reason }
        | RelayEvent::AcceptFailed { reason }
        | RelayEvent::Warning { reason } => vec![("reason", reason.clone().into())],
        RelayEvent::Stopped => Vec::new(),
        RelayEvent::ProxyAsked { pair, words } => {
            vec![conn(pair), ("request", words.clone().into())]
        }
        RelayEvent::TcpInfo { pair, side, .. } | RelayEvent::Options { pair, side, .. } => {
            vec![conn(pair), ("side", side.name().into())]
        }
        RelayEvent::Accepted {
            pair,
            client,
            local,
            ..
        } => {
            let mut fields = vec![
                conn(pair),
                ("client", client.to_string().into()),
                ("local", local.to_string().into()),
            ];
            fields.extend(super::server_fields::cred_fields(client));
            fields
        }
        RelayEvent::UpstreamOpen {
            pair,
            local,
            remote,
            ..
        } => vec![
            conn(pair),
            ("local", local.to_string().into()),
            ("remote", remote.to_string().into()),
        ],
        RelayEvent::UpstreamFailed { pair, reason } | RelayEvent::Fault { pair, what: reason } => {
            vec![conn(pair), ("reason", reason.clone().into())]
        }
        RelayEvent::Relayed { pair, dir, data } | RelayEvent::Injected { pair, dir, data } => vec![
            conn(pair),
            ("dir", dir.name().into()),
            ("len", (data.len as u64).into()),
        ],
        RelayEvent::Held { pair, dir, chunk } | RelayEvent::Edited { pair, dir, chunk } => vec![
            conn(pair),
            ("dir", dir.name().into()),
            ("seq", chunk.seq.into()),
            ("len", (chunk.bytes.len() as u64).into()),
        ],
        RelayEvent::Unheld { pair, dir, seq, .. } => vec![
            conn(pair),
            ("dir", dir.name().into()),
            ("seq", (*seq).into()),
        ],
        RelayEvent::FinReceived { pair, side } | RelayEvent::FinSent { pair, side } => {
            vec![conn(pair), ("side", side.name().into())]
        }
        RelayEvent::Closed { pair, reason, .. } => {
            vec![conn(pair), ("reason", reason.clone().into())]
        }
    }
}

/// The words of a `relayed` line before its bytes, as pieces.
fn relayed_head(pair: crate::net::ConnId, dir: Dir, len: u64) -> [Piece<'static>; 6] {
    [
        Piece::Conn(pair),
        Piece::Str(" "),
        Piece::Str(dir.arrow()),
        Piece::Str(" "),
        Piece::Num(len),
        Piece::Str(" B: "),
    ]
}

fn relay_kind(dir: Dir) -> crate::narrate::Kind {
    crate::narrate::relay::kind_of(dir)
}

/// Relays until Ctrl+C or SIGTERM, then closes every pair and exits 0; a
/// failure to listen exits 1.
impl RelayArgs {
    /// Runs the relay until a stop signal.
    pub async fn run(self, out: Output, stop: Shutdown) -> ExitCode {
        let args = self;
        let config = match config(&args) {
            Ok(config) => config,
            Err(reason) => {
                out.error(&reason);
                return Exit::Usage.into();
            }
        };
        let timeout = match super::seconds(args.timeout, "--timeout") {
            Ok(limit) => limit,
            Err(reason) => {
                out.error(&reason);
                return Exit::Usage.into();
            }
        };
        let upstream = match args.proxy.upstream(args.target.as_deref()) {
            Ok(upstream) => upstream,
            Err(reason) => {
                out.error(&reason);
                return Exit::Usage.into();
            }
        };
        let shown_target = match &upstream {
            crate::net::relay::proxy_serve::Upstream::Fixed(target) => target.clone(),
            crate::net::relay::proxy_serve::Upstream::Proxy(serve) => match serve.kind {
                crate::net::relay::proxy_serve::ProxyKind::Socks5 => {
                    "each client's target (SOCKS5 proxy)".to_string()
                }
                crate::net::relay::proxy_serve::ProxyKind::Http => {
                    "each client's target (HTTP proxy)".to_string()
                }
            },
        };
        let listen_and_target = [args.listen.as_str(), args.target.as_deref().unwrap_or("")];
        let refused = [(
            "--pcap",
            args.pcap.is_some(),
            "a capture is IP packets, and a UNIX socket has none",
        )];
        let unlink = args.unlink_stale;
        if let Err(code) =
            super::unix_listen::prepare(&listen_and_target, &refused, unlink, &out).await
        {
            return code;
        }
        let (engine, events) = super::event_log::engine(&out, args.dump);
        let log = EventLog::new(out, args.dump);
        let relay = relay::start_with(&engine, &args.listen, upstream, config, timeout);
        let capture = match args.pcap.as_deref().map(|path| {
            crate::net::pcap::Capture::start(
                &engine,
                path,
                "Written live by netplay relay: two flows per pair.",
            )
        }) {
            Some(Ok((capture, end))) => {
                relay.set_capture(Some(capture));
                Some(end)
            }
            Some(Err(reason)) => {
                out.error(&reason);
                return super::Exit::Usage.into();
            }
            None => None,
        };
        let code = log
            .drive(
                events,
                stop,
                || relay.stop(),
                |log, event| {
                    let Event::Relay(_, event) = event else {
                        return Next::Go;
                    };
                    // Said once, on stderr with its hint (not also as a line).
                    if let RelayEvent::StartFailed { reason } = event {
                        return Next::Fail(super::unix_listen::cannot_listen(&reason));
                    }
                    // The busiest line, written without the formatting
                    // machinery; the same words as the narrator's (tested).
                    if let RelayEvent::Relayed { pair, dir, data } = &event {
                        let head = relayed_head(*pair, *dir, data.len as u64);
                        log.data("relayed", relay_kind(*dir), &head, data, || fields(&event));
                        return Next::Go;
                    }
                    let line = narrate(&event, &shown_target);
                    match &line.data {
                        Some(data) => {
                            let head = [Piece::Str(&line.text)];
                            log.data(event_name(&event), line.kind, &head, data, || {
                                fields(&event)
                            });
                        }
                        None => {
                            log.event(event_name(&event), line.kind, &line.text, || fields(&event))
                        }
                    }
                    match event {
                        RelayEvent::Stopped => Next::Done(ExitCode::SUCCESS),
                        _ => Next::Go,
                    }
                },
            )
            .await;
        drop(relay);
        match capture {
            Some(end) => super::pcap::finish_capture(end, code, out).await,
            None => code,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fast_relayed_line_says_what_the_narrator_says() {
        for dir in Dir::BOTH {
            let event = RelayEvent::Relayed {
                pair: crate::net::ConnId(7),
                dir,
                data: crate::net::Payload::of(b"hello"),
            };
            let mut fast = String::new();
            relayed_head(crate::net::ConnId(7), dir, 5)
                .into_iter()
                .for_each(|piece| piece.push(&mut fast));
            let narrated = narrate(&event, "127.0.0.1:1");
            assert_eq!(fast, narrated.text);
            assert_eq!(relay_kind(dir), narrated.kind);
        }
    }
}
