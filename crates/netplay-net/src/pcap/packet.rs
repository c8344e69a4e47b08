//! Synthetic IP packets: an IPv4 or IPv6 header and a TCP or UDP header
//! around the bytes netplay saw, with real checksums, so Wireshark's
//! dissectors and its TCP analysis read them as they would a capture.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

/// TCP's FIN flag: no more data from the sender.
pub const FIN: u8 = 0x01;
/// SYN: opens a connection.
pub const SYN: u8 = 0x02;
/// RST: aborts it.
pub const RST: u8 = 0x04;
/// PSH: the end of a write.
pub const PSH: u8 = 0x08;
/// ACK: the acknowledgement number is valid.
pub const ACK: u8 = 0x10;

/// The MSS announced in the SYNs and used to cut segments (loopback's:
/// the 65,535-byte IP packet less the headers).
pub const MSS: usize = 65_483;

/// The window every segment announces (scaled: 65,535 × 2⁷).
const WINDOW: u16 = 65_535;
const WINDOW_SCALE: u8 = 7;

/// Both ends in one family: an IPv4 end paired with an IPv6 one is
/// written as its IPv4-mapped IPv6 address.
fn same_family(src: IpAddr, dst: IpAddr) -> (IpAddr, IpAddr) {
    match (src, dst) {
        (IpAddr::V4(a), IpAddr::V6(b)) => (IpAddr::V6(a.to_ipv6_mapped()), IpAddr::V6(b)),
        (IpAddr::V6(a), IpAddr::V4(b)) => (IpAddr::V6(a), IpAddr::V6(b.to_ipv6_mapped())),
        other => other,
    }
}

/// The one's-complement sum of 16-bit words (RFC 1071).
fn sum(mut acc: u32, bytes: &[u8]) -> u32 {
    let mut pairs = bytes.chunks_exact(2);
    for pair in &mut pairs {
        acc += u32::from(u16::from_be_bytes([pair[0], pair[1]]));
    }
    if let [last] = pairs.remainder() {
        acc += u32::from(*last) << 8;
    }
    acc
}

fn fold(mut acc: u32) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

/// An IP packet around `transport` (a TCP or UDP header and payload whose
/// checksum field is zero; it is filled in here).
fn ip_packet(src: IpAddr, dst: IpAddr, protocol: u8, mut transport: Vec<u8>, id: u16) -> Vec<u8> {
    let (src, dst) = same_family(src, dst);
    let checksum_at = if protocol == 6 { 16 } else { 6 };
    let len = transport.len();
    let pseudo = match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let mut p = Vec::with_capacity(12);
            p.extend_from_slice(&s.octets());
            p.extend_from_slice(&d.octets());
            p.extend_from_slice(&[0, protocol]);
            p.extend_from_slice(&(len as u16).to_be_bytes());
            p
        }
        (s, d) => {
            let v6 = |ip: IpAddr| match ip {
                IpAddr::V6(ip) => ip,
                IpAddr::V4(ip) => ip.to_ipv6_mapped(),
            };
            let mut p = Vec::with_capacity(40);
            p.extend_from_slice(&v6(s).octets());
            p.extend_from_slice(&v6(d).octets());
            p.extend_from_slice(&(len as u32).to_be_bytes());
            p.extend_from_slice(&[0, 0, 0, protocol]);
            p
        }
    };
    let mut checksum = fold(sum(sum(0, &pseudo), &transport));
    if protocol == 17 && checksum == 0 {
        checksum = 0xffff; // UDP: zero means "none"
    }
    transport[checksum_at..checksum_at + 2].copy_from_slice(&checksum.to_be_bytes());
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let mut ip = Vec::with_capacity(20 + len);
            ip.extend_from_slice(&[0x45, 0]);
            ip.extend_from_slice(&((20 + len) as u16).to_be_bytes());
            ip.extend_from_slice(&id.to_be_bytes());
            ip.extend_from_slice(&[0x40, 0, 64, protocol, 0, 0]); // DF, TTL 64
            ip.extend_from_slice(&s.octets());
            ip.extend_from_slice(&d.octets());
            let header = fold(sum(0, &ip));
            ip[10..12].copy_from_slice(&header.to_be_bytes());
            ip.extend_from_slice(&transport);
            ip
        }
        (s, d) => {
            let v6 = |ip: IpAddr| match ip {
                IpAddr::V6(ip) => ip,
                IpAddr::V4(ip) => ip.to_ipv6_mapped(),
            };
            let (s, d): (Ipv6Addr, Ipv6Addr) = (v6(s), v6(d));
            let mut ip = Vec::with_capacity(40 + len);
            ip.extend_from_slice(&[0x60, 0, 0, 0]);
            ip.extend_from_slice(&(len as u16).to_be_bytes());
            ip.extend_from_slice(&[protocol, 64]);
            ip.extend_from_slice(&s.octets());
            ip.extend_from_slice(&d.octets());
            ip.extend_from_slice(&transport);
            ip
        }
    }
}

