//! TLS failures as one plain sentence: what failed, and what to try. The
//! engine writes the sentence; each front end supplies how it names the
//! fixes ([`Fixes`]), so the CLI says `--cacert FILE` where the TUI names
//! its keys.

use rustls::{AlertDescription, CertificateError};

use super::cert::CertSummary;

/// How a front end names the fixes a TLS error suggests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fixes {
    /// How to trust an extra CA: `--cacert FILE`, `the CA file field (F6)`.
    pub cacert: &'static str,
    /// How to skip verification: `-k`, `F7 (insecure)`.
    pub insecure: &'static str,
    /// How to send another server name, if the front end can.
    pub sni: Option<&'static str>,
}

/// The command line's words (`fetch`; `tcp connect` adds `--sni`).
pub const CLI_FIXES: Fixes = Fixes {
    cacert: "--cacert FILE",
    insecure: "-k",
    sni: None,
};

impl Default for Fixes {
    fn default() -> Self {
        CLI_FIXES
    }
}

fn clean(text: &str) -> String {
    crate::text::sanitize_str(text)
}

/// Why the server's certificate was refused. `leaf` is what it presented,
/// when known (to name it).
#[allow(deprecated)] // rustls still returns the context-free variants too
pub fn certificate(err: &CertificateError, leaf: Option<&CertSummary>, fixes: &Fixes) -> String {
    let who = leaf
        .map(|leaf| format!(" ({})", leaf.common_name()))
        .unwrap_or_default();
    let skip = fixes.insecure;
    match err {
        CertificateError::UnknownIssuer => {
            let issuer = leaf
                .map(|leaf| format!(" ({})", leaf.issuer))
                .unwrap_or_default();
            format!(
                "the server's certificate is signed by an unknown authority{issuer}: pass its CA with {}, or {skip} to skip verification",
                fixes.cacert
            )
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            // Safe to show either way, and escaped once: the summary's
            // names passed the gate when it was made.
            let presented = match (err, leaf) {
                (_, Some(leaf)) => leaf.names.join(", "),
                (CertificateError::NotValidForNameContext { presented, .. }, None) => presented
                    .iter()
                    .map(|name| clean(&openssl_style(name)))
                    .collect::<Vec<_>>()
                    .join(", "),
                _ => String::new(),
            };
            let expected = match err {
                CertificateError::NotValidForNameContext { expected, .. } => {
                    format!(" {}", expected.to_str())
                }
                _ => String::new(),
            };
            let names = if presented.is_empty() {
                "names no host at all".to_string()
            } else {
                format!("is for {presented}")
            };
            let sni = fixes
                .sni
                .map(|sni| format!(", or send that name with {sni}"))
                .unwrap_or_default();
            format!(
                "the server's certificate{who} is not valid for{}: it {names}; connect by one of its names{sni}, or {skip} to skip verification",
                clean(&expected)
            )
        }
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            let when = leaf
                .map(|leaf| format!(" on {}", leaf.not_after))
                .unwrap_or_default();
            format!("the server's certificate{who} expired{when}: the server must renew it (or {skip} to skip verification)")
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            let when = leaf
                .map(|leaf| format!(" until {}", leaf.not_before))
                .unwrap_or_default();
            format!("the server's certificate{who} is not valid{when}: check this machine's clock (or {skip} to skip verification)")
        }
        CertificateError::BadEncoding => {
            format!("the server's certificate{who} cannot be parsed: it is malformed ({skip} skips verification)")
        }
        CertificateError::Revoked => {
            format!("the server's certificate{who} was revoked by its authority: do not trust this server")
        }
        CertificateError::UnhandledCriticalExtension => format!(
            "the server's certificate{who} has a critical extension netplay cannot check ({skip} skips verification)"
        ),
        CertificateError::UnknownRevocationStatus
        | CertificateError::ExpiredRevocationList
        | CertificateError::ExpiredRevocationListContext { .. } => format!(
            "the revocation status of the server's certificate{who} cannot be checked ({skip} skips verification)"
        ),
        CertificateError::BadSignature => format!(
            "the server's certificate{who} has a bad signature: it was not signed by the authority it names"
        ),
        CertificateError::UnsupportedSignatureAlgorithm
        | CertificateError::UnsupportedSignatureAlgorithmContext { .. }
        | CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => format!(
            "the server's certificate{who} uses a signature algorithm netplay does not support ({skip} skips verification)"
        ),
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => format!(
            "the server's certificate{who} is not meant for a TLS server (its extended key usage says otherwise; {skip} skips verification)"
        ),
        CertificateError::ApplicationVerificationFailure => format!(
            "the server's certificate{who} failed netplay's own check ({skip} skips verification)"
        ),
        CertificateError::Other(other) if other.0.to_string().contains("CaUsedAsEndEntity") => format!(
            "the server's certificate{who} is a CA certificate used as the server's own (the `openssl req -x509` recipe): pass that same file with {} to pin it, or {skip} to skip verification",
            fixes.cacert
        ),
        CertificateError::Other(other) => format!(
            "the server's certificate{who} was refused: {} ({skip} skips verification)",
            clean(&other.0.to_string())
        ),
        other => format!(
            "the server's certificate{who} was refused: {} ({skip} skips verification)",
            clean(&other.to_string())
        ),
    }
}

