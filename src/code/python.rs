//! The Python 3 scripts, in the socket tutorial's style: plain `socket`
//! calls, a thread per connection, comments that say what the kernel does.
//! Each prints the address it really bound, so `:0` works too.

use super::{escaped, host_port, is_ipv6, Setting};
use crate::net::behaviour::greet::Behaviour;
use crate::net::udp::UdpMode;

/// The script for `setting`.
pub fn script(setting: &Setting) -> String {
    match setting {
        Setting::TcpServer {
            listen,
            mode,
            delay,
            tls,
        } => {
            let script = tcp_server(listen, *mode, delay.as_secs_f64(), tls.as_ref());
            match super::unix::path_of(listen) {
                Some(path) => super::unix::python_server(&script, path),
                None => script,
            }
        }
        Setting::TcpClient {
            target,
            message,
            tls,
        } => tcp_client(target, message, tls.as_ref()),
        Setting::Udp {
            bind,
            mode,
            target,
            message,
        } => udp(bind, *mode, target, message),
        Setting::Http {
            url,
            request,
            insecure,
        } => http_get(url, request, *insecure),
        Setting::Relay { listen, target } => relay(listen, target),
    }
}

fn bytes(b: &[u8]) -> String {
    format!("b'{}'", escaped(b, b'\''))
}

fn text(t: &str) -> String {
    format!("'{}'", super::escaped_str(t, '\'', false))
}

fn family(host: &str) -> &'static str {
    if is_ipv6(host) {
        "socket.AF_INET6"
    } else {
        "socket.AF_INET"
    }
}

/// The TLS lines of the server script: the imports, the context made at
/// start, and the wrap of each accepted socket.
fn server_tls(tls: Option<&super::ServerTls>) -> (String, String, &'static str) {
    let Some(tls) = tls else {
        return (String::new(), String::new(), "");
    };
    let files = match (&tls.cert, &tls.key) {
        (Some(cert), Some(key)) => format!("CERT, KEY = {}, {}\n", text(cert), text(key)),
        _ => "# netplay's own server uses a certificate from its local CA, in memory.\n\
              # Make a pair for this script once (trusted with --cacert cert.pem):\n\
              #   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \\\n\
              #     -keyout key.pem -out cert.pem -subj /CN=localhost \\\n\
              #     -addext subjectAltName=DNS:localhost,IP:127.0.0.1\n\
              CERT, KEY = 'cert.pem', 'key.pem'\n"
            .to_string(),
    };
    (
        ", ssl".to_string(),
        format!("{files}ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)\nctx.load_cert_chain(CERT, KEY)\n"),
        "    sock = ctx.wrap_socket(sock, server_side=True)  # the TLS handshake, then the same bytes\n",
    )
}

