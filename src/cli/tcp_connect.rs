//! `netplay tcp connect`'s arguments checked and turned into a
//! [`super::tcp::ConnectHow`].

use std::process::ExitCode;

use super::output::Output;
use super::tcp::{connect, ConnectHow};
use super::Exit;
use crate::shutdown::Shutdown;

impl super::TcpConnectArgs {
    /// Checks the arguments and connects.
    pub async fn run(self, out: Output, stop: Shutdown) -> ExitCode {
        let super::TcpConnectArgs {
            addr,
            eol,
            raw,
            timeout,
            tls,
            tcp_info,
            reconnect,
            record,
            pcap,
            send,
            repeat,
            jitter,
            count,
            names,
        } = self;
        let (names, proxy) = match names.reach("tcp", &addr) {
            Ok(reach) => reach,
            Err(reason) => {
                out.error(&reason);
                return Exit::Usage.into();
            }
        };
        if let Some(path) = addr.strip_prefix("unix:") {
            let refusal = if path.is_empty() {
                Some("unix: needs the socket file's path, e.g. unix:/run/app.sock")
            } else if pcap.is_some() {
                Some("--pcap over a UNIX socket: a capture is IP packets; not written for one yet")
            } else if path.len() > crate::net::unix::MAX_PATH {
                Some("a UNIX socket path holds at most 107 bytes")
            } else {
                None
            };
            if let Some(reason) = refusal {
                out.error(reason);
                return Exit::Usage.into();
            }
            if proxy.is_some() {
                let text = "A UNIX socket is reached directly: -x does not apply";
                out.event_to_stderr("proxy", crate::narrate::Kind::Info, text, &[]);
            }
        }
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
                return Exit::Usage.into();
            }
        };
        let how = ConnectHow {
            eol,
            raw,
            timeout,
            tls: tls.options(),
            tcp_info,
            reconnect,
            record,
            pcap,
            capture: None,
            send,
            names,
            proxy,
        };
        connect(&addr, how, out, stop).await
    }
}
