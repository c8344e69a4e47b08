//! The TCP Client tab's TLS settings (`openssl s_client` in the TUI): the
//! switch (off → on → on without verification), the extra CA file and the
//! server name to send. The fields are shown always and take the keyboard
//! only while TLS is on.

use std::path::PathBuf;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Span;
use ratatui::Frame;

use crate::net::tls::{Fixes, TlsOptions};
use crate::ui::shell::theme;
use crate::ui::widgets::input::{title, InputField};

/// How TLS error sentences name this tab's fixes.
pub const FIXES: Fixes = Fixes {
    cacert: "a CA file (Tab to the CA file field)",
    insecure: "Ctrl+T to INSECURE",
    sni: Some("the SNI field"),
};

/// Off, on, or on without verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsMode {
    /// Plain TCP.
    #[default]
    Off,
    /// TLS, the certificate verified.
    On,
    /// TLS, verification skipped.
    Insecure,
}

impl TlsMode {
    /// The next mode (Ctrl+T).
    pub fn next(self) -> Self {
        match self {
            TlsMode::Off => TlsMode::On,
            TlsMode::On => TlsMode::Insecure,
            TlsMode::Insecure => TlsMode::Off,
        }
    }
}

/// The settings and their two fields.
pub struct ClientTls {
    /// The switch.
    pub mode: TlsMode,
    /// A PEM file of extra CAs (also pinned).
    pub ca_file: InputField,
    /// The name to send; empty: the host (none for an IP).
    pub sni: InputField,
}

impl Default for ClientTls {
    fn default() -> Self {
        Self {
            mode: TlsMode::Off,
            ca_file: InputField::new("", "PEM file of extra CAs (optional)"),
            sni: InputField::new("", "default: host (unix: localhost)"),
        }
    }
}

impl ClientTls {
    /// The engine's options, or `None` while off.
    pub fn options(&self) -> Option<TlsOptions> {
        let ca = self.ca_file.text().trim();
        let sni = self.sni.text().trim();
        (self.mode != TlsMode::Off).then(|| TlsOptions {
            extra_ca: (!ca.is_empty()).then(|| PathBuf::from(ca)),
            insecure: self.mode == TlsMode::Insecure,
            sni: (!sni.is_empty()).then(|| sni.to_string()),
            fixes: FIXES,
            ..TlsOptions::default()
        })
    }

    /// The status line's words for the switch.
    pub fn status(&self) -> Vec<Span<'static>> {
        let (word, style) = match self.mode {
            TlsMode::Off => ("off", theme::dim()),
            TlsMode::On => ("on, verified", theme::good()),
            TlsMode::Insecure => ("on, INSECURE", theme::error()),
        };
        vec![
            Span::styled(" · TLS ", theme::dim()),
            Span::styled(word, style),
            Span::styled(" (Ctrl+T)", theme::dim()),
        ]
    }

    /// Draws the CA file and SNI fields side by side.
    pub fn render(&mut self, frame: &mut Frame, area: Rect, ca_focused: bool, sni_focused: bool) {
        let [ca, sni] =
            Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)])
                .areas(area);
        let dim = |name: &str| {
            if self.mode == TlsMode::Off {
                title(name, vec![Span::styled("· TLS off ", theme::dim())])
            } else {
                title(name, Vec::new())
            }
        };
        self.ca_file.render(frame, ca, dim("CA file"), ca_focused);
        self.sni.render(frame, sni, dim("SNI"), sni_focused);
    }
}
