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

/// Kinds of file a recording cannot go to.
trait SpecialFile {
    fn is_fifo_or_device(&self) -> bool;
}

impl SpecialFile for std::fs::FileType {
    fn is_fifo_or_device(&self) -> bool {
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            self.is_fifo() || self.is_char_device() || self.is_block_device() || self.is_socket()
        }
        #[cfg(not(unix))]
        {
            false
        }
    }
}
use crate::record::{Side, Way};

/// The recording file of `tcp connect --record`.
pub struct Recorder {
    file: std::io::BufWriter<tempfile::NamedTempFile>,
    path: PathBuf,
    started: std::time::Instant,
    header: bool,
    failed: bool,
    out: Output,
}

impl Recorder {
    /// Starts a recording that will replace `path` (refusing a symlink, a
    /// FIFO or a device there); the reason when it cannot.
    pub fn create(path: &Path, out: Output) -> Result<Self, String> {
        let shown = crate::text::sanitize_str(&path.display().to_string());
        match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(format!(
                    "cannot record to {shown}: it is a symbolic link (give the real path)"
                ))
            }
            // A FIFO would block until a reader came, a device never holds
            // a recording: only a regular file, or a new one.
            Ok(meta) if meta.file_type().is_fifo_or_device() || meta.is_dir() => {
                return Err(format!("cannot record to {shown}: not a regular file"))
            }
            _ => {}
        }
        // Said now, not when the session ends and the rename fails.
        let named = path
            .file_name()
            .is_some_and(|name| name.len() <= crate::files::MAX_NAME)
            && !path.as_os_str().to_string_lossy().ends_with('/');
        if !named {
            return Err(format!(
                "cannot record to {shown}: not a file name (a directory, or a name over {} bytes)",
                crate::files::MAX_NAME
            ));
        }
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let file = tempfile::Builder::new()
            .prefix(".netplay-record-")
            .tempfile_in(dir)
            .map_err(|err| format!("cannot record to {shown}: {err}"))?;
        Ok(Self {
            file: std::io::BufWriter::new(file),
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
        if let Err(err) = writeln!(self.file, "{line}").and_then(|()| self.file.flush()) {
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
    pub fn finish(mut self) -> bool {
        if !self.header {
            return true; // the temporary file goes with it
        }
        if !self.failed && self.file.flush().is_err() {
            self.failed = true;
        }
        let Ok(file) = self.file.into_inner() else {
            return false;
        };
        match file.persist(&self.path) {
            Ok(_) => !self.failed,
            Err(err) => {
                let shown = crate::text::sanitize_str(&self.path.display().to_string());
                self.out
                    .error(&format!("recording to {shown} failed: {}", err.error));
                false
            }
        }
    }
}