/// rustls writes the presented names as Debug (`DnsName("localhost")`);
/// OpenSSL's `DNS:localhost` / `IP:127.0.0.1` is what people read.
fn openssl_style(name: &str) -> String {
    let inner = |prefix: &str| {
        name.strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix(')'))
            .map(|rest| rest.trim_matches('"').to_string())
    };
    if let Some(dns) = inner("DnsName(") {
        format!("DNS:{dns}")
    } else if let Some(ip) = inner("IpAddress(") {
        format!(
            "IP:{}",
            ip.trim_start_matches("V4(")
                .trim_start_matches("V6(")
                .trim_end_matches(')')
        )
    } else {
        name.to_string()
    }
}

/// An alert's name in words (`unknown CA`, `handshake failure`).
pub fn alert(alert: &AlertDescription) -> String {
    let words = match alert {
        AlertDescription::HandshakeFailure => {
            "handshake failure: no TLS version or cipher suite in common"
        }
        AlertDescription::BadCertificate => "bad certificate",
        AlertDescription::UnsupportedCertificate => "unsupported certificate",
        AlertDescription::CertificateRevoked => "certificate revoked",
        AlertDescription::CertificateExpired => "certificate expired",
        AlertDescription::CertificateUnknown => "certificate unknown",
        AlertDescription::UnknownCA => "unknown CA",
        AlertDescription::AccessDenied => "access denied",
        AlertDescription::ProtocolVersion => "protocol version: no TLS version in common",
        AlertDescription::InsufficientSecurity => "insufficient security",
        AlertDescription::UnrecognisedName => {
            "unrecognised name: it serves no such host name (SNI)"
        }
        AlertDescription::NoApplicationProtocol => {
            "no application protocol: none of the ALPN names offered"
        }
        AlertDescription::CertificateRequired => {
            "certificate required: it wants a client certificate"
        }
        AlertDescription::InternalError => "internal error",
        AlertDescription::DecodeError => "decode error",
        AlertDescription::DecryptError => "decrypt error",
        AlertDescription::IllegalParameter => "illegal parameter",
        AlertDescription::UnexpectedMessage => "unexpected message",
        AlertDescription::CloseNotify => "close notify",
        other => return clean(&format!("alert {other:?}").to_lowercase()),
    };
    words.to_string()
}

