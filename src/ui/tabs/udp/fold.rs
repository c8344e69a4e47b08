//! How the UDP tab folds its socket's events: the packet list, the log,
//! the status line, and the peers not answered (Alt+B).

use super::*;

impl UdpTab {
    /// Folds one engine event into the tab; events of a closed socket are
    /// ignored.
    pub fn on_event(&mut self, id: SocketId, event: UdpEvent) {
        if self.socket.as_ref().map(|(h, _)| h.id()) != Some(id) {
            return;
        }
        match event {
            UdpEvent::Bound {
                local,
                connected,
                stats,
            } => {
                self.local = Some(local);
                self.connected = connected;
                self.stats = Some(stats);
                let (short, long) = crate::narrate::udp::bound(local, connected, self.mode.name());
                self.status = Status::new(Kind::Good, short);
                self.log.push(Kind::Good, long);
            }
            UdpEvent::Note { text } => self.log.push(Kind::Info, text),
            UdpEvent::BindFailed { reason } => {
                self.socket = None;
                self.capture.stop();
                self.timed = None;
                let text = crate::narrate::udp::cannot_bind(&reason);
                self.status = Status::new(Kind::Error, text.clone());
                self.log.push(Kind::Error, text);
            }
            UdpEvent::Received {
                from,
                data,
                note,
                to,
            } => {
                // Sent to our own address: the kernel delivers it to us, as
                // to anyone bound there. Said, so it does not look like an echo.
                // Sent to a group or a broadcast address: said first.
                let cast = to.as_deref().map(|to| to.ip());
                let note = crate::net::udp::pktinfo::Arrival::with_note(to.as_deref(), note);
                let note = match note {
                    None if self.local == Some(from) => Some(
                        "our own datagram: sent to this socket's own address, so it arrives here"
                            .to_string(),
                    ),
                    note => note,
                };
                self.record(Direction::In, from, data, (note, cast))
            }
            UdpEvent::Sent { to, data } => {
                // To a group or a broadcast address: every member gets it.
                let kind = crate::net::udp::group::destination_kind(to);
                let note = kind.map(|kind| format!("to a {kind} address: every member gets it"));
                let cast = kind.map(|_| to.ip());
                self.record(Direction::Out, to, data, (note, cast));
            }
            // Two rows, as they happened: the table shows each datagram.
            UdpEvent::Echoed { peer, data } => {
                self.record(Direction::In, peer, data.clone(), (None, None));
                self.record(Direction::Out, peer, data, (None, None));
            }
            UdpEvent::Lost { from, len } => {
                self.record(
                    Direction::Lost,
                    from,
                    Payload {
                        preview: Default::default(),
                        len,
                    },
                    (Some("dropped by the lossy switch".into()), None),
                );
            }
            UdpEvent::RuleMatched { from, rule } => {
                self.log
                    .push(Kind::Info, crate::narrate::udp::rule_matched(from, rule));
            }
            UdpEvent::Error { reason } => {
                self.status = Status::new(Kind::Error, reason.clone());
                self.log.push(Kind::Error, reason);
            }
            UdpEvent::LoopSuspect { peer, reason } => {
                self.no_reply.suspect(peer);
                self.status = Status::new(Kind::Error, reason.clone());
                self.log.push(Kind::Error, reason);
            }
            UdpEvent::NoReply { peer, on, refused } => {
                let (kind, text) = match refused {
                    Some(reason) => (Kind::Error, reason),
                    None => {
                        self.no_reply.confirmed(peer, on);
                        let mut text = crate::narrate::udp::no_reply(peer, on);
                        if on {
                            text.push_str(&format!(
                                " ({} peer(s) not answered; Alt+B again answers it)",
                                self.no_reply.count()
                            ));
                        }
                        (Kind::Info, text)
                    }
                };
                self.status = Status::new(kind, text.clone());
                self.log.push(kind, text);
            }
            UdpEvent::BurstDone(report) => {
                let text = report.to_string();
                let kind = if report.missing == 0 && report.duplicates == 0 {
                    Kind::Good
                } else {
                    Kind::Error
                };
                self.status = Status::new(kind, text.clone());
                self.log.push(kind, text);
            }
            UdpEvent::Closed => {
                self.no_reply.clear();
                self.socket = None;
                self.capture.stop();
                self.timed = None;
                self.local = None;
                self.connected = None;
            }
        }
    }
}
