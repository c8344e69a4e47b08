//! A live capture: one pcapng file that many connections write into (a
//! server's, a relay's both legs), each as its own flow. Connections hand
//! their packets to a writer task over a bounded channel and wait for room
//! — a slow disk slows them down instead of growing memory or losing a
//! packet — and the writer replaces the target file when the last handle
//! is gone (a private temporary file beside it, renamed at the end).

use std::io::{BufWriter, Write as _};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

use tokio::sync::{mpsc, oneshot};

use super::flow::TcpFlow;
use super::PcapWriter;

/// Packets that may wait for the disk.
const QUEUE: usize = 256;

pub(crate) enum Block {
    Packet(SystemTime, Vec<u8>),
    Secrets(Vec<u8>),
}

/// A capture being written; clones share the file.
#[derive(Clone, Debug)]
pub struct Capture {
    pub(crate) blocks: mpsc::Sender<Block>,
    /// The IP identification of the next datagram (UDP packets).
    ids: Arc<AtomicU16>,
}

/// How a capture ended: the file and its packets, or why it failed.
pub type CaptureEnd = Result<(PathBuf, u64), String>;

impl Capture {
    /// Starts writing a capture that will replace `target` (refusing a
    /// symlink, a FIFO or a device there); its end is told on the receiver
    /// once every handle (and every flow) is dropped.
    pub fn start(
        engine: &crate::Engine,
        target: &std::path::Path,
        comment: &str,
    ) -> Result<(Self, oneshot::Receiver<CaptureEnd>), String> {
        let mut file = crate::files::Replacing::private(target)
            .map_err(|reason| format!("cannot capture to {reason}"))?;
        let clone = file
            .file()
            .try_clone()
            .map_err(|err| format!("cannot capture: {err}"))?;
        let writer = PcapWriter::new(BufWriter::new(clone), comment)
            .map_err(|err| format!("cannot capture: {err}"))?;
        let (blocks, rx) = mpsc::channel(QUEUE);
        let (done, end) = oneshot::channel();
        // The disk is written on a blocking thread: a slow one holds up
        // the connections captured (their queue fills), never the runtime.
        engine.spawn(async move {
            let outcome = tokio::task::spawn_blocking(move || write(writer, file, rx))
                .await
                .unwrap_or_else(|err| Err(format!("the capture failed: {err}")));
            let _ = done.send(outcome);
        });
        Ok((
            Self {
                blocks,
                ids: Arc::new(AtomicU16::new(1)),
            },
            end,
        ))
    }

    /// [`Capture::start`] for a front end: a new file named `stem-<time>`
    /// in `dir` (never one that exists), its end told as
    /// [`crate::Event::Saved`] for `asker` once every connection in it
    /// has closed.
    pub fn start_new(
        engine: &crate::Engine,
        dir: &std::path::Path,
        stem: &str,
        asker: crate::SaveFor,
    ) -> Result<Self, String> {
        let target = fresh_name(dir, stem)?;
        let (capture, end) = Self::start(engine, &target, "Written live by the netplay TUI.")?;
        let report = engine.clone();
        engine.spawn(async move {
            let outcome = match end.await {
                Ok(outcome) => outcome.map(|(path, _)| path),
                Err(_) => Err("the capture ended without a word".to_string()),
            };
            report.emit(crate::Event::Saved(asker, outcome)).await;
        });
        Ok(capture)
    }

    /// A new flow between `client` and `server` in this capture.
    pub fn flow(&self, client: SocketAddr, server: SocketAddr) -> FlowTap {
        FlowTap {
            blocks: self.blocks.clone(),
            flow: Arc::new(tokio::sync::Mutex::new(TcpFlow::new(client, server))),
        }
    }

    /// One datagram `from` → `to`, as a UDP packet; waits for room in the
    /// writer's queue (never dropped).
    pub async fn datagram(&self, from: SocketAddr, to: SocketAddr, bytes: &[u8]) {
        let id = self.ids.fetch_add(1, Ordering::Relaxed);
        let packet = super::packet::udp(from, to, bytes, id);
        let _ = self
            .blocks
            .send(Block::Packet(SystemTime::now(), packet))
            .await;
    }

    /// TLS secrets (NSS key log lines) for the sessions that follow.
    pub async fn secrets(&self, keylog: Vec<u8>) {
        let _ = self.blocks.send(Block::Secrets(keylog)).await;
    }

    /// A socket whose bytes (ciphertext, when TLS runs over it) go into
    /// this capture as the flow `client` → `server`, seen from `ours`.
    pub fn tap<S>(
        &self,
        inner: S,
        (client, server): (SocketAddr, SocketAddr),
        ours: usize,
    ) -> super::tap::Tapped<S> {
        super::tap::Tapped::new(
            inner,
            super::tap::Sink::task(self.blocks.clone()),
            (client, server),
            ours,
        )
    }

