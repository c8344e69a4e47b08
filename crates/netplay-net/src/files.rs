//! Every file netplay writes: saves never clobber, downloads never leave a
//! half file where a good one was, nothing is readable by other users, and
//! nothing is left behind.
//!
//! One rule for all of them: bytes go first into a temporary file that
//! `tempfile` creates with `O_CREAT | O_EXCL` (a planted symlink is never
//! followed) under a random name, mode 0600, in the directory of the final
//! name; only a complete file is renamed into place. A temporary file that
//! is dropped unfinished is removed. Nothing opens a FIFO in a way that
//! waits, and nothing is truncated in place.
//!
//! The writers, all here: [`save_new`] (Ctrl+S saves: a new name, never
//! over one), [`Replacing::create`] (`fetch -o`: replaces by rename, as
//! curl's target), [`Replacing::private`] (`--record`: replaces by rename,
//! 0600, only a regular file or a new name), [`append_regular`] (Alt+W:
//! appends to one's own single-named regular file, never through a link at
//! a name netplay chose) and [`create_new`] (the local CA: a new file or
//! nothing). The UI's recordings open new names in their own directory
//! with `O_EXCL | O_NOFOLLOW`, 0600 (`record::recorder`).

use std::io::Write;
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

/// The longest file name most file systems take, in bytes.
pub const MAX_NAME: usize = 255;

