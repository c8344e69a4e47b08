//! The command line's shape: every subcommand, flag and value, as clap
//! reads them (with the help each one prints). What they do is in the
//! command modules beside this one.

use std::path::PathBuf;

use clap::{Args as ClapArgs, Parser, Subcommand, ValueEnum};

pub use super::event_log::Dump;
pub use super::udp_args::{UdpSendArgs, UdpServeArgs};

/// A terminal network playground: HTTP, TCP server, TCP client, UDP and relay
/// over real sockets. With no subcommand, the full-screen UI opens.
#[derive(Parser, Debug)]
#[command(
    name = "netplay",
    version,
    about,
    after_help = "Examples:\n  netplay                                  open the terminal UI\n  netplay --tab server --addr 0.0.0.0:8080 open the UI on the TCP Server tab\n  netplay fetch -v http://127.0.0.1:9999/  a request, curl-like\n  netplay tcp serve 127.0.0.1:9999         the tutorial's greet server\n  netplay udp send 127.0.0.1:9999 Michael  one datagram, print the reply"
)]
pub struct Args {
    /// What to run headless; none opens the terminal UI.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// UI: tab to open on (http, server, client, udp or relay).
    #[arg(long, value_name = "TAB")]
    pub tab: Option<String>,
    /// UI: pre-fill the first field of that tab (URL, listen address,
    /// target or bind address).
    #[arg(long, value_name = "ADDR|URL")]
    pub addr: Option<String>,
    /// UI: the TCP server's starting mode.
    #[arg(long, value_enum, value_name = "MODE")]
    pub mode: Option<ServeMode>,
    /// UI: a .http request collection (VS Code REST Client / JetBrains
    /// format) for the HTTP tab; Alt+R lists its requests.
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// UI: leave the mouse to the terminal (no clicks or wheel in netplay;
    /// plain drag then selects text).
    #[arg(long)]
    pub no_mouse: bool,
    /// UI: start clean and remember nothing (no addresses, modes or
    /// histories read from or written to $XDG_STATE_HOME/netplay/state).
    #[arg(long)]
    pub no_state: bool,
    /// UI: where Alt+R recordings go (default: the current directory).
    #[arg(long, value_name = "DIR")]
    pub record_dir: Option<PathBuf>,
    /// Every event line as one JSON object per line (fields in docs/json-events.md).
    #[arg(long, global = true)]
    pub json: bool,
    /// No event lines: only data and errors.
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

/// What `netplay ca` does.
#[derive(Subcommand, Debug, Clone, Copy)]
pub enum CaCommand {
    /// Print the CA certificate's path (made on first use), for
    /// `curl --cacert`, `openssl s_client -CAfile` or Python's `ssl`.
    #[command(
        after_help = "Example:\n  curl --cacert \"$(netplay ca path)\" https://localhost:8443/"
    )]
    Path,
    /// Print (never run) the commands that add the CA to this system's
    /// trust store and to browsers.
    Install,
}

