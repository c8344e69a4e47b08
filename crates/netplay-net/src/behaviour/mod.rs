//! What a server or socket does with what it receives: greet and echo
//! (with the server's settings), the HTTP responder, line rules, and the
//! guards a UDP socket keeps (burst caps, loss simulation, loop detection).

pub mod burst;
pub mod greet;
pub mod http_responder;
pub mod loop_guard;
pub mod lossy;
pub mod rules;
