//! netplay: a terminal network playground. Real sockets on tokio tasks, a
//! full-screen UI that shows what happens on them live, and the same engine
//! headless for scripts.
//!
//! # The crate map
//!
//! - [`net`] — the engine, its own crate (`crates/netplay-net`). Typed
//!   commands in, typed [`net::Event`]s out, one tokio task per listener,
//!   connection, request or socket. It cannot import the UI (ratatui is not
//!   among its dependencies), so it is driven and tested alone over loopback.
//! - [`ui`] — the terminal UI: `ui/shell` (the event loop
//!   [`ui::shell::event_loop`]: input, engine events and a frame clock, with
//!   nothing awaited on the network; [`ui::shell::app::App`]: which tab,
//!   where keys go; the frame, help, key tables and the terminal's restore),
//!   `ui/tabs/<tab>` behind the [`ui::shell::tab::TabView`] trait, and
//!   `ui/widgets`.
//! - [`cli`] — the headless commands (`fetch`, `tcp`, `udp`): the same
//!   engine, stdout for data, stderr for diagnostics.
//! - [`code`] — the code behind each tab (F12): a Python 3 script in the
//!   socket tutorial's style, the one-liner, and a Rust/tokio program, for
//!   the tab's current settings.
//! - [`narrate`] — the sentences, one module per engine part, said by both
//!   the TUI and the CLI.
//! - [`text`] — the one gate for untrusted bytes ([`text::sanitize`]) and
//!   the escape syntax that writes any byte back.
//! - [`record`] and [`json`] — the recording format (JSON lines, written
//!   by the engine's recorder, read back by `netplay replay`) and the
//!   hand-written JSON writer that `--json` also uses.
//! - [`files`], [`format`](mod@format), [`ring`], [`clock`], [`shutdown`] —
//!   files written safely, numbers for people, bounded rings with exact
//!   totals, timestamps, stop signals.
//!
//! # The data flow
//!
//! ```text
//! key ─► App::on_key ─► the active TabView ─► engine command (a handle call,
//!        never awaited) ─► tokio task ─► real socket
//!                                              │
//! draw ◄─ tab state ◄─ App::on_engine ◄─ Event (bounded channel) ◄┘
//! ```
//!
//! The UI never waits on the network: a handle call only queues a command
//! on a bounded channel (a full one is refused with a reason), and events
//! are taken in at most once a frame. The engine's event channel is bounded
//! too: lifecycle events wait for room; data events for the screen are
//! dropped and counted when the UI is behind (counters stay exact), while
//! the headless engine waits instead, because its stdout is data.
//!
//! # Errors
//!
//! Two kinds, on purpose. What a person reads — a refused connection, a TLS
//! failure, a malformed response — travels as a `String` reason already
//! written for display (and already through the untrusted-bytes gate): the
//! front ends show it and never branch on it. Where code does branch, the
//! type is an enum or a struct ([`net::CloseReason`],
//! [`net::http::response::ParseError`], [`net::tcp_server::Busy`],
//! [`shutdown::Signal`]). `anyhow` is kept for the binary's own
//! start-up failures.
// `unsafe` is denied everywhere but `net::kernel::tcp_info` (getsockopt, two
// ioctls and a borrowed descriptor, each with its SAFETY note).
#![deny(unsafe_code)]
#![warn(missing_docs)]

/// The network engine (its own crate, `crates/netplay-net`: no UI in its
/// dependencies, so the engine cannot import the UI).
pub use netplay_net as net;
pub use netplay_net::{clock, files, format, json, record, text};

pub mod cli;
pub mod code;
pub mod curl;
pub mod http_file;
pub mod narrate;
pub mod ring;
pub mod shutdown;
pub mod state;
pub mod ui;
