//! The UDP tab drawn: status, the packet table and the selected packet's
//! text and hex. Every datagram passes the untrusted-bytes gate here.

use super::*;
use crate::text::{hex_dump_with, sanitize};
use crate::ui::shell::mouse::Spot;
use crate::ui::widgets::input::title;
use crate::ui::widgets::log_view::wrap;
use crate::ui::{count, shell::theme};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};
use ratatui::Frame;

impl UdpTab {
    fn status_line(&self) -> Line<'static> {
        let (dot, style) = if self.local.is_some() {
            ("● ", theme::good())
        } else {
            ("○ ", theme::dim())
        };
        let mut spans = vec![Span::styled(dot, style)];
        // First, so a narrow screen still shows it.
        if let Some(timed) = &self.timed {
            spans.push(Span::raw(format!("{} (F9) · ", timed.status())));
        }
        spans.extend(
            self.passing
                .over(&self.status, std::time::Instant::now())
                .line()
                .spans,
        );
        spans.push(Span::styled(" · mode ", theme::dim()));
        spans.push(Span::styled(self.mode.name(), theme::key()));
        spans.push(Span::styled(" (F5)", theme::dim()));
        if self.mode == UdpMode::Rules {
            spans.push(Span::styled(" · Alt+E edits the rules", theme::dim()));
        }
        if let Some(stats) = &self.stats {
            let s = stats.snapshot();
            spans.push(Span::styled(
                format!(
                    " · in {} ({} B) · out {} ({} B)",
                    count(s.datagrams_in),
                    count(s.bytes_in),
                    count(s.datagrams_out),
                    count(s.bytes_out)
                ),
                theme::dim(),
            ));
            if s.lost > 0 || s.duplicated > 0 {
                spans.push(Span::styled(
                    format!(
                        " · lossy dropped {} · dup {}",
                        count(s.lost),
                        count(s.duplicated)
                    ),
                    theme::warn(),
                ));
            }
            if s.overflow > 0 {
                spans.push(Span::styled(
                    format!(" (delay queue full: {})", count(s.overflow)),
                    theme::warn(),
                ));
            }
        }
        Line::from(spans)
    }

    fn lossy_line(&self) -> Line<'static> {
        match self.lossy_config() {
            Some(config) => Line::from(vec![Span::styled(
                format!(" ⚠ LOSSY NETWORK ON (receive side): {} — F6 changes", config.describe()),
                theme::error(),
            )]),
            None => Line::styled(
                "  Lossy network off (F6): on loopback UDP rarely loses anything — switch it on to see what UDP does not promise.",
                theme::dim(),
            ),
        }
    }

    /// Draws the packet table; the number of the packet in its first row.
    fn render_packets(&mut self, frame: &mut Frame, area: Rect) -> usize {
        let title = format!(
            " Packets · {}{}{} ",
            count(self.packets.total()),
            if self.packets.dropped() > 0 {
                format!(" · {} oldest dropped", count(self.packets.dropped()))
            } else {
                String::new()
            },
            if self.packets_at.following() {
                ""
            } else {
                " · held (Space follows)"
            }
        );
        let block = theme::pane(title, self.focus == Focus::Packets);
        let inner_rows = area.height.saturating_sub(3) as u64;
        let total = self.packets.total();
        let selected = self.selected();
        let end = match (self.packets_at.following(), selected) {
            (false, Some(s)) => (s + 1).max(inner_rows.min(total)).min(total),
            _ => total,
        };
        let start = end.saturating_sub(inner_rows).max(self.packets.dropped());
        // A column for the group or broadcast address, while a row in
        // view was sent to one.
        let cast = (start..end)
            .filter_map(|seq| self.packets.get_seq(seq))
            .any(|p| p.cast.is_some());
        let rows: Vec<Row> = (start..end)
            .filter_map(|seq| self.packets.get_seq(seq))
            .map(|p| {
                let (dir, style) = match p.direction {
                    Direction::In => ("←", theme::incoming()),
                    Direction::Out => ("→", theme::outgoing()),
                    Direction::Lost => ("✗", theme::error()),
                };
                let mut cells = vec![
                    Cell::from(p.at.clock()),
                    Cell::from(dir),
                    Cell::from(p.peer.to_string()),
                ];
                if cast {
                    let to = p.cast.map(|ip| ip.to_string()).unwrap_or_default();
                    cells.push(Cell::from(to));
                }
                cells.push(Cell::from(p.len.to_string()));
                cells.push(Cell::from(preview_cell(&p.bytes)));
                Row::new(cells).style(style)
            })
            .collect();
        let mut state = TableState::default();
        if let Some(s) = selected {
            if s >= start && s < end {
                state.select(Some((s - start) as usize));
            }
        }
        let mut widths = vec![
            Constraint::Length(12),
            Constraint::Length(1),
            Constraint::Length(21),
        ];
        let mut header = vec!["TIME", "", "PEER"];
        if cast {
            widths.push(Constraint::Length(15));
            header.push("TO GROUP/BCAST");
        }
        widths.extend([Constraint::Length(6), Constraint::Min(8)]);
        header.extend(["SIZE", "PREVIEW"]);
        let table = Table::new(rows, widths)
            .header(Row::new(header).style(theme::dim()))
            .block(block)
            .row_highlight_style(theme::highlight());
        frame.render_stateful_widget(table, area, &mut state);
        usize::try_from(start).unwrap_or(usize::MAX)
    }

    fn render_detail(&self, frame: &mut Frame, area: Rect) {
        let block = theme::pane(" Detail ", false);
        let inner = block.inner(area);
        let width = inner.width.max(1) as usize;
        let mut lines: Vec<Line> = Vec::new();
        match self.selected().and_then(|s| self.packets.get_seq(s)) {
            Some(p) => {
                let verb = match p.direction {
                    Direction::In => "from",
                    Direction::Out => "to",
                    Direction::Lost => "LOST, from",
                };
                for piece in crate::ui::widgets::log_view::wrap_words(
                    &format!("{} {verb} {}", p.at.clock(), p.peer),
                    width,
                ) {
                    lines.push(Line::raw(piece));
                }
                lines.push(Line::raw(format!("{} bytes", p.len)));
                if let Some(note) = &p.note {
                    for piece in crate::ui::widgets::log_view::wrap_words(note, width) {
                        lines.push(Line::styled(piece, theme::warn()));
                    }
                }
                lines.push(Line::styled("── text ──", theme::dim()));
                for piece in wrap(&sanitize(&p.bytes), width) {
                    lines.push(Line::raw(piece));
                }
                lines.push(Line::styled("── hex ──", theme::dim()));
                let per_line = if width >= 78 { 16 } else { 8 };
                for hex in hex_dump_with(&p.bytes, per_line) {
                    for piece in wrap(&hex, width) {
                        lines.push(Line::styled(piece, Style::default()));
                    }
                }
            }
            None => lines.push(Line::styled(
                "Select a packet (Tab to the table, ↑↓).",
                theme::dim(),
            )),
        }
        frame.render_widget(Paragraph::new(lines).block(block), area);
    }
}

