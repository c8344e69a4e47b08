//! The code views for a socket file (`unix:/path` as the server's Listen
//! on, or the client's Target with TLS on): the same programs as for TCP,
//! with the socket made `AF_UNIX` and bound to a path — no host, no port,
//! and a peer that has no address to print.

use crate::curl::quote;

/// The path of a `unix:/path` address.
pub(super) fn path_of(addr: &str) -> Option<&str> {
    addr.trim().strip_prefix("unix:")
}

/// The Python TCP server script (as generated for `HOST:PORT`) made to
/// listen on the socket file `path`.
pub(super) fn python_server(tcp_script: &str, path: &str) -> String {
    let shown = python_text(path);
    let mut script = String::new();
    for line in tcp_script.lines() {
        let line = if line.starts_with("HOST, PORT = ") {
            format!("PATH = {shown}  # the socket file: it must not exist yet")
        } else if line.starts_with("s = socket.socket(") {
            "s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)  # a UNIX socket: no ports"
                .to_string()
        } else if line.starts_with("s.setsockopt(") {
            continue; // no TIME_WAIT on a UNIX socket
        } else if line == "s.bind((HOST, PORT))" {
            "s.bind(PATH)  # makes the socket file".to_string()
        } else if line.starts_with("print('Waiting for connection on ") {
            "print('Waiting for connection on %s...' % PATH, flush=True)".to_string()
        } else {
            line.replace(
                "print('Accept new connection from %s:%s...' % addr[:2], flush=True)",
                "print('Accept new connection on %s...' % PATH, flush=True)",
            )
            .replace(
                "print('Connection from %s:%s closed.' % addr[:2], flush=True)",
                "print('Connection closed.', flush=True)",
            )
            .replace(
                "print('%s:%s sent %r' % (addr[0], addr[1], data), flush=True)",
                "print('peer sent %r' % (data,), flush=True)",
            )
        };
        script.push_str(&line);
        script.push('\n');
    }
    script
}

/// The Rust server program (as generated for an address) made to listen
/// on the socket file `path`.
pub(super) fn rust_server(tcp_program: &str, path: &str) -> String {
    let shown = format!("\"{}\"", super::escaped_str(path.trim(), '"', true));
    tcp_program
        .replace(
            "use tokio::net::TcpListener;",
            "use tokio::net::UnixListener;",
        )
        .replace(
            "let listener = TcpListener::bind(",
            "let listener = UnixListener::bind(",
        )
        .lines()
        .map(|line| match line.trim_start() {
            l if l.starts_with("let listener = UnixListener::bind(") => {
                format!("    let listener = UnixListener::bind({shown})?; // makes the socket file")
            }
            l if l.starts_with("println!(\"Waiting for connection on {}...\"") => {
                line.replace("on {}...", "on {:?}...")
            }
            // A UNIX peer's address is unnamed: printed with {:?}.
            _ => line.replace("{addr}", "{addr:?}"),
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// The one-liner for a server on the socket file `path`.
pub(super) fn one_liner_server(
    path: &str,
    mode: crate::net::behaviour::greet::Behaviour,
    tls: Option<(&str, &str)>,
) -> String {
    use crate::net::behaviour::greet::Behaviour;
    let file = quote(path);
    if let Some((cert, key)) = tls {
        return format!(
            "# a TLS server on the socket file: what arrives is printed, what you type is sent\nopenssl s_server -unix {file} -cert {} -key {}\n",
            quote(cert),
            quote(key)
        );
    }
    let listen = quote(&format!("UNIX-LISTEN:{path},fork"));
    match mode {
        Behaviour::Echo => format!("# echo: every byte back; -v shows both directions\nsocat -v {listen} EXEC:cat\n"),
        Behaviour::Discard => format!("# discard: read and drop\nsocat -u {listen} /dev/null\n"),
        Behaviour::Http => format!(
            "# http.server binds no socket file: socat passes one to it\npython3 -m http.server 8000 --bind 127.0.0.1 &\nsocat {listen} TCP:127.0.0.1:8000\n"
        ),
        Behaviour::Greet | Behaviour::Manual | Behaviour::Rules => format!(
            "# listen on the socket file; what arrives is printed, what you type is sent\nnc -lU {file}\n"
        ),
    }
}

/// The one-liner for a TLS client of the socket file `path` (SNI and
/// the name checked: `--sni`, else localhost, as the tab sends).
pub(super) fn one_liner_tls_client(path: &str, tls: &super::ClientTls) -> String {
    let name = tls.sni.as_deref().unwrap_or("localhost");
    let mut line = format!(
        "openssl s_client -unix {} -servername {}",
        quote(path),
        quote(name)
    );
    if tls.insecure {
        line.push_str("  # -k: the certificate is not checked");
    } else {
        if let Some(ca) = &tls.ca_file {
            line.push_str(&format!(" -CAfile {}", quote(ca)));
        }
        line.push_str(&format!(
            " -verify_hostname {} -verify_return_error",
            quote(name)
        ));
    }
    format!("# TLS over the socket file: the handshake, the certificate chain, then type to send\n{line}\n")
}

/// The Python lines that wrap `s` in TLS for the socket file: SNI and the
/// name checked are `--sni`, else localhost (a socket file has no host).
pub(super) fn python_tls_wrap(tls: &super::ClientTls) -> String {
    let name = python_text(tls.sni.as_deref().unwrap_or("localhost"));
    if tls.insecure {
        return format!("ctx = ssl.create_default_context()\nctx.check_hostname = False\nctx.verify_mode = ssl.CERT_NONE  # like curl -k: no certificate check\ns = ctx.wrap_socket(s, server_hostname={name})\n");
    }
    let ca = match &tls.ca_file {
        Some(file) => format!(
            "ctx.load_verify_locations({})  # trusted besides the system's CAs\n",
            python_text(file)
        ),
        None => String::new(),
    };
    format!("ctx = ssl.create_default_context()\n{ca}s = ctx.wrap_socket(s, server_hostname={name})  # checks the certificate names it\n")
}

fn python_text(text: &str) -> String {
    format!("'{}'", super::escaped_str(text.trim(), '\'', false))
}
