//! The HTTP engine over TLS: rustls servers with rcgen-generated
//! certificates — trusted, rejected, skipped, the wrong name, expired, a
//! plain port, a pinned CA. Loopback only.

use crate::common;

use common::tls::{ca_file, pki, tls_server};
use std::path::PathBuf;

use super::http::{engine, fake_server, get, ok_body, request};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_trust_reject_and_skip() {
    let pki = pki(&["127.0.0.1", "localhost"], false);
    let addr = tls_server(&pki).await;
    let (engine, mut rx) = engine();
    let url = format!("https://127.0.0.1:{}/", addr.port());

    let rejected = get(&engine, &mut rx, request(&url, "GET")).await;
    assert!(
        rejected
            .error
            .as_deref()
            .unwrap_or("")
            .contains("signed by an unknown authority (CN=netplay test CA): pass its CA with --cacert FILE, or -k"),
        "{:?}",
        rejected.error
    );

    let ca = ca_file(&pki);
    let mut trusted = request(&url, "GET");
    trusted.tls.extra_ca = Some(ca.clone());
    let outcome = get(&engine, &mut rx, trusted).await;
    assert_eq!(ok_body(&outcome), b"secret");
    let tls = outcome.tls.expect("tls info");
    assert_eq!(tls.version, "TLSv1.3");
    assert!(!tls.insecure);
    let cert = tls.certificate.expect("certificate");
    assert!(
        cert.subject.contains("netplay test server"),
        "{}",
        cert.subject
    );
    assert!(cert.issuer.contains("netplay test CA"), "{}", cert.issuer);
    assert!(cert.names.iter().any(|n| n.contains("localhost")));

    let mut skipped = request(&url, "GET");
    skipped.tls.insecure = true;
    let outcome = get(&engine, &mut rx, skipped).await;
    assert_eq!(ok_body(&outcome), b"secret");
    assert!(outcome.tls.unwrap().insecure);
    std::fs::remove_file(ca).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_name_mismatch_expired_and_plain_port() {
    let (engine, mut rx) = engine();
    let wrong_name = pki(&["example.test"], false);
    let addr = tls_server(&wrong_name).await;
    let ca = ca_file(&wrong_name);
    let mut req = request(&format!("https://127.0.0.1:{}/", addr.port()), "GET");
    req.tls.extra_ca = Some(ca.clone());
    let error = get(&engine, &mut rx, req).await.error.unwrap();
    assert!(
        error.contains("is not valid for 127.0.0.1: it is for DNS:example.test"),
        "{error}"
    );
    std::fs::remove_file(ca).unwrap();

    let expired = pki(&["127.0.0.1"], true);
    let addr = tls_server(&expired).await;
    let ca = ca_file(&expired);
    let mut req = request(&format!("https://127.0.0.1:{}/", addr.port()), "GET");
    req.tls.extra_ca = Some(ca.clone());
    let error = get(&engine, &mut rx, req).await.error.unwrap();
    assert!(error.contains("expired"), "{error}");
    std::fs::remove_file(ca).unwrap();

    let plain = fake_server(b"HTTP/1.1 400 Bad Request\r\n\r\n");
    let error = get(
        &engine,
        &mut rx,
        request(&format!("https://127.0.0.1:{}/", plain.port()), "GET"),
    )
    .await
    .error
    .unwrap();
    assert!(error.contains("did not answer with TLS"), "{error}");

    let mut missing = request("https://127.0.0.1:1/", "GET");
    missing.tls.extra_ca = Some(PathBuf::from("/nonexistent/ca.pem"));
    let error = get(&engine, &mut rx, missing).await.error.unwrap();
    assert!(
        error.contains("cannot read CA file /nonexistent/ca.pem"),
        "{error}"
    );
}

/// The `openssl req -x509` recipe: a self-signed CA:TRUE certificate that
/// is the server's own. Trusting that file pins it, as curl does; its
/// name and dates still count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_pins_a_self_signed_ca_certificate_from_the_ca_file() {
    let (engine, mut rx) = engine();
    let pki = common::tls::self_signed_ca_leaf(&["localhost", "127.0.0.1"]);
    let addr = tls_server(&pki).await;
    let ca = ca_file(&pki);
    for host in ["127.0.0.1", "localhost"] {
        let mut req = request(&format!("https://{host}:{}/", addr.port()), "GET");
        req.tls.extra_ca = Some(ca.clone());
        let outcome = get(&engine, &mut rx, req).await;
        assert_eq!(ok_body(&outcome), b"secret", "{:?}", outcome.error);
        let tls = outcome.tls.unwrap();
        assert_eq!(tls.verdict, Some(netplay::net::tls::Verdict::Pinned));
        let cert = tls.certificate.unwrap();
        assert_eq!(cert.names, ["DNS:localhost", "IP:127.0.0.1"]);
        assert!(cert.is_ca);
        assert_eq!(cert.sha256.len(), 32 * 3 - 1);
    }
    std::fs::remove_file(ca).unwrap();

    // Pinned, but not for that name: still refused.
    let only_localhost = common::tls::self_signed_ca_leaf(&["localhost"]);
    let addr = tls_server(&only_localhost).await;
    let ca = ca_file(&only_localhost);
    let mut req = request(&format!("https://127.0.0.1:{}/", addr.port()), "GET");
    req.tls.extra_ca = Some(ca.clone());
    let error = get(&engine, &mut rx, req).await.error.unwrap();
    assert!(error.contains("is not valid for"), "{error}");
    assert!(
        error.contains("is not valid for 127.0.0.1: it is for DNS:localhost"),
        "the expected name is said: {error}"
    );
    std::fs::remove_file(ca).unwrap();
}
