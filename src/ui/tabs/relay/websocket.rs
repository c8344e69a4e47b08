//! The Relay tab once a pair speaks WebSocket: an inject writes a whole
//! frame (text, binary, ping or close — or raw bytes, to try a peer with
//! a broken one). Held chunks are the messages they carry
//! ([`crate::narrate::relay::held_view`] names them).

use crate::net::relay::DirCommand;
use crate::net::ws::frame::close_payload;
use crate::net::ws::Opcode;

/// What an inject into an upgraded pair writes (Alt+W cycles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum InjectAs {
    #[default]
    Text,
    Binary,
    Ping,
    Close,
    Bytes,
}

impl InjectAs {
    /// The next kind, as Alt+W goes round.
    pub(crate) fn next(self) -> Self {
        match self {
            InjectAs::Text => InjectAs::Binary,
            InjectAs::Binary => InjectAs::Ping,
            InjectAs::Ping => InjectAs::Close,
            InjectAs::Close => InjectAs::Bytes,
            InjectAs::Bytes => InjectAs::Text,
        }
    }

    /// The words for it in the inject pane's title.
    pub(crate) fn label(self) -> &'static str {
        match self {
            InjectAs::Text => "as a text message",
            InjectAs::Binary => "as a binary message",
            InjectAs::Ping => "as a ping",
            InjectAs::Close => "as a close (type a code and reason)",
            InjectAs::Bytes => "as raw bytes",
        }
    }

    /// The command that writes the typed bytes into an upgraded pair.
    pub(crate) fn command(self, typed: Vec<u8>) -> Result<DirCommand, String> {
        let opcode = match self {
            InjectAs::Text => Opcode::Text,
            InjectAs::Binary => Opcode::Binary,
            InjectAs::Ping => Opcode::Ping,
            InjectAs::Bytes => return Ok(DirCommand::Inject(typed)),
            InjectAs::Close => return close_frame(&typed),
        };
        if opcode.is_control() && typed.len() > 125 {
            return Err(format!(
                "a ping carries at most 125 bytes ({} typed)",
                typed.len()
            ));
        }
        Ok(DirCommand::InjectFrame(opcode, typed))
    }
}

/// `1000`, `4000 bye`, or nothing (1000). Any code is let through: the
/// relay is where a peer is tried with one it should refuse.
fn close_frame(typed: &[u8]) -> Result<DirCommand, String> {
    let typed = String::from_utf8_lossy(typed);
    let typed = typed.trim();
    let (code, reason) = typed.split_once(' ').unwrap_or((typed, ""));
    let code = match code {
        "" => 1000,
        code => code
            .parse::<u16>()
            .map_err(|_| format!("a close code is a number (1000, 4000 …), not {code:?}"))?,
    };
    let payload = close_payload(code, reason.trim());
    if payload.len() > 125 {
        return Err("a close reason fits in 123 bytes".into());
    }
    Ok(DirCommand::InjectFrame(Opcode::Close, payload))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_makes_its_frame_and_bad_input_is_said() {
        assert_eq!(
            InjectAs::Text.command(b"hi".to_vec()),
            Ok(DirCommand::InjectFrame(Opcode::Text, b"hi".to_vec()))
        );
        assert_eq!(
            InjectAs::Bytes.command(b"\x81\x00".to_vec()),
            Ok(DirCommand::Inject(b"\x81\x00".to_vec()))
        );
        assert_eq!(
            InjectAs::Close.command(b"4000 bye".to_vec()),
            Ok(DirCommand::InjectFrame(
                Opcode::Close,
                close_payload(4000, "bye")
            ))
        );
        assert_eq!(
            InjectAs::Close.command(Vec::new()),
            Ok(DirCommand::InjectFrame(
                Opcode::Close,
                close_payload(1000, "")
            ))
        );
        assert!(InjectAs::Close.command(b"bye".to_vec()).is_err());
        assert!(InjectAs::Ping.command(vec![b'x'; 126]).is_err());
        let mut kind = InjectAs::default();
        for _ in 0..5 {
            kind = kind.next();
        }
        assert_eq!(kind, InjectAs::Text, "Alt+W goes round");
    }
}
