//! Every rustls error and certificate error that a handshake can end with,
//! through the describers: one plain sentence each, no Debug leftovers, and
//! the front end's own fix where there is one.

use std::sync::Arc;

use rustls::pki_types::{ServerName, UnixTime};
use rustls::{
    AlertDescription, CertRevocationListError, CertificateError, EncryptedClientHelloError,
    ExtendedKeyPurpose, InconsistentKeys, InvalidMessage, OtherError, PeerIncompatible,
    PeerMisbehaved,
};

use super::*;

const TUI: Fixes = Fixes {
    cacert: "the CA file field (F6)",
    insecure: "F7 (insecure)",
    sni: None,
};

fn leaf() -> CertSummary {
    CertSummary {
        subject: "CN=localhost".into(),
        issuer: "CN=Test CA".into(),
        not_before: "Jan  1 00:00:00 2020 +00:00".into(),
        not_after: "Jan  1 00:00:00 2021 +00:00".into(),
        names: vec!["DNS:localhost".into(), "IP:127.0.0.1".into()],
        sha256: "00".into(),
        is_ca: false,
    }
}

#[allow(deprecated)] // every variant a handshake can end with
fn certificate_errors() -> Vec<CertificateError> {
    let time = UnixTime::since_unix_epoch(std::time::Duration::from_secs(1_700_000_000));
    vec![
        CertificateError::BadEncoding,
        CertificateError::Expired,
        CertificateError::ExpiredContext {
            time,
            not_after: time,
        },
        CertificateError::NotValidYet,
        CertificateError::NotValidYetContext {
            time,
            not_before: time,
        },
        CertificateError::Revoked,
        CertificateError::UnhandledCriticalExtension,
        CertificateError::UnknownIssuer,
        CertificateError::UnknownRevocationStatus,
        CertificateError::ExpiredRevocationList,
        CertificateError::ExpiredRevocationListContext {
            time,
            next_update: time,
        },
        CertificateError::BadSignature,
        CertificateError::UnsupportedSignatureAlgorithm,
        CertificateError::UnsupportedSignatureAlgorithmContext {
            signature_algorithm_id: vec![1, 2, 3],
            supported_algorithms: Vec::new(),
        },
        CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext {
            signature_algorithm_id: vec![1],
            public_key_algorithm_id: vec![2],
        },
        CertificateError::NotValidForName,
        CertificateError::NotValidForNameContext {
            expected: ServerName::try_from("example.test").unwrap(),
            presented: vec!["DnsName(\"localhost\")".into()],
        },
        CertificateError::InvalidPurpose,
        CertificateError::InvalidPurposeContext {
            required: ExtendedKeyPurpose::ServerAuth,
            presented: vec![ExtendedKeyPurpose::ClientAuth],
        },
        CertificateError::InvalidOcspResponse,
        CertificateError::ApplicationVerificationFailure,
        CertificateError::Other(OtherError(Arc::new(std::io::Error::other(
            "CaUsedAsEndEntity",
        )))),
        CertificateError::Other(OtherError(Arc::new(std::io::Error::other("anything else")))),
    ]
}

fn errors() -> Vec<rustls::Error> {
    let mut all: Vec<rustls::Error> = certificate_errors()
        .into_iter()
        .map(rustls::Error::InvalidCertificate)
        .collect();
    all.extend([
        rustls::Error::InappropriateMessage {
            expect_types: Vec::new(),
            got_type: rustls::ContentType::ApplicationData,
        },
        rustls::Error::InappropriateHandshakeMessage {
            expect_types: Vec::new(),
            got_type: rustls::HandshakeType::Finished,
        },
        rustls::Error::InvalidEncryptedClientHello(EncryptedClientHelloError::InvalidConfigList),
        rustls::Error::InvalidMessage(InvalidMessage::InvalidCcs),
        rustls::Error::NoCertificatesPresented,
        rustls::Error::UnsupportedNameType,
        rustls::Error::DecryptError,
        rustls::Error::EncryptError,
        rustls::Error::PeerIncompatible(PeerIncompatible::KeyShareExtensionRequired),
        rustls::Error::PeerMisbehaved(PeerMisbehaved::BadCertChainExtensions),
        rustls::Error::AlertReceived(AlertDescription::HandshakeFailure),
        rustls::Error::AlertReceived(AlertDescription::UnknownCA),
        rustls::Error::AlertReceived(AlertDescription::UnrecognisedName),
        rustls::Error::AlertReceived(AlertDescription::BadRecordMac),
        rustls::Error::InvalidCertRevocationList(CertRevocationListError::BadSignature),
        rustls::Error::General("something".into()),
        rustls::Error::FailedToGetCurrentTime,
        rustls::Error::FailedToGetRandomBytes,
        rustls::Error::HandshakeNotComplete,
        rustls::Error::PeerSentOversizedRecord,
        rustls::Error::NoApplicationProtocol,
        rustls::Error::BadMaxFragmentSize,
        rustls::Error::InconsistentKeys(InconsistentKeys::KeyMismatch),
        rustls::Error::Other(OtherError(Arc::new(std::io::Error::other(
            "the crypto provider failed",
        )))),
    ]);
    all
}

