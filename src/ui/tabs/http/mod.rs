//! The HTTP tab: a URL, a method, a raw request editor the user may change
//! freely, and the response exactly as it came back — raw head, parsed
//! headers, body preview (text or hex), the request as sent, timings, TLS.
//!
//! ```text
//! ╭ URL ─────────────────────────────────────────────╮╭ Method ─╮
//! │ http://127.0.0.1:9999/                           ││ GET (F5)│
//! ╰──────────────────────────────────────────────────╯╰─────────╯
//!  ✓ HTTP/1.1 200 OK · 143 B · total 2 ms
//! ╭ Extra CA file (PEM) ─────────────────────────────╮ verify on (F7)
//! ╭ Request (edit freely) ─╮╭ Response · F2 view ────────────────╮
//! │ GET / HTTP/1.1         ││ HTTP/1.1 200 OK\r\n                │
//! ╰────────────────────────╯╰────────────────────────────────────╯
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::text::Line;
use ratatui::widgets::Block;
use tui_textarea::TextArea;
use url::Url;

use crate::ui::shell::keys as shell_keys;
pub use crate::ui::tabs::http::keys::Action;
use crate::ui::widgets::history::History;
use crate::ui::widgets::input::InputField;

mod curl;
mod draw;
mod har;
pub mod keys;
mod memory;
mod requests;
mod sse_log;
mod via;
mod view;
mod ws_log;
use crate::format::precise;
use crate::net::http::request::{
    default_request, file_name_for, method_of, parse_url, to_wire, with_method, METHODS,
};
use crate::net::http::{
    self, BodySummary, FetchHandle, FetchRequest, Head, HttpEvent, Timings, TlsInfo, TlsOptions,
    DEFAULT_TIMEOUT,
};
use crate::net::{Engine, RequestId};
use crate::text::{sanitize, sanitize_str};
use crate::ui::widgets::log_view::Kind;
use crate::ui::{count, is_plain_key, shell::theme, Hint, Status};

/// How TLS error sentences name this tab's fixes.
const TLS_FIXES: crate::net::tls::Fixes = crate::net::tls::Fixes {
    cacert: "a CA file (F6)",
    insecure: "F7 (insecure)",
    sni: None,
};

/// Which part of the tab has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    /// The URL field.
    Url,
    /// The raw request editor.
    Request,
    /// The response pane.
    Response,
    /// The extra CA file field.
    CaFile,
}

impl Focus {
    fn next(self) -> Self {
        match self {
            Focus::Url => Focus::Request,
            Focus::Request => Focus::Response,
            Focus::Response => Focus::CaFile,
            Focus::CaFile => Focus::Url,
        }
    }

    fn previous(self) -> Self {
        match self {
            Focus::Url => Focus::CaFile,
            Focus::Request => Focus::Url,
            Focus::Response => Focus::Request,
            Focus::CaFile => Focus::Response,
        }
    }
}

/// What the response pane shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// Status, raw head, headers, body.
    Response,
    /// The request bytes as written.
    Sent,
    /// Timings, addresses, TLS.
    Connection,
}

impl View {
    fn next(self) -> Self {
        match self {
            View::Response => View::Sent,
            View::Sent => View::Connection,
            View::Connection => View::Response,
        }
    }

    fn name(self) -> &'static str {
        match self {
            View::Response => "response",
            View::Sent => "request as sent",
            View::Connection => "timing & TLS",
        }
    }
}

/// What the response pane's lines depend on: revision, view, hex, width.
type RenderKey = (u64, View, bool, usize);

/// Everything known about one request.
#[derive(Default)]
struct Exchange {
    url: Option<Url>,
    /// The request exactly as sent, and when (for a HAR entry).
    wire: Vec<u8>,
    started: Option<std::time::SystemTime>,
    resolved: Vec<SocketAddr>,
    /// Name, address, Host and SNI, as the engine connected.
    names: Option<Box<[String; 4]>>,
    /// A proxy's handshake.
    proxy: Vec<String>,
    socket: Option<(SocketAddr, SocketAddr)>,
    tls: Option<TlsInfo>,
    sent: Option<crate::net::Payload>,
    interims: Vec<Head>,
    head: Option<Head>,
    trailers: Vec<(String, Vec<u8>)>,
    body: Option<BodySummary>,
    /// A `text/event-stream` body's events, live.
    events: sse_log::SseLog,
    /// After a 101 to a WebSocket upgrade: the frames.
    ws: ws_log::WsLog,
    timings: Option<Timings>,
    error: Option<String>,
    finished: bool,
}

