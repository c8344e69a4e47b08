//! Replay of a recorded WebSocket session as messages, not bytes.
//!
//! Bytes cannot be played back: a new client brings a fresh
//! `Sec-WebSocket-Key` (the recorded `Sec-WebSocket-Accept` would be
//! wrong), and its frames carry their own mask keys, so byte counts say
//! nothing about where the conversation is. So, as a mock server, netplay
//! answers the upgrade itself (with the recorded subprotocol) and then
//! sends what the recorded server sent, each piece once the client has
//! sent as many messages as the recorded client had by then; as a client,
//! it sends the recorded request and frames (a mask key may be used
//! again) and compares the server's *messages* with the recorded ones —
//! fragmentation and pings may differ, the conversation may not.

use std::time::Duration;

use tokio::io::AsyncWriteExt;

use super::replay::{read_or_quiet, Answers, Difference, Unit, CLIENT_IDLE};
use super::{Entry, Recording, Way};
use crate::ws::handshake::{self, ServerSide, MAX_HEAD};
use crate::ws::scanner::Scanner;
use crate::ws::{Opcode, Read, Reader, Role, MAX_MESSAGE};

/// One piece a side sent after its head: where its bytes are in the
/// recording, when, and how many of the other side's messages had arrived.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Send {
    entry: usize,
    start: usize,
    end: usize,
    at: Duration,
    after: usize,
}

/// A recorded WebSocket session, read for replay.
#[derive(Debug)]
pub struct Plan {
    /// The client's upgrade request, as sent.
    request: Vec<u8>,
    /// The subprotocol the recorded server chose.
    protocol: Option<String>,
    /// Each side's pieces after its head (`[client, server]`).
    sends: [Vec<Send>; 2],
    /// How many messages (data and close) each side sent in all.
    messages: [usize; 2],
}

/// A side's head, while it arrives.
struct Head {
    bytes: Vec<u8>,
    done: bool,
}

/// Reads `recording` as a WebSocket session: `None` unless the client
/// asked for an upgrade and the server answered `101`.
pub fn plan(recording: &Recording) -> Option<Plan> {
    let server_sends = recording.side.server_sends();
    let index = |way: Way| usize::from(way == server_sends);
    let mut heads = [Head::new(), Head::new()];
    let mut scanners = [Scanner::new(), Scanner::new()];
    // The `after` of each side's last piece.
    let mut last_after = [0usize; 2];
    // Each side's data messages so far (its close not counted).
    let mut data_messages = [0usize; 2];
    let mut plan = Plan {
        request: Vec::new(),
        protocol: None,
        sends: [Vec::new(), Vec::new()],
        messages: [0, 0],
    };
    for (entry, data) in recording.entries.iter().enumerate() {
        let Entry::Data { at, way, bytes } = data else {
            continue;
        };
        let side = index(*way);
        let mut start = 0;
        if !heads[side].done {
            start = heads[side].take(bytes)?;
            if !heads[side].done {
                continue;
            }
            if side == 0 {
                plan.request = heads[0].bytes.clone();
            } else {
                plan.protocol = header(&heads[1].bytes, "sec-websocket-protocol");
            }
            if start == bytes.len() {
                continue;
            }
        }
        // A read may hold several messages (answers to several of the
        // other side's): they go one per new message of the other side,
        // never later than recorded; a close answers whatever came.
        let arrived = plan.messages[1 - side];
        // A data message never waits for the other side's close: a client
        // that closed before the answers were recorded (its stdin ended
        // first) still gets them while it waits, as it did then.
        let arrived_data = data_messages[1 - side];
        let mut next = last_after[side];
        let mut piece_start = start;
        let passed = scanners[side].feed(&bytes[start..]);
        for frame in &passed {
            if !counts(frame) {
                continue;
            }
            let is_close = frame.head.opcode == Opcode::Close;
            next = if is_close {
                arrived
            } else {
                (next + 1).min(arrived_data)
            };
            let end = start + frame.end;
            plan.sends[side].push(Send {
                entry,
                start: piece_start,
                end,
                at: *at,
                after: next.max(last_after[side]),
            });
            last_after[side] = next.max(last_after[side]);
            plan.messages[side] += 1;
            data_messages[side] += usize::from(!is_close);
            piece_start = end;
        }
        if piece_start < bytes.len() {
            // Control frames or the start of a message: with what came
            // before them.
            plan.sends[side].push(Send {
                entry,
                start: piece_start,
                end: bytes.len(),
                at: *at,
                after: last_after[side],
            });
        }
    }
    let is_upgrade = heads[0].done
        && heads[0].bytes.starts_with(b"GET ")
        && header(&heads[0].bytes, "upgrade").is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    let answered = heads[1].done && heads[1].bytes.get(9..12) == Some(b"101");
    (is_upgrade && answered).then_some(plan)
}

