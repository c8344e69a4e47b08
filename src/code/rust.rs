//! The short Rust/tokio programs: the async counterpart of the tutorial's
//! thread per connection is a task per connection.

use super::{escaped, Setting};
use crate::net::behaviour::greet::Behaviour;
use crate::net::udp::UdpMode;

const CARGO: &str = "// Cargo.toml: tokio = { version = \"1\", features = [\"full\"] }\n";

/// The program for `setting`.
/// Said first when the tab speaks TLS: this page does not (yet).
fn plain_note(tls: bool) -> String {
    if tls {
        "// TLS is on in the tab, but this program speaks plain TCP: wrap the\n\
         // stream with tokio-rustls (TlsConnector / TlsAcceptor) for TLS. The\n\
         // Python page and the one-liner speak TLS as the tab does.\n"
            .to_string()
    } else {
        String::new()
    }
}

pub fn program(setting: &Setting) -> String {
    match setting {
        Setting::TcpServer {
            listen, mode, tls, ..
        } => {
            let program = tcp_server(listen, *mode);
            let program = match super::unix::path_of(listen) {
                Some(path) => super::unix::rust_server(&program, path),
                None => program,
            };
            plain_note(tls.is_some()) + &program
        }
        Setting::TcpClient {
            target,
            message,
            tls,
        } => plain_note(tls.is_some()) + &tcp_client(target, message),
        Setting::Udp {
            bind,
            mode,
            target,
            message,
        } => udp(bind, *mode, target, message),
        Setting::Http { url, request, .. } => http_get(url, request),
        Setting::Relay { listen, target } => relay(listen, target),
    }
}

fn literal(bytes: &[u8]) -> String {
    format!("b\"{}\"", escaped(bytes, b'"'))
}

fn text(t: &str) -> String {
    format!("\"{}\"", super::escaped_str(t.trim(), '"', true))
}

