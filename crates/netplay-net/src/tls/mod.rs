//! TLS for every engine: rustls with the `ring` provider and Mozilla's
//! roots, an optional extra CA file (whose certificates are also pinned,
//! see [`verify`]), an insecure mode, what the handshake negotiated, the
//! presented chain in words, and failures as one plain sentence
//! ([`errors`]).

pub mod cert;
pub mod errors;
pub mod keylog;
pub mod local_ca;
pub mod server;
pub mod verify;

use std::path::Path;
use std::sync::{Arc, Mutex};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore};

pub use cert::{summarize, CertSummary};
pub use errors::{Fixes, CLI_FIXES};
pub use verify::{Presented, Verdict};

/// How the server's certificate is checked, and what the client offers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsOptions {
    /// A PEM file of extra CA certificates to trust besides Mozilla's
    /// roots; a server certificate identical to one of them is pinned.
    pub extra_ca: Option<std::path::PathBuf>,
    /// Skip verification entirely (shown as insecure).
    pub insecure: bool,
    /// The name sent as SNI and checked against the certificate, when not
    /// the host's (`--sni`).
    pub sni: Option<String>,
    /// ALPN protocols offered, most preferred first.
    pub alpn: Vec<String>,
    /// How the front end names the fixes in error sentences.
    pub fixes: Fixes,
    /// Write the session's secrets here (`--keylog`; else `SSLKEYLOGFILE`).
    pub keylog: Option<std::path::PathBuf>,
}

/// What the handshake negotiated, and who the server says it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsInfo {
    /// `TLSv1.3`, `TLSv1.2`.
    pub version: String,
    /// The cipher suite's name.
    pub cipher: String,
    /// The ALPN protocol agreed, if any.
    pub alpn: Option<String>,
    /// The server name sent (SNI); none for an IP address.
    pub sni: Option<String>,
    /// The leaf certificate, if the server sent one.
    pub certificate: Option<CertSummary>,
    /// Every certificate presented, leaf first.
    pub chain: Vec<CertSummary>,
    /// How the certificate was accepted.
    pub verdict: Option<Verdict>,
    /// Whether verification was skipped.
    pub insecure: bool,
}

impl TlsInfo {
    /// The verification result in words (`verified: chains to a trusted
    /// root`).
    pub fn verification(&self) -> &'static str {
        match self.verdict {
            Some(Verdict::Trusted) => "verified: the chain leads to a trusted root",
            Some(Verdict::Pinned) => {
                "verified: pinned (identical to a certificate in the CA file; name and dates checked)"
            }
            Some(Verdict::LocalCa) => {
                "verified: signed by netplay's local CA (trusted automatically by netplay; netplay ca path names it for other clients)"
            }
            Some(Verdict::Skipped) | None if self.insecure => {
                "NOT verified: verification skipped (insecure)"
            }
            Some(Verdict::Skipped) | None => "verified",
        }
    }
}

impl TlsInfo {
    /// What `openssl s_client` shows, in words, one line each: the
    /// session, the verification result, then each certificate of the
    /// chain (indented fields). Safe to display.
    pub fn lines(&self) -> Vec<String> {
        let mut session = format!("{} · {}", self.version, self.cipher);
        session.push_str(&format!(
            " · ALPN {}",
            self.alpn.as_deref().unwrap_or("none")
        ));
        session.push_str(&format!(
            " · SNI {}",
            self.sni.as_deref().unwrap_or("none (an IP address)")
        ));
        let mut lines = vec![session, self.verification().to_string()];
        for (at, cert) in self.chain.iter().enumerate() {
            lines.push(format!("certificate {at}: {}", cert.subject));
            lines.push(format!("  issuer   {}", cert.issuer));
            lines.push(format!(
                "  valid    {} → {}",
                cert.not_before, cert.not_after
            ));
            if !cert.names.is_empty() {
                lines.push(format!("  names    {}", cert.names.join(", ")));
            }
            lines.push(format!("  sha256   {}", cert.sha256));
        }
        lines
    }
}

/// A client configuration and what its verifier will record.
pub struct TlsClient {
    /// The configuration for the connector.
    pub config: Arc<ClientConfig>,
    /// The chain the server presented, filled during the handshake.
    pub presented: Presented,
    verdict: Arc<Mutex<Option<Verdict>>>,
    options: TlsOptions,
}

impl TlsClient {
    /// The leaf the server presented, summarized (for error sentences).
    pub fn leaf(&self) -> Option<CertSummary> {
        let chain = self.presented.lock().ok()?;
        chain.first().and_then(|der| summarize(der))
    }

    /// A failed handshake in one sentence naming the front end's fixes.
    pub fn describe(&self, err: &std::io::Error) -> String {
        errors::from_io(err, self.leaf().as_ref(), &self.options.fixes)
    }

