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
pub enum Signal {
    /// SIGINT (Ctrl+C outside raw mode, or `kill -INT`).
    Interrupt,
    /// SIGTERM (`kill`, service managers).
    Terminate,
    /// SIGHUP (the terminal went away).
    Hangup,
}

impl Signal {
    /// The conventional name, for log lines.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
            Signal::Hangup => "SIGHUP",
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
    pub async fn recv(&mut self) -> Signal {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.interrupt.recv() => Signal::Interrupt,
                _ = self.terminate.recv() => Signal::Terminate,
                _ = self.hangup.recv() => Signal::Hangup,
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            Signal::Interrupt
        }
    }
}

/// How long a stop signal waits for the clean stop before netplay exits
/// anyway.
pub const GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// Makes every stop signal final: on the first one, a task on the runtime
/// waits [`GRACE`] for the clean stop, then runs `last_words` (the UI
/// restores the terminal there) and exits with status 0.
///
/// Why: the clean stop runs on the main thread, and that thread can be
/// stuck in a blocking write to a stdout nobody reads (`netplay tcp connect
/// | sleep 60`). The signal is then recorded but never acted on, and with
/// the handlers installed the default action is gone too. The watchdog runs
/// on a runtime worker, which a blocked stdout does not hold.
pub fn watchdog(runtime: &tokio::runtime::Runtime, last_words: fn()) -> io::Result<()> {
    let mut signals = {
        let _context = runtime.enter();
        Shutdown::install()?
    };
    runtime.spawn(async move {
        signals.recv().await;
        tokio::time::sleep(GRACE).await;
        last_words();
        std::process::exit(0);
    });
    Ok(())
}
