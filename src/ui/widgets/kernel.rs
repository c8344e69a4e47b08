//! The kernel's view of one connection (Ctrl+O on the client tab, a server
//! row or a relay pair): `TCP_INFO` every second with sparklines of RTT and
//! congestion window, the live socket options with keys to change them, and
//! the connection's timeline.

use std::collections::VecDeque;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline, Wrap};
use ratatui::Frame;

use crate::net::kernel::sockopts::{SockOpt, SockOptions, BUFFER_SIZES, TTLS};
use crate::net::kernel::tcp_info::{micros, TcpInfo, SSTHRESH_INFINITE};
use crate::ui::shell::theme;

/// Samples kept for the sparklines: two minutes at one a second.
pub const HISTORY: usize = 120;

/// What the user changed on this connection, so that everything else is
/// shown as a default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Touched {
    nodelay: bool,
    keepalive: bool,
    reset: bool,
    buffers: Option<usize>,
    ttl: bool,
}

/// What a key did in the panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PanelKey {
    /// Esc: close the panel.
    Close,
    /// Make this change on the socket.
    Set(SockOpt),
    /// Nothing for the socket.
    Nothing,
}

/// The panel's state for one connection.
#[derive(Debug, Clone)]
pub struct KernelPanel {
    title: String,
    latest: Option<TcpInfo>,
    rtt: VecDeque<u64>,
    cwnd: VecDeque<u64>,
    options: Option<SockOptions>,
    touched: Touched,
    message: Option<String>,
    closed: bool,
    note: Option<String>,
}

impl KernelPanel {
    /// Names the connection anew (its addresses became known).
    pub fn set_title(&mut self, title: impl Into<String>) {
        self.title = title.into();
    }

    /// A panel for the connection `title` names (its 4-tuple), remembering
    /// what was changed on it before.
    pub fn new(title: impl Into<String>, touched: Touched) -> Self {
        Self {
            title: title.into(),
            latest: None,
            rtt: VecDeque::with_capacity(HISTORY),
            cwnd: VecDeque::with_capacity(HISTORY),
            options: None,
            touched,
            message: None,
            closed: false,
            note: None,
        }
    }

    /// What was changed on this connection.
    pub fn touched(&self) -> Touched {
        self.touched
    }

    /// A new `TCP_INFO` sample.
    pub fn on_info(&mut self, info: TcpInfo) {
        for (history, value) in [
            (&mut self.rtt, u64::from(info.rtt_us)),
            (&mut self.cwnd, u64::from(info.cwnd)),
        ] {
            if history.len() == HISTORY {
                history.pop_front();
            }
            history.push_back(value);
        }
        self.latest = Some(info);
    }

    /// The options as read back (or why a change failed).
    pub fn on_options(&mut self, options: Result<SockOptions, String>) {
        match options {
            Ok(options) => {
                self.options = Some(options);
                self.message = None;
            }
            Err(reason) => self.message = Some(reason),
        }
    }

    /// The connection ended: the last sample stays, changes are refused.
    pub fn on_closed(&mut self) {
        self.closed = true;
    }

    /// A sentence under the timeline: what the kernel keeps after the close.
    pub fn set_note(&mut self, note: String) {
        self.note = Some(note);
    }

    /// Whether the last read-back says the socket closes with RST.
    pub fn closes_with_reset(&self) -> bool {
        self.options
            .is_some_and(|options| options.closes_with_reset())
    }

    /// Whether the connection has ended.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// A key: `n` `k` `r` `b` `t` change an option, Esc closes.
    pub fn key(&mut self, key: &KeyEvent) -> PanelKey {
        if key.code == KeyCode::Esc {
            return PanelKey::Close;
        }
        let KeyCode::Char(c) = key.code else {
            return PanelKey::Nothing;
        };
        let (Some(now), false) = (self.options, self.closed) else {
            if "nkrbt".contains(c) {
                self.message = Some(if self.closed {
                    "The connection is closed: its options cannot change".into()
                } else {
                    "Reading the options first…".into()
                });
            }
            return PanelKey::Nothing;
        };
        let opt = match c {
            'n' => {
                self.touched.nodelay = true;
                SockOpt::NoDelay(!now.nodelay)
            }
            'k' => {
                self.touched.keepalive = true;
                SockOpt::KeepAlive(!now.keepalive)
            }
            'r' => {
                self.touched.reset = true;
                SockOpt::CloseWithReset(!now.closes_with_reset())
            }
            'b' => {
                let at = self
                    .touched
                    .buffers
                    .and_then(|set| BUFFER_SIZES.iter().position(|size| *size == set))
                    .map_or(0, |at| (at + 1) % BUFFER_SIZES.len());
                self.touched.buffers = Some(BUFFER_SIZES[at]);
                SockOpt::Buffers(BUFFER_SIZES[at])
            }
            't' => {
                self.touched.ttl = true;
                let at = TTLS.iter().position(|ttl| *ttl == now.ttl);
                SockOpt::Ttl(TTLS[at.map_or(0, |at| (at + 1) % TTLS.len())])
            }
            _ => return PanelKey::Nothing,
        };
        PanelKey::Set(opt)
    }

