//! The headless commands, run as a person runs them: the release binary, its stdout, stderr and exit code.

mod basics;
mod curl;
mod data;
mod har;
mod limits;
mod llhttp;
mod log;
mod multicast;
mod names;
mod pcap;
mod pcap_edges;
mod proxy;
mod relay;
mod relay_limits;
mod relay_pipelining;
mod relay_proxy;
mod replay;
mod rules;
mod timed;
mod tls;
mod unix;
mod unix_serve;
mod websocket;
mod websocket_replay;
