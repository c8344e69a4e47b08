//! Sessions as Wireshark reads them: pcapng files made from netplay's own
//! view of its connections — no capture, no root. Each connection becomes
//! a synthetic TCP flow ([`flow`]): the handshake, every read as segments
//! whose sequence numbers match the bytes, the FINs as they happened. The
//! file says in its section comment that it is synthetic: the segment
//! boundaries are netplay's reads, there are no retransmissions, and the
//! handshake's moment is when netplay saw the connection open.
//!
//! The format's blocks are written by the `pcap-file` crate; the packets
//! (raw IPv4/IPv6, link type 101) are built here ([`packet`]).

pub mod capture;
pub mod flow;
pub mod packet;
mod recording;
pub mod tap;

use std::borrow::Cow;
use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::blocks::section_header::{SectionHeaderBlock, SectionHeaderOption};
use pcap_file::pcapng::blocks::unknown::UnknownBlock;
use pcap_file::pcapng::{PcapNgBlock, PcapNgWriter};
use pcap_file::{DataLink, Endianness};

pub use capture::{Capture, CaptureEnd, FlowTap};
pub use flow::TcpFlow;
pub use recording::write_recording;

/// What every file says of itself (its section header's comment).
pub const SYNTHETIC: &str = "Synthetic capture written by netplay from its own view of the \
session: segment boundaries are netplay's reads, there are no retransmissions, and no packet \
was captured off the wire.";

/// A pcapng file being written: one section, one raw-IP interface.
pub struct PcapWriter<W: Write> {
    inner: PcapNgWriter<W>,
    packets: u64,
    /// The newest timestamp written: a packet stamped earlier (queued
    /// behind another flow's) is written at it, so time never goes back.
    newest: Duration,
}

fn io_error(err: pcap_file::PcapError) -> std::io::Error {
    match err {
        pcap_file::PcapError::IoError(err) => err,
        other => std::io::Error::other(other.to_string()),
    }
}

impl<W: Write> PcapWriter<W> {
    /// Starts the file: the section header (with `comment` after the
    /// synthetic note) and the interface.
    pub fn new(out: W, comment: &str) -> std::io::Result<Self> {
        let note = match comment {
            "" => SYNTHETIC.to_string(),
            more => format!("{SYNTHETIC} {more}"),
        };
        let section = SectionHeaderBlock {
            endianness: Endianness::Little,
            options: vec![
                SectionHeaderOption::Comment(Cow::Owned(note)),
                SectionHeaderOption::UserApplication(Cow::Owned(format!(
                    "netplay {}",
                    env!("CARGO_PKG_VERSION")
                ))),
            ],
            ..SectionHeaderBlock::default()
        };
        let mut inner = PcapNgWriter::with_section_header(out, section).map_err(io_error)?;
        let interface = InterfaceDescriptionBlock {
            linktype: DataLink::RAW,
            snaplen: 0,
            options: vec![
                InterfaceDescriptionOption::IfName(Cow::Borrowed("netplay")),
                // The blocks carry nanoseconds.
                InterfaceDescriptionOption::IfTsResol(9),
            ],
        };
        inner
            .write_block(&interface.into_block())
            .map_err(io_error)?;
        Ok(Self {
            inner,
            packets: 0,
            newest: Duration::ZERO,
        })
    }

    /// One packet seen at `at`.
    pub fn packet(&mut self, at: SystemTime, bytes: &[u8]) -> std::io::Result<()> {
        let at = at.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
        self.newest = self.newest.max(at);
        let block = EnhancedPacketBlock {
            interface_id: 0,
            timestamp: self.newest,
            original_len: bytes.len() as u32,
            data: Cow::Borrowed(bytes),
            options: Vec::new(),
        };
        self.inner
            .write_block(&block.into_block())
            .map_err(io_error)?;
        self.packets += 1;
        Ok(())
    }

    /// TLS secrets in the NSS key log format, for Wireshark to decrypt the
    /// TLS sessions that follow (a Decryption Secrets Block).
    pub fn tls_secrets(&mut self, keylog: &[u8]) -> std::io::Result<()> {
        const DECRYPTION_SECRETS: u32 = 0x0000_000a;
        const TLS_KEY_LOG: u32 = 0x544c_534b;
        let mut body = Vec::with_capacity(8 + keylog.len());
        body.extend_from_slice(&TLS_KEY_LOG.to_le_bytes());
        body.extend_from_slice(&(keylog.len() as u32).to_le_bytes());
        body.extend_from_slice(keylog);
        // The writer pads the secrets to four bytes; no options follow.
        let block = UnknownBlock::new(DECRYPTION_SECRETS, 0, &body);
        self.inner
            .write_block(&block.into_block())
            .map_err(io_error)?;
        Ok(())
    }

    /// Pushes what is buffered to the file.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.inner.get_mut().flush()
    }

    /// Packets written.
    pub fn packets(&self) -> u64 {
        self.packets
    }

    /// The writer, flushed by the caller.
    pub fn into_inner(self) -> W {
        self.inner.into_inner()
    }
}