/// The headless commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// An HTTP/1.1 or HTTPS request, curl-like: the body to stdout or a file.
    #[command(
        after_help = "Examples:\n  netplay fetch http://127.0.0.1:9999/\n  netplay fetch -o page.html https://example.com/\n  netplay fetch -v -X POST -H 'Content-Type: text/plain' -d hello http://127.0.0.1:9999/\n  netplay fetch --timing --cacert ca.pem https://localhost:8443/"
    )]
    Fetch(FetchArgs),
    /// TCP: serve (the server tab's engine) or connect (like nc).
    Tcp {
        /// serve or connect.
        #[command(subcommand)]
        command: TcpCommand,
    },
    /// UDP: serve (bind and answer) or send datagrams.
    Udp {
        /// serve or send.
        #[command(subcommand)]
        command: UdpCommand,
    },
    /// Sit between a client and a server: watch every read both ways, and
    /// add faults (latency, bandwidth, slicing, a byte limit).
    #[command(
        after_help = "Examples:\n  netplay relay 127.0.0.1:9998 127.0.0.1:9999\n  netplay relay 127.0.0.1:9998 127.0.0.1:9999 --latency 200 --jitter 50\n  netplay relay 127.0.0.1:9998 127.0.0.1:9999 --slice 1 --direction down\n  netplay --json relay [::1]:8443 example.test:443 --bandwidth 10000"
    )]
    Relay(RelayArgs),
    /// WebSocket: a client for pipes (`netplay ws URL`, like websocat), or
    /// `ws serve` (greet, echo, rules over frames; every frame shown).
    #[command(
        args_conflicts_with_subcommands = true,
        subcommand_negates_reqs = true,
        after_help = "Examples:\n  echo Michael | netplay ws ws://127.0.0.1:9001/\n  netplay ws wss://localhost:8443/chat --cacert \"$(netplay ca path)\" --protocol chat\n  netplay --json ws ws://127.0.0.1:9001/ < messages.txt\n  netplay ws serve 127.0.0.1:9001 --mode echo"
    )]
    Ws {
        /// serve.
        #[command(subcommand)]
        command: Option<WsCommand>,
        /// The client's arguments.
        #[command(flatten)]
        connect: WsConnectArgs,
    },
    /// Play a recorded session (tcp connect --record) back: as a mock
    /// server (--serve) or as a client that checks a server (--connect).
    #[command(
        after_help = "Examples:\n  netplay replay session.jsonl --serve 127.0.0.1:9999\n  netplay replay session.jsonl --connect 127.0.0.1:9999   (exit 1 when the answers differ)"
    )]
    Replay(ReplayArgs),
    /// Turn a recording into a pcapng file for Wireshark: one synthetic TCP
    /// flow (handshake, every read as segments, the FINs), no capture needed.
    #[command(
        after_help = "Examples:\n  netplay pcap session.jsonl                 (writes session.pcapng)\n  netplay pcap session.jsonl -o chat.pcapng && wireshark chat.pcapng"
    )]
    Pcap(PcapArgs),
    /// netplay's local certificate authority (the CA behind every `--tls`
    /// server without --cert).
    Ca {
        /// path or install.
        #[command(subcommand)]
        command: CaCommand,
    },
    /// Print a shell completion script.
    #[command(
        after_help = "Example:\n  netplay completions bash > /etc/bash_completion.d/netplay"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff).
    #[command(after_help = "Example:\n  netplay man | man -l -")]
    Man,
}

