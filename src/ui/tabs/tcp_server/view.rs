//! Draws the TCP Server tab: the address and TLS fields, the status line,
//! the connection table, the message input and the log.

use std::time::Instant;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use ratatui::Frame;

use super::{Focus, Phase, RowState, ServerTab};
use crate::format::{bytes, compact};
use crate::net::error::human_duration;
use crate::net::stream::Endpoint;
use crate::net::CloseReason;
use crate::ui::shell::mouse::Spot;
use crate::ui::widgets::input::title;
use crate::ui::{age, count, shell::theme};

impl ServerTab {
    fn status_line(&self) -> Line<'static> {
        let (dot, dot_style) = match self.phase {
            Phase::Listening(_) => ("● ", theme::good()),
            Phase::Starting | Phase::Stopping => ("◌ ", theme::warn()),
            Phase::Stopped => ("○ ", theme::dim()),
        };
        let mut spans = vec![Span::styled(dot, dot_style)];
        if let Some(recording) = self.recording.status() {
            spans.push(Span::styled(format!("{recording} · "), theme::error()));
        }
        spans.extend(self.console.shown_status().line().spans);
        spans.push(Span::styled(" · mode ", theme::dim()));
        spans.push(Span::styled(self.config.behaviour.name(), theme::key()));
        spans.push(Span::styled(" (F5)", theme::dim()));
        if self.websocket {
            spans.push(Span::styled(" over WebSocket", theme::key()));
            spans.push(Span::styled(" (Alt+W)", theme::dim()));
        }
        if self.config.behaviour == crate::net::behaviour::greet::Behaviour::Rules {
            spans.push(Span::styled(" · Alt+E edits the rules", theme::dim()));
        }
        spans.push(Span::styled(" · delay ", theme::dim()));
        spans.push(Span::raw(human_duration(self.config.reply_delay)));
        spans.push(Span::styled(" (F6)", theme::dim()));
        spans.extend(self.tls.status());
        Line::from(spans)
    }

    fn render_table(&mut self, frame: &mut Frame, area: Rect) {
        let open = self.rows.iter().filter(|row| row.is_open()).count();
        let block = theme::pane(
            format!(
                " Connections · {open} open · {} accepted ",
                count(self.accepted)
            ),
            self.focus == Focus::Connections,
        );
        // Narrow terminals: LOCAL (the listen address, the same for every
        // row unless it is a wildcard) and TLS (while off) give way first.
        // Then the age, and last (at 60 columns) what was sent.
        let tls_priority = if self.tls.on { 2 } else { 4 };
        let columns = [
            (6, 0),
            (15, 0),
            (15, 5),
            (11, 0),
            (7, 3),
            (15, 0),
            (15, 1),
            (24, tls_priority),
        ];
        let inner = area.width.saturating_sub(4);
        let keep = crate::ui::fit_columns(inner, &columns);
        let header = Row::new(crate::ui::kept(
            [
                "ID",
                "PEER",
                "LOCAL",
                "STATE",
                "AGE",
                "IN/reads",
                "OUT/writes",
                "TLS",
            ],
            &keep,
        ))
        .style(theme::dim());
        let now = Instant::now();
        let rows: Vec<Row> = self
            .rows
            .iter()
            .map(|row| {
                let stats = row.stats.snapshot();
                let (state, style, ended) = match &row.state {
                    RowState::Open => ("open".to_string(), ratatui::style::Style::default(), now),
                    RowState::PeerHalfClosed => ("peer FIN".to_string(), theme::warn(), now),
                    RowState::Closed(reason, at) => (short_reason(reason), theme::dim(), *at),
                };
                let cells = [
                    Cell::from(row.id.to_string()),
                    Cell::from(row.peer.short()),
                    Cell::from(row.local.to_string()),
                    Cell::from(state),
                    Cell::from(age(ended.saturating_duration_since(row.stats.opened))),
                    // Human units: exact counts are in the Ctrl+O view.
                    // A WebSocket counts whole messages, not reads.
                    Cell::from(match row.websocket {
                        true => format!(
                            "{}/{} msg",
                            bytes(stats.bytes_in),
                            compact(stats.messages_in)
                        ),
                        false => format!("{}/{}", bytes(stats.bytes_in), compact(stats.reads)),
                    }),
                    Cell::from(match row.websocket {
                        true => format!(
                            "{}/{} msg",
                            bytes(stats.bytes_out),
                            compact(stats.messages_out)
                        ),
                        false => format!("{}/{}", bytes(stats.bytes_out), compact(stats.writes)),
                    }),
                    Cell::from(row.tls.clone().unwrap_or_else(|| "—".into())),
                ];
                Row::new(crate::ui::kept(cells, &keep)).style(style)
            })
            .collect();
        let widths = crate::ui::kept(
            [
                Constraint::Length(6),
                Constraint::Min(15),
                Constraint::Min(15),
                Constraint::Length(11),
                Constraint::Length(7),
                Constraint::Length(15),
                Constraint::Length(15),
                Constraint::Min(24),
            ],
            &keep,
        );
        let table = Table::new(rows, widths)
            .header(header)
            .block(block)
            .row_highlight_style(theme::highlight())
            .highlight_symbol("▶ ");
        self.table.select(self.selection.index_in(&self.keys()));
        frame.render_stateful_widget(table, area, &mut self.table);
        if self.rows.is_empty() {
            let target = match &self.phase {
                Phase::Listening(Endpoint::Ip(local)) => format!("{} {}", local.ip(), local.port()),
                Phase::Listening(Endpoint::Unix(end)) => {
                    format!("-U {}", end.path.as_deref().unwrap_or("PATH"))
                }
                _ => "127.0.0.1 9999".to_string(),
            };
            let hint = Paragraph::new(Line::styled(
                format!("  No connections yet. Try: nc {target}, or the TCP Client tab (Alt+3)."),
                theme::dim(),
            ));
            let inner = Rect {
                x: area.x + 1,
                y: area.y + 2,
                width: area.width.saturating_sub(2),
                height: 1.min(area.height.saturating_sub(3)),
            };
            frame.render_widget(hint, inner);
        }
    }
}

