//! Every file netplay writes: saves never clobber, downloads never leave a
//! half file where a good one was, nothing is readable by other users, and
//! nothing is left behind.
//!
//! One rule for all of them: bytes go first into a temporary file that
//! `tempfile` creates with `O_CREAT | O_EXCL` (a planted symlink is never
//! followed) under a random name, mode 0600, in the directory of the final
//! name; only a complete file is renamed into place. A temporary file that
//! is dropped unfinished is removed.

use std::io::Write;
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

/// The longest file name most file systems take, in bytes.
pub const MAX_NAME: usize = 255;

/// Saves to a new file named `name` in `dir`, never replacing anything: a
/// taken name becomes `name (1).ext`, `name (2).ext`, … `write` fills the
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
            dir.join(format!("{stem} ({n}){ext}"))
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

/// A file being written that replaces `target` only once complete (as
/// `curl -o` would write it, but a failed download leaves an existing file
/// intact).
#[derive(Debug)]
pub struct Replacing {
    temp: NamedTempFile,
    target: PathBuf,
}

impl Replacing {
    /// Starts writing towards `target`. Fails at once when its directory
    /// is missing or not writable, before anything is downloaded.
    pub fn create(target: &Path) -> Result<Self, String> {
        let dir = match target.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        if target.file_name().is_none() {
            return Err(format!("{} names no file", target.display()));
        }
        Ok(Self {
            temp: temporary_in(dir)?,
            target: target.to_path_buf(),
        })
    }

    /// Where the bytes are going in the end.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// The file to write to.
    pub fn file(&mut self) -> &mut std::fs::File {
        self.temp.as_file_mut()
    }

    /// Puts the complete file in place of `target`.
    pub fn finish(mut self) -> Result<PathBuf, String> {
        self.temp
            .as_file_mut()
            .flush()
            .map_err(|err| format!("cannot write {}: {err}", self.target.display()))?;
        self.temp
            .persist(&self.target)
            .map_err(|err| format!("cannot write {}: {}", self.target.display(), err.error))?;
        Ok(self.target)
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
        .map_err(|err| format!("cannot write in {}: {err}", dir.display()))
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
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn saves_never_clobber_and_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let first = save_new(dir.path(), "index.html", |f| f.write_all(b"one")).unwrap();
        let second = save_new(dir.path(), "index.html", |f| f.write_all(b"two")).unwrap();
        assert_eq!(first, dir.path().join("index.html"));
        assert_eq!(second, dir.path().join("index (1).html"));
        assert_eq!(std::fs::read(&first).unwrap(), b"one");
        let mode = std::fs::metadata(&second).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "not readable by others: {mode:o}");
    }

    #[test]
    fn a_planted_symlink_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let victim = outside.path().join("victim");
        std::fs::write(&victim, b"precious").unwrap();
        std::os::unix::fs::symlink(&victim, dir.path().join("index.html")).unwrap();
        std::os::unix::fs::symlink(&victim, dir.path().join(".index.html.netplay-partial"))
            .unwrap();
        let saved = save_new(dir.path(), "index.html", |f| f.write_all(b"new")).unwrap();
        assert_eq!(saved, dir.path().join("index (1).html"));
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    }

    #[test]
    fn a_failed_save_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let failed = save_new(dir.path(), "x.txt", |_| {
            Err(std::io::Error::other("disk full"))
        });
        assert!(failed.is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn replacing_keeps_the_old_file_until_finished() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("page.html");
        std::fs::write(&target, b"old").unwrap();
        let mut unfinished = Replacing::create(&target).unwrap();
        unfinished.file().write_all(b"half").unwrap();
        drop(unfinished);
        assert_eq!(std::fs::read(&target).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        let mut done = Replacing::create(&target).unwrap();
        done.file().write_all(b"new").unwrap();
        done.finish().unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        let missing = Replacing::create(&dir.path().join("missing/dir/x"));
        assert!(missing.unwrap_err().contains("missing/dir"));
    }

    #[test]
    fn long_names_are_shortened_on_a_character_boundary() {
        let long = format!("{}.html", "é".repeat(300));
        let short = shorten(&long, 12);
        assert!(short.len() <= MAX_NAME - 12);
        assert!(short.ends_with(".html"));
        let dir = tempfile::tempdir().unwrap();
        let saved = save_new(dir.path(), &long, |f| f.write_all(b"x")).unwrap();
        assert!(saved.file_name().unwrap().len() <= MAX_NAME);
    }

    #[test]
    fn the_private_dir_is_private_and_goes_away() {
        let dir = PrivateDir::create().unwrap();
        let path = dir.path().to_path_buf();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{mode:o}");
        let file = dir.file().unwrap();
        let mode = file.as_file().metadata().unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{mode:o}");
        drop(file);
        drop(dir);
        assert!(!path.exists());
    }
}
