//! `udp serve|send` flags for multicast and broadcast: groups to join,
//! the multicast interface, TTL and loopback, `SO_BROADCAST`
//! (`crate::net::udp::group`).

use clap::Args;

use crate::net::udp::group::Group;
use crate::net::udp::UdpOptions;

/// Multicast and broadcast flags.
#[derive(Args, Debug, Clone, Default)]
pub struct UdpGroupArgs {
    /// Join a multicast group: 239.1.2.3@IFACE-ADDRESS (IPv4: the
    /// interface's address, e.g. @127.0.0.1) or ff02::1%IFACE (IPv6: its
    /// name or index); the port is the bound one, shared with the
    /// group's other members on this host (repeatable).
    #[arg(long, value_name = "GROUP[@IFACE]")]
    pub join: Vec<String>,
    /// The interface multicast is sent out of (its IPv4 address).
    #[arg(long, value_name = "ADDRESS")]
    pub multicast_if: Option<std::net::Ipv4Addr>,
    /// Hops a multicast datagram may take, 0–255 (1: this network only).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=255))]
    pub ttl: Option<u32>,
    /// Our own multicast does not come back to this host's members.
    #[arg(long)]
    pub no_multicast_loop: bool,
    /// SO_BROADCAST: allow sending to a broadcast address
    /// (255.255.255.255 turns it on by itself).
    #[arg(long)]
    pub broadcast: bool,
}

impl UdpGroupArgs {
    /// The socket options asked for, or why a group is not one.
    pub fn options(&self) -> Result<UdpOptions, String> {
        let join = self
            .join
            .iter()
            .map(|text| Group::parse(text).map_err(|reason| format!("--join {reason}")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(UdpOptions {
            join,
            multicast_if: self.multicast_if,
            multicast_ttl: self.ttl,
            multicast_loop: self.no_multicast_loop.then_some(false),
            broadcast: self.broadcast,
        })
    }
}
