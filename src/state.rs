//! Remembered state: the last address of each tab, its mode and line
//! ending, the message histories and the URL history, kept across runs in
//! `$XDG_STATE_HOME/netplay/state` (`~/.local/state/netplay/state`).
//!
//! The file is text, one `key=value` per line, each value in netplay's
//! escape syntax ([`crate::text::escape_bytes`]), so any byte survives and
//! a person can read and edit it. A line that does not parse is skipped
//! and counted: a corrupt file costs a one-line notice, never a crash.
//! Writes replace the file whole (a temporary file renamed into place).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The first line of the file: the format's version.
const HEADER: &str = "# netplay state 1";

/// The largest state file read (histories of 200 short lines each make a
/// few tens of kilobytes).
const STATE_LIMIT: u64 = 4 * 1024 * 1024;

/// Messages (and URLs) remembered per history.
pub const HISTORY_KEPT: usize = 200;

/// What the tabs remember: each key has one value or a list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Memory {
    values: BTreeMap<String, Vec<String>>,
}

impl Memory {
    /// Sets `key` to one value.
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.values.insert(key.to_string(), vec![value.into()]);
    }

    /// Sets `key` to a list, keeping its newest [`HISTORY_KEPT`] items.
    pub fn set_list<'a>(&mut self, key: &str, items: impl IntoIterator<Item = &'a String>) {
        let items: Vec<String> = items.into_iter().cloned().collect();
        let skip = items.len().saturating_sub(HISTORY_KEPT);
        self.values
            .insert(key.to_string(), items.into_iter().skip(skip).collect());
    }

    /// The value of `key` (the last one, if it was a list).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values
            .get(key)
            .and_then(|values| values.last())
            .map(String::as_str)
    }

    /// The list under `key`, oldest first (empty when none).
    pub fn list(&self, key: &str) -> &[String] {
        self.values.get(key).map_or(&[], Vec::as_slice)
    }

    /// The file's text.
    pub fn to_text(&self) -> String {
        let mut text = format!("{HEADER}\n");
        for (key, values) in &self.values {
            for value in values {
                text.push_str(key);
                text.push('=');
                text.push_str(&crate::text::escape_bytes(value.as_bytes()));
                text.push('\n');
            }
        }
        text
    }

    /// Reads a file's text; the second value counts the lines skipped.
    pub fn from_text(text: &str) -> (Self, usize) {
        let mut memory = Self::default();
        let mut skipped = 0;
        let mut lines = text.lines();
        if lines.next() != Some(HEADER) {
            return (memory, text.lines().count().max(1));
        }
        for line in lines {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let parsed = line.split_once('=').and_then(|(key, value)| {
                let bytes = crate::text::parse_escapes(value).ok()?;
                let value = String::from_utf8(bytes).ok()?;
                let plain_key = !key.is_empty()
                    && key
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_');
                plain_key.then(|| (key.to_string(), value))
            });
            match parsed {
                Some((key, value)) => memory.values.entry(key).or_default().push(value),
                None => skipped += 1,
            }
        }
        (memory, skipped)
    }
}

/// Where the state file lives: `$XDG_STATE_HOME/netplay/state`, else
/// `~/.local/state/netplay/state` (the XDG rules, on every OS, as the
/// design asks; `etcetera` applies them, a relative `XDG_STATE_HOME`
/// included); `None` without a home directory.
pub fn default_path() -> Option<PathBuf> {
    use etcetera::BaseStrategy;
    let xdg = etcetera::base_strategy::Xdg::new().ok()?;
    Some(xdg.state_dir()?.join("netplay").join("state"))
}

