//! The event lines of the long-running headless commands (`tcp serve`,
//! `relay`, `udp serve`), written so that a busy log costs the network
//! little: events are taken from the engine in batches, each line is
//! formatted straight into one buffer (a bounded preview of the data, never
//! the whole read unless `--dump` asks), and the buffer goes out in one
//! write per batch to a terminal, or per 64 KiB (at most 50 ms late) to a
//! file or pipe. Every line is written: the engine waits for the log
//! (lossless), it never drops one.
//!
//! Writes happen on tokio's blocking pool, never on a runtime worker: a
//! stdout nobody reads (a full pipe) would otherwise hold a worker in
//! `write()`, and with it the timers and signals a stop needs.

use std::fmt::Write as _;
use std::io::Write as _;
use std::pin::Pin;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::{Instant, Sleep};

use super::output::{json_object, Output, Value};
use crate::clock::{FullStamps, Stamp};
use crate::narrate::Kind;
use crate::net::{Engine, Event, Payload};

/// Bytes of each read an event carries for its line (the line shows at
/// most [`LINE_PREVIEW`] bytes of escaped text).
pub const PREVIEW_BYTES: usize = 128;

/// Bytes of escaped data text on one event line; `…` marks the rest.
pub const LINE_PREVIEW: usize = 100;

/// Events taken from the engine per wake-up.
const BATCH: usize = 512;

/// Buffered lines are written once they reach this size…
const FLUSH_SIZE: usize = 64 * 1024;

/// …or once the oldest of them waited this long (to a file or a pipe).
const FLUSH_DELAY: Duration = Duration::from_millis(50);

/// After a batch that did not fill [`BATCH`], events are let pile up this
/// long before the next is taken: under a flood the log wakes a few
/// hundred times a second for hundreds of events, not once per read (a
/// task wake-up per event cost a busy echo server a fifth of its rate).
/// Idle, nothing waits on a timer: the next event wakes the log at once.
const GATHER: Duration = Duration::from_millis(2);

/// How `--dump` shows the data of each read.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dump {
    /// Every byte as escaped text, on the event's line.
    Text,
    /// Every byte as a hex dump under the event's line (as `ncat --hex-dump`).
    Hex,
}

/// The engine a log-writing command runs: lossless, with previews sized
/// for the lines it will write (`-q`: no data events at all).
pub fn engine(out: &Output, dump: Option<Dump>) -> (Engine, mpsc::Receiver<Event>) {
    let runtime = tokio::runtime::Handle::current();
    if out.quiet {
        let (engine, events) = Engine::lossless(runtime, 256, 0);
        return (engine.without_data_events(), events);
    }
    match dump {
        // Each event holds a whole read: fewer of them in flight.
        Some(_) => Engine::lossless(runtime, 256, usize::MAX),
        None => Engine::lossless(runtime, 4096, PREVIEW_BYTES),
    }
}

/// A piece of a data line's words, written without the formatting
/// machinery (a busy log writes two such lines per echoed message).
#[derive(Debug, Clone, Copy)]
pub enum Piece<'a> {
    /// Text as it is (already safe: no peer bytes).
    Str(&'a str),
    /// A number.
    Num(u64),
    /// A connection, as `#N`.
    Conn(crate::net::ConnId),
    /// An address and port.
    Addr(std::net::SocketAddr),
}

impl Piece<'_> {
    pub(crate) fn push(self, out: &mut String) {
        match self {
            Piece::Str(text) => out.push_str(text),
            Piece::Num(n) => push_num(out, n),
            Piece::Conn(conn) => {
                out.push('#');
                push_num(out, conn.0);
            }
            // IPv4 by hand: a UDP log writes an address on every line.
            Piece::Addr(std::net::SocketAddr::V4(addr)) => {
                for (i, octet) in addr.ip().octets().into_iter().enumerate() {
                    if i > 0 {
                        out.push('.');
                    }
                    push_num(out, u64::from(octet));
                }
                out.push(':');
                push_num(out, u64::from(addr.port()));
            }
            Piece::Addr(addr) => {
                let _ = write!(out, "{addr}");
            }
        }
    }
}

/// Appends `n` in decimal.
fn push_num(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // Only ASCII digits were written.
    out.push_str(std::str::from_utf8(&digits[at..]).unwrap_or_default());
}

/// What a command's line writer says after one event.
pub enum Next {
    /// Go on.
    Go,
    /// The command is done: every line written, this exit status.
    Done(std::process::ExitCode),
    /// The command failed: this reason on stderr after the lines, exit 1.
    Fail(String),
}

