//! A recording (`--record`, Alt+R) as a pcapng file: `netplay pcap`.

use std::io::Write;
use std::net::SocketAddr;
use std::time::SystemTime;

use super::flow::{TcpFlow, CLIENT, SERVER};
use super::PcapWriter;
use crate::record::{Entry, Recording, Side, Way};

/// Writes `recording` to `out` as TCP flows, one per connection (a
/// `--reconnect` recording holds several); the packets written. A
/// recording without a start time (made before netplay wrote one) starts
/// at `fallback`. The recording keeps the first connection's addresses
/// only: each later one is written from the next client port, so
/// Wireshark keeps them apart.
pub fn write_recording<W: Write>(
    recording: &Recording,
    out: W,
    fallback: SystemTime,
) -> Result<u64, String> {
    let address = |text: &str, what: &str| {
        text.parse::<SocketAddr>().map_err(|_| {
            format!(
                "the recording's {what} address {:?} is not an IP address and port",
                crate::text::sanitize(text.as_bytes())
            )
        })
    };
    if recording.remote.starts_with("unix:") || recording.local.starts_with("unix:") {
        return Err("a recording of a UNIX socket: a pcapng file holds IP packets, so there is nothing to convert".into());
    }
    let local = address(&recording.local, "local")?;
    let remote = address(&recording.remote, "remote")?;
    // Which end sent the SYN, and which way `out` goes.
    let (client, server, out_end) = match recording.side {
        Side::Client => (local, remote, CLIENT),
        Side::Server => (remote, local, SERVER),
    };
    let start = recording.start.unwrap_or(fallback);
    let comment = format!(
        "From a netplay recording made at the {} end.",
        match recording.side {
            Side::Client => "client",
            Side::Server => "server",
        }
    );
    let failed = |err: std::io::Error| format!("writing the capture failed: {err}");
    let mut writer = PcapWriter::new(out, &comment).map_err(failed)?;
    let mut flow = TcpFlow::new(client, server);
    let mut connections = 0u16;
    for entry in &recording.entries {
        let (at, packets) = match entry {
            Entry::Data { at, way, bytes } => {
                let from = match way {
                    Way::Out => out_end,
                    Way::In => 1 - out_end,
                };
                (*at, flow.data(from, bytes))
            }
            Entry::Life { at, what } => {
                let packets = match what.as_str() {
                    "connected" => {
                        if connections > 0 {
                            let mut next = client;
                            next.set_port(next_port(client.port(), connections));
                            flow = TcpFlow::new(next, server);
                        }
                        connections = connections.wrapping_add(1);
                        flow.open()
                    }
                    "half_close" => flow.fin(out_end),
                    "peer_half_close" => flow.fin(1 - out_end),
                    "closed" => flow.close(),
                    "reset" => flow.reset(out_end),
                    "peer_reset" => flow.reset(1 - out_end),
                    _ => Vec::new(),
                };
                (*at, packets)
            }
        };
        for packet in packets {
            writer.packet(start + at, &packet).map_err(failed)?;
        }
    }
    let packets = writer.packets();
    let mut out = writer.into_inner();
    out.flush().map_err(failed)?;
    Ok(packets)
}

/// The client port of the `n`th connection after the first (never 0).
fn next_port(first: u16, n: u16) -> u16 {
    match first.wrapping_add(n) {
        0 => 1,
        port => port,
    }
}
