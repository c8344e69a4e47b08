//! Entering and leaving the full-screen terminal, restoring it on every way
//! out: normal quit, error return, and panic (the hook restores first, so
//! the panic message lands on a usable terminal).

use std::io::{self, stdout, Stdout};
use std::sync::Mutex;

use crossterm::cursor::Show;
use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::execute;
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;

/// The terminal netplay draws on.
pub type Tui = Terminal<CrosstermBackend<Stdout>>;

/// Raw mode, alternate screen, bracketed paste, mouse capture unless
/// `mouse` is off (`--no-mouse`); installs the panic hook.
pub fn enter(mouse: bool) -> io::Result<Tui> {
    install_panic_hook();
    enable_raw_mode()?;
    if let Err(err) = execute!(stdout(), EnterAlternateScreen, EnableBracketedPaste) {
        restore();
        return Err(err);
    }
    if mouse {
        if let Err(err) = execute!(stdout(), EnableMouseCapture) {
            restore();
            return Err(err);
        }
    }
    match Terminal::new(CrosstermBackend::new(stdout())) {
        Ok(mut terminal) => {
            let _ = terminal.clear();
            Ok(terminal)
        }
        Err(err) => {
            restore();
            Err(err)
        }
    }
}

/// Leaves raw mode, mouse capture and the alternate screen and shows the
/// cursor. Safe to call more than once; errors are ignored (there is
/// nothing better to do).
pub fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(
        stdout(),
        DisableMouseCapture,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        Show
    );
}

/// Panic messages from background threads, held until the terminal is back.
static DEFERRED_PANICS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// A panic on the main thread ends the program: restore, then report. A
/// panic on a runtime worker ends only that task (tokio catches it), and the
/// UI keeps running: its message is held and printed after the final restore,
/// instead of being written over the full-screen UI.
fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().name() == Some("main") {
            restore();
            previous(info);
        } else if let Ok(mut held) = DEFERRED_PANICS.lock() {
            held.push(info.to_string());
        }
    }));
}

/// Prints the panic messages of background tasks held while the UI ran.
/// Call after [`restore`].
pub fn report_deferred_panics() {
    if let Ok(mut held) = DEFERRED_PANICS.lock() {
        for message in held.drain(..) {
            eprintln!("netplay: a background task panicked: {message}");
        }
    }
}