/// `netplay fetch`.
#[derive(ClapArgs, Debug)]
pub struct FetchArgs {
    /// The URL (http:// or https://).
    #[arg(required_unless_present = "from_curl")]
    pub url: Option<String>,
    /// Take the request from a curl command line (as "Copy as cURL" gives
    /// it): method, URL, headers, body, -u, -k, --cacert; options given
    /// here as well win. Options netplay does not act on are listed.
    #[arg(long, value_name = "COMMAND")]
    pub from_curl: Option<String>,
    /// The method (GET, or POST when a body is given).
    #[arg(short = 'X', long = "request", value_name = "METHOD")]
    pub method: Option<String>,
    /// A header, 'Name: value'; replaces a default of the same name.
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub headers: Vec<String>,
    /// The request body.
    #[arg(short = 'd', long, value_name = "DATA", conflicts_with = "data_file")]
    pub data: Option<String>,
    /// The request body, from a file (bytes as they are).
    #[arg(long, value_name = "FILE")]
    pub data_file: Option<PathBuf>,
    /// Write the body to FILE (streamed; memory stays flat for any size).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Include the response head in the output, before the body.
    #[arg(short, long)]
    pub include: bool,
    /// The raw request and response head on stderr.
    #[arg(short, long)]
    pub verbose: bool,
    /// DNS, connect, TLS, first byte and total times on stderr.
    #[arg(long)]
    pub timing: bool,
    /// Trust the CA certificates in this PEM file too.
    #[arg(long, value_name = "PEM")]
    pub cacert: Option<PathBuf>,
    /// Skip certificate verification (insecure).
    #[arg(short = 'k', long)]
    pub insecure: bool,
    /// Append the TLS session's secrets to FILE (NSS key log, for
    /// Wireshark); `SSLKEYLOGFILE` does the same when set.
    #[arg(long, value_name = "FILE")]
    pub keylog: Option<PathBuf>,
    /// Write the exchange to FILE as pcapng for Wireshark: the TCP flow as
    /// it went over the socket (ciphertext for https, with the session's
    /// secrets in the file, so it opens decrypted).
    #[arg(long, value_name = "FILE")]
    pub pcap: Option<PathBuf>,
    /// Add the exchange to FILE as a HAR 1.2 entry (the file is made, or
    /// appended to and kept valid): request, response head, body size,
    /// timings, the TLS session in a comment.
    #[arg(long, value_name = "FILE")]
    pub har: Option<PathBuf>,
    /// `--resolve`, `--connect-to`.
    #[command(flatten)]
    pub names: super::names::NameArgs,
    /// Connect to this UNIX domain socket instead of the URL's host (as
    /// curl's --unix-socket, e.g. /var/run/docker.sock); no DNS, no proxy.
    #[arg(long, value_name = "PATH")]
    pub unix_socket: Option<PathBuf>,
    /// Limit for the whole request, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    pub timeout: f64,
    /// Exit 22 on an HTTP status of 400 or more (as curl --fail).
    #[arg(long)]
    pub fail: bool,
    /// Refuse a response head that is not valid HTTP/1.1 (exit 1). Without
    /// it such a head is warned about on stderr and the body delivered.
    #[arg(long)]
    pub strict: bool,
}

/// `netplay relay`.
#[derive(ClapArgs, Debug)]
pub struct RelayArgs {
    /// Address to listen on (clients connect here): host:port, or
    /// unix:/path for a UNIX socket.
    pub listen: String,
    /// host:port (or unix:/path) each client is relayed to (none with
    /// --socks5 or --http-proxy: each client names its own).
    pub target: Option<String>,
    /// With a unix:/path LISTEN: remove a stale socket file there first.
    #[arg(long)]
    pub unlink_stale: bool,
    /// `--socks5`, `--http-proxy`, `--proxy-user`, `--allow`.
    #[command(flatten)]
    pub proxy: super::relay_proxy::RelayProxyArgs,
    /// Delay every chunk by this many milliseconds (order is kept).
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency: u64,
    /// A random extra delay of up to ± this many milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub jitter: u64,
    /// At most this many bytes a second.
    #[arg(long, value_name = "BYTES_PER_S")]
    pub bandwidth: Option<u64>,
    /// Write each chunk in pieces of this many bytes.
    #[arg(long, value_name = "BYTES")]
    pub slice: Option<usize>,
    /// The pause between slices, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 10)]
    pub slice_delay: u64,
    /// Close the pair once this many bytes went one way.
    #[arg(long, value_name = "BYTES")]
    pub limit: Option<u64>,
    /// Where the faults apply: up = client → server, down = server → client.
    #[arg(long, value_enum, default_value_t = RelayDirection::Both)]
    pub direction: RelayDirection,
    /// Limit for reaching the target, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
    pub timeout: f64,
    /// Pairs open at once; more clients are closed at accept, with a line.
    #[arg(long, value_name = "N", value_parser = at_least_one)]
    pub max_conn: Option<usize>,
    /// Every byte of every read on the event lines (the default line
    /// shows a preview of ~100 bytes): as escaped text, or `--dump=hex`.
    #[arg(long, value_enum, value_name = "FORM", num_args = 0..=1, require_equals = true, default_missing_value = "text")]
    pub dump: Option<Dump>,
    /// Write every pair to FILE as pcapng for Wireshark: both legs (client
    /// ↔ relay, relay ↔ server) as synthetic TCP flows, each with what
    /// went over it (after faults and edits).
    #[arg(long, value_name = "FILE")]
    pub pcap: Option<PathBuf>,
}

