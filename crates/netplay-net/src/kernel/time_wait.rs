//! Where the kernel keeps a closed connection: TIME_WAIT, read from
//! `/proc/net/tcp` and `/proc/net/tcp6` (Linux). The side that closes
//! first keeps the 4-tuple for about 60 s, so late segments of the old
//! connection cannot be mistaken for a new one.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The kernel's number for TIME_WAIT in `/proc/net/tcp`'s `st` column.
const TIME_WAIT: &str = "06";

/// Whether the connection `local` ⇄ `remote` is in TIME_WAIT now; `None`
/// where `/proc/net/tcp` cannot tell (not Linux, not readable).
pub fn in_time_wait(local: SocketAddr, remote: SocketAddr) -> Option<bool> {
    let found = time_wait_entries(&table_for(local)?).any(|(l, r)| l == local && r == remote);
    Some(found)
}

/// How many connections with the local address `local` are in TIME_WAIT
/// now (for a server: how many of its listener's past connections the
/// kernel still keeps); `None` where `/proc/net/tcp` cannot tell.
pub fn count_local(local: SocketAddr) -> Option<usize> {
    Some(
        time_wait_entries(&table_for(local)?)
            .filter(|(l, _)| *l == local)
            .count(),
    )
}

fn table_for(local: SocketAddr) -> Option<String> {
    match local {
        SocketAddr::V4(_) => std::fs::read_to_string("/proc/net/tcp").ok(),
        SocketAddr::V6(_) => std::fs::read_to_string("/proc/net/tcp6").ok(),
    }
}

/// The (local, remote) pairs in TIME_WAIT in one `/proc/net/tcp*` table.
pub fn time_wait_entries(table: &str) -> impl Iterator<Item = (SocketAddr, SocketAddr)> + '_ {
    table.lines().skip(1).filter_map(|line| {
        let mut fields = line.split_whitespace();
        let _slot = fields.next()?;
        let local = parse(fields.next()?)?;
        let remote = parse(fields.next()?)?;
        (fields.next()? == TIME_WAIT).then_some((local, remote))
    })
}

/// `0100007F:1F90` (IPv4, as the kernel stores it) or 32 hex digits
/// (IPv6, four 32-bit words in the kernel's byte order) and a hex port.
fn parse(text: &str) -> Option<SocketAddr> {
    let (ip, port) = text.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let ip = match ip.len() {
        8 => {
            let word = u32::from_str_radix(ip, 16).ok()?;
            IpAddr::V4(Ipv4Addr::from(word.to_le_bytes()))
        }
        32 => {
            let mut bytes = [0u8; 16];
            for (at, chunk) in bytes.chunks_mut(4).enumerate() {
                let word = u32::from_str_radix(&ip[at * 8..at * 8 + 8], 16).ok()?;
                chunk.copy_from_slice(&word.to_le_bytes());
            }
            IpAddr::V6(Ipv6Addr::from(bytes))
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_kernels_table() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
   0: 0100007F:270F 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1\n\
   1: 0100007F:A5D4 0100007F:270F 06 00000000:00000000 03:00001770 00000000     0        0 0\n";
        let entries: Vec<_> = time_wait_entries(table).collect();
        assert_eq!(
            entries,
            [(
                "127.0.0.1:42452".parse().unwrap(),
                "127.0.0.1:9999".parse().unwrap()
            )]
        );
        assert_eq!(
            parse("00000000000000000000000001000000:270F"),
            Some("[::1]:9999".parse().unwrap())
        );
    }

    /// A real close: the side that closes first is left in TIME_WAIT.
    #[test]
    fn the_side_that_closes_first_holds_time_wait() {
        use std::io::Read;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (mut server, _) = listener.accept().unwrap();
        let (local, remote) = (client.local_addr().unwrap(), client.peer_addr().unwrap());
        drop(client); // the client closes first
        let mut rest = Vec::new();
        server.read_to_end(&mut rest).unwrap();
        drop(server); // then the server
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            match in_time_wait(local, remote) {
                None => return, // no /proc here: nothing to check
                Some(true) => break,
                Some(false) if std::time::Instant::now() < deadline => std::thread::yield_now(),
                Some(false) => panic!("{local} ⇄ {remote} never showed TIME_WAIT"),
            }
        }
        // At least this one: an earlier connection from the same
        // ephemeral port (another test's) may still be in TIME_WAIT too.
        assert!(
            count_local(local).is_some_and(|n| n >= 1),
            "one connection from {local}"
        );
        let server_side = listener.local_addr().unwrap();
        assert_eq!(
            in_time_wait(server_side, local),
            Some(false),
            "the server closed second"
        );
    }
}
