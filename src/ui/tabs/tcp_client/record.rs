//! The client tab's recordings: Alt+R records the connection (from now,
//! and every later connection from its first byte) to a new JSON-lines
//! file the engine writes; Alt+P plays a recording's client side against
//! the target on a fresh connection and says whether the server answered
//! as recorded.

use std::path::PathBuf;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::Frame;

use super::{ClientTab, Phase};
use crate::net::record::recorder::{RecordNews, RecordTo};
use crate::record::Recording;
use crate::ui::widgets::input::{title, InputField};
use crate::ui::widgets::log_view::Kind;
use crate::ui::widgets::recording::RecordSwitch;

/// Recordings larger than this are not opened in the TUI
/// (`netplay replay` takes up to 256 MiB).
const OPEN_LIMIT: u64 = 16 * 1024 * 1024;

/// How long the server may stay silent while a recorded answer is due.
const ANSWER_LIMIT: std::time::Duration = std::time::Duration::from_secs(2);

/// The recording switch and the replay waiting for its connection.
pub(super) struct Recordings {
    /// Record every connection while on.
    switch: RecordSwitch,
    /// The path prompt of Alt+P, while open.
    prompt: Option<InputField>,
    /// A recording for the next connection to play.
    pending: Option<Arc<Recording>>,
    /// The connection playing one (its verdict may come after its close).
    replaying: Option<crate::net::ClientId>,
    /// Whether the connection being opened plays one.
    starting_replay: bool,
    /// Each connection to its own pcapng file while armed (Alt+K).
    capture: crate::ui::widgets::capture::CaptureEach,
}

impl Default for Recordings {
    fn default() -> Self {
        Self {
            switch: RecordSwitch::new("netplay-client"),
            prompt: None,
            pending: None,
            replaying: None,
            starting_replay: false,
            capture: crate::ui::widgets::capture::CaptureEach::new(
                "netplay-client",
                crate::net::SaveFor::ClientCapture,
            ),
        }
    }
}

impl ClientTab {
    /// Where Alt+R writes (`--record-dir`).
    pub(super) fn set_record_dir(&mut self, dir: &std::path::Path) {
        self.recordings.switch.set_dir(dir);
    }

    /// What a new connection records (from its first byte), if anything.
    pub(super) fn record_plan(&self) -> Option<RecordTo> {
        self.recordings.switch.plan()
    }

    /// Alt+R: recording on (this connection from now, and every next one
    /// from its first byte) or off.
    pub(super) fn toggle_record(&mut self) {
        let live = matches!(self.phase, Phase::Connected | Phase::WriteShut);
        let handle = self.handle.as_ref().filter(|_| live);
        let tell = handle.map(|handle| move |to| handle.record(to).is_ok());
        self.recordings
            .switch
            .toggle(&mut self.console, "connection", live, tell);
    }

    /// The capture file of a connection about to open, when Alt+K armed
    /// one (a file that cannot be made is said; the connection goes on).
    pub(super) fn capture_plan(
        &mut self,
        engine: &crate::net::Engine,
    ) -> Option<Arc<crate::net::pcap::tap::SyncCapture>> {
        match self.recordings.capture.begin(engine) {
            Ok(capture) => capture,
            Err(reason) => {
                self.console
                    .log
                    .push(Kind::Error, format!("Not captured: {reason}"));
                None
            }
        }
    }

    /// Alt+K: capture each connection from now (or stop).
    pub(super) fn toggle_capture(&mut self) {
        let live = self.phase != Phase::Idle;
        let (kind, text) = self.recordings.capture.toggle(live);
        self.console.say(kind, text);
    }

    /// The connection ended: its capture is finished.
    pub(super) fn capture_ended(&mut self) {
        self.recordings.capture.end();
    }

    /// A connection's capture is written whole (or failed).
    pub fn on_captured(&mut self, outcome: Result<PathBuf, String>) {
        let (kind, text) = crate::ui::widgets::capture::report(outcome);
        self.console.log.push(kind, text.clone());
        self.console.say_briefly(kind, text);
    }

    /// A recording of this tab started or ended.
    pub fn on_record(&mut self, news: RecordNews) {
        self.recordings.switch.report(&mut self.console, &news);
    }

    /// The status's word on recording, if on.
    pub(super) fn record_status(&self) -> Option<String> {
        self.recordings.switch.status()
    }

