//! A bounded, timestamped log or transcript pane: ring-buffered with exact
//! totals, pausable without losing entries, scrollable, with a hex view of
//! the bytes each entry carries, and saving to a text file.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use unicode_width::UnicodeWidthChar;

use crate::clock::Stamp;
use crate::net::Payload;
use crate::ring::{Ring, DEFAULT_CAPACITY};
use crate::text::{hex_dump, sanitize};
use crate::ui::shell::theme;
use crate::ui::widgets::follow::Follow;

pub use crate::narrate::Kind;

/// The colour of each kind of line.
fn style_of(kind: Kind) -> Style {
    match kind {
        Kind::In => theme::incoming(),
        Kind::Out | Kind::Echo => theme::outgoing(),
        Kind::Info => Style::default(),
        Kind::Good => theme::good(),
        Kind::Error => theme::error(),
    }
}

/// Bytes an entry carries. Only the raw preview is kept: it passes the
/// untrusted-bytes gate when drawn (visible entries only) or saved, so a
/// full log holds each byte once rather than also its escaped form (up to
/// four times larger).
#[derive(Debug, Clone)]
pub struct Data {
    /// The raw preview bytes (at most [`crate::net::PREVIEW_LIMIT`]).
    pub bytes: Vec<u8>,
    /// The full length of the read or write.
    pub len: usize,
}

/// One line of a log or transcript.
#[derive(Debug, Clone)]
pub struct Entry {
    /// When it was recorded.
    pub at: Stamp,
    /// Its kind.
    pub kind: Kind,
    /// What happened, already safe to display.
    pub text: String,
    /// Bytes read or written, if any.
    pub data: Option<Data>,
    /// What the entry is about (a relay pair), for a view showing only that.
    pub tag: Option<u64>,
}

impl Entry {
    /// The entry as plain text, for saving.
    fn saved_line(&self) -> String {
        let mut line = format!("{} {} {}", self.at.full(), self.kind.marker(), self.text);
        if let Some(data) = &self.data {
            line.push_str(&sanitize(&data.bytes));
            if data.bytes.len() < data.len {
                line.push('…');
            }
        }
        line
    }
}

/// Entries PgUp/PgDn move by.
const PAGE: u64 = 10;

/// A log pane.
pub struct LogView {
    name: &'static str,
    ring: Ring<Entry>,
    /// Entries counted when the view was paused; the view shows nothing newer.
    paused_at: Option<u64>,
    /// Where the bottom of the view is, as one past an entry's sequence
    /// number: following the newest, or held (scrolled back) on an entry,
    /// so new arrivals do not move the text.
    scroll: Follow,
    /// Whether entries with bytes show a hex dump.
    pub hex: bool,
    /// Show only the entries with this tag (one relay pair's transcript).
    only: Option<u64>,
}

impl LogView {
    /// An empty log called `name` holding [`DEFAULT_CAPACITY`] entries.
    pub fn new(name: &'static str) -> Self {
        Self::with_capacity(name, DEFAULT_CAPACITY)
    }

    /// An empty log with a chosen capacity.
    pub fn with_capacity(name: &'static str, capacity: usize) -> Self {
        Self {
            name,
            ring: Ring::new(capacity),
            paused_at: None,
            scroll: Follow::default(),
            hex: false,
            only: None,
        }
    }

    /// Adds a line without bytes. `text` must already be safe to display.
    pub fn push(&mut self, kind: Kind, text: impl Into<String>) {
        self.ring.push(Entry {
            at: Stamp::now(),
            kind,
            text: text.into(),
            data: None,
            tag: None,
        });
    }

    /// Adds a line describing `payload`, which passes the untrusted-bytes gate here.
    pub fn push_data(&mut self, kind: Kind, text: impl Into<String>, payload: Payload) {
        self.push_tagged(kind, text, Some(payload), None);
    }