/// `--direction`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelayDirection {
    /// Both ways.
    Both,
    /// Client → server.
    Up,
    /// Server → client.
    Down,
}

/// `netplay tcp …`.
#[derive(Subcommand, Debug)]
pub enum TcpCommand {
    /// Listen and answer, one log line per event (the TUI's words).
    #[command(
        after_help = "Examples:\n  netplay tcp serve 127.0.0.1:9999\n  netplay tcp serve 0.0.0.0:8080 --mode http\n  netplay --json tcp serve [::1]:7000 --mode echo --max-conn 10\n  netplay tcp serve 127.0.0.1:8443 --tls --mode http     (an offline HTTPS lab)\n  netplay tcp serve 0.0.0.0:993 --tls --cert cert.pem --key key.pem"
    )]
    Serve(TcpServeArgs),
    /// Connect: stdin to the socket, the socket to stdout (like nc).
    #[command(
        after_help = "Examples:\n  echo Michael | netplay tcp connect 127.0.0.1:9999\n  netplay tcp connect --raw localhost:9999 < request.bin\n  netplay tcp connect --tls example.com:443\n  netplay tcp connect --tls --cacert cert.pem --sni localhost 127.0.0.1:8443"
    )]
    Connect(TcpConnectArgs),
}

/// `--tls` and its options (`tcp connect`).
#[derive(ClapArgs, Debug, Clone, Default)]
pub struct TlsArgs {
    /// Speak TLS after connecting (like `openssl s_client`).
    #[arg(long)]
    pub tls: bool,
    /// Trust the CA certificates in this PEM file too (a self-signed
    /// certificate in it is pinned).
    #[arg(long, value_name = "PEM", requires = "tls")]
    pub cacert: Option<PathBuf>,
    /// Skip certificate verification (insecure).
    #[arg(short = 'k', long, requires = "tls")]
    pub insecure: bool,
    /// Append the TLS session's secrets to FILE (NSS key log, for
    /// Wireshark); `SSLKEYLOGFILE` does the same when set.
    #[arg(long, value_name = "FILE")]
    pub keylog: Option<PathBuf>,
    /// The server name to send and check (default: the host; none for an IP).
    #[arg(long, value_name = "NAME", requires = "tls")]
    pub sni: Option<String>,
    /// ALPN protocols to offer, comma-separated (e.g. h2,http/1.1).
    #[arg(long, value_name = "LIST", requires = "tls", value_delimiter = ',')]
    pub alpn: Vec<String>,
}

impl TlsArgs {
    /// The engine's TLS options, or `None` without `--tls`.
    pub fn options(&self) -> Option<crate::net::tls::TlsOptions> {
        self.tls.then(|| crate::net::tls::TlsOptions {
            extra_ca: self.cacert.clone(),
            insecure: self.insecure,
            sni: self.sni.clone(),
            alpn: self.alpn.clone(),
            fixes: crate::net::tls::Fixes {
                sni: Some("--sni NAME"),
                ..crate::net::tls::CLI_FIXES
            },
            keylog: self.keylog.clone(),
        })
    }
}

/// `netplay udp …`.
#[derive(Subcommand, Debug)]
pub enum UdpCommand {
    /// Bind and answer datagrams, one log line per event.
    #[command(after_help = "Example:\n  netplay udp serve 127.0.0.1:9999 --mode echo")]
    Serve(UdpServeArgs),
    /// Send each MSG as one datagram and print each reply with its sender.
    #[command(after_help = "Example:\n  netplay udp send 127.0.0.1:9999 Michael Tracy Sarah")]
    Send(UdpSendArgs),
}

/// The TCP server's behaviours on the command line.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServeMode {
    /// `Welcome!`, `Hello, <chunk>!`, `exit` closes.
    Greet,
    /// Send every read back.
    Echo,
    /// Read and count only.
    Discard,
    /// No automatic reply (the UI lets you type them).
    Manual,
    /// A small valid HTTP/1.1 response to each request.
    Http,
    /// Answer each line by the first matching rule (--rules FILE).
    Rules,
}

