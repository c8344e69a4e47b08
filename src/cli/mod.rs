//! The command line: no subcommand opens the terminal UI; a subcommand runs
//! the same engine headless, for scripts, pipes and servers over SSH. No
//! network logic lives here: only arguments, the engine's events, and output.

mod args;
pub mod event_log;
pub mod fetch;
pub mod names;
pub mod output;
pub mod pcap;
pub mod record_file;
pub mod relay;
pub mod relay_proxy;
pub mod replay;
mod server_fields;
pub mod stdin_queue;
pub mod tcp;
mod tcp_connect;
pub mod udp;
mod udp_args;
pub mod udp_group;
mod unix_listen;
pub mod ws;

use std::process::ExitCode;

use crate::shutdown::Shutdown;
pub use args::{
    Args, CaCommand, Command, Eol, FetchArgs, RelayArgs, RelayDirection, ReplayArgs, ServeMode,
    TcpCommand, TcpConnectArgs, TcpServeArgs, TlsArgs, UdpCommand, UdpSendArgs, UdpServeArgs,
    UdpServeMode, WsCommand, WsConnectArgs, WsServeArgs,
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
pub(crate) fn rules_or_reasons(
    path: Option<&std::path::Path>,
    out: &output::Output,
) -> Result<Option<std::sync::Arc<crate::net::behaviour::rules::Rules>>, ExitCode> {
    path.map(load_rules).transpose().map_err(|reasons| {
        for reason in reasons {
            out.error(&reason);
        }
        Exit::Usage.into()
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

/// How a headless command ends, as its exit status: the one list of
/// netplay's exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: done.
    Success = 0,
    /// 1: it failed (refused, reset, timed out, a TLS error…).
    Failure = 1,
    /// 2: bad arguments (as clap's own usage errors).
    Usage = 2,
    /// 22: `fetch --fail` got an HTTP error status (curl's `-f` code).
    HttpError = 22,
    /// 23: the body could not be written (curl's write error); a reader
    /// that closed the pipe (`| head`) ends it quietly.
    WriteError = 23,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit as u8)
    }
}

/// Runs a headless command to completion.
///
/// `stop` was installed at process start (see [`crate::shutdown`]), so a
/// stop signal is handled cleanly from the first event on.
pub async fn run(command: Command, out: output::Output, stop: Shutdown) -> ExitCode {
    match command {
        Command::Fetch(args) => args.run(out, stop).await,
        Command::Tcp {
            command: TcpCommand::Serve(args),
        } => args.run(out, stop).await,
        Command::Tcp {
            command: TcpCommand::Connect(args),
        } => args.run(out, stop).await,
        Command::Ws {
            command: Some(WsCommand::Serve(mut args)),
            ..
        } => {
            args.websocket.websocket = true;
            args.run(out, stop).await
        }
        Command::Ws {
            command: None,
            connect,
        } => connect.run(out, stop).await,
        Command::Udp {
            command: UdpCommand::Serve(args),
        } => args.run(out, stop).await,
        Command::Udp {
            command: UdpCommand::Send(args),
        } => args.run(out, stop).await,
        Command::Relay(args) => args.run(out, stop).await,
        Command::Replay(args) => args.run(out, stop).await,
        Command::Pcap(args) => args.run(&out),
        Command::Ca { command } => ca(command, &out),
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
            // `netplay man | head`: the reader had enough.
            Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
            Err(err) => {
                out.error(&format!("cannot write the manual: {err}"));
                Exit::Failure.into()
            }
        },
    }
}

/// `netplay ca path | install`.
fn ca(command: CaCommand, out: &output::Output) -> ExitCode {
    let ca = match crate::net::tls::local_ca::get_or_create() {
        Ok(ca) => ca,
        Err(reason) => {
            out.error(&reason);
            return Exit::Failure.into();
        }
    };
    let path = ca.path().display().to_string();
    let text = match command {
        // What could drive a terminal is escaped (a hostile XDG_DATA_HOME).
        CaCommand::Path => crate::text::typed(&path),
        CaCommand::Install => ca_install_commands(&path),
    };
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{text}") {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => Exit::Failure.into(),
    }
}

/// The commands that trust `ca` system-wide, printed for the user to run
/// (netplay never changes a trust store itself).
fn ca_install_commands(ca: &str) -> String {
    // A line break or escape in the path (a hostile XDG_DATA_HOME) would
    // end a comment or a quote when pasted: shown escaped, then quoted.
    let quoted = shell_words::quote(&crate::text::typed(ca)).into_owned();
    format!(
        "# netplay's local CA: {quoted}
# netplay's own clients already trust it. To make other programs trust it,
# run the lines for your system (they need root), or point a program at it:
#   curl --cacert {quoted} https://localhost:8443/
#   openssl s_client -CAfile {quoted} -connect localhost:8443
#   python3: ssl.create_default_context(cafile={quoted})

# Debian, Ubuntu:
sudo cp {quoted} /usr/local/share/ca-certificates/netplay-local-ca.crt && sudo update-ca-certificates
# Fedora, RHEL, Arch:
sudo trust anchor --store {quoted}
# macOS:
sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain {quoted}
# Firefox and Chrome on Linux (NSS; certutil is in libnss3-tools):
certutil -d \"sql:$HOME/.pki/nssdb\" -A -t C,, -n 'netplay local CA' -i {quoted}"
    )
}

/// A positive, finite number of seconds as a Duration, or a reason.
pub fn seconds(value: f64, what: &str) -> Result<std::time::Duration, String> {
    if value.is_finite() && value > 0.0 && value < 1e9 {
        Ok(std::time::Duration::from_secs_f64(value))
    } else if value >= 1e9 {
        Err(format!(
            "{what} must be under 1e9 seconds (about 31 years); {value} is too long"
        ))
    } else {
        Err(format!("{what} must be a positive number of seconds"))
    }
}

#[cfg(test)]
mod tests {
    use super::seconds;

    #[test]
    fn seconds_say_what_is_wrong_with_them() {
        assert_eq!(seconds(1.5, "--timeout").unwrap().as_millis(), 1500);
        let long = seconds(1e10, "--timeout").unwrap_err();
        assert!(long.contains("under 1e9 seconds"), "{long}");
        for bad in [0.0, -1.0, f64::NAN] {
            let err = seconds(bad, "--timeout").unwrap_err();
            assert!(err.contains("positive number"), "{err}");
        }
    }
}