    /// Adds a line about `tag` (a relay pair), with bytes if any.
    pub fn push_tagged(
        &mut self,
        kind: Kind,
        text: impl Into<String>,
        payload: Option<Payload>,
        tag: Option<u64>,
    ) {
        self.ring.push(Entry {
            at: Stamp::now(),
            kind,
            text: text.into(),
            data: payload.map(|payload| Data {
                len: payload.len,
                bytes: payload.preview.into_vec(),
            }),
            tag,
        });
    }

    /// Shows only the entries tagged `tag` (all with `None`); a change of
    /// view follows the newest again.
    pub fn show_only(&mut self, tag: Option<u64>) {
        if self.only != tag {
            self.only = tag;
            self.scroll.follow();
        }
    }

    fn shown(&self, entry: &Entry) -> bool {
        self.only.is_none() || entry.tag == self.only
    }

    /// The ring behind the view.
    pub fn ring(&self) -> &Ring<Entry> {
        &self.ring
    }

    /// Whether the view is frozen.
    pub fn is_paused(&self) -> bool {
        self.paused_at.is_some()
    }

    /// Freezes or resumes the view; entries keep arriving either way.
    pub fn toggle_pause(&mut self) {
        self.paused_at = match self.paused_at {
            Some(_) => None,
            None => Some(self.ring.total()),
        };
        self.scroll.follow();
    }

    /// The keys of a focused log pane: Space pauses or resumes, the arrows,
    /// PgUp/PgDn, Home and End scroll. Returns whether the key was used.
    pub fn pane_key(&mut self, key: KeyEvent) -> bool {
        if crate::ui::is_plain_key(&key, KeyCode::Char(' ')) {
            self.toggle_pause();
            return true;
        }
        self.scroll_key(key, PAGE)
    }

    /// Scrolling keys when the pane has focus; returns whether the key was used.
    pub fn scroll_key(&mut self, key: KeyEvent, page: u64) -> bool {
        let (oldest, live) = self.end_range();
        if self.only.is_some() {
            let by = match key.code {
                KeyCode::Up => -1,
                KeyCode::Down => 1,
                KeyCode::PageUp => -(page as i64),
                KeyCode::PageDown => page as i64,
                _ => return self.scroll.key(&key, page, oldest, Some(live)),
            };
            let end = self.shown_end();
            let target = self.filtered_end(end, by);
            self.scroll
                .step(target as i64 - end as i64, oldest, Some(live));
            return true;
        }
        self.scroll.key(&key, page, oldest, Some(live))
    }

    /// The view's end after moving `by` shown entries from `end`: the arrows
    /// step over the entries a filtered view hides.
    fn filtered_end(&self, end: u64, by: i64) -> u64 {
        let (oldest, live) = self.end_range();
        let shown = |seq: u64| self.ring.get_seq(seq).is_some_and(|e| self.shown(e));
        let mut end = end;
        if by < 0 {
            for _ in 0..by.unsigned_abs() {
                // The bottom entry now is the last shown one before `end`;
                // the new bottom is the shown one before that.
                let bottom = (oldest.saturating_sub(1)..end).rev().find(|s| shown(*s));
                let Some(bottom) = bottom else { break };
                match (oldest.saturating_sub(1)..bottom).rev().find(|s| shown(*s)) {
                    Some(above) => end = above + 1,
                    None => break,
                }
            }
        } else {
            for _ in 0..by {
                match (end..live).find(|s| shown(*s)) {
                    Some(below) => end = below + 1,
                    None => return live,
                }
            }
        }
        end
    }

    /// The positions the bottom of the view can take: one past the oldest
    /// entry held, to one past the newest that may be shown.
    fn end_range(&self) -> (u64, u64) {
        let live = self.live_end();
        ((self.ring.dropped() + 1).min(live), live)
    }

    /// One past the newest entry that may be shown: everything, or what
    /// had arrived when the view was paused.
    fn live_end(&self) -> u64 {
        self.paused_at.unwrap_or(self.ring.total())
    }

    /// One past the bottom entry shown now (scrolling, pausing, and entries
    /// dropped from the ring all taken into account).
    fn shown_end(&self) -> u64 {
        let (oldest, live) = self.end_range();
        self.scroll.at(oldest, Some(live)).unwrap_or(live)
    }

