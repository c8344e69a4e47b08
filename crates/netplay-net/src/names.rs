//! Name overrides as curl defines them: `--resolve HOST:PORT:ADDR[,ADDR…]`
//! gives a name's addresses without DNS, `--connect-to
//! HOST1:PORT1:HOST2:PORT2` connects somewhere else. Neither touches the
//! Host header or the TLS server name: the lesson is that the DNS name,
//! the address, the Host header and the SNI are four separate things.

use std::net::{IpAddr, SocketAddr};

use crate::text::typed;

/// One `--resolve` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Resolve {
    /// The name (lower case), or `None` for `*` (any name).
    host: Option<String>,
    port: u16,
    addrs: Vec<IpAddr>,
}

/// One `--connect-to` entry; empty parts match any (from) or keep (to).
#[derive(Debug, Clone, PartialEq, Eq)]
struct ConnectTo {
    from_host: Option<String>,
    from_port: Option<u16>,
    to_host: Option<String>,
    to_port: Option<u16>,
}

/// Every override given, in order (`--connect-to`: the first that matches
/// wins; `--resolve`: the name's own entry, the latest, as curl).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    resolve: Vec<Resolve>,
    connect_to: Vec<ConnectTo>,
}

/// Where a connection for `host:port` goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The name (or address) connected to, without brackets.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// Addresses from `--resolve`: no DNS.
    pub pinned: Option<Vec<SocketAddr>>,
    /// The `--connect-to` entry used, as typed back.
    pub connect_to: Option<String>,
}

impl Route {
    /// `host:port` as a resolver takes it (IPv6 in brackets).
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// Splits `text` at its colons, keeping a `[…]` part whole (brackets
/// removed).
fn fields(text: &str) -> Result<Vec<String>, String> {
    let mut parts = Vec::new();
    let mut rest = text;
    loop {
        let (part, after) = if let Some(inner) = rest.strip_prefix('[') {
            let (host, after) = inner
                .split_once(']')
                .ok_or_else(|| format!("missing ']' in '{}'", typed(text)))?;
            if !(after.is_empty() || after.starts_with(':')) {
                return Err(format!("':' expected after ']' in '{}'", typed(text)));
            }
            (host.to_string(), after.strip_prefix(':'))
        } else {
            match rest.split_once(':') {
                Some((part, after)) => (part.to_string(), Some(after)),
                None => (rest.to_string(), None),
            }
        };
        parts.push(part);
        match after {
            Some(after) => rest = after,
            None => return Ok(parts),
        }
    }
}

fn port(text: &str, whole: &str) -> Result<u16, String> {
    text.parse::<u16>()
        .ok()
        .filter(|port| *port > 0)
        .ok_or_else(|| {
            format!(
                "'{}' is not a port (1–65535) in '{}'",
                typed(text),
                typed(whole)
            )
        })
}

fn optional(text: String) -> Option<String> {
    (!text.is_empty()).then(|| text.to_ascii_lowercase())
}

impl Overrides {
    /// Whether nothing is overridden.
    pub fn is_empty(&self) -> bool {
        self.resolve.is_empty() && self.connect_to.is_empty()
    }

