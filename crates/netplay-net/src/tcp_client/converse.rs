//! The conversation of one connection: reads beside writes, the peer's
//! FIN (and the linger after it), options, recording, the replay's tap.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

use super::{Client, ClientCommand, ClientEvent, Probe, READ_BUFFER};
use crate::error::stream_error;
use crate::record::Way;
use crate::{CloseReason, ConnStats};

/// After the peer's FIN, how long our writes may pause before the
/// connection ends (stdin that keeps coming is sent whole; one that stops
/// does not keep a closed peer waiting).
const PEER_FIN_LINGER: Duration = Duration::from_secs(1);

/// When the linger after the peer's FIN runs out: [`PEER_FIN_LINGER`]
/// after the last write.
fn linger_end(
    base: tokio::time::Instant,
    last_write: &std::sync::atomic::AtomicU64,
) -> tokio::time::Instant {
    let last = last_write.load(std::sync::atomic::Ordering::Relaxed);
    base + Duration::from_millis(last) + PEER_FIN_LINGER
}

impl Client {
    /// The conversation over a plain or a TLS stream.
    pub(super) async fn converse<S>(
        &self,
        stream: S,
        stats: &ConnStats,
        mut probe: Probe,
        mut commands: mpsc::Receiver<ClientCommand>,
    ) -> CloseReason
    where
        S: AsyncRead + AsyncWrite + Send + Unpin,
    {
        let recording = std::mem::take(&mut probe.recorder);
        Self::record_life(&recording, "connected").await;
        let (mut reader, mut writer) = tokio::io::split(stream);
        let mut buffer = vec![0u8; READ_BUFFER];
        let mut stop = self.stop.clone();
        // The write side runs beside the reads, never instead of them: a
        // peer that writes before it reads would otherwise deadlock with
        // us (both blocked writing, neither reading).
        let (shut_tx, mut shut_rx) = tokio::sync::watch::channel(false);
        // When the last write went (ms from `base`): after the peer's FIN,
        // writes that stop coming for PEER_FIN_LINGER end the connection.
        let base = tokio::time::Instant::now();
        let last_write = std::sync::atomic::AtomicU64::new(0);
        // A write under way (a slow reader) is activity too.
        let writing = std::sync::atomic::AtomicBool::new(false);
        let write_side = async {
            let mut write_open = true;
            while let Some(command) = commands.recv().await {
                match command {
                    ClientCommand::Send(bytes, confirm) if write_open => {
                        writing.store(true, std::sync::atomic::Ordering::Relaxed);
                        let written = writer.write_all(&bytes).await;
                        writing.store(false, std::sync::atomic::Ordering::Relaxed);
                        written.map_err(|err| CloseReason::Error(stream_error(&err)))?;
                        stats.record_write(bytes.len());
                        let since = base.elapsed().as_millis() as u64;
                        last_write.store(since, std::sync::atomic::Ordering::Relaxed);
                        if let Some(written) = confirm {
                            let _ = written.send(());
                        }
                        Self::record(&recording, Way::Out, &bytes).await;
                        self.offer(|| ClientEvent::Sent(self.engine.payload(&bytes)))
                            .await;
                    }
                    ClientCommand::Send(..) => {}
                    ClientCommand::ShutdownWrite if write_open => {
                        write_open = false;
                        writer
                            .shutdown()
                            .await
                            .map_err(|err| CloseReason::Error(stream_error(&err)))?;
                        Self::record_life(&recording, "half_close").await;
                        self.emit(ClientEvent::WriteShutdown).await;
                        let _ = shut_tx.send(true);
                    }
                    ClientCommand::ShutdownWrite => {}
                }
            }
            // Every sender is gone: the handle was dropped.
            Ok::<(), CloseReason>(())
        };
        tokio::pin!(write_side);
        let mut tap = probe.tap.take();
        let mut ticker = tokio::time::interval(Duration::from_secs(1));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The peer sent its FIN while ours is still to come: no more reads,
        // the writes go on until our side shuts down too.
        let mut peer_done = false;
        let reason = loop {
            tokio::select! {
                biased;
                () = stop.stopped() => break CloseReason::Local("disconnected".into()),
                Ok(()) = shut_rx.changed(), if peer_done => break CloseReason::Peer,
                () = tokio::time::sleep_until(linger_end(base, &last_write)), if peer_done => {
                    let now = tokio::time::Instant::now();
                    if writing.load(std::sync::atomic::Ordering::Relaxed) {
                        let since = base.elapsed().as_millis() as u64;
                        last_write.fetch_max(since, std::sync::atomic::Ordering::Relaxed);
                    } else if now >= linger_end(base, &last_write) {
                        break CloseReason::Peer;
                    }
                }
                done = &mut write_side => {
                    break match done {
                        Ok(()) => CloseReason::Local("disconnected".into()),
                        Err(reason) => reason,
                    };
                }
                _ = ticker.tick(), if probe.every_second => {
                    if let Ok(info) = crate::kernel::tcp_info::sample(&probe.socket) {
                        self.offer(|| ClientEvent::TcpInfo { info, last: false }).await;
                    }
                }
                Some(to) = probe.record.recv() => {
                    let (local, remote) = &probe.addrs;
                    let recorder = to.map(|to| self.recorder(to, local, remote));
                    Self::switch_recorder(&recording, recorder);
                }
                Some(opt) = probe.options.recv() => {
                    let result = crate::kernel::sockopts::apply_and_read(probe.socket, opt);
                    self.emit(ClientEvent::Options(result)).await;
                }
                read = reader.read(&mut buffer), if !peer_done => match read {
                    Ok(0) if probe.write_after_peer_fin && !*shut_rx.borrow() => {
                        peer_done = true;
                        // The linger counts from the FIN at the earliest.
                        let since = base.elapsed().as_millis() as u64;
                        last_write.fetch_max(since, std::sync::atomic::Ordering::Relaxed);
                        Self::record_life(&recording, "peer_half_close").await;
                        self.emit(ClientEvent::PeerHalfClosed).await;
                    }
                    Ok(0) => break CloseReason::Peer,
                    // TLS: the peer closed the TCP connection without its
                    // close_notify, so the end of the data is not proven.
                    Err(err) if err.kind() == std::io::ErrorKind::UnexpectedEof => {
                        break CloseReason::Error(
                            "the peer closed without a TLS close_notify (the data may be cut short)".into(),
                        )
                    }
                    Ok(n) => {
                        stats.record_read(n);
                        Self::record(&recording, Way::In, &buffer[..n]).await;
                        // The replay reads its tap even while it sends, so
                        // this wait ends; a disconnect ends it at once too.
                        if let Some(to) = &tap {
                            tokio::select! {
                                biased;
                                () = stop.stopped() => break CloseReason::Local("disconnected".into()),
                                sent = to.send(buffer[..n].to_vec()) => if sent.is_err() {
                                    tap = None;
                                },
                            }
                        }
                        self.offer(|| ClientEvent::Received(self.engine.payload(&buffer[..n]))).await;
                    }
                    Err(err) => break CloseReason::Error(stream_error(&err)),
                },
            }
        };
        // The socket is still open here: what the kernel saw, to the end.
        // An option asked for just before the close still applies to it
        // (close with RST, then disconnect).
        while let Ok(opt) = probe.options.try_recv() {
            let _ = crate::kernel::sockopts::apply(probe.socket, opt);
        }
        if probe.every_second {
            if let Ok(info) = crate::kernel::tcp_info::sample(&probe.socket) {
                self.emit(ClientEvent::TcpInfo { info, last: true }).await;
            }
        }
        Self::record_life(&recording, "closed").await;
        reason
    }
}
