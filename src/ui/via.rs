//! What a typed target may say besides itself: `TARGET via PROXY-URL`
//! goes through that proxy (socks5h://, socks5://, socks4a://, http://),
//! as `-x` does — the TCP Client tab's Target (`host:port via …`) and the
//! HTTP tab's URL (`URL via …`). A password in it is used, then hidden.

use std::sync::Arc;

use crate::net::proxy::Proxy;

/// The target and the proxy a typed Target says.
pub(crate) fn split(typed: &str) -> Result<(String, Option<Arc<Proxy>>), String> {
    match typed.split_once(" via ") {
        None => Ok((typed.trim().to_string(), None)),
        Some((target, proxy)) => {
            let proxy = Proxy::parse(proxy.trim()).map_err(|reason| format!("Proxy: {reason}"))?;
            Ok((target.trim().to_string(), Some(Arc::new(proxy))))
        }
    }
}

/// A proxy password typed in the Target: once used, the field shows the
/// Target without it, and this keeps it for the session (never saved).
#[derive(Default)]
pub(crate) struct Secret {
    /// The proxy URL as typed, password included.
    proxy: Option<String>,
}

impl Secret {
    /// The Target to connect with: the field's text — with the password
    /// put back when its proxy is the one used before less its password
    /// (whatever the target: a new path, a redirect, a history entry).
    pub(crate) fn fill(&self, typed: &str) -> String {
        let (Some(full), Some((target, proxy))) = (&self.proxy, typed.split_once(" via ")) else {
            return typed.to_string();
        };
        match strip_password(full) == proxy.trim() {
            true => format!("{target} via {full}"),
            false => typed.to_string(),
        }
    }

    /// Keeps `typed`'s proxy when it holds a password; what the field
    /// shows then.
    pub(crate) fn keep(&mut self, typed: &str) -> Option<String> {
        let shown = without_password(typed);
        (shown != typed).then(|| {
            self.proxy = typed
                .split_once(" via ")
                .map(|(_, proxy)| proxy.trim().to_string());
            shown
        })
    }
}

/// The Target as the state file keeps it: a proxy's password left out
/// (`user@`), to be typed again.
pub(crate) fn without_password(typed: &str) -> String {
    match typed.split_once(" via ") {
        Some((target, proxy)) if strip_password(proxy) != proxy => {
            format!("{target} via {}", strip_password(proxy))
        }
        _ => typed.to_string(),
    }
}

/// A proxy URL with its password left out (`scheme://user@host:port`).
fn strip_password(proxy: &str) -> String {
    let start = proxy.find("://").map_or(0, |at| at + 3);
    let Some(at) = proxy[start..].rfind('@').map(|at| start + at) else {
        return proxy.to_string();
    };
    let user = proxy[start..at].split(':').next().unwrap_or_default();
    format!("{}{user}@{}", &proxy[..start], &proxy[at + 1..])
}

/// `URL via PROXY` for a new URL, keeping the field's proxy (a redirect
/// followed goes through the same proxy).
pub(crate) fn with_same_proxy(typed: &str, target: &str) -> String {
    match typed.split_once(" via ") {
        Some((_, proxy)) => format!("{target} via {}", proxy.trim()),
        None => target.to_string(),
    }
}

/// The target part of a typed Target (what the code views and the
/// transcript name).
pub(crate) fn target_of(typed: &str) -> String {
    typed
        .split_once(" via ")
        .map_or(typed, |(target, _)| target)
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_target_may_name_its_proxy() {
        let (target, proxy) = super::split("db.test:5432 via socks5h://127.0.0.1:1080").unwrap();
        assert_eq!(target, "db.test:5432");
        assert_eq!(proxy.unwrap().authority(), "127.0.0.1:1080");
        assert!(super::split("x:1").unwrap().1.is_none());
        assert!(super::split("x:1 via ftp://p").is_err());
        assert_eq!(
            super::without_password("x:1 via socks5h://bob:top/secret@127.0.0.1:1080"),
            "x:1 via socks5h://bob@127.0.0.1:1080"
        );
        let mut secret = super::Secret::default();
        let typed = "x:1 via socks5h://bob:pw@127.0.0.1:1080";
        let shown = secret.keep(typed).expect("a password to hide");
        assert_eq!(shown, "x:1 via socks5h://bob@127.0.0.1:1080");
        assert_eq!(secret.fill(&shown), typed, "used again, whole");
        assert_eq!(secret.fill("y:2"), "y:2");
        // Another target through the same proxy: the password too.
        assert_eq!(
            secret.fill("y:2 via socks5h://bob@127.0.0.1:1080"),
            "y:2 via socks5h://bob:pw@127.0.0.1:1080"
        );
        // Another proxy (or user): not.
        assert_eq!(
            secret.fill("y:2 via socks5h://eve@127.0.0.1:1080"),
            "y:2 via socks5h://eve@127.0.0.1:1080"
        );
        assert_eq!(
            super::with_same_proxy(&shown, "z:3"),
            "z:3 via socks5h://bob@127.0.0.1:1080"
        );
    }
}