    /// Entries between the bottom one shown and the newest.
    fn scrolled_back(&self) -> u64 {
        self.live_end() - self.shown_end()
    }

    /// The pane's title: name, counts, and state.
    fn title(&self) -> Line<'static> {
        let showing = self
            .only
            .map(|tag| format!(" · showing #{tag}"))
            .unwrap_or_default();
        let mut spans = vec![Span::raw(format!(
            " {}{showing} · {} entries",
            self.name,
            self.ring.total()
        ))];
        if self.ring.dropped() > 0 {
            spans.push(Span::styled(
                format!(
                    " · {} oldest dropped (keeps {})",
                    self.ring.dropped(),
                    self.ring.capacity()
                ),
                theme::warn(),
            ));
        }
        if let Some(at) = self.paused_at {
            spans.push(Span::styled(
                format!(" · PAUSED, {} new (Space)", self.ring.total() - at),
                theme::warn(),
            ));
        } else if self.scrolled_back() > 0 {
            spans.push(Span::styled(
                format!(" · {} newer below (End follows)", self.scrolled_back()),
                theme::warn(),
            ));
        }
        if self.hex {
            spans.push(Span::styled(" · HEX (F2)", theme::warn()));
        }
        spans.push(Span::raw(" "));
        Line::from(spans)
    }

    /// Draws the newest entries that fit (or the paused / scrolled window).
    pub fn render(&self, frame: &mut Frame, area: Rect, focused: bool) {
        let block = theme::pane(self.title(), focused);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let lines = self.visible_lines(inner.width as usize, inner.height as usize);
        frame.render_widget(Paragraph::new(lines), inner);
    }

    /// The screen lines for a `width` × `height` window, oldest at the top.
    fn visible_lines(&self, width: usize, height: usize) -> Vec<Line<'static>> {
        if width == 0 || height == 0 {
            return Vec::new();
        }
        let mut out: Vec<Line<'static>> = Vec::with_capacity(height);
        let mut seq = self.shown_end();
        while out.len() < height && seq > 0 {
            seq -= 1;
            let Some(entry) = self.ring.get_seq(seq) else {
                break;
            };
            if !self.shown(entry) {
                continue;
            }
            let mut lines = self.entry_lines(entry, width);
            let take = lines.len().min(height - out.len());
            // Keep the top of a tall entry out of view, not its bottom.
            let skip = lines.len() - take;
            for line in lines.drain(skip..).rev() {
                out.push(line);
            }
        }
        out.reverse();
        out
    }

    fn entry_lines(&self, entry: &Entry, width: usize) -> Vec<Line<'static>> {
        let stamp = format!("{} ", entry.at.clock());
        let marker = format!("{} ", entry.kind.marker());
        let indent = stamp.chars().count() + marker.chars().count();
        // The entry's rows: its words, then the data — as text, a new row
        // after each `\n` it holds (as nc shows lines; the `\n` stays
        // visible), or as a hex dump under it.
        let mut rows = vec![entry.text.clone()];
        let mut hex_lines = Vec::new();
        if let Some(data) = &entry.data {
            if self.hex {
                hex_lines = hex_dump(&data.bytes);
            } else {
                for (at, line) in data.bytes.split_inclusive(|b| *b == b'\n').enumerate() {
                    let text = sanitize(line);
                    match at {
                        0 => rows[0].push_str(&text),
                        _ => rows.push(text),
                    }
                }
            }
            if data.bytes.len() < data.len {
                if let Some(last) = rows.last_mut() {
                    last.push_str(&format!(" … (preview of {} bytes)", data.len));
                }
            }
        }
        let style = style_of(entry.kind);
        let room = width.saturating_sub(indent).max(1);
        let mut lines = Vec::new();
        let pieces = rows.iter().flat_map(|row| wrap_words(row, room));
        for (index, piece) in pieces.enumerate() {
            let lead = if index == 0 {
                vec![
                    Span::styled(stamp.clone(), theme::dim()),
                    Span::styled(marker.clone(), style),
                ]
            } else {
                vec![Span::raw(" ".repeat(indent))]
            };
            let mut spans = lead;
            spans.push(Span::styled(piece, style));
            lines.push(Line::from(spans));
        }
        for hex in hex_lines {
            for piece in wrap(&hex, room) {
                lines.push(Line::from(vec![
                    Span::raw(" ".repeat(indent)),
                    Span::styled(piece, style),
                ]));
            }
        }
        // An error the engine knows gets its meaning and what to try, in
        // plain words, right under it.
        if entry.kind == Kind::Error {
            if let Some(why) = crate::net::explain::hint(&entry.text) {
                for piece in wrap_words(&format!("why: {why}"), room) {
                    lines.push(Line::from(vec![
                        Span::raw(" ".repeat(indent)),
                        Span::styled(piece, theme::dim()),
                    ]));
                }
            }
        }
        lines
    }

    /// What saving the log writes: a file name made of `prefix` and the
    /// time, and every held entry with full timestamps. The writing itself
    /// is the engine's ([`crate::net::Engine::save`]), off the UI thread.
    pub fn saved_file(&self, prefix: &str) -> (String, Vec<u8>) {
        let stamp = Stamp::now();
        let mut contents = format!(
            "# netplay {} saved {} — {} entries held of {} recorded ({} dropped)\n",
            self.name,
            stamp.full(),
            self.ring.len(),
            self.ring.total(),
            self.ring.dropped()
        );
        for entry in self.ring.iter() {
            contents.push_str(&entry.saved_line());
            contents.push('\n');
        }
        (
            format!("netplay-{prefix}-{}.log", stamp.file_part()),
            contents.into_bytes(),
        )
    }
}

