//! What a WebSocket reports to a front end, on either side (the TCP
//! server's connections, the HTTP tab's upgraded request).

use super::Head;
use crate::Payload;

/// What a WebSocket reports.
#[derive(Debug, Clone)]
pub enum WsEvent {
    /// The `101` went out (server) or came back checked (client).
    Upgraded {
        /// The request target.
        path: String,
        /// The subprotocol chosen.
        protocol: Option<String>,
    },
    /// The request was not a valid upgrade (answered with a 4xx, closed).
    Refused {
        /// Why, in words.
        reason: String,
    },
    /// A frame, either way.
    Frame {
        /// Sent by this side (else received).
        out: bool,
        /// Its head (FIN, RSV, opcode, mask key, length).
        head: Head,
        /// The start of its payload, unmasked.
        preview: Payload,
    },
    /// A message of more than one frame, reassembled.
    Message {
        /// Text or binary.
        text: bool,
        /// How many frames carried it.
        frames: usize,
        /// Its start, and exact length.
        data: Payload,
    },
    /// The peer broke a rule of RFC 6455.
    Violation {
        /// What was wrong.
        reason: String,
        /// The close code the rule calls for.
        code: u16,
        /// The connection is being failed for it.
        fatal: bool,
    },
}
