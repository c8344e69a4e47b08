//! Recording a connection from inside the engine, where every byte passes
//! (the UI's data events are previews and may be dropped; a recording must
//! not be). The connection task formats each line and hands it to a writer
//! task over a bounded channel, waiting for room: a slow disk slows the
//! connection down instead of growing memory or losing a line. The writer
//! opens the file itself (never over an existing one, mode 0600), so no
//! front end touches the disk, and reports [`RecordNews`] when it starts
//! and when it ends.

use std::path::{Path, PathBuf};
use std::time::Instant;

use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

use crate::record::{Side, Way};
use crate::{ClientId, ConnId, Engine, Event, ServerId};

/// Lines that may wait for the disk.
const LINE_QUEUE: usize = 64;

/// Whose recording a [`RecordNews`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordFor {
    /// An outgoing connection (the client tab).
    Client(ClientId),
    /// One connection of a listener (the server tab).
    ServerConn(ServerId, ConnId),
    /// One pair of a relay.
    RelayPair(crate::relay::RelayId, ConnId),
}

/// A recording started or ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordNews {
    /// The file is open and the header written.
    Started {
        /// Whose.
        who: RecordFor,
        /// The file.
        path: PathBuf,
    },
    /// The recording is over (the connection closed, it was switched off,
    /// or writing failed).
    Ended {
        /// Whose.
        who: RecordFor,
        /// The file (empty when it could not be created).
        path: PathBuf,
        /// Event lines written after the header.
        lines: u64,
        /// Why it stopped early, if it did.
        error: Option<String>,
    },
}

impl RecordNews {
    /// Whose recording it is.
    pub fn who(&self) -> RecordFor {
        match self {
            RecordNews::Started { who, .. } | RecordNews::Ended { who, .. } => *who,
        }
    }
}

/// Where a recording goes: a new file in `dir` named from `stem` and the
/// time (`stem-20261127-071502.jsonl`, local time; a taken name gets ` (1)`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordTo {
    /// The directory.
    pub dir: PathBuf,
    /// The start of the file name.
    pub stem: String,
}

/// One connection's recording, held by its task. Cloning shares the file.
#[derive(Clone, Debug)]
pub struct Recorder {
    lines: mpsc::Sender<String>,
    started: Instant,
}

impl Recorder {
    /// Starts recording to a new file as `to` says; the header names the
    /// addresses and which side the recording is seen from.
    pub fn start(
        engine: &Engine,
        to: RecordTo,
        who: RecordFor,
        side: Side,
        local: &str,
        remote: &str,
    ) -> Self {
        let (lines, rx) = mpsc::channel(LINE_QUEUE);
        let started = Instant::now();
        let header = crate::record::header_line(local, remote, side, started);
        engine.spawn(write_file(engine.clone(), to, who, header, rx));
        Self { lines, started }
    }

    /// Records bytes going `way`; `false` once the recording has ended
    /// (writing failed): the caller then drops it.
    pub async fn data(&self, way: Way, bytes: &[u8]) -> bool {
        let line = crate::record::data_line(self.started.elapsed(), way, bytes);
        self.lines.send(line).await.is_ok()
    }

    /// Records a lifecycle event (`connected`, `half_close`, `closed`).
    pub async fn life(&self, what: &str) -> bool {
        let line = crate::record::life_line(self.started.elapsed(), what);
        self.lines.send(line).await.is_ok()
    }
}

/// Records `bytes` if a recorder is on, and switches it off when its file
/// has failed (the writer has already said why). The wait for the queue is
/// boxed: every idle connection's task carries this call's state, and most
/// never record, so it costs them a pointer, not a whole send.
pub async fn record(recorder: &mut Option<Recorder>, way: Way, bytes: &[u8]) {
    if let Some(on) = recorder {
        if !Box::pin(on.data(way, bytes)).await {
            *recorder = None;
        }
    }
}

/// Records a lifecycle event if a recorder is on.
pub async fn record_life(recorder: &mut Option<Recorder>, what: &str) {
    if let Some(on) = recorder {
        if !Box::pin(on.life(what)).await {
            *recorder = None;
        }
    }
}

async fn write_file(
    engine: Engine,
    to: RecordTo,
    who: RecordFor,
    header: String,
    mut rx: mpsc::Receiver<String>,
) {
    let opened = tokio::task::spawn_blocking(move || create_new(&to))
        .await
        .unwrap_or_else(|err| Err(format!("cannot create the recording: {err}")));
    let (file, path) = match opened {
        Ok(opened) => opened,
        Err(reason) => {
            drop(rx);
            let path = PathBuf::new();
            let error = Some(reason);
            let news = RecordNews::Ended {
                who,
                path,
                lines: 0,
                error,
            };
            engine.emit(Event::Record(news)).await;
            return;
        }
    };
    engine
        .emit(Event::Record(RecordNews::Started {
            who,
            path: path.clone(),
        }))
        .await;
    let mut out = tokio::io::BufWriter::new(tokio::fs::File::from_std(file));
    let mut lines = 0u64;
    let mut error = out.write_all(format!("{header}\n").as_bytes()).await.err();
    while error.is_none() {
        let Some(mut line) = rx.recv().await else {
            break;
        };
        line.push('\n');
        if let Err(err) = out.write_all(line.as_bytes()).await {
            error = Some(err);
            break;
        }
        lines += 1;
        // What is written reaches the file once the queue is empty, so a
        // recording read while the connection is idle is complete.
        if rx.is_empty() {
            if let Err(err) = out.flush().await {
                error = Some(err);
            }
        }
    }
    drop(rx);
    if error.is_none() {
        error = out.flush().await.err();
    }
    let error = error.map(|err| {
        let shown = crate::text::sanitize_str(&path.display().to_string());
        format!("writing {shown} failed: {err}")
    });
    engine
        .emit(Event::Record(RecordNews::Ended {
            who,
            path,
            lines,
            error,
        }))
        .await;
}

/// Creates a new file for `to`, never over an existing one, readable by
/// this user only.
fn create_new(to: &RecordTo) -> Result<(std::fs::File, PathBuf), String> {
    let stamp = crate::clock::Stamp::now().file_part();
    let base = format!("{}-{stamp}", to.stem);
    let shown = |path: &Path| crate::text::sanitize_str(&path.display().to_string());
    // Readable names first; past them (a thousand connections in one
    // second, or names planted by someone who can write here) a random
    // suffix, which cannot be guessed ahead.
    let readable = (0..100).map(|n| match n {
        0 => format!("{base}.jsonl"),
        n => format!("{base} ({n}).jsonl"),
    });
    let random = (0..16).map(|_| {
        use std::hash::{BuildHasher, Hasher};
        let suffix = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        format!("{base}-{suffix:016x}.jsonl")
    });
    for name in readable.chain(random) {
        let path = to.dir.join(name);
        match open_new(&path) {
            Ok(file) => return Ok((file, path)),
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(err) => return Err(format!("cannot record to {}: {err}", shown(&path))),
        }
    }
    Err(format!(
        "no free file name like {base}.jsonl in {}",
        shown(&to.dir)
    ))
}

fn open_new(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}
