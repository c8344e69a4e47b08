//! The help overlay (F1): every key, global and per tab.

use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph};
use ratatui::Frame;

use crate::ui::shell::app::{App, Tab, GLOBAL_BINDINGS};
use crate::ui::shell::keys;
use crate::ui::{shell::theme, Hint};

/// A titled list of keys and what they do.
pub type Section = (String, Vec<(String, String)>);

/// Every section of the help, built from the tab registry: the global keys
/// (with one Alt+N per tab), then each tab's own keys.
pub fn sections(app: &App) -> Vec<Section> {
    let alt_keys: Vec<String> = Tab::ALL
        .iter()
        .map(|tab| format!("Alt+{}", tab.number()))
        .collect();
    let titles: Vec<&str> = Tab::ALL.iter().map(|tab| tab.title()).collect();
    // The global table, with Alt+N written out from the registry.
    let global = keys::help(GLOBAL_BINDINGS)
        .into_iter()
        .map(|(key, does)| match key {
            "Alt+N" => (
                alt_keys.join(" / "),
                format!("{}, even while typing", titles.join(" / ")),
            ),
            _ => (key.to_string(), does.to_string()),
        })
        .collect();
    let mut sections = vec![("Everywhere".to_string(), global)];
    for tab in Tab::ALL {
        sections.push((
            format!("{} (Alt+{})", tab.title(), tab.number()),
            owned(&app.view(*tab).help()),
        ));
    }
    sections
}

fn owned(hints: &[Hint]) -> Vec<(String, String)> {
    hints
        .iter()
        .map(|(key, does)| (key.to_string(), does.to_string()))
        .collect()
}

/// Every line of the help text, keys in one aligned column.
pub fn lines(sections: &[Section]) -> Vec<Line<'static>> {
    let width = sections
        .iter()
        .flat_map(|(_, hints)| hints.iter())
        .map(|(key, _)| key.chars().count())
        .max()
        .unwrap_or(0)
        + 2;
    let mut lines = Vec::new();
    for (title, hints) in sections {
        lines.push(Line::styled(title.clone(), theme::good()));
        for (key, does) in hints {
            lines.push(Line::from(vec![
                Span::styled(format!("  {key:<width$}"), theme::key()),
                Span::raw(does.clone()),
            ]));
        }
        lines.push(Line::raw(""));
    }
    lines.push(Line::styled(
        "Single-letter keys (k, Space) act only when a table or log has focus, never while typing.",
        theme::dim(),
    ));
    lines.push(Line::styled(
        "While connected (or listening) the target (or address) is locked: typing goes to the message.",
        theme::dim(),
    ));
    lines
}

/// The help as a Markdown page (`docs/keys.md`, checked by a test): the
/// same sections, so the page cannot drift from the keys.
pub fn markdown(sections: &[Section]) -> String {
    let mut page = String::from(
        "# Keys\n\n<!-- Generated from the binding tables by `ui::shell::help::markdown`; \
         `NETPLAY_BLESS=1 cargo test --test it ui::keys_page` rewrites it. -->\n\n\
         The same list as the help overlay (F1). Single-letter keys (k, Space) act only \
         when a table or log has focus, never while typing. While connected (or \
         listening) the target (or address) is locked: typing goes to the message.\n",
    );
    for (title, hints) in sections {
        page.push_str(&format!("\n## {title}\n\n| Key | Does |\n| --- | --- |\n"));
        for (key, does) in hints {
            let cell = |text: &str| text.replace('|', "\\|");
            page.push_str(&format!(
                "| `{}` | {} |\n",
                key.replace('`', "'"),
                cell(does)
            ));
        }
    }
    page
}

/// Draws the overlay centred over `area`, scrolled down by `scroll` lines
/// (clamped so the last line stays in view).
pub fn render(frame: &mut Frame, area: Rect, sections: &[Section], scroll: &mut u16) {
    let text = lines(sections);
    let total = text.len() as u16;
    let height = (total + 2).min(area.height);
    *scroll = (*scroll).min(total.saturating_sub(height.saturating_sub(2)));
    let width = 110.min(area.width);
    let [row] = Layout::vertical([Constraint::Length(height)])
        .flex(Flex::Center)
        .areas(area);
    let [popup] = Layout::horizontal([Constraint::Length(width)])
        .flex(Flex::Center)
        .areas(row);
    frame.render_widget(Clear, popup);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(theme::focused_border())
        .title(if total + 2 > area.height {
            " netplay keys · ↑↓ PgUp PgDn scroll · Esc closes "
        } else {
            " netplay keys · Esc closes "
        });
    frame.render_widget(
        Paragraph::new(text).block(block).scroll((*scroll, 0)),
        popup,
    );
}