/// Reads `path` whole if it is a regular file of at most `limit` bytes:
/// a FIFO would block the reader and a device would never end, so both
/// are refused, as is anything larger (read with a cap, not trusted to
/// its reported size).
pub fn read_regular(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    use std::io::Read;
    // Opening a FIFO blocks until a writer comes: its type is checked
    // before opening, and the open itself never waits (O_NONBLOCK, which
    // changes nothing for a regular file), in case the path was swapped
    // in between.
    if !std::fs::metadata(path)
        .map_err(|err| err.to_string())?
        .is_file()
    {
        return Err("not a regular file".into());
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let file = options.open(path).map_err(|err| err.to_string())?;
    let meta = file.metadata().map_err(|err| err.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|err| err.to_string())?;
    if bytes.len() as u64 > limit {
        return Err(format!("larger than {}", crate::format::bytes(limit)));
    }
    Ok(bytes)
}

/// A file cut for sending (at most `limit` bytes): whole, or after each
/// `\n` (each line keeps its own ending, so the bytes sent are the
/// file's bytes).
pub fn pieces(path: &Path, lines: bool, limit: u64) -> Result<Pieces, String> {
    let bytes = read_regular(path, limit)?;
    if bytes.is_empty() {
        return Err("the file is empty".into());
    }
    Ok(Pieces::of(bytes, lines))
}

/// A file's pieces, cut one at a time as they are sent: memory stays one
/// copy of the file however many lines it has. Cloning starts over.
#[derive(Debug, Clone)]
pub struct Pieces {
    bytes: std::sync::Arc<[u8]>,
    lines: bool,
    at: usize,
}

impl Pieces {
    /// `bytes` cut for sending: whole, or after each `\n` with `lines`.
    pub fn of(bytes: Vec<u8>, lines: bool) -> Self {
        Pieces {
            bytes: bytes.into(),
            lines,
            at: 0,
        }
    }

    /// How many pieces there are in all.
    pub fn total(&self) -> u64 {
        if !self.lines {
            return 1;
        }
        let ends = self.bytes.iter().filter(|byte| **byte == b'\n').count();
        let tail = !self.bytes.ends_with(b"\n");
        (ends + usize::from(tail)) as u64
    }
}

impl Iterator for Pieces {
    type Item = Vec<u8>;

    fn next(&mut self) -> Option<Vec<u8>> {
        let rest = self.bytes.get(self.at..).filter(|rest| !rest.is_empty())?;
        let len = match self.lines {
            true => rest
                .iter()
                .position(|byte| *byte == b'\n')
                .map_or(rest.len(), |at| at + 1),
            false => rest.len(),
        };
        self.at += len;
        Some(rest[..len].to_vec())
    }
}

/// Saves to a new file named `name` in `dir`, never replacing anything: a
/// taken name becomes `name-1.ext`, `name-2.ext`, … (no spaces: the name
/// pastes into a shell as it is). `write` fills the
/// file; if it fails, no file is left. Returns the final path.
pub fn save_new(
    dir: &Path,
    name: &str,
    write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> Result<PathBuf, String> {
    let mut temp = temporary_in(dir)?;
    write(temp.as_file_mut())
        .and_then(|()| temp.as_file_mut().flush())
        .map_err(|err| format!("cannot write in {}: {err}", dir.display()))?;
    let name = shorten(name, 12);
    let (stem, ext) = split_extension(&name);
    for n in 0..10_000 {
        let candidate = if n == 0 {
            dir.join(&name)
        } else {
            dir.join(format!("{stem}-{n}{ext}"))
        };
        match temp.persist_noclobber(&candidate) {
            Ok(_) => return Ok(candidate),
            Err(err) if err.error.kind() == std::io::ErrorKind::AlreadyExists => temp = err.file,
            Err(err) => {
                return Err(format!(
                    "cannot save as {}: {}",
                    candidate.display(),
                    err.error
                ))
            }
        }
    }
    Err(format!(
        "no free file name like {name} in {}",
        dir.display()
    ))
}

/// Writes `bytes` as a new file at `path` with `mode`, never over anything
/// that exists (a temporary file renamed without replacing): `AlreadyExists`
/// when the name is taken, by a file, a link or anything else.
pub fn create_new(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let mut temp = NamedTempFile::new_in(parent_of(path))?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        temp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    #[cfg(not(unix))]
    let _ = mode;
    temp.persist_noclobber(path)
        .map(|_| ())
        .map_err(|err| err.error)
}

/// This process's user id, read without unsafe code (the owner of
/// `/proc/self`).
#[cfg(unix)]
pub fn my_uid() -> std::io::Result<u32> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").map(|meta| meta.uid())
}

/// Appends `bytes` to the regular file at `path`, creating it (0600) when
/// missing. A FIFO or a device there is refused without waiting (the open
/// never blocks); with `follow` false, so is a symbolic link (a name
/// netplay chose, such as `./netplay.http`, where one may be planted).
pub fn append_regular(path: &Path, bytes: &[u8], follow: bool) -> Result<(), String> {
    let mut file = open_append_regular(path, follow)?;
    file.write_all(bytes).map_err(|err| err.to_string())
}

/// The regular file at `path` opened to append to, as [`append_regular`]
/// opens it (the descriptor is non-blocking: a regular file never waits).
pub fn open_append_regular(path: &Path, follow: bool) -> Result<std::fs::File, String> {
    let mut options = std::fs::OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let no_follow = if follow { 0 } else { libc::O_NOFOLLOW };
        options
            .mode(0o600)
            .custom_flags(libc::O_NONBLOCK | no_follow);
    }
    let file = options.open(path).map_err(|err| {
        #[cfg(unix)]
        match err.raw_os_error() {
            Some(libc::ELOOP) => {
                return "it is a symbolic link (netplay does not follow one here)".to_string()
            }
            // A FIFO with no reader (the open does not wait for one).
            Some(libc::ENXIO) => return "not a regular file".to_string(),
            _ => {}
        }
        err.to_string()
    })?;
    let meta = file.metadata().map_err(|err| err.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    // A name netplay chose (`./netplay.http`) may have been planted: only
    // this user's own file, with no other name, is appended to.
    #[cfg(unix)]
    if !follow {
        use std::os::unix::fs::MetadataExt;
        if my_uid().is_ok_and(|me| meta.uid() != me) {
            return Err(
                "it belongs to another user (netplay appends only to your own file)".into(),
            );
        }
        if meta.nlink() > 1 {
            return Err(
                "it has another name too (a hard link): netplay appends only to a file with one"
                    .into(),
            );
        }
    }
    Ok(file)
}

/// A file being written that replaces `target` only once complete (as
/// `curl -o` would write it, but a failed download leaves an existing file
/// intact).
///
/// - A regular file (or a symlink to one) is replaced atomically: the bytes
///   go to a temporary file beside the real file, which is renamed over it
///   when complete and given the old file's permissions. (A hard link to
///   the old file keeps the old content: the rename makes a new file.)
/// - A new file gets the usual permissions (0666 less the umask).
/// - Anything else that exists — `/dev/null`, a FIFO, a terminal — is
///   written in place, as curl writes it; it is never replaced.
#[derive(Debug)]
pub struct Replacing {
    target: PathBuf,
    how: Writing,
}

#[derive(Debug)]
enum Writing {
    Atomic {
        temp: NamedTempFile,
        real: PathBuf,
        mode: Option<std::fs::Permissions>,
    },
    InPlace(std::fs::File),
}

impl Replacing {
    /// Starts writing towards `target`. Fails at once when its directory
    /// is missing or not writable, before anything is downloaded.
    pub fn create(target: &Path) -> Result<Self, String> {
        if target.file_name().is_none() {
            return Err(format!("{} names no file", target.display()));
        }
        // A link to a file is refused: resolved here, in user space, the
        // kernel's protection against links planted in shared directories
        // (fs.protected_symlinks) would not apply. A link to a device or a
        // FIFO (`/dev/stdout`) is written through, in place.
        let linked =
            std::fs::symlink_metadata(target).is_ok_and(|meta| meta.file_type().is_symlink());
        let how = match std::fs::metadata(target) {
            Ok(meta) if linked && meta.is_file() => {
                return Err(format!(
                    "{} is a symbolic link to a file: give the file's own path (netplay does not write through a link)",
                    target.display()
                ))
            }
            Ok(meta) if !meta.is_file() => Writing::InPlace(open_in_place(target, &meta)?),
            Ok(meta) => {
                let real = std::fs::canonicalize(target).unwrap_or_else(|_| target.to_path_buf());
                Writing::Atomic {
                    temp: temporary_in(parent_of(&real))?,
                    real,
                    mode: Some(meta.permissions()),
                }
            }
            Err(_) => Writing::Atomic {
                temp: temporary_in(parent_of(target))?,
                real: target.to_path_buf(),
                mode: new_file_mode(),
            },
        };
        Ok(Self {
            target: target.to_path_buf(),
            how,
        })
    }

    /// Starts writing a private file (0600, whatever the old one's mode)
    /// that will replace `target`, for what netplay records of a person's
    /// sessions: only a regular file or a new name is taken — a symbolic
    /// link, FIFO, device or directory there is refused — and the name must
    /// be a file name.
    pub fn private(target: &Path) -> Result<Self, String> {
        let shown = crate::text::sanitize_str(&target.display().to_string());
        let named = target
            .file_name()
            .is_some_and(|name| name.len() <= MAX_NAME)
            && !target.as_os_str().to_string_lossy().ends_with('/');
        if !named {
            return Err(format!(
                "{shown}: not a file name (a directory, or a name over {MAX_NAME} bytes)"
            ));
        }
        match std::fs::symlink_metadata(target) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(format!(
                    "{shown}: it is a symbolic link (give the real path)"
                ))
            }
            Ok(meta) if !meta.is_file() => return Err(format!("{shown}: not a regular file")),
            _ => {}
        }
        let temp = tempfile::Builder::new()
            .prefix(".netplay-")
            .suffix(".partial")
            .tempfile_in(parent_of(target))
            .map_err(|err| {
                format!(
                    "{shown}: its directory cannot be written ({})",
                    os_words(err)
                )
            })?;
        Ok(Self {
            target: target.to_path_buf(),
            how: Writing::Atomic {
                temp,
                real: target.to_path_buf(),
                // The temporary file's own 0600.
                mode: None,
            },
        })
    }

    /// Whether the bytes go to a terminal (`-o /dev/tty`): a person's
    /// screen, where untrusted bytes pass the gate as on stdout.
    pub fn is_terminal(&self) -> bool {
        matches!(&self.how, Writing::InPlace(file) if std::io::IsTerminal::is_terminal(file))
    }

    /// Where the bytes are going in the end.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// The file to write to.
    pub fn file(&mut self) -> &mut std::fs::File {
        match &mut self.how {
            Writing::Atomic { temp, .. } => temp.as_file_mut(),
            Writing::InPlace(file) => file,
        }
    }

    /// Puts the complete file in place of `target`.
    pub fn finish(mut self) -> Result<PathBuf, String> {
        self.file()
            .flush()
            .map_err(|err| format!("cannot write {}: {err}", self.target.display()))?;
        if let Writing::Atomic { temp, real, mode } = self.how {
            if let Some(mode) = mode {
                // Best effort: the content matters more than the mode.
                let _ = temp.as_file().set_permissions(mode);
            }
            temp.persist(&real)
                .map_err(|err| format!("cannot write {}: {}", self.target.display(), err.error))?;
        }
        Ok(self.target)
    }
}

