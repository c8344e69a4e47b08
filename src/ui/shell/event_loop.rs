//! The event loop that ties input, engine and drawing together without ever
//! waiting on the network. The state it drives (`App`, the tabs) lives in
//! the UI (`crate::ui::shell::app`); it is re-exported here for the binary and the
//! tests.

use std::time::Duration;

use anyhow::Result;
use crossterm::event::Event as TermEvent;
use futures_util::{Stream, StreamExt};
use ratatui::backend::Backend;
use ratatui::Terminal;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::net::Event;
pub use crate::ui::shell::app::{App, StartOptions, Tab};

/// Longest time between two frames while something changes (60 fps cap).
pub const FRAME: Duration = Duration::from_micros(16_667);

/// Engine events folded per wake-up before input gets another look.
pub const EVENT_BATCH: usize = 512;

/// Runs the UI until Ctrl+C: wakes on input, engine events or a deadline,
/// answers input first, folds engine events in batches, draws at most once
/// per frame and only when something changed. Idle, it sleeps.
///
/// `input` is crossterm's `EventStream` in the binary; tests pass their own.
pub async fn run<B, S>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    mut input: S,
    mut events: mpsc::Receiver<Event>,
) -> Result<()>
where
    B: Backend,
    S: Stream<Item = std::io::Result<TermEvent>> + Unpin,
{
    let mut dirty = true;
    let mut next_frame = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut engine_open = true;
    // Engine events are taken in at most once per frame: a busy connection
    // then costs the UI one wake-up per frame, not one per read, and the
    // network threads keep the CPU (the channel holds what arrives in
    // between; keys are still answered at once).
    let mut intake_at = Instant::now();
    loop {
        if dirty && Instant::now() >= next_frame {
            terminal.draw(|frame| crate::ui::shell::frame::draw(frame, app))?;
            dirty = false;
            next_frame = Instant::now() + FRAME;
        }
        if app.quit {
            return Ok(());
        }
        let ticking = app.needs_tick() || app.state_pending();
        let intake_open = Instant::now() >= intake_at;
        tokio::select! {
            biased;
            term = input.next() => match term {
                // A key is drawn at once, not at the next frame: the frame
                // cap is for floods of engine events, and a person types
                // far below it.
                Some(Ok(TermEvent::Key(key))) => {
                    app.notice = None;
                    app.on_key(key);
                    app.state_touched();
                    if let Some(text) = app.clipboard.take() {
                        copy_to_clipboard(&text);
                    }
                    dirty = true;
                    next_frame = Instant::now();
                }
                Some(Ok(TermEvent::Paste(text))) => {
                    app.on_paste(&text);
                    app.state_touched();
                    dirty = true;
                    next_frame = Instant::now();
                }
                Some(Ok(TermEvent::Mouse(mouse))) => {
                    app.on_mouse(mouse);
                    if let Some(text) = app.clipboard.take() {
                        copy_to_clipboard(&text);
                    }
                    app.state_touched();
                    dirty = true;
                    next_frame = Instant::now();
                }
                Some(Ok(TermEvent::Resize(..))) => {
                    terminal.autoresize()?;
                    dirty = true;
                }
                Some(Ok(_)) => {}
                Some(Err(err)) => return Err(err.into()),
                None => return Ok(()),
            },
            event = events.recv(), if engine_open && intake_open => match event {
                Some(event) => {
                    app.on_engine(event);
                    for _ in 1..EVENT_BATCH {
                        match events.try_recv() {
                            Ok(event) => app.on_engine(event),
                            Err(_) => break,
                        }
                    }
                    dirty = true;
                    intake_at = Instant::now() + FRAME;
                }
                None => engine_open = false,
            },
            () = tokio::time::sleep_until(intake_at), if engine_open && !intake_open => {}
            () = tokio::time::sleep_until(next_frame), if dirty => {}
            _ = tick.tick(), if ticking => {
                app.on_tick();
                if app.state_pending() {
                    app.flush_state();
                }
                dirty = true;
            }
        }
    }
}

/// Asks the terminal to put `text` on the clipboard (OSC 52), written
/// straight to the terminal between two frames. Only ever on a key press.
fn copy_to_clipboard(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout();
    let _ = out.write_all(crate::ui::widgets::code_view::osc52(text).as_bytes());
    let _ = out.flush();
}
