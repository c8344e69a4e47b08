//! How the Relay tab folds the relay's events: the log line (the shared
//! narrator's words, tagged with the pair), the pairs table, the held
//! chunks, and the status.

use crate::net::stream::Endpoint;
use std::time::Instant;

use super::{PairRow, Phase, RelayTab, SideState, CLOSED_PAIRS_KEPT};
use crate::narrate::relay::{narrate, pair_of};
use crate::net::relay::{RelayEvent, RelayHandle, RelayId};
use crate::net::ConnId;
use crate::ui::widgets::log_view::Kind;

impl RelayTab {
    /// The row of `id`: rows are kept in id order, so this is a binary
    /// search (every relayed chunk looks its row up).
    pub(super) fn row_mut(&mut self, id: ConnId) -> Option<&mut PairRow> {
        let at = self.pairs.binary_search_by_key(&id, |row| row.id).ok()?;
        self.pairs.get_mut(at)
    }

    /// Folds one engine event into the tab; the log's words come from the
    /// shared narrator, so `netplay relay` says the same.
    pub fn on_event(&mut self, relay: RelayId, event: RelayEvent) {
        if self.handle.as_ref().map(RelayHandle::id) != Some(relay) {
            return; // a replaced relay's late events
        }
        self.kernel_event(&event);
        if matches!(event, RelayEvent::TcpInfo { .. }) {
            return; // the kernel's view shows these
        }
        let line = narrate(&event, &self.running_target);
        let tag = pair_of(&event).map(|pair| pair.0);
        // The status line repeats only some events' words: the copy is
        // made for those (a flood of relayed chunks makes none).
        let says = matches!(
            event,
            RelayEvent::Listening { .. }
                | RelayEvent::StartFailed { .. }
                | RelayEvent::AcceptFailed { .. }
                | RelayEvent::Warning { .. }
                | RelayEvent::UpstreamFailed { .. }
                | RelayEvent::Fault { .. }
        );
        let status = if says {
            line.text.clone()
        } else {
            String::new()
        };
        self.console
            .log
            .push_tagged(line.kind, line.text, line.data, tag);
        match event {
            RelayEvent::Listening { local } => {
                self.phase = Phase::Relaying(local);
                self.console.say(Kind::Good, status);
            }
            RelayEvent::StartFailed { .. } => {
                self.handle = None;
                self.capture.stop();
                self.phase = Phase::Stopped;
                self.console.say(Kind::Error, status);
            }
            RelayEvent::Stopped => {
                self.handle = None;
                self.capture.stop();
                self.phase = Phase::Stopped;
                self.editing = None;
                self.console
                    .say(Kind::Info, "Stopped. Enter starts relaying again.");
            }
            RelayEvent::AcceptFailed { .. }
            | RelayEvent::Warning { .. }
            | RelayEvent::UpstreamFailed { .. }
            | RelayEvent::Fault { .. } => self.console.say(Kind::Error, status),
            RelayEvent::Accepted {
                pair,
                client,
                local,
                at,
            } => self.accepted(pair, client, local, at),
            RelayEvent::UpstreamOpen {
                pair,
                local,
                remote,
                stats,
            } => {
                let hold = self.config.hold_new;
                if let Some(row) = self.row_mut(pair) {
                    row.upstream = Some((local, remote));
                    row.stats = Some(stats);
                    row.sides[1].open = true;
                    row.hold = hold;
                }
            }
            RelayEvent::WsUpgraded { pair } => {
                if let Some(row) = self.row_mut(pair) {
                    row.websocket = true;
                }
            }
            RelayEvent::Relayed { .. }
            | RelayEvent::ProxyAsked { .. }
            | RelayEvent::WsFrame { .. }
            | RelayEvent::Injected { .. }
            | RelayEvent::TcpInfo { .. }
            | RelayEvent::Options { .. } => {}
            RelayEvent::Held { pair, dir, chunk } => {
                if let Some(row) = self.row_mut(pair) {
                    row.held[dir.index()].push_back(chunk);
                }
            }
            RelayEvent::Edited { pair, dir, chunk } => {
                self.console.say(
                    Kind::Info,
                    format!(
                        "{} of {pair} edited; it stays held (s on the pairs sends it)",
                        crate::narrate::relay::held_view(&chunk).0
                    ),
                );
                if let Some(row) = self.row_mut(pair) {
                    let held = &mut row.held[dir.index()];
                    if let Some(old) = held.iter_mut().find(|c| c.seq == chunk.seq) {
                        *old = chunk;
                    }
                }
            }
            RelayEvent::Unheld { pair, dir, seq, .. } => {
                if let Some(row) = self.row_mut(pair) {
                    row.held[dir.index()].retain(|chunk| chunk.seq != seq);
                }
                if self.editing == Some((pair, dir, seq)) {
                    self.editing = None;
                    self.end_edit();
                    self.console
                        .say(Kind::Error, "The chunk being edited left the queue");
                }
            }
            RelayEvent::FinReceived { pair, side } => {
                if let Some(row) = self.row_mut(pair) {
                    row.side_mut(side).fin_in = true;
                }
            }
            RelayEvent::FinSent { pair, side } => {
                if let Some(row) = self.row_mut(pair) {
                    row.side_mut(side).fin_out = true;
                }
            }
            RelayEvent::Closed { pair, error, .. } => {
                if let Some(row) = self.row_mut(pair) {
                    row.closed_at = Some(Instant::now());
                    for side in &mut row.sides {
                        side.closed = true;
                        side.reset = error && side.open;
                    }
                    row.held = Default::default();
                }
                if self.editing.is_some_and(|(p, ..)| p == pair) {
                    self.editing = None;
                    self.end_edit();
                }
                self.prune_closed();
            }
        }
    }

    fn accepted(&mut self, pair: ConnId, client: Endpoint, local: Endpoint, at: Instant) {
        self.accepted += 1;
        // An open pair that is selected stays selected; else the new one is.
        let keep = self
            .selected()
            .filter(|row| row.is_open())
            .map(|row| row.id.0);
        let mut timeline = crate::ui::widgets::timeline::Timeline::default();
        timeline.begin_at(at, "accepted: the client is connected; connecting upstream");
        // Accepts are reported by each pair's own task, so they may arrive
        // out of id order: keep the rows sorted.
        let at = self.pairs.partition_point(|row| row.id < pair);
        self.pairs.insert(
            at,
            PairRow {
                id: pair,
                client,
                local,
                upstream: None,
                sides: [
                    SideState {
                        open: true,
                        ..SideState::default()
                    },
                    SideState::default(),
                ],
                stats: None,
                opened: Instant::now(),
                closed_at: None,
                held: Default::default(),
                hold: [false; 2],
                websocket: false,
                timeline,
                kernel: [None, None],
            },
        );
        match keep {
            Some(id) => self.selection.hold(id),
            None => self.selection.follow(),
        }
        let shown = self.selection.key_in(&self.keys());
        self.console.log.show_only(shown);
    }

    fn prune_closed(&mut self) {
        crate::ui::prune_closed(&mut self.pairs, CLOSED_PAIRS_KEPT, PairRow::is_open);
        let shown = self.selection.key_in(&self.keys());
        self.console.log.show_only(shown);
    }
}
