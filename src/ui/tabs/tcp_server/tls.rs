//! The TCP Server tab's TLS settings (`openssl s_server` in the TUI): the
//! switch, and the certificate and key files — both empty means a
//! certificate for localhost, 127.0.0.1, ::1 and the listen address, signed
//! by netplay's local CA (`netplay ca path` names it for curl and openssl).

use std::path::PathBuf;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Span;
use ratatui::Frame;

use crate::net::tls::server::{self, TlsServer};
use crate::ui::shell::theme;
use crate::ui::widgets::input::{title, InputField};

/// The switch and the two fields.
pub struct ServerTls {
    /// Whether new listeners speak TLS.
    pub on: bool,
    /// The certificate chain (PEM); empty: one from the local CA.
    pub cert: InputField,
    /// The private key (PEM); empty: one from the local CA.
    pub key: InputField,
    /// The certificate in use by the running listener, in words.
    pub in_use: Option<String>,
}

impl Default for ServerTls {
    fn default() -> Self {
        Self {
            on: false,
            cert: InputField::new("", "cert PEM (empty: local CA)"),
            key: InputField::new("", "key PEM"),
            in_use: None,
        }
    }
}

impl ServerTls {
    /// The TLS server to start with, `None` while off, or why it cannot be
    /// made (an unreadable file, a key that does not match).
    pub fn server(&self, listen: &str) -> Result<Option<TlsServer>, String> {
        if !self.on {
            return Ok(None);
        }
        let path = |field: &InputField| {
            let text = field.text().trim();
            (!text.is_empty()).then(|| PathBuf::from(text))
        };
        let (cert, key) = (path(&self.cert), path(&self.key));
        let extra: Vec<String> = server::listen_name(listen).into_iter().collect();
        server::server_for(cert.as_deref(), key.as_deref(), &extra).map(Some)
    }

    /// The status line's words for the switch.
    pub fn status(&self) -> Vec<Span<'static>> {
        let (word, style) = if self.on {
            ("on", theme::good())
        } else {
            ("off", theme::dim())
        };
        vec![
            Span::styled(" · TLS ", theme::dim()),
            Span::styled(word, style),
            Span::styled(" (Ctrl+T)", theme::dim()),
        ]
    }

    /// Draws the certificate and key fields side by side.
    pub fn render(&mut self, frame: &mut Frame, area: Rect, cert_focused: bool, key_focused: bool) {
        let [cert, key] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                .areas(area);
        let extra = || {
            if self.on {
                Vec::new()
            } else {
                vec![Span::styled("· TLS off ", theme::dim())]
            }
        };
        self.cert
            .render(frame, cert, title("Certificate", extra()), cert_focused);
        self.key
            .render(frame, key, title("Key", extra()), key_focused);
    }
}

/// A cipher suite's name for a narrow column, without the parts that say
/// little there: `TLS13_AES_256_GCM_SHA384` → `AES_256_GCM` (the log line
/// has the whole name).
pub fn short_cipher(cipher: &str) -> &str {
    let name = [
        "TLS13_",
        "TLS_ECDHE_ECDSA_WITH_",
        "TLS_ECDHE_RSA_WITH_",
        "TLS_",
    ]
    .iter()
    .find_map(|prefix| cipher.strip_prefix(prefix))
    .unwrap_or(cipher);
    ["_SHA256", "_SHA384"]
        .iter()
        .find_map(|suffix| name.strip_suffix(suffix))
        .unwrap_or(name)
}
