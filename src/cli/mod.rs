//! The command line: no subcommand opens the terminal UI; a subcommand runs
//! the same engine headless, for scripts, pipes and servers over SSH. No
//! network logic lives here: only arguments, the engine's events, and output.

mod args;
pub mod event_log;
pub mod fetch;
pub mod output;
pub mod record_file;
pub mod relay;
pub mod replay;
pub mod stdin_queue;
pub mod tcp;
pub mod udp;

use std::process::ExitCode;

use crate::shutdown::Shutdown;
pub use args::{
    Args, Command, Eol, FetchArgs, RelayArgs, RelayDirection, ServeMode, TcpCommand, TlsArgs,
    UdpCommand, UdpServeMode,
};
use clap::CommandFactory;

/// The engine every headless command runs on: lossless (a data event waits
/// for room rather than being dropped, so the network slows to stdout's
/// pace), with a small channel so memory stays bounded. `whole` puts every
/// byte of each read or datagram in its event, for the commands whose
/// stdout is data; the others carry the display preview.
pub fn headless_engine(
    whole: bool,
) -> (
    crate::net::Engine,
    tokio::sync::mpsc::Receiver<crate::net::Event>,
) {
    let limit = if whole {
        usize::MAX
    } else {
        crate::net::PREVIEW_LIMIT
    };
    crate::net::Engine::lossless(tokio::runtime::Handle::current(), 256, limit)
}

/// `--rules FILE`, read and parsed; each bad line is said on stderr and
/// the command exits 2.
fn rules_or_reasons(
    path: Option<&std::path::Path>,
    out: &output::Output,
) -> Result<Option<std::sync::Arc<crate::net::behaviour::rules::Rules>>, ExitCode> {
    path.map(load_rules).transpose().map_err(|reasons| {
        for reason in reasons {
            out.error(&reason);
        }
        ExitCode::from(2)
    })
}

/// Reads and parses a rules file; every bad line is one reason, named by
/// the file and its line.
pub fn load_rules(
    path: &std::path::Path,
) -> Result<std::sync::Arc<crate::net::behaviour::rules::Rules>, Vec<String>> {
    let shown = crate::text::sanitize_str(&path.display().to_string());
    let bytes = crate::files::read_regular(path, crate::net::behaviour::rules::RULES_LIMIT as u64)
        .map_err(|err| vec![format!("cannot read the rules in {shown}: {err}")])?;
    let text = String::from_utf8(bytes)
        .map_err(|_| vec![format!("the rules in {shown} are not UTF-8 text")])?;
    crate::net::behaviour::rules::Rules::parse(&text)
        .map(std::sync::Arc::new)
        .map_err(|errors| {
            errors
                .iter()
                .map(|error| format!("{shown} {}", crate::text::sanitize_str(&error.to_string())))
                .collect()
        })
}

/// Exit status for a failure (bad arguments exit 2, from clap).
pub const FAILURE: u8 = 1;

