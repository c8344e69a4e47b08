//! Multicast groups and broadcast: joining a group (`239.1.2.3@127.0.0.1`,
//! `ff02::1%lo`), the multicast TTL, loopback and outgoing interface, and
//! `SO_BROADCAST` — each applied to the socket and said in a line, so a
//! learner sees what the kernel was asked.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use tokio::net::UdpSocket;

/// The interface a group is joined on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Iface {
    /// IPv4: the interface with this address.
    V4(Ipv4Addr),
    /// IPv6: the interface with this index.
    Index(u32),
}

/// A multicast group to join.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Group {
    /// The group's address.
    pub addr: IpAddr,
    /// Where; `None`: the kernel's choice (the default route's interface).
    pub iface: Option<Iface>,
}

impl Group {
    /// Reads `239.1.2.3`, `239.1.2.3@127.0.0.1`, `ff02::1%lo`,
    /// `ff02::1%1` (an interface name is looked up in /sys/class/net).
    pub fn parse(text: &str) -> Result<Self, String> {
        let shown = crate::text::typed(text);
        let (addr, iface) = match text.split_once(['@', '%']) {
            Some((addr, iface)) => (addr, Some(iface)),
            None => (text, None),
        };
        let addr = addr
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .map_err(|_| {
                format!("'{shown}': not a group address (e.g. 239.1.2.3@127.0.0.1 or ff02::1%lo)")
            })?;
        if !addr.is_multicast() {
            return Err(format!(
                "'{shown}': {addr} is not a multicast address (224.0.0.0/4, ff00::/8)"
            ));
        }
        let iface = match (iface, addr) {
            (None, _) => None,
            (Some(iface), IpAddr::V4(_)) => Some(Iface::V4(iface.parse().map_err(|_| {
                format!("'{shown}': an IPv4 group is joined on an interface's IPv4 address, e.g. @127.0.0.1")
            })?)),
            (Some(iface), IpAddr::V6(_)) => Some(Iface::Index(interface_index(iface).map_err(|reason| {
                format!("'{shown}': an IPv6 group is joined on an interface's name or index, e.g. ff02::1%lo ({reason})")
            })?)),
        };
        Ok(Self { addr, iface })
    }

    fn words(&self) -> String {
        match self.iface {
            Some(Iface::V4(ip)) => format!("{} on {ip}", self.addr),
            Some(Iface::Index(index)) => format!("{} on interface #{index}", self.addr),
            None => format!("{} on the default interface", self.addr),
        }
    }
}

/// An interface's index from its name or number (read from sysfs, no
/// system call needed).
fn interface_index(text: &str) -> Result<u32, String> {
    if let Ok(index) = text.parse::<u32>() {
        return Ok(index);
    }
    let shown = crate::text::typed(text);
    if text.is_empty() || text.contains(['/', '.']) {
        return Err(format!("'{shown}' is not an interface name"));
    }
    std::fs::read_to_string(format!("/sys/class/net/{text}/ifindex"))
        .ok()
        .and_then(|index| index.trim().parse().ok())
        .ok_or_else(|| format!("no interface named '{shown}'"))
}

/// What is asked of a socket besides its address.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UdpOptions {
    /// Groups to join.
    pub join: Vec<Group>,
    /// The interface multicast goes out of (IPv4 address).
    pub multicast_if: Option<Ipv4Addr>,
    /// Hops a multicast datagram may take (1: this network only).
    pub multicast_ttl: Option<u32>,
    /// Whether our own multicast comes back to this host's members
    /// (Linux: on by default).
    pub multicast_loop: Option<bool>,
    /// `SO_BROADCAST`: sending to a broadcast address is allowed.
    pub broadcast: bool,
}

impl UdpOptions {
    /// Whether the socket needs `SO_REUSEADDR` (several members of one
    /// group on one host bind the same port).
    pub(super) fn shares_port(&self) -> bool {
        !self.join.is_empty()
    }