    /// Adds `--resolve HOST:PORT:ADDR[,ADDR…]` (`HOST` may be `*`; IPv6
    /// addresses may be in brackets).
    pub fn add_resolve(&mut self, text: &str) -> Result<(), String> {
        let shape = || {
            format!(
                "'{}': write HOST:PORT:ADDRESS[,ADDRESS…], e.g. example.com:443:127.0.0.1",
                typed(text)
            )
        };
        let (host, rest) = text.split_once(':').ok_or_else(shape)?;
        let (port_text, addrs) = rest.split_once(':').ok_or_else(shape)?;
        let port = port(port_text, text)?;
        let addrs = addrs
            .split(',')
            .map(|addr| {
                let bare = addr.trim().trim_start_matches('[').trim_end_matches(']');
                bare.parse::<IpAddr>().map_err(|_| {
                    format!(
                        "'{}' is not an IP address in '{}'",
                        typed(addr),
                        typed(text)
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if host.is_empty() {
            return Err(shape());
        }
        let host = (host != "*").then(|| host.trim_start_matches('+').to_ascii_lowercase());
        self.resolve.push(Resolve { host, port, addrs });
        Ok(())
    }

    /// Adds `--connect-to HOST1:PORT1:HOST2:PORT2` (any part may be empty:
    /// on the left, any; on the right, the same).
    pub fn add_connect_to(&mut self, text: &str) -> Result<(), String> {
        let parts = fields(text)?;
        let [from_host, from_port, to_host, to_port]: [String; 4] = parts.try_into().map_err(|_| {
            format!("'{}': write HOST1:PORT1:HOST2:PORT2 (parts may be empty), e.g. example.com:443:127.0.0.1:8443", typed(text))
        })?;
        let from_port = (!from_port.is_empty())
            .then(|| port(&from_port, text))
            .transpose()?;
        let to_port = (!to_port.is_empty())
            .then(|| port(&to_port, text))
            .transpose()?;
        self.connect_to.push(ConnectTo {
            from_host: optional(from_host),
            from_port,
            to_host: optional(to_host),
            to_port,
        });
        Ok(())
    }

    /// Where a connection for `host:port` goes: `--connect-to` first, then
    /// `--resolve` for the name connected to (as curl does).
    pub fn route(&self, host: &str, port: u16) -> Route {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let name = bare.to_ascii_lowercase();
        let (mut to_host, mut to_port, mut connect_to) = (bare.to_string(), port, None);
        if let Some(entry) = self.connect_to.iter().find(|entry| {
            entry.from_host.as_ref().is_none_or(|h| *h == name)
                && entry.from_port.is_none_or(|p| p == port)
        }) {
            if let Some(host) = &entry.to_host {
                to_host.clone_from(host);
            }
            to_port = entry.to_port.unwrap_or(port);
            connect_to = Some(format!(
                "{}:{} → {}",
                bracketed(bare),
                port,
                bracketed_port(&to_host, to_port)
            ));
        }
        // As curl: an entry for the name beats a `*` one, and a later
        // entry for the same name and port replaces an earlier one.
        let target = to_host.to_ascii_lowercase();
        let for_port = || {
            self.resolve
                .iter()
                .rev()
                .filter(|entry| entry.port == to_port)
        };
        let pinned = for_port()
            .find(|entry| entry.host.as_deref() == Some(target.as_str()))
            .or_else(|| for_port().find(|entry| entry.host.is_none()))
            .map(|entry| {
                entry
                    .addrs
                    .iter()
                    .map(|ip| SocketAddr::new(*ip, to_port))
                    .collect()
            });
        Route {
            host: to_host,
            port: to_port,
            pinned,
            connect_to,
        }
    }
}

fn bracketed(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

fn bracketed_port(host: &str, port: u16) -> String {
    format!("{}:{port}", bracketed(host))
}

/// The four lines a learner reads: the name connected to, the address,
/// the Host header sent, the TLS server name.
pub fn four_lines(
    (name, port): (&str, u16),
    route: &Route,
    remote: SocketAddr,
    host_header: Option<&str>,
    sni: Option<&str>,
) -> [String; 4] {
    let name_line = match &route.connect_to {
        Some(via) => format!(
            "name     {} (--connect-to {via})",
            bracketed_port(&route.host, route.port)
        ),
        None => format!("name     {}", bracketed_port(name, port)),
    };
    let literal = route.host.parse::<IpAddr>().is_ok();
    let how = match (&route.pinned, literal) {
        (Some(_), _) => "from --resolve: no DNS",
        (None, true) => "an address already: no DNS",
        (None, false) => "from DNS",
    };
    [
        name_line,
        format!("address  {remote} ({how})"),
        match host_header {
            Some(host) => format!("Host     {host}"),
            None => "Host     (none in the request)".to_string(),
        },
        match sni {
            Some(sni) => format!("SNI      {sni}"),
            None => "SNI      (none: plain TCP, or an IP address)".to_string(),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_pins_addresses_for_one_name_and_port() {
        let mut names = Overrides::default();
        names
            .add_resolve("Example.com:443:127.0.0.1,[::1]")
            .unwrap();
        let route = names.route("example.com", 443);
        assert_eq!(
            route.pinned,
            Some(vec![
                "127.0.0.1:443".parse().unwrap(),
                "[::1]:443".parse().unwrap()
            ])
        );
        assert_eq!(names.route("example.com", 80).pinned, None);
        assert_eq!(names.route("other.test", 443).pinned, None);
        names.add_resolve("*:80:10.0.0.1").unwrap();
        assert!(names.route("any.test", 80).pinned.is_some());
        // The name's own entry beats `*`; the later of two wins.
        names.add_resolve("foo.test:80:127.0.0.1").unwrap();
        names.add_resolve("foo.test:80:127.0.0.2").unwrap();
        assert_eq!(
            names.route("foo.test", 80).pinned,
            Some(vec!["127.0.0.2:80".parse().unwrap()])
        );
    }

    #[test]
    fn connect_to_moves_the_connection_and_resolve_applies_after() {
        let mut names = Overrides::default();
        names
            .add_connect_to("example.com:443:backend.test:8443")
            .unwrap();
        names.add_resolve("backend.test:8443:127.0.0.1").unwrap();
        let route = names.route("example.com", 443);
        assert_eq!((route.host.as_str(), route.port), ("backend.test", 8443));
        assert_eq!(route.pinned, Some(vec!["127.0.0.1:8443".parse().unwrap()]));
        assert_eq!(route.authority(), "backend.test:8443");
        // Empty parts: any name on port 80 goes to the same name on 8080.
        let mut names = Overrides::default();
        names.add_connect_to("::[::1]:8080").unwrap();
        let route = names.route("web.test", 80);
        assert_eq!((route.host.as_str(), route.port), ("::1", 8080));
        assert_eq!(route.authority(), "[::1]:8080");
        let mut names = Overrides::default();
        names.add_connect_to("web.test:::9090").unwrap();
        let route = names.route("web.test", 80);
        assert_eq!((route.host.as_str(), route.port), ("web.test", 9090));
    }

    #[test]
    fn malformed_entries_say_why() {
        let mut names = Overrides::default();
        for bad in [
            "example.com",
            "example.com:443",
            "example.com:x:1.2.3.4",
            "example.com:443:nope",
            ":443:1.2.3.4",
        ] {
            let reason = names.add_resolve(bad).unwrap_err();
            assert!(!reason.is_empty(), "{bad}");
        }
        for bad in [
            "a:1:b",
            "a:1:b:2:3",
            "a:0:b:2",
            "[::1:1:b:2",
            "[::1]x:1:b:2",
        ] {
            assert!(names.add_connect_to(bad).is_err(), "{bad}");
        }
        assert!(names.is_empty());
    }
}