/// Batches of events in, buffered lines out.
pub struct EventLog {
    out: Output,
    dump: Option<Dump>,
    buffer: String,
    stamps: FullStamps,
    /// Stdout is a terminal: a person is watching, each batch goes at once.
    to_terminal: bool,
    /// When the buffered lines must go out at the latest (made on first
    /// need, then reset: no timer per batch).
    deadline: Option<Pin<Box<Sleep>>>,
    armed: bool,
    /// When the next batch may be taken (set after a partial batch).
    gather: Option<Pin<Box<Sleep>>>,
    gathering: bool,
    batch: Vec<Event>,
    /// The stamp of the batch being written (its lines are written within
    /// microseconds of each other: one clock read for all of them).
    batch_stamp: Option<String>,
}

impl EventLog {
    /// A log on stdout for `out`'s flags.
    pub fn new(out: Output, dump: Option<Dump>) -> Self {
        Self {
            out,
            dump,
            buffer: String::new(),
            stamps: FullStamps::default(),
            to_terminal: std::io::IsTerminal::is_terminal(&std::io::stdout()),
            deadline: None,
            armed: false,
            gather: None,
            gathering: false,
            batch: Vec::with_capacity(BATCH),
            batch_stamp: None,
        }
    }

    /// The next batch of events (`None`: the engine is gone). Buffered
    /// lines that come due meanwhile are written.
    async fn next_batch(&mut self, events: &mut mpsc::Receiver<Event>) -> Option<Vec<Event>> {
        let mut batch = std::mem::take(&mut self.batch);
        batch.clear();
        if self.gathering {
            self.gathering = false;
            due(&mut self.gather).await;
        }
        loop {
            tokio::select! {
                received = events.recv_many(&mut batch, BATCH) => {
                    if received > 0 && received < BATCH {
                        self.gathering = true;
                        let at = Instant::now() + GATHER;
                        match &mut self.gather {
                            Some(gather) => gather.as_mut().reset(at),
                            None => self.gather = Some(Box::pin(tokio::time::sleep_until(at))),
                        }
                    }
                    let mut stamp = self.batch_stamp.take().unwrap_or_default();
                    stamp.clear();
                    self.stamps.push(&mut stamp, Stamp::now());
                    self.batch_stamp = Some(stamp);
                    return (received > 0).then_some(batch);
                }
                () = due(&mut self.deadline), if self.armed => self.flush().await,
            }
        }
    }

    /// The loop of a log-writing command: lines for every event (`line`),
    /// in batches, until `line` says it is done or the engine is gone. A
    /// stop signal calls `on_stop` once (stop the listener, close the
    /// socket); the events that follow it are still written.
    pub async fn drive(
        mut self,
        mut events: mpsc::Receiver<Event>,
        mut stop: crate::shutdown::Shutdown,
        on_stop: impl FnOnce(),
        mut line: impl FnMut(&mut Self, Event) -> Next,
    ) -> std::process::ExitCode {
        let mut on_stop = Some(on_stop);
        loop {
            let batch = tokio::select! {
                _ = stop.recv(), if on_stop.is_some() => {
                    if let Some(on_stop) = on_stop.take() {
                        on_stop();
                    }
                    continue;
                }
                batch = self.next_batch(&mut events) => batch,
            };
            let Some(mut batch) = batch else {
                self.flush().await;
                return std::process::ExitCode::SUCCESS;
            };
            for event in batch.drain(..) {
                if self.is_full() {
                    self.flush().await;
                }
                match line(&mut self, event) {
                    Next::Go => {}
                    Next::Done(code) => {
                        self.flush().await;
                        return code;
                    }
                    Next::Fail(reason) => {
                        self.error(&reason).await;
                        return super::Exit::Failure.into();
                    }
                }
            }
            self.reuse(batch);
            self.end_batch().await;
        }
    }

    /// Hands a batch's vector back for the next one (no allocation per batch).
    fn reuse(&mut self, batch: Vec<Event>) {
        self.batch = batch;
    }

    /// Whether the buffered lines should go out before more are added (a
    /// batch of whole reads with `--dump` would otherwise all be held).
    fn is_full(&self) -> bool {
        self.buffer.len() >= FLUSH_SIZE
    }

    /// Ends a batch: the lines go out now to a terminal or once enough
    /// are buffered; otherwise a deadline makes sure they go soon.
    async fn end_batch(&mut self) {
        // Lines written outside a batch read the clock themselves.
        if let Some(stamp) = self.batch_stamp.as_mut() {
            stamp.clear();
        }
        if self.buffer.is_empty() {
            return;
        }
        if self.to_terminal || self.is_full() {
            self.flush().await;
        } else if !self.armed {
            self.armed = true;
            let at = Instant::now() + FLUSH_DELAY;
            match &mut self.deadline {
                Some(deadline) => deadline.as_mut().reset(at),
                None => self.deadline = Some(Box::pin(tokio::time::sleep_until(at))),
            }
        }
    }

