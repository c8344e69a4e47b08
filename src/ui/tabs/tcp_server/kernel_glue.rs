//! The server tab's part of the learning layer: each row's timeline, and
//! the kernel's view (Ctrl+O) of the selected connection, sampled every
//! second only while it is shown.

use crossterm::event::KeyEvent;

use super::{RowState, ServerTab};
use crate::net::kernel::sockopts::SockOpt;
use crate::net::tcp_server::ServerEvent;
use crate::net::CloseReason;
use crate::ui::widgets::kernel::{KernelPanel, PanelKey, Touched};
use crate::ui::widgets::log_view::Kind;
use crate::ui::widgets::timeline::{what_the_kernel_keeps_at, Ending};

impl ServerTab {
    /// Opens the kernel's view on the selected row.
    pub(super) fn open_kernel(&mut self) {
        let Some(row) = self.selected() else {
            return self.console.say(
                Kind::Error,
                "No connection selected: the kernel's view shows one (Tab to the table)",
            );
        };
        let (id, open) = (row.id, row.is_open());
        let note = row
            .ending
            .map(|ending| what_the_kernel_keeps_at(ending, &row.local, &row.peer));
        let title = format!("{id} {} ⇄ {}", row.local, row.peer);
        let kept = self.row_mut(id).and_then(|row| row.kernel.take());
        let mut panel =
            kept.map_or_else(|| KernelPanel::new(title, Touched::default()), |kept| *kept);
        match (&self.handle, open) {
            (Some(handle), true) => {
                let _ = handle.watch(id, true);
                let _ = handle.set_option(id, SockOpt::Read);
            }
            _ => panel.on_closed(),
        }
        if let Some(note) = note {
            panel.set_note(note);
        }
        self.kernel = Some((id, panel));
    }

    /// A key while the kernel's view is open.
    pub(super) fn kernel_key(&mut self, key: &KeyEvent) {
        let Some((id, panel)) = &mut self.kernel else {
            return;
        };
        let id = *id;
        match panel.key(key) {
            PanelKey::Close => {
                if let Some(handle) = &self.handle {
                    let _ = handle.watch(id, false);
                }
                if let Some((id, panel)) = self.kernel.take() {
                    if let Some(row) = self.row_mut(id) {
                        row.kernel = Some(Box::new(panel));
                    }
                }
            }
            PanelKey::Set(opt) => {
                let sent = self
                    .handle
                    .as_ref()
                    .map(|handle| handle.set_option(id, opt).is_ok());
                if sent != Some(true) {
                    self.console
                        .say(Kind::Error, "Option not set: the server is busy or stopped");
                }
            }
            PanelKey::Nothing => {}
        }
    }

    /// Marks the row's timeline and feeds the open view.
    pub(super) fn kernel_event(&mut self, event: &ServerEvent) {
        if let Some((id, panel)) = &mut self.kernel {
            match event {
                ServerEvent::TcpInfo { conn, info, .. } if conn == id => panel.on_info(*info),
                ServerEvent::Options { conn, options } if conn == id => {
                    panel.on_options(options.clone());
                }
                ServerEvent::Closed { conn, .. } if conn == id => panel.on_closed(),
                _ => {}
            }
        }
        if let ServerEvent::Options {
            conn,
            options: Ok(options),
        } = event
        {
            if let Some(row) = self.row_mut(*conn) {
                row.closes_with_reset = options.closes_with_reset();
            }
        }
        // The first byte each way is not marked here, per event (a flood
        // would pay for it on every read): the counters stamp it, and the
        // view adds it when shown.
        let (conn, what) = match event {
            ServerEvent::TlsAccepted { conn, .. } => (conn, "TLS handshake done"),
            ServerEvent::PeerHalfClosed { conn } => {
                (conn, "FIN received: the peer shut down its write side")
            }
            ServerEvent::Closed { conn, reason } => return self.close_timeline(*conn, reason),
            _ => return,
        };
        if let Some(row) = self.row_mut(*conn) {
            row.timeline.mark_once(what);
        }
    }

    fn close_timeline(&mut self, conn: crate::net::ConnId, reason: &CloseReason) {
        let Some(row) = self
            .rows
            .binary_search_by_key(&conn, |row| row.id)
            .ok()
            .and_then(|at| self.rows.get_mut(at))
        else {
            return;
        };
        let peer_first = row.state == RowState::PeerHalfClosed;
        let ending = match reason {
            CloseReason::Peer if row.closes_with_reset => {
                row.timeline.mark("FIN received: the peer closed");
                row.timeline
                    .mark("RST sent: the server closed with SO_LINGER 0 (no FIN)");
                Ending::Reset
            }
            CloseReason::Peer => {
                row.timeline.mark("FIN received: the peer closed");
                Ending::PeerClosedFirst
            }
            CloseReason::Error(why) if why.contains("reset") => {
                row.timeline.mark("RST received: the connection was reset");
                Ending::Reset
            }
            CloseReason::Error(_) => Ending::Reset,
            CloseReason::Local(_) | CloseReason::ServerStopped if row.closes_with_reset => {
                row.timeline.mark(format!(
                    "RST sent: the server closed with SO_LINGER 0 ({reason})"
                ));
                Ending::Reset
            }
            CloseReason::Local(_) | CloseReason::ServerStopped => {
                row.timeline
                    .mark(format!("FIN sent: the server closed ({reason})"));
                if peer_first {
                    Ending::PeerClosedFirst
                } else {
                    Ending::WeClosedFirst
                }
            }
        };
        row.timeline.mark("closed");
        row.ending = Some(ending);
        // Said (and checked in /proc/net/tcp) for the connection on view
        // only: thousands of closes must not each read that file.
        if let Some((id, panel)) = &mut self.kernel {
            if *id == conn {
                panel.set_note(what_the_kernel_keeps_at(ending, &row.local, &row.peer));
            }
        }
    }

    /// The exact counters of the connection the view is open on.
    pub(super) fn kernel_counts(&self) -> Option<String> {
        let (id, _) = self.kernel.as_ref()?;
        let at = self.rows.binary_search_by_key(id, |row| row.id).ok()?;
        let stats = self.rows.get(at)?.stats.snapshot();
        Some(format!(
            "in {} B / {} · out {} B / {}",
            crate::format::count(stats.bytes_in),
            crate::format::plural(stats.reads, "read"),
            crate::format::count(stats.bytes_out),
            crate::format::plural(stats.writes, "write")
        ))
    }

    /// The timeline of the connection the view is open on.
    pub(super) fn kernel_timeline(&self) -> Vec<String> {
        let Some((id, _)) = &self.kernel else {
            return Vec::new();
        };
        self.rows
            .binary_search_by_key(id, |row| row.id)
            .ok()
            .and_then(|at| self.rows.get(at))
            .map(|row| {
                row.timeline.lines_with(&[
                    ("first byte in", row.stats.first_read()),
                    ("first byte out", row.stats.first_write()),
                ])
            })
            .unwrap_or_default()
    }
}