impl Head {
    fn new() -> Self {
        Self {
            bytes: Vec::new(),
            done: false,
        }
    }

    /// Takes bytes of the head; where the frames start in `bytes` (its
    /// length while the head goes on). `None`: no head within the cap.
    fn take(&mut self, bytes: &[u8]) -> Option<usize> {
        let before = self.bytes.len();
        let room = (MAX_HEAD + 4).saturating_sub(before);
        self.bytes
            .extend_from_slice(&bytes[..bytes.len().min(room)]);
        match self.bytes.windows(4).position(|w| w == b"\r\n\r\n") {
            Some(end) => {
                self.bytes.truncate(end + 4);
                self.done = true;
                Some(end + 4 - before)
            }
            None if self.bytes.len() > MAX_HEAD => None,
            None => Some(bytes.len()),
        }
    }
}

/// Whether a frame ends a message that counts in a conversation: a data
/// message's last frame, or a close (pings and pongs come at each peer's
/// own pace).
fn counts(frame: &crate::ws::scanner::Passed) -> bool {
    frame.head.opcode == Opcode::Close || frame.boundary && !frame.head.opcode.is_control()
}

/// How many frames among `frames` end a message that counts.
fn ended(frames: &[crate::ws::scanner::Passed]) -> usize {
    frames.iter().filter(|frame| counts(frame)).count()
}

/// A header's value in a head, if present.
fn header(head: &[u8], name: &str) -> Option<String> {
    let text = String::from_utf8_lossy(head);
    text.lines().skip(1).find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then(|| value.trim().to_string())
    })
}

impl Plan {
    fn bytes<'a>(&self, recording: &'a Recording, send: &Send) -> &'a [u8] {
        match &recording.entries[send.entry] {
            Entry::Data { bytes, .. } => &bytes[send.start..send.end],
            Entry::Life { .. } => &[],
        }
    }

    /// The client's upgrade request, as recorded.
    pub(crate) fn request(&self) -> &[u8] {
        &self.request
    }

    /// The client's pieces after the request.
    pub(crate) fn client_sends<'a>(
        &'a self,
        recording: &'a Recording,
    ) -> impl Iterator<Item = (&'a [u8], usize)> + 'a {
        self.sends[0]
            .iter()
            .map(move |send| (self.bytes(recording, send), send.after))
    }
}

/// Plays the recorded server to one accepted client: answers its upgrade,
/// then sends the recorded frames as the conversation gets to them.
/// Returns how many messages the client sent.
pub async fn serve_one(
    mut stream: impl super::replay::Conn,
    recording: &Recording,
    plan: &Plan,
    timing: bool,
) -> std::io::Result<usize> {
    let started = tokio::time::Instant::now();
    let mut buffer = vec![0u8; 16 * 1024];
    let mut head = Vec::new();
    let leftover = loop {
        let n = read_or_quiet(&mut stream, &mut buffer).await?;
        if n == 0 {
            return Ok(0);
        }
        head.extend_from_slice(&buffer[..n]);
        let protocols: Vec<String> = plan.protocol.iter().cloned().collect();
        match handshake::accept(&head, &protocols) {
            ServerSide::Partial => continue,
            ServerSide::Upgraded(upgrade, used) => {
                stream.write_all(&upgrade.response).await?;
                break head.split_off(used);
            }
            ServerSide::Refused(_, answer) => {
                stream.write_all(&answer).await?;
                stream.shutdown().await?;
                return Ok(0);
            }
        }
    };
    // Frames are counted as they pass, never held: a client's big or
    // never-ending frame costs the mock server nothing.
    let mut scanner = Scanner::new();
    let mut received = ended(&scanner.feed(&leftover));
    for send in &plan.sends[1] {
        if timing {
            tokio::time::sleep_until(started + send.at).await;
        } else {
            while received < send.after {
                let n = read_or_quiet(&mut stream, &mut buffer).await?;
                if n == 0 {
                    return Ok(received);
                }
                received += ended(&scanner.feed(&buffer[..n]));
            }
        }
        let bytes = plan.bytes(recording, send);
        tokio::time::timeout(CLIENT_IDLE, stream.write_all(bytes))
            .await
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))??;
    }
    while received < plan.messages[0] {
        let n = read_or_quiet(&mut stream, &mut buffer).await?;
        if n == 0 {
            break;
        }
        received += ended(&scanner.feed(&buffer[..n]));
    }
    stream.shutdown().await?;
    Ok(received)
}

