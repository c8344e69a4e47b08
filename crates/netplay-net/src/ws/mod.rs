//! WebSocket (RFC 6455), sans I/O: the opening handshake ([`handshake`]),
//! frames as they are on the wire ([`frame`]) and the reading of one side
//! into frames and messages with every rule checked and every buffer
//! capped ([`reader`]). The TCP server's websocket layer drives them over
//! its connections; the frame view shows what they report.
//!
//! Written by hand rather than through a protocol library: what netplay
//! shows — mask keys, RSV bits, each fragment, a reserved opcode, the
//! exact close code — is what such a library normalises away. The tests
//! speak to it with one (tungstenite) as the real peer.

pub mod client;
mod event;
pub mod frame;
pub mod handshake;
pub mod message;
pub mod reader;
pub mod scanner;

pub use event::WsEvent;
pub use frame::{Head, Opcode};
pub use reader::{Read, Reader, Role, MAX_MESSAGE};
