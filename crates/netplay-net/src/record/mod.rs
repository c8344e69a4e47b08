//! Recorded sessions: one JSON object per line. The first line is a
//! header (`{"netplay_record":1,"local":…,"remote":…}`); each next line is
//! one event at a time offset in microseconds: bytes in or out (exact,
//! in netplay's escape syntax) or the lifecycle (`connected`,
//! `half_close`, `closed`).
//!
//! ```text
//! {"netplay_record":1,"side":"client","local":"127.0.0.1:50000","remote":"127.0.0.1:9999"}
//! {"t_us":0,"event":"connected"}
//! {"t_us":1520,"dir":"in","data":"Welcome!"}
//! {"t_us":2210,"dir":"out","data":"Michael"}
//! ```
//!
//! [`recorder`] writes a live connection's recording; [`replay`] plays one
//! back as a peer.

pub mod recorder;
pub mod replay;
pub mod replay_ws;

use std::time::Duration;

/// The format's version, in the header.
pub const VERSION: u64 = 1;

/// Which way bytes went, seen from the recording side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    /// Received by the recording side.
    In,
    /// Sent by the recording side.
    Out,
}

impl Way {
    /// The other direction.
    pub fn opposite(self) -> Way {
        match self {
            Way::In => Way::Out,
            Way::Out => Way::In,
        }
    }
}

/// One recorded event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// Bytes, at an offset from the start.
    Data {
        /// When.
        at: Duration,
        /// Which way.
        way: Way,
        /// The exact bytes.
        bytes: Vec<u8>,
    },
    /// The lifecycle: `connected`, `half_close`, `closed`.
    Life {
        /// When.
        at: Duration,
        /// What.
        what: String,
    },
}

/// Which end of the connection the recording was made at: `replay
/// --serve` plays the server's side of either, `--connect` the client's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The client's end (`tcp connect`, the client tab, a relay pair seen
    /// from its client): `out` is what the client sent.
    Client,
    /// The server's end (a server tab connection): `out` is what the
    /// server sent.
    Server,
}

impl Side {
    /// The direction of the server's bytes in a recording made at this end.
    pub fn server_sends(self) -> Way {
        match self {
            Side::Client => Way::In,
            Side::Server => Way::Out,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Side::Client => "client",
            Side::Server => "server",
        }
    }
}

/// A whole recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recording {
    /// The recording side's address.
    pub local: String,
    /// The peer's address.
    pub remote: String,
    /// Which end it was made at (`client` when the header does not say).
    pub side: Side,
    /// The events, in order.
    pub entries: Vec<Entry>,
    /// When its offsets start (Unix time), when the header says
    /// (`start_us`; recordings made before it did, do not).
    pub start: Option<std::time::SystemTime>,
}

/// The header line; `started`: the moment the offsets count from.
pub fn header_line(local: &str, remote: &str, side: Side, started: std::time::Instant) -> String {
    let start = std::time::SystemTime::now()
        .checked_sub(started.elapsed())
        .and_then(|start| start.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |since| since.as_micros() as u64);
    crate::json::json_object(&[
        ("netplay_record", VERSION.into()),
        ("side", side.name().into()),
        ("local", local.into()),
        ("remote", remote.into()),
        ("start_us", start.into()),
    ])
}

/// A line for bytes going `way` at `at`.
pub fn data_line(at: Duration, way: Way, bytes: &[u8]) -> String {
    crate::json::json_object(&[
        ("t_us", (at.as_micros() as u64).into()),
        (
            "dir",
            match way {
                Way::In => "in",
                Way::Out => "out",
            }
            .into(),
        ),
        ("data", crate::text::escape_bytes(bytes).as_str().into()),
    ])
}

/// A lifecycle line.
pub fn life_line(at: Duration, what: &str) -> String {
    crate::json::json_object(&[
        ("t_us", (at.as_micros() as u64).into()),
        ("event", what.into()),
    ])
}