/// Reads the state at `path`: nothing there is a fresh start; anything
/// wrong is a one-line notice beside what could be read.
pub fn load(path: &Path) -> (Memory, Option<String>) {
    let shown = crate::text::sanitize_str(&path.display().to_string());
    if !path.exists() {
        return (Memory::default(), None);
    }
    if std::fs::metadata(path).is_ok_and(|meta| !meta.is_file()) {
        return (
            Memory::default(),
            Some(format!(
                "Remembered state not read ({shown}: not a regular file); starting fresh"
            )),
        );
    }
    match crate::files::read_regular(path, STATE_LIMIT) {
        Err(err) => (
            Memory::default(),
            Some(format!(
                "Remembered state not read ({shown}: {err}); starting fresh"
            )),
        ),
        Ok(bytes) => {
            let Ok(text) = String::from_utf8(bytes) else {
                return (
                    Memory::default(),
                    Some(format!(
                        "Remembered state ignored: {shown} is not text; starting fresh"
                    )),
                );
            };
            let (memory, skipped) = Memory::from_text(&text);
            let notice = (skipped > 0).then(|| {
                format!(
                    "Remembered state: {} not understood, ignored ({shown})",
                    crate::format::plural(skipped as u64, "line")
                )
            });
            (memory, notice)
        }
    }
}

/// Writes `memory` to `path` whole (the directory made if needed).
pub fn save(path: &Path, memory: &Memory) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|err| format!("cannot make {}: {err}", dir.display()))?;
    }
    // A private temporary file (mode 0600: histories can hold tokens and
    // passwords typed as messages) renamed over the old one: never half a
    // file, and a symlink or device in its place is replaced, not written.
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(dir)
        .map_err(|err| format!("cannot write in {}: {err}", dir.display()))?;
    std::io::Write::write_all(file.as_file_mut(), memory.to_text().as_bytes())
        .map_err(|err| format!("cannot write {}: {err}", path.display()))?;
    file.persist(path)
        .map(|_| ())
        .map_err(|err| format!("cannot save {}: {}", path.display(), err.error))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_text_round_trips_and_bad_lines_are_counted() {
        let mut memory = Memory::default();
        memory.set("client.target", "[::1]:9999");
        let history: Vec<String> = (0..250).map(|n| format!("line {n}\n=\\\u{1b}é")).collect();
        memory.set_list("client.history", &history);
        let text = memory.to_text();
        assert!(!text.contains('\u{1b}'), "no raw control byte in the file");
        let (back, skipped) = Memory::from_text(&text);
        assert_eq!(skipped, 0);
        assert_eq!(back, memory);
        assert_eq!(back.list("client.history").len(), HISTORY_KEPT);
        assert_eq!(back.list("client.history")[0], "line 50\n=\\\u{1b}é");
        assert_eq!(back.get("client.target"), Some("[::1]:9999"));

        let corrupt = format!("{HEADER}\nclient.target=ok\nno equals sign\nbad key!=x\nk=\\xZZ\n");
        let (back, skipped) = Memory::from_text(&corrupt);
        assert_eq!(skipped, 3);
        assert_eq!(back.get("client.target"), Some("ok"));
        let (_, skipped) = Memory::from_text("\u{0}\u{1}garbage");
        assert_eq!(skipped, 1, "no header: ignored whole");
    }

    #[test]
    fn the_file_is_written_whole_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deeper/netplay/state");
        let mut memory = Memory::default();
        memory.set("http.url", "http://127.0.0.1:9999/");
        save(&path, &memory).unwrap();
        assert_eq!(load(&path), (memory, None));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "private");
        }
        let fifo = dir.path().join("fifo");
        if std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .is_ok_and(|s| s.success())
        {
            let (_, notice) = load(&fifo);
            assert!(
                notice.unwrap().contains("not a regular file"),
                "a FIFO does not block"
            );
        }
        std::fs::write(&path, [0xff, 0xfe]).unwrap();
        let (memory, notice) = load(&path);
        assert_eq!(memory, Memory::default());
        assert!(notice.unwrap().contains("not text"));
        assert_eq!(load(&dir.path().join("none")), (Memory::default(), None));
    }
}
