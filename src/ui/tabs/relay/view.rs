//! Draws the Relay tab: the two address fields, the status with the faults
//! in red, the pairs table beside the faults pane, the held chunks of the
//! selected pair, the inject/edit input and the selected pair's transcript.

use std::time::Instant;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use ratatui::Frame;

use crate::format::{bytes, compact};
use crate::net::relay::Dir;
use crate::net::stream::Endpoint;
use crate::text::sanitize;
use crate::ui::shell::mouse::Spot;
use crate::ui::tabs::relay::{Focus, PairRow, Phase, RelayTab};
use crate::ui::widgets::input::title;
use crate::ui::{age, count, shell::theme, tabs::relay::faults};

/// Draws the whole tab into `area`.
pub fn render(tab: &mut RelayTab, frame: &mut Frame, area: Rect) {
    let [fields, status, middle, held, message, log] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Length(2),
        Constraint::Length(11),
        Constraint::Length(4),
        Constraint::Length(3),
        Constraint::Min(5),
    ])
    .areas(area);
    let [listen, target] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(fields);
    let focus = tab.focus;
    tab.console.render_address(
        frame,
        listen,
        title("Listen on", Vec::new()),
        focus == Focus::Listen,
    );
    tab.target.render(
        frame,
        target,
        title("Forward to", Vec::new()),
        focus == Focus::Target,
    );
    frame.render_widget(
        Paragraph::new(crate::ui::fit_lines(status_lines(tab), status.width)),
        status,
    );
    let [pairs, faults] =
        Layout::horizontal([Constraint::Min(60), Constraint::Length(36)]).areas(middle);
    render_pairs(tab, frame, pairs);
    faults::render(
        frame,
        faults,
        &tab.config,
        tab.faults_cursor,
        focus == Focus::Faults,
    );
    render_held(tab, frame, held);
    let name = message_title(tab);
    tab.console
        .render_message(frame, message, &name, focus == Focus::Message);
    tab.console
        .render_log(frame, log, focus == Focus::Transcript);
    // Where each part is, for the mouse.
    tab.mouse.clear();
    tab.mouse.add(listen, Focus::Listen, Spot::Field);
    tab.mouse.add(target, Focus::Target, Spot::Field);
    let first = pairs.y.saturating_add(2);
    let offset = tab.table.offset();
    tab.mouse
        .add(pairs, Focus::Pairs, Spot::Table { first, offset });
    tab.mouse.add(faults, Focus::Faults, Spot::Scroll);
    tab.mouse.add(message, Focus::Message, Spot::Field);
    tab.mouse.add(log, Focus::Transcript, Spot::Scroll);
}

fn status_lines(tab: &RelayTab) -> Vec<Line<'static>> {
    let (dot, dot_style) = match tab.phase {
        Phase::Relaying(_) => ("● ", theme::good()),
        Phase::Starting | Phase::Stopping => ("◌ ", theme::warn()),
        Phase::Stopped => ("○ ", theme::dim()),
    };
    let mut first = vec![Span::styled(dot, dot_style)];
    if let Some(recording) = tab.recording.status() {
        first.push(Span::styled(format!("{recording} · "), theme::error()));
    }
    first.extend(tab.console.shown_status().line().spans);
    first.push(Span::styled(" · direction ", theme::dim()));
    first.push(Span::styled(tab.dir.arrow(), theme::key()));
    first.push(Span::styled(" (F5) · hold new ", theme::dim()));
    let hold_new = tab.config.hold_new[tab.dir.index()];
    first.push(if hold_new {
        Span::styled("on", theme::error())
    } else {
        Span::raw("off")
    });
    first.push(Span::styled(" (F7)", theme::dim()));
    let mut second = vec![Span::styled("  faults: ", theme::dim())];
    let mut any = false;
    for dir in Dir::BOTH {
        let on = tab.config.faults[dir.index()].describe();
        if !on.is_empty() {
            any = true;
            second.push(Span::styled(format!("{} ", dir.arrow()), theme::dim()));
            second.push(Span::styled(format!("{}  ", on.join(", ")), theme::error()));
        }
    }
    if !any {
        second.push(Span::styled(
            "none (Tab to the faults pane: Enter changes, Del turns off)",
            theme::dim(),
        ));
    }
    vec![Line::from(first), Line::from(second)]
}

