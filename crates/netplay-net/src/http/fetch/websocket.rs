//! After a `101 Switching Protocols` to a WebSocket upgrade request (a
//! `ws://` URL, or one typed by hand), the same socket stays open: the
//! server's frames are read as a client reads them and told one by one,
//! the front end's messages go out masked, pings are answered (unless
//! switched off, to watch a peer time out), and a close ends it.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

use super::{Fetch, Io};
use crate::error::stream_error;
use crate::http::HttpEvent;
use crate::ws::frame::{close_code_is_valid, close_payload, encode, parse_head, Head, Opcode};
use crate::ws::handshake::new_mask;
use crate::ws::{Read, Reader, Role, WsEvent, MAX_MESSAGE};
use crate::Payload;

/// What the front end asks of an open WebSocket.
#[derive(Debug, Clone)]
pub enum WsSend {
    /// One whole message.
    Message {
        /// Text (else binary).
        text: bool,
        /// Its bytes.
        data: Vec<u8>,
    },
    /// A ping with these bytes (at most 125).
    Ping(Vec<u8>),
    /// The closing handshake with this code and reason.
    Close(u16, String),
    /// Answer pings automatically, or not.
    AutoPong(bool),
}

/// How long the server has to answer our close.
const CLOSE_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// The `Sec-WebSocket-Key` of a request, when it asks for an upgrade.
pub(super) fn upgrade_key(wire: &[u8]) -> Option<String> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut headers);
    request.parse(wire).ok()?;
    let header = |name: &str| {
        request
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).trim().to_string())
    };
    let upgrade = header("upgrade")?;
    upgrade
        .split(',')
        .any(|t| t.trim().eq_ignore_ascii_case("websocket"))
        .then(|| header("sec-websocket-key"))
        .flatten()
}

/// The subprotocols a request offers.
pub(super) fn offered_protocols(wire: &[u8]) -> Vec<String> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut headers);
    if request.parse(wire).is_err() {
        return Vec::new();
    }
    request
        .headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("sec-websocket-protocol"))
        .flat_map(|h| {
            String::from_utf8_lossy(h.value)
                .split(',')
                .map(|p| p.trim().to_string())
                .collect::<Vec<_>>()
        })
        .filter(|p| !p.is_empty())
        .collect()
}

impl Fetch {
    async fn tell(&self, event: WsEvent) {
        self.emit(HttpEvent::WebSocket(Box::new(event))).await;
    }

    /// Writes one masked frame and tells it.
    async fn send_frame(
        &self,
        io: &mut Box<dyn Io>,
        opcode: Opcode,
        payload: &[u8],
    ) -> Result<(), String> {
        let mut wire = Vec::with_capacity(payload.len() + 14);
        encode(&mut wire, true, opcode, payload, Some(new_mask()));
        io.write_all(&wire)
            .await
            .map_err(|err| format!("sending a frame failed: {}", stream_error(&err)))?;
        io.flush()
            .await
            .map_err(|err| format!("sending a frame failed: {}", stream_error(&err)))?;
        let head = parse_head(&wire).unwrap_or(Head {
            fin: true,
            rsv: 0,
            opcode,
            mask: None,
            len: payload.len() as u64,
            head_len: 0,
        });
        let preview = Payload::first(payload, crate::ws::reader::FRAME_PREVIEW);
        self.tell(WsEvent::Frame {
            out: true,
            head,
            preview,
        })
        .await;
        Ok(())
    }

    /// The open WebSocket, until a close, the server's end, or a cancel
    /// (which drops it). `rest`: bytes that came after the 101's head.
    pub(super) async fn websocket(
        &mut self,
        io: &mut Box<dyn Io>,
        rest: Vec<u8>,
        commands: &mut mpsc::Receiver<WsSend>,
    ) -> Result<(), String> {
        self.phase = "in the WebSocket";
        // Lenient: a learner sees what a peer breaks, flagged, and reading
        // goes on where it can.
        let mut reader = Reader::new(Role::Client, false, MAX_MESSAGE);
        let mut auto_pong = true;
        let mut close_sent = false;
        let mut buffer = vec![0u8; 64 * 1024];
        let close_wait = tokio::time::sleep(std::time::Duration::MAX / 4);
        tokio::pin!(close_wait);
        let mut pending = rest;
        loop {
            for read in reader.feed(&std::mem::take(&mut pending)) {
                match read {
                    Read::Frame { head, preview } => {
                        self.tell(WsEvent::Frame {
                            out: false,
                            head,
                            preview,
                        })
                        .await
                    }
                    Read::Message { text, data, frames } => {
                        if frames > 1 {
                            let data = Payload::first(&data, crate::ws::reader::FRAME_PREVIEW);
                            self.tell(WsEvent::Message { text, frames, data }).await;
                        }
                    }
                    Read::Ping(payload) if auto_pong && !close_sent => {
                        self.send_frame(io, Opcode::Pong, &payload[..payload.len().min(125)])
                            .await?;
                    }
                    Read::Ping(_) | Read::Pong(_) => {}
                    Read::Close { code, .. } => {
                        if !close_sent {
                            let payload = match code {
                                Some(code) if close_code_is_valid(code) => close_payload(code, ""),
                                Some(_) => close_payload(1002, "invalid close code"),
                                None => Vec::new(),
                            };
                            self.send_frame(io, Opcode::Close, &payload).await?;
                        }
                        return Ok(());
                    }
                    Read::Violation {
                        reason,
                        code,
                        fatal,
                    } => {
                        self.tell(WsEvent::Violation {
                            reason: reason.clone(),
                            code,
                            fatal,
                        })
                        .await;
                        if fatal {
                            if !close_sent {
                                self.send_frame(io, Opcode::Close, &close_payload(code, &reason))
                                    .await?;
                            }
                            return Ok(());
                        }
                    }
                }
            }
            tokio::select! {
                read = io.read(&mut buffer) => match read {
                    Ok(0) if close_sent => return Ok(()),
                    Ok(0) => return Err("the server closed the connection without a close frame (1006)".into()),
                    Ok(n) => pending = buffer[..n].to_vec(),
                    Err(err) => return Err(stream_error(&err)),
                },
                command = commands.recv(), if !close_sent => match command {
                    Some(WsSend::Message { text, data }) => {
                        let opcode = if text { Opcode::Text } else { Opcode::Binary };
                        self.send_frame(io, opcode, &data).await?;
                    }
                    Some(WsSend::Ping(data)) => self.send_frame(io, Opcode::Ping, &data[..data.len().min(125)]).await?,
                    Some(WsSend::AutoPong(on)) => auto_pong = on,
                    Some(WsSend::Close(..)) | None => {
                        let (code, reason) = match command {
                            Some(WsSend::Close(code, reason)) if close_code_is_valid(code) => (code, reason),
                            _ => (1000, String::new()),
                        };
                        self.send_frame(io, Opcode::Close, &close_payload(code, &reason)).await?;
                        close_sent = true;
                        close_wait.as_mut().reset(tokio::time::Instant::now() + CLOSE_WAIT);
                    }
                },
                () = &mut close_wait, if close_sent => {
                    return Err(format!("the server did not answer our close frame within {} s", CLOSE_WAIT.as_secs()));
                }
            }
        }
    }
}
