//! A relayed pair that upgrades to WebSocket, told frame by frame: the
//! server→client direction watches the first response for `101` with
//! `Upgrade: websocket`; from the byte after its head both directions
//! report each frame (head, unmasked preview) as it passes. Display only:
//! the bytes are forwarded as they are, and nothing but a 16 KiB head and
//! a frame's head and preview is ever held.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::{Dir, RelayEvent};
use crate::ws::scanner::Scanner;
use crate::ConnId;

/// The longest response head watched for the upgrade.
const HEAD_LIMIT: usize = 16 * 1024;

/// What one direction knows of the pair's protocol.
#[derive(Debug, Default)]
pub(crate) enum Watch {
    /// Nothing read yet (or, client → server, no upgrade yet).
    #[default]
    Start,
    /// Server → client: the first response head, while it arrives.
    Head(Vec<u8>),
    /// Upgraded: frames.
    Frames(Box<Scanner>),
    /// Not a WebSocket (or not found in the first response).
    Off,
}

/// What a read told about the WebSocket.
pub(crate) enum Seen {
    /// The 101 passed: frames follow from byte `at` of this read.
    Upgraded { at: usize },
    /// A frame passed.
    Frame(crate::ws::scanner::Passed),
}

impl Watch {
    /// Whether frames are being read (the pair upgraded, this way too).
    pub(crate) fn is_frames(&self) -> bool {
        matches!(self, Watch::Frames(_))
    }

    /// Whether the bytes read so far end between messages (before the
    /// first frame, they do).
    pub(crate) fn at_boundary(&self) -> bool {
        match self {
            Watch::Frames(scanner) => scanner.at_boundary(),
            _ => true,
        }
    }

    /// Takes one read of `dir`; `upgraded` is the pair's shared switch.
    pub(crate) fn read(&mut self, dir: Dir, bytes: &[u8], upgraded: &AtomicBool) -> Vec<Seen> {
        match self {
            Watch::Off => Vec::new(),
            Watch::Frames(scanner) => frames(scanner, bytes),
            Watch::Start if dir == Dir::Up => {
                if !upgraded.load(Ordering::Relaxed) {
                    return Vec::new();
                }
                let mut scanner = Box::new(Scanner::new());
                let seen = frames(&mut scanner, bytes);
                *self = Watch::Frames(scanner);
                seen
            }
            Watch::Start => {
                *self = Watch::Head(Vec::new());
                self.read(dir, bytes, upgraded)
            }
            Watch::Head(head) => {
                let room = HEAD_LIMIT.saturating_sub(head.len());
                head.extend_from_slice(&bytes[..bytes.len().min(room)]);
                if !b"HTTP/1.".starts_with(&head[..head.len().min(7)]) {
                    *self = Watch::Off;
                    return Vec::new();
                }
                let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") else {
                    if head.len() >= HEAD_LIMIT {
                        *self = Watch::Off;
                    }
                    return Vec::new();
                };
                let end = end + 4;
                let lower = head[..end].to_ascii_lowercase();
                let is_upgrade = head.get(9..12) == Some(b"101")
                    && lower.windows(18).any(|w| w == b"upgrade: websocket");
                if !is_upgrade {
                    *self = Watch::Off;
                    return Vec::new();
                }
                // The bytes of this read after the head are frames already.
                let consumed_before = head.len() - bytes.len().min(room);
                let at = (end - consumed_before).min(bytes.len());
                upgraded.store(true, Ordering::Relaxed);
                let mut scanner = Box::new(Scanner::new());
                let mut seen = vec![Seen::Upgraded { at }];
                seen.extend(frames(&mut scanner, &bytes[at..]).into_iter().map(
                    |seen| match seen {
                        Seen::Frame(mut passed) => {
                            passed.end += at;
                            Seen::Frame(passed)
                        }
                        other => other,
                    },
                ));
                *self = Watch::Frames(scanner);
                seen
            }
        }
    }
}

fn frames(scanner: &mut Scanner, bytes: &[u8]) -> Vec<Seen> {
    scanner.feed(bytes).into_iter().map(Seen::Frame).collect()
}

/// The pair's switch, shared by both directions.
pub(crate) fn switch() -> Arc<AtomicBool> {
    Arc::new(AtomicBool::new(false))
}

/// The event for what was seen.
pub(crate) fn event(pair: ConnId, dir: Dir, seen: Seen) -> RelayEvent {
    match seen {
        Seen::Upgraded { .. } => RelayEvent::WsUpgraded { pair },
        Seen::Frame(passed) => RelayEvent::WsFrame {
            pair,
            dir,
            frame: Box::new((passed.head, passed.payload)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ws::frame::{encode, Opcode};

    #[test]
    fn the_101_switches_both_directions_to_frames() {
        let upgraded = AtomicBool::new(false);
        let mut up = Watch::default();
        let mut down = Watch::default();
        assert!(up
            .read(
                Dir::Up,
                b"GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n",
                &upgraded
            )
            .is_empty());
        let mut answer = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n\r\n".to_vec();
        encode(&mut answer, true, Opcode::Text, b"Welcome!", None);
        let (first, second) = answer.split_at(20);
        assert!(down.read(Dir::Down, first, &upgraded).is_empty());
        let seen = down.read(Dir::Down, second, &upgraded);
        assert!(matches!(seen[0], Seen::Upgraded { at } if at == answer.len() - 10 - 20));
        assert!(
            matches!(&seen[1], Seen::Frame(p) if p.head.opcode == Opcode::Text && &p.payload.preview[..] == b"Welcome!" && p.end == second.len() && p.boundary)
        );
        let mut frame = Vec::new();
        encode(&mut frame, true, Opcode::Text, b"hi", Some([3, 3, 3, 3]));
        let seen = up.read(Dir::Up, &frame, &upgraded);
        assert!(matches!(&seen[0], Seen::Frame(p) if &p.payload.preview[..] == b"hi"));
    }

    #[test]
    fn a_plain_http_answer_or_other_bytes_switch_it_off() {
        let upgraded = AtomicBool::new(false);
        let mut down = Watch::default();
        assert!(down
            .read(Dir::Down, b"HTTP/1.1 200 OK\r\n\r\nbody", &upgraded)
            .is_empty());
        assert!(matches!(down, Watch::Off));
        let mut down = Watch::default();
        down.read(Dir::Down, b"Welcome!", &upgraded);
        assert!(matches!(down, Watch::Off));
        assert!(!upgraded.load(Ordering::Relaxed));
    }
}
