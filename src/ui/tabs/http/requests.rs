//! The HTTP tab's `.http` collection: loaded with `netplay --file
//! api.http` or opened here (Alt+R with no file asks for a path), listed by
//! name (Alt+R), one chosen fills the URL and the editor (Enter then sends
//! it); Alt+W appends the current request to the file.

use std::path::{Path, PathBuf};

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{HttpTab, METHODS};
use crate::http_file::{self, Collection, FileRequest};
use crate::net::http::request::{method_of, parse_url, request_text};
use crate::ui::widgets::input::{title, InputField};
use crate::ui::widgets::log_view::Kind;
use crate::ui::{shell::theme, Status};

/// Files larger than this are refused (a collection is a few kilobytes).
const FILE_LIMIT: u64 = 4 * 1024 * 1024;

/// The loaded collection and the overlay's state.
#[derive(Default)]
pub(crate) struct Requests {
    file: Option<(PathBuf, Collection)>,
    open: bool,
    at: usize,
    path: Option<InputField>,
    /// The last collection's path (remembered between runs): the path
    /// prompt starts with it.
    pub(super) last_path: Option<String>,
    /// Lines scrolled by PgUp/PgDn (a long "not supported" list).
    scroll: usize,
}

impl HttpTab {
    /// Loads `path` as the tab's collection; the status says how it went.
    pub fn load_http_file(&mut self, path: &Path) {
        // read_regular refuses a FIFO before opening it (opening one would
        // block the screen until a writer came).
        let text = crate::files::read_regular(path, FILE_LIMIT)
            .and_then(|bytes| String::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_string()));
        let shown = crate::text::sanitize_str(&path.display().to_string());
        match text {
            Err(reason) => {
                self.status = Status::new(Kind::Error, format!("Cannot open {shown}: {reason}"));
            }
            Ok(text) => {
                let collection = http_file::parse(&text);
                let mut words = format!(
                    "Loaded {shown}: {} (Alt+R lists them)",
                    crate::format::plural(collection.requests.len() as u64, "request")
                );
                let kind = if collection.problems.is_empty() {
                    Kind::Good
                } else {
                    words.push_str(&format!(
                        " · {} not supported, listed there",
                        crate::format::plural(collection.problems.len() as u64, "part")
                    ));
                    Kind::Error
                };
                self.status = Status::new(kind, words);
                self.requests.last_path = Some(path.display().to_string());
                self.requests.file = Some((path.to_path_buf(), collection));
                self.requests.at = 0;
            }
        }
    }

    /// Alt+R: the list (or, with no file, the path prompt).
    pub(super) fn open_requests(&mut self) {
        self.requests.open = true;
        if self.requests.file.is_none() {
            let last = self.requests.last_path.clone().unwrap_or_default();
            self.requests.path = Some(InputField::new(
                &last,
                "path of a .http file, Enter opens it",
            ));
        }
    }

    /// Whether the overlay is open (it takes every key).
    pub(super) fn requests_open(&self) -> bool {
        self.requests.open
    }

    /// A paste while the overlay is open: into the path prompt, if shown.
    pub(super) fn requests_paste(&mut self, text: &str) {
        if let Some(field) = &mut self.requests.path {
            field.paste(text);
        }
    }

    /// A key while the overlay is open.
    pub(super) fn requests_key(&mut self, key: KeyEvent) {
        if key.code == KeyCode::Esc {
            self.requests.open = false;
            self.requests.path = None;
            return;
        }
        if let Some(field) = &mut self.requests.path {
            if key.code == KeyCode::Enter {
                let path = PathBuf::from(field.text().trim());
                self.requests.path = None;
                self.requests.open = false;
                self.load_http_file(&path);
                self.requests.open = self.requests.file.is_some();
            } else {
                field.input(key);
            }
            return;
        }
        let count = self
            .requests
            .file
            .as_ref()
            .map_or(0, |(_, c)| c.requests.len());
        match key.code {
            KeyCode::Up => {
                self.requests.at = self.requests.at.saturating_sub(1);
                self.requests.scroll = 0;
            }
            KeyCode::Down => {
                self.requests.at = (self.requests.at + 1).min(count.saturating_sub(1));
                self.requests.scroll = 0;
            }
            KeyCode::PageDown => self.requests.scroll = self.requests.scroll.saturating_add(10),
            KeyCode::PageUp => self.requests.scroll = self.requests.scroll.saturating_sub(10),
            KeyCode::Char('o') => {
                self.requests.path =
                    Some(InputField::new("", "path of a .http file, Enter opens it"));
            }
            KeyCode::Enter => {
                let chosen = self
                    .requests
                    .file
                    .as_ref()
                    .and_then(|(_, c)| c.requests.get(self.requests.at))
                    .cloned();
                if let Some(request) = chosen {
                    self.requests.open = false;
                    self.fill_from(&request);
                }
            }
            _ => {}
        }
    }

    fn fill_from(&mut self, request: &FileRequest) {
        let url = match parse_url(&request.url) {
            Ok(url) => url,
            Err(reason) => {
                self.status = Status::new(
                    Kind::Error,
                    format!("{}: {reason}", crate::text::sanitize_str(&request.name)),
                );
                return;
            }
        };
        self.url.set_text(&request.url);
        if let Some(at) = METHODS.iter().position(|m| *m == request.method) {
            self.method = at;
        }
        let text = request_text(&url, &request.method, &request.headers, &request.body);
        self.set_editor(&crate::ui::widgets::input::multi_line(&text));
        self.edited = true;
        self.url_error = None;
        self.status = Status::new(
            Kind::Good,
            format!(
                "{} · Enter sends it",
                crate::text::sanitize_str(&request.name)
            ),
        );
    }

    /// Alt+W: appends the request in the editor to the collection's file
    /// (or `./netplay.http` when none is loaded).
    pub(super) fn append_request(&mut self) {
        let text = self.request_text().replace("\r\n", "\n");
        let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
        let mut lines = head.lines();
        let first = lines.next().unwrap_or_default();
        let method = method_of(first);
        let url = self.url_part();
        let headers = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
            .filter(|(n, v)| {
                !crate::net::http::request::is_default_field(parse_url(&url).ok().as_ref(), n, v)
            })
            .collect();
        let path = parse_url(&url)
            .map(|u| u.path().to_string())
            .unwrap_or_default();
        let request = FileRequest {
            name: format!("{method} {path}"),
            method,
            url,
            headers,
            body: body.trim_end_matches('\n').to_string(),
            line: 0,
        };
        if let Some((at, line)) = http_file::unwritable_line(&request.body) {
            self.status = Status::new(
                Kind::Error,
                format!(
                    "Not appended: body line {at} ({}) would read back as something else in a .http file",
                    crate::text::sanitize_str(&line)
                ),
            );
            return;
        }
        // The loaded collection is the user's file (a link to it is
        // followed); the default name is netplay's, in the working
        // directory, where a planted link must not redirect the write.
        let (target, follow) = match &self.requests.file {
            Some((path, _)) => (path.clone(), true),
            None => (PathBuf::from("netplay.http"), false),
        };
        let text = format!("\n{}", http_file::to_text(&request));
        let written = crate::files::append_regular(&target, text.as_bytes(), follow);
        let shown = crate::text::sanitize_str(&target.display().to_string());
        self.status = match written {
            Ok(()) => {
                if let Some((_, collection)) = &mut self.requests.file {
                    collection.requests.push(request);
                }
                Status::new(Kind::Good, format!("Appended the request to {shown}"))
            }
            Err(err) => Status::new(Kind::Error, format!("Not appended to {shown}: {err}")),
        };
    }

    /// Draws the overlay over `area`.
    pub(super) fn render_requests(&mut self, frame: &mut Frame, area: Rect) {
        if !self.requests.open {
            return;
        }
        let popup = crate::ui::popup(
            frame,
            area,
            area.width.saturating_sub(4).min(110),
            area.height.saturating_sub(2),
        );
        if let Some(field) = &mut self.requests.path {
            let prompt = Rect { height: 3, ..popup };
            field.render(frame, prompt, title("Open a .http file", Vec::new()), true);
            return;
        }
        let Some((path, collection)) = &self.requests.file else {
            return;
        };
        let name = crate::text::sanitize_str(&path.display().to_string());
        let mut lines: Vec<Line> = collection
            .requests
            .iter()
            .enumerate()
            .map(|(at, request)| {
                let style = if at == self.requests.at {
                    theme::highlight()
                } else {
                    ratatui::style::Style::default()
                };
                Line::from(vec![
                    Span::styled(
                        format!(" {:<32}", crate::text::sanitize_str(&request.name)),
                        style,
                    ),
                    Span::styled(format!(" {:<7}", request.method), theme::key()),
                    Span::styled(crate::text::sanitize_str(&request.url), theme::dim()),
                ])
            })
            .collect();
        if collection.requests.is_empty() {
            lines.push(Line::styled(" No requests in this file.", theme::dim()));
        }
        if !collection.problems.is_empty() {
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                " Not supported (the rest loaded):",
                theme::error(),
            ));
            for problem in &collection.problems {
                lines.push(Line::styled(
                    format!("  {}", crate::text::sanitize_str(problem)),
                    theme::dim(),
                ));
            }
        }
        lines.push(Line::styled(
            " ↑↓ choose · PgUp/PgDn scroll · Enter: into the editor · o: another file · Esc",
            theme::dim(),
        ));
        let block = theme::pane(format!(" Requests · {name} "), true);
        let visible = usize::from(popup.height.saturating_sub(2)).max(1);
        let most = lines.len().saturating_sub(visible);
        self.requests.scroll = self.requests.scroll.min(most);
        let offset = (self.requests.at + 1)
            .saturating_sub(visible)
            .max(self.requests.scroll);
        frame.render_widget(
            Paragraph::new(lines)
                .block(block)
                .scroll((u16::try_from(offset).unwrap_or(u16::MAX), 0)),
            popup,
        );
    }
}