/// The HTTP tab's state.
pub struct HttpTab {
    /// Which part has the keyboard.
    pub focus: Focus,
    /// Each next exchange to its own pcapng file while armed (Alt+K).
    capture: crate::ui::widgets::capture::CaptureEach,
    /// Name overrides, the proxy, a UNIX socket: from the last curl command.
    reach: curl::Reach,
    /// A proxy password typed in the URL field: kept, never shown again.
    secret: crate::ui::via::Secret,
    url: InputField,
    method: usize,
    editor: TextArea<'static>,
    edited: bool,
    ca_file: InputField,
    insecure: bool,
    timeout: Duration,
    view: View,
    hex: bool,
    scroll: usize,
    /// The response pane's last scroll position at the bottom.
    response_bottom: usize,
    /// Bumped whenever the exchange changes, to know when `rendered` is stale.
    revision: u64,
    /// The response pane's lines for (revision, view, hex, width): building
    /// them sanitizes and wraps up to 64 KiB of body, so it is done once per
    /// change, not once per frame.
    rendered: Option<(RenderKey, Vec<Line<'static>>)>,
    /// The request, while the editor composes WebSocket messages.
    stashed_request: Option<(String, bool)>,
    /// Pings answered on an open WebSocket (Alt+P).
    ws_auto_pong: bool,
    handle: Option<FetchHandle>,
    last: Option<RequestId>,
    exchange: Exchange,
    redirects: Vec<String>,
    status: Status,
    url_error: Option<String>,
    /// The URLs sent, for ↑↓ in the URL field (and the remembered state).
    urls: History,
    /// The `.http` collection and its overlay (Alt+R).
    requests: requests::Requests,
    /// Where the last frame drew each part, for the mouse.
    mouse: crate::ui::shell::mouse::Areas<Focus>,
}

impl HttpTab {
    /// The tab, with `url` in the URL field.
    pub fn new(url: &str) -> Self {
        let mut tab = Self {
            focus: Focus::Url,
            capture: crate::ui::widgets::capture::CaptureEach::new(
                "netplay-http",
                crate::net::SaveFor::HttpCapture,
            ),
            reach: Default::default(),
            secret: Default::default(),
            url: InputField::new(url, "http://127.0.0.1:9999/ or https://host/path?query; … via socks5h://proxy:1080; or a curl command"),
            method: 0,
            editor: TextArea::default(),
            edited: false,
            ca_file: InputField::new("", "path to a PEM file of CA certificates to trust (optional)"),
            insecure: false,
            timeout: DEFAULT_TIMEOUT,
            view: View::Response,
            hex: false,
            scroll: 0,
            response_bottom: 0,
            revision: 0,
            rendered: None,
            handle: None,
            stashed_request: None,
            ws_auto_pong: true,
            last: None,
            exchange: Exchange::default(),
            redirects: Vec::new(),
            status: Status::new(Kind::Info, "Enter (or F8) sends. Tip: Alt+2, F5 to http mode, Enter — then fetch http://127.0.0.1:9999/"),
            url_error: parse_url(&crate::ui::via::target_of(url)).err(),
            urls: History::default(),
            requests: requests::Requests::default(),
            mouse: crate::ui::shell::mouse::Areas::default(),
        };
        tab.regenerate();
        tab
    }

    /// Whether a request is in flight.
    pub fn in_flight(&self) -> bool {
        self.handle.is_some()
    }

    /// The request editor's text.
    pub fn request_text(&self) -> String {
        self.editor.lines().join("\n")
    }

    fn set_editor(&mut self, text: &str) {
        let lines: Vec<String> = text.split('\n').map(str::to_string).collect();
        self.editor = TextArea::new(lines);
        self.editor
            .set_cursor_line_style(ratatui::style::Style::default());
    }

    /// Checks the URL as it is typed and keeps an unedited request in step.
    fn url_changed(&mut self) {
        self.url_error = parse_url(&self.url_part()).err();
        if !self.edited {
            self.regenerate();
        }
    }

    /// Rebuilds the request text from URL and method (F4, or while unedited).
    fn regenerate(&mut self) {
        let method = METHODS[self.method];
        match parse_url(&self.url_part()) {
            Ok(url) => {
                let text = default_request(&url, method);
                self.set_editor(&text);
                self.edited = false;
            }
            Err(_) if !self.edited => {
                self.set_editor(&format!("{method} / HTTP/1.1\nHost: \n\n"));
            }
            Err(_) => {}
        }
    }

