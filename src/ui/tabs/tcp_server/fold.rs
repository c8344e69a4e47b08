//! The TCP Server tab's fold: each engine event into the table, the log
//! and the status line.

use super::*;

impl ServerTab {
    /// Folds one engine event into the tab. The log's words come from the
    /// shared narrator, so `netplay tcp serve` says the same.
    pub fn on_event(&mut self, server: ServerId, event: ServerEvent) {
        let current = self.handle.as_ref().map(ServerHandle::id) == Some(server);
        let lifecycle = matches!(
            event,
            ServerEvent::Listening { .. } | ServerEvent::StartFailed { .. } | ServerEvent::Stopped
        );
        if lifecycle && !current {
            return; // a replaced listener's start or stop
        }
        self.kernel_event(&event);
        if matches!(event, ServerEvent::TcpInfo { last: false, .. }) {
            return; // the kernel's view shows these; the log has the last
        }
        let line = self.narrator.narrate(&event, self.config.behaviour.name());
        let rejected = matches!(event, ServerEvent::Rejected { .. }).then(|| line.text.clone());
        match line.data {
            Some(data) => self.console.log.push_data(line.kind, line.text, data),
            None => self.console.log.push(line.kind, line.text),
        }
        match event {
            ServerEvent::Listening { local } => {
                self.phase = Phase::Listening(local.clone());
                self.console
                    .say(Kind::Good, format!("Listening on {local}"));
            }
            ServerEvent::StartFailed { reason } => {
                self.handle = None;
                self.phase = Phase::Stopped;
                self.console
                    .say(Kind::Error, format!("Cannot listen: {reason}"));
            }
            ServerEvent::Stopped => {
                self.handle = None;
                self.capture.stop();
                self.phase = Phase::Stopped;
                self.console.status =
                    Status::new(Kind::Info, "Stopped. Enter starts listening again.");
            }
            ServerEvent::AcceptFailed { reason } | ServerEvent::Warning { reason } => {
                self.console.say(Kind::Error, reason);
            }
            ServerEvent::Rejected { .. } => {
                self.console.say(Kind::Error, rejected.unwrap_or_default());
            }
            ServerEvent::Accepted {
                conn,
                peer,
                local,
                stats,
            } => {
                self.accepted += 1;
                // An open connection that is selected stays selected (the
                // message input keeps its target); else the new one is.
                let keep = self
                    .selected()
                    .filter(|row| row.is_open())
                    .map(|row| row.id.0);
                let mut timeline = Timeline::default();
                let how = match peer.is_unix() {
                    true => "accepted (a UNIX socket: no handshake)",
                    false => "accepted (the kernel did the handshake)",
                };
                timeline.begin_at(stats.opened, how);
                // Accepts are reported by each connection's own task, so
                // they may arrive out of id order: keep the rows sorted.
                let at = self.rows.partition_point(|row| row.id < conn);
                self.rows.insert(
                    at,
                    ConnRow {
                        id: conn,
                        peer,
                        local,
                        state: RowState::Open,
                        stats,
                        tls: None,
                        timeline,
                        kernel: None,
                        closes_with_reset: false,
                        ending: None,
                        websocket: false,
                    },
                );
                match keep {
                    Some(id) => self.selection.hold(id),
                    None => self.selection.follow(),
                }
            }
            ServerEvent::WebSocket { conn, event } => {
                if let crate::net::tcp_server::WsEvent::Upgraded { .. } = *event {
                    if let Some(row) = self.row_mut(conn) {
                        row.websocket = true;
                    }
                }
            }
            ServerEvent::Received { .. }
            | ServerEvent::Echoed { .. }
            | ServerEvent::Sent { .. }
            | ServerEvent::TcpInfo { .. }
            | ServerEvent::RuleMatched { .. }
            | ServerEvent::Options { .. } => {}
            ServerEvent::TlsAccepted {
                conn,
                version,
                cipher,
                sni,
                ..
            } => {
                if let Some(row) = self.row_mut(conn) {
                    let mut cell = format!(
                        "{} {}",
                        version.trim_start_matches("TLSv"),
                        crate::ui::tabs::tcp_server::tls::short_cipher(&cipher)
                    );
                    if let Some(sni) = sni {
                        cell.push(' ');
                        cell.push_str(&sni);
                    }
                    row.tls = Some(cell);
                }
            }
            ServerEvent::TlsFailed { conn, reason } => {
                if let Some(row) = self.row_mut(conn) {
                    row.tls = Some("failed".into());
                }
                self.console.say(Kind::Error, format!("{conn}: {reason}"));
            }
            ServerEvent::PeerHalfClosed { conn } => {
                if let Some(row) = self.row_mut(conn) {
                    row.state = RowState::PeerHalfClosed;
                }
            }
            ServerEvent::Closed { conn, reason } => {
                if let Some(row) = self.row_mut(conn) {
                    row.state = RowState::Closed(reason, Instant::now());
                }
                self.prune_closed_rows();
            }
        }
    }

    fn prune_closed_rows(&mut self) {
        crate::ui::prune_closed(&mut self.rows, CLOSED_ROWS_KEPT, ConnRow::is_open);
    }
}
