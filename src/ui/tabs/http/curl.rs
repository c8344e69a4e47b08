//! The HTTP tab and curl: a `curl …` command pasted into the URL field (or
//! typed there and sent with Enter) becomes the request — URL, method,
//! headers, body, `-k`, `--cacert` — and what netplay does not act on is
//! listed in the status, never dropped in silence.

use super::{HttpTab, METHODS};
use crate::net::http::request::{parse_url, request_text};
use crate::ui::widgets::log_view::Kind;
use crate::ui::Status;

/// How the tab's requests reach their server, as the last curl command
/// said (`-x`, `--resolve`, `--connect-to`, `--unix-socket`).
#[derive(Default)]
pub(super) struct Reach {
    pub(super) names: std::sync::Arc<crate::net::names::Overrides>,
    pub(super) proxy: Option<std::sync::Arc<crate::net::proxy::Proxy>>,
    pub(super) unix_socket: Option<std::path::PathBuf>,
}

impl HttpTab {
    /// Fills the tab from a curl command line.
    pub(super) fn apply_curl(&mut self, command: &str) {
        let request = match crate::curl::parse(command) {
            Ok(request) => request,
            Err(reason) => {
                self.status = Status::new(Kind::Error, format!("Not taken: {reason}"));
                return;
            }
        };
        let url = match parse_url(&request.url) {
            Ok(url) => url,
            Err(reason) => {
                self.status = Status::new(Kind::Error, format!("Not taken: {reason}"));
                return;
            }
        };
        let body = request.body.clone().unwrap_or_default();
        let unshowable = |c: char| c != '\n' && c != '\t' && crate::text::is_unsafe_char(c);
        if body.chars().any(unshowable) {
            self.status = Status::new(
                Kind::Error,
                "Not taken: the body has control characters the editor cannot hold; netplay fetch --from-curl sends it",
            );
            return;
        }
        self.url.set_text(&request.url);
        if let Some(at) = METHODS
            .iter()
            .position(|m| m.eq_ignore_ascii_case(&request.method))
        {
            self.method = at;
        }
        let text = request_text(&url, &request.method, &request.headers, &body);
        self.set_editor(&crate::ui::widgets::input::multi_line(&text));
        self.edited = true;
        self.url_error = None;
        self.insecure = request.insecure;
        if let Some(ca) = &request.cacert {
            self.ca_file.set_text(ca);
        }
        // -x, --noproxy, --resolve, --connect-to: how the next requests
        // reach their server, until another curl command says otherwise.
        let names = crate::cli::names::NameArgs {
            resolve: request.resolve.clone(),
            connect_to: request.connect_to.clone(),
            proxy: request.proxy.clone(),
            noproxy: request.noproxy.clone(),
        };
        let authority = format!(
            "{}:{}",
            url.host_str().unwrap_or_default(),
            url.port_or_known_default().unwrap_or(80)
        );
        match names.reach(url.scheme(), &authority) {
            Ok((names, proxy)) => {
                let unix_socket = request.unix_socket.as_ref().map(std::path::PathBuf::from);
                self.reach = Reach {
                    names,
                    // A UNIX socket is reached directly, as in curl.
                    proxy: proxy.filter(|_| unix_socket.is_none()),
                    unix_socket,
                };
            }
            Err(reason) => {
                self.status = Status::new(Kind::Error, format!("Not taken: {reason}"));
                return;
            }
        }
        let mut words = format!(
            "From curl: {} {} · {} · {} B body",
            crate::text::sanitize_str(&request.method),
            crate::text::sanitize_str(&request.url),
            crate::format::plural(request.headers.len() as u64, "header"),
            body.len()
        );
        if let Some(proxy) = &self.reach.proxy {
            words.push_str(&format!(" · via {}", proxy.shown()));
        }
        if let Some(path) = &self.reach.unix_socket {
            let path = crate::text::sanitize_str(&path.display().to_string());
            words.push_str(&format!(" · over the UNIX socket {path}"));
        }
        if !self.reach.names.is_empty() {
            words.push_str(" · names overridden (--resolve/--connect-to)");
        }
        if request.ignored.is_empty() {
            words.push_str(". Enter sends it.");
            self.status = Status::new(Kind::Good, words);
        } else {
            let ignored = crate::text::sanitize_str(&request.ignored.join(", "));
            words.push_str(&format!(" · not used: {ignored}"));
            self.status = Status::new(Kind::Error, words);
        }
    }
}