    /// Alt+P: asks for a recording to play.
    pub(super) fn open_play_prompt(&mut self) {
        if self.phase != Phase::Idle {
            return self.console.say(
                Kind::Error,
                "A replay needs a fresh connection: F8 disconnects first",
            );
        }
        self.recordings.prompt = Some(InputField::new(
            "",
            "path of a recording (.jsonl); Enter connects to the target and plays it",
        ));
    }

    /// Whether the path prompt is open (it takes every key).
    pub(super) fn play_prompt_open(&self) -> bool {
        self.recordings.prompt.is_some()
    }

    /// A paste into the open path prompt.
    pub(super) fn play_prompt_paste(&mut self, text: &str) {
        if let Some(field) = &mut self.recordings.prompt {
            field.paste(text);
        }
    }

    /// A key while the path prompt is open.
    pub(super) fn play_prompt_key(&mut self, key: KeyEvent, engine: &crate::net::Engine) {
        let Some(field) = &mut self.recordings.prompt else {
            return;
        };
        match key.code {
            KeyCode::Esc => self.recordings.prompt = None,
            KeyCode::Enter => {
                let path = PathBuf::from(field.text().trim());
                self.recordings.prompt = None;
                self.start_replay(&path, engine);
            }
            _ => {
                field.input(key);
            }
        }
    }

    fn start_replay(&mut self, path: &std::path::Path, engine: &crate::net::Engine) {
        let shown = crate::ui::widgets::recording::shown(path);
        let read = crate::files::read_regular(path, OPEN_LIMIT)
            .and_then(|bytes| String::from_utf8(bytes).map_err(|_| "not UTF-8 text".into()))
            .and_then(|text| crate::record::parse(&text));
        let recording = match read {
            Ok(recording) => recording,
            Err(reason) => {
                let words = format!(
                    "Cannot play {shown}: {}",
                    crate::text::sanitize_str(&reason)
                );
                return self.console.say(Kind::Error, words);
            }
        };
        if self.console.address().trim().is_empty() {
            self.console.address.set_text(&recording.remote);
        }
        let words = format!(
            "Playing the client side of {shown} against {} ({} recorded events)",
            self.console.address(),
            recording.entries.len()
        );
        self.console.log.push(Kind::Info, words);
        self.recordings.pending = Some(Arc::new(recording));
        self.toggle(engine);
    }

    /// The replay a new connection plays, if one was asked for.
    pub(super) fn take_pending_replay(&mut self) -> Option<crate::net::tcp_client::Replay> {
        let recording = self.recordings.pending.take()?;
        self.recordings.starting_replay = true;
        Some(crate::net::tcp_client::Replay {
            recording,
            limit: ANSWER_LIMIT,
        })
    }

    /// Notes which connection plays the replay just asked for.
    pub(super) fn note_replay_started(&mut self) {
        if std::mem::take(&mut self.recordings.starting_replay) {
            self.recordings.replaying = self.handle.as_ref().map(|handle| handle.id());
        }
    }

    /// The replay ended: the verdict, in the transcript and the status.
    pub(super) fn on_replayed(
        &mut self,
        client: crate::net::ClientId,
        outcome: Result<Option<crate::net::record::replay::Difference>, String>,
    ) {
        if self.recordings.replaying != Some(client) {
            return;
        }
        self.recordings.replaying = None;
        let (kind, words) = match outcome {
            Ok(None) => (
                Kind::Good,
                "Replay: the server answered as recorded".to_string(),
            ),
            Ok(Some(difference)) => (
                Kind::Error,
                format!(
                    "Replay: the answers differ at {}: recorded {} · got {}",
                    difference.place(),
                    crate::text::sanitize(&difference.expected),
                    crate::text::sanitize(&difference.got)
                ),
            ),
            Err(reason) => (Kind::Error, format!("Replay stopped: {reason}")),
        };
        self.console.log.push(kind, words.clone());
        self.console.say(kind, words);
    }

    /// Draws the path prompt over `area`, if open.
    pub(super) fn render_play_prompt(&mut self, frame: &mut Frame, area: Rect) {
        let Some(field) = &mut self.recordings.prompt else {
            return;
        };
        let popup = crate::ui::popup(frame, area, area.width.saturating_sub(4).min(100), 3);
        let popup = Rect { height: 3, ..popup };
        field.render(
            frame,
            popup,
            title("Play a recording against the target", Vec::new()),
            true,
        );
    }
}