    /// The name to send and check: `--sni` if given, else the host.
    pub fn server_name(&self, host: &str) -> Result<ServerName<'static>, String> {
        server_name(self.options.sni.as_deref().unwrap_or(host))
    }

    /// What the finished handshake negotiated.
    pub fn info(&self, connection: &rustls::ClientConnection, name: &ServerName<'_>) -> TlsInfo {
        let chain: Vec<CertSummary> = connection
            .peer_certificates()
            .unwrap_or_default()
            .iter()
            .filter_map(|der| summarize(der))
            .collect();
        TlsInfo {
            version: version_name(connection.protocol_version()),
            cipher: connection
                .negotiated_cipher_suite()
                .map(|suite| format!("{:?}", suite.suite()))
                .unwrap_or_else(|| "unknown".into()),
            alpn: connection.alpn_protocol().map(crate::text::sanitize),
            sni: match name {
                ServerName::DnsName(dns) => Some(crate::text::sanitize_str(dns.as_ref())),
                _ => None,
            },
            certificate: chain.first().cloned(),
            chain,
            verdict: self.verdict.lock().ok().and_then(|verdict| *verdict),
            insecure: self.options.insecure,
        }
    }
}

/// `TLSv1.3`, `TLSv1.2`.
pub fn version_name(version: Option<rustls::ProtocolVersion>) -> String {
    match version {
        Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3".into(),
        Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2".into(),
        Some(other) => format!("{other:?}"),
        None => "unknown".into(),
    }
}

/// Builds the client configuration for `options`, offering `default_alpn`
/// when the options name none.
pub fn client(options: &TlsOptions, default_alpn: &[&str]) -> Result<TlsClient, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|err| format!("TLS setup failed: {err}"))?;
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let mut pinned = Vec::new();
    if let Some(path) = &options.extra_ca {
        pinned = read_ca_file(path)?;
        for cert in &pinned {
            // A CA:TRUE self-signed leaf is refused as a root by webpki in
            // some shapes; pinning covers it, so only count what loads.
            let _ = roots.add(cert.clone());
        }
    }
    let verifier = verify::Verifier::new(roots, pinned, provider, options.insecure)?;
    let presented = verifier.presented();
    let verdict = verifier.verdict();
    let mut config = builder
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = if options.alpn.is_empty() {
        default_alpn.iter().map(|p| p.as_bytes().to_vec()).collect()
    } else {
        options.alpn.iter().map(|p| p.as_bytes().to_vec()).collect()
    };
    if let Some(log) = keylog::configured(options.keylog.as_deref())? {
        config.key_log = log;
    }
    Ok(TlsClient {
        config: Arc::new(config),
        presented,
        verdict,
        options: options.clone(),
    })
}

fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let shown = path.display();
    let iter = CertificateDer::pem_file_iter(path)
        .map_err(|err| format!("cannot read CA file {shown}: {err}"))?;
    let mut certs = Vec::new();
    for cert in iter {
        certs.push(cert.map_err(|err| format!("CA file {shown} is not valid PEM: {err}"))?);
    }
    if certs.is_empty() {
        return Err(format!("CA file {shown} holds no certificates"));
    }
    Ok(certs)
}

/// The name rustls checks the certificate against.
pub fn server_name(host: &str) -> Result<ServerName<'static>, String> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(host.to_string()).map_err(|_| {
        format!(
            "'{}' is not a valid TLS server name",
            crate::text::sanitize_str(host)
        )
    })
}

/// Whether the first bytes a plain TCP client received are a TLS record
/// (an alert, or a handshake): the port speaks TLS. A TLS server that gets
/// plain text answers with an alert (`\x15\x03\x03…`) and closes; the
/// client's side says what that means instead of showing only the bytes.
pub fn looks_like_tls_record(first: &[u8]) -> Option<&'static str> {
    match first {
        [0x15, 0x03, 0x00..=0x04, ..] => Some(
            "these bytes are a TLS alert: the server speaks TLS and refused the plain text sent to it; turn TLS on",
        ),
        [0x16, 0x03, 0x00..=0x04, ..] => Some(
            "these bytes are a TLS handshake record: the peer speaks TLS; turn TLS on",
        ),
        _ => None,
    }
}

#[cfg(test)]
mod record_tests {
    #[test]
    fn tls_records_are_recognised_and_text_is_not() {
        assert!(super::looks_like_tls_record(b"\x15\x03\x03\x00\x02\x02\x32").is_some());
        assert!(super::looks_like_tls_record(b"\x16\x03\x01\x00").is_some());
        for text in [b"Welcome!".as_slice(), b"HTTP/1.1 200 OK", b"\x15", b""] {
            assert!(super::looks_like_tls_record(text).is_none(), "{text:?}");
        }
    }
}