/// The start of a datagram for its table cell (the cell shows at most a
/// screen's width; no need to escape the whole 1 KiB preview).
fn preview_cell(bytes: &[u8]) -> String {
    sanitize(&bytes[..bytes.len().min(160)])
}

impl crate::ui::shell::tab::TabDraw for UdpTab {
    /// Draws the tab.
    fn render(&mut self, frame: &mut Frame, area: Rect) {
        let [fields, status, lossy, inputs, middle, log] = Layout::vertical([
            Constraint::Length(3),
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(3),
            Constraint::Min(6),
            Constraint::Length(6),
        ])
        .areas(area);
        let [bind_area, target_area] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                .areas(fields);
        self.bind.render(
            frame,
            bind_area,
            title("Bind", Vec::new()),
            self.focus == Focus::Bind,
        );
        self.target.render(
            frame,
            target_area,
            title("Send to", Vec::new()),
            self.focus == Focus::Target,
        );
        frame.render_widget(
            Paragraph::new(crate::ui::fit_line(self.status_line(), status.width)),
            status,
        );
        frame.render_widget(
            Paragraph::new(crate::ui::fit_line(self.lossy_line(), lossy.width)),
            lossy,
        );
        let [message_area, burst_area] =
            Layout::horizontal([Constraint::Percentage(65), Constraint::Percentage(35)])
                .areas(inputs);
        self.composer
            .render(frame, message_area, "Message", self.focus == Focus::Message);
        self.burst.render(
            frame,
            burst_area,
            title(
                "Burst (count x size)",
                vec![Span::styled("F7 ", theme::dim())],
            ),
            self.focus == Focus::Burst,
        );
        let [table_area, detail_area] =
            Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)])
                .areas(middle);
        let offset = self.render_packets(frame, table_area);
        self.render_detail(frame, detail_area);
        self.log.render(frame, log, false);
        // Where each part is, for the mouse (packet rows by their number).
        self.mouse.clear();
        self.mouse.add(bind_area, Focus::Bind, Spot::Field);
        self.mouse.add(target_area, Focus::Target, Spot::Field);
        self.mouse.add(message_area, Focus::Message, Spot::Field);
        self.mouse.add(burst_area, Focus::Burst, Spot::Field);
        let first = table_area.y.saturating_add(2);
        self.mouse
            .add(table_area, Focus::Packets, Spot::Table { first, offset });
        if self.rules.open {
            self.rules.render(frame, area);
        }
        if let Some(prompt) = &mut self.timed_prompt {
            prompt.render(frame, area);
        }
    }
}