/// One TCP segment from `src` to `dst`; a SYN carries the MSS and window
/// scale options.
pub fn tcp(
    src: SocketAddr,
    dst: SocketAddr,
    seq: u32,
    ack: u32,
    flags: u8,
    payload: &[u8],
    id: u16,
) -> Vec<u8> {
    let options: &[u8] = if flags & SYN != 0 {
        let mss = (MSS as u16).to_be_bytes();
        &[2, 4, mss[0], mss[1], 1, 3, 3, WINDOW_SCALE]
    } else {
        &[]
    };
    let header_len = 20 + options.len();
    let mut segment = Vec::with_capacity(header_len + payload.len());
    segment.extend_from_slice(&src.port().to_be_bytes());
    segment.extend_from_slice(&dst.port().to_be_bytes());
    segment.extend_from_slice(&seq.to_be_bytes());
    let ack = if flags & ACK != 0 { ack } else { 0 };
    segment.extend_from_slice(&ack.to_be_bytes());
    segment.push(((header_len / 4) as u8) << 4);
    segment.push(flags);
    segment.extend_from_slice(&WINDOW.to_be_bytes());
    segment.extend_from_slice(&[0, 0, 0, 0]); // checksum, urgent pointer
    segment.extend_from_slice(options);
    segment.extend_from_slice(payload);
    ip_packet(src.ip(), dst.ip(), 6, segment, id)
}

/// One UDP datagram from `src` to `dst`.
pub fn udp(src: SocketAddr, dst: SocketAddr, payload: &[u8], id: u16) -> Vec<u8> {
    let len = 8 + payload.len();
    let mut datagram = Vec::with_capacity(len);
    datagram.extend_from_slice(&src.port().to_be_bytes());
    datagram.extend_from_slice(&dst.port().to_be_bytes());
    datagram.extend_from_slice(&(len.min(0xffff) as u16).to_be_bytes());
    datagram.extend_from_slice(&[0, 0]);
    datagram.extend_from_slice(payload);
    ip_packet(src.ip(), dst.ip(), 17, datagram, id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checksummed_packet_sums_to_zero() {
        let a: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        let b: SocketAddr = "127.0.0.1:9999".parse().unwrap();
        let packet = tcp(a, b, 1, 2, ACK | PSH, b"Michael", 7);
        assert_eq!(packet.len(), 20 + 20 + 7);
        assert_eq!(fold(sum(0, &packet[..20])), 0, "the IPv4 header checks");
        let mut pseudo = Vec::new();
        pseudo.extend_from_slice(&packet[12..20]);
        pseudo.extend_from_slice(&[0, 6, 0, 27]);
        assert_eq!(
            fold(sum(sum(0, &pseudo), &packet[20..])),
            0,
            "the TCP checksum checks"
        );
        let v6 = tcp("[::1]:1".parse().unwrap(), b, 0, 0, SYN, b"", 0);
        assert_eq!(v6[0] >> 4, 6, "a mixed pair is written as IPv6");
        assert_eq!(v6.len(), 40 + 28);
        assert_eq!(udp(a, b, b"ping", 0).len(), 20 + 8 + 4);
    }
}
