//! `netplay pcap RECORDING.jsonl -o FILE`: a recording as a pcapng file
//! for Wireshark — the session as one synthetic TCP flow.

use std::path::Path;
use std::process::ExitCode;

use super::output::{Output, Value};
use super::Exit;
use crate::narrate::Kind;
use crate::text::sanitize;

impl super::args::PcapArgs {
    /// Converts the recording; the output replaces FILE (or sits beside
    /// the recording as `.pcapng`).
    pub fn run(self, out: &Output) -> ExitCode {
        let shown = |path: &Path| sanitize(path.display().to_string().as_bytes());
        let recording = crate::files::read_regular(&self.file, 256 * 1024 * 1024)
            .and_then(|bytes| String::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_string()))
            .and_then(|text| crate::record::parse(&text));
        let recording = match recording {
            Ok(recording) => recording,
            Err(reason) => {
                out.error(&format!("{}: {reason}", shown(&self.file)));
                return Exit::Usage.into();
            }
        };
        let target = self
            .output
            .unwrap_or_else(|| self.file.with_extension("pcapng"));
        let mut file = match crate::files::Replacing::private(&target) {
            Ok(file) => file,
            Err(reason) => {
                out.error(&format!("cannot write {reason}"));
                return Exit::Failure.into();
            }
        };
        let written = crate::net::pcap::write_recording(
            &recording,
            std::io::BufWriter::new(file.file()),
            std::time::SystemTime::now(),
        );
        let packets = match written.and_then(|packets| file.finish().map(|_| packets)) {
            Ok(packets) => packets,
            Err(reason) => {
                out.error(&reason);
                return Exit::Failure.into();
            }
        };
        out.event(
            "pcap",
            Kind::Good,
            &format!(
                "Wrote {packets} packets to {} (synthetic: one TCP flow from the recording; open it in Wireshark)",
                shown(&target)
            ),
            &[
                ("file", Value::from(target.display().to_string())),
                ("packets", Value::from(packets)),
            ],
        );
        ExitCode::SUCCESS
    }
}

/// Says where a capture went (on stderr: stdout may be the data), or why
/// it failed, which fails the command.
pub(super) fn finished(
    outcome: crate::net::pcap::CaptureEnd,
    code: ExitCode,
    out: Output,
) -> ExitCode {
    match outcome {
        Ok((path, packets)) => {
            let shown = sanitize(path.display().to_string().as_bytes());
            let fields = [
                ("file", Value::from(path.display().to_string())),
                ("packets", Value::from(packets)),
            ];
            out.event_to_stderr(
                "pcap",
                Kind::Info,
                &format!("Wrote {packets} packets to {shown}"),
                &fields,
            );
            code
        }
        Err(reason) => {
            out.error(&reason);
            Exit::Failure.into()
        }
    }
}

/// `--pcap FILE` on a socket the engine captures itself (`udp serve`,
/// `udp send`): the capture to hand it, and the end to wait for.
pub(super) type Live = (
    crate::net::pcap::Capture,
    tokio::sync::oneshot::Receiver<crate::net::pcap::CaptureEnd>,
);

/// Starts the capture `--pcap` asks for, if any.
pub(super) fn start_live(
    engine: &crate::net::Engine,
    path: Option<&Path>,
    comment: &str,
) -> Result<Option<Live>, String> {
    path.map(|path| crate::net::pcap::Capture::start(engine, path, comment))
        .transpose()
}

/// Finishes a capture taken under TLS (`fetch`, `tcp connect --tls`): one
/// that holds nothing (the connection never opened) leaves the path as it
/// was.
pub(super) fn finish_sync(
    capture: &crate::net::pcap::tap::SyncCapture,
    code: ExitCode,
    out: Output,
) -> ExitCode {
    if capture.is_empty() {
        let text = "No capture written: nothing was exchanged (the --pcap path is left as it was)";
        out.event_to_stderr("pcap", Kind::Info, text, &[]);
        return code;
    }
    finished(capture.finish(), code, out)
}

/// Waits for a capture's file to be written whole (every connection has
/// ended by now) and says where it is; a capture that failed fails the
/// command.
pub(super) async fn finish_capture(
    end: tokio::sync::oneshot::Receiver<crate::net::pcap::CaptureEnd>,
    code: ExitCode,
    out: Output,
) -> ExitCode {
    match end.await {
        Ok(outcome) => finished(outcome, code, out),
        Err(_) => code,
    }
}
