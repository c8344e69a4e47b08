//! Draws the TCP Client tab: the target and TLS fields, the status lines
//! (with the 4-tuple and the kernel's rtt · cwnd), the message input, the
//! transcript, and the kernel's view over them when it is open.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{ClientTab, Focus, Phase};
use crate::net::error::human_duration;
use crate::ui::shell::mouse::Spot;
use crate::ui::tabs::tcp_client::tls::TlsMode;
use crate::ui::widgets::input::title;
use crate::ui::{age, count, plural, shell::theme};

impl ClientTab {
    pub(super) fn status_lines(&self) -> Vec<Line<'static>> {
        let (dot, dot_style) = match self.phase {
            Phase::Connected => ("● ", theme::good()),
            Phase::WriteShut => ("◐ ", theme::warn()),
            Phase::Connecting | Phase::Closing => ("◌ ", theme::warn()),
            Phase::Idle => ("○ ", theme::dim()),
        };
        let mut first = vec![Span::styled(dot, dot_style)];
        if let Some(recording) = self.record_status() {
            first.push(Span::styled(format!("{recording} · "), theme::error()));
        }
        first.extend(self.console.shown_status().line().spans);
        if let (true, Some(link)) = (self.is_live(), &self.link) {
            first.push(Span::styled(
                format!(" · up {}", age(link.stats.opened.elapsed())),
                theme::dim(),
            ));
            if let Some(info) = &self.tcp_info {
                first.push(Span::styled(" · ", theme::dim()));
                first.push(Span::raw(info.brief()));
            }
        }
        if let Some(timed) = &self.timed {
            first.push(Span::styled(" · ", theme::dim()));
            first.push(Span::raw(timed.status()));
            first.push(Span::styled(" (F7)", theme::dim()));
        }
        first.push(Span::styled(" · timeout ", theme::dim()));
        first.push(Span::raw(human_duration(self.timeout)));
        first.push(Span::styled(" (F5)", theme::dim()));
        first.extend(self.tls.status());
        let second = match &self.link {
            Some(link) => {
                let stats = link.stats.snapshot();
                Line::from(vec![
                    Span::styled("  TCP ", theme::dim()),
                    Span::raw(format!("{} (you) ⇄ {} (server)", link.local, link.remote)),
                    Span::styled(" · in ", theme::dim()),
                    Span::raw(format!(
                        "{} B / {}",
                        count(stats.bytes_in),
                        plural(stats.reads, "read")
                    )),
                    Span::styled(" · out ", theme::dim()),
                    Span::raw(format!(
                        "{} B / {}",
                        count(stats.bytes_out),
                        plural(stats.writes, "write")
                    )),
                    Span::styled(
                        self.tls_info
                            .as_ref()
                            .map(|info| format!(" · {} {}", info.version, info.cipher))
                            .unwrap_or_default(),
                        if self.tls_info.as_ref().is_some_and(|info| info.insecure) {
                            theme::error()
                        } else {
                            theme::good()
                        },
                    ),
                    Span::styled(
                        self.closed_first
                            .map(|who| format!(" · {who}"))
                            .unwrap_or_default(),
                        theme::warn(),
                    ),
                ])
            }
            // A UNIX socket has no 4-tuple: its file and peer are in the log.
            None if matches!(self.phase, Phase::Connected | Phase::WriteShut) => Line::styled(
                "  A UNIX socket: no addresses or ports; the socket file and the peer's pid are in the log.",
                theme::dim(),
            ),
            None => Line::styled(
                "  The socket 4-tuple (your address:port ⇄ server address:port) shows here once connected.",
                theme::dim(),
            ),
        };
        vec![Line::from(first), second]
    }
}

impl crate::ui::shell::tab::TabDraw for ClientTab {
    /// Draws the tab.
    fn render(&mut self, frame: &mut Frame, area: Rect) {
        let [fields, status, message, transcript] = Layout::vertical([
            Constraint::Length(3),
            Constraint::Length(2),
            Constraint::Length(3),
            Constraint::Min(5),
        ])
        .areas(area);
        let [target, tls] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                .areas(fields);
        self.tls.render(
            frame,
            tls,
            self.focus == Focus::CaFile,
            self.focus == Focus::Sni,
        );
        self.console.render_address(
            frame,
            target,
            title("Target", Vec::new()),
            self.focus == Focus::Target,
        );
        frame.render_widget(
            Paragraph::new(crate::ui::fit_lines(self.status_lines(), status.width)),
            status,
        );
        let name = match (&self.phase, &self.link) {
            (Phase::Connected, Some(link)) => format!(
                "Message to {}",
                super::via::peer_label(&self.console.address(), link.remote)
            ),
            // A UNIX socket: no 4-tuple, the socket file.
            (Phase::Connected, None) => format!(
                "Message to {}",
                super::via::shortened(&self.console.address(), 60)
            ),
            (Phase::WriteShut, _) => "Message (write side shut down)".to_string(),
            _ => "Message (not connected)".to_string(),
        };
        self.console
            .render_message(frame, message, &name, self.focus == Focus::Message);
        self.console
            .render_log(frame, transcript, self.focus == Focus::Transcript);
        if let (true, Some(panel)) = (self.kernel_open, &self.kernel) {
            panel.render(frame, area, None, &self.timeline_lines());
        }
        self.render_play_prompt(frame, area);
        if let Some(prompt) = &mut self.timed_prompt {
            prompt.render(frame, area);
        }
        // Where each part is, for the mouse.
        self.mouse.clear();
        self.mouse.add(target, Focus::Target, Spot::Field);
        if self.tls.mode != TlsMode::Off {
            let [ca_file, sni] =
                Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)])
                    .areas(tls);
            self.mouse.add(ca_file, Focus::CaFile, Spot::Field);
            self.mouse.add(sni, Focus::Sni, Spot::Field);
        }
        self.mouse.add(message, Focus::Message, Spot::Field);
        self.mouse.add(transcript, Focus::Transcript, Spot::Scroll);
    }
}
