//! The terminal UI: one module per tab (state, keys, render), shared widgets,
//! and the frame around them (tab bar, footer, help overlay).
//!
//! ```text
//! ┌ netplay ─ 1 HTTP │ 2 TCP Server │ 3 TCP Client │ 4 UDP │ 5 Relay ─────┐  tab bar
//! │ the active tab's fields, status, tables and log                        │
//! │ …                                                                      │
//! └────────────────────────────────────────────────────────────────────────┘
//!  Enter start · Tab focus · F1 help · Ctrl+C quit                            footer
//! ```

pub mod shell;
pub mod tabs;
pub mod via;
pub mod widgets;

pub use shell::app::{App, StartOptions, Tab};

use std::time::Duration;

pub use crate::format::{age, count, plural};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::text::{Line, Span};

use shell::theme;
use widgets::{input, log_view};

/// A key and what it does, for the footer and the help overlay.
pub type Hint = (&'static str, &'static str);

/// Whether `key` is `code` with no modifier but Shift.
pub fn is_plain_key(key: &KeyEvent, code: KeyCode) -> bool {
    key.code == code
        && !key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
}

/// What a key pressed on a tab's address field (listen address, target)
/// amounts to.
pub enum AddressKey {
    /// Enter: start or stop, connect or disconnect.
    Action,
    /// A character typed while the field is locked (the socket is live):
    /// it belongs in the message input.
    ToMessage,
    /// An edit of the field (whether the text changed).
    Edited(bool),
}

/// Sorts a key on an address field that is `locked` while its socket is
/// live: a live socket's address cannot change, so typing goes to the message.
pub fn address_key(key: KeyEvent, locked: bool, field: &mut input::InputField) -> AddressKey {
    let typing = matches!(key.code, KeyCode::Char(_))
        && !key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
    if is_plain_key(&key, KeyCode::Enter) {
        AddressKey::Action
    } else if locked && typing {
        AddressKey::ToMessage
    } else if locked {
        AddressKey::Edited(false)
    } else {
        AddressKey::Edited(field.input(key))
    }
}

/// Whether `key` is Ctrl + `c`.
pub fn ctrl(key: &KeyEvent, c: char) -> bool {
    key.code == KeyCode::Char(c) && key.modifiers.contains(KeyModifiers::CONTROL)
}

/// A one-line status message under a tab's first field.
#[derive(Debug, Clone)]
pub struct Status {
    /// Its kind (colour).
    pub kind: log_view::Kind,
    /// Its text, already safe to display.
    pub text: String,
}

impl Status {
    /// A status of `kind` saying `text`.
    pub fn new(kind: log_view::Kind, text: impl Into<String>) -> Self {
        Self {
            kind,
            text: text.into(),
        }
    }

    /// The status as a styled line.
    pub fn line(&self) -> Line<'static> {
        let style = match self.kind {
            log_view::Kind::Error => theme::error(),
            log_view::Kind::Good => theme::good(),
            _ => ratatui::style::Style::default(),
        };
        Line::from(Span::styled(self.text.clone(), style))
    }
}

impl Status {
    /// The status after saving `count` `what` (or failing to).
    pub fn saved(result: Result<std::path::PathBuf, String>, count: usize, what: &str) -> Self {
        match result {
            Ok(path) => Self::new(
                log_view::Kind::Good,
                format!("Saved {count} {what} to {}", path.display()),
            ),
            Err(reason) => Self::new(log_view::Kind::Error, format!("Save failed: {reason}")),
        }
    }
}

/// The reply delays F6 cycles through on the server tab.
pub const REPLY_DELAYS: [Duration; 5] = [
    Duration::ZERO,
    Duration::from_millis(100),
    Duration::from_millis(500),
    Duration::from_secs(1),
    Duration::from_secs(2),
];

/// The connect timeouts F5 cycles through on the client tab.
pub const CONNECT_TIMEOUTS: [Duration; 5] = [
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(5),
    Duration::from_secs(10),
    Duration::from_secs(30),
];

/// The focus after (or before) `now` in a tab's `order`, wrapping around
/// and passing over the fields `hidden` says are not shown now (the TLS
/// fields while TLS is off).
pub fn step_focus<F: Copy + PartialEq>(
    order: &[F],
    now: F,
    forward: bool,
    hidden: impl Fn(F) -> bool,
) -> F {
    let len = order.len();
    let mut at = order.iter().position(|f| *f == now).unwrap_or(0);
    for _ in 0..len {
        at = if forward {
            (at + 1) % len
        } else {
            (at + len - 1) % len
        };
        if !hidden(order[at]) {
            return order[at];
        }
    }
    now
}