    fn perform(&mut self, action: Action, key: KeyEvent, engine: &Engine) -> bool {
        if self.ws_open() && self.ws_action(action) {
            return true;
        }
        match action {
            Action::View => {
                self.view = self.view.next();
                self.scroll = 0;
            }
            Action::Hex => self.hex = !self.hex,
            Action::Reset => self.regenerate(),
            Action::Method => {
                self.method = (self.method + 1) % METHODS.len();
                if self.edited {
                    let text = with_method(&self.request_text(), METHODS[self.method]);
                    self.set_editor(&text);
                } else {
                    self.regenerate();
                }
            }
            Action::CaFile => self.focus = Focus::CaFile,
            Action::Insecure => self.insecure = !self.insecure,
            Action::WsBinary | Action::WsPongs => return false,
            Action::Send => self.send(engine),
            Action::Follow => self.follow_redirect(engine),
            Action::Cancel => match &self.handle {
                Some(handle) => handle.cancel(),
                None => return false,
            },
            Action::Save => self.save(engine),
            Action::Har => self.add_to_har(engine),
            Action::Capture => self.toggle_capture(),
            Action::Requests => self.open_requests(),
            Action::Append => self.append_request(),
            Action::Field => return self.on_focused_key(key, engine),
        }
        true
    }

    fn on_focused_key(&mut self, key: KeyEvent, engine: &Engine) -> bool {
        match self.focus {
            Focus::Url => {
                if is_plain_key(&key, KeyCode::Enter) {
                    self.send(engine);
                    return true;
                }
                let changed = match key.code {
                    KeyCode::Up => self.urls.older(&mut self.url),
                    KeyCode::Down => self.urls.newer(&mut self.url),
                    _ => {
                        let changed = self.url.input(key);
                        if changed {
                            self.urls.edited();
                        }
                        changed
                    }
                };
                if changed {
                    self.url_changed();
                }
                changed
            }
            Focus::CaFile => {
                if is_plain_key(&key, KeyCode::Enter) {
                    self.send(engine);
                    return true;
                }
                self.ca_file.input(key)
            }
            Focus::Request => {
                // Ctrl+M would also be a newline; Enter is a newline here on purpose.
                if key.modifiers.contains(KeyModifiers::ALT) {
                    return false;
                }
                let changed = self.editor.input(key);
                if changed {
                    self.edited = true;
                }
                changed
            }
            Focus::Response => {
                let page = 10;
                self.scroll = match key.code {
                    KeyCode::Up => self.scroll.saturating_sub(1),
                    KeyCode::Down => self.scroll.saturating_add(1),
                    KeyCode::PageUp => self.scroll.saturating_sub(page),
                    KeyCode::PageDown => self.scroll.saturating_add(page),
                    KeyCode::Home => 0,
                    KeyCode::End => usize::MAX,
                    _ => return false,
                };
                true
            }
        }
    }

    /// Sends the request in the editor to the URL's host.
    fn send(&mut self, engine: &Engine) {
        // The editor held a WebSocket message: the request comes back first.
        if let Some((request, edited)) = self.stashed_request.take() {
            self.set_editor(&request);
            self.edited = edited;
        }
        // A curl command typed into the URL field: Enter takes it in.
        let typed = self.url.text().trim_start().to_string();
        if typed.starts_with("curl ") {
            return self.apply_curl(&typed);
        }
        let (url, (proxy, unix_socket)) = match self.url_and_reach() {
            Ok(reached) => reached,
            Err(reason) => return self.status = Status::new(Kind::Error, reason),
        };
        self.urls.push(self.url.text().trim());
        let text = self.request_text();
        if text.trim().is_empty() {
            let words = "The request is empty: type one, or F4 for the URL's default";
            return self.status = Status::new(Kind::Error, words);
        }
        let extra_ca = self.ca_file.text().trim();
        let request = FetchRequest {
            refuse: Default::default(),
            head_request: method_of(&text).eq_ignore_ascii_case("HEAD"),
            wire: to_wire(&text),
            url: url.clone(),
            tls: TlsOptions {
                extra_ca: (!extra_ca.is_empty()).then(|| PathBuf::from(extra_ca)),
                insecure: self.insecure,
                fixes: TLS_FIXES,
                ..TlsOptions::default()
            },
            timeout: self.timeout,
            body: http::BodyTarget::Spool,
            capture: self.capture_plan(engine, unix_socket.is_some()),
            names: std::sync::Arc::clone(&self.reach.names),
            proxy,
            unix_socket,
        };
        let handle = http::fetch(engine, request);
        self.last = Some(handle.id());
        self.handle = Some(handle);
        self.revision += 1;
        self.exchange = Exchange {
            url: Some(url.clone()),
            wire: to_wire(&text),
            started: Some(std::time::SystemTime::now()),
            ..Exchange::default()
        };
        self.scroll = 0;
        self.status = Status::new(Kind::Info, format!("Sending to {url}… (Esc cancels)"));
    }

