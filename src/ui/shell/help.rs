//! The help overlay (F1): every key, global and per tab.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph};
use ratatui::Frame;

use crate::ui::shell::app::{App, Tab, GLOBAL_BINDINGS};
use crate::ui::shell::keys;
use crate::ui::widgets::log_view::wrap_words;
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
        sections.push((section_title(*tab), owned(&app.view(*tab).help())));
    }
    sections
}

/// The title of `tab`'s section: `UDP (Alt+4)`.
pub fn section_title(tab: Tab) -> String {
    format!("{} (Alt+{})", tab.title(), tab.number())
}

fn owned(hints: &[Hint]) -> Vec<(String, String)> {
    hints
        .iter()
        .map(|(key, does)| (key.to_string(), does.to_string()))
        .collect()
}

/// The widest key kept in the key column.
const KEY_COLUMN: usize = 16;

/// Every line of the help text, keys in one aligned column, each sentence
/// wrapped at word boundaries to `width` columns (continuations under the
/// sentence, not under the key).
pub fn lines(sections: &[Section], width: u16) -> Vec<Line<'static>> {
    // The key column fits most keys; a longer key (Alt+1 / … / Alt+5)
    // takes its own row, its sentence starting under the column.
    let key_width = sections
        .iter()
        .flat_map(|(_, hints)| hints.iter())
        .map(|(key, _)| key.chars().count())
        .filter(|len| *len <= KEY_COLUMN)
        .max()
        .unwrap_or(0)
        + 2;
    let width = usize::from(width);
    let indent = key_width + 2;
    let room = width.saturating_sub(indent).max(20);
    let mut lines = Vec::new();
    for (title, hints) in sections {
        lines.push(Line::styled(title.clone(), theme::good()));
        for (key, does) in hints {
            let mut rows = wrap_words(does, room).into_iter();
            let first = rows.next().unwrap_or_default();
            if key.chars().count() <= KEY_COLUMN {
                lines.push(Line::from(vec![
                    Span::styled(format!("  {key:<key_width$}"), theme::key()),
                    Span::raw(first),
                ]));
            } else {
                lines.push(Line::styled(format!("  {key}"), theme::key()));
                lines.push(Line::raw(format!("{:indent$}{first}", "")));
            }
            for row in rows {
                lines.push(Line::raw(format!("{:indent$}{row}", "")));
            }
        }
        lines.push(Line::raw(""));
    }
    for note in [
        "Single-letter keys (k, Space) act only when a table or log has focus, never while typing.",
        "While connected (or listening) the target (or address) is locked: typing goes to the message.",
    ] {
        for row in wrap_words(note, width.max(20)) {
            lines.push(Line::styled(row, theme::dim()));
        }
    }
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
/// (clamped so the last line stays in view); `jump` first scrolls to the
/// section with that title (the help opens at the tab one is on).
pub fn render(
    frame: &mut Frame,
    area: Rect,
    sections: &[Section],
    scroll: &mut u16,
    jump: Option<&str>,
) {
    // The width the overlay will have (a thin margin goes to it).
    let width = if area.width.saturating_sub(110) < 12 {
        area.width
    } else {
        110
    };
    let text = lines(sections, width.saturating_sub(2));
    if let Some(title) = jump {
        let at = text
            .iter()
            .position(|line| line.spans.len() == 1 && line.spans[0].content.as_ref() == title);
        *scroll = at.unwrap_or(0) as u16;
    }
    let total = text.len() as u16;
    let height = (total + 2).min(area.height);
    *scroll = (*scroll).min(total.saturating_sub(height.saturating_sub(2)));
    let popup = crate::ui::popup(frame, area, width, height);
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
