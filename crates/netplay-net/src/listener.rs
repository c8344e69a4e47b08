//! The loop every netplay listener runs once bound (the TCP server and the
//! relay): accept, refuse past the connection limit, hand commands to live
//! connections, forget the ones that ended, and on stop wait for each to
//! close. What a connection *is* — a server connection, a relay pair — is
//! the [`Connections`] a listener brings; the loop is written once.

use std::collections::HashMap;
use std::future::Future;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::acceptor::{Accepted, Acceptor};
use crate::stream::{Endpoint, Stream};
use crate::{ConnId, StopFlag};

/// What a listener is made of, besides its loop.
pub(crate) trait Connections: Send {
    /// A command given to the running listener.
    type Command: Send;
    /// What the listener keeps of a live connection (its command queue).
    type Handle: Send;

    /// The connection limit in force now (`--max-conn`).
    fn limit(&self) -> Option<usize>;

    /// Applies a command (most go to one or all live connections, without
    /// waiting); `Some(reason)` is reported as a warning.
    fn command(
        &mut self,
        live: &mut HashMap<ConnId, Self::Handle>,
        command: Self::Command,
    ) -> Option<String>;

    /// Sets up connection `conn`: the handle kept for it and the task that
    /// runs it (which ends with its id).
    fn start(
        &mut self,
        conn: ConnId,
        stream: Stream,
        peer: Endpoint,
    ) -> (Self::Handle, impl Future<Output = ConnId> + Send + 'static);

    /// Tells the listener's consumer what happened.
    fn report(&self, report: Report) -> impl Future<Output = ()> + Send;
}

/// What the loop has to say.
pub(crate) enum Report {
    /// Something worth a line: a command not carried out, accepting works
    /// again after a shortage of file descriptors.
    Warning(String),
    /// A connection closed at once: `limit` connections are open.
    Refused {
        /// Who tried to connect.
        peer: Endpoint,
        /// The limit in force.
        limit: usize,
    },
    /// Accepting failed; the listener keeps running.
    AcceptFailed(String),
}

/// Runs the listener until `stop` or until its command channel closes,
/// then waits for every connection to close (they see the same stop, or
/// their handle dropping) and returns.
pub(crate) async fn run<C: Connections>(
    mut connections: C,
    mut acceptor: Acceptor,
    mut commands: mpsc::Receiver<C::Command>,
    mut stop: StopFlag,
    next_id: impl Fn() -> ConnId + Send,
    runtime: &tokio::runtime::Handle,
) {
    let mut live: HashMap<ConnId, C::Handle> = HashMap::new();
    let mut tasks: JoinSet<ConnId> = JoinSet::new();
    loop {
        // Biased: a command given right after the start (recording on) is
        // taken before the first accept.
        tokio::select! {
            biased;
            () = stop.stopped() => break,
            command = commands.recv() => match command {
                None => break,
                Some(command) => {
                    if let Some(reason) = connections.command(&mut live, command) {
                        connections.report(Report::Warning(reason)).await;
                    }
                }
            },
            Some(done) = tasks.join_next() => {
                if let Ok(conn) = done {
                    live.remove(&conn);
                }
            }
            accepted = acceptor.accept_any() => match accepted {
                Accepted::Peer { stream, peer, recovered } => {
                    if let Some(reason) = recovered {
                        connections.report(Report::Warning(reason)).await;
                    }
                    if let Some(limit) = connections.limit().filter(|limit| live.len() >= *limit) {
                        drop(stream);
                        connections.report(Report::Refused { peer, limit }).await;
                        continue;
                    }
                    let conn = next_id();
                    let (handle, task) = connections.start(conn, stream, peer);
                    live.insert(conn, handle);
                    tasks.spawn_on(task, runtime);
                }
                Accepted::Failed(Some(reason)) => {
                    connections.report(Report::AcceptFailed(reason)).await;
                }
                Accepted::Failed(None) => {}
            },
        }
    }
    drop(acceptor);
    drop(live);
    while tasks.join_next().await.is_some() {}
}