/// Opens a device, FIFO or terminal for writing, as curl does. A FIFO with
/// no reader is refused at once instead of waiting for one forever.
fn open_in_place(target: &Path, meta: &std::fs::Metadata) -> Result<std::fs::File, String> {
    let cannot = |err: std::io::Error| format!("cannot write {}: {err}", target.display());
    #[cfg(unix)]
    {
        use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
        if meta.file_type().is_fifo() {
            let probe = std::fs::OpenOptions::new()
                .write(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(target);
            match probe {
                Err(err) if err.raw_os_error() == Some(libc::ENXIO) => {
                    return Err(format!(
                        "cannot write {}: a FIFO that no one reads",
                        target.display()
                    ))
                }
                Err(err) => return Err(cannot(err)),
                Ok(_) => {} // a reader is there: the open below does not wait
            }
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(target)
        .map_err(cannot)
}

fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// 0666 less the process's umask (read from /proc: std has no umask call,
/// and this needs no unsafe); `None` leaves tempfile's private 0600.
fn new_file_mode() -> Option<std::fs::Permissions> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let umask = status
            .lines()
            .find_map(|line| line.strip_prefix("Umask:"))
            .and_then(|value| u32::from_str_radix(value.trim(), 8).ok())?;
        Some(std::fs::Permissions::from_mode(0o666 & !umask))
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// A private directory for the spools of one process (mode 0700, removed
/// when the last holder drops it), and files in it (mode 0600).
#[derive(Debug)]
pub struct PrivateDir(tempfile::TempDir);

impl PrivateDir {
    /// Creates a new private directory under the system's temporary one.
    pub fn create() -> Result<Self, String> {
        let mut builder = tempfile::Builder::new();
        builder.prefix("netplay-");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o700));
        }
        builder
            .tempdir()
            .map(Self)
            .map_err(|err| format!("cannot create a private temporary directory: {err}"))
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        self.0.path()
    }

    /// A new file in it, removed when dropped.
    pub fn file(&self) -> Result<NamedTempFile, String> {
        temporary_in(self.path())
    }
}