fn tcp_server(listen: &str, mode: Behaviour, delay: f64, tls: Option<&super::ServerTls>) -> String {
    let (tls_import, tls_context, tls_wrap) = server_tls(tls);
    let (host, port) = host_port(listen);
    let (greeting, body) = match mode {
        Behaviour::Greet => (
            "    sock.send(b'Welcome!')\n",
            "        if data.rstrip(b'\\r\\n') == b'exit':\n            break\n        time.sleep(DELAY)\n        # 'Hello, <what arrived>!', its line ending after the '!'\n        line = data.rstrip(b'\\r\\n')\n        sock.send(b'Hello, %s!%s' % (line, data[len(line):]))\n",
        ),
        Behaviour::Echo => (
            "",
            "        time.sleep(DELAY)\n        sock.sendall(data)  # every byte back, as it came\n",
        ),
        Behaviour::Discard | Behaviour::Manual | Behaviour::Rules => (
            "",
            "        print('%s:%s sent %r' % (addr[0], addr[1], data), flush=True)\n",
        ),
        Behaviour::Http => (
            "",
            "        if b'\\r\\n\\r\\n' not in data:\n            continue  # not the whole head yet (a real server buffers it)\n        body = b'Hello from Python!\\n'\n        time.sleep(DELAY)\n        sock.sendall(b'HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\r\\nContent-Length: %d\\r\\nConnection: close\\r\\n\\r\\n%s' % (len(body), body))\n        break\n",
        ),
    };
    format!(
        "#!/usr/bin/env python3
# netplay's TCP Server tab (mode {mode}) as a Python script, in the socket
# tutorial's style: the kernel accepts connections on a listening socket, and
# each accepted socket gets its own thread.
# Run: python3 netplay-tcp-server.py    (Ctrl+C stops it)
import socket, threading, time{tls_import}

HOST, PORT = {host}, {port}
DELAY = {delay}  # seconds before each reply (the tutorial slept 1)
{tls_context}
def tcplink(sock, addr):
    print('Accept new connection from %s:%s...' % addr[:2], flush=True)
{tls_wrap}{greeting}    while True:
        data = sock.recv(1024)  # at most 1024 bytes: TCP is a stream, not messages
        if not data:
            break  # b'' means the peer sent FIN: it closed its side
{body}    sock.close()
    print('Connection from %s:%s closed.' % addr[:2], flush=True)

s = socket.socket({family}, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # restart despite TIME_WAIT
s.bind((HOST, PORT))
s.listen(5)
print('Waiting for connection on %s:%s...' % s.getsockname()[:2], flush=True)
while True:
    sock, addr = s.accept()
    t = threading.Thread(target=tcplink, args=(sock, addr), daemon=True)
    t.start()
",
        mode = mode.name(),
        host = text(&host),
        family = family(&host),
    )
}

fn tcp_client(target: &str, message: &[u8], tls: Option<&super::ClientTls>) -> String {
    let (target, proxy) = match super::client_target(target) {
        super::ClientTarget::Unix(path) => return unix_client(&path, message, tls),
        super::ClientTarget::Tcp(target, proxy) => (target, proxy),
    };
    let note = match proxy {
        Some(proxy) => format!(
            "# The tab goes through the proxy {}: Python's socket module has\n# no proxy support, so this script connects directly (the one-liner\n# view shows ncat --proxy).\n",
            crate::text::sanitize_str(&proxy)
        ),
        None => String::new(),
    };
    tcp_client_direct(&target, message, tls).replacen("# Run:", &format!("{note}# Run:"), 1)
}

/// The TCP Client tab over a UNIX socket (`unix:/path`).
fn unix_client(path: &str, message: &[u8], tls: Option<&super::ClientTls>) -> String {
    let (import, wrap, half_close) = match tls {
        Some(tls) => (", ssl", super::unix::python_tls_wrap(tls), ""),
        None => (
            "",
            String::new(),
            "s.shutdown(socket.SHUT_WR)  # nothing more from us; replies still arrive\n",
        ),
    };
    format!(
        "#!/usr/bin/env python3
# netplay's TCP Client tab over a UNIX socket: connect to the socket
# file, send the message, print what arrives until the server closes.
# Run: python3 netplay-tcp-client.py
import socket{import}

PATH = {path}
MESSAGE = {message}

s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(PATH)  # no ports: the socket file names the server
{wrap}if MESSAGE:
    s.sendall(MESSAGE)
{half_close}while True:
    data = s.recv(1024)
    if not data:
        break
    print(data.decode('utf-8', 'replace'), flush=True)
s.close()
",
        path = text(path),
        message = bytes(message),
    )
}

fn tcp_client_direct(target: &str, message: &[u8], tls: Option<&super::ClientTls>) -> String {
    let (host, port) = host_port(target);
    let (import, wrap, half_close) = match tls {
        None => (
            "",
            String::new(),
            "s.shutdown(socket.SHUT_WR)  # FIN: nothing more from us; replies still arrive\n",
        ),
        Some(tls) if tls.insecure => (
            ", ssl",
            "ctx = ssl.create_default_context()\nctx.check_hostname = False\nctx.verify_mode = ssl.CERT_NONE  # like curl -k: no certificate check\ns = ctx.wrap_socket(s, server_hostname=HOST)\n".to_string(),
            "",
        ),
        Some(tls) => {
            let name = tls.sni.as_deref().map_or("HOST".to_string(), text);
            let ca = match &tls.ca_file {
                Some(file) => format!(
                    "ctx.load_verify_locations({})  # trusted besides the system's CAs\n",
                    text(file)
                ),
                None => String::new(),
            };
            (
                ", ssl",
                format!("ctx = ssl.create_default_context()\n{ca}s = ctx.wrap_socket(s, server_hostname={name})  # checks the certificate names it\n"),
                "",
            )
        }
    };
    format!(
        "#!/usr/bin/env python3
# netplay's TCP Client tab as a Python script: connect, send the message,
# print whatever arrives until the server closes.
# Run: python3 netplay-tcp-client.py
import socket, threading{import}

HOST, PORT = {host}, {port}
MESSAGE = {message}

s = socket.socket({family}, socket.SOCK_STREAM)
s.connect((HOST, PORT))  # the kernel picks our port: the 4-tuple is complete
{wrap}print('Connected: local %s:%s (you) <-> remote %s:%s (server)'
      % (s.getsockname()[:2] + s.getpeername()[:2]), flush=True)

def reader():
    while True:
        data = s.recv(1024)
        if not data:
            break
        print(data.decode('utf-8', 'replace'), flush=True)
    print('Connection closed by peer.', flush=True)

t = threading.Thread(target=reader)
{start_before}if MESSAGE:
    s.sendall(MESSAGE)
{start_after}{half_close}t.join()
s.close()
",
        start_before = if tls.is_none() { "t.start()\n" } else { "" },
        start_after = if tls.is_none() {
            ""
        } else {
            "t.start()  # after the send: one SSL socket is never used by two threads at once\n"
        },
        host = text(&host),
        message = bytes(message),
        family = family(&host),
    )
}

fn udp(bind: &str, mode: UdpMode, target: &str, message: &[u8]) -> String {
    let (bind_host, bind_port) = host_port(bind);
    let (host, port) = host_port(target);
    let reply = match mode {
        UdpMode::Greet => "        s.sendto(b'Hello, %s!' % data, addr)\n",
        UdpMode::Echo => "        s.sendto(data, addr)\n",
        UdpMode::Silent | UdpMode::Rules => "",
    };
    format!(
        "#!/usr/bin/env python3
# netplay's UDP tab as a Python script. No connection: each datagram is
# sent on its own, and nothing says whether it arrived.
# Run: python3 netplay-udp.py server    (mode {mode}; Ctrl+C stops it)
#      python3 netplay-udp.py           (the client: one datagram, one reply)
import socket, sys

BIND = ({bind_host}, {bind_port})
TARGET = ({host}, {port})
MESSAGE = {message}

def server():
    s = socket.socket({bind_family}, socket.SOCK_DGRAM)
    s.bind(BIND)  # no listen(): datagrams from anyone arrive here
    print('Bind UDP on %s:%s...' % s.getsockname()[:2], flush=True)
    while True:
        data, addr = s.recvfrom(65535)
        print('Received from %s:%s.' % addr[:2], flush=True)
{reply}
def client():
    s = socket.socket({family}, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.sendto(MESSAGE, TARGET)  # no connect() needed
    try:
        print(s.recv(65535).decode('utf-8', 'replace'), flush=True)
    except socket.timeout:
        print('No reply within 2 s: UDP never says whether a datagram arrived.')
    s.close()

if __name__ == '__main__':
    server() if sys.argv[1:] == ['server'] else client()
",
        mode = mode.name(),
        bind_host = text(&bind_host),
        host = text(&host),
        message = bytes(message),
        bind_family = family(&bind_host),
        family = family(&host),
    )
}

fn http_get(url: &str, request: &str, insecure: bool) -> String {
    let parsed = url::Url::parse(url.trim()).ok();
    let https = parsed.as_ref().is_some_and(|url| url.scheme() == "https");
    let host = parsed
        .as_ref()
        .and_then(|url| url.host_str().map(str::to_string))
        .unwrap_or_else(|| "127.0.0.1".into());
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = parsed
        .as_ref()
        .and_then(url::Url::port_or_known_default)
        .unwrap_or(80);
    let wire = crate::net::http::request::to_wire(request);
    let tls = match (https, insecure) {
        (false, _) => "",
        (true, false) => "s = ssl.create_default_context().wrap_socket(s, server_hostname=HOST)\n",
        (true, true) => "ctx = ssl.create_default_context()\nctx.check_hostname = False\nctx.verify_mode = ssl.CERT_NONE  # like curl -k\ns = ctx.wrap_socket(s, server_hostname=HOST)\n",
    };
    format!(
        "#!/usr/bin/env python3
# netplay's HTTP tab as a Python script: HTTP is text over a TCP socket.
# This sends the request as netplay would and reads until the server closes
# (the request asks for Connection: close).
# Run: python3 netplay-http-get.py
import socket{import}

HOST, PORT = {host_text}, {port}
REQUEST = {request}

s = socket.socket({family}, socket.SOCK_STREAM)
s.connect((HOST, PORT))
{tls}s.sendall(REQUEST)

buffer = []
while True:
    d = s.recv(1024)  # at most 1024 bytes at a time
    if d:
        buffer.append(d)
    else:
        break  # the server closed: the response is complete
data = b''.join(buffer)
s.close()

header, _, body = data.partition(b'\\r\\n\\r\\n')
print(header.decode('latin-1'))
print()
print('%d bytes of body' % len(body))
",
        import = if https { ", ssl" } else { "" },
        host_text = text(&host),
        request = bytes(&wire),
        family = family(&host),
    )
}

fn relay(listen: &str, target: &str) -> String {
    let (host, port) = host_port(listen);
    let (target_host, target_port) = host_port(target);
    format!(
        "#!/usr/bin/env python3
# netplay's Relay tab as a Python script: accept a client, connect to the
# target, and copy bytes both ways with a thread per direction. A FIN from
# one side is passed on to the other (half-close).
# Run: python3 netplay-relay.py    (Ctrl+C stops it)
import socket, threading

LISTEN = ({host}, {port})
TARGET = ({target_host}, {target_port})

def pipe(src, dst, name):
    while True:
        data = src.recv(16384)
        if not data:
            break
        print('%s %d bytes' % (name, len(data)), flush=True)
        dst.sendall(data)
    try:
        dst.shutdown(socket.SHUT_WR)  # pass the FIN on
    except OSError:
        pass

def pair(client, addr):
    print('Accept new connection from %s:%s...' % addr[:2], flush=True)
    upstream = socket.create_connection(TARGET)
    up = threading.Thread(target=pipe, args=(client, upstream, 'client -> server'))
    down = threading.Thread(target=pipe, args=(upstream, client, 'server -> client'))
    up.start()
    down.start()
    up.join()
    down.join()
    client.close()
    upstream.close()
    print('Connection from %s:%s closed.' % addr[:2], flush=True)

s = socket.socket({family}, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(LISTEN)
s.listen(5)
print('Relaying %s:%s -> %s:%s' % (s.getsockname()[:2] + TARGET), flush=True)
while True:
    client, addr = s.accept()
    threading.Thread(target=pair, args=(client, addr), daemon=True).start()
",
        host = text(&host),
        target_host = text(&target_host),
        family = family(&host),
    )
}
