//! The proxy environment variables, read as curl reads them: `http_proxy`
//! (lower case only: an `HTTP_PROXY` may come from a CGI request's
//! `Proxy:` header), `HTTPS_PROXY` / `https_proxy`, `ALL_PROXY` /
//! `all_proxy`, and `NO_PROXY` / `no_proxy` (or `--noproxy`).

use std::net::IpAddr;

/// The proxy URL the environment gives for a `scheme` (`http`, `https`;
/// `ws`/`wss` as `http`/`https`; anything else: `ALL_PROXY` only) and
/// `host`, unless `noproxy` (or `NO_PROXY`) exempts the host.
pub fn from_env(scheme: &str, host: &str, noproxy: Option<&str>) -> Option<String> {
    if exempt(host, noproxy) {
        return None;
    }
    let specific = match scheme {
        "http" | "ws" => var("http_proxy"),
        "https" | "wss" => var("https_proxy").or_else(|| var("HTTPS_PROXY")),
        _ => None,
    };
    specific
        .or_else(|| var("all_proxy"))
        .or_else(|| var("ALL_PROXY"))
}

/// Whether `host` goes direct: `--noproxy` when given, else `no_proxy` /
/// `NO_PROXY` (as curl, which honours them with `-x` too).
pub fn exempt(host: &str, noproxy: Option<&str>) -> bool {
    noproxy
        .map(str::to_string)
        .or_else(|| var("no_proxy"))
        .or_else(|| var("NO_PROXY"))
        .is_some_and(|list| bypassed(host, &list))
}

/// A variable's value, if set and not empty (lower-case names are read
/// first, as curl reads them).
fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

/// Whether `list` (`NO_PROXY`'s form: names, domains, addresses, CIDR
/// ranges, comma-separated; a lone `*` for all, as curl) exempts `host`.
pub fn bypassed(host: &str, list: &str) -> bool {
    if list.trim() == "*" {
        return true;
    }
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let ip = host.parse::<IpAddr>().ok().map(|ip| ip.to_canonical());
    list.split(',').map(str::trim).any(|entry| {
        let entry = entry
            .trim_start_matches('[')
            .trim_end_matches(']')
            .trim_end_matches('.')
            .to_ascii_lowercase();
        if entry.is_empty() {
            return false;
        }
        if let (Some(ip), Some((net, bits))) = (ip, entry.split_once('/')) {
            return in_range(ip, net, bits);
        }
        if ip.is_some() || entry.parse::<IpAddr>().is_ok() {
            return entry.parse::<IpAddr>().ok() == ip;
        }
        let domain = entry.trim_start_matches('.');
        host == domain || host.ends_with(&format!(".{domain}"))
    })
}

fn in_range(ip: IpAddr, net: &str, bits: &str) -> bool {
    let (Ok(net), Ok(bits)) = (net.parse::<IpAddr>(), bits.parse::<u32>()) else {
        return false;
    };
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) if bits <= 32 => {
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) if bits <= 128 => {
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_proxy_matches_names_domains_addresses_and_ranges() {
        let list = "localhost, .internal.test,example.com,10.0.0.0/8,::1, 192.168.1.5";
        for host in [
            "localhost",
            "a.internal.test",
            "internal.test",
            "www.example.com",
            "10.2.3.4",
            "[::1]",
            "192.168.1.5",
        ] {
            assert!(bypassed(host, list), "{host}");
        }
        for host in [
            "example.org",
            "notexample.com",
            "11.0.0.1",
            "192.168.1.6",
            "::2",
        ] {
            assert!(!bypassed(host, list), "{host}");
        }
        assert!(bypassed("anything.test", "*"));
        assert!(
            !bypassed("anything.test", "foo,*"),
            "* is all only alone, as curl"
        );
        assert!(bypassed("localhost", "localhost."), "a trailing dot");
        assert!(!bypassed("x.test", ""));
    }
}
