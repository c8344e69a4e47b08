//! The Relay tab's faults pane: one row per fault, one column per
//! direction; Enter cycles a fault through its presets, Del turns it off.
//! Every fault that is on shows in red.

use std::time::Duration;

use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Cell, Row, Table};
use ratatui::Frame;

use crate::format::{count, human_duration};
use crate::net::relay::{Dir, Faults, RelayConfig, DEFAULT_SLICE_DELAY};
use crate::ui::shell::theme;

/// The faults, in the pane's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Delay per chunk.
    Latency,
    /// ± random delay.
    Jitter,
    /// Bytes a second.
    Bandwidth,
    /// N-byte writes.
    Slicer,
    /// Close after N bytes.
    Limit,
    /// RST both sides.
    Reset,
    /// Drop the bytes, keep the sockets.
    Blackhole,
    /// Delay the FIN.
    SlowClose,
}

impl Fault {
    /// Every fault, top to bottom.
    pub const ALL: [Fault; 8] = [
        Fault::Latency,
        Fault::Jitter,
        Fault::Bandwidth,
        Fault::Slicer,
        Fault::Limit,
        Fault::Reset,
        Fault::Blackhole,
        Fault::SlowClose,
    ];

    /// The row's name.
    pub fn name(self) -> &'static str {
        match self {
            Fault::Latency => "latency",
            Fault::Jitter => "jitter",
            Fault::Bandwidth => "bandwidth",
            Fault::Slicer => "slicer",
            Fault::Limit => "limit",
            Fault::Reset => "reset",
            Fault::Blackhole => "blackhole",
            Fault::SlowClose => "slow close",
        }
    }

    /// The fault's value in `faults`, in words; `None` when it is off.
    pub fn value(self, faults: &Faults) -> Option<String> {
        let ms = |d: Duration| (!d.is_zero()).then(|| human_duration(d));
        match self {
            Fault::Latency => ms(faults.latency),
            Fault::Jitter => ms(faults.jitter).map(|d| format!("± {d}")),
            Fault::Bandwidth => faults.bandwidth.map(rate),
            Fault::Slicer => faults
                .slice
                .map(|n| format!("{n} B/{}", human_duration(faults.slice_delay))),
            Fault::Limit => faults.limit.map(|n| format!("{} B", count(n))),
            Fault::Reset => faults.reset.then(|| "on".to_string()),
            Fault::Blackhole => faults.blackhole.then(|| "on".to_string()),
            Fault::SlowClose => ms(faults.slow_close),
        }
    }

    /// Moves the fault to its next preset (the last wraps to off).
    pub fn cycle(self, faults: &mut Faults) {
        fn next<T: PartialEq + Copy>(choices: &[T], now: T) -> T {
            let at = choices
                .iter()
                .position(|c| *c == now)
                .map_or(0, |at| at + 1);
            choices[at % choices.len()]
        }
        let ms = Duration::from_millis;
        match self {
            Fault::Latency => {
                faults.latency = next(&[ms(0), ms(50), ms(200), ms(1000)], faults.latency)
            }
            Fault::Jitter => faults.jitter = next(&[ms(0), ms(20), ms(100)], faults.jitter),
            Fault::Bandwidth => {
                let rates = [
                    None,
                    Some(1_000),
                    Some(10_000),
                    Some(100_000),
                    Some(1_000_000),
                ];
                faults.bandwidth = next(&rates, faults.bandwidth);
            }
            Fault::Slicer => {
                faults.slice = next(&[None, Some(1), Some(4), Some(16)], faults.slice);
                faults.slice_delay = DEFAULT_SLICE_DELAY;
            }
            Fault::Limit => {
                let limits = [None, Some(10), Some(100), Some(1024), Some(65_536)];
                faults.limit = next(&limits, faults.limit);
            }
            Fault::Reset => faults.reset = !faults.reset,
            Fault::Blackhole => faults.blackhole = !faults.blackhole,
            Fault::SlowClose => {
                faults.slow_close = next(&[ms(0), ms(1000), ms(5000)], faults.slow_close)
            }
        }
    }

    /// Turns the fault off.
    pub fn clear(self, faults: &mut Faults) {
        let off = Faults::default();
        match self {
            Fault::Latency => faults.latency = off.latency,
            Fault::Jitter => faults.jitter = off.jitter,
            Fault::Bandwidth => faults.bandwidth = off.bandwidth,
            Fault::Slicer => faults.slice = off.slice,
            Fault::Limit => faults.limit = off.limit,
            Fault::Reset => faults.reset = off.reset,
            Fault::Blackhole => faults.blackhole = off.blackhole,
            Fault::SlowClose => faults.slow_close = off.slow_close,
        }
    }
}

