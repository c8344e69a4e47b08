//! The client side of a WebSocket, sans I/O: the upgrade request, the
//! check of the server's answer (status, `Sec-WebSocket-Accept`), then the
//! server's frames read as a client reads them, and masked frames to send.
//! `netplay ws URL` drives it over the TCP client engine.

use super::frame::{close_payload, encode, Opcode};
use super::handshake::{self, MAX_HEAD};
use super::reader::{Read, Reader, Role};

/// What a read brought the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientRead {
    /// The server answered 101 with the right accept key.
    Upgraded {
        /// The status line as sent (escaped for display).
        status: String,
        /// The subprotocol the server chose.
        protocol: Option<String>,
    },
    /// No upgrade: why, in words (the connection should be closed).
    Refused(String),
    /// After the upgrade: a frame, a message, a ping, a close, a broken rule.
    Read(Read),
}

/// One client's state.
pub struct Client {
    key: String,
    offered: Vec<String>,
    head: Vec<u8>,
    reader: Option<Reader>,
    strict: bool,
    max_message: usize,
}

impl Client {
    /// A client with a fresh key; `max_message` caps what the server may
    /// send in one message.
    pub fn new(strict: bool, max_message: usize) -> Self {
        Self {
            key: handshake::new_key(),
            offered: Vec::new(),
            head: Vec::new(),
            reader: None,
            strict,
            max_message,
        }
    }

    /// The upgrade request for `host` (the Host header) and `path`.
    pub fn request(
        &mut self,
        host: &str,
        path: &str,
        protocols: &[String],
        extra: &[String],
    ) -> Vec<u8> {
        self.offered = protocols.to_vec();
        handshake::request(host, path, &self.key, protocols, extra)
    }

    /// Whether the server has upgraded.
    pub fn upgraded(&self) -> bool {
        self.reader.is_some()
    }

    /// Takes the bytes of one read.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<ClientRead> {
        if let Some(reader) = self.reader.as_mut() {
            return reader
                .feed(bytes)
                .into_iter()
                .map(ClientRead::Read)
                .collect();
        }
        self.head.extend_from_slice(bytes);
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut response = httparse::Response::new(&mut headers);
        let used = match response.parse(&self.head) {
            Ok(httparse::Status::Complete(used)) => used,
            Ok(httparse::Status::Partial) if self.head.len() <= MAX_HEAD => return Vec::new(),
            Ok(httparse::Status::Partial) => {
                return vec![ClientRead::Refused(format!(
                    "the server's answer has a head over {MAX_HEAD} B"
                ))]
            }
            Err(err) => {
                return vec![ClientRead::Refused(format!(
                    "the server's answer is not HTTP ({err})"
                ))]
            }
        };
        let status = response.code.unwrap_or(0);
        let reason = crate::text::sanitize_str(response.reason.unwrap_or(""));
        let pairs: Vec<(String, Vec<u8>)> = response
            .headers
            .iter()
            .map(|h| (h.name.to_string(), h.value.to_vec()))
            .collect();
        let protocol = match handshake::check_response(status, &pairs, &self.key, &self.offered) {
            Ok(protocol) => protocol,
            Err(why) => {
                return vec![ClientRead::Refused(format!(
                    "{why} (HTTP {status} {reason})"
                ))]
            }
        };
        let rest = self.head.split_off(used);
        self.head = Vec::new();
        let mut reader = Reader::new(Role::Client, self.strict, self.max_message);
        let mut out = vec![ClientRead::Upgraded {
            status: format!("HTTP/1.1 {status} {reason}"),
            protocol: protocol.map(|p| crate::text::sanitize_str(&p)),
        }];
        out.extend(reader.feed(&rest).into_iter().map(ClientRead::Read));
        self.reader = Some(reader);
        out
    }

    /// One whole message as a masked frame (as a client must send it).
    pub fn message(&self, text: bool, payload: &[u8]) -> Vec<u8> {
        frame(if text { Opcode::Text } else { Opcode::Binary }, payload)
    }

    /// A masked control frame: a ping, or the pong answering one.
    pub fn control(&self, opcode: Opcode, payload: &[u8]) -> Vec<u8> {
        frame(opcode, &payload[..payload.len().min(125)])
    }

    /// A masked close frame with `code` and `reason`.
    pub fn close(&self, code: u16, reason: &str) -> Vec<u8> {
        frame(Opcode::Close, &close_payload(code, reason))
    }
}

fn frame(opcode: Opcode, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 14);
    encode(&mut out, true, opcode, payload, Some(handshake::new_mask()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ws::handshake::{accept, ServerSide};

    #[test]
    fn a_client_upgrades_against_the_server_side_and_reads_what_follows() {
        let mut client_side = Client::new(true, 1024);
        let request = client_side.request("h", "/x", &["chat".into()], &["X-Test: 1".into()]);
        let ServerSide::Upgraded(upgrade, _) = accept(&request, &["chat".into()]) else {
            panic!("refused");
        };
        let mut client = client_side;
        let mut answer = upgrade.response.clone();
        encode(&mut answer, true, Opcode::Text, b"hi", None);
        // In two reads, cut inside the head.
        let (a, b) = answer.split_at(10);
        assert!(client.feed(a).is_empty());
        let reads = client.feed(b);
        assert!(matches!(&reads[0], ClientRead::Upgraded { protocol: Some(p), .. } if p == "chat"));
        assert!(reads.contains(&ClientRead::Read(Read::Message {
            text: true,
            data: b"hi".to_vec(),
            frames: 1
        })));
    }

    #[test]
    fn a_wrong_accept_or_a_200_is_refused_in_words() {
        let mut client = Client::new(true, 1024);
        let reads =
            client.feed(b"HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: bogus\r\n\r\n");
        assert!(
            matches!(&reads[0], ClientRead::Refused(why) if why.contains("did not read our key"))
        );
        let mut client = Client::new(true, 1024);
        let reads = client.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        assert!(matches!(&reads[0], ClientRead::Refused(why) if why.contains("200")));
    }
}