fn temporary_in(dir: &Path) -> Result<NamedTempFile, String> {
    tempfile::Builder::new()
        .prefix(".netplay-")
        .suffix(".partial")
        .tempfile_in(dir)
        .map_err(|err| {
            let shown = crate::text::sanitize_str(&dir.display().to_string());
            format!("cannot write in {shown}: {}", os_words(err))
        })
}

/// The system's words for an error, without the temporary file's path
/// that `tempfile` adds (" at path …").
fn os_words(err: std::io::Error) -> String {
    let text = err.to_string();
    match text.split_once(" at path ") {
        Some((words, _)) => words.to_string(),
        None => text,
    }
}

/// `name` cut to at most [`MAX_NAME`] bytes less `room` (for a ` (N)`
/// suffix), on a character boundary, keeping a short extension.
pub fn shorten(name: &str, room: usize) -> String {
    let limit = MAX_NAME.saturating_sub(room);
    if name.len() <= limit {
        return name.to_string();
    }
    let (stem, ext) = split_extension(name);
    let ext = if ext.len() <= 16 { ext } else { "" };
    let mut cut = limit.saturating_sub(ext.len());
    while !stem.is_char_boundary(cut.min(stem.len())) {
        cut -= 1;
    }
    format!("{}{ext}", &stem[..cut.min(stem.len())])
}

fn split_extension(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(at) if at > 0 => (&name[..at], &name[at..]),
        _ => (name, ""),
    }
}

#[cfg(test)]
mod tests;
