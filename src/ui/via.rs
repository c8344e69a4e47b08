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
    /// The Target as typed, password included.
    full: Option<String>,
}

impl Secret {
    /// The Target to connect with: the field's text — or, when that is
    /// the one used before less its password, that one whole.
    pub(crate) fn fill(&self, typed: &str) -> String {
        match &self.full {
            Some(full) if without_password(full) == typed => full.clone(),
            _ => typed.to_string(),
        }
    }

    /// Keeps `typed` when it holds a password; what the field shows then.
    pub(crate) fn keep(&mut self, typed: &str) -> Option<String> {
        let shown = without_password(typed);
        (shown != typed).then(|| {
            self.full = Some(typed.to_string());
            shown
        })
    }
}

/// The Target as the state file keeps it: a proxy's password left out
/// (`user@`), to be typed again.
pub(crate) fn without_password(typed: &str) -> String {
    let Some((target, proxy)) = typed.split_once(" via ") else {
        return typed.to_string();
    };
    let start = proxy.find("://").map_or(0, |at| at + 3);
    let Some(at) = proxy[start..].rfind('@').map(|at| start + at) else {
        return typed.to_string();
    };
    let user = proxy[start..at].split(':').next().unwrap_or_default();
    format!(
        "{target} via {}{user}@{}",
        &proxy[..start],
        &proxy[at + 1..]
    )
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
    }
}
