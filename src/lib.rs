//! netplay: a terminal network playground. The engine (`net`) drives real
//! sockets on tokio tasks; the UI (`app`, `ui`) shows what happens, live.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod app;
pub mod cli;
pub mod clock;
pub mod files;
pub mod narrate;
pub mod net;
pub mod ring;
pub mod shutdown;
pub mod terminal;
pub mod text;
pub mod ui;