impl ServeMode {
    /// The engine's behaviour.
    pub fn behaviour(self) -> crate::net::behaviour::greet::Behaviour {
        use crate::net::behaviour::greet::Behaviour;
        match self {
            ServeMode::Greet => Behaviour::Greet,
            ServeMode::Echo => Behaviour::Echo,
            ServeMode::Discard => Behaviour::Discard,
            ServeMode::Manual => Behaviour::Manual,
            ServeMode::Http => Behaviour::Http,
            ServeMode::Rules => Behaviour::Rules,
        }
    }
}

/// UDP behaviours on the command line.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum UdpServeMode {
    /// `Hello, <data>!` to the sender.
    Greet,
    /// Each datagram back.
    Echo,
    /// Log only.
    Silent,
}

/// Line endings on the command line.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Eol {
    /// Nothing.
    None,
    /// \n
    Lf,
    /// \r\n
    Crlf,
}

impl Eol {
    /// The bytes.
    pub fn bytes(self) -> &'static [u8] {
        match self {
            Eol::None => b"",
            Eol::Lf => b"\n",
            Eol::Crlf => b"\r\n",
        }
    }
}

/// A count of at least 1 (`--max-conn 0` would refuse everybody).
fn at_least_one(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(err) => Err(err.to_string()),
    }
}

/// The arguments of `netplay tcp serve`.
#[derive(ClapArgs, Debug)]
pub struct TcpServeArgs {
    /// Address to listen on: host:port, or unix:/path for a UNIX socket.
    pub addr: String,
    /// With unix:/path: remove a stale socket file there first (one no
    /// server accepts on); without it, such a file is reported.
    #[arg(long)]
    pub unlink_stale: bool,
    /// What to answer.
    #[arg(long, value_enum, default_value_t = ServeMode::Greet)]
    pub mode: ServeMode,
    /// Pause before each automatic reply, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub delay: u64,
    /// Connections open at once; more are closed at accept.
    #[arg(long, value_name = "N", value_parser = at_least_one)]
    pub max_conn: Option<usize>,
    /// Close a connection that sends nothing for this many seconds.
    #[arg(long, value_name = "SECS")]
    pub idle_timeout: Option<f64>,
    /// Speak TLS (like `openssl s_server`): with --cert and --key, or a
    /// certificate for localhost, 127.0.0.1, ::1 and the listen address from
    /// netplay's local CA (`netplay ca path` names it; nothing is written here).
    #[arg(long)]
    pub tls: bool,
    /// The certificate chain (PEM) for --tls.
    #[arg(long, value_name = "PEM", requires = "tls", requires = "key")]
    pub cert: Option<PathBuf>,
    /// The private key (PEM) for --tls.
    #[arg(long, value_name = "PEM", requires = "tls", requires = "cert")]
    pub key: Option<PathBuf>,
    /// Print each connection's TCP_INFO (the kernel's view) at its close;
    /// with --json, every second too.
    #[arg(long)]
    pub tcp_info: bool,
    /// Answer by rules (`PATTERN => REPLY` per line; see docs/rules.md): the mode is rules.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// Every byte of every read on the event lines (the default line
    /// shows a preview of ~100 bytes): as escaped text, or `--dump=hex`.
    #[arg(long, value_enum, value_name = "FORM", num_args = 0..=1, require_equals = true, default_missing_value = "text")]
    pub dump: Option<Dump>,
    /// Write every connection to FILE as pcapng for Wireshark, each as its
    /// own synthetic TCP flow (replaced at the end; see docs/wireshark.md);
    /// with --tls, the records as they went and the sessions' keys.
    #[arg(long, value_name = "FILE")]
    pub pcap: Option<PathBuf>,
    /// With --tls: append the sessions' secrets to FILE (NSS key log, for
    /// Wireshark); `SSLKEYLOGFILE` does the same when set.
    #[arg(long, value_name = "FILE", requires = "tls")]
    pub keylog: Option<PathBuf>,
    /// WebSocket settings.
    #[command(flatten)]
    pub websocket: WsServeArgs,
}

