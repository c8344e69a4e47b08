//! The engine alone, over loopback, with real peers (hyper, std::net, rustls).

mod http;
mod http_sse;
mod http_tls;
mod kernel;
mod record;
mod relay;
mod relay_faults;
mod relay_ws;
mod tcp_client;
mod tcp_server;
mod tls;
mod udp;
mod udp_loops;
mod udp_marks;
mod udp_rules;
mod unix;