/// Splits `text` into pieces at most `width` columns wide, at spaces when
/// it can (a word wider than a row is cut by columns).
pub fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut used = 0;
    for word in text.split_inclusive(' ') {
        let w: usize = word.chars().map(|c| c.width().unwrap_or(0)).sum();
        // The trailing space may hang past the edge.
        let fits = word
            .trim_end_matches(' ')
            .chars()
            .map(|c| c.width().unwrap_or(0))
            .sum::<usize>();
        if used > 0 && used + fits > width {
            pieces.push(std::mem::take(&mut current).trim_end().to_string());
            used = 0;
        }
        if w > width && used == 0 {
            let mut cut = wrap(word, width);
            let last = cut.pop().unwrap_or_default();
            pieces.extend(cut);
            used = last.chars().map(|c| c.width().unwrap_or(0)).sum();
            current = last;
            continue;
        }
        current.push_str(word);
        used += w;
    }
    if !current.is_empty() || pieces.is_empty() {
        pieces.push(current.trim_end().to_string());
    }
    pieces
}

/// Splits `text` into pieces at most `width` columns wide.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width && !current.is_empty() {
            pieces.push(std::mem::take(&mut current));
            used = 0;
        }
        current.push(c);
        used += w;
    }
    if !current.is_empty() || pieces.is_empty() {
        pieces.push(current);
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(view: &LogView, width: usize, height: usize) -> Vec<String> {
        view.visible_lines(width, height)
            .iter()
            .map(|line| {
                line.spans
                    .iter()
                    .map(|s| s.content.as_ref())
                    .collect::<String>()
            })
            .collect()
    }

    #[test]
    fn shows_newest_and_pauses_without_losing() {
        let mut view = LogView::with_capacity("log", 100);
        for i in 0..5 {
            view.push(Kind::Info, format!("entry {i}"));
        }
        let shown = texts(&view, 80, 2);
        assert!(shown[0].ends_with("entry 3") && shown[1].ends_with("entry 4"));
        view.toggle_pause();
        view.push(Kind::Info, "entry 5");
        assert!(
            texts(&view, 80, 2)[1].ends_with("entry 4"),
            "paused view is frozen"
        );
        assert_eq!(view.ring().total(), 6, "nothing lost while paused");
        view.toggle_pause();
        assert!(texts(&view, 80, 2)[1].ends_with("entry 5"));
    }

    #[test]
    fn data_is_sanitized_and_hex_is_available() {
        let mut view = LogView::new("log");
        view.push_data(Kind::In, "got: ", Payload::of(b"\x1b]0;x\x07hi"));
        let shown = texts(&view, 80, 5).join("\n");
        assert!(shown.contains("got: \\x1b]0;x\\x07hi"), "{shown}");
        assert!(!shown.contains('\x1b'));
        view.hex = true;
        let shown = texts(&view, 80, 5).join("\n");
        assert!(shown.contains("1b 5d 30 3b 78 07 68 69"), "{shown}");
    }

    #[test]
    fn scroll_is_bounded() {
        let mut view = LogView::with_capacity("log", 3);
        for i in 0..10 {
            view.push(Kind::Info, format!("e{i}"));
        }
        view.scroll_key(KeyEvent::from(KeyCode::Home), 10);
        assert_eq!(
            view.scrolled_back(),
            2,
            "cannot scroll past what the ring holds"
        );
        assert!(texts(&view, 80, 1)[0].ends_with("e7"));
        view.scroll_key(KeyEvent::from(KeyCode::End), 10);
        assert_eq!(view.scrolled_back(), 0);
    }

    #[test]
    fn a_scrolled_view_stays_put_while_entries_arrive() {
        let mut view = LogView::with_capacity("log", 100);
        for i in 0..10 {
            view.push(Kind::Info, format!("e{i}"));
        }
        view.scroll_key(KeyEvent::from(KeyCode::Up), 10);
        view.scroll_key(KeyEvent::from(KeyCode::Up), 10);
        assert!(texts(&view, 80, 1)[0].ends_with("e7"));
        for i in 10..20 {
            view.push(Kind::Info, format!("e{i}"));
        }
        assert!(texts(&view, 80, 1)[0].ends_with("e7"), "anchored");
        assert_eq!(view.scrolled_back(), 12);
        view.scroll_key(KeyEvent::from(KeyCode::PageDown), 100);
        assert_eq!(view.scrolled_back(), 0, "back to following");
        assert!(texts(&view, 80, 1)[0].ends_with("e19"));
    }

    #[test]
    fn wraps_at_words_and_cuts_only_long_words() {
        assert_eq!(
            wrap_words("the quick brown fox", 10),
            vec!["the quick", "brown fox"]
        );
        assert_eq!(
            wrap_words("abcdefghij klm", 4),
            vec!["abcd", "efgh", "ij", "klm"]
        );
        assert_eq!(wrap_words("", 4), vec![""]);
        for (text, width) in [("a bb ccc dddd eeeee", 3), ("x", 1), ("two  spaces", 5)] {
            for piece in wrap_words(text, width) {
                assert!(piece.chars().count() <= width, "{piece:?} in {width}");
            }
        }
    }

    #[test]
    fn wraps_by_columns() {
        assert_eq!(wrap("abcdef", 4), vec!["abcd", "ef"]);
        assert_eq!(wrap("世界世", 4), vec!["世界", "世"]);
        assert_eq!(wrap("", 4), vec![""]);
    }

    #[test]
    fn the_saved_file_holds_every_entry_with_a_header() {
        let mut view = LogView::new("log");
        view.push(Kind::Info, "one");
        view.push_data(Kind::In, "got: ", Payload::of(b"\x1b]0;x\x07hi"));
        let (name, contents) = view.saved_file("t");
        assert!(
            name.starts_with("netplay-t-") && name.ends_with(".log"),
            "{name}"
        );
        let text = String::from_utf8(contents).unwrap();
        assert!(text.starts_with("# netplay log saved"), "{text}");
        assert!(
            text.contains("one") && text.contains("\\x1b]0;x\\x07hi"),
            "{text}"
        );
        assert!(!text.contains('\u{1b}'), "saved text is sanitized too");
    }
}