/// How `tcp serve --websocket` and `ws serve` speak WebSocket.
#[derive(ClapArgs, Debug, Clone)]
pub struct WsServeArgs {
    /// Speak WebSocket: each connection upgrades first (GET with
    /// `Upgrade: websocket`, answered 101), then the mode answers whole
    /// messages (what `netplay ws serve` does).
    #[arg(long)]
    pub websocket: bool,
    /// A subprotocol this server speaks (repeat for several, in order of
    /// preference): the first the client also offers is chosen.
    #[arg(long = "protocol", value_name = "NAME")]
    pub protocols: Vec<String>,
    /// The largest message (or frame) taken, in bytes; past it the
    /// connection is closed with 1009.
    #[arg(long, value_name = "BYTES", default_value_t = 16 * 1024 * 1024, value_parser = clap::value_parser!(u64).range(1..=1 << 30))]
    pub max_message: u64,
    /// Flag a broken rule (RSV bits, an unmasked frame, bad UTF-8) and
    /// read on, instead of closing with its code as a real server must.
    #[arg(long)]
    pub lenient: bool,
}

/// The arguments of `netplay ws URL`.
#[derive(ClapArgs, Debug)]
pub struct WsConnectArgs {
    /// ws://host:port/path or wss://… (TLS).
    #[arg(required = true)]
    pub url: Option<String>,
    /// An extra request header, `Name: value` (repeat for more).
    #[arg(short = 'H', long = "header", value_name = "LINE")]
    pub headers: Vec<String>,
    /// A subprotocol to offer (repeat for several, preferred first).
    #[arg(long = "protocol", value_name = "NAME")]
    pub protocols: Vec<String>,
    /// Send stdin lines as binary messages (default: text, or binary when
    /// a line is not UTF-8).
    #[arg(long)]
    pub binary: bool,
    /// Send a ping every this many seconds.
    #[arg(long, value_name = "SECS")]
    pub ping_interval: Option<f64>,
    /// The close code sent when stdin ends.
    #[arg(long, value_name = "CODE", default_value_t = 1000)]
    pub close_code: u16,
    /// The largest message taken from the server (and sent), in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 16 * 1024 * 1024, value_parser = clap::value_parser!(u64).range(1..=1 << 30))]
    pub max_message: u64,
    /// Connect (and TLS handshake) timeout in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
    pub timeout: f64,
    /// wss://: trust the CA certificates in this PEM file too.
    #[arg(long, value_name = "PEM")]
    pub cacert: Option<PathBuf>,
    /// wss://: skip certificate verification (insecure).
    #[arg(short = 'k', long)]
    pub insecure: bool,
    /// Append the TLS session's secrets to FILE (NSS key log, for
    /// Wireshark); `SSLKEYLOGFILE` does the same when set.
    #[arg(long, value_name = "FILE")]
    pub keylog: Option<PathBuf>,
    /// wss://: the server name to send and check.
    #[arg(long, value_name = "NAME")]
    pub sni: Option<String>,
    /// Record the session's bytes (upgrade and frames, as on the wire) to
    /// FILE, in `tcp connect --record`'s format.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Write the session to FILE as pcapng for Wireshark (a synthetic TCP
    /// flow: handshake, every read as segments, the FINs).
    #[arg(long, value_name = "FILE")]
    pub pcap: Option<PathBuf>,
    /// `--resolve`, `--connect-to`.
    #[command(flatten)]
    pub names: super::names::NameArgs,
}

/// What `netplay ws` does.
#[derive(Subcommand, Debug)]
pub enum WsCommand {
    /// A WebSocket server: the tutorial's greet, echo, rules, discard or
    /// manual, answering whole messages (`tcp serve --websocket`).
    #[command(
        after_help = "Examples:\n  netplay ws serve 127.0.0.1:9001 --mode echo\n  netplay ws serve 127.0.0.1:9001 --protocol chat --json\n  websocat ws://127.0.0.1:9001/   (or a browser: new WebSocket('ws://127.0.0.1:9001/'))"
    )]
    Serve(TcpServeArgs),
}