/// A rate in few columns: `500 B/s`, `10 kB/s`, `1.5 MB/s`.
fn rate(bytes_per_second: u64) -> String {
    match bytes_per_second {
        n if n >= 1_000_000 => format!("{} MB/s", trim(n as f64 / 1e6)),
        n if n >= 1_000 => format!("{} kB/s", trim(n as f64 / 1e3)),
        n => format!("{n} B/s"),
    }
}

fn trim(value: f64) -> String {
    let text = format!("{value:.1}");
    text.strip_suffix(".0").map(str::to_string).unwrap_or(text)
}

/// Where the faults pane's cursor is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultCursor {
    /// The row.
    pub fault: usize,
    /// The column.
    pub dir: Dir,
}

impl Default for FaultCursor {
    fn default() -> Self {
        Self {
            fault: 0,
            dir: Dir::Up,
        }
    }
}

impl FaultCursor {
    /// The fault under the cursor.
    pub fn fault(self) -> Fault {
        Fault::ALL[self.fault.min(Fault::ALL.len() - 1)]
    }

    /// The arrows; whether the key moved the cursor.
    pub fn key(&mut self, code: crossterm::event::KeyCode) -> bool {
        use crossterm::event::KeyCode;
        match code {
            KeyCode::Up => self.fault = self.fault.saturating_sub(1),
            KeyCode::Down => self.fault = (self.fault + 1).min(Fault::ALL.len() - 1),
            KeyCode::Left => self.dir = Dir::Up,
            KeyCode::Right => self.dir = Dir::Down,
            _ => return false,
        }
        true
    }
}

/// Draws the pane: faults down, directions across, the cursor highlighted
/// while `focused`.
pub fn render(
    frame: &mut Frame,
    area: Rect,
    config: &RelayConfig,
    cursor: FaultCursor,
    focused: bool,
) {
    let on: usize = Dir::BOTH
        .iter()
        .map(|dir| config.faults[dir.index()].describe().len())
        .sum();
    // A short pane shows a few faults at a time: it scrolls with the
    // cursor, and the title says which of the eight is selected.
    let shown = usize::from(area.height.saturating_sub(3));
    let count = if on == 0 {
        "none".to_string()
    } else {
        format!("{on} on")
    };
    let title = if shown < Fault::ALL.len() {
        let at = format!("{}/{}", cursor.fault + 1, Fault::ALL.len());
        let full = format!(" Faults · {count} · {at} ");
        // Narrow: the position stays (what is on is also on the status line).
        if full.chars().count() + 2 <= usize::from(area.width) {
            full
        } else {
            format!(" Faults {at} ")
        }
    } else {
        format!(" Faults · {count} ")
    };
    let block = theme::pane(title, focused);
    let header = Row::new(["", "→ server", "→ client"]).style(theme::dim());
    let rows: Vec<Row> = Fault::ALL
        .iter()
        .enumerate()
        .map(|(at, fault)| {
            let cells = Dir::BOTH.iter().map(|dir| {
                let value = fault.value(&config.faults[dir.index()]);
                let style = if value.is_some() {
                    theme::error()
                } else {
                    theme::dim()
                };
                let under = focused && cursor.fault == at && cursor.dir == *dir;
                let style = if under {
                    style.patch(theme::highlight())
                } else {
                    style
                };
                Cell::from(value.unwrap_or_else(|| "off".into())).style(style)
            });
            let mut row = vec![Cell::from(fault.name())];
            row.extend(cells);
            Row::new(row)
        })
        .collect();
    let widths = [
        Constraint::Length(10),
        Constraint::Length(11),
        Constraint::Length(11),
    ];
    let mut state = ratatui::widgets::TableState::default().with_selected(Some(cursor.fault));
    frame.render_stateful_widget(
        Table::new(rows, widths).header(header).block(block),
        area,
        &mut state,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fault_cycles_back_to_off() {
        for fault in Fault::ALL {
            let mut faults = Faults::default();
            assert_eq!(fault.value(&faults), None, "{fault:?} starts off");
            fault.cycle(&mut faults);
            assert!(fault.value(&faults).is_some(), "{fault:?} turns on");
            for _ in 0..10 {
                if fault.value(&faults).is_none() {
                    break;
                }
                fault.cycle(&mut faults);
            }
            assert_eq!(fault.value(&faults), None, "{fault:?} wraps to off");
            fault.cycle(&mut faults);
            fault.clear(&mut faults);
            assert_eq!(fault.value(&faults), None, "{fault:?} clears");
        }
    }
}
