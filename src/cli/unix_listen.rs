//! `unix:/path` as a listen address (`tcp serve`, `ws serve`, `relay`):
//! what does not apply to a UNIX socket is refused before anything starts,
//! and a stale socket file is removed only when asked (`--unlink-stale`).

use std::process::ExitCode;

use super::output::Output;
use super::Exit;

/// A flag that does not apply to a UNIX socket: its name, whether it was
/// given, and why it does not apply.
pub type Refused<'a> = (&'a str, bool, &'a str);

/// `cannot listen: REASON`, with the flag that removes a stale socket
/// file when that is the reason.
pub fn cannot_listen(reason: &str) -> String {
    if reason.contains("a stale socket file") {
        format!("cannot listen: {reason}, or start with --unlink-stale")
    } else {
        format!("cannot listen: {reason}")
    }
}

/// Checks `addrs` (the listen address first) against the flags given; removes a stale socket file
/// there when `unlink_stale` asks for it (and says so).
pub async fn prepare(
    addrs: &[&str],
    refused: &[Refused<'_>],
    unlink_stale: bool,
    out: &Output,
) -> Result<(), ExitCode> {
    let listen = addrs
        .first()
        .and_then(|addr| crate::net::unix::path_of(addr));
    if unlink_stale && listen.is_none() {
        out.error("--unlink-stale is for a unix:/path listen address");
        return Err(Exit::Usage.into());
    }
    let paths: Vec<&str> = addrs
        .iter()
        .filter_map(|addr| crate::net::unix::path_of(addr))
        .collect();
    if paths.is_empty() {
        return Ok(());
    }
    if paths.iter().any(|path| path.is_empty()) {
        out.error("unix: needs the socket file's path, e.g. unix:/tmp/app.sock");
        return Err(Exit::Usage.into());
    }
    if let Some(path) = paths
        .iter()
        .find(|path| path.len() > crate::net::unix::MAX_PATH)
    {
        out.error(&format!(
            "unix:{}: a UNIX socket path holds at most {} bytes",
            crate::text::sanitize(path.as_bytes()),
            crate::net::unix::MAX_PATH
        ));
        return Err(Exit::Usage.into());
    }
    if let Some((flag, _, why)) = refused.iter().find(|(_, given, _)| *given) {
        out.error(&format!("{flag} does not apply to a UNIX socket: {why}"));
        return Err(Exit::Usage.into());
    }
    if let Some(path) = listen.filter(|_| unlink_stale) {
        match crate::net::unix::remove_stale(path).await {
            Ok(true) => {
                let text = format!(
                    "Removed the stale socket file {} (--unlink-stale)",
                    crate::text::sanitize(path.as_bytes())
                );
                out.event_to_stderr("unlinked", crate::narrate::Kind::Info, &text, &[]);
            }
            Ok(false) => {}
            Err(reason) => {
                out.error(&format!("cannot listen: {reason}"));
                return Err(Exit::Failure.into());
            }
        }
    }
    Ok(())
}