fn message_title(tab: &RelayTab) -> String {
    if let Some((pair, dir, seq)) = tab.editing {
        let name = tab
            .pairs
            .iter()
            .find(|row| row.id == pair)
            .and_then(|row| row.held[dir.index()].iter().find(|c| c.seq == seq))
            .map_or_else(
                || format!("chunk {seq}"),
                |c| crate::narrate::relay::held_view(c).0,
            );
        return format!(
            "Edit {name} of {pair} {} (Enter applies, Esc cancels)",
            dir.arrow()
        );
    }
    match tab.selected() {
        Some(row) if row.is_open() && row.websocket => format!(
            "Inject into {} {} {} (Alt+W)",
            row.id,
            tab.dir.arrow(),
            tab.inject_as.label()
        ),
        Some(row) if row.is_open() => format!("Inject into {} {}", row.id, tab.dir.arrow()),
        _ => "Inject (select an open pair)".to_string(),
    }
}

fn render_held(tab: &RelayTab, frame: &mut Frame, area: Rect) {
    let dir = tab.dir;
    let (title, lines) = match tab.selected() {
        Some(row) => {
            let tuple = Line::from(vec![
                Span::styled("client ", theme::dim()),
                Span::raw(format!("{} → {}", row.client, row.local)),
                Span::styled("  ⇄  upstream ", theme::dim()),
                Span::raw(
                    row.upstream
                        .as_ref()
                        .map(|(local, remote)| format!("{local} → {remote}"))
                        .unwrap_or_else(|| "connecting…".into()),
                ),
            ]);
            let held = &row.held[dir.index()];
            let bytes: usize = held.iter().map(|chunk| chunk.bytes.len()).sum();
            let state = if row.hold[dir.index()] {
                "HELD"
            } else {
                "flowing"
            };
            let title = format!(
                " {} {} · {state} (F6) · {} chunk(s), {} B ",
                row.id,
                dir.arrow(),
                held.len(),
                count(bytes as u64)
            );
            let line = match held.front() {
                Some(next) => Line::from(vec![
                    Span::styled(
                        format!("next: {} ", crate::narrate::relay::held_view(next).0),
                        theme::dim(),
                    ),
                    Span::raw({
                        let shown = crate::narrate::relay::held_view(next).1;
                        sanitize(&shown[..shown.len().min(512)])
                    }),
                    Span::styled("  · s step · r release all · e edit · d drop", theme::dim()),
                ]),
                None => Line::styled(
                    "nothing held · F6 holds this direction of the selected pair",
                    theme::dim(),
                ),
            };
            (title, vec![tuple, line])
        }
        None => (
            " Held ".to_string(),
            vec![Line::styled("no pair selected", theme::dim())],
        ),
    };
    let style = if title.contains("HELD") {
        theme::error()
    } else {
        Style::default()
    };
    let block = theme::pane(Line::styled(title, style), false);
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn side_cell(row: &PairRow, side: usize) -> Cell<'static> {
    let state = row.sides[side];
    let connecting = side == 1 && row.upstream.is_none() && row.is_open();
    let word = state.word(connecting);
    let style = match word {
        "reset" | "failed" => theme::error(),
        "closed" => theme::dim(),
        "open" => Style::default(),
        _ => theme::warn(),
    };
    Cell::from(word).style(style)
}