    /// Draws the panel over `area`, with netplay's exact `counts` for the
    /// connection and its `timeline`.
    pub fn render(
        &self,
        frame: &mut Frame,
        area: Rect,
        counts: Option<String>,
        timeline: &[String],
    ) {
        let popup = crate::ui::popup(
            frame,
            area,
            area.width.saturating_sub(4).min(120),
            area.height.saturating_sub(2).min(30),
        );
        let title = format!(" The kernel's view · {} ", self.title);
        let block = theme::pane(title, true);
        let inner = block.inner(popup);
        frame.render_widget(block, popup);
        let [columns, footer] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(inner);
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                .areas(columns);
        let [numbers, rtt_label, rtt, cwnd_label, cwnd] = Layout::vertical([
            Constraint::Length(14),
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(1),
            Constraint::Fill(1),
        ])
        .areas(left);
        frame.render_widget(Paragraph::new(self.info_lines()), numbers);
        let shown = usize::from(left.width);
        let rtt_max = |max: u64| micros(u32::try_from(max).unwrap_or(u32::MAX));
        let cwnd_max = |max: u64| format!("{max} segments");
        for (label_area, spark_area, label, history, show_max) in [
            (
                rtt_label,
                rtt,
                "RTT",
                &self.rtt,
                &rtt_max as &dyn Fn(u64) -> String,
            ),
            (cwnd_label, cwnd, "cwnd", &self.cwnd, &cwnd_max),
        ] {
            let max = history.iter().max().copied().unwrap_or(0);
            frame.render_widget(
                Paragraph::new(Line::styled(
                    format!(
                        " {label}, last {} s (max {})",
                        history.len().min(shown),
                        show_max(max)
                    ),
                    theme::dim(),
                )),
                label_area,
            );
            let recent: Vec<u64> = history
                .iter()
                .skip(history.len().saturating_sub(shown))
                .copied()
                .collect();
            frame.render_widget(
                Sparkline::default().data(&recent).style(theme::good()),
                spark_area,
            );
        }
        let mut lines = self.option_lines();
        if let Some(counts) = counts {
            lines.push(Line::raw(""));
            lines.push(Line::styled(" Counted by netplay (exact)", theme::key()));
            lines.push(Line::raw(format!(" {counts}")));
        }
        lines.push(Line::raw(""));
        lines.push(Line::styled(" Timeline", theme::key()));
        lines.extend(timeline.iter().map(|line| Line::raw(line.clone())));
        if let Some(note) = &self.note {
            lines.push(Line::styled(format!(" {note}"), theme::warn()));
        }
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), right);
        let hint = match &self.message {
            Some(message) => Line::styled(format!(" {message}"), theme::error()),
            None => Line::styled(
                " n Nagle · k keepalive · r close with RST · b buffers · t TTL · Esc close",
                theme::dim(),
            ),
        };
        frame.render_widget(Paragraph::new(hint), footer);
    }

    fn info_lines(&self) -> Vec<Line<'static>> {
        let Some(info) = &self.latest else {
            let why = if !cfg!(target_os = "linux") {
                "TCP_INFO: n/a on this OS"
            } else if self.closed {
                "no sample: the view was not open while it was connected"
            } else {
                "waiting for the first sample (every second)"
            };
            return vec![Line::styled(format!(" {why}"), theme::dim())];
        };
        let ssthresh = if info.ssthresh >= SSTHRESH_INFINITE {
            "∞ (slow start)".to_string()
        } else {
            info.ssthresh.to_string()
        };
        let rows = [
            ("state", info.state_name().to_string()),
            (
                "RTT",
                format!("{} ± {}", micros(info.rtt_us), micros(info.rttvar_us)),
            ),
            ("min RTT", micros(info.min_rtt_us)),
            (
                "cwnd",
                format!("{} segments · ssthresh {ssthresh}", info.cwnd),
            ),
            ("MSS · PMTU", format!("{} B · {} B", info.mss, info.pmtu)),
            (
                "retransmits",
                format!("{} now · {} in all", info.retrans, info.total_retrans),
            ),
            ("unacked", format!("{} segments", info.unacked)),
            (
                "acked · received",
                format!("{} B · {} B", info.bytes_acked, info.bytes_received),
            ),
            (
                "segments out · in",
                format!("{} · {}", info.segs_out, info.segs_in),
            ),
            (
                "delivery rate",
                format!("{}/s", crate::format::bytes(info.delivery_rate)),
            ),
            (
                "send-Q · recv-Q",
                format!("{} B · {} B", info.send_queue, info.recv_queue),
            ),
            ("not sent", format!("{} B", info.notsent_bytes)),
        ];
        let when = if self.closed {
            "the last sample (closed now)"
        } else {
            "every second"
        };
        let mut lines = vec![Line::styled(format!(" TCP_INFO, {when}"), theme::key())];
        lines.extend(rows.into_iter().map(|(name, value)| {
            Line::from(vec![
                Span::styled(format!(" {name:<18}"), theme::dim()),
                Span::raw(value),
            ])
        }));
        lines
    }

    fn option_lines(&self) -> Vec<Line<'static>> {
        let mut lines = vec![Line::styled(" Socket options (read back)", theme::key())];
        let Some(now) = &self.options else {
            let why = if self.closed {
                " not read: closed"
            } else {
                " reading…"
            };
            lines.push(Line::styled(why, theme::dim()));
            return lines;
        };
        let touched = self.touched;
        let default = |changed: bool, note: &str| {
            if changed {
                " (set here)".to_string()
            } else {
                format!(" (default{note})")
            }
        };
        let keepalive = if now.keepalive {
            format!(
                "on: idle {} s, every {} s, {} probes",
                now.keepalive_idle.as_secs(),
                now.keepalive_interval.as_secs(),
                now.keepalive_count
            )
        } else {
            "off".to_string()
        };
        let buffers = match touched.buffers {
            Some(set) => format!(" (you set {set} B; Linux doubles it for its bookkeeping)"),
            None => " (default: autotuned)".to_string(),
        };
        let rows = [
            (
                "n TCP_NODELAY",
                format!(
                    "{}{}",
                    if now.nodelay {
                        "on"
                    } else {
                        "off: Nagle holds small writes"
                    },
                    default(touched.nodelay, " here; the kernel's is off")
                ),
            ),
            (
                "k SO_KEEPALIVE",
                format!("{keepalive}{}", default(touched.keepalive, "")),
            ),
            (
                "r close with",
                format!(
                    "{}{}",
                    if now.closes_with_reset() {
                        "RST (SO_LINGER 0)"
                    } else {
                        "FIN"
                    },
                    default(touched.reset, "")
                ),
            ),
            ("b SO_RCVBUF", format!("{} B{buffers}", now.recv_buffer)),
            ("  SO_SNDBUF", format!("{} B", now.send_buffer)),
            (
                "t TTL / hops",
                format!("{}{}", now.ttl, default(touched.ttl, "")),
            ),
        ];
        lines.extend(rows.into_iter().map(|(name, value)| {
            Line::from(vec![
                Span::styled(format!(" {name:<15}"), theme::dim()),
                Span::raw(value),
            ])
        }));
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_history_is_bounded_and_keys_ask_for_the_opposite_of_now() {
        let mut panel = KernelPanel::new("conn", Touched::default());
        for rtt in 0..(HISTORY as u32 + 50) {
            panel.on_info(TcpInfo {
                rtt_us: rtt,
                ..TcpInfo::default()
            });
        }
        assert_eq!(panel.rtt.len(), HISTORY);
        assert_eq!(panel.rtt.back(), Some(&(HISTORY as u64 + 49)));
        let key = |c| KeyEvent::from(KeyCode::Char(c));
        assert_eq!(panel.key(&key('n')), PanelKey::Nothing, "no read-back yet");
        panel.on_options(Ok(SockOptions {
            nodelay: true,
            ttl: 64,
            ..SockOptions::default()
        }));
        assert_eq!(panel.key(&key('n')), PanelKey::Set(SockOpt::NoDelay(false)));
        assert_eq!(panel.key(&key('t')), PanelKey::Set(SockOpt::Ttl(1)));
        assert_eq!(panel.key(&key('b')), PanelKey::Set(SockOpt::Buffers(4096)));
        assert_eq!(panel.key(&key('b')), PanelKey::Set(SockOpt::Buffers(65536)));
        assert_eq!(panel.key(&KeyEvent::from(KeyCode::Esc)), PanelKey::Close);
        panel.on_closed();
        assert_eq!(panel.key(&key('r')), PanelKey::Nothing);
    }
}
