//! The TCP server's websocket layer: on a connection of a server with
//! WebSocket on, the first bytes are the upgrade request; after the `101`,
//! reads are frames, and the server's mode (greet, echo, rules, discard,
//! manual) answers whole messages instead of reads. What happens is told
//! as [`WsEvent`]s; what to write back comes out as bytes.

use std::sync::Arc;

use crate::behaviour::greet::{hello, Behaviour, WELCOME};
use crate::ws::frame::{self, close_payload, encode, Head, Opcode};
use crate::ws::handshake::{self, ServerSide};
use crate::ws::{Read, Reader, Role};
use crate::Payload;

pub use crate::ws::WsEvent;

/// How a server speaks WebSocket (given to its connections at accept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsOptions {
    /// The subprotocols it offers, in its order of preference.
    pub protocols: Vec<String>,
    /// The largest message (or frame) it takes; past it, close 1009.
    pub max_message: usize,
    /// Fail the connection on every broken rule (else flag and go on
    /// where possible).
    pub strict: bool,
}

impl Default for WsOptions {
    fn default() -> Self {
        Self {
            protocols: Vec::new(),
            max_message: crate::ws::MAX_MESSAGE,
            strict: true,
        }
    }
}

/// Bytes of unfinished frames and messages all WebSocket server
/// connections of this process may hold together: each may hold up to its
/// message cap (16 MiB), and a thousand peers that each send most of one
/// and stop must not take 16 GB.
pub const SERVER_BUDGET: usize = 256 * 1024 * 1024;

/// A budget of held bytes shared by connections.
pub struct Budget {
    held: std::sync::atomic::AtomicUsize,
    cap: usize,
}

/// What the connections of this process hold together.
static SERVERS: Budget = Budget::new(SERVER_BUDGET);

impl Budget {
    /// A budget of `cap` bytes.
    pub const fn new(cap: usize) -> Self {
        Self {
            held: std::sync::atomic::AtomicUsize::new(0),
            cap,
        }
    }

