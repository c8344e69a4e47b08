//! `netplay`: parse arguments, enter the terminal, run the app, restore.
#![forbid(unsafe_code)]

use anyhow::{anyhow, Context, Result};
use clap::Parser;

use netplay::app::{self, App, StartOptions, Tab};
use netplay::net::greet::Behaviour;
use netplay::net::Engine;
use netplay::terminal;

/// A terminal network playground: HTTP, TCP server, TCP client and UDP tabs
/// over real sockets.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Tab to open on: http, server, client or udp.
    #[arg(long, value_name = "TAB")]
    tab: Option<String>,
    /// Pre-fills the first field of the tab chosen with --tab: the HTTP
    /// URL, the server's listen address or the client's target.
    #[arg(long, value_name = "ADDR|URL")]
    addr: Option<String>,
    /// The TCP server's starting mode: greet, echo, discard, manual or http.
    #[arg(long, value_name = "MODE")]
    mode: Option<String>,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let mut options = StartOptions::default();
    if let Some(name) = &args.tab {
        options.tab = Tab::from_name(name)
            .ok_or_else(|| anyhow!("unknown tab '{name}': use http, server, client or udp"))?;
    }
    if let Some(addr) = args.addr {
        match options.tab {
            Tab::TcpClient => options.client_target = addr,
            Tab::Http => options.http_url = addr,
            Tab::Udp => options.udp_bind = addr,
            _ => options.server_addr = addr,
        }
    }
    let mode = match &args.mode {
        Some(name) => Some(
            Behaviour::ALL
                .into_iter()
                .find(|b| b.name() == name.to_ascii_lowercase())
                .ok_or_else(|| {
                    anyhow!("unknown mode '{name}': use greet, echo, discard, manual or http")
                })?,
        ),
        None => None,
    };

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    let (engine, events) = Engine::new(runtime.handle().clone());
    let mut app = App::new(engine, options);
    if let Some(mode) = mode {
        app.server.set_behaviour(mode);
    }

    let mut tui = terminal::enter().context("entering the terminal UI")?;
    if std::env::var_os("NETPLAY_PANIC_AFTER_START").is_some() {
        // Lets the end-to-end tests prove the panic hook restores the terminal.
        let _ = tui.draw(|frame| netplay::ui::frame::draw(frame, &mut app));
        panic!("deliberate panic (NETPLAY_PANIC_AFTER_START is set)");
    }
    let outcome = runtime.block_on(app::run(
        &mut tui,
        &mut app,
        crossterm::event::EventStream::new(),
        events,
    ));
    terminal::restore();
    terminal::report_deferred_panics();
    drop(app);
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    outcome
}