/// Reads a recording; a malformed line or an unknown version is an error
/// naming the line.
pub fn parse(text: &str) -> Result<Recording, String> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty());
    let (_, first) = lines.next().ok_or("an empty recording")?;
    let header: serde_json::Value =
        serde_json::from_str(first).map_err(|err| format!("line 1: not JSON: {err}"))?;
    let version = header
        .get("netplay_record")
        .and_then(serde_json::Value::as_u64)
        .ok_or("line 1: not a netplay recording (no \"netplay_record\" version)")?;
    if version != VERSION {
        return Err(format!(
            "line 1: recording format {version}; this netplay reads format {VERSION}"
        ));
    }
    let text_of = |value: &serde_json::Value, key: &str| {
        value
            .get(key)
            .and_then(serde_json::Value::as_str)
            .map(str::to_string)
    };
    let mut recording = Recording {
        local: text_of(&header, "local").unwrap_or_default(),
        remote: text_of(&header, "remote").unwrap_or_default(),
        side: match text_of(&header, "side").as_deref() {
            None | Some("client") => Side::Client,
            Some("server") => Side::Server,
            Some(other) => {
                return Err(format!(
                    "line 1: \"side\" is {:?}; it must be \"client\" or \"server\"",
                    crate::text::sanitize(other.as_bytes())
                ))
            }
        },
        entries: Vec::new(),
        start: header
            .get("start_us")
            .and_then(serde_json::Value::as_u64)
            .map(|us| std::time::UNIX_EPOCH + Duration::from_micros(us)),
    };
    for (index, line) in lines {
        let number = index + 1;
        let value: serde_json::Value =
            serde_json::from_str(line).map_err(|err| format!("line {number}: not JSON: {err}"))?;
        let at = value
            .get("t_us")
            .and_then(serde_json::Value::as_u64)
            .map(Duration::from_micros)
            .ok_or(format!("line {number}: no \"t_us\" offset"))?;
        if let Some(what) = text_of(&value, "event") {
            recording.entries.push(Entry::Life { at, what });
            continue;
        }
        let way = match text_of(&value, "dir").as_deref() {
            Some("in") => Way::In,
            Some("out") => Way::Out,
            _ => return Err(format!("line {number}: \"dir\" must be \"in\" or \"out\"")),
        };
        let data = text_of(&value, "data").ok_or(format!("line {number}: no \"data\""))?;
        let bytes = crate::text::parse_escapes(&data)
            .map_err(|err| format!("line {number}: bad data: {err}"))?;
        recording.entries.push(Entry::Data { at, way, bytes });
    }
    Ok(recording)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip_any_bytes_and_bad_input_names_its_line() {
        let text = [
            header_line(
                "127.0.0.1:1",
                "127.0.0.1:2",
                Side::Server,
                std::time::Instant::now(),
            ),
            life_line(Duration::ZERO, "connected"),
            data_line(Duration::from_micros(1500), Way::In, b"Welcome!"),
            data_line(Duration::from_micros(2200), Way::Out, b"a\\b\n\x00\xff\"'"),
            life_line(Duration::from_micros(3000), "closed"),
        ]
        .join("\n");
        let recording = parse(&text).unwrap();
        assert_eq!(recording.local, "127.0.0.1:1");
        assert_eq!(recording.side, Side::Server);
        assert_eq!(recording.entries.len(), 4);
        assert_eq!(
            recording.entries[2],
            Entry::Data {
                at: Duration::from_micros(2200),
                way: Way::Out,
                bytes: b"a\\b\n\x00\xff\"'".to_vec()
            }
        );
        for (bad, why) in [
            ("", "empty"),
            ("{\"netplay_record\":2}", "format 2"),
            ("{\"other\":1}", "not a netplay recording"),
            ("{\"netplay_record\":1,\"side\":\"middle\"}", "\"side\""),
            (
                "{\"netplay_record\":1}\n{\"t_us\":1,\"dir\":\"sideways\",\"data\":\"x\"}",
                "line 2",
            ),
            ("{\"netplay_record\":1}\nnot json", "line 2: not JSON"),
        ] {
            let err = parse(bad).unwrap_err();
            assert!(err.contains(why), "{bad:?}: {err}");
        }
    }
}