    /// What is held now.
    #[cfg(test)]
    pub fn held(&self) -> usize {
        self.held.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl Drop for WsConn {
    fn drop(&mut self) {
        self.budget
            .held
            .fetch_sub(self.accounted, std::sync::atomic::Ordering::Relaxed);
    }
}

/// What the connection must do after a read.
#[derive(Debug)]
pub enum WsAction {
    /// Tell the front end.
    Tell(WsEvent),
    /// Write these bytes (a handshake answer or frames).
    Write(Vec<u8>),
    /// End the connection (after the writes before it), for this reason.
    End(crate::CloseReason),
}

/// One connection's websocket state.
pub struct WsConn {
    options: Arc<WsOptions>,
    stats: Arc<crate::ConnStats>,
    peer: crate::stream::Endpoint,
    /// The request head while it arrives (bounded by `MAX_HEAD`).
    head: Vec<u8>,
    reader: Option<Reader>,
    messages: u64,
    close_sent: bool,
    /// What this connection counts in its budget.
    accounted: usize,
    budget: &'static Budget,
}

impl WsConn {
    /// A connection that has not upgraded yet.
    pub fn new(
        options: Arc<WsOptions>,
        peer: crate::stream::Endpoint,
        stats: Arc<crate::ConnStats>,
    ) -> Self {
        Self {
            options,
            stats,
            peer,
            head: Vec::new(),
            reader: None,
            messages: 0,
            close_sent: false,
            accounted: 0,
            budget: &SERVERS,
        }
    }

    /// [`WsConn::new`] counting in another budget (for tests of it).
    #[cfg(test)]
    pub fn with_budget(mut self, budget: &'static Budget) -> Self {
        self.budget = budget;
        self
    }

    /// Takes one read; what to tell and write, in order. `behaviour`
    /// answers each message; `rules`, rules mode's.
    pub fn feed(
        &mut self,
        bytes: &[u8],
        behaviour: Behaviour,
        rules: Option<&crate::behaviour::rules::Rules>,
    ) -> Vec<WsAction> {
        let mut actions = Vec::new();
        // Before the upgrade, bytes are the request head; what follows the
        // head in the same read is already frames.
        let mut after_head = None;
        if self.reader.is_none() {
            self.head.extend_from_slice(bytes);
            match handshake::accept(&self.head, &self.options.protocols) {
                ServerSide::Partial => return actions,
                ServerSide::Refused(reason, answer) => {
                    actions.push(WsAction::Tell(WsEvent::Refused {
                        reason: reason.clone(),
                    }));
                    actions.push(WsAction::Write(answer));
                    actions.push(WsAction::End(crate::CloseReason::Local(format!(
                        "WebSocket upgrade refused: {reason}"
                    ))));
                    return actions;
                }
                ServerSide::Upgraded(upgrade, used) => {
                    after_head = Some(self.head.split_off(used));
                    self.head = Vec::new();
                    actions.push(WsAction::Write(upgrade.response));
                    actions.push(WsAction::Tell(WsEvent::Upgraded {
                        path: upgrade.path,
                        protocol: upgrade.protocol,
                    }));
                    self.reader = Some(Reader::new(
                        Role::Server,
                        self.options.strict,
                        self.options.max_message,
                    ));
                    if behaviour == Behaviour::Greet {
                        self.send(&mut actions, Opcode::Text, WELCOME);
                    }
                }
            }
        }
        let bytes = after_head.as_deref().unwrap_or(bytes);
        let Some(reader) = self.reader.as_mut() else {
            return actions;
        };
        let reads = reader.feed(bytes);
        let held = reader.held();
        if let Err(reason) = self.account(held) {
            actions.push(WsAction::Tell(WsEvent::Violation {
                reason: reason.clone(),
                code: 1009,
                fatal: true,
            }));
            self.close(&mut actions, 1009, &reason);
            return actions;
        }
        for read in reads {
            match read {
                Read::Frame { head, preview } => actions.push(WsAction::Tell(WsEvent::Frame {
                    out: false,
                    head,
                    preview,
                })),
                Read::Message { text, data, frames } => {
                    if frames > 1 {
                        actions.push(WsAction::Tell(WsEvent::Message {
                            text,
                            frames,
                            data: Payload::first(&data, crate::ws::reader::FRAME_PREVIEW),
                        }));
                    }
                    self.answer(&mut actions, text, &data, behaviour, rules);
                }
                // A control frame carries at most 125 bytes, even when a
                // lenient read let a longer ping through.
                Read::Ping(payload) => self.send(
                    &mut actions,
                    Opcode::Pong,
                    &payload[..payload.len().min(125)],
                ),
                Read::Pong(_) => {}
                Read::Close { code, .. } => {
                    // Answered with the same code (RFC 6455 §5.5.1), then
                    // closed: the peer began it (its frame line has the
                    // code and reason).
                    if !self.close_sent {
                        self.close_sent = true;
                        let payload = match code {
                            Some(code) if frame::close_code_is_valid(code) => {
                                close_payload(code, "")
                            }
                            // Never echo a code that may not be sent.
                            Some(_) => close_payload(1002, "invalid close code"),
                            None => Vec::new(),
                        };
                        self.send(&mut actions, Opcode::Close, &payload);
                    }
                    actions.push(WsAction::End(crate::CloseReason::Peer));
                    break;
                }
                Read::Violation {
                    reason,
                    code,
                    fatal,
                } => {
                    actions.push(WsAction::Tell(WsEvent::Violation {
                        reason: reason.clone(),
                        code,
                        fatal,
                    }));
                    if fatal {
                        self.close(&mut actions, code, &reason);
                        break;
                    }
                }
            }
        }
        actions
    }

    /// Counts what this connection holds in the servers' budget; the
    /// reason when the budget is spent.
    fn account(&mut self, held: usize) -> Result<(), String> {
        use std::sync::atomic::Ordering;
        if held > self.accounted {
            let more = held - self.accounted;
            let total = self.budget.held.fetch_add(more, Ordering::Relaxed) + more;
            self.accounted = held;
            if total > self.budget.cap {
                return Err(format!(
                    "the WebSocket connections hold {} KiB of unfinished messages in all (the budget is {} KiB): this one, holding {} KiB, is closed",
                    total >> 10,
                    self.budget.cap >> 10,
                    held >> 10
                ));
            }
        } else {
            self.budget
                .held
                .fetch_sub(self.accounted - held, Ordering::Relaxed);
            self.accounted = held;
        }
        Ok(())
    }

    /// The frame for bytes the user sends by hand (manual mode): text when
    /// they are UTF-8, else binary.
    pub fn typed(&mut self, bytes: &[u8]) -> Vec<WsAction> {
        let mut actions = Vec::new();
        if self.reader.is_some() && !self.close_sent {
            let opcode = if std::str::from_utf8(bytes).is_ok() {
                Opcode::Text
            } else {
                Opcode::Binary
            };
            self.send(&mut actions, opcode, bytes);
        }
        actions
    }

    fn answer(
        &mut self,
        actions: &mut Vec<WsAction>,
        text: bool,
        data: &[u8],
        behaviour: Behaviour,
        rules: Option<&crate::behaviour::rules::Rules>,
    ) {
        self.messages += 1;
        self.stats.record_message(true);
        let opcode = if text { Opcode::Text } else { Opcode::Binary };
        match behaviour {
            Behaviour::Echo => self.send(actions, opcode, data),
            Behaviour::Greet => {
                if data.trim_ascii() == b"exit" {
                    self.close(actions, 1000, "client sent exit");
                } else {
                    let reply = hello(data);
                    let opcode = if std::str::from_utf8(&reply).is_ok() {
                        Opcode::Text
                    } else {
                        Opcode::Binary
                    };
                    self.send(actions, opcode, &reply);
                }
            }
            Behaviour::Rules => {
                let matched = rules.and_then(|rules| rules.answer(data, self.messages, &self.peer));
                match matched.map(|m| m.action) {
                    Some(crate::behaviour::rules::Action::Reply(bytes)) => {
                        let opcode = if std::str::from_utf8(&bytes).is_ok() {
                            Opcode::Text
                        } else {
                            Opcode::Binary
                        };
                        self.send(actions, opcode, &bytes);
                    }
                    Some(crate::behaviour::rules::Action::Close) => {
                        self.close(actions, 1000, "a rule closed it")
                    }
                    Some(crate::behaviour::rules::Action::Ignore) | None => {}
                }
            }
            Behaviour::Discard | Behaviour::Manual | Behaviour::Http => {}
        }
    }

    fn send(&mut self, actions: &mut Vec<WsAction>, opcode: Opcode, payload: &[u8]) {
        if matches!(opcode, Opcode::Text | Opcode::Binary) {
            self.stats.record_message(false);
        }
        let mut wire = Vec::with_capacity(payload.len() + 10);
        encode(&mut wire, true, opcode, payload, None);
        let head = frame::parse_head(&wire).unwrap_or(Head {
            fin: true,
            rsv: 0,
            opcode,
            mask: None,
            len: payload.len() as u64,
            head_len: 0,
        });
        actions.push(WsAction::Write(wire));
        actions.push(WsAction::Tell(WsEvent::Frame {
            out: true,
            head,
            preview: Payload::first(payload, crate::ws::reader::FRAME_PREVIEW),
        }));
    }

    fn close(&mut self, actions: &mut Vec<WsAction>, code: u16, reason: &str) {
        if !self.close_sent {
            self.close_sent = true;
            self.send(actions, Opcode::Close, &close_payload(code, reason));
        }
        let why = format!(
            "WebSocket close {code} ({}): {reason}",
            frame::close_code_words(code)
        );
        actions.push(WsAction::End(crate::CloseReason::Local(why)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upgraded(budget: &'static Budget) -> WsConn {
        let options = Arc::new(WsOptions::default());
        let peer = "127.0.0.1:1"
            .parse::<std::net::SocketAddr>()
            .unwrap()
            .into();
        let mut conn = WsConn::new(options, peer, crate::ConnStats::new()).with_budget(budget);
        let request = b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        conn.feed(request, Behaviour::Echo, None);
        conn
    }

    /// The head of a masked binary frame of `len` bytes and `part` of it.
    fn part_of_a_frame(len: u64, part: usize) -> Vec<u8> {
        let mut wire = vec![0x82, 0x80 | 127];
        wire.extend_from_slice(&len.to_be_bytes());
        wire.extend_from_slice(&[0, 0, 0, 0]);
        wire.extend(std::iter::repeat_n(7u8, part));
        wire
    }

    fn closed_with(actions: &[WsAction]) -> Option<String> {
        actions.iter().find_map(|action| match action {
            WsAction::Tell(WsEvent::Violation {
                reason, code: 1009, ..
            }) => Some(reason.clone()),
            _ => None,
        })
    }

    #[test]
    fn connections_holding_more_than_the_budget_together_are_closed_and_polite_ones_are_not() {
        static BUDGET: Budget = Budget::new(1 << 20);
        let mut first = upgraded(&BUDGET);
        let mut second = upgraded(&BUDGET);
        // Each holds 600 KiB of a 2 MiB frame it never finishes.
        assert!(closed_with(&first.feed(
            &part_of_a_frame(2 << 20, 600 << 10),
            Behaviour::Echo,
            None
        ))
        .is_none());
        let actions = second.feed(&part_of_a_frame(2 << 20, 600 << 10), Behaviour::Echo, None);
        let reason = closed_with(&actions).expect("past the budget");
        assert!(reason.contains("(the budget is 1024 KiB)"), "{reason}");
        drop(second);
        assert_eq!(
            BUDGET.held(),
            600 << 10 | 14,
            "what the closed one held is given back"
        );
        drop(first);
        assert_eq!(BUDGET.held(), 0);
        // A polite peer's whole messages hold nothing once answered.
        let mut polite = upgraded(&BUDGET);
        let mut message = vec![0x82, 0x80 | 126];
        message.extend_from_slice(&(60_000u16).to_be_bytes());
        message.extend_from_slice(&[0, 0, 0, 0]);
        message.extend(std::iter::repeat_n(1u8, 60_000));
        for _ in 0..50 {
            assert!(closed_with(&polite.feed(&message, Behaviour::Echo, None)).is_none());
        }
        assert_eq!(BUDGET.held(), 0);
    }
}