/// What Debug output of a rustls type would leave in a sentence.
fn debug_leftovers(text: &str) -> bool {
    [
        "InvalidCertificate(",
        "OtherError(",
        "Other(",
        "DnsName(",
        "IpAddress(",
        "Custom {",
    ]
    .iter()
    .any(|debug| text.contains(debug))
}

#[test]
fn every_tls_error_is_one_plain_sentence() {
    for err in errors() {
        for (fixes, leaf) in [(CLI_FIXES, None), (TUI, Some(leaf()))] {
            let text = client(&err, leaf.as_ref(), &fixes);
            assert!(!text.contains('\n'), "{err:?}: {text}");
            assert!(!debug_leftovers(&text), "{err:?}: {text}");
            assert!(text.len() > 20, "{err:?}: {text}");
        }
        let text = server(&err);
        assert!(
            !text.contains('\n') && !debug_leftovers(&text),
            "{err:?}: {text}"
        );
    }
}

#[test]
fn certificate_errors_name_the_front_ends_fix() {
    for err in certificate_errors() {
        if matches!(
            err,
            CertificateError::Revoked | CertificateError::BadSignature
        ) {
            continue; // nothing to try: the server is not to be trusted
        }
        for fixes in [CLI_FIXES, TUI] {
            let text = certificate(&err, Some(&leaf()), &fixes);
            assert!(text.contains(fixes.insecure), "{err:?}: {text}");
        }
    }
    let unknown = certificate(&CertificateError::UnknownIssuer, Some(&leaf()), &CLI_FIXES);
    assert_eq!(
        unknown,
        "the server's certificate is signed by an unknown authority (CN=Test CA): pass its CA with --cacert FILE, or -k to skip verification"
    );
    let tui = certificate(&CertificateError::UnknownIssuer, None, &TUI);
    assert!(
        tui.contains("the CA file field (F6)") && tui.contains("F7 (insecure)"),
        "{tui}"
    );
    let with_sni = Fixes {
        sni: Some("--sni NAME"),
        ..CLI_FIXES
    };
    let name = certificate(&CertificateError::NotValidForName, Some(&leaf()), &with_sni);
    assert!(
        name.contains("is for DNS:localhost, IP:127.0.0.1") && name.contains("--sni NAME"),
        "{name}"
    );
    let context = CertificateError::NotValidForNameContext {
        expected: ServerName::try_from("example.test").unwrap(),
        presented: vec!["DnsName(\"localhost\")".into()],
    };
    let name = certificate(&context, None, &CLI_FIXES);
    assert!(
        name.contains("not valid for example.test: it is for DNS:localhost;"),
        "{name}"
    );
}

#[test]
fn server_side_failures_say_what_the_client_did() {
    assert_eq!(
        server(&rustls::Error::InvalidMessage(
            InvalidMessage::InvalidContentType
        )),
        "client sent plain text to a TLS port"
    );
    assert_eq!(
        server(&rustls::Error::AlertReceived(AlertDescription::UnknownCA)),
        "client rejected our certificate: unknown CA"
    );
}

#[test]
fn a_certificate_name_with_a_backslash_is_escaped_once() {
    let leaf = crate::tls::cert::CertSummary {
        subject: "CN=evil".into(),
        issuer: "CN=evil".into(),
        not_before: String::new(),
        not_after: String::new(),
        names: vec![crate::text::sanitize_str("DNS:evil\\x1b.example")],
        sha256: String::new(),
        is_ca: false,
    };
    let err = rustls::CertificateError::NotValidForName;
    let text = super::certificate(&err, Some(&leaf), &super::CLI_FIXES);
    assert!(text.contains("is for DNS:evil\\\\x1b.example"), "{text}");
    assert!(!text.contains("\\\\\\\\"), "escaped twice: {text}");
}

#[test]
fn the_server_side_blames_the_client_for_the_clients_faults() {
    let sni = super::server(&rustls::Error::InvalidMessage(
        rustls::InvalidMessage::InvalidServerName,
    ));
    assert!(sni.contains("client sent an invalid server name"), "{sni}");
    let broke = super::server(&rustls::Error::PeerMisbehaved(
        rustls::PeerMisbehaved::MissingKeyShare,
    ));
    assert!(
        broke.starts_with("client broke the TLS protocol"),
        "{broke}"
    );
}
