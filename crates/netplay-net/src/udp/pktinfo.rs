//! Where an arriving datagram was sent: to this socket's own address, or
//! to a multicast group or a broadcast address. `recvfrom` says only who
//! sent it; the destination comes with `IP_PKTINFO` / `IPV6_PKTINFO`, an
//! ancillary message `recvmsg` reads beside the datagram (through `nix`,
//! whose calls are safe). Asked for only on a socket that can receive
//! such datagrams, so a plain unicast socket keeps `recvfrom`.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::AsRawFd;

use nix::sys::socket::{self, sockopt, ControlMessageOwned, MsgFlags, SockaddrStorage};
use tokio::io::Interest;
use tokio::net::UdpSocket;

/// What the destination of one arrival was, when it was not this socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// Sent to this multicast group.
    Multicast(IpAddr),
    /// Sent to this broadcast address (255.255.255.255 or a subnet's).
    Broadcast(Ipv4Addr),
}

/// The destination address alone (`239.1.2.3`).
impl std::fmt::Display for Arrival {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Arrival::Multicast(group) => write!(f, "{group}"),
            Arrival::Broadcast(addr) => write!(f, "{addr}"),
        }
    }
}

impl Arrival {
    /// The address it was sent to.
    pub fn ip(self) -> IpAddr {
        match self {
            Arrival::Multicast(group) => group,
            Arrival::Broadcast(addr) => IpAddr::V4(addr),
        }
    }

    /// An arrival's note: where it was sent (when to a group or a
    /// broadcast address) first, then what the lossy switch did to it.
    pub fn with_note(to: Option<&Arrival>, note: Option<String>) -> Option<String> {
        match (to, note) {
            (Some(to), Some(note)) => Some(format!("{}, {note}", to.words())),
            (Some(to), None) => Some(to.words()),
            (None, note) => note,
        }
    }

    /// `to multicast group 239.1.2.3`, for a row's note.
    pub fn words(self) -> String {
        match self {
            Arrival::Multicast(group) => format!("to multicast group {group}"),
            Arrival::Broadcast(addr) => format!("to broadcast address {addr}"),
        }
    }
}

/// The destinations a socket reads, once switched on for it.
pub(super) struct Destinations {
    /// The ancillary data's room (one pktinfo of either family).
    control: Vec<u8>,
    /// This host's subnet broadcast addresses (read when switched on).
    subnet_broadcasts: Vec<Ipv4Addr>,
}

/// Whether a socket bound to `local` with these options can receive a
/// datagram sent to a group or a broadcast address: a wildcard or group
/// bind, a group joined, or broadcast on.
pub(super) fn wanted(local: SocketAddr, options: &super::group::UdpOptions) -> bool {
    let ip = local.ip();
    ip.is_unspecified() || ip.is_multicast() || !options.join.is_empty() || options.broadcast
}

impl Destinations {
    /// Asks the kernel for each arrival's destination on `socket`.
    pub(super) fn switch_on(socket: &UdpSocket, local: SocketAddr) -> io::Result<Self> {
        match local {
            SocketAddr::V4(_) => socket::setsockopt(socket, sockopt::Ipv4PacketInfo, &true),
            SocketAddr::V6(_) => socket::setsockopt(socket, sockopt::Ipv6RecvPacketInfo, &true),
        }
        .map_err(io::Error::from)?;
        Ok(Self {
            control: nix::cmsg_space!(libc::in6_pktinfo),
            subnet_broadcasts: crate::kernel::interfaces::broadcast_addresses(),
        })
    }

    /// The next datagram, waiting for one: its length, sender and
    /// destination kind.
    pub(super) async fn recv(
        &mut self,
        socket: &UdpSocket,
        buffer: &mut [u8],
    ) -> io::Result<(usize, SocketAddr, Option<Arrival>)> {
        socket
            .async_io(Interest::READABLE, || self.read_one(socket, buffer))
            .await
    }

