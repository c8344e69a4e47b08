//! A certificate's fields as a person checks them (`openssl x509 -text`
//! in a few lines): subject, issuer, validity, names written as `DNS:…` and
//! `IP:…`, and the SHA-256 fingerprint `curl` and `openssl` can compare.

use std::net::IpAddr;

use x509_parser::extensions::GeneralName;

/// The fields of a certificate a person checks; every string has passed
/// the untrusted-bytes gate.
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
    /// DNS names and addresses it is valid for: `DNS:localhost`, `IP:127.0.0.1`.
    pub names: Vec<String>,
    /// SHA-256 of the DER, as `AB:CD:…` (what `openssl x509 -fingerprint
    /// -sha256` prints).
    pub sha256: String,
    /// Whether it says it is a CA (basic constraints).
    pub is_ca: bool,
}

impl CertSummary {
    /// The subject's common name, or the whole subject when it has none.
    pub fn common_name(&self) -> &str {
        self.subject
            .split(", ")
            .find_map(|part| part.strip_prefix("CN="))
            .unwrap_or(&self.subject)
    }
}

/// Parses the fields of a DER certificate.
pub fn summarize(der: &[u8]) -> Option<CertSummary> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let validity = cert.validity();
    let names = cert
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|san| san.value.general_names.iter().filter_map(name).collect())
        .unwrap_or_default();
    let is_ca = cert
        .basic_constraints()
        .ok()
        .flatten()
        .is_some_and(|constraints| constraints.value.ca);
    Some(CertSummary {
        subject: crate::text::sanitize_str(&cert.subject().to_string()),
        issuer: crate::text::sanitize_str(&cert.issuer().to_string()),
        not_before: validity.not_before.to_string(),
        not_after: validity.not_after.to_string(),
        names,
        sha256: fingerprint(der),
        is_ca,
    })
}

/// A subject alternative name as OpenSSL writes it.
fn name(general: &GeneralName) -> Option<String> {
    let text = match general {
        GeneralName::DNSName(dns) => format!("DNS:{dns}"),
        GeneralName::IPAddress(bytes) => {
            let ip = match bytes.len() {
                4 => IpAddr::from(<[u8; 4]>::try_from(*bytes).ok()?),
                16 => IpAddr::from(<[u8; 16]>::try_from(*bytes).ok()?),
                _ => return Some(format!("IP:<{} bytes>", bytes.len())),
            };
            format!("IP:{ip}")
        }
        GeneralName::RFC822Name(mail) => format!("email:{mail}"),
        GeneralName::URI(uri) => format!("URI:{uri}"),
        other => other.to_string(),
    };
    Some(crate::text::sanitize_str(&text))
}

/// SHA-256 of `der` as colon-separated upper-case hex.
pub fn fingerprint(der: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, der);
    digest
        .as_ref()
        .iter()
        .map(|byte| format!("{byte:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Where `unix_seconds` falls against `der`'s validity period: `Less`
/// before it starts, `Equal` within it, `Greater` after it ended.
pub fn validity_at(der: &[u8], unix_seconds: i64) -> Option<std::cmp::Ordering> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let validity = cert.validity();
    Some(if unix_seconds < validity.not_before.timestamp() {
        std::cmp::Ordering::Less
    } else if unix_seconds > validity.not_after.timestamp() {
        std::cmp::Ordering::Greater
    } else {
        std::cmp::Ordering::Equal
    })
}
