//! The TLS server side: the user's certificate and key (PEM), or a
//! certificate for `localhost`, `127.0.0.1`, `::1` and the listen address,
//! signed by netplay's local CA ([`super::local_ca`]) and kept in memory, so
//! that `curl --cacert "$(netplay ca path)"` verifies it and netplay's own
//! clients trust it (with a visible note).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

use super::cert::fingerprint;

/// Where a server's certificate came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertSource {
    /// Made by netplay for this server, signed by its local CA.
    LocalCa {
        /// The CA's certificate file (what clients trust).
        ca: PathBuf,
        /// The names the certificate holds.
        names: Vec<String>,
    },
    /// The user's files.
    Files {
        /// The certificate chain.
        cert: PathBuf,
        /// The private key.
        key: PathBuf,
    },
}

/// A ready TLS server: the acceptor and what to tell the user about it.
#[derive(Clone)]
pub struct TlsServer {
    /// Performs each connection's handshake.
    pub acceptor: TlsAcceptor,
    /// Where the certificate came from.
    pub source: CertSource,
    /// SHA-256 of the leaf certificate.
    pub sha256: String,
}

impl std::fmt::Debug for TlsServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsServer")
            .field("source", &self.source)
            .field("sha256", &self.sha256)
            .finish()
    }
}

impl TlsServer {
    /// One line for the log: which certificate, where, and how to trust it.
    pub fn describe(&self) -> String {
        match &self.source {
            CertSource::LocalCa { ca, names } => format!(
                "TLS with a certificate for {} signed by netplay's local CA {} (SHA-256 {}); netplay's clients trust it, others with curl --cacert {1} or openssl s_client -CAfile {1} (netplay ca path names it)",
                names.join(", "),
                ca.display(),
                self.sha256
            ),
            CertSource::Files { cert, .. } => format!(
                "TLS with the certificate in {} (SHA-256 {})",
                cert.display(),
                self.sha256
            ),
        }
    }
}

/// A TLS server with the user's files, or a certificate from netplay's
/// local CA when both are `None`.
pub fn server(cert: Option<&Path>, key: Option<&Path>) -> Result<TlsServer, String> {
    server_for(cert, key, &[])
}

/// The name a listen address adds to a certificate from the local CA: its
/// host, unless it is a wildcard (`0.0.0.0`, `[::]`) or already a local name.
pub fn listen_name(addr: &str) -> Option<String> {
    if crate::unix::path_of(addr).is_some() {
        return None; // a socket file: its clients name localhost (or --sni)
    }
    let host = match addr.parse::<std::net::SocketAddr>() {
        Ok(socket) if socket.ip().is_unspecified() => return None,
        Ok(socket) => socket.ip().to_string(),
        Err(_) => addr
            .rsplit_once(':')?
            .0
            .trim_matches(['[', ']'])
            .to_string(),
    };
    (!host.is_empty() && !LOCAL_NAMES.contains(&host.as_str())).then_some(host)
}

/// The names every certificate from the local CA holds.
pub const LOCAL_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// Like [`server`]; a certificate from the local CA also names `extra`
/// (the listen address's host, when it is not a wildcard).
pub fn server_for(
    cert: Option<&Path>,
    key: Option<&Path>,
    extra: &[String],
) -> Result<TlsServer, String> {
    let (chain, key, source) = match (cert, key) {
        (Some(cert), Some(key)) => {
            let chain = read_chain(cert)?;
            let private = PrivateKeyDer::from_pem_file(key).map_err(|err| {
                format!("cannot read a private key from {}: {err}", key.display())
            })?;
            let source = CertSource::Files {
                cert: cert.to_path_buf(),
                key: key.to_path_buf(),
            };
            (chain, private, source)
        }
        (Some(_), None) | (None, Some(_)) => {
            return Err(
                "TLS needs both a certificate and its key (or neither, to generate one)".into(),
            )
        }
        (None, None) => {
            let ca = super::local_ca::get_or_create()?;
            let mut names: Vec<String> = LOCAL_NAMES.iter().map(|n| n.to_string()).collect();
            for name in extra {
                if !names.contains(name) {
                    names.push(name.clone());
                }
            }
            let (leaf, key) = ca.leaf(&names)?;
            let source = CertSource::LocalCa {
                ca: ca.path().to_path_buf(),
                names,
            };
            // The chain: the leaf, then the CA (as servers send their
            // intermediates; a client that has the CA needs only the leaf).
            (vec![leaf, ca.certificate().clone()], key, source)
        }
    };
    let sha256 = chain.first().map(|c| fingerprint(c)).unwrap_or_default();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| format!("TLS setup failed: {err}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|err| {
            format!(
                "the certificate and key cannot be used: {}",
                super::errors::client(&err, None, &super::CLI_FIXES)
            )
        })?;
    Ok(TlsServer {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        source,
        sha256,
    })
}

fn read_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let shown = path.display();
    let chain = CertificateDer::pem_file_iter(path)
        .map_err(|err| format!("cannot read certificate file {shown}: {err}"))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| format!("certificate file {shown} is not valid PEM: {err}"))?;
    if chain.is_empty() {
        return Err(format!("certificate file {shown} holds no certificates"));
    }
    Ok(chain)
}
