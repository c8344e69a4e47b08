//! `tcp connect --record FILE` and `--pcap FILE` (also `ws`): the session
//! as JSON lines, and as a pcapng file of synthetic TCP flows for
//! Wireshark, written as it happens from the headless engine's lossless
//! events, one file across `--reconnect` attempts (a flow per connection). The path is the user's: an existing file is
//! replaced — the recording is written to a private temporary file beside
//! it (0600) and renamed over it at the end, never truncated in place (a
//! hard link to the old file keeps the old content) — a symlink there is
//! refused, a write that fails is said at once and fails the command, and
//! a session that never connected leaves everything as it was.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::output::Output;

use crate::net::pcap::flow::{CLIENT, SERVER};
use crate::net::pcap::{PcapWriter, TcpFlow};
use crate::record::{Side, Way};

/// The recording files of `tcp connect` / `ws`: JSON lines, pcapng, or both.
pub struct Recorder {
    jsonl: Option<Jsonl>,
    pcap: Option<Pcap>,
    started: std::time::Instant,
    out: Output,
}

struct Jsonl {
    file: crate::files::Replacing,
    path: PathBuf,
    header: bool,
    failed: bool,
}

struct Pcap {
    file: crate::files::Replacing,
    path: PathBuf,
    /// Made at the first connection (the file's header).
    writer: Option<PcapWriter<BufWriter<std::fs::File>>>,
    /// The current connection's flow.
    flow: Option<TcpFlow>,
    failed: bool,
}

fn shown(path: &Path) -> String {
    crate::text::sanitize_str(&path.display().to_string())
}

impl Recorder {
    /// Starts the recordings that will replace `record` and `pcap` (private
    /// files; refusing a symlink, a FIFO or a device there); `None` when
    /// neither is asked for; the reason when one cannot be made.
    pub fn create(
        record: Option<&Path>,
        pcap: Option<&Path>,
        out: Output,
    ) -> Result<Option<Self>, String> {
        let open = |path: &Path| {
            crate::files::Replacing::private(path)
                .map_err(|reason| format!("cannot record to {reason}"))
        };
        let jsonl = match record {
            Some(path) => Some(Jsonl {
                file: open(path)?,
                path: path.to_path_buf(),
                header: false,
                failed: false,
            }),
            None => None,
        };
        let pcap = match pcap {
            Some(path) => Some(Pcap {
                file: open(path)?,
                path: path.to_path_buf(),
                writer: None,
                flow: None,
                failed: false,
            }),
            None => None,
        };
        if jsonl.is_none() && pcap.is_none() {
            return Ok(None);
        }
        Ok(Some(Self {
            jsonl,
            pcap,
            started: std::time::Instant::now(),
            out,
        }))
    }

    fn line(&mut self, line: &str) {
        let Some(jsonl) = self.jsonl.as_mut().filter(|j| !j.failed) else {
            return;
        };
        // A line at a time, straight to the file: what is recorded is on
        // disk even if netplay is killed (no buffer to lose).
        if let Err(err) = writeln!(jsonl.file.file(), "{line}") {
            jsonl.failed = true;
            self.out.error(&format!(
                "recording to {} failed: {err} (the path is left as it was; the connection goes on)",
                shown(&jsonl.path)
            ));
        }
    }

    /// Writes the packets `make` builds from the current flow (flushed:
    /// what is captured is on disk as it happens).
    fn packets(&mut self, make: impl FnOnce(&mut TcpFlow) -> Vec<Vec<u8>>) {
        let Some(pcap) = self.pcap.as_mut().filter(|p| !p.failed) else {
            return;
        };
        let (Some(writer), Some(flow)) = (pcap.writer.as_mut(), pcap.flow.as_mut()) else {
            return;
        };
        let now = SystemTime::now();
        let written = make(flow)
            .iter()
            .try_for_each(|packet| writer.packet(now, packet))
            .and_then(|()| writer.flush());
        if let Err(err) = written {
            pcap.failed = true;
            self.out.error(&format!(
                "the capture to {} failed: {err} (the path is left as it was; the connection goes on)",
                shown(&pcap.path)
            ));
        }
    }

    /// Connected (again): the header the first time, then the event; the
    /// capture starts a new flow.
    pub fn connected(&mut self, local: &str, remote: &str) {
        if self.jsonl.as_ref().is_some_and(|j| !j.header) {
            if let Some(jsonl) = self.jsonl.as_mut() {
                jsonl.header = true;
            }
            let header = crate::record::header_line(local, remote, Side::Client, self.started);
            self.line(&header);
        }
        self.life("connected");
        if let Some(pcap) = self.pcap.as_mut().filter(|p| !p.failed) {
            let (Ok(local), Ok(remote)) = (local.parse(), remote.parse()) else {
                return;
            };
            if pcap.writer.is_none() {
                let file = match pcap.file.file().try_clone() {
                    Ok(file) => file,
                    Err(err) => return self.out.error(&format!("cannot capture: {err}")),
                };
                match PcapWriter::new(BufWriter::new(file), "Written live by netplay.") {
                    Ok(writer) => pcap.writer = Some(writer),
                    Err(err) => {
                        pcap.failed = true;
                        return self.out.error(&format!("cannot capture: {err}"));
                    }
                }
            }
            pcap.flow = Some(TcpFlow::new(local, remote));
            self.packets(TcpFlow::open);
        }
    }

    /// A lifecycle event.
    pub fn life(&mut self, what: &str) {
        if self.jsonl.as_ref().is_some_and(|j| j.header) {
            let line = crate::record::life_line(self.started.elapsed(), what);
            self.line(&line);
        }
        match what {
            "half_close" => self.packets(|flow| flow.fin(CLIENT)),
            "peer_half_close" => self.packets(|flow| flow.fin(SERVER)),
            "closed" => self.packets(TcpFlow::close),
            _ => {}
        }
    }

    /// Bytes one way.
    pub fn data(&mut self, way: Way, bytes: &[u8]) {
        if self.jsonl.is_some() {
            let line = crate::record::data_line(self.started.elapsed(), way, bytes);
            self.line(&line);
        }
        let from = match way {
            Way::Out => CLIENT,
            Way::In => SERVER,
        };
        self.packets(|flow| flow.data(from, bytes));
    }

    /// Ends the recordings: whether they were written whole. Each file
    /// takes the place of its path; a session that never connected, or a
    /// file whose writing failed, leaves the path as it was.
    pub fn finish(self) -> bool {
        let mut whole = true;
        // A file that failed is not put in place: a cut-off file would
        // replace whatever was there.
        if let Some(jsonl) = self.jsonl {
            whole &= !jsonl.failed;
            if jsonl.header && !jsonl.failed {
                whole &= finish(jsonl.file, &self.out);
            }
        }
        if let Some(mut pcap) = self.pcap {
            whole &= !pcap.failed;
            if let Some(writer) = pcap.writer.take().filter(|_| !pcap.failed) {
                let flushed = writer.into_inner().flush();
                if let Err(err) = flushed {
                    self.out.error(&format!("the capture failed: {err}"));
                    whole = false;
                }
                whole &= finish(pcap.file, &self.out);
            }
        }
        whole
    }
}

fn finish(file: crate::files::Replacing, out: &Output) -> bool {
    match file.finish() {
        Ok(_) => true,
        Err(reason) => {
            out.error(&format!("recording failed: {reason}"));
            false
        }
    }
}