/// The recorded server's messages, each in words, to compare a live
/// server's with.
pub(crate) fn expected_messages(recording: &Recording) -> Vec<String> {
    let server_sends = recording.side.server_sends();
    let mut head = Head::new();
    let mut reader = Reader::new(Role::Client, false, MAX_MESSAGE);
    let mut words = Vec::new();
    for entry in &recording.entries {
        let Entry::Data { way, bytes, .. } = entry else {
            continue;
        };
        if *way != server_sends {
            continue;
        }
        let mut start = 0;
        if !head.done {
            start = head.take(bytes).unwrap_or(bytes.len());
        }
        if head.done {
            words.extend(
                reader
                    .feed(&bytes[start..])
                    .iter()
                    .filter_map(message_words),
            );
        }
    }
    words
}

/// A message in words, as a difference shows it (data messages and close
/// frames; `None` for the rest).
pub(crate) fn message_words(read: &Read) -> Option<String> {
    const SHOWN: usize = 64;
    match read {
        Read::Message { text, data, .. } => {
            let kind = if *text { "text" } else { "binary" };
            let shown = &data[..data.len().min(SHOWN)];
            let more = if data.len() > SHOWN { "…" } else { "" };
            Some(format!(
                "{kind} ({} B) {}{more}",
                data.len(),
                crate::text::escape_bytes(shown)
            ))
        }
        Read::Close { code, reason } => Some(match code {
            Some(code) => format!("close {code} {reason}").trim_end().to_string(),
            None => "close (no code)".to_string(),
        }),
        Read::Violation {
            reason,
            fatal: true,
            ..
        } => Some(format!("a broken frame: {reason}")),
        _ => None,
    }
}

/// What the played client has read of a WebSocket server, compared
/// message by message with the recording as it arrives.
pub(crate) struct WsAnswers {
    expected: Vec<String>,
    head: Head,
    reader: Reader,
    got: usize,
    closed: bool,
}

const UPGRADED: &[u8] = b"HTTP/1.1 101 Switching Protocols";

impl WsAnswers {
    pub(crate) fn new(recording: &Recording) -> Self {
        Self {
            expected: expected_messages(recording),
            head: Head::new(),
            reader: Reader::new(Role::Client, false, MAX_MESSAGE),
            got: 0,
            closed: false,
        }
    }

    fn differ(&self, expected: &str, got: &str) -> Difference {
        Difference {
            unit: Unit::Message,
            offset: self.got,
            expected: expected.as_bytes().to_vec(),
            got: got.as_bytes().to_vec(),
        }
    }
}

impl Answers for WsAnswers {
    fn take(&mut self, read: Vec<u8>) -> Option<Difference> {
        if read.is_empty() {
            self.closed = true;
            return None;
        }
        let mut start = 0;
        if !self.head.done {
            let status = |head: &[u8]| {
                let line = head.split(|&b| b == b'\r').next().unwrap_or(head);
                line[..line.len().min(64)].to_vec()
            };
            let Some(at) = self.head.take(&read) else {
                let got = status(&self.head.bytes);
                return Some(upgrade_differs(got));
            };
            if !self.head.done {
                return None;
            }
            if self.head.bytes.get(9..12) != Some(b"101") {
                return Some(upgrade_differs(status(&self.head.bytes)));
            }
            start = at;
        }
        for read in self.reader.feed(&read[start..]) {
            let Some(words) = message_words(&read) else {
                continue;
            };
            self.got += 1;
            let expected = self.expected.get(self.got - 1).map(String::as_str);
            if expected != Some(words.as_str()) {
                return Some(self.differ(expected.unwrap_or("nothing more"), &words));
            }
        }
        None
    }

    fn closed(&self) -> bool {
        self.closed
    }

    fn progress(&self) -> usize {
        self.got
    }

    fn expected(&self) -> usize {
        self.expected.len()
    }

    fn verdict(&self) -> Option<Difference> {
        if !self.head.done {
            return Some(upgrade_differs(b"no answer".to_vec()));
        }
        let missing = self.expected.get(self.got)?;
        let mut difference = self.differ(missing, "nothing (the server closed or fell silent)");
        difference.offset += 1;
        Some(difference)
    }
}