    fn follow_redirect(&mut self, engine: &Engine) {
        let location = self.exchange.head.as_ref().and_then(Head::location);
        let (Some(location), Some(base)) = (location, self.exchange.url.clone()) else {
            self.status = Status::new(
                Kind::Error,
                "No redirect to follow (needs a 3xx with Location)",
            );
            return;
        };
        let next = match base.join(&location) {
            Ok(next) => next,
            Err(err) => {
                self.status = Status::new(
                    Kind::Error,
                    format!("Location '{}' is not a URL: {err}", sanitize_str(&location)),
                );
                return;
            }
        };
        let status = self.exchange.head.as_ref().map_or(0, |h| h.status);
        if self.redirects.is_empty() {
            self.redirects.push(base.to_string());
        }
        self.redirects.push(next.to_string());
        if matches!(status, 301..=303) && METHODS[self.method] != "HEAD" {
            self.method = 0; // GET, as browsers and curl -L do
        }
        // Through the same proxy, if the field names one.
        let next = crate::ui::via::with_same_proxy(self.url.text().trim(), next.as_str());
        self.url.set_text(&next);
        self.url_error = None;
        self.regenerate();
        self.send(engine);
    }

    fn save(&mut self, engine: &Engine) {
        let (Some(id), Some(body), Some(url)) = (
            self.last,
            self.exchange.body.as_ref(),
            self.exchange.url.as_ref(),
        ) else {
            self.status = Status::new(Kind::Error, "Nothing to save yet: fetch something first");
            return;
        };
        if !self.exchange.finished {
            self.status = Status::new(
                Kind::Error,
                "Still receiving: save when the body is complete",
            );
            return;
        }
        let Some(spool) = body.spool.clone() else {
            let why = body
                .spool_error
                .clone()
                .unwrap_or_else(|| "no spool file".into());
            self.status = Status::new(Kind::Error, format!("Cannot save: {why}"));
            return;
        };
        let name = file_name_for(url);
        self.status = Status::new(Kind::Info, format!("Saving body as {name}…"));
        http::save_body(engine, id, spool, PathBuf::from("."), name);
    }

    /// Folds one engine event into the tab; stale requests are ignored.
    pub fn on_event(&mut self, id: RequestId, event: HttpEvent) {
        if self.last != Some(id) {
            return;
        }
        self.revision += 1;
        let exchange = &mut self.exchange;
        match event {
            HttpEvent::Resolved { addrs } => exchange.resolved = addrs,
            HttpEvent::Names(lines) => exchange.names = Some(lines),
            HttpEvent::Proxy(lines) => exchange.proxy = lines,
            HttpEvent::Connected { local, remote } => exchange.socket = Some((local, remote)),
            HttpEvent::TlsEstablished(info) => exchange.tls = Some(*info),
            HttpEvent::RequestSent(bytes) => exchange.sent = Some(bytes),
            HttpEvent::Interim(head) => exchange.interims.push(*head),
            HttpEvent::Head(head) => {
                self.status = match head.invalid_summary() {
                    Some(summary) => Status::new(
                        Kind::Error,
                        format!("{} · receiving… · ⚠ {summary}", status_text(&head)),
                    ),
                    None => Status::new(Kind::Info, format!("{} · receiving…", status_text(&head))),
                };
                exchange.head = Some(*head);
            }
            HttpEvent::Trailers(trailers) => exchange.trailers = trailers,
            HttpEvent::Sse(event) => exchange.events.push(*event),
            HttpEvent::WebSocket(event) => self.on_websocket(*event),
            // Shown with the head's own warnings.
            HttpEvent::Warning(warning) => {
                if let Some(head) = exchange.head.as_mut() {
                    head.warnings.push(warning);
                }
            }
            HttpEvent::Done { body, timings } => {
                self.capture.end();
                self.handle = None;
                exchange.finished = true;
                exchange.timings = Some(timings);
                let head_text = exchange.head.as_ref().map(status_text).unwrap_or_default();
                let redirect = exchange
                    .head
                    .as_ref()
                    .and_then(Head::location)
                    .map(|l| format!(" · redirect to {} (F9 follows)", sanitize_str(&l)))
                    .unwrap_or_default();
                let invalid = exchange.head.as_ref().and_then(Head::invalid_summary);
                let ok =
                    invalid.is_none() && exchange.head.as_ref().is_some_and(|h| h.status < 400);
                let invalid = invalid.map(|s| format!(" · ⚠ {s}")).unwrap_or_default();
                self.status = Status::new(
                    if ok { Kind::Good } else { Kind::Error },
                    format!(
                        "{head_text} · {} B · total {}{redirect}{invalid}",
                        count(body.size),
                        precise(timings.total)
                    ),
                );
                exchange.body = Some(*body);
            }
            HttpEvent::Failed {
                reason,
                timings,
                body,
            } => {
                self.capture.end();
                self.handle = None;
                exchange.finished = true;
                exchange.timings = Some(timings);
                exchange.body = body.map(|body| *body);
                self.status = Status::new(Kind::Error, reason.clone());
                exchange.error = Some(reason);
            }
            HttpEvent::Saved(path) => {
                self.status =
                    Status::new(Kind::Good, format!("Saved the body to {}", path.display()));
            }
            HttpEvent::SaveFailed(reason) => {
                self.status = Status::new(Kind::Error, format!("Save failed: {reason}"));
            }
        }
        self.restore_request();
    }
}

pub(super) fn rounded(title: &str, focused: bool) -> Block<'static> {
    theme::pane(title.to_string(), focused)
}