fn tcp_server(listen: &str, mode: Behaviour) -> String {
    let (greeting, answer) = match mode {
        Behaviour::Greet => (
            "            let _ = sock.write_all(b\"Welcome!\").await;\n",
            "                if data.trim_ascii_end() == b\"exit\" {\n                    break;\n                }\n                let reply = [&b\"Hello, \"[..], data.trim_ascii_end(), b\"!\"].concat();\n                if sock.write_all(&reply).await.is_err() {\n                    break;\n                }\n",
        ),
        Behaviour::Echo => (
            "",
            "                if sock.write_all(data).await.is_err() {\n                    break;\n                }\n",
        ),
        _ => (
            "",
            "                println!(\"{addr} sent {:?}\", String::from_utf8_lossy(data));\n",
        ),
    };
    format!(
        "{CARGO}use tokio::io::{{AsyncReadExt, AsyncWriteExt}};
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> std::io::Result<()> {{
    let listener = TcpListener::bind({listen}).await?;
    println!(\"Waiting for connection on {{}}...\", listener.local_addr()?);
    loop {{
        let (mut sock, addr) = listener.accept().await?;
        // One task per connection: the async counterpart of a thread.
        tokio::spawn(async move {{
            println!(\"Accept new connection from {{addr}}...\");
{greeting}            let mut buf = [0u8; 1024];
            loop {{
                let n = match sock.read(&mut buf).await {{
                    Ok(0) | Err(_) => break, // 0: the peer sent FIN
                    Ok(n) => n,
                }};
                let data = &buf[..n];
{answer}            }}
            println!(\"Connection from {{addr}} closed.\");
        }});
    }}
}}
",
        listen = text(listen),
    )
}

fn tcp_client(target: &str, message: &[u8]) -> String {
    let (target, proxy) = match super::client_target(target) {
        super::ClientTarget::Unix(path) => return unix_client(&path, message),
        super::ClientTarget::Tcp(target, proxy) => (target, proxy),
    };
    let note = match proxy {
        Some(proxy) => format!(
            "// The tab goes through the proxy {}; this program connects\n// directly (a SOCKS client crate such as tokio-socks would add it).\n",
            crate::text::sanitize_str(&proxy)
        ),
        None => String::new(),
    };
    note + &tcp_client_direct(&target, message)
}

/// The TCP Client tab over a UNIX socket (`unix:/path`).
fn unix_client(path: &str, message: &[u8]) -> String {
    format!(
        "{CARGO}use tokio::io::{{AsyncReadExt, AsyncWriteExt}};
use tokio::net::UnixStream;

#[tokio::main]
async fn main() -> std::io::Result<()> {{
    let mut stream = UnixStream::connect({path}).await?; // the socket file names the server
    stream.write_all({message}).await?;
    stream.shutdown().await?; // nothing more from us; replies still arrive
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).await?; // until the server closes
    println!(\"{{}}\", String::from_utf8_lossy(&reply));
    Ok(())
}}
",
        path = text(path),
        message = literal(message),
    )
}

fn tcp_client_direct(target: &str, message: &[u8]) -> String {
    format!(
        "{CARGO}use tokio::io::{{AsyncReadExt, AsyncWriteExt}};
use tokio::net::TcpStream;

#[tokio::main]
async fn main() -> std::io::Result<()> {{
    let mut stream = TcpStream::connect({target}).await?;
    println!(\"Connected: local {{}} (you) <-> remote {{}} (server)\", stream.local_addr()?, stream.peer_addr()?);
    stream.write_all({message}).await?;
    stream.shutdown().await?; // FIN: nothing more from us; replies still arrive
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).await?; // until the server closes
    println!(\"{{}}\", String::from_utf8_lossy(&reply));
    Ok(())
}}
",
        target = text(target),
        message = literal(message),
    )
}

fn udp(bind: &str, mode: UdpMode, target: &str, message: &[u8]) -> String {
    let reply = match mode {
        UdpMode::Greet => "        let reply = [&b\"Hello, \"[..], &buf[..n], b\"!\"].concat();\n        socket.send_to(&reply, from).await?;\n",
        UdpMode::Echo => "        socket.send_to(&buf[..n], from).await?;\n",
        UdpMode::Silent | UdpMode::Rules => "",
    };
    format!(
        "{CARGO}use tokio::net::UdpSocket;

// `cargo run -- server` binds and answers; `cargo run` sends one datagram.
#[tokio::main]
async fn main() -> std::io::Result<()> {{
    let mut buf = [0u8; 65535];
    if std::env::args().nth(1).as_deref() == Some(\"server\") {{
        let socket = UdpSocket::bind({bind}).await?;
        println!(\"Bind UDP on {{}}...\", socket.local_addr()?);
        loop {{
            let (n, from) = socket.recv_from(&mut buf).await?;
            println!(\"Received from {{from}}.\");
{reply}        }}
    }}
    let socket = UdpSocket::bind(\"0.0.0.0:0\").await?;
    socket.send_to({message}, {target}).await?;
    let n = tokio::time::timeout(std::time::Duration::from_secs(2), socket.recv(&mut buf))
        .await
        .map_err(|_| std::io::Error::other(\"no reply within 2 s (UDP never says why)\"))??;
    println!(\"{{}}\", String::from_utf8_lossy(&buf[..n]));
    Ok(())
}}
",
        bind = text(bind),
        target = text(target),
        message = literal(message),
    )
}

fn http_get(url: &str, request: &str) -> String {
    let parsed = url::Url::parse(url.trim()).ok();
    let authority = parsed
        .as_ref()
        .and_then(|url| {
            let host = url.host_str()?;
            Some(format!("{host}:{}", url.port_or_known_default()?))
        })
        .unwrap_or_else(|| "127.0.0.1:80".into());
    let wire = crate::net::http::request::to_wire(request);
    format!(
        "{CARGO}// Plain HTTP over a TCP socket (for https, add tokio-rustls).
use tokio::io::{{AsyncReadExt, AsyncWriteExt}};
use tokio::net::TcpStream;

#[tokio::main]
async fn main() -> std::io::Result<()> {{
    let mut stream = TcpStream::connect({authority}).await?;
    stream.write_all({request}).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?; // Connection: close
    println!(\"{{}}\", String::from_utf8_lossy(&response));
    Ok(())
}}
",
        authority = text(&authority),
        request = literal(&wire),
    )
}

fn relay(listen: &str, target: &str) -> String {
    format!(
        "{CARGO}use tokio::net::{{TcpListener, TcpStream}};

#[tokio::main]
async fn main() -> std::io::Result<()> {{
    let listener = TcpListener::bind({listen}).await?;
    println!(\"Relaying {{}} -> {{}}\", listener.local_addr()?, {target});
    loop {{
        let (mut client, addr) = listener.accept().await?;
        tokio::spawn(async move {{
            let mut upstream = TcpStream::connect({target}).await?;
            // Both directions, FIN passed on, until both sides are done.
            let (up, down) = tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
            println!(\"{{addr}}: {{up}} B up, {{down}} B down\");
            Ok::<_, std::io::Error>(())
        }});
    }}
}}
",
        listen = text(listen),
        target = text(target),
    )
}
