//! The server behaviours, as pure decisions about what to answer to a chunk
//! of bytes; the socket work lives in [`crate::tcp_server`].

use std::time::Duration;

/// What the TCP server does with the bytes it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Behaviour {
    /// The tutorial's protocol: `Welcome!` on accept, `Hello, <chunk>!` per
    /// read, `exit` closes.
    #[default]
    Greet,
    /// Sends every read back unchanged.
    Echo,
    /// Reads and counts, never answers.
    Discard,
    /// No automatic answer: the user types replies.
    Manual,
    /// Answers each HTTP/1.1 request with a small valid response.
    Http,
    /// Answers each line by the first matching rule (`net::rules`).
    Rules,
}

impl Behaviour {
    /// Every behaviour, in the order a UI cycles through them.
    pub const ALL: [Behaviour; 6] = [
        Behaviour::Greet,
        Behaviour::Echo,
        Behaviour::Discard,
        Behaviour::Manual,
        Behaviour::Http,
        Behaviour::Rules,
    ];

    /// The lower-case name shown in the UI and accepted on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Behaviour::Greet => "greet",
            Behaviour::Echo => "echo",
            Behaviour::Discard => "discard",
            Behaviour::Manual => "manual",
            Behaviour::Http => "http",
            Behaviour::Rules => "rules",
        }
    }

    /// The next behaviour in [`Behaviour::ALL`], wrapping around.
    pub fn next(self) -> Self {
        let at = Self::ALL.iter().position(|b| *b == self).unwrap_or(0);
        Self::ALL[(at + 1) % Self::ALL.len()]
    }
}

/// How a running server behaves; changed live through a watch channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ServerConfig {
    /// What to answer.
    pub behaviour: Behaviour,
    /// Pause before each automatic reply (the tutorial slept 1 s).
    pub reply_delay: Duration,
    /// Connections open at once; beyond it new ones are closed at accept.
    pub max_connections: Option<usize>,
    /// Close a connection after this long with nothing read (fixed for each
    /// connection when it is accepted).
    pub idle_timeout: Option<Duration>,
    /// Report each connection's `TCP_INFO` every second and at its close
    /// (fixed for each connection when it is accepted).
    pub tcp_info: bool,
}

/// The greeting sent on accept in greet mode.
pub const WELCOME: &[u8] = b"Welcome!";

/// What greet mode does with one chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GreetAction {
    /// Send these bytes.
    Reply(Vec<u8>),
    /// The chunk was `exit`: close the connection.
    Close,
}

/// Greet mode's answer to one read: `Hello, <chunk>!`, or close on `exit`.
///
/// A chunk ending in `\n` or `\r\n` (what `nc` and telnet send) is answered
/// `Hello, <name>!` followed by the same line ending, so line-based clients
/// get a line back; a bare chunk (the tutorial's client) gets a bare reply.
pub fn greet(chunk: &[u8]) -> GreetAction {
    let (body, _) = split_line_ending(chunk);
    if body == b"exit" {
        return GreetAction::Close;
    }
    GreetAction::Reply(hello(chunk))
}

/// `Hello, <chunk>!`, with a trailing `\n` or `\r\n` of the chunk moved
/// after the `!` (the UDP tab's greet mode uses it too).
pub fn hello(chunk: &[u8]) -> Vec<u8> {
    let (body, eol) = split_line_ending(chunk);
    let mut reply = Vec::with_capacity(body.len() + 9 + eol.len());
    reply.extend_from_slice(b"Hello, ");
    reply.extend_from_slice(body);
    reply.push(b'!');
    reply.extend_from_slice(eol);
    reply
}

pub(crate) fn split_line_ending(chunk: &[u8]) -> (&[u8], &[u8]) {
    if let Some(body) = chunk.strip_suffix(b"\r\n") {
        (body, b"\r\n")
    } else if let Some(body) = chunk.strip_suffix(b"\n") {
        (body, b"\n")
    } else {
        (chunk, b"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tutorial_protocol() {
        assert_eq!(
            greet(b"Michael"),
            GreetAction::Reply(b"Hello, Michael!".to_vec())
        );
        assert_eq!(
            greet(b"Tracy\n"),
            GreetAction::Reply(b"Hello, Tracy!\n".to_vec())
        );
        assert_eq!(
            greet(b"Sarah\r\n"),
            GreetAction::Reply(b"Hello, Sarah!\r\n".to_vec())
        );
        assert_eq!(greet(b"exit"), GreetAction::Close);
        assert_eq!(greet(b"exit\n"), GreetAction::Close);
        assert_eq!(greet(b"exit\r\n"), GreetAction::Close);
        assert_eq!(
            greet(b"exits"),
            GreetAction::Reply(b"Hello, exits!".to_vec())
        );
    }

    #[test]
    fn behaviours_cycle() {
        let mut b = Behaviour::Greet;
        for _ in 0..Behaviour::ALL.len() {
            b = b.next();
        }
        assert_eq!(b, Behaviour::Greet);
        assert_eq!(Behaviour::Http.next(), Behaviour::Rules);
        assert_eq!(Behaviour::Rules.next(), Behaviour::Greet);
    }
}