/// A failed client handshake in words. `leaf` is the server's certificate
/// if it sent one.
pub fn client(err: &rustls::Error, leaf: Option<&CertSummary>, fixes: &Fixes) -> String {
    match err {
        rustls::Error::InvalidCertificate(cert) => certificate(cert, leaf, fixes),
        rustls::Error::AlertReceived(description) => format!(
            "the server refused the handshake: {}",
            alert(description)
        ),
        rustls::Error::InvalidMessage(_)
        | rustls::Error::InappropriateMessage { .. }
        | rustls::Error::InappropriateHandshakeMessage { .. } => {
            "the server did not answer with TLS: is this a plain-text port? (drop TLS, or use the TLS port)".into()
        }
        rustls::Error::NoCertificatesPresented => "the server sent no certificate".into(),
        rustls::Error::UnsupportedNameType => {
            "the server name cannot be checked by TLS: connect by a host name or an IP address".into()
        }
        rustls::Error::DecryptError | rustls::Error::EncryptError => {
            "TLS decryption failed: the connection was altered on the way, or the peer is broken".into()
        }
        rustls::Error::PeerIncompatible(why) => format!(
            "the server and netplay have no TLS version or cipher suite in common ({})",
            clean(&format!("{why:?}"))
        ),
        rustls::Error::PeerMisbehaved(why) => format!(
            "the server broke the TLS protocol ({})",
            clean(&format!("{why:?}"))
        ),
        rustls::Error::InvalidCertRevocationList(_) => {
            "a certificate revocation list could not be used".into()
        }
        rustls::Error::FailedToGetCurrentTime => {
            "this machine's clock cannot be read, so certificates cannot be checked".into()
        }
        rustls::Error::FailedToGetRandomBytes => {
            "no random bytes are available for TLS on this machine".into()
        }
        rustls::Error::HandshakeNotComplete => "the TLS handshake did not complete".into(),
        rustls::Error::PeerSentOversizedRecord => {
            "the server sent a TLS record larger than the protocol allows".into()
        }
        rustls::Error::NoApplicationProtocol => {
            "the server accepts none of the ALPN protocols offered: change or drop the ALPN list".into()
        }
        rustls::Error::BadMaxFragmentSize => "TLS setup failed: bad maximum fragment size".into(),
        rustls::Error::InconsistentKeys(_) => {
            "the certificate and the private key do not belong together".into()
        }
        rustls::Error::InvalidEncryptedClientHello(_) => {
            "encrypted client hello (ECH) failed".into()
        }
        rustls::Error::General(text) => format!("TLS failed: {}", clean(text)),
        rustls::Error::Other(other) => format!("TLS failed: {}", clean(&other.0.to_string())),
        other => format!("TLS failed: {}", clean(&other.to_string())),
    }
}

/// A failed handshake of a client connecting to our TLS server, in words.
pub fn server(err: &rustls::Error) -> String {
    match err {
        rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidServerName) => {
            "client sent an invalid server name (SNI) in its hello".into()
        }
        rustls::Error::PeerMisbehaved(why) => format!(
            "client broke the TLS protocol ({})",
            clean(&format!("{why:?}"))
        ),
        rustls::Error::InvalidMessage(_)
        | rustls::Error::InappropriateMessage { .. }
        | rustls::Error::InappropriateHandshakeMessage { .. } => {
            "client sent plain text to a TLS port".into()
        }
        rustls::Error::AlertReceived(
            description @ (AlertDescription::UnknownCA
            | AlertDescription::BadCertificate
            | AlertDescription::CertificateUnknown
            | AlertDescription::CertificateExpired
            | AlertDescription::UnsupportedCertificate),
        ) => format!("client rejected our certificate: {}", alert(description)),
        rustls::Error::AlertReceived(description) => {
            format!("client ended the handshake: {}", alert(description))
        }
        rustls::Error::PeerIncompatible(why) => format!(
            "client has no TLS version or cipher suite in common with us ({})",
            clean(&format!("{why:?}"))
        ),
        rustls::Error::NoApplicationProtocol => "client offered no ALPN protocol we serve".into(),
        other => format!("TLS handshake failed: {}", client(other, None, &CLI_FIXES)),
    }
}

/// A failed handshake as it comes out of tokio-rustls (an `io::Error` that
/// may wrap a `rustls::Error`).
pub fn from_io(err: &std::io::Error, leaf: Option<&CertSummary>, fixes: &Fixes) -> String {
    match err
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(tls) => client(tls, leaf, fixes),
        None => format!("TLS handshake failed: {}", crate::error::stream_error(err)),
    }
}

/// [`server`] for an `io::Error` from an accept.
pub fn server_from_io(err: &std::io::Error) -> String {
    match err
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(tls) => server(tls),
        None if err.kind() == std::io::ErrorKind::UnexpectedEof => {
            "client closed the connection during the TLS handshake".into()
        }
        None => format!("TLS handshake failed: {}", crate::error::stream_error(err)),
    }
}

#[cfg(test)]
mod tests;
