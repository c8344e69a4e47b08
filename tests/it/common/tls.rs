//! TLS peers for the tests: a generated CA and server certificate (rcgen),
//! and a tokio-rustls server that answers every request with one response.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// A CA and a server certificate for 127.0.0.1 / localhost, issued by it.
pub struct Pki {
    pub ca_pem: String,
    /// The server certificate and key as PEM, for `--cert` / `--key`.
    pub server_pem: String,
    pub key_pem: String,
    pub server_cert: rustls::pki_types::CertificateDer<'static>,
    pub server_key: rustls::pki_types::PrivateKeyDer<'static>,
}

pub fn pki(names: &[&str], expired: bool) -> Pki {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "netplay test CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params =
        rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "netplay test server");
    if expired {
        params.not_before = rcgen::date_time_ymd(2001, 1, 1);
        params.not_after = rcgen::date_time_ymd(2002, 1, 1);
    }
    let cert = params.signed_by(&key, &issuer).unwrap();
    Pki {
        ca_pem: ca_cert.pem(),
        server_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        server_cert: cert.der().clone(),
        server_key: rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
    }
}

/// What `openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost
/// -addext "subjectAltName=…"` makes: one self-signed certificate marked
/// CA:TRUE that is also the server's own. `ca_pem` is that same
/// certificate.
pub fn self_signed_ca_leaf(names: &[&str]) -> Pki {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params =
        rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "localhost");
    let cert = params.self_signed(&key).unwrap();
    Pki {
        ca_pem: cert.pem(),
        server_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        server_cert: cert.der().clone(),
        server_key: rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
    }
}

/// A TLS server (tokio-rustls) answering every request with a fixed response.
pub async fn tls_server(pki: &Pki) -> SocketAddr {
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![pki.server_cert.clone()], pki.server_key.clone_key())
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let Ok(mut tls) = acceptor.accept(stream).await else {
                    return;
                };
                let mut buf = [0u8; 4096];
                let _ = tls.read(&mut buf).await;
                let _ = tls
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecret")
                    .await;
                let _ = tls.shutdown().await;
            });
        }
    });
    addr
}

pub fn ca_file(pki: &Pki) -> PathBuf {
    let path = std::env::temp_dir().join(format!(
        "netplay-ca-{}-{}.pem",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::write(&path, &pki.ca_pem).unwrap();
    path
}

/// The server certificate and key written to temporary PEM files.
pub fn server_files(pki: &Pki) -> (PathBuf, PathBuf) {
    let stem = std::env::temp_dir().join(format!(
        "netplay-server-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    let cert = stem.with_extension("cert.pem");
    let key = stem.with_extension("key.pem");
    std::fs::write(&cert, &pki.server_pem).unwrap();
    std::fs::write(&key, &pki.key_pem).unwrap();
    (cert, key)
}

fn rand_suffix() -> u128 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    nanos * 1000 + u128::from(NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 1000)
}
