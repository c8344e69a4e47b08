//! This machine's addresses, for "where to listen": each interface's IPv4
//! and IPv6 addresses (getifaddrs, through `nix`), plus the two wildcard
//! addresses, each with what choosing it means.

use std::net::IpAddr;

/// One address a socket can be bound to, and what it means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// The address.
    pub ip: IpAddr,
    /// The interface it belongs to (`lo`, `eth0`), or `every interface`.
    pub interface: String,
    /// What binding it means, in words.
    pub meaning: &'static str,
}

impl Choice {
    /// `127.0.0.1` or `[::1]`, ready to put before `:port`.
    pub fn host(&self) -> String {
        match self.ip {
            IpAddr::V4(ip) => ip.to_string(),
            IpAddr::V6(ip) => format!("[{ip}]"),
        }
    }
}

/// What binding `ip` means.
pub fn meaning(ip: IpAddr) -> &'static str {
    if ip.is_loopback() {
        "this machine only"
    } else if ip.is_unspecified() {
        "every interface: reachable from every network this machine is on"
    } else if matches!(ip, IpAddr::V6(v6) if (v6.segments()[0] & 0xffc0) == 0xfe80) {
        "link-local: this network segment only (needs the interface in the address)"
    } else {
        "reachable from that interface's network"
    }
}

/// This host's IPv4 subnet broadcast addresses (each interface's), so an
/// arrival sent to one is told from unicast.
pub fn broadcast_addresses() -> Vec<std::net::Ipv4Addr> {
    let Ok(addresses) = nix::ifaddrs::getifaddrs() else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for address in addresses {
        let v4 = |storage: &Option<nix::sys::socket::SockaddrStorage>| {
            storage
                .as_ref()
                .and_then(|s| s.as_sockaddr_in())
                .map(|s| s.ip())
        };
        // The interface's own, or its subnet's last address (loopback
        // has no broadcast flag, yet 127.255.255.255 is one).
        let computed = match (v4(&address.address), v4(&address.netmask)) {
            (Some(ip), Some(mask)) if u32::from(mask).count_ones() < 31 => {
                Some(std::net::Ipv4Addr::from(u32::from(ip) | !u32::from(mask)))
            }
            _ => None,
        };
        for broadcast in [v4(&address.broadcast), computed].into_iter().flatten() {
            if !found.contains(&broadcast) {
                found.push(broadcast);
            }
        }
    }
    found
}

/// The wildcards first, then loopback, then the other addresses, IPv4
/// before IPv6 within each.
pub fn choices() -> Vec<Choice> {
    let mut found: Vec<Choice> = Vec::new();
    if let Ok(addresses) = nix::ifaddrs::getifaddrs() {
        for address in addresses {
            let Some(storage) = address.address else {
                continue;
            };
            let ip = if let Some(v4) = storage.as_sockaddr_in() {
                IpAddr::V4(v4.ip())
            } else if let Some(v6) = storage.as_sockaddr_in6() {
                IpAddr::V6(v6.ip())
            } else {
                continue;
            };
            if !found.iter().any(|c| c.ip == ip) {
                found.push(Choice {
                    ip,
                    interface: address.interface_name.clone(),
                    meaning: meaning(ip),
                });
            }
        }
    }
    let wildcard = |ip: IpAddr| Choice {
        ip,
        interface: "every interface".into(),
        meaning: meaning(ip),
    };
    let rank = |c: &Choice| (!c.ip.is_loopback(), c.ip.is_ipv6());
    found.sort_by_key(rank);
    let mut all = vec![
        wildcard(IpAddr::from([0, 0, 0, 0])),
        wildcard(IpAddr::from([0u16; 8])),
    ];
    all.extend(found);
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_includes_loopback_and_the_wildcards_with_their_meaning() {
        let choices = choices();
        let loopback = choices
            .iter()
            .find(|c| c.ip == IpAddr::from([127, 0, 0, 1]))
            .expect("127.0.0.1 is listed");
        assert_eq!(loopback.meaning, "this machine only");
        assert_eq!(choices[0].host(), "0.0.0.0");
        assert_eq!(choices[1].host(), "[::]");
        assert!(choices[0].meaning.starts_with("every interface"));
        assert_eq!(
            meaning("192.168.1.20".parse().unwrap()),
            "reachable from that interface's network"
        );
    }
}