/// Drops the oldest rows for which `is_open` is false beyond the newest
/// `kept` of them; open rows all stay (the server's connections, the
/// relay's pairs).
pub fn prune_closed<T>(rows: &mut Vec<T>, kept: usize, is_open: impl Fn(&T) -> bool) {
    let closed = rows.iter().filter(|row| !is_open(row)).count();
    let mut excess = closed.saturating_sub(kept);
    rows.retain(|row| {
        if excess > 0 && !is_open(row) {
            excess -= 1;
            false
        } else {
            true
        }
    });
}

/// How long a passing word stays over a tab's state line.
pub const BRIEF: Duration = Duration::from_secs(5);

/// A passing word shown over a tab's state line for [`BRIEF`] (a save
/// done, a hold switched), after which the state line returns; the tab's
/// once-a-second tick clears it, and no tick is asked for once it is gone.
/// The word shows only while the state line is the one it was shown over:
/// a new state (an error, a bind) replaces it at once, however it was set.
#[derive(Debug, Default)]
pub struct Passing(Option<(Status, std::time::Instant, String)>);

impl Passing {
    /// Shows `status` over `state` from now for [`BRIEF`].
    pub fn show(&mut self, status: Status, state: &Status) {
        self.0 = Some((
            status,
            std::time::Instant::now() + BRIEF,
            state.text.clone(),
        ));
    }

    /// Drops the word (a new state line replaces it at once).
    pub fn clear(&mut self) {
        self.0 = None;
    }

    /// The line to draw at `now`: the word while it lasts, else `state`.
    pub fn over<'a>(&'a self, state: &'a Status, now: std::time::Instant) -> &'a Status {
        match &self.0 {
            Some((status, until, over)) if now < *until && *over == state.text => status,
            _ => state,
        }
    }

    /// Whether a word waits to expire.
    pub fn pending(&self) -> bool {
        self.0.is_some()
    }

    /// Drops a word whose time is up at `now`.
    pub fn tick_at(&mut self, now: std::time::Instant) {
        if self.0.as_ref().is_some_and(|(_, until, _)| now >= *until) {
            self.0 = None;
        }
    }
}

/// The least margin (columns, rows) worth leaving around an overlay.
const MIN_MARGIN: (u16, u16) = (6, 3);

/// An overlay of at most `width` × `height` in the middle of `area`,
/// cleared: the help, the code, the kernel's view, the pickers.
pub fn popup(
    frame: &mut ratatui::Frame,
    area: ratatui::layout::Rect,
    width: u16,
    height: u16,
) -> ratatui::layout::Rect {
    // A sliver of the tab left beside an overlay reads as broken borders
    // and stray letters: a thin margin goes to the overlay instead.
    let width = if area.width.saturating_sub(width) < 2 * MIN_MARGIN.0 {
        area.width
    } else {
        width
    };
    let height = if area.height.saturating_sub(height) < 2 * MIN_MARGIN.1 {
        area.height
    } else {
        height
    };
    let popup = ratatui::layout::Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    frame.render_widget(ratatui::widgets::Clear, popup);
    popup
}