/// Runs a headless command to completion.
///
/// `stop` was installed at process start (see [`crate::shutdown`]), so a
/// stop signal is handled cleanly from the first event on.
pub async fn run(command: Command, out: output::Output, stop: Shutdown) -> ExitCode {
    match command {
        Command::Fetch(args) => fetch::run(args, out, stop).await,
        Command::Tcp {
            command:
                TcpCommand::Serve {
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
                },
        } => {
            let rules = match rules_or_reasons(rules.as_deref(), &out) {
                Ok(rules) => rules,
                Err(code) => return code,
            };
            let mode = if rules.is_some() {
                ServeMode::Rules
            } else {
                mode
            };
            let tls = match tls
                .then(|| crate::net::tls::server::server(cert.as_deref(), key.as_deref()))
                .transpose()
            {
                Ok(tls) => tls,
                Err(reason) => {
                    out.error(&format!("cannot start TLS: {reason}"));
                    return ExitCode::from(FAILURE);
                }
            };
            let idle_timeout = match idle_timeout
                .map(|s| seconds(s, "--idle-timeout"))
                .transpose()
            {
                Ok(limit) => limit,
                Err(reason) => {
                    out.error(&reason);
                    return ExitCode::from(2);
                }
            };
            let config = crate::net::behaviour::greet::ServerConfig {
                behaviour: mode.behaviour(),
                reply_delay: std::time::Duration::from_millis(delay),
                max_connections: max_conn,
                idle_timeout,
                tcp_info,
            };
            tcp::serve(&addr, config, tls, rules, (out, dump), stop).await
        }
        Command::Tcp {
            command:
                TcpCommand::Connect {
                    addr,
                    eol,
                    raw,
                    timeout,
                    tls,
                    tcp_info,
                    reconnect,
                    record,
                    send,
                    repeat,
                    jitter,
                    count,
                },
        } => {
            let send = match send.as_deref().map(crate::text::parse_escapes).transpose() {
                Ok(bytes) => bytes.map(|bytes| {
                    let schedule = match repeat {
                        Some(every) => crate::net::timed::Repeat::new(
                            std::time::Duration::from_millis(every.max(1)),
                            std::time::Duration::from_millis(jitter),
                            count,
                            std::process::id().into(),
                        ),
                        None => crate::net::timed::Repeat::new(
                            std::time::Duration::ZERO,
                            std::time::Duration::ZERO,
                            Some(1),
                            0,
                        ),
                    };
                    (bytes, schedule)
                }),
                Err(reason) => {
                    out.error(&format!("--send: {reason}"));
                    return ExitCode::from(2);
                }
            };
            let how = tcp::ConnectHow {
                eol,
                raw,
                timeout,
                tls: tls.options(),
                tcp_info,
                reconnect,
                record,
                send,
            };
            tcp::connect(&addr, how, out, stop).await
        }
        Command::Udp {
            command:
                UdpCommand::Serve {
                    addr,
                    mode,
                    rules,
                    dump,
                    no_reply_to,
                },
        } => {
            let rules = match rules_or_reasons(rules.as_deref(), &out) {
                Ok(rules) => rules,
                Err(code) => return code,
            };
            udp::serve(&addr, mode, rules, (out, dump), &no_reply_to, stop).await
        }
        Command::Udp {
            command:
                UdpCommand::Send {
                    addr,
                    messages,
                    file,
                    lines,
                    wait,
                    repeat,
                    jitter,
                    count,
                },
        } => {
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
                    return ExitCode::from(2);
                }
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
                    udp::send_timed(&addr, file.cycle(), every(ms), true, wait, out, stop).await
                }
                (Some(file), None) => {
                    let total = file.total();
                    udp::send_timed(&addr, file, back_to_back(total), false, wait, out, stop).await
                }
                (None, Some(ms)) => {
                    udp::send_timed(
                        &addr,
                        messages.into_iter().cycle(),
                        every(ms),
                        true,
                        wait,
                        out,
                        stop,
                    )
                    .await
                }
                (None, None) => udp::send(&addr, &messages, wait, out, stop).await,
            }
        }
        Command::Relay(args) => relay::run(args, out, stop).await,
        Command::Replay {
            file,
            serve,
            connect,
            timing,
        } => replay::run(&file, serve, connect, timing, out, stop).await,
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Args::command(),
                "netplay",
                &mut std::io::stdout(),
            );
            ExitCode::SUCCESS
        }
        Command::Man => match clap_mangen::Man::new(Args::command()).render(&mut std::io::stdout())
        {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                out.error(&format!("cannot write the manual: {err}"));
                ExitCode::from(FAILURE)
            }
        },
    }
}

/// A positive, finite number of seconds as a Duration, or a reason.
pub fn seconds(value: f64, what: &str) -> Result<std::time::Duration, String> {
    if value.is_finite() && value > 0.0 && value < 1e9 {
        Ok(std::time::Duration::from_secs_f64(value))
    } else {
        Err(format!("{what} must be a positive number of seconds"))
    }
}
