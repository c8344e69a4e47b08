//! The TCP server's websocket layer: on a connection of a server with
//! WebSocket on, the first bytes are the upgrade request; after the `101`,
//! reads are frames, and the server's mode (greet, echo, rules, discard,
//! manual) answers whole messages instead of reads. What happens is told
//! as [`WsEvent`]s; what to write back comes out as bytes.

use std::net::SocketAddr;
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
    peer: SocketAddr,
    /// The request head while it arrives (bounded by `MAX_HEAD`).
    head: Vec<u8>,
    reader: Option<Reader>,
    messages: u64,
    close_sent: bool,
}

impl WsConn {
    /// A connection that has not upgraded yet.
    pub fn new(options: Arc<WsOptions>, peer: SocketAddr, stats: Arc<crate::ConnStats>) -> Self {
        Self {
            options,
            stats,
            peer,
            head: Vec::new(),
            reader: None,
            messages: 0,
            close_sent: false,
        }
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
                let matched = rules.and_then(|rules| rules.answer(data, self.messages, self.peer));
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