/// `HTTP/1.1 200 OK`, safe to display.
pub(super) fn status_text(head: &Head) -> String {
    format!(
        "HTTP/1.{} {} {}",
        head.minor_version,
        head.status,
        sanitize(&head.reason)
    )
}

impl crate::ui::shell::tab::TabView for HttpTab {
    fn state(&self) -> crate::ui::shell::tab::TabState {
        crate::ui::shell::tab::TabState {
            active: self.in_flight(),
            ticking: false,
            overlay: self.requests_open(),
        }
    }
    fn code_setting(&self) -> crate::code::Setting {
        crate::code::Setting::Http {
            // With its proxy, if one is typed (its password left out).
            url: crate::ui::via::without_password(self.url.text().trim()),
            request: self.request_text(),
            insecure: self.insecure,
        }
    }
    fn click(&mut self, column: u16, row: u16) {
        crate::ui::shell::mouse::click(&self.mouse, column, row, &mut self.focus);
    }
    fn wheel_keys(&mut self, column: u16, row: u16, down: bool) -> Vec<KeyEvent> {
        crate::ui::shell::mouse::wheel(&self.mouse, column, row, down, &mut self.focus)
    }
    fn help(&self) -> Vec<Hint> {
        shell_keys::help(Self::BINDINGS)
    }
}

impl crate::ui::shell::app::StartTab for HttpTab {
    fn start(
        options: &crate::ui::shell::app::StartOptions,
        me: crate::ui::shell::app::Tab,
    ) -> Self {
        let mut tab = HttpTab::new(&options.addr_for(me, "http://127.0.0.1:9999/"));
        if let Some(path) = &options.http_file {
            tab.load_http_file(path);
        }
        tab
    }
}

impl crate::ui::shell::tab::TabInput for HttpTab {
    fn hints(&self) -> Vec<Hint> {
        self.footer_hints()
    }

    fn focus_step(&mut self, forward: bool) {
        self.focus = if forward {
            self.focus.next()
        } else {
            self.focus.previous()
        };
    }
    /// Whether a text field has the keyboard.
    fn typing(&self) -> bool {
        matches!(self.focus, Focus::Url | Focus::Request | Focus::CaFile)
    }

    /// Puts the keyboard on the URL field (what Alt+1 does).
    fn focus_first(&mut self) {
        self.focus = Focus::Url;
    }

    /// Handles a key; returns whether it was used.
    fn on_key(&mut self, key: KeyEvent, engine: &Engine) -> bool {
        if self.requests_open() {
            self.requests_key(key);
            return true;
        }
        match shell_keys::action(Self::BINDINGS, &key, self.focus) {
            Some(action) => self.perform(action, key, engine),
            None => self.on_focused_key(key, engine),
        }
    }

    /// Inserts pasted text into the focused field (the editor keeps lines).
    fn on_paste(&mut self, text: &str) {
        // The tab's own overlay (a prompt, an editor) takes a paste;
        // nothing lands in a field hidden under it.
        if crate::ui::shell::tab::TabView::state(self).overlay {
            self.requests_paste(text);
            return;
        }
        match self.focus {
            Focus::Url if text.trim_start().starts_with("curl ") => self.apply_curl(text),
            Focus::Url => {
                if self.url.paste(text) {
                    self.url_changed();
                }
            }
            Focus::CaFile => {
                self.ca_file.paste(text);
            }
            Focus::Request => {
                if self
                    .editor
                    .insert_str(crate::ui::widgets::input::multi_line(text))
                {
                    self.edited = true;
                }
            }
            Focus::Response => {}
        }
    }
}
