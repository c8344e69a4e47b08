//! The five tabs, one folder each: state and engine events (`mod.rs`), keys
//! (`keys.rs`, the binding table), drawing (`view.rs`), and the parts only
//! that tab has.

pub mod http;
pub mod relay;
pub mod tcp_client;
pub mod tcp_server;
pub mod udp;