    /// Applies the options to `socket`; the lines that say what was done.
    pub(super) fn apply(&self, socket: &UdpSocket) -> Result<Vec<String>, String> {
        let mut said = Vec::new();
        let failed =
            |what: &str, err: std::io::Error| format!("{what}: {}", crate::error::os_reason(&err));
        if self.broadcast {
            socket
                .set_broadcast(true)
                .map_err(|err| failed("SO_BROADCAST", err))?;
            said.push("SO_BROADCAST on: datagrams to a broadcast address may be sent".to_string());
        }
        let mut joined: Vec<&Group> = Vec::new();
        for group in &self.join {
            if joined.contains(&group) {
                continue; // asked twice: joined once
            }
            joined.push(group);
            match (group.addr, group.iface) {
                (IpAddr::V4(addr), iface) => {
                    let iface = match iface {
                        Some(Iface::V4(ip)) => ip,
                        _ => Ipv4Addr::UNSPECIFIED,
                    };
                    socket.join_multicast_v4(addr, iface)
                }
                (IpAddr::V6(addr), iface) => {
                    let index = match iface {
                        Some(Iface::Index(index)) => index,
                        _ => 0,
                    };
                    socket.join_multicast_v6(&addr, index)
                }
            }
            .map_err(|err| failed(&format!("cannot join {}", group.words()), err))?;
            said.push(format!(
                "Joined multicast group {} (IP_ADD_MEMBERSHIP): datagrams to it arrive here",
                group.words()
            ));
        }
        let local = socket.local_addr().ok();
        let v4 = local.is_some_and(|local| local.is_ipv4());
        if let Some(local) = local.filter(|l| !self.join.is_empty() && !l.ip().is_unspecified()) {
            said.push(format!(
                "Bound to {}: a socket bound to one address gets no datagrams sent to a group; bind 0.0.0.0:{} (or GROUP:{}@IFACE) to hear the group",
                local.ip(),
                local.port(),
                local.port()
            ));
        }
        // A group joined on an interface: this socket's multicast goes
        // out of it too, unless told otherwise.
        let joined_on = self.join.iter().find_map(|group| match group.iface {
            Some(Iface::V4(ip)) => Some(ip),
            _ => None,
        });
        if let Some(ip) = self.multicast_if.or(joined_on) {
            socket2::SockRef::from(socket)
                .set_multicast_if_v4(&ip)
                .map_err(|err| failed("IP_MULTICAST_IF", err))?;
            said.push(format!(
                "Multicast goes out of the interface with {ip} (IP_MULTICAST_IF)"
            ));
        }
        if let Some(ttl) = self.multicast_ttl {
            match v4 {
                true => socket.set_multicast_ttl_v4(ttl),
                false => socket2::SockRef::from(socket).set_multicast_hops_v6(ttl),
            }
            .map_err(|err| failed("multicast TTL", err))?;
            said.push(format!(
                "Multicast TTL {ttl}: {}",
                match ttl {
                    0 => "this host only".to_string(),
                    1 => "this network only, never past a router".to_string(),
                    n => format!("up to {n} hops"),
                }
            ));
        }
        if let Some(on) = self.multicast_loop {
            match v4 {
                true => socket.set_multicast_loop_v4(on),
                false => socket.set_multicast_loop_v6(on),
            }
            .map_err(|err| failed("multicast loopback", err))?;
            said.push(format!(
                "Multicast loopback {}: our own datagrams to a group {} this host's members{}",
                if on { "on" } else { "off" },
                if on { "reach" } else { "do not reach" },
                if on {
                    ""
                } else {
                    " (sent out of the loopback interface, they come back all the same)"
                }
            ));
        }
        Ok(said)
    }
}

impl UdpOptions {
    /// Leaves every group joined (as the close would), each said in a line:
    /// the membership a learner saw taken is seen given back.
    pub(super) fn leave(&self, socket: &UdpSocket) -> Vec<String> {
        let mut said = Vec::new();
        let mut left: Vec<&Group> = Vec::new();
        for group in &self.join {
            if left.contains(&group) {
                continue;
            }
            left.push(group);
            let outcome = match (group.addr, group.iface) {
                (IpAddr::V4(addr), Some(Iface::V4(ip))) => socket.leave_multicast_v4(addr, ip),
                (IpAddr::V4(addr), _) => socket.leave_multicast_v4(addr, Ipv4Addr::UNSPECIFIED),
                (IpAddr::V6(addr), Some(Iface::Index(index))) => {
                    socket.leave_multicast_v6(&addr, index)
                }
                (IpAddr::V6(addr), _) => socket.leave_multicast_v6(&addr, 0),
            };
            said.push(match outcome {
                Ok(()) => format!(
                    "Left multicast group {} (IP_DROP_MEMBERSHIP): its datagrams no longer arrive here",
                    group.words()
                ),
                Err(err) => format!(
                    "Leaving {}: {} (the close leaves it anyway)",
                    group.words(),
                    crate::error::os_reason(&err)
                ),
            });
        }
        said
    }
}

/// A socket bound to `addr` that shares its port with other members of a
/// group on this host (`SO_REUSEADDR`).
pub(super) fn bind_shared(addr: SocketAddr) -> std::io::Result<UdpSocket> {
    let domain = socket2::Domain::for_address(addr);
    let socket = socket2::Socket::new(domain, socket2::Type::DGRAM, Some(socket2::Protocol::UDP))?;
    socket.set_reuse_address(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    UdpSocket::from_std(socket.into())
}

/// What a datagram's destination is, when it is not one peer.
pub fn destination_kind(to: SocketAddr) -> Option<&'static str> {
    match to.ip() {
        ip if ip.is_multicast() => Some("multicast"),
        IpAddr::V4(ip) if ip.is_broadcast() => Some("broadcast"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_read_with_their_interface() {
        let group = Group::parse("239.1.2.3@127.0.0.1").unwrap();
        assert_eq!(group.iface, Some(Iface::V4(Ipv4Addr::LOCALHOST)));
        let group = Group::parse("ff02::1%lo").unwrap();
        assert_eq!(group.iface, Some(Iface::Index(1)));
        assert!(Group::parse("10.0.0.1")
            .unwrap_err()
            .contains("not a multicast address"));
        assert!(Group::parse("239.1.2.3@lo").is_err());
        assert!(Group::parse("ff02::1%nope0").is_err());
        assert_eq!(
            destination_kind("239.1.2.3:9".parse().unwrap()),
            Some("multicast")
        );
        assert_eq!(
            destination_kind("255.255.255.255:9".parse().unwrap()),
            Some("broadcast")
        );
        assert_eq!(destination_kind("127.0.0.1:9".parse().unwrap()), None);
    }
}
