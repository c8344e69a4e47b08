//! The real binary in a pseudo-terminal.

mod capture;
mod e2e;
mod fetch_tty;
mod websocket;