fn short_reason(reason: &CloseReason) -> String {
    match reason {
        CloseReason::Peer => "closed·peer".into(),
        CloseReason::Local(_) => "closed·us".into(),
        CloseReason::ServerStopped => "closed·stop".into(),
        CloseReason::Error(_) => "closed·err".into(),
    }
}

impl crate::ui::shell::tab::TabDraw for ServerTab {
    /// Draws the tab.
    fn render(&mut self, frame: &mut Frame, area: Rect) {
        let [address, status, table, message, log] = Layout::vertical([
            Constraint::Length(3),
            Constraint::Length(1),
            Constraint::Percentage(30),
            Constraint::Length(3),
            Constraint::Min(5),
        ])
        .areas(area);
        let [address, tls] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                .areas(address);
        let listen_title = title("Listen on", Vec::new());
        self.console
            .render_address(frame, address, listen_title, self.focus == Focus::Address);
        self.tls.render(
            frame,
            tls,
            self.focus == Focus::Cert,
            self.focus == Focus::Key,
        );
        frame.render_widget(
            Paragraph::new(crate::ui::fit_line(self.status_line(), status.width)),
            status,
        );
        self.render_table(frame, table);
        let target = if self.broadcast {
            "Broadcast to all open connections (F7)".to_string()
        } else {
            match self.selected() {
                Some(row) if row.is_open() => format!("Send to {} {}", row.id, row.peer),
                _ => "Send (select a connection)".to_string(),
            }
        };
        self.console
            .render_message(frame, message, &target, self.focus == Focus::Message);
        self.console
            .render_log(frame, log, self.focus == Focus::Log);
        if let Some((_, panel)) = &self.kernel {
            panel.render(frame, area, self.kernel_counts(), &self.kernel_timeline());
        }
        if self.rules.open {
            self.rules.render(frame, area);
        }
        // Where each part is, for the mouse.
        self.mouse.clear();
        self.mouse.add(address, Focus::Address, Spot::Field);
        if self.tls.on {
            let [cert, key] =
                Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                    .areas(tls);
            self.mouse.add(cert, Focus::Cert, Spot::Field);
            self.mouse.add(key, Focus::Key, Spot::Field);
        }
        let first = table.y.saturating_add(2);
        let offset = self.table.offset();
        self.mouse
            .add(table, Focus::Connections, Spot::Table { first, offset });
        self.mouse.add(message, Focus::Message, Spot::Field);
        self.mouse.add(log, Focus::Log, Spot::Scroll);
    }
}
