//! The stop signals (SIGINT, SIGTERM, SIGHUP), installed once at process
//! start and handed down.
//!
//! Why eagerly: tokio registers a signal handler when the listener is
//! created. A listener built lazily (inside an `async fn`, on its first poll)
//! leaves a window in which the default action still applies, and a `kill`
//! that lands there ends netplay uncleanly: no "closed" line, a raw terminal
//! in the UI, temporary files left behind. [`Shutdown::install`] runs before
//! any socket is opened, so from the first event on, every stop is clean.

use std::io;

/// Which stop signal arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopSignal {
    /// SIGINT (Ctrl+C outside raw mode, or `kill -INT`).
    Interrupt,
    /// SIGTERM (`kill`, service managers).
    Terminate,
    /// SIGHUP (the terminal went away).
    Hangup,
}

impl StopSignal {
    /// The conventional name, for log lines.
    pub fn name(self) -> &'static str {
        match self {
            StopSignal::Interrupt => "SIGINT",
            StopSignal::Terminate => "SIGTERM",
            StopSignal::Hangup => "SIGHUP",
        }
    }
}

/// The installed stop-signal listeners.
#[derive(Debug)]
pub struct Shutdown {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(unix)]
    hangup: tokio::signal::unix::Signal,
}

impl Shutdown {
    /// Registers the handlers now. Must run inside a tokio runtime context
    /// (`Runtime::enter` or inside `block_on`).
    pub fn install() -> io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Self {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
                hangup: signal(SignalKind::hangup())?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Self {})
        }
    }

    /// Resolves when the next stop signal arrives. Cancel-safe: a signal
    /// that arrives while nobody waits is kept for the next call.
    pub async fn recv(&mut self) -> StopSignal {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.interrupt.recv() => StopSignal::Interrupt,
                _ = self.terminate.recv() => StopSignal::Terminate,
                _ = self.hangup.recv() => StopSignal::Hangup,
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            StopSignal::Interrupt
        }
    }
}
