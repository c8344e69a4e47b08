//! What the kernel knows about a socket, read and set live: `TCP_INFO`,
//! socket options, TIME_WAIT, and this machine's interfaces.

pub mod interfaces;
pub mod sockopts;
pub mod tcp_info;
pub mod time_wait;