    /// A key log that puts TLS secrets in this capture as rustls derives
    /// them (a server logs them before it writes the records they open),
    /// passing them on to `also` (`--keylog`, `SSLKEYLOGFILE`).
    pub fn key_log(&self, also: Option<Arc<dyn rustls::KeyLog>>) -> Arc<dyn rustls::KeyLog> {
        Arc::new(CaptureSecrets {
            blocks: self.blocks.clone(),
            also,
        })
    }
}

/// `dir/stem-<time>.pcapng`, or with ` (n)` after the time: a name no
/// file has.
pub(crate) fn fresh_name(dir: &std::path::Path, stem: &str) -> Result<PathBuf, String> {
    let stamp = crate::clock::Stamp::now().file_part();
    (0..100)
        .map(|n| match n {
            0 => dir.join(format!("{stem}-{stamp}.pcapng")),
            n => dir.join(format!("{stem}-{stamp} ({n}).pcapng")),
        })
        .find(|path| std::fs::symlink_metadata(path).is_err())
        .ok_or_else(|| format!("no free file name like {stem}-{stamp}.pcapng"))
}

fn write(
    mut writer: PcapWriter<BufWriter<std::fs::File>>,
    file: crate::files::Replacing,
    mut rx: mpsc::Receiver<Block>,
) -> CaptureEnd {
    let failed = |err: std::io::Error| format!("writing the capture failed: {err}");
    // The writes are small and buffered; the flush goes to the disk when
    // the queue is empty, so a capture read while idle is complete.
    while let Some(block) = rx.blocking_recv() {
        match block {
            Block::Packet(at, bytes) => writer.packet(at, &bytes),
            Block::Secrets(keylog) => writer.tls_secrets(&keylog),
        }
        .map_err(failed)?;
        if rx.is_empty() {
            writer.flush().map_err(failed)?;
        }
    }
    let packets = writer.packets();
    writer.into_inner().flush().map_err(failed)?;
    Ok((file.finish()?, packets))
}

/// One connection's flow in a capture; clones share it (both directions
/// of a connection add to the same sequence numbers).
#[derive(Clone, Debug)]
pub struct FlowTap {
    blocks: mpsc::Sender<Block>,
    flow: Arc<tokio::sync::Mutex<TcpFlow>>,
}

impl FlowTap {
    async fn send(&self, make: impl FnOnce(&mut TcpFlow) -> Vec<Vec<u8>>) {
        // The flow stays locked until its packets are queued: two tasks
        // adding to one flow (a relay leg's two directions) never queue
        // their packets out of the order their numbers were given in.
        let mut flow = self.flow.lock().await;
        let packets = make(&mut flow);
        let at = SystemTime::now();
        for packet in packets {
            // The writer is gone only when it failed: it has said why.
            if self.blocks.send(Block::Packet(at, packet)).await.is_err() {
                return;
            }
        }
        drop(flow);
    }

    /// The handshake (once).
    pub async fn open(&self) {
        self.send(TcpFlow::open).await;
    }

    /// One read's bytes sent by `from` ([`super::flow::CLIENT`] or
    /// [`super::flow::SERVER`]).
    pub async fn data(&self, from: usize, bytes: &[u8]) {
        self.send(|flow| flow.data(from, bytes)).await;
    }

    /// `from` sent its FIN.
    pub async fn fin(&self, from: usize) {
        self.send(|flow| flow.fin(from)).await;
    }

    /// The connection ended.
    pub async fn close(&self) {
        self.send(TcpFlow::close).await;
    }

    /// The connection ended, `first` closing first.
    pub async fn close_first(&self, first: usize) {
        self.send(|flow| flow.close_first(first)).await;
    }

    /// `from` reset the connection.
    pub async fn reset(&self, from: usize) {
        self.send(|flow| flow.reset(from)).await;
    }
}

struct CaptureSecrets {
    blocks: mpsc::Sender<Block>,
    also: Option<Arc<dyn rustls::KeyLog>>,
}

impl std::fmt::Debug for CaptureSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CaptureSecrets")
    }
}

impl rustls::KeyLog for CaptureSecrets {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        let line = crate::tls::keylog::nss_line(label, client_random, secret).into_bytes();
        // Called inside the handshake, which cannot wait: a full queue
        // hands the line to a task (it then may land after a packet).
        if let Err(mpsc::error::TrySendError::Full(block)) =
            self.blocks.try_send(Block::Secrets(line))
        {
            let blocks = self.blocks.clone();
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move {
                    let _ = blocks.send(block).await;
                });
            }
        }
        if let Some(also) = &self.also {
            also.log(label, client_random, secret);
        }
    }
}
