//! The Server-Sent Events of the response in the HTTP tab: the last
//! [`KEPT`] events, with the exact count beside them, shown live in the
//! response pane while the stream runs.

use std::collections::VecDeque;

use ratatui::style::Style;
use ratatui::text::Line;

use crate::format::count;
use crate::net::http::sse::SseEvent;
use crate::text::{sanitize, sanitize_str};
use crate::ui::shell::theme;
use crate::ui::widgets::log_view::wrap;

/// Events kept (each holds at most 4 KiB of its data).
pub const KEPT: usize = 500;

/// Events shown in the pane: the newest (the rest are kept for scrolling
/// back once the stream is over, and counted).
const SHOWN: usize = 100;

/// How much of an event's data a line shows.
const SHOWN_DATA: usize = 512;

/// The events of one response.
#[derive(Debug, Default)]
pub struct SseLog {
    events: VecDeque<SseEvent>,
    /// Events the stream dispatched (exact: the engine numbers them).
    total: u64,
}

impl SseLog {
    /// Keeps `event`, dropping the oldest past [`KEPT`].
    pub fn push(&mut self, event: SseEvent) {
        self.total = self.total.max(event.seq);
        if self.events.len() == KEPT {
            self.events.pop_front();
        }
        self.events.push_back(event);
    }

    /// Whether the response is an event stream that sent any event.
    pub fn any(&self) -> bool {
        self.total > 0
    }

    /// The pane's lines: a title with the counts, then the newest events.
    pub fn lines(&self, width: usize, out: &mut Vec<Line<'static>>) {
        let shown = self.events.len().min(SHOWN);
        out.push(Line::styled(
            format!(
                "── events (text/event-stream) · {} received · the last {shown} shown ──",
                count(self.total)
            ),
            theme::dim(),
        ));
        for event in self.events.iter().skip(self.events.len() - shown) {
            let mut head = format!(
                "#{} {}",
                event.seq,
                sanitize_str(event.event.as_deref().unwrap_or("message"))
            );
            if let Some(id) = &event.id {
                head.push_str(&format!(" · id {}", sanitize_str(id)));
            }
            if let Some(retry) = event.retry {
                head.push_str(&format!(" · retry {retry} ms"));
            }
            head.push_str(&format!(" · {} B", count(event.data.len as u64)));
            if event.cut {
                head.push_str(" · a line over 64 KiB was cut");
            }
            out.push(Line::styled(head, theme::key()));
            let data = &event.data.preview[..event.data.preview.len().min(SHOWN_DATA)];
            let mut text = sanitize(data);
            if (data.len()) < event.data.len {
                text.push('…');
            }
            for piece in wrap(&format!("  {text}"), width.max(8)) {
                out.push(Line::styled(piece, Style::default()));
            }
        }
    }
}
