//! What happens to a datagram that arrives: the lossy switch's fate, the
//! event (one `Echoed` when an echo goes straight back), the loop guard's
//! verdict, and the answer the socket's mode gives.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;

use tokio::net::UdpSocket;
use tokio::sync::mpsc;

use super::{Delayed, Task, UdpEvent, UdpMode, MAX_HELD, MAX_HELD_BYTES};
use crate::behaviour::greet::hello;
use crate::behaviour::loop_guard::Verdict;

impl Task {
    pub(super) async fn arrived(
        &mut self,
        socket: &UdpSocket,
        from: SocketAddr,
        bytes: &[u8],
        delayed: &mpsc::UnboundedSender<Delayed>,
    ) {
        self.captured(from, bytes, false).await;
        self.stats.datagrams_in.fetch_add(1, Ordering::Relaxed);
        self.stats
            .bytes_in
            .fetch_add(bytes.len() as u64, Ordering::Relaxed);
        let Some(lossy) = &mut self.lossy else {
            self.deliver(socket, from, bytes, None).await;
            return;
        };
        let fate = lossy.decide();
        if fate.dropped {
            self.stats.lost.fetch_add(1, Ordering::Relaxed);
            self.offer(|| UdpEvent::Lost {
                from,
                len: bytes.len(),
            })
            .await;
            return;
        }
        let copies = if fate.duplicated {
            self.stats.duplicated.fetch_add(1, Ordering::Relaxed);
            2
        } else {
            1
        };
        for copy in 0..copies {
            let mut note = Vec::new();
            if copy == 1 {
                note.push("duplicate (lossy)".to_string());
            }
            if fate.delay.is_zero() {
                let note = (!note.is_empty()).then(|| note.join(", "));
                self.deliver(socket, from, bytes, note).await;
            } else if self.held >= MAX_HELD || self.held_bytes + bytes.len() > MAX_HELD_BYTES {
                // The delay queue is full: this copy is lost, and counted.
                self.stats.lost.fetch_add(1, Ordering::Relaxed);
                self.stats.overflow.fetch_add(1, Ordering::Relaxed);
                self.offer(|| UdpEvent::Lost {
                    from,
                    len: bytes.len(),
                })
                .await;
            } else {
                self.held += 1;
                self.held_bytes += bytes.len();
                note.push(format!("delayed {} ms (lossy)", fate.delay.as_millis()));
                let item = Delayed {
                    from,
                    bytes: bytes.to_vec(),
                    note: note.join(", "),
                    arrival: self.arrival,
                };
                let tx = delayed.clone();
                let delay = fate.delay;
                self.engine.spawn(async move {
                    tokio::time::sleep(delay).await;
                    let _ = tx.send(item);
                });
            }
        }
    }

    /// A datagram reaches the application: log it, count a burst reply,
    /// answer per mode.
    pub(super) async fn deliver(
        &mut self,
        socket: &UdpSocket,
        from: SocketAddr,
        bytes: &[u8],
        note: Option<String>,
    ) {
        let now = std::time::Instant::now();
        let plain_echo = self.mode == UdpMode::Echo
            && note.is_none()
            && self.burst.is_none()
            && !self
                .local
                .is_some_and(|local| self.guard.is_own(local, from));
        if plain_echo {
            let verdict = self.guard.check(from, bytes, now, true);
            // An arrival to a group is told as itself before its echo.
            let unicast = self.arrival.is_none();
            if matches!(verdict, Verdict::Reply) && unicast && self.try_echo(socket, from, bytes) {
                self.guard.replied(from, bytes, now);
                self.captured(from, bytes, true).await;
                self.offer(|| UdpEvent::Echoed {
                    peer: from,
                    data: self.engine.payload(bytes),
                })
                .await;
                return;
            }
            self.offer(|| UdpEvent::Received {
                from,
                data: self.engine.payload(bytes),
                note: None,
                to: self.arrival.map(Box::new),
            })
            .await;
            self.answer(socket, from, bytes, now, verdict).await;
            return;
        }
        self.offer(|| UdpEvent::Received {
            from,
            data: self.engine.payload(bytes),
            note,
            to: self.arrival.map(Box::new),
        })
        .await;
        if let Some(burst) = &mut self.burst {
            if burst.tracker.reply(bytes) {
                burst.deadline = tokio::time::Instant::now() + burst.wait;
                if burst.tracker.complete() {
                    self.finish_burst().await;
                }
                // a reply to our own burst is not answered again
                return;
            }
        }
        if self.mode == UdpMode::Silent {
            return;
        }
        if let Some(local) = self.local {
            if self.guard.is_own(local, from) {
                // Answering our own datagrams would ping-pong forever.
                return;
            }
        }
        let echo = self.mode == UdpMode::Echo;
        let verdict = self.guard.check(from, bytes, now, echo);
        self.answer(socket, from, bytes, now, verdict).await;
    }

    /// Sends an echo at once if the socket takes it without waiting (and
    /// counts it); false leaves it to [`Self::send`].
    fn try_echo(&self, socket: &UdpSocket, to: SocketAddr, bytes: &[u8]) -> bool {
        if self.connected.is_some() {
            return false;
        }
        match socket.try_send_to(bytes, to) {
            Ok(_) => {
                self.stats.datagrams_out.fetch_add(1, Ordering::Relaxed);
                self.stats
                    .bytes_out
                    .fetch_add(bytes.len() as u64, Ordering::Relaxed);
                true
            }
            Err(_) => false,
        }
    }

    /// Answers a delivered datagram per mode, as the loop guard decided.
    async fn answer(
        &mut self,
        socket: &UdpSocket,
        from: SocketAddr,
        bytes: &[u8],
        now: std::time::Instant,
        verdict: Verdict,
    ) {
        match verdict {
            Verdict::Reply => {}
            Verdict::Skip => return,
            Verdict::Pause(reason) => {
                self.emit(UdpEvent::Error { reason }).await;
                return;
            }
            Verdict::ReplyAndWarn(reason) => {
                self.emit(UdpEvent::LoopSuspect { peer: from, reason })
                    .await;
            }
        }
        // Echo answers with the very bytes read: no copy.
        let reply: std::borrow::Cow<'_, [u8]> = match self.mode {
            UdpMode::Greet => hello(bytes).into(),
            UdpMode::Echo => bytes.into(),
            UdpMode::Silent => return,
            UdpMode::Rules => {
                // Each datagram is the unit; there is no connection, so
                // `close` answers nothing, like `ignore`.
                let rules = self.rules.clone();
                let Some(matched) = rules.and_then(|r| r.answer(bytes, self.replies + 1, from))
                else {
                    return;
                };
                let rule = matched.rule;
                self.offer(|| UdpEvent::RuleMatched { from, rule }).await;
                match matched.action {
                    crate::behaviour::rules::Action::Reply(reply) => {
                        self.replies += 1;
                        reply.into()
                    }
                    crate::behaviour::rules::Action::Close
                    | crate::behaviour::rules::Action::Ignore => return,
                }
            }
        };
        if self.send(socket, from, &reply).await {
            self.guard.replied(from, &reply, now);
        }
    }
}
