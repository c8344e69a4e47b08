//! Draws the HTTP tab: URL and method, the status, the CA file and HTTPS
//! switch, the request editor and the response pane.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{rounded, Focus, HttpTab, METHODS};
use crate::ui::shell::mouse::Spot;
use crate::ui::shell::theme;
use crate::ui::widgets::input::title;

impl HttpTab {}

impl crate::ui::shell::tab::TabDraw for HttpTab {
    /// Draws the tab.
    fn render(&mut self, frame: &mut Frame, area: Rect) {
        let [top, status, options, main] = Layout::vertical([
            Constraint::Length(3),
            Constraint::Length(1),
            Constraint::Length(3),
            Constraint::Min(6),
        ])
        .areas(area);
        let [url_area, method_area] =
            Layout::horizontal([Constraint::Min(20), Constraint::Length(14)]).areas(top);
        self.url.render(
            frame,
            url_area,
            match &self.url_error {
                Some(reason) => title(
                    "URL",
                    vec![Span::styled(format!("✗ {reason} "), theme::error())],
                ),
                None => title("URL", Vec::new()),
            },
            self.focus == Focus::Url,
        );
        let method = Paragraph::new(Line::from(vec![
            Span::styled(format!(" {}", METHODS[self.method]), theme::key()),
            Span::styled(" (F5)", theme::dim()),
        ]))
        .block(rounded(" Method ", false));
        frame.render_widget(method, method_area);
        let mut status_spans = vec![if self.handle.is_some() {
            Span::styled("◌ ", theme::warn())
        } else {
            Span::raw("  ")
        }];
        status_spans.extend(self.status.line().spans);
        frame.render_widget(
            Paragraph::new(crate::ui::fit_line(Line::from(status_spans), status.width)),
            status,
        );

        let [ca_area, verify_area] =
            Layout::horizontal([Constraint::Min(20), Constraint::Length(34)]).areas(options);
        self.ca_file.render(
            frame,
            ca_area,
            title("Extra CA file (PEM, F6)", Vec::new()),
            self.focus == Focus::CaFile,
        );
        let verify = if self.insecure {
            Line::styled(" INSECURE: verification off (F7)", theme::error())
        } else {
            Line::styled(" certificates verified (F7)", theme::dim())
        };
        frame.render_widget(
            Paragraph::new(verify).block(rounded(" HTTPS ", false)),
            verify_area,
        );

        let [request_area, response_area] =
            Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(60)])
                .areas(main);
        let editor_title = if self.ws_open() {
            " WebSocket message · F8 sends it as text · F9 ping · Esc closes (1000) "
        } else if self.edited {
            " Request (edited; F4 resets) "
        } else {
            " Request (edit freely) "
        };
        self.editor
            .set_block(rounded(editor_title, self.focus == Focus::Request));
        self.editor
            .set_cursor_style(if self.focus == Focus::Request {
                Style::default().add_modifier(ratatui::style::Modifier::REVERSED)
            } else {
                Style::default()
            });
        frame.render_widget(&self.editor, request_area);

        let block = rounded(
            &format!(
                " {} (F2){} ",
                self.view.name(),
                if self.hex { " · hex (F3)" } else { "" }
            ),
            self.focus == Focus::Response,
        );
        let inner = block.inner(response_area);
        let width = inner.width.max(1) as usize;
        let key = (self.revision, self.view, self.hex, width);
        if self.rendered.as_ref().is_none_or(|(k, _)| *k != key) {
            self.rendered = Some((key, self.response_lines(width)));
        }
        let lines = self
            .rendered
            .as_ref()
            .map_or(&[][..], |(_, l)| l.as_slice());
        let height = inner.height as usize;
        let bottom = lines.len().saturating_sub(height);
        // A WebSocket's frames are followed as they come while the view is
        // at the bottom (↑ stops it, End resumes it).
        let follow = self.exchange.ws.any() && self.scroll >= self.response_bottom;
        self.scroll = if follow {
            bottom
        } else {
            self.scroll.min(bottom)
        };
        self.response_bottom = bottom;
        let visible = lines[self.scroll..(self.scroll + height).min(lines.len())].to_vec();
        frame.render_widget(Paragraph::new(visible).block(block), response_area);
        // Where each part is, for the mouse.
        self.mouse.clear();
        self.mouse.add(url_area, Focus::Url, Spot::Field);
        self.mouse.add(ca_area, Focus::CaFile, Spot::Field);
        self.mouse.add(request_area, Focus::Request, Spot::Field);
        self.mouse.add(response_area, Focus::Response, Spot::Scroll);
        // The .http requests overlay (Alt+R), over the tab when open.
        self.render_requests(frame, area);
    }
}
