//! netplay's integration tests, one binary (each test binary links the whole
//! crate: 34 of them cost minutes of linking on 2 cores). A module per area;
//! `common` holds the shared set-up (servers, waits, TLS material, the UI
//! driver), the `netplay-pty` crate drives the real binary in a pseudo-terminal.

mod common;

mod cli;
mod code;
mod engine;
mod props;
mod pty;
mod ui;
