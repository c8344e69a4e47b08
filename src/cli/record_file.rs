//! `tcp connect --record FILE`: the session as JSON lines, written as it
//! happens from the headless engine's lossless events, one file across
//! `--reconnect` attempts. The path is the user's: an existing file is
//! replaced, but a symlink is never followed, the file is private (0600,
//! even if it existed with other modes), a write that fails is said at
//! once and fails the command, and a session that never connected leaves
//! no empty file behind.

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
    file: std::io::BufWriter<std::fs::File>,
    path: PathBuf,
    started: std::time::Instant,
    header: bool,
    failed: bool,
    out: Output,
}

impl Recorder {
    /// Opens `path` for writing (refusing a symlink); the reason when it
    /// cannot be.
    pub fn create(path: &Path, out: Output) -> Result<Self, String> {
        let shown = crate::text::sanitize_str(&path.display().to_string());
        // A FIFO would block the open until a reader came, a device never
        // holds a recording: only a regular file, or a new one.
        if std::fs::symlink_metadata(path).is_ok_and(|meta| meta.file_type().is_fifo_or_device()) {
            return Err(format!("cannot record to {shown}: not a regular file"));
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
        }
        let file = options.open(path).map_err(|err| {
            if err.raw_os_error() == Some(libc::ELOOP) {
                format!("cannot record to {shown}: it is a symbolic link (give the real path)")
            } else {
                format!("cannot record to {shown}: {err}")
            }
        })?;
        // A file that existed keeps its old mode through the open: made
        // private here (a regular file only: never a device such as
        // /dev/null, which root could otherwise chmod).
        #[cfg(unix)]
        if file.metadata().is_ok_and(|meta| meta.is_file()) {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(|err| format!("cannot record to {shown}: {err}"))?;
        }
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

    /// Ends the recording: whether it was written whole. A session that
    /// never connected leaves no empty file.
    pub fn finish(mut self) -> bool {
        if !self.header {
            let empty = self
                .file
                .get_ref()
                .metadata()
                .is_ok_and(|meta| meta.is_file() && meta.len() == 0);
            drop(self.file);
            if empty {
                let _ = std::fs::remove_file(&self.path);
            }
            return true;
        }
        if !self.failed && self.file.flush().is_err() {
            self.failed = true;
        }
        !self.failed
    }
}
