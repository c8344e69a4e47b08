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

/// `udp serve|send --pcap FILE`: every datagram of the socket as a UDP
/// packet, from the command's lossless events (the whole datagram each).
pub struct UdpCapture {
    writer: crate::net::pcap::PcapWriter<std::io::BufWriter<std::fs::File>>,
    file: crate::files::Replacing,
    local: Option<std::net::SocketAddr>,
    id: u16,
    error: Option<String>,
}

impl UdpCapture {
    /// A capture that will replace `path` when finished.
    pub fn create(path: &Path) -> Result<Self, String> {
        let mut file = crate::files::Replacing::private(path)
            .map_err(|reason| format!("cannot capture to {reason}"))?;
        let clone = file
            .file()
            .try_clone()
            .map_err(|err| format!("cannot capture: {err}"))?;
        let writer = crate::net::pcap::PcapWriter::new(
            std::io::BufWriter::new(clone),
            "Written live by netplay udp: one packet per datagram.",
        )
        .map_err(|err| format!("cannot capture: {err}"))?;
        Ok(Self {
            writer,
            file,
            local: None,
            id: 1,
            error: None,
        })
    }

    /// Takes one event of the socket.
    pub fn event(&mut self, event: &crate::net::udp::UdpEvent) {
        use crate::net::udp::UdpEvent;
        match event {
            UdpEvent::Bound {
                local, connected, ..
            } => {
                // An unspecified address (0.0.0.0) is written as the one
                // the peer reached: loopback's, for a loopback peer.
                let mut local = *local;
                if local.ip().is_unspecified() {
                    if let Some(peer) = connected {
                        local.set_ip(peer.ip());
                    }
                }
                self.local = Some(local);
            }
            UdpEvent::Received { from, data, .. } => self.datagram(*from, None, &data.preview),
            UdpEvent::Sent { to, data } => self.datagram(*to, Some(()), &data.preview),
            UdpEvent::Echoed { peer, data } => {
                self.datagram(*peer, None, &data.preview);
                self.datagram(*peer, Some(()), &data.preview);
            }
            _ => {}
        }
    }

    /// One datagram between `peer` and us: from the peer, or (`out`) to it.
    fn datagram(&mut self, peer: std::net::SocketAddr, out: Option<()>, bytes: &[u8]) {
        let Some(mut local) = self.local else {
            return;
        };
        if local.ip().is_unspecified() {
            local.set_ip(peer.ip());
        }
        let (from, to) = if out.is_some() {
            (local, peer)
        } else {
            (peer, local)
        };
        let packet = crate::net::pcap::packet::udp(from, to, bytes, self.id);
        self.id = self.id.wrapping_add(1);
        if self.error.is_none() {
            let written = self
                .writer
                .packet(std::time::SystemTime::now(), &packet)
                .and_then(|()| self.writer.flush());
            if let Err(err) = written {
                self.error = Some(format!("writing the capture failed: {err}"));
            }
        }
    }

    /// Writes the file whole and puts it in place.
    pub fn finish(self) -> crate::net::pcap::CaptureEnd {
        if let Some(error) = self.error {
            return Err(error);
        }
        let packets = self.writer.packets();
        let mut inner = self.writer.into_inner();
        std::io::Write::flush(&mut inner)
            .map_err(|err| format!("writing the capture failed: {err}"))?;
        drop(inner);
        Ok((self.file.finish()?, packets))
    }
}
