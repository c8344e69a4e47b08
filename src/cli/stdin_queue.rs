//! Stdin for `tcp connect`, across reconnects: one reader turns stdin into
//! messages (lines with the chosen ending, or raw chunks) on a bounded
//! queue; each connection's forwarder writes them to its socket. A message
//! whose write fails (the connection ended) is held back and goes first to
//! the next connection, so `--reconnect` loses nothing; a full queue stops
//! reading stdin (back-pressure, memory stays flat).

use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::sync::{mpsc, Mutex};

use super::Eol;
use crate::net::tcp_client::ClientWriter;

/// Messages read ahead of the connection.
const QUEUE: usize = 64;

/// One item from stdin: bytes to send, or its end (then FIN).
type Item = Option<Vec<u8>>;

/// The queue between the stdin reader and the connections.
pub struct StdinQueue {
    rx: mpsc::Receiver<Item>,
    held: Option<Item>,
}

impl StdinQueue {
    /// Starts reading stdin (lines ending in `eol`, or `raw` chunks).
    pub fn start(eol: Eol, raw: bool) -> Arc<Mutex<StdinQueue>> {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(read_stdin(tx, eol, raw));
        Arc::new(Mutex::new(StdinQueue { rx, held: None }))
    }
}

/// Writes queued messages to one connection until stdin ends (then FIN)
/// or the connection does (the message in hand is held for the next).
pub async fn forward(queue: Arc<Mutex<StdinQueue>>, writer: ClientWriter) {
    let mut queue = queue.lock().await;
    loop {
        let item = match queue.held.take() {
            Some(item) => item,
            None => match queue.rx.recv().await {
                Some(item) => item,
                None => return,
            },
        };
        match item {
            Some(bytes) => {
                if !writer.send(bytes.clone()).await {
                    queue.held = Some(Some(bytes));
                    return;
                }
            }
            None => {
                writer.shutdown_write().await;
                // Every later connection gets its FIN too.
                queue.held = Some(None);
                return;
            }
        }
    }
}

/// The most of one line held at once in line mode.
const LINE_PIECE: u64 = 64 * 1024;

async fn read_stdin(tx: mpsc::Sender<Item>, eol: Eol, raw: bool) {
    let mut stdin = BufReader::new(tokio::io::stdin());
    if raw {
        let mut buffer = vec![0u8; 16 * 1024];
        loop {
            match stdin.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tx.send(Some(buffer[..n].to_vec())).await.is_err() {
                        return;
                    }
                }
            }
        }
    } else {
        let mut line = Vec::new();
        loop {
            line.clear();
            // A line is read at most LINE_PIECE bytes at a time: one with
            // no newline in sight goes on in pieces, never all in memory.
            let mut piece = (&mut stdin).take(LINE_PIECE);
            match piece.read_until(b'\n', &mut line).await {
                Ok(0) | Err(_) => break,
                Ok(n) if n as u64 == LINE_PIECE && !line.ends_with(b"\n") => {
                    if tx.send(Some(std::mem::take(&mut line))).await.is_err() {
                        return;
                    }
                }
                Ok(_) => {
                    let body = line
                        .strip_suffix(b"\n")
                        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
                        .unwrap_or(&line);
                    let mut bytes = body.to_vec();
                    bytes.extend_from_slice(eol.bytes());
                    if tx.send(Some(bytes)).await.is_err() {
                        return;
                    }
                }
            }
        }
    }
    let _ = tx.send(None).await;
}