fn render_pairs(tab: &mut RelayTab, frame: &mut Frame, area: Rect) {
    let open = tab.pairs.iter().filter(|row| row.is_open()).count();
    let block = theme::pane(
        format!(" Pairs · {open} open · {} accepted ", count(tab.accepted)),
        tab.focus == Focus::Pairs,
    );
    // Narrow terminals: the side states (also in the pane below), then the
    // age, give way before the counters.
    let keep = crate::ui::fit_columns(
        area.width.saturating_sub(4),
        // The tuple fits `127.0.0.1:59140 ⇄ :40378` (24) whole.
        &[(5, 0), (24, 0), (7, 2), (7, 2), (13, 0), (13, 0), (5, 1)],
    );
    let header = Row::new(crate::ui::kept(
        [
            "ID",
            "CLIENT ⇄ UPSTREAM",
            "CLIENT",
            "SERVER",
            "UP/reads",
            "DOWN/reads",
            "AGE",
        ],
        &keep,
    ))
    .style(theme::dim());
    let now = Instant::now();
    let rows: Vec<Row> = tab
        .pairs
        .iter()
        .map(|row| {
            let [up, down] = row
                .stats
                .as_ref()
                .map(|stats| [stats[0].snapshot(), stats[1].snapshot()])
                .unwrap_or_default();
            // Our listen address and the target are the same for every
            // pair: the table shows what differs (the selected pair's full
            // 4-tuples are in the pane below).
            let tuple = match &row.upstream {
                Some((Endpoint::Ip(local), _)) => {
                    format!("{} ⇄ :{}", row.client.short(), local.port())
                }
                Some((_, remote)) => {
                    let remote = match remote {
                        Endpoint::Unix(end) => end
                            .path
                            .as_deref()
                            .map_or("unix".into(), |p| format!("unix:{p}")),
                        Endpoint::Ip(addr) => addr.to_string(),
                    };
                    format!("{} ⇄ {remote}", row.client.short())
                }
                None => format!("{} ⇄ …", row.client.short()),
            };
            let ended = row.closed_at.unwrap_or(now);
            let held = row.hold.iter().any(|h| *h) && row.is_open();
            let id = format!("{}{}", row.id, if held { " H" } else { "" });
            let cells = [
                Cell::from(id),
                Cell::from(tuple),
                side_cell(row, 0),
                side_cell(row, 1),
                // Human units: the exact counts fit no column at flood
                // rates (they are in the Ctrl+O view).
                Cell::from(format!("{}/{}", bytes(up.bytes_in), compact(up.reads))),
                Cell::from(format!("{}/{}", bytes(down.bytes_in), compact(down.reads))),
                Cell::from(age(ended.saturating_duration_since(row.opened))),
            ];
            Row::new(crate::ui::kept(cells, &keep)).style(if row.is_open() {
                Style::default()
            } else {
                theme::dim()
            })
        })
        .collect();
    let widths = crate::ui::kept(
        [
            Constraint::Length(5),
            Constraint::Min(24),
            Constraint::Length(7),
            Constraint::Length(7),
            Constraint::Length(13),
            Constraint::Length(13),
            Constraint::Length(5),
        ],
        &keep,
    );
    let table = Table::new(rows, widths)
        .header(header)
        .block(block)
        .row_highlight_style(theme::highlight())
        .highlight_symbol("▶ ");
    let selected = tab.selected_index();
    tab.table.select(selected);
    frame.render_stateful_widget(table, area, &mut tab.table);
    if tab.pairs.is_empty() {
        let hint = match &tab.phase {
            Phase::Relaying(local) => format!(
                "  No pairs yet. Try: nc {} (relayed to {})",
                match local {
                    Endpoint::Ip(local) => format!("{} {}", local.ip(), local.port()),
                    Endpoint::Unix(end) => format!("-U {}", end.path.as_deref().unwrap_or("PATH")),
                },
                crate::text::sanitize_str(tab.running_target())
            ),
            _ => "  Enter starts the relay; then connect a client to Listen on.".to_string(),
        };
        let inner = Rect {
            x: area.x + 1,
            y: area.y + 2,
            width: area.width.saturating_sub(2),
            height: 1.min(area.height.saturating_sub(3)),
        };
        frame.render_widget(Paragraph::new(Line::styled(hint, theme::dim())), inner);
    }
}
