//! The arguments of `netplay udp serve` and `netplay udp send` (kept
//! apart from args.rs, which holds the rest of the command line).

use std::path::PathBuf;

use clap::Args as ClapArgs;

use super::args::{Dump, UdpServeMode};

/// The arguments of `netplay udp serve`.
#[derive(ClapArgs, Debug)]
pub struct UdpServeArgs {
    /// Address to bind.
    pub addr: String,
    /// What to answer.
    #[arg(long, value_enum, default_value_t = UdpServeMode::Greet)]
    pub mode: UdpServeMode,
    /// Answer by rules (`PATTERN => REPLY` per line; each datagram is
    /// matched whole): the mode is rules.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// Every byte of every read on the event lines (the default line
    /// shows a preview of ~100 bytes): as escaped text, or `--dump=hex`.
    #[arg(long, value_enum, value_name = "FORM", num_args = 0..=1, require_equals = true, default_missing_value = "text")]
    pub dump: Option<Dump>,
    /// Never answer this peer (ADDR or IP; repeatable): how to end a
    /// loop with another answering server that the loop guard reports.
    #[arg(long, value_name = "ADDR")]
    pub no_reply_to: Vec<String>,
    /// Write every datagram to FILE as pcapng for Wireshark (a UDP packet
    /// each, both ways).
    #[arg(long, value_name = "FILE")]
    pub pcap: Option<PathBuf>,
    /// `--join`, `--multicast-if`, `--ttl`, `--no-multicast-loop`, `--broadcast`.
    #[command(flatten)]
    pub group: super::udp_group::UdpGroupArgs,
}

/// The arguments of `netplay udp send`.
#[derive(ClapArgs, Debug)]
pub struct UdpSendArgs {
    /// host:port to send to.
    pub addr: String,
    /// The messages, one datagram each; none and no --file: stdin's
    /// lines, one datagram each (as `nc -u` sends what it reads).
    pub messages: Vec<String>,
    /// Send FILE's bytes as one datagram (with --lines: one per line,
    /// each keeping its line ending) instead of MSG.
    #[arg(long, value_name = "FILE", conflicts_with = "messages")]
    pub file: Option<PathBuf>,
    /// With --file: one datagram per line.
    #[arg(long, requires = "file")]
    pub lines: bool,
    /// How long to wait for each reply, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    pub wait: u64,
    /// Send the messages again and again, one every MS milliseconds
    /// (replies are printed as they come); Ctrl+C stops.
    #[arg(long, value_name = "MS")]
    pub repeat: Option<u64>,
    /// With --repeat: move each wait by a random ± MS.
    #[arg(long, value_name = "MS", default_value_t = 0, requires = "repeat")]
    pub jitter: u64,
    /// With --repeat: stop after N datagrams.
    #[arg(long, value_name = "N", requires = "repeat")]
    pub count: Option<u64>,
    /// Write every datagram sent and received to FILE as pcapng for
    /// Wireshark.
    #[arg(long, value_name = "FILE")]
    pub pcap: Option<PathBuf>,
    /// `--join`, `--multicast-if`, `--ttl`, `--no-multicast-loop`, `--broadcast`.
    #[command(flatten)]
    pub group: super::udp_group::UdpGroupArgs,
}
