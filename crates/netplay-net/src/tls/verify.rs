//! How a server's certificate is checked: the usual chain to a trusted root
//! (Mozilla's, plus an extra CA file), and pinning for the most common
//! self-signed recipe. `openssl req -x509 …` marks its certificate CA:TRUE;
//! webpki then refuses it as the server's own ("CA used as end entity")
//! while curl and OpenSSL accept it when it is the trust anchor. So a
//! certificate byte-identical to one in the extra CA file is accepted as
//! pinned — its name and validity period are still checked.

use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};

/// The chain the server presented, kept for the words of an error or the
/// details pane (the leaf first).
pub type Presented = Arc<Mutex<Vec<CertificateDer<'static>>>>;

/// What a verifier decided, for the details pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Chains to a trusted root.
    Trusted,
    /// Byte-identical to a certificate in the extra CA file.
    Pinned,
    /// Chains to netplay's local CA (trusted automatically by netplay's
    /// own clients: the CA lives in this user's data directory).
    LocalCa,
    /// Not checked at all (insecure).
    Skipped,
}

/// The normal check, then pinning; records what was presented.
#[derive(Debug)]
pub struct Verifier {
    inner: Option<Arc<WebPkiServerVerifier>>,
    /// The same check against netplay's local CA alone, when it exists.
    local: Option<Arc<WebPkiServerVerifier>>,
    pinned: Vec<CertificateDer<'static>>,
    provider: Arc<CryptoProvider>,
    presented: Presented,
    verdict: Arc<Mutex<Option<Verdict>>>,
}

impl Verifier {
    /// A verifier trusting `roots` and pinning `pinned`; `insecure` skips
    /// every check but the handshake signatures.
    pub fn new(
        roots: RootCertStore,
        pinned: Vec<CertificateDer<'static>>,
        provider: Arc<CryptoProvider>,
        insecure: bool,
    ) -> Result<Self, String> {
        let inner = if insecure {
            None
        } else {
            Some(
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                    .build()
                    .map_err(|err| format!("TLS setup failed: {err}"))?,
            )
        };
        let local = super::local_ca::existing_root()
            .filter(|_| !insecure)
            .and_then(|ca| {
                let mut roots = RootCertStore::empty();
                roots.add(ca).ok()?;
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                    .build()
                    .ok()
            });
        Ok(Self {
            inner,
            local,
            pinned,
            provider,
            presented: Presented::default(),
            verdict: Arc::default(),
        })
    }

    /// The chain the server presented (filled during the handshake).
    pub fn presented(&self) -> Presented {
        Arc::clone(&self.presented)
    }

    /// What was decided (filled during the handshake).
    pub fn verdict(&self) -> Arc<Mutex<Option<Verdict>>> {
        Arc::clone(&self.verdict)
    }

    fn decide(&self, verdict: Verdict) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut slot) = self.verdict.lock() {
            *slot = Some(verdict);
        }
        Ok(ServerCertVerified::assertion())
    }

    /// A pinned certificate still has to be valid now and name the server.
    fn check_pinned(
        &self,
        end_entity: &CertificateDer<'_>,
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<(), rustls::Error> {
        let seconds = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
        let invalid = |err| Err(rustls::Error::InvalidCertificate(err));
        match super::cert::validity_at(end_entity, seconds) {
            Some(std::cmp::Ordering::Equal) => {}
            Some(std::cmp::Ordering::Less) => return invalid(CertificateError::NotValidYet),
            Some(std::cmp::Ordering::Greater) => return invalid(CertificateError::Expired),
            None => return invalid(CertificateError::BadEncoding),
        }
        let cert = webpki::EndEntityCert::try_from(end_entity)
            .map_err(|_| rustls::Error::InvalidCertificate(CertificateError::BadEncoding))?;
        cert.verify_is_valid_for_subject_name(server_name)
            .map_err(|_| {
                rustls::Error::InvalidCertificate(CertificateError::NotValidForNameContext {
                    expected: server_name.to_owned(),
                    presented: Vec::new(),
                })
            })
    }
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut chain) = self.presented.lock() {
            chain.clear();
            chain.push(end_entity.clone().into_owned());
            chain.extend(intermediates.iter().map(|c| c.clone().into_owned()));
        }
        let Some(inner) = &self.inner else {
            return self.decide(Verdict::Skipped);
        };
        let normal =
            inner.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now);
        let same = |pin: &CertificateDer<'_>| pin.as_ref() == end_entity.as_ref();
        match normal {
            Ok(_) => self.decide(Verdict::Trusted),
            // The anchor itself: what OpenSSL accepts. Names and dates
            // still count; other chain errors do not.
            Err(_) if self.pinned.iter().any(same) => {
                self.check_pinned(end_entity, server_name, now)?;
                self.decide(Verdict::Pinned)
            }
            Err(err) => {
                let Some(local) = &self.local else {
                    return Err(err);
                };
                match local.verify_server_cert(
                    end_entity,
                    intermediates,
                    server_name,
                    ocsp_response,
                    now,
                ) {
                    Ok(_) => self.decide(Verdict::LocalCa),
                    // Signed by netplay's local CA, but wrong for another
                    // reason (the name, the date): that reason, not
                    // "unknown authority".
                    Err(rustls::Error::InvalidCertificate(local_err))
                        if !matches!(local_err, rustls::CertificateError::UnknownIssuer) =>
                    {
                        Err(rustls::Error::InvalidCertificate(local_err))
                    }
                    Err(_) => Err(err),
                }
            }
        }
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
            &self.provider.signature_verification_algorithms,
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
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