    /// The next datagram if one waits (`WouldBlock` if none).
    pub(super) fn try_recv(
        &mut self,
        socket: &UdpSocket,
        buffer: &mut [u8],
    ) -> io::Result<(usize, SocketAddr, Option<Arrival>)> {
        socket.try_io(Interest::READABLE, || self.read_one(socket, buffer))
    }

    fn read_one(
        &mut self,
        socket: &UdpSocket,
        buffer: &mut [u8],
    ) -> io::Result<(usize, SocketAddr, Option<Arrival>)> {
        let mut iov = [io::IoSliceMut::new(buffer)];
        let message = socket::recvmsg::<SockaddrStorage>(
            socket.as_raw_fd(),
            &mut iov,
            Some(&mut self.control),
            MsgFlags::empty(),
        )
        .map_err(io::Error::from)?;
        let from = message
            .address
            .as_ref()
            .and_then(socket_addr)
            .ok_or_else(|| io::Error::other("a datagram without a sender address"))?;
        let mut destination = None;
        for control in message.cmsgs() {
            match control {
                ControlMessageOwned::Ipv4PacketInfo(info) => {
                    destination = Some(IpAddr::V4(Ipv4Addr::from(u32::from_be(
                        info.ipi_addr.s_addr,
                    ))));
                }
                ControlMessageOwned::Ipv6PacketInfo(info) => {
                    destination = Some(IpAddr::V6(Ipv6Addr::from(info.ipi6_addr.s6_addr)));
                }
                _ => {}
            }
        }
        let arrival = destination.and_then(|to| classify(to, &self.subnet_broadcasts));
        Ok((message.bytes, from, arrival))
    }
}

/// A group or a broadcast address; `None` for a unicast destination.
pub(super) fn classify(to: IpAddr, subnet_broadcasts: &[Ipv4Addr]) -> Option<Arrival> {
    // A dual-stack socket is told an IPv4 destination as ::ffff:a.b.c.d.
    match to.to_canonical() {
        ip if ip.is_multicast() => Some(Arrival::Multicast(ip)),
        IpAddr::V4(ip) if ip.is_broadcast() || subnet_broadcasts.contains(&ip) => {
            Some(Arrival::Broadcast(ip))
        }
        _ => None,
    }
}

fn socket_addr(storage: &SockaddrStorage) -> Option<SocketAddr> {
    if let Some(v4) = storage.as_sockaddr_in() {
        return Some(SocketAddr::V4(SocketAddrV4::new(v4.ip(), v4.port())));
    }
    storage.as_sockaddr_in6().map(|v6| {
        SocketAddr::V6(SocketAddrV6::new(
            v6.ip(),
            v6.port(),
            v6.flowinfo(),
            v6.scope_id(),
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_and_broadcasts_are_told_from_unicast() {
        let subnet = [Ipv4Addr::new(192, 168, 1, 255)];
        let group: IpAddr = "239.1.2.3".parse().unwrap();
        assert_eq!(classify(group, &subnet), Some(Arrival::Multicast(group)));
        let v6: IpAddr = "ff02::1".parse().unwrap();
        assert_eq!(classify(v6, &subnet), Some(Arrival::Multicast(v6)));
        assert_eq!(
            classify(IpAddr::V4(Ipv4Addr::BROADCAST), &subnet),
            Some(Arrival::Broadcast(Ipv4Addr::BROADCAST))
        );
        assert_eq!(
            classify("192.168.1.255".parse().unwrap(), &subnet),
            Some(Arrival::Broadcast(subnet[0]))
        );
        assert_eq!(classify("127.0.0.1".parse().unwrap(), &subnet), None);
        // As a dual-stack socket hears IPv4.
        assert_eq!(
            classify("::ffff:239.1.2.3".parse().unwrap(), &subnet),
            Some(Arrival::Multicast(group))
        );
        assert_eq!(
            classify("::ffff:192.168.1.255".parse().unwrap(), &subnet),
            Some(Arrival::Broadcast(subnet[0]))
        );
        assert_eq!(classify("::ffff:127.0.0.1".parse().unwrap(), &subnet), None);
        assert_eq!(classify("192.168.1.7".parse().unwrap(), &subnet), None);
    }
}
