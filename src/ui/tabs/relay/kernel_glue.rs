//! The relay tab's part of the learning layer: each pair's timeline, and
//! the kernel's view (Ctrl+O) of the selected pair's sockets — ours to the
//! client or ours to the server (Tab switches) — sampled every second only
//! while shown.

use crossterm::event::{KeyCode, KeyEvent};

use super::RelayTab;
use crate::net::kernel::sockopts::SockOpt;
use crate::net::relay::{PairCommand, RelayEvent, Side};
use crate::net::ConnId;
use crate::ui::widgets::kernel::{KernelPanel, PanelKey, Touched};
use crate::ui::widgets::log_view::Kind;

/// The open view: which pair, which of its two sockets.
pub(crate) struct RelayKernel {
    pair: ConnId,
    side: Side,
    panel: KernelPanel,
}

impl RelayTab {
    /// Opens the kernel's view on the selected pair, our socket to its
    /// client first.
    pub(super) fn open_kernel(&mut self) {
        let Some(pair) = self.selected().map(|row| row.id) else {
            return self.console.say(
                Kind::Error,
                "No pair selected: the kernel's view shows one (Tab to the pairs)",
            );
        };
        self.view_side(pair, Side::Client);
    }

    fn view_side(&mut self, pair: ConnId, side: Side) {
        self.put_back_kernel();
        let Some(row) = self.row_mut(pair) else {
            return;
        };
        let (local, remote) = match side {
            Side::Client => (Some(row.local.clone()), Some(row.client.clone())),
            Side::Server => row
                .upstream
                .clone()
                .map_or((None, None), |(l, r)| (Some(l), Some(r))),
        };
        let show = |addr: Option<crate::net::stream::Endpoint>| {
            addr.map_or_else(|| "(not open)".to_string(), |addr| addr.to_string())
        };
        let title = format!(
            "{pair} our socket to the {}: {} ⇄ {} (Tab: the other one)",
            side.name(),
            show(local),
            show(remote)
        );
        let live = row.is_open() && row.sides[side_index(side)].open;
        // A kept panel keeps its history and settings, but its title is
        // written again: the upstream side may have opened since.
        let mut panel = match row.kernel[side_index(side)].take() {
            Some(kept) => {
                let mut kept = *kept;
                kept.set_title(title);
                kept
            }
            None => KernelPanel::new(title, Touched::default()),
        };
        if live {
            self.command_to(pair, PairCommand::Watch(Some(side)));
            self.command_to(pair, PairCommand::Option(side, SockOpt::Read));
        } else {
            panel.on_closed();
        }
        self.kernel = Some(RelayKernel { pair, side, panel });
    }

    /// Keeps the open view's panel in its pair's row (closing or switching).
    fn put_back_kernel(&mut self) {
        if let Some(view) = self.kernel.take() {
            if let Some(row) = self.row_mut(view.pair) {
                row.kernel[side_index(view.side)] = Some(Box::new(view.panel));
            }
        }
    }

    fn command_to(&mut self, pair: ConnId, command: PairCommand) {
        if let Some(handle) = &self.handle {
            if handle.command(pair, command).is_err() {
                self.console
                    .say(Kind::Error, "Not done: the relay is busy or stopped");
            }
        }
    }

    /// A key while the kernel's view is open.
    pub(super) fn kernel_key(&mut self, key: &KeyEvent) {
        let Some(view) = &mut self.kernel else {
            return;
        };
        let (pair, side) = (view.pair, view.side);
        if key.code == KeyCode::Tab || key.code == KeyCode::BackTab {
            let other = match side {
                Side::Client => Side::Server,
                Side::Server => Side::Client,
            };
            return self.view_side(pair, other);
        }
        match view.panel.key(key) {
            PanelKey::Close => {
                self.put_back_kernel();
                if self.pairs.iter().any(|row| row.id == pair && row.is_open()) {
                    self.command_to(pair, PairCommand::Watch(None));
                }
            }
            PanelKey::Set(opt) => self.command_to(pair, PairCommand::Option(side, opt)),
            PanelKey::Nothing => {}
        }
    }

    /// Marks the pair's timeline and feeds the open view.
    pub(super) fn kernel_event(&mut self, event: &RelayEvent) {
        if let Some(view) = &mut self.kernel {
            match event {
                RelayEvent::TcpInfo { pair, side, info }
                    if *pair == view.pair && *side == view.side =>
                {
                    view.panel.on_info(*info);
                }
                RelayEvent::Options {
                    pair,
                    side,
                    options,
                } if *pair == view.pair && *side == view.side => {
                    view.panel.on_options(options.clone());
                }
                RelayEvent::Closed { pair, .. } if *pair == view.pair => view.panel.on_closed(),
                _ => {}
            }
        }
        let (pair, what) = match event {
            RelayEvent::UpstreamOpen { pair, .. } => {
                (pair, "upstream connected: bytes flow from now on")
            }
            RelayEvent::FinReceived { pair, side } => (
                pair,
                match side {
                    Side::Client => "FIN received from the client",
                    Side::Server => "FIN received from the server",
                },
            ),
            RelayEvent::FinSent { pair, side } => (
                pair,
                match side {
                    Side::Client => "FIN forwarded to the client",
                    Side::Server => "FIN forwarded to the server",
                },
            ),
            RelayEvent::Closed { pair, error, .. } => (
                pair,
                if *error {
                    "closed with RST to both sides (an error or a reset)"
                } else {
                    "closed"
                },
            ),
            _ => return,
        };
        if let Some(row) = self.row_mut(*pair) {
            let at = match event {
                RelayEvent::UpstreamOpen { stats, .. } => Some(stats[0].opened),
                _ => None,
            };
            row.timeline.mark_once_at(what, at);
        }
    }

    /// The timeline of the pair the view is open on.
    pub(super) fn kernel_timeline(&self) -> Vec<String> {
        self.kernel
            .as_ref()
            .and_then(|view| self.pairs.iter().find(|row| row.id == view.pair))
            .map(|row| {
                // The first byte each way, stamped by the counters (a data
                // event marks nothing: floods pay nothing for this).
                let first = |at: usize| row.stats.as_ref().and_then(|s| s[at].first_read());
                row.timeline.lines_with(&[
                    ("first byte client → server", first(0)),
                    ("first byte server → client", first(1)),
                ])
            })
            .unwrap_or_default()
    }

    /// The pair's exact counters, both ways.
    fn kernel_counts(&self) -> Option<String> {
        let view = self.kernel.as_ref()?;
        let row = self.pairs.iter().find(|row| row.id == view.pair)?;
        let stats = row.stats.as_ref()?;
        let [up, down] = [stats[0].snapshot(), stats[1].snapshot()];
        Some(format!(
            "client → server {} B / {} · server → client {} B / {}",
            crate::format::count(up.bytes_in),
            crate::format::plural(up.reads, "read"),
            crate::format::count(down.bytes_in),
            crate::format::plural(down.reads, "read")
        ))
    }

    /// Draws the open view.
    pub(super) fn render_kernel(&self, frame: &mut ratatui::Frame, area: ratatui::layout::Rect) {
        if let Some(view) = &self.kernel {
            view.panel
                .render(frame, area, self.kernel_counts(), &self.kernel_timeline());
        }
    }
}

fn side_index(side: Side) -> usize {
    match side {
        Side::Client => 0,
        Side::Server => 1,
    }
}
