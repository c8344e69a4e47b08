//! HTTPS: rustls with the `ring` provider and Mozilla's roots, an optional
//! extra CA file, an insecure mode that skips verification, what was
//! negotiated, the server certificate's fields, and TLS errors in words.

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

/// How the server's certificate is checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsOptions {
    /// A PEM file of extra CA certificates to trust besides Mozilla's roots.
    pub extra_ca: Option<std::path::PathBuf>,
    /// Skip verification entirely (shown as insecure).
    pub insecure: bool,
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
    /// The leaf certificate, if the server sent one.
    pub certificate: Option<CertSummary>,
    /// Whether verification was skipped.
    pub insecure: bool,
}

/// The fields of a certificate a person checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertSummary {
    /// Subject distinguished name.
    pub subject: String,
    /// Issuer distinguished name.
    pub issuer: String,
    /// Start of validity.
    pub not_before: String,
    /// End of validity.
    pub not_after: String,
    /// DNS names and addresses it is valid for.
    pub names: Vec<String>,
}

/// Builds the client configuration for `options`.
pub fn client_config(options: &TlsOptions) -> Result<Arc<ClientConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|err| format!("TLS setup failed: {err}"))?;
    let mut config = if options.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnything(provider)))
            .with_no_client_auth()
    } else {
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        if let Some(path) = &options.extra_ca {
            add_ca_file(&mut roots, path)?;
        }
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn add_ca_file(roots: &mut RootCertStore, path: &Path) -> Result<(), String> {
    let shown = path.display();
    let iter = CertificateDer::pem_file_iter(path)
        .map_err(|err| format!("cannot read CA file {shown}: {err}"))?;
    let mut added = 0;
    for cert in iter {
        let cert = cert.map_err(|err| format!("CA file {shown} is not valid PEM: {err}"))?;
        roots
            .add(cert)
            .map_err(|err| format!("CA file {shown} holds an unusable certificate: {err}"))?;
        added += 1;
    }
    if added == 0 {
        return Err(format!("CA file {shown} holds no certificates"));
    }
    Ok(())
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

/// Reads what the handshake negotiated from a finished connection.
pub fn info(connection: &rustls::ClientConnection, insecure: bool) -> TlsInfo {
    TlsInfo {
        version: connection
            .protocol_version()
            .map(|v| match v {
                rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3".to_string(),
                rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2".to_string(),
                other => format!("{other:?}"),
            })
            .unwrap_or_else(|| "unknown".into()),
        cipher: connection
            .negotiated_cipher_suite()
            .map(|suite| format!("{:?}", suite.suite()))
            .unwrap_or_else(|| "unknown".into()),
        alpn: connection
            .alpn_protocol()
            .map(|p| String::from_utf8_lossy(p).into_owned()),
        certificate: connection
            .peer_certificates()
            .and_then(|chain| chain.first())
            .and_then(|leaf| summarize(leaf.as_ref())),
        insecure,
    }
}

/// Parses the fields of a DER certificate (strings pass the display gate).
pub fn summarize(der: &[u8]) -> Option<CertSummary> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let validity = cert.validity();
    let names = cert
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|san| {
            san.value
                .general_names
                .iter()
                .map(|name| crate::text::sanitize_str(&name.to_string()))
                .collect()
        })
        .unwrap_or_default();
    Some(CertSummary {
        subject: crate::text::sanitize_str(&cert.subject().to_string()),
        issuer: crate::text::sanitize_str(&cert.issuer().to_string()),
        not_before: validity.not_before.to_string(),
        not_after: validity.not_after.to_string(),
        names,
    })
}

/// How an unknown-issuer failure starts. The engine names no front end's
/// keys or flags; each front end recognises this and adds its own fix (the
/// TUI its F-keys, the CLI `--cacert` and `-k`).
pub const UNTRUSTED_ISSUER: &str = "TLS: certificate not trusted (unknown issuer)";

/// A TLS failure in words, saying which check failed and what to try.
pub fn describe_error(err: &std::io::Error) -> String {
    let Some(tls) = err
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    else {
        return format!(
            "TLS handshake failed: {}",
            super::super::error::stream_error(err)
        );
    };
    match tls {
        rustls::Error::InvalidCertificate(cert) => match cert {
            CertificateError::UnknownIssuer => UNTRUSTED_ISSUER.into(),
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                format!(
                    "TLS: certificate name mismatch: {}",
                    crate::text::sanitize_str(&cert.to_string())
                )
            }
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                format!(
                    "TLS: certificate expired: {}",
                    crate::text::sanitize_str(&cert.to_string())
                )
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                format!(
                    "TLS: certificate not valid yet: {}",
                    crate::text::sanitize_str(&cert.to_string())
                )
            }
            other => format!(
                "TLS: bad certificate: {}",
                crate::text::sanitize_str(&other.to_string())
            ),
        },
        rustls::Error::AlertReceived(alert) => {
            format!("TLS: the server refused the handshake (alert {alert:?})")
        }
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
            "TLS: the server did not answer with TLS (is this an http:// port?)".into()
        }
        other => format!(
            "TLS handshake failed: {}",
            crate::text::sanitize_str(&other.to_string())
        ),
    }
}

/// Accepts every certificate: the "skip verification" option. Signatures
/// are still checked so the handshake itself is sound.
#[derive(Debug)]
struct AcceptAnything(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AcceptAnything {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