/// The arguments of `netplay tcp connect`.
#[derive(ClapArgs, Debug)]
pub struct TcpConnectArgs {
    /// host:port to connect to.
    pub addr: String,
    /// Line ending sent after each stdin line.
    #[arg(long, value_enum, default_value_t = Eol::Lf)]
    pub eol: Eol,
    /// Send stdin bytes as they are, not line by line.
    #[arg(long)]
    pub raw: bool,
    /// Connect timeout in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
    pub timeout: f64,
    /// TLS settings.
    #[command(flatten)]
    pub tls: TlsArgs,
    /// Print the kernel's view of the connection (TCP_INFO: rtt, cwnd,
    /// retransmits, segments, …) at the close; with --json, every second.
    #[arg(long)]
    pub tcp_info: bool,
    /// On a close or a refused connect, try again after 1 s, doubling
    /// to 30 s, each attempt logged, until Ctrl+C; stdin read meanwhile
    /// is sent once connected again.
    #[arg(long)]
    pub reconnect: bool,
    /// Record the session to FILE (JSON lines: every byte each way,
    /// timed; `netplay replay` plays it back).
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Write the session to FILE as pcapng for Wireshark (a synthetic TCP
    /// flow per connection: handshake, every read as segments, the FINs).
    #[arg(long, value_name = "FILE")]
    pub pcap: Option<PathBuf>,
    /// Send TEXT (escapes: \n \r \xNN \u{…}) instead of stdin, then
    /// half-close (FIN); with --repeat, again every MS first.
    #[arg(long, value_name = "TEXT")]
    pub send: Option<String>,
    /// With --send: send it every MS milliseconds (Ctrl+C stops; with
    /// --count, FIN after the last).
    #[arg(long, value_name = "MS", requires = "send")]
    pub repeat: Option<u64>,
    /// With --repeat: move each wait by a random ± MS.
    #[arg(long, value_name = "MS", default_value_t = 0, requires = "repeat")]
    pub jitter: u64,
    /// With --repeat: stop after N sends (per connection).
    #[arg(long, value_name = "N", requires = "repeat")]
    pub count: Option<u64>,
    /// `--resolve`, `--connect-to`.
    #[command(flatten)]
    pub names: super::names::NameArgs,
}

/// The arguments of `netplay pcap`.
#[derive(ClapArgs, Debug)]
pub struct PcapArgs {
    /// The recording (JSON lines, from --record or Alt+R).
    pub file: PathBuf,
    /// The pcapng file to write (replaced if it exists; default: the
    /// recording's name with .pcapng).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// The arguments of `netplay replay`.
#[derive(ClapArgs, Debug)]
pub struct ReplayArgs {
    /// The recording (JSON lines).
    pub file: PathBuf,
    /// Listen here and play the recorded server to every client.
    #[arg(
        long,
        value_name = "ADDR",
        conflicts_with = "connect",
        required_unless_present = "connect"
    )]
    pub serve: Option<String>,
    /// Connect here, play the recorded client, compare the answers.
    #[arg(long, value_name = "ADDR")]
    pub connect: Option<String>,
    /// Replay the recorded delays instead of waiting for the client's bytes.
    #[arg(long)]
    pub timing: bool,
    /// With --serve: connections replayed at once; more are closed at
    /// accept (each costs its socket buffers; the recording is shared).
    #[arg(long, value_name = "N", value_parser = at_least_one, requires = "serve")]
    pub max_conn: Option<usize>,
    /// Write the replayed connections to FILE as pcapng for Wireshark, each
    /// as its own synthetic TCP flow (replaced if it exists).
    #[arg(long, value_name = "FILE")]
    pub pcap: Option<PathBuf>,
}
