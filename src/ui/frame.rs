//! The frame around the tabs: tab bar, footer hints, help overlay, and the
//! "terminal too small" message instead of a broken layout.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Tabs, Wrap};
use ratatui::Frame;

use super::app::{App, Layer, Tab, GLOBAL_BINDINGS};
use super::{help, theme};

/// The smallest terminal the layout fits in.
pub const MIN_WIDTH: u16 = 60;
/// The smallest terminal the layout fits in.
pub const MIN_HEIGHT: u16 = 20;

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, app: &mut App) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        draw_too_small(frame, area);
        return;
    }
    let [bar, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_tab_bar(frame, bar, app);
    app.active_mut().render(frame, body);
    draw_footer(frame, footer, app);
    if app.help {
        let sections = help::sections(app);
        help::render(frame, body, &sections, &mut app.help_scroll);
    }
}

fn draw_too_small(frame: &mut Frame, area: Rect) {
    let text = vec![
        Line::styled("Terminal too small", theme::error()),
        Line::raw(format!(
            "{}×{} now; netplay needs at least {MIN_WIDTH}×{MIN_HEIGHT}.",
            area.width, area.height
        )),
        Line::raw("Enlarge the window. Ctrl+C quits."),
    ];
    frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
}

fn draw_tab_bar(frame: &mut Frame, area: Rect, app: &App) {
    let titles: Vec<Line> = Tab::ALL
        .iter()
        .map(|tab| {
            let mut spans = vec![Span::raw(format!("{} {}", tab.number(), tab.title()))];
            if app.view(*tab).is_active() {
                spans.push(Span::styled(" ●", theme::good()));
            }
            Line::from(spans)
        })
        .collect();
    let selected = Tab::ALL.iter().position(|t| *t == app.tab).unwrap_or(0);
    let [name, tabs] = Layout::horizontal([Constraint::Length(10), Constraint::Min(0)]).areas(area);
    frame.render_widget(
        Paragraph::new(Span::styled(" netplay ", theme::key())),
        name,
    );
    frame.render_widget(
        Tabs::new(titles)
            .select(selected)
            .highlight_style(theme::highlight())
            .divider("│"),
        tabs,
    );
}

fn draw_footer(frame: &mut Frame, area: Rect, app: &App) {
    let tabs = format!("Alt+1-{}", Tab::ALL.len());
    let mut hints: Vec<(&str, &str)> = app.active().hints();
    let global = super::keys::footer(GLOBAL_BINDINGS, Layer::Tabs, |_, label| Some(label));
    hints.extend(global.into_iter().map(|(key, does)| match key {
        "Alt+N" => (tabs.as_str(), does),
        "Tab / Shift+Tab" => ("Tab", does),
        _ => (key, does),
    }));
    let mut spans = Vec::new();
    let dropped = app.engine.dropped_events();
    if dropped > 0 {
        spans.push(Span::styled(
            format!(
                " {} live events not shown (UI behind; counters exact) ",
                super::count(dropped)
            ),
            theme::warn(),
        ));
    }
    for (key, does) in hints {
        spans.push(Span::styled(format!(" {key}"), theme::key()));
        spans.push(Span::styled(format!(" {does} "), theme::dim()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
