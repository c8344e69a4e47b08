//! The words every tab says about its recordings (the engine writes them;
//! see `net::record::recorder`).

use std::path::Path;

use crate::net::record::recorder::{RecordNews, RecordTo};
use crate::ui::widgets::log_view::Kind;

/// A recording's path for the screen (through the untrusted-bytes gate:
/// a directory name may hold anything).
pub fn shown(path: &Path) -> String {
    crate::text::sanitize_str(&path.display().to_string())
}

/// The log line for a recording that started or ended.
pub fn words(news: &RecordNews) -> (Kind, String) {
    match news {
        RecordNews::Started { path, .. } => (
            Kind::Info,
            format!(
                "Recording to {} (play it: netplay replay FILE --serve ADDR or --connect ADDR)",
                shown(path)
            ),
        ),
        RecordNews::Ended {
            path,
            lines,
            error: None,
            ..
        } => (
            Kind::Good,
            format!(
                "Recorded {} to {}",
                crate::format::plural(*lines, "event"),
                shown(path)
            ),
        ),
        RecordNews::Ended {
            path,
            lines,
            error: Some(reason),
            ..
        } => (
            Kind::Error,
            if path.as_os_str().is_empty() {
                format!("Not recorded: {reason}")
            } else {
                format!(
                    "Recording stopped: {reason} ({} kept in {})",
                    crate::format::plural(*lines, "event"),
                    shown(path)
                )
            },
        ),
    }
}

/// A file's name without its directory, for the screen.
fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|name| shown(Path::new(name)))
        .unwrap_or_default()
}

/// The status line's word when a recording ends (its start shows in the
/// status's REC mark): the file's name without its directory.
pub fn short_words(news: &RecordNews) -> Option<String> {
    let name = file_name;
    Some(match news {
        RecordNews::Started { .. } => return None,
        RecordNews::Ended {
            error: None,
            path,
            lines,
            ..
        } => format!(
            "Recorded {} to {}",
            crate::format::plural(*lines, "event"),
            name(path)
        ),
        RecordNews::Ended { .. } => words(news).1,
    })
}

/// A tab's recording switch (Alt+R): while on, every connection (or pair)
/// is recorded, one new file each. Counts the files being written.
pub struct RecordSwitch {
    on: bool,
    dir: std::path::PathBuf,
    stem: &'static str,
    open: usize,
    last: Option<std::path::PathBuf>,
}

impl RecordSwitch {
    /// Off; files will be named `stem-<time>.jsonl` in the current
    /// directory.
    pub fn new(stem: &'static str) -> Self {
        Self {
            on: false,
            dir: std::path::PathBuf::from("."),
            stem,
            open: 0,
            last: None,
        }
    }

    /// Writes the files in `dir` instead (`--record-dir`).
    pub fn set_dir(&mut self, dir: &Path) {
        self.dir = dir.to_path_buf();
    }

    /// Whether it is on.
    pub fn is_on(&self) -> bool {
        self.on
    }

    /// What a new connection records to, if anything.
    pub fn plan(&self) -> Option<RecordTo> {
        self.on.then(|| RecordTo {
            dir: self.dir.clone(),
            stem: self.stem.to_string(),
        })
    }

    /// Flips the switch; returns what to tell the engine.
    pub fn flip(&mut self) -> Option<RecordTo> {
        self.on = !self.on;
        self.plan()
    }

    /// What flipping it did, in words: `what` names the connections
    /// (`"connection"`, `"pair"`); `live`: whether some are open now.
    pub fn flipped_words(&self, what: &str, live: bool) -> String {
        match (self.on, live) {
            (true, true) => format!(
                "Recording on: each open {what} from now, each new one from its first byte, one file each ({}-<time>.jsonl; Alt+R stops)",
                self.stem
            ),
            (true, false) => format!(
                "Recording on: each new {what} from its first byte, one file each ({}-<time>.jsonl; Alt+R stops)",
                self.stem
            ),
            (false, _) => "Recording off".to_string(),
        }
    }

    /// Alt+R: flips the switch and tells the engine with `tell` (`None`:
    /// nothing is running to tell); `what` names the connections, `live`
    /// says whether some are open. The words go on the console's status.
    pub fn toggle(
        &mut self,
        console: &mut crate::ui::widgets::console::Console,
        what: &str,
        live: bool,
        tell: Option<impl FnOnce(Option<RecordTo>) -> bool>,
    ) {
        let to = self.flip();
        if let Some(tell) = tell {
            if !tell(to) {
                self.flip();
                return console.say(Kind::Error, "Not switched: too many commands are waiting");
            }
        }
        console.say(Kind::Info, self.flipped_words(what, live));
    }

    /// A recording started or ended: the whole line in the log, the end
    /// on the status too.
    pub fn report(
        &mut self,
        console: &mut crate::ui::widgets::console::Console,
        news: &RecordNews,
    ) {
        let (kind, words) = self.on_news(news);
        console.log.push(kind, words);
        if let Some(short) = short_words(news) {
            console.say(kind, short);
        }
    }

    /// Folds in news from the engine; returns the log line.
    pub fn on_news(&mut self, news: &RecordNews) -> (Kind, String) {
        match news {
            RecordNews::Started { path, .. } => {
                self.open += 1;
                self.last = Some(path.clone());
            }
            RecordNews::Ended { path, .. } => {
                if !path.as_os_str().is_empty() {
                    self.open = self.open.saturating_sub(1);
                }
            }
        }
        words(news)
    }

    /// The status's word, while on: the file (or how many are open).
    pub fn status(&self) -> Option<String> {
        if !self.on {
            return None;
        }
        Some(match (&self.last, self.open) {
            (Some(path), 1) => format!("REC {}", file_name(path)),
            (_, 0) => "REC on".to_string(),
            (_, open) => format!("REC {open} files"),
        })
    }
}
