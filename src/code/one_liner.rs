//! The one-liners: what a developer would type instead (`nc`, `ncat`,
//! `socat -v`, `curl -v`, `openssl s_client`), each with a comment.

use super::{host_port, Setting};
use crate::curl::quote;
use crate::net::behaviour::greet::Behaviour;
use crate::net::udp::UdpMode;

/// The command(s) for `setting`, one per line. Every word that came from
/// a field (an address, a message, a header) is quoted for a POSIX shell:
/// nothing typed can become a command.
pub fn command(setting: &Setting) -> String {
    match setting {
        Setting::TcpServer {
            listen,
            tls: Some(tls),
            mode,
            ..
        } => {
            let (host, port) = host_port(listen);
            let cert = tls.cert.as_deref().unwrap_or("cert.pem");
            let key = tls.key.as_deref().unwrap_or("key.pem");
            let make = if tls.cert.is_none() {
                "# a certificate and key for localhost, once (netplay's own is in memory)\nopenssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -keyout key.pem -out cert.pem -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1\n"
            } else {
                ""
            };
            if let Some(path) = super::unix::path_of(listen) {
                let server = super::unix::one_liner_server(path, *mode, Some((cert, key)));
                return format!("{make}{server}");
            }
            format!(
                "{make}# a TLS server: what arrives is printed, what you type is sent\nopenssl s_server -accept {} -cert {} -key {}\n",
                quote(&format!("{}:{port}", bracketed(&host))),
                quote(cert),
                quote(key)
            )
        }
        Setting::TcpServer { listen, mode, .. } if super::unix::path_of(listen).is_some() => {
            super::unix::one_liner_server(
                super::unix::path_of(listen).unwrap_or_default(),
                *mode,
                None,
            )
        }
        Setting::TcpServer { listen, mode, .. } => {
            let (host, port) = host_port(listen);
            let bind = quote(&format!(
                "TCP-LISTEN:{port},bind={},reuseaddr,fork",
                bracketed(&host)
            ));
            let host = quote(&host);
            match mode {
                Behaviour::Echo => format!(
                    "# echo: every byte back; -v shows both directions\nsocat -v {bind} EXEC:cat\n"
                ),
                Behaviour::Discard => format!("# discard: read and drop\nsocat -u {bind} /dev/null\n"),
                Behaviour::Http => format!(
                    "# a small HTTP server on the same address\npython3 -m http.server {port} --bind {host}\n"
                ),
                Behaviour::Greet | Behaviour::Manual | Behaviour::Rules => format!(
                    "# listen; what arrives is printed, what you type is sent (one client at a time)\nnc -l {host} {port}\n# many clients, each shown (ncat)\nncat -lk {host} {port}\n"
                ),
            }
        }
        Setting::TcpClient {
            target,
            message,
            tls,
        } => {
            let target = match super::client_target(target) {
                super::ClientTarget::Unix(path) if tls.is_some() => {
                    return tls
                        .as_ref()
                        .map(|tls| super::unix::one_liner_tls_client(&path, tls))
                        .unwrap_or_default()
                }
                super::ClientTarget::Unix(path) => {
                    return format!(
                        "# send the message over the UNIX socket, half-close (-N), print the replies\nprintf '%b' {} | nc -N -U {}\n",
                        printf_b(message),
                        quote(&path)
                    )
                }
                super::ClientTarget::Tcp(target, Some(proxy)) => {
                    let (host, port) = host_port(&target);
                    return through_proxy(&proxy, (&host, port), message);
                }
                super::ClientTarget::Tcp(target, None) => target,
            };
            let (host, port) = host_port(&target);
            match tls {
                Some(tls) => {
                    // SNI is a name: none for an IP address unless one is set.
                    let name = tls.sni.clone().or_else(|| {
                        host.parse::<std::net::IpAddr>().is_err().then(|| host.clone())
                    });
                    let mut line = format!(
                        "openssl s_client -connect {}",
                        quote(&format!("{}:{port}", bracketed(&host)))
                    );
                    if let Some(name) = &name {
                        line.push_str(&format!(" -servername {}", quote(name)));
                    }
                    if tls.insecure {
                        line.push_str("  # -k: the certificate is not checked");
                    } else {
                        if let Some(ca) = &tls.ca_file {
                            line.push_str(&format!(" -CAfile {}", quote(ca)));
                        }
                        let check = name.clone().unwrap_or_else(|| host.clone());
                        let flag = if host.parse::<std::net::IpAddr>().is_ok() && tls.sni.is_none() {
                            "-verify_ip"
                        } else {
                            "-verify_hostname"
                        };
                        line.push_str(&format!(" {flag} {} -verify_return_error", quote(&check)));
                    }
                    format!("# TLS: the handshake, the certificate chain, then type to send\n{line}\n")
                }
                None => format!(
                    "# send the message, half-close (-N), print the replies\nprintf '%b' {} | nc -N {host} {port}\n# or type lines by hand\nnc {host} {port}\n",
                    printf_b(message),
                    host = quote(&host)
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
                    "# an echo server\nsocat -v {} EXEC:cat\n",
                    quote(&format!(
                        "UDP-RECVFROM:{bind_port},bind={},fork",
                        bracketed(&bind_host)
                    ))
                ),
                _ => format!(
                    "# a server that prints each datagram\nnc -ul {} {bind_port}\n",
                    quote(&bind_host)
                ),
            };
            format!(
                "{server}# send one datagram and wait 1 s for a reply\nprintf '%b' {} | nc -u -w1 {} {port}\n",
                printf_b(message),
                quote(&host)
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
                "# relay and show both directions (-v)\nsocat -v {} {}\n",
                quote(&format!(
                    "TCP-LISTEN:{port},bind={},reuseaddr,fork",
                    bracketed(&host)
                )),
                quote(&format!("TCP:{}:{target_port}", bracketed(&target_host)))
            )
        }
    }
}