    /// Writes every buffered line (on the blocking pool; this waits).
    async fn flush(&mut self) {
        self.armed = false;
        if self.buffer.is_empty() {
            return;
        }
        let buffer = std::mem::take(&mut self.buffer);
        let written = tokio::task::spawn_blocking(move || {
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(buffer.as_bytes());
            let _ = stdout.flush();
            buffer
        })
        .await;
        if let Ok(mut buffer) = written {
            buffer.clear();
            self.buffer = buffer;
        }
    }

    /// Writes everything and reports an error on stderr (after the lines
    /// that led to it).
    async fn error(&mut self, reason: &str) {
        self.flush().await;
        self.out.error(reason);
    }

    /// One event line: `time marker text`, or a JSON object with `time`,
    /// `event`, `kind`, `text` and the `fields` (built only for JSON).
    pub fn event<'a>(
        &mut self,
        event: &str,
        kind: Kind,
        text: &str,
        fields: impl FnOnce() -> Vec<(&'a str, Value)>,
    ) {
        if self.out.quiet {
            return;
        }
        if self.out.json {
            self.json_line(event, kind, text.to_string(), fields());
            return;
        }
        self.head(kind);
        // Sentences may quote what a user typed (an address, a file name):
        // through the gate too, as every line on a terminal.
        self.buffer.push_str(&crate::text::escape_unsafe(text));
        self.buffer.push('\n');
    }

