//! The one-liners: what a developer would type instead (`nc`, `ncat`,
//! `socat -v`, `curl -v`, `openssl s_client`), each with a comment.

use super::{escaped, host_port, Setting};
use crate::net::greet::Behaviour;
use crate::net::udp::UdpMode;

/// The command(s) for `setting`, one per line.
pub fn command(setting: &Setting) -> String {
    match setting {
        Setting::TcpServer { listen, mode, .. } => {
            let (host, port) = host_port(listen);
            let bind = format!("TCP-LISTEN:{port},bind={host},reuseaddr,fork");
            match mode {
                Behaviour::Echo => format!(
                    "# echo: every byte back; -v shows both directions\nsocat -v {bind} EXEC:cat\n"
                ),
                Behaviour::Discard => format!("# discard: read and drop\nsocat -u {bind} /dev/null\n"),
                Behaviour::Http => format!(
                    "# a small HTTP server on the same address\npython3 -m http.server {port} --bind {host}\n"
                ),
                Behaviour::Greet | Behaviour::Manual => format!(
                    "# listen; what arrives is printed, what you type is sent (one client at a time)\nnc -l {host} {port}\n# many clients, each shown (ncat)\nncat -lk {host} {port}\n"
                ),
            }
        }
        Setting::TcpClient {
            target,
            message,
            tls,
        } => {
            let (host, port) = host_port(target);
            match tls {
                Some(_) => format!(
                    "# TLS: the handshake, the certificate chain, then type to send\nopenssl s_client -connect {target} -servername {host}\n"
                ),
                None => format!(
                    "# send the message, half-close (-N), print the replies\nprintf '{}' | nc -N {host} {port}\n# or type lines by hand\nnc {host} {port}\n",
                    escaped(message, b'\'').replace('%', "%%")
                ),
            }
        }
        Setting::Udp {
            bind,
            mode,
            target,
            message,
        } => {
            let (bind_host, bind_port) = host_port(bind);
            let (host, port) = host_port(target);
            let server = match mode {
                UdpMode::Echo => format!(
                    "# an echo server\nsocat -v UDP-RECVFROM:{bind_port},bind={bind_host},fork EXEC:cat\n"
                ),
                _ => format!("# a server that prints each datagram\nnc -ul {bind_host} {bind_port}\n"),
            };
            format!(
                "{server}# send one datagram and wait 1 s for a reply\nprintf '{}' | nc -u -w1 {host} {port}\n",
                escaped(message, b'\'').replace('%', "%%")
            )
        }
        Setting::Http {
            url,
            request,
            insecure,
        } => curl(url, request, *insecure),
        Setting::Relay { listen, target } => {
            let (host, port) = host_port(listen);
            let (target_host, target_port) = host_port(target);
            format!(
                "# relay and show both directions (-v)\nsocat -v TCP-LISTEN:{port},bind={host},reuseaddr,fork TCP:{target_host}:{target_port}\n"
            )
        }
    }
}

/// `curl -v` with the editor's method, headers and body.
fn curl(url: &str, request: &str, insecure: bool) -> String {
    let quote = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
    let normalized = request.replace("\r\n", "\n");
    let (head, body) = normalized.split_once("\n\n").unwrap_or((&normalized, ""));
    let mut lines = head.lines();
    let method = lines
        .next()
        .and_then(|line| line.split_whitespace().next())
        .unwrap_or("GET");
    let mut parts = vec!["curl -v".to_string()];
    if insecure {
        parts.push("-k".into());
    }
    match method {
        "GET" => {}
        "HEAD" => parts.push("-I".into()),
        other => parts.push(format!("-X {other}")),
    }
    for line in lines {
        let name = line.split(':').next().unwrap_or("").trim();
        // curl sends these itself (and Connection: close is netplay's
        // choice for reading to the end).
        if [
            "host",
            "user-agent",
            "accept",
            "connection",
            "content-length",
        ]
        .iter()
        .any(|skip| name.eq_ignore_ascii_case(skip))
        {
            continue;
        }
        parts.push(format!("-H {}", quote(line)));
    }
    if !body.is_empty() {
        parts.push(format!("--data-binary {}", quote(body)));
    }
    parts.push(quote(url.trim()));
    format!(
        "# the same request, with the exchange shown (-v)\n{}\n",
        parts.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curl_carries_method_headers_and_body() {
        let command = curl(
            "http://127.0.0.1:8080/api",
            "POST /api HTTP/1.1\nHost: 127.0.0.1:8080\nContent-Type: application/json\nConnection: close\n\n{\"it's\": 1}",
            true,
        );
        assert!(command.contains("curl -v -k -X POST"), "{command}");
        assert!(
            command.contains("-H 'Content-Type: application/json'"),
            "{command}"
        );
        assert!(
            command.contains("--data-binary '{\"it'\\''s\": 1}'"),
            "{command}"
        );
        assert!(!command.contains("Host:"), "{command}");
        assert!(
            command.ends_with("'http://127.0.0.1:8080/api'\n"),
            "{command}"
        );
    }
}
