//! The frame around the tabs: tab bar, footer hints, help overlay, and the
//! "terminal too small" message instead of a broken layout.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Tabs, Wrap};
use ratatui::Frame;

use crate::ui::shell::app::{App, Layer, Overlay, Tab, GLOBAL_BINDINGS};
use crate::ui::{shell::help, shell::theme};

/// The smallest terminal the layout fits in.
pub const MIN_WIDTH: u16 = 60;
/// The smallest terminal the layout fits in.
pub const MIN_HEIGHT: u16 = 20;

/// Where the last frame drew the tab titles and the footer hints (by the
/// key each names), for the mouse.
#[derive(Debug, Clone, Default)]
pub struct Hits {
    /// Whether the last frame drew the tabs (not "Terminal too small"):
    /// clicks are taken only then.
    pub drawn: bool,
    /// Each tab title's cells.
    pub tabs: Vec<(Rect, Tab)>,
    /// Each footer hint's cells and its key's name.
    pub hints: Vec<(Rect, String)>,
}

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, app: &mut App) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        // Nothing on screen answers a click: the tabs' areas are stale.
        app.hits = Hits::default();
        draw_too_small(frame, area);
        return;
    }
    app.hits.drawn = true;
    let [bar, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_tab_bar(frame, bar, app);
    app.active_mut().render(frame, body);
    draw_footer(frame, footer, app);
    // The topmost overlay over the tab (a tab draws its own).
    match app.overlay() {
        Some(Overlay::Picker) => {
            if let Some(picker) = &app.picker {
                picker.render(frame, body);
            }
        }
        Some(Overlay::Code) => {
            if let Some(code) = &app.code {
                code.render(frame, body);
            }
        }
        Some(Overlay::Help) => {
            let sections = help::sections(app);
            let jump = std::mem::take(&mut app.help_jump).then(|| help::section_title(app.tab));
            help::render(
                frame,
                body,
                &sections,
                &mut app.help_scroll,
                jump.as_deref(),
            );
        }
        Some(Overlay::TabOwn) | None => {}
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

fn draw_tab_bar(frame: &mut Frame, area: Rect, app: &mut App) {
    let titles: Vec<Line> = Tab::ALL
        .iter()
        .map(|tab| {
            // Narrow terminals get the short names, so every tab shows.
            let name = if area.width < 80 {
                tab.short_title()
            } else {
                tab.title()
            };
            let mut spans = vec![Span::raw(format!("{} {name}", tab.number()))];
            if app.view(*tab).state().active {
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
    // Where each title lands (Tabs pads each with a space on both sides
    // and puts a one-cell divider between them), for a click.
    app.hits.tabs.clear();
    let mut x = tabs.x;
    for (tab, title) in Tab::ALL.iter().zip(&titles) {
        let width = u16::try_from(title.width())
            .unwrap_or(u16::MAX)
            .saturating_add(2);
        app.hits
            .tabs
            .push((Rect::new(x, tabs.y, width, 1).intersection(tabs), *tab));
        x = x.saturating_add(width + 1);
    }
    frame.render_widget(
        Tabs::new(titles)
            .select(selected)
            .highlight_style(theme::highlight())
            .divider("│"),
        tabs,
    );
}

/// The footer: the tab's hints on the left, the global ones on the right.
/// When they do not all fit, the tab's last hints give way (an `…` says
/// so) and F1 help and Ctrl+C quit stay: F1 lists everything.
fn draw_footer(frame: &mut Frame, area: Rect, app: &mut App) {
    let tabs = format!("Alt+1-{}", Tab::ALL.len());
    let global =
        crate::ui::shell::keys::footer(GLOBAL_BINDINGS, Layer::Tabs, |_, label| Some(label));
    let global: Vec<(&str, &str)> = global
        .into_iter()
        .map(|(key, does)| match key {
            "Alt+N" => (tabs.as_str(), does),
            "Tab / Shift+Tab" => ("Tab", does),
            _ => (key, does),
        })
        .collect();
    let mut left = Vec::new();
    if let Some(notice) = &app.notice {
        left.push(Span::styled(format!(" {notice} "), theme::warn()));
    }
    let dropped = app.engine.dropped_events();
    if dropped > 0 {
        left.push(Span::styled(
            format!(
                " {} live events not shown (UI behind; counters exact) ",
                crate::ui::count(dropped)
            ),
            theme::warn(),
        ));
    }
    let hints = app.active().hints();
    // Narrow terminals: the tab's first hints matter more than the global
    // ones everybody learns once (Tab, Alt+N, F12), which give way first;
    // F1 help and Ctrl+C quit always stay (F1 lists everything).
    let wanted: usize = hints.iter().take(3).map(hint_width).sum::<usize>() + 2;
    let mut global = global;
    if app.notice.is_some() {
        // The notice needs the room; it goes at the next key.
        global.retain(|(key, _)| matches!(*key, "F1" | "Ctrl+C"));
    }
    for optional in ["Tab", tabs.as_str(), "F12"] {
        let width: usize = global.iter().map(hint_width).sum();
        if width + wanted <= usize::from(area.width) {
            break;
        }
        global.retain(|(key, _)| *key != optional);
    }
    let right = Line::from(hint_spans(&global));
    let room = usize::from(area.width).saturating_sub(right.width());
    let mut used: usize = left.iter().map(Span::width).sum();
    // Where each hint lands, for a click (it runs the hint's key).
    let mut shown: Vec<(usize, usize, String)> = Vec::new();
    for (at, hint) in hints.iter().enumerate() {
        let spans = hint_spans(std::slice::from_ref(hint));
        let width: usize = spans.iter().map(Span::width).sum();
        let last = at + 1 == hints.len();
        // Keep room for the "…" unless this is the last hint.
        if used + width + usize::from(!last) * 2 > room {
            left.push(Span::styled(" …", theme::dim()));
            break;
        }
        shown.push((used, width, hint.0.to_string()));
        used += width;
        left.extend(spans);
    }
    let [tab_area, global_area] = Layout::horizontal([
        Constraint::Min(0),
        Constraint::Length(u16::try_from(right.width()).unwrap_or(u16::MAX)),
    ])
    .areas(area);
    let mut x = 0;
    for hint in &global {
        let width = hint_width(hint);
        let name = match hint.0 {
            "Tab" => "Tab".to_string(),
            other => other.to_string(),
        };
        shown.push((usize::from(global_area.x - area.x) + x, width, name));
        x += width;
    }
    app.hits.hints = shown
        .into_iter()
        .map(|(start, width, name)| {
            let start = area
                .x
                .saturating_add(u16::try_from(start).unwrap_or(u16::MAX));
            let width = u16::try_from(width).unwrap_or(u16::MAX);
            (Rect::new(start, area.y, width, 1).intersection(area), name)
        })
        .collect();
    frame.render_widget(Paragraph::new(Line::from(left)), tab_area);
    frame.render_widget(Paragraph::new(right), global_area);
}

fn hint_width(hint: &(&str, &str)) -> usize {
    hint_spans(std::slice::from_ref(hint))
        .iter()
        .map(Span::width)
        .sum()
}

fn hint_spans(hints: &[(&str, &str)]) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    for (key, does) in hints {
        spans.push(Span::styled(format!(" {key}"), theme::key()));
        spans.push(Span::styled(format!(" {does} "), theme::dim()));
    }
    spans
}