    /// A line about bytes read or written: `head` in words, then the
    /// data — a bounded preview (`…` when there is more), or all of it with
    /// `--dump`. In JSON the data is the `data` field (and `hex` with
    /// `--dump=hex`) beside `fields`.
    pub fn data<'a>(
        &mut self,
        event: &str,
        kind: Kind,
        head: &[Piece<'_>],
        data: &Payload,
        fields: impl FnOnce() -> Vec<(&'a str, Value)>,
    ) {
        if self.out.quiet {
            return;
        }
        if self.out.json {
            // `text` keeps the line's bounded preview; `data` holds what
            // `--dump` asks for (the bytes once, not twice).
            let mut text = String::new();
            head.iter().for_each(|piece| piece.push(&mut text));
            push_preview(&mut text, data);
            let shown = match self.dump {
                Some(_) => {
                    let mut all = String::new();
                    crate::text::sanitize_into(&mut all, &data.preview, usize::MAX);
                    all
                }
                None => {
                    let mut bounded = String::new();
                    push_preview(&mut bounded, data);
                    bounded
                }
            };
            let mut all = fields();
            all.push(("data", Value::Str(shown)));
            if self.dump == Some(Dump::Hex) {
                all.push(("hex", Value::Str(hex(&data.preview))));
            }
            self.json_line(event, kind, text, all);
            return;
        }
        self.head(kind);
        let mut buffer = std::mem::take(&mut self.buffer);
        head.iter().for_each(|piece| piece.push(&mut buffer));
        self.push_data(&mut buffer, data);
        buffer.push('\n');
        if self.dump == Some(Dump::Hex) {
            for line in crate::text::hex_dump(&data.preview) {
                buffer.push_str("    ");
                buffer.push_str(&line);
                buffer.push('\n');
            }
        }
        self.buffer = buffer;
    }

    /// Whether data lines show a bounded preview as text (no JSON, no
    /// `--dump`): a line may then leave out bytes its reader just saw.
    pub fn previews_text(&self) -> bool {
        !self.out.json && !self.out.quiet && self.dump.is_none()
    }

    /// A text line of `pieces` alone (see [`EventLog::previews_text`]).
    pub fn pieces(&mut self, kind: Kind, pieces: &[Piece<'_>]) {
        self.head(kind);
        let mut buffer = std::mem::take(&mut self.buffer);
        pieces.iter().for_each(|piece| piece.push(&mut buffer));
        buffer.push('\n');
        self.buffer = buffer;
    }

    /// The data as text: all of it with `--dump text`, nothing on the line
    /// with `--dump=hex` (the dump follows), else the bounded preview.
    fn push_data(&self, out: &mut String, data: &Payload) {
        match self.dump {
            Some(Dump::Hex) => {}
            Some(Dump::Text) => {
                crate::text::sanitize_into(out, &data.preview, usize::MAX);
            }
            None => push_preview(out, data),
        }
    }

    fn head(&mut self, kind: Kind) {
        match self.batch_stamp.as_deref() {
            Some(stamp) if !stamp.is_empty() => self.buffer.push_str(stamp),
            _ => self.stamps.push(&mut self.buffer, Stamp::now()),
        }
        self.buffer.push(' ');
        self.buffer.push_str(kind.marker());
        self.buffer.push(' ');
    }

    fn json_line(&mut self, event: &str, kind: Kind, text: String, fields: Vec<(&str, Value)>) {
        let mut all: Vec<(&str, Value)> = vec![
            ("time", Value::Str(Stamp::now().rfc3339())),
            ("event", event.into()),
            ("kind", kind.name().into()),
            ("text", Value::Str(text)),
        ];
        all.extend(fields);
        self.buffer.push_str(&json_object(&all));
        self.buffer.push('\n');
    }
}

/// At most [`LINE_PREVIEW`] bytes of `data` as escaped text, then `…`
/// when anything is left out.
fn push_preview(out: &mut String, data: &Payload) {
    let whole = crate::text::sanitize_into(out, &data.preview, LINE_PREVIEW);
    if !whole || data.preview.len() < data.len {
        out.push('…');
    }
}

/// Resolves when the deadline passes (never, without one).
async fn due(deadline: &mut Option<Pin<Box<Sleep>>>) {
    match deadline {
        Some(deadline) => deadline.as_mut().await,
        None => std::future::pending().await,
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(dump: Option<Dump>, bytes: &[u8], carried: usize) -> String {
        let log = EventLog::new(Output::new(false, false), dump);
        let mut out = String::new();
        log.push_data(&mut out, &Payload::first(bytes, carried));
        out
    }

    #[test]
    fn a_big_read_shows_a_bounded_preview() {
        let read = vec![b'x'; 64 * 1024];
        let text = shown(None, &read, PREVIEW_BYTES);
        assert_eq!(text, format!("{}…", "x".repeat(LINE_PREVIEW)));
        assert_eq!(shown(None, b"hello", PREVIEW_BYTES), "hello");
        // Escapes are never cut in two, and count towards the bound.
        let text = shown(None, &[0x1b; 64], PREVIEW_BYTES);
        assert_eq!(text, format!("{}…", "\\x1b".repeat(LINE_PREVIEW / 4)));
    }

    #[test]
    fn addresses_read_as_displayed() {
        for addr in [
            "127.0.0.1:9999",
            "0.0.0.0:0",
            "255.255.255.255:65535",
            "[::1]:80",
            "[fe80::1%2]:5",
        ] {
            let addr: std::net::SocketAddr = addr.parse().unwrap();
            let mut out = String::new();
            Piece::Addr(addr).push(&mut out);
            assert_eq!(out, addr.to_string());
        }
    }

    #[test]
    fn numbers_are_written_in_decimal() {
        for n in [0u64, 7, 10, 99, 65_536, u64::MAX] {
            let mut out = String::new();
            push_num(&mut out, n);
            assert_eq!(out, n.to_string());
        }
    }

    #[test]
    fn dump_shows_every_byte() {
        let read = vec![b'y'; 64 * 1024];
        assert_eq!(
            shown(Some(Dump::Text), &read, usize::MAX),
            "y".repeat(65536)
        );
    }
}

#[cfg(test)]
mod timing {
    use super::*;

    /// `cargo test --release --lib event_log::timing -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn cost_of_a_data_line() {
        let mut log = EventLog::new(Output::new(false, false), None);
        let data = Payload::first(&[b'x'; 64], PREVIEW_BYTES);
        let conn = crate::net::ConnId(7);
        log.batch_stamp = Some("2026-12-07 01:25:00.123 +00:00".into());
        let started = std::time::Instant::now();
        const N: usize = 2_000_000;
        for i in 0..N {
            let head = [
                Piece::Conn(conn),
                Piece::Str(" received "),
                Piece::Num(data.len as u64),
                Piece::Str(" B from "),
                Piece::Str("127.0.0.1:41362"),
                Piece::Str(": "),
            ];
            log.data("received", Kind::In, &head, &data, Vec::new);
            if i % 1000 == 0 {
                log.buffer.clear();
            }
        }
        eprintln!("{:?} per line", started.elapsed() / N as u32);
        log.buffer.clear();
        // The channel: a send and a receive per event, one thread each side.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let (tx, mut rx) = tokio::sync::mpsc::channel::<crate::net::Event>(4096);
            let started = std::time::Instant::now();
            let producer = tokio::spawn(async move {
                for _ in 0..N {
                    let event = crate::net::Event::Server(
                        crate::net::ServerId(1),
                        crate::net::tcp_server::ServerEvent::Received {
                            conn,
                            data: Payload::first(&[b'x'; 64], PREVIEW_BYTES),
                        },
                    );
                    if let Err(tokio::sync::mpsc::error::TrySendError::Full(event)) =
                        tx.try_send(event)
                    {
                        let _ = tx.send(event).await;
                    }
                }
            });
            let mut batch = Vec::new();
            let mut got = 0;
            while got < N {
                got += rx.recv_many(&mut batch, 512).await;
                batch.clear();
            }
            producer.await.unwrap();
            eprintln!(
                "{:?} per event through the channel",
                started.elapsed() / N as u32
            );
        });
    }
}
