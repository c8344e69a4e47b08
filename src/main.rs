//! `netplay`: parse arguments; a subcommand runs headless, none opens the
//! terminal UI (entered and restored here, on every way out).
#![forbid(unsafe_code)]

use std::process::ExitCode;

use anyhow::{anyhow, Context, Result};
use clap::Parser;

use netplay::cli::{self, output::Output, Args};
use netplay::net::Engine;
use netplay::shutdown::Shutdown;
use netplay::ui::shell::event_loop::{self as app, App, StartOptions, Tab};
use netplay::ui::shell::terminal;

fn main() -> ExitCode {
    let mut args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("netplay: cannot start the tokio runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    // Stop signals are handled from here on, before any socket exists.
    let shutdown = {
        let _context = runtime.enter();
        match Shutdown::install() {
            Ok(shutdown) => shutdown,
            Err(err) => {
                eprintln!("netplay: cannot install the signal handlers: {err}");
                return ExitCode::FAILURE;
            }
        }
    };
    if let Some(command) = args.command.take() {
        if let Err(err) = netplay::shutdown::watchdog(&runtime, || {}) {
            eprintln!("netplay: cannot install the signal handlers: {err}");
            return ExitCode::FAILURE;
        }
        let out = Output::new(args.json, args.quiet);
        // On this thread, not on a worker: a command's stdout that nobody
        // reads blocks this thread only, and the stop watchdog, on a
        // worker, still runs. (The event logs take events in batches, so
        // waking this thread costs little.)
        let code = runtime.block_on(cli::run(command, out, shutdown));
        runtime.shutdown_timeout(std::time::Duration::from_millis(500));
        return code;
    }
    if let Err(err) = netplay::shutdown::watchdog(&runtime, terminal::restore) {
        eprintln!("netplay: cannot install the signal handlers: {err}");
        return ExitCode::FAILURE;
    }
    let outcome = run_ui(args, &runtime, shutdown);
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("netplay: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// The UI until Ctrl+C or a stop signal (SIGTERM, SIGHUP, SIGINT): each
/// ends it the same way, terminal restored, exit 0.
fn run_ui(args: Args, runtime: &tokio::runtime::Runtime, mut shutdown: Shutdown) -> Result<()> {
    let mut options = StartOptions::default();
    if let Some(name) = &args.tab {
        options.tab = Tab::from_name(name)
            .ok_or_else(|| anyhow!("unknown tab '{name}': use {}", Tab::choices()))?;
    }
    options.addr = args.addr;
    options.server_mode = args.mode.map(|mode| mode.behaviour());
    options.http_file = args.file.clone();
    if let Some(dir) = &args.record_dir {
        options.record_dir.clone_from(dir);
    }
    let (engine, events) = Engine::new(runtime.handle().clone());
    let mut app = App::new(engine, options.clone());
    app.mouse = !args.no_mouse;
    if !args.no_state {
        if let Some(path) = netplay::state::default_path() {
            app.load_state(
                netplay::ui::shell::remembered::StateFile::new(path),
                &options,
            );
        }
    }

    let mut tui = terminal::enter(!args.no_mouse).context("entering the terminal UI")?;
    if std::env::var_os("NETPLAY_PANIC_AFTER_START").is_some() {
        // Lets the end-to-end tests prove the panic hook restores the terminal.
        let _ = tui.draw(|frame| netplay::ui::shell::frame::draw(frame, &mut app));
        panic!("deliberate panic (NETPLAY_PANIC_AFTER_START is set)");
    }
    let outcome = runtime.block_on(async {
        tokio::select! {
            outcome = app::run(
                &mut tui,
                &mut app,
                crossterm::event::EventStream::new(),
                events,
            ) => outcome,
            _ = shutdown.recv() => Ok(()),
        }
    });
    terminal::restore();
    terminal::report_deferred_panics();
    // Quit, Ctrl+C or a stop signal: what changed since the last write.
    app.flush_state();
    drop(app);
    outcome
}
