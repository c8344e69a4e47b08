//! `tcp connect --record FILE`: the session as JSON lines, written as it
//! happens from the headless engine's lossless events, one file across
//! `--reconnect` attempts. The path is the user's: an existing file is
//! replaced — the recording is written to a private temporary file beside
//! it (0600) and renamed over it at the end, never truncated in place (a
//! hard link to the old file keeps the old content) — a symlink there is
//! refused, a write that fails is said at once and fails the command, and
//! a session that never connected leaves everything as it was.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::output::Output;

use crate::record::{Side, Way};

/// The recording file of `tcp connect --record`.
pub struct Recorder {
    file: crate::files::Replacing,
    path: PathBuf,
    started: std::time::Instant,
    header: bool,
    failed: bool,
    out: Output,
}

impl Recorder {
    /// Starts a recording that will replace `path` (a private file;
    /// refusing a symlink, a FIFO or a device there); the reason when it
    /// cannot.
    pub fn create(path: &Path, out: Output) -> Result<Self, String> {
        let file = crate::files::Replacing::private(path)
            .map_err(|reason| format!("cannot record to {reason}"))?;
        Ok(Self {
            file,
            path: path.to_path_buf(),
            started: std::time::Instant::now(),
            header: false,
            failed: false,
            out,
        })
    }

    fn line(&mut self, line: &str) {
        if self.failed {
            return;
        }
        // A line at a time, straight to the file: what is recorded is on
        // disk even if netplay is killed (no buffer to lose).
        let file = self.file.file();
        if let Err(err) = writeln!(file, "{line}") {
            self.failed = true;
            let shown = crate::text::sanitize_str(&self.path.display().to_string());
            self.out.error(&format!(
                "recording to {shown} failed: {err} (the file ends there; the connection goes on)"
            ));
        }
    }

    /// Connected (again): the header the first time, then the event.
    pub fn connected(&mut self, local: &str, remote: &str) {
        if !self.header {
            self.header = true;
            self.line(&crate::record::header_line(local, remote, Side::Client));
        }
        self.life("connected");
    }

    /// A lifecycle event.
    pub fn life(&mut self, what: &str) {
        if self.header {
            let line = crate::record::life_line(self.started.elapsed(), what);
            self.line(&line);
        }
    }

    /// Bytes one way.
    pub fn data(&mut self, way: Way, bytes: &[u8]) {
        let line = crate::record::data_line(self.started.elapsed(), way, bytes);
        self.line(&line);
    }

    /// Ends the recording: whether it was written whole. The file takes
    /// the place of the path; a session that never connected leaves the
    /// path as it was.
    pub fn finish(self) -> bool {
        if !self.header {
            return true; // the temporary file goes with it
        }
        match self.file.finish() {
            Ok(_) => !self.failed,
            Err(reason) => {
                self.out.error(&format!("recording failed: {reason}"));
                false
            }
        }
    }
}
