//! The proxy environment variables, read as curl reads them: `http_proxy`
//! (lower case only: an `HTTP_PROXY` may come from a CGI request's
//! `Proxy:` header), `HTTPS_PROXY` / `https_proxy`, `ALL_PROXY` /
//! `all_proxy`, and `NO_PROXY` / `no_proxy` (or `--noproxy`).

use std::net::IpAddr;

/// The proxy URL the environment gives for a `scheme` (`http`, `https`;
/// `ws`/`wss` as `http`/`https`; anything else: `ALL_PROXY` only) and
/// `host`, unless `noproxy` (or `NO_PROXY`) exempts the host.
pub fn from_env(scheme: &str, host: &str, noproxy: Option<&str>) -> Option<String> {
    let var = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    let no_proxy = noproxy
        .map(str::to_string)
        .or_else(|| var("NO_PROXY"))
        .or_else(|| var("no_proxy"));
    if no_proxy.is_some_and(|list| bypassed(host, &list)) {
        return None;
    }
    let specific = match scheme {
        "http" | "ws" => var("http_proxy"),
        "https" | "wss" => var("HTTPS_PROXY").or_else(|| var("https_proxy")),
        _ => None,
    };
    specific
        .or_else(|| var("ALL_PROXY"))
        .or_else(|| var("all_proxy"))
}

/// Whether `list` (`NO_PROXY`'s form: names, domains, addresses, CIDR
/// ranges, comma-separated; `*` for all) exempts `host`.
pub fn bypassed(host: &str, list: &str) -> bool {
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    let ip = host.parse::<IpAddr>().ok();
    list.split(',').map(str::trim).any(|entry| {
        if entry == "*" {
            return true;
        }
        let entry = entry
            .trim_start_matches('[')
            .trim_end_matches(']')
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
        assert!(!bypassed("x.test", ""));
    }
}