/// An IPv6 host in brackets (as socat and openssl want it), others as
/// they are.
fn bracketed(host: &str) -> String {
    if super::is_ipv6(host) {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

/// The argument of `printf '%b'` that prints exactly `bytes`: backslash
/// escapes that POSIX printf knows (octal `\0NNN` for anything not plain),
/// then quoted for the shell.
fn printf_b(bytes: &[u8]) -> String {
    let mut text = String::new();
    for &b in bytes {
        match b {
            b'\\' => text.push_str("\\\\"),
            b'\n' => text.push_str("\\n"),
            0x20..=0x7e => text.push(char::from(b)),
            _ => text.push_str(&format!("\\0{b:03o}")),
        }
    }
    quote(&text)
}

/// `curl -v` with the editor's method, headers and body.
fn curl(url: &str, request: &str, insecure: bool) -> String {
    let normalized = request.replace("\r\n", "\n");
    let (head, body) = normalized.split_once("\n\n").unwrap_or((&normalized, ""));
    let mut lines = head.lines();
    let mut first = lines.next().unwrap_or("").split_whitespace();
    let method = first.next().unwrap_or("GET");
    let parsed = url::Url::parse(url.trim()).ok();
    // The request line's target, on the URL's scheme and authority: what
    // the editor says is what is sent.
    let url = match (&parsed, first.next()) {
        (Some(parsed), Some(target)) if target.starts_with('/') => {
            format!("{}{target}", &parsed[..url::Position::BeforePath])
        }
        _ => url.trim().to_string(),
    };
    // The words both commands share: -k, -X, -H (netplay fetch takes the
    // same), then the body and the URL.
    let mut shared = Vec::new();
    let (curl_method, fetch_method) = match method {
        // A body would make curl (and netplay fetch) send POST.
        "GET" if !body.is_empty() => (Some("-X GET".to_string()), Some("-X GET".to_string())),
        "GET" => (None, None),
        "HEAD" => (Some("-I".to_string()), Some("-X HEAD".to_string())),
        other => {
            let word = format!("-X {}", quote(other));
            (Some(word.clone()), Some(word))
        }
    };
    for line in lines {
        let (name, value) = line.split_once(':').unwrap_or((line, ""));
        // The defaults both tools send themselves stay out; a value the
        // user changed (Host, User-Agent, Accept) goes in.
        if crate::net::http::request::is_default_field(parsed.as_ref(), name, value) {
            continue;
        }
        shared.push(format!("-H {}", quote(line)));
    }
    let command = |program: &str, method: Option<String>, data_flag: &str| {
        let mut words = vec![program.to_string()];
        if insecure {
            words.push("-k".to_string());
        }
        words.extend(method);
        words.extend(shared.iter().cloned());
        if !body.is_empty() {
            words.push(format!("{data_flag} {}", quote(body)));
        }
        words.push(quote(&url));
        words.join(" ")
    };
    format!(
        "# the same request, with the exchange shown (-v)\n{}\n# and with netplay, headless\n{}\n",
        command("curl -v", curl_method, "--data-binary"),
        command("netplay fetch -v", fetch_method, "-d")
    )
}

/// The TCP Client tab through a proxy, as ncat goes through one.
fn through_proxy(proxy: &str, (host, port): (&str, u16), message: &[u8]) -> String {
    let (kind, rest) = match proxy.split_once("://") {
        Some((scheme, rest)) if scheme.starts_with("socks5") => ("socks5", rest),
        Some((scheme, rest)) if scheme.starts_with("socks4") => ("socks4", rest),
        Some((_, rest)) => ("http", rest),
        None => ("http", proxy),
    };
    // user@ (the tab never keeps the password): ncat asks for it.
    let (user, address) = match rest.rsplit_once('@') {
        Some((user, address)) => (Some(user), address),
        None => (None, rest),
    };
    let auth = user
        .map(|user| format!(" --proxy-auth {}", quote(&format!("{user}:PASSWORD"))))
        .unwrap_or_default();
    format!(
        "# through the proxy, as the tab goes (ncat; the proxy resolves the name)\nprintf '%b' {} | ncat --proxy {} --proxy-type {kind}{auth} --proxy-dns remote {} {port}\n",
        printf_b(message),
        quote(address.trim_end_matches('/')),
        quote(host)
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
            command.ends_with(" http://127.0.0.1:8080/api\n"),
            "{command}"
        );
    }
}