fn upgrade_differs(got: Vec<u8>) -> Difference {
    Difference {
        unit: Unit::Upgrade,
        offset: 0,
        expected: UPGRADED.to_vec(),
        got,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Side;
    use crate::ws::frame::{encode, Opcode};

    fn data(at_ms: u64, way: Way, bytes: &[u8]) -> Entry {
        Entry::Data {
            at: Duration::from_millis(at_ms),
            way,
            bytes: bytes.to_vec(),
        }
    }

    fn session() -> Recording {
        let mut hello = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: x\r\nSec-WebSocket-Protocol: chat\r\n\r\n".to_vec();
        encode(&mut hello, true, Opcode::Text, b"Welcome!", None);
        let mut michael = Vec::new();
        encode(
            &mut michael,
            false,
            Opcode::Text,
            b"Mich",
            Some([1, 2, 3, 4]),
        );
        encode(&mut michael, true, Opcode::Ping, b"", Some([1, 2, 3, 4]));
        encode(
            &mut michael,
            true,
            Opcode::Continuation,
            b"ael",
            Some([4, 3, 2, 1]),
        );
        let mut reply = Vec::new();
        encode(&mut reply, true, Opcode::Text, b"Hello, Michael!", None);
        Recording {
            local: "a".into(),
            remote: "b".into(),
            side: Side::Client,
            start: None,
            entries: vec![
                data(
                    0,
                    Way::Out,
                    b"GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n",
                ),
                data(
                    1,
                    Way::Out,
                    b"Connection: Upgrade\r\nSec-WebSocket-Key: k\r\n\r\n",
                ),
                data(2, Way::In, &hello),
                data(3, Way::Out, &michael),
                data(4, Way::In, &reply),
            ],
        }
    }

    #[test]
    fn a_recorded_session_reads_as_messages_waiting_on_each_other() {
        let recording = session();
        let plan = plan(&recording).expect("a WebSocket session");
        assert!(plan.request.ends_with(b"Sec-WebSocket-Key: k\r\n\r\n"));
        assert_eq!(plan.protocol.as_deref(), Some("chat"));
        assert_eq!(plan.messages, [1, 2], "pings do not count");
        let server: Vec<(usize, usize)> =
            plan.sends[1].iter().map(|s| (s.start, s.after)).collect();
        assert_eq!(server.len(), 2);
        assert_eq!(server[0].1, 0, "Welcome! comes first");
        assert_eq!(server[1], (0, 1), "the reply waits for one message");
        assert_eq!(plan.bytes(&recording, &plan.sends[1][0])[..2], [0x81, 8]);
        assert_eq!(
            expected_messages(&recording),
            ["text (8 B) Welcome!", "text (15 B) Hello, Michael!"]
        );
    }

    /// A client whose close was recorded before the server's answers
    /// (its stdin ended first): the answers do not wait for a close.
    #[test]
    fn answers_never_wait_for_the_clients_close() {
        let mut recording = session();
        let mut close = Vec::new();
        encode(
            &mut close,
            true,
            Opcode::Close,
            &[3, 232],
            Some([9, 9, 9, 9]),
        );
        let reply = recording.entries.pop().expect("the reply");
        let hello = recording.entries.remove(2);
        recording.entries.push(data(5, Way::Out, &close));
        recording.entries.push(hello);
        recording.entries.push(reply);
        let plan = plan(&recording).expect("a WebSocket session");
        let afters: Vec<usize> = plan.sends[1].iter().map(|s| s.after).collect();
        assert!(afters.iter().all(|after| *after <= 1), "{afters:?}");
    }

    #[test]
    fn answers_read_together_go_one_per_message_of_the_other_side() {
        let mut recording = session();
        let mut tracy = Vec::new();
        encode(&mut tracy, true, Opcode::Text, b"Tracy", Some([9, 9, 9, 9]));
        encode(
            &mut tracy,
            true,
            Opcode::Close,
            &[3, 232],
            Some([9, 9, 9, 9]),
        );
        let mut replies = Vec::new();
        encode(&mut replies, true, Opcode::Text, b"Hello, Michael!", None);
        encode(&mut replies, true, Opcode::Text, b"Hello, Tracy!", None);
        encode(&mut replies, true, Opcode::Close, &[3, 232], None);
        recording.entries[4] = data(4, Way::Out, &tracy);
        recording.entries.push(data(5, Way::In, &replies));
        let plan = plan(&recording).unwrap();
        assert_eq!(plan.messages, [3, 4]);
        let afters: Vec<usize> = plan.sends[1].iter().map(|s| s.after).collect();
        assert_eq!(
            afters,
            [0, 1, 2, 3],
            "Welcome!, then one answer per message, the close last"
        );
        assert_eq!(
            &plan.bytes(&recording, &plan.sends[1][2])[2..],
            b"Hello, Tracy!"
        );
    }

    #[test]
    fn a_plain_session_or_a_refused_upgrade_is_not_one() {
        let mut recording = session();
        recording.entries[2] = data(2, Way::In, b"HTTP/1.1 400 Bad Request\r\n\r\n");
        assert!(plan(&recording).is_none());
        recording.entries = vec![data(0, Way::Out, b"Michael"), data(1, Way::In, b"Hello")];
        assert!(plan(&recording).is_none());
    }
}
