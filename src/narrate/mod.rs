//! The words netplay uses for what happens, one module per engine part,
//! shared by the TUI and the headless commands so both say the same thing:
//! [`server`], [`client`], [`udp`], [`relay`], [`http`]. Sentences hold no peer bytes
//! (those pass the untrusted-bytes gate where they are shown).

pub mod client;
pub mod http;
pub mod relay;
pub mod server;
pub mod udp;
pub mod websocket;

pub use server::ServerNarrator;

use crate::net::Payload;

/// What kind of line it is: sets the marker (and, in the TUI, the colour).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Bytes that arrived.
    In,
    /// Bytes sent.
    Out,
    /// Bytes that arrived and went straight back (an echo).
    Echo,
    /// Something happened (accepted, closed).
    Info,
    /// A success worth noticing (listening, connected).
    Good,
    /// An error.
    Error,
}

impl Kind {
    /// `←`, `→`, `⇄`, `·`, `✓`, `✗`.
    pub fn marker(self) -> &'static str {
        match self {
            Kind::In => "←",
            Kind::Out => "→",
            Kind::Echo => "⇄",
            Kind::Info => "·",
            Kind::Good => "✓",
            Kind::Error => "✗",
        }
    }

    /// A stable lower-case name, for JSON output.
    pub fn name(self) -> &'static str {
        match self {
            Kind::In => "in",
            Kind::Out => "out",
            Kind::Echo => "echo",
            Kind::Info => "info",
            Kind::Good => "good",
            Kind::Error => "error",
        }
    }
}

/// One narrated event: the words, and the bytes it is about (if any), which
/// still have to pass the untrusted-bytes gate before display.
#[derive(Debug, Clone)]
pub struct Narration {
    /// Its kind.
    pub kind: Kind,
    /// The sentence; safe to display (it holds no peer bytes).
    pub text: String,
    /// Bytes read or written, shown after the text.
    pub data: Option<Payload>,
}

impl Narration {
    pub(crate) fn new(kind: Kind, text: String) -> Self {
        Self {
            kind,
            text,
            data: None,
        }
    }
}