/// `line` cut to `width` cells at a word boundary with `…` when it does
/// not fit (status and hint lines on narrow terminals), never mid-word
/// unless a single word is wider than the line.
pub fn fit_line(line: Line<'static>, width: u16) -> Line<'static> {
    use unicode_width::UnicodeWidthChar;
    let width = usize::from(width);
    if line.width() <= width || width < 2 {
        return line;
    }
    let budget = width - 1;
    // The text as (char, span index), to cut at the last space that fits.
    let chars: Vec<(char, usize)> = line
        .spans
        .iter()
        .enumerate()
        .flat_map(|(at, span)| span.content.chars().map(move |c| (c, at)))
        .collect();
    let mut used = 0;
    let mut end = 0;
    let mut last_space = None;
    for (index, (c, _)) in chars.iter().enumerate() {
        let w = c.width().unwrap_or(0);
        if used + w > budget {
            break;
        }
        used += w;
        end = index + 1;
        if c.is_whitespace() {
            last_space = Some(index);
        }
    }
    let cut = match last_space {
        Some(space) if space > 0 => space,
        _ => end,
    };
    let mut spans: Vec<Span<'static>> = Vec::new();
    for (at, span) in line.spans.iter().enumerate() {
        let text: String = chars[..cut]
            .iter()
            .filter(|(_, of)| *of == at)
            .map(|(c, _)| *c)
            .collect();
        if !text.is_empty() {
            spans.push(Span::styled(text, span.style));
        }
    }
    spans.push(Span::styled("…", theme::dim()));
    Line::from(spans)
}

/// Each line [`fit_line`]-ed to `width`.
pub fn fit_lines(lines: Vec<Line<'static>>, width: u16) -> Vec<Line<'static>> {
    lines
        .into_iter()
        .map(|line| fit_line(line, width))
        .collect()
}

/// Which columns of a table fit in `width` cells: each column has the
/// width it needs and a priority (0: always shown; higher numbers go
/// first). Columns are dropped whole, never cut mid-word.
pub fn fit_columns(width: u16, columns: &[(u16, u8)]) -> Vec<bool> {
    let mut keep = vec![true; columns.len()];
    let needed = |keep: &[bool]| -> u16 {
        let shown: Vec<u16> = columns
            .iter()
            .zip(keep)
            .filter(|(_, kept)| **kept)
            .map(|((width, _), _)| *width)
            .collect();
        let gaps = u16::try_from(shown.len().saturating_sub(1)).unwrap_or(u16::MAX);
        shown.iter().sum::<u16>().saturating_add(gaps)
    };
    let mut priorities: Vec<u8> = columns.iter().map(|(_, p)| *p).filter(|p| *p > 0).collect();
    priorities.sort_unstable();
    priorities.dedup();
    while needed(&keep) > width {
        let Some(lowest) = priorities.pop() else {
            break;
        };
        for (at, (_, priority)) in columns.iter().enumerate() {
            if *priority == lowest {
                keep[at] = false;
            }
        }
    }
    keep
}

/// Keeps the items whose `keep` flag is set (the columns [`fit_columns`]
/// chose).
pub fn kept<T>(items: impl IntoIterator<Item = T>, keep: &[bool]) -> Vec<T> {
    items
        .into_iter()
        .zip(keep)
        .filter_map(|(item, kept)| kept.then_some(item))
        .collect()
}

/// The value after `current` in `choices`, wrapping around.
pub fn cycle(choices: &[Duration], current: Duration) -> Duration {
    let at = choices.iter().position(|d| *d == current).unwrap_or(0);
    choices[(at + 1) % choices.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_passing_word_shows_over_its_state_only() {
        let state = Status::new(log_view::Kind::Good, "Bound 127.0.0.1:9999");
        let mut passing = Passing::default();
        passing.show(Status::new(log_view::Kind::Info, "Saved 3 packets"), &state);
        let now = std::time::Instant::now();
        assert_eq!(passing.over(&state, now).text, "Saved 3 packets");
        // A new state (an error) shows at once, however it was set.
        let error = Status::new(log_view::Kind::Error, "Cannot bind: in use");
        assert_eq!(passing.over(&error, now).text, "Cannot bind: in use");
        // Time up: the state, and no tick needed any more.
        assert_eq!(
            passing.over(&state, now + BRIEF).text,
            "Bound 127.0.0.1:9999"
        );
        passing.tick_at(now + BRIEF);
        assert!(!passing.pending());
    }

    #[test]
    fn formats() {
        assert_eq!(age(Duration::from_secs(7)), "7s");
        assert_eq!(age(Duration::from_secs(125)), "2m05s");
        assert_eq!(age(Duration::from_secs(3720)), "1h02m");
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(2_000_000), "2,000,000");
        assert_eq!(cycle(&REPLY_DELAYS, Duration::from_secs(2)), Duration::ZERO);
    }

    #[test]
    fn focus_steps_over_hidden_fields_and_pruning_keeps_open_rows() {
        let order = [1, 2, 3, 4];
        let hide_23 = |f: i32| f == 2 || f == 3;
        assert_eq!(step_focus(&order, 1, true, hide_23), 4);
        assert_eq!(step_focus(&order, 4, false, hide_23), 1);
        assert_eq!(step_focus(&order, 4, true, |_| false), 1);
        assert_eq!(
            step_focus(&order, 2, true, |_| true),
            2,
            "nothing shown: stays"
        );
        // (id, open): the two oldest closed go, open ones stay.
        let mut rows = vec![(1, false), (2, true), (3, false), (4, false), (5, true)];
        prune_closed(&mut rows, 1, |row| row.1);
        assert_eq!(rows, [(2, true), (4, false), (5, true)]);
    }

    #[test]
    fn long_lines_are_cut_at_a_word_with_an_ellipsis() {
        let line = Line::from(vec![
            Span::raw("Lossy network off "),
            Span::raw("(F6): switch it on"),
        ]);
        let cut = fit_line(line.clone(), 24);
        let text: String = cut.spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(text, "Lossy network off…");
        assert_eq!(fit_line(line.clone(), 80), line, "fits: unchanged");
        let word = fit_line(Line::raw("abcdefghij"), 5);
        let text: String = word.spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(text, "abcd…", "one long word: cut where it must");
    }

    #[test]
    fn columns_give_way_by_priority_whole() {
        let columns = [(6, 0), (15, 0), (15, 2), (11, 0), (24, 1)];
        assert_eq!(fit_columns(200, &columns), [true; 5]);
        // 6+15+15+11 + 3 gaps = 50: the priority-2 column goes first.
        assert_eq!(fit_columns(60, &columns), [true, true, false, true, true]);
        assert_eq!(fit_columns(40, &columns), [true, true, false, true, false]);
        assert_eq!(
            kept(["a", "b", "c", "d", "e"], &fit_columns(40, &columns)),
            ["a", "b", "d"]
        );
    }
}
