//! `unix:/path` as the target: the same conversation over a UNIX domain
//! socket (`nc -U`), with the peer's credentials said instead of a 4-tuple.
//! TLS is spoken over it when asked (SNI `--sni NAME`, else `localhost`:
//! a socket file has no host name); a proxy does not apply.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::{Client, ClientCommand, ClientEvent, ClientWriter, Connect, Controls, Probe};
use crate::kernel::tcp_info::SocketFd;
use crate::ConnStats;

impl Client {
    pub(super) async fn run_unix(
        self,
        path: String,
        how: Connect,
        (commands, controls): (mpsc::Receiver<ClientCommand>, Controls),
        player: Option<ClientWriter>,
    ) {
        // A bad CA file is the user's to fix: said before any traffic.
        let tls = match how
            .tls
            .as_ref()
            .map(|options| crate::tls::client(options, &[]))
        {
            None => None,
            Some(Ok(tls)) => Some(tls),
            Some(Err(reason)) => return self.emit(ClientEvent::ConnectFailed { reason }).await,
        };
        let shown = crate::text::sanitize_str(&path);
        let started = std::time::Instant::now();
        let connect = crate::unix::connect(std::path::Path::new(&path), &shown);
        let mut stop = self.stop.clone();
        let stream = tokio::select! {
            biased;
            () = stop.stopped() => Err("cancelled".to_string()),
            result = tokio::time::timeout(how.timeout, connect) => match result {
                Ok(result) => result,
                Err(_) => Err(format!("{shown} did not accept in time")),
            },
        };
        let stream = match stream {
            Ok(stream) => stream,
            Err(reason) => return self.emit(ClientEvent::ConnectFailed { reason }).await,
        };
        let (local, remote) = ("unix".to_string(), format!("unix:{path}"));
        let recorder = how.record.map(|to| self.recorder(to, &local, &remote));
        let tap = match (how.replay, player) {
            (Some(replay), Some(writer)) => Some(self.play(replay, writer)),
            _ => None,
        };
        // TCP_INFO means nothing here: no sample each second.
        let probe = Probe {
            write_after_peer_fin: how.write_after_peer_fin,
            socket: SocketFd::of(&stream),
            every_second: false,
            options: controls.options,
            record: controls.record,
            recorder: std::sync::Mutex::new(recorder),
            tap,
            addrs: (local, remote),
        };
        let stats = ConnStats::new();
        self.emit(ClientEvent::ConnectedUnix {
            path: shown.clone(),
            peer: crate::unix::peer_words(&stream),
            stats: Arc::clone(&stats),
        })
        .await;
        let reason = match tls {
            None => self.converse(stream, &stats, probe, commands).await,
            Some(client) => {
                // A socket file has no host name: localhost unless --sni.
                let name = match client.server_name("localhost") {
                    Ok(name) => name,
                    Err(reason) => return self.emit(ClientEvent::ConnectFailed { reason }).await,
                };
                let config = Arc::clone(&client.config);
                let connect = stats.opened.saturating_duration_since(started);
                let handshake = self
                    .tls_handshake(
                        (&client, config, name),
                        stream,
                        (&stats, connect),
                        (how.timeout, &shown),
                    )
                    .await;
                match handshake {
                    Ok(stream) => self.converse(stream, &stats, probe, commands).await,
                    Err(reason) => return self.emit(ClientEvent::ConnectFailed { reason }).await,
                }
            }
        };
        self.emit(ClientEvent::Closed { reason }).await;
    }
}
