//! Helpers for the UI tests through ratatui's TestBackend: keys by name,
//! the screen as text, and folding engine events until text shows.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use netplay::net::{Engine, Event};
use netplay::ui::shell::event_loop::{App, StartOptions};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use tokio::sync::mpsc;

// The function keys by name, as the footer and help write them.
pub const F1: KeyCode = KeyCode::F(1);
pub const F2: KeyCode = KeyCode::F(2);
pub const F3: KeyCode = KeyCode::F(3);
pub const F4: KeyCode = KeyCode::F(4);
pub const F5: KeyCode = KeyCode::F(5);
pub const F6: KeyCode = KeyCode::F(6);
pub const F7: KeyCode = KeyCode::F(7);

pub fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

pub fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

pub fn alt(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::ALT)
}

pub fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        app.on_key(key(KeyCode::Char(c)));
    }
}

/// Renders the app and returns the screen as lines of text.
pub fn screen(app: &mut App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| netplay::ui::shell::frame::draw(frame, app))
        .unwrap();
    let buffer = terminal.backend().buffer();
    let mut text = String::new();
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            text.push_str(buffer[(x, y)].symbol());
        }
        text.push('\n');
    }
    text
}

pub fn show(app: &mut App) -> String {
    screen(app, 120, 40)
}

/// Folds engine events into the app until the screen contains `needle`.
pub async fn pump_until(app: &mut App, rx: &mut mpsc::Receiver<Event>, needle: &str) -> String {
    pump_until_count(app, rx, needle, 1).await
}

/// Folds engine events until `needle` appears `times` times on screen.
pub async fn pump_until_count(
    app: &mut App,
    rx: &mut mpsc::Receiver<Event>,
    needle: &str,
    times: usize,
) -> String {
    let deadline = tokio::time::Instant::now() + super::WAIT;
    loop {
        let text = show(app);
        if text.matches(needle).count() >= times {
            return text;
        }
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(event)) => app.on_engine(event),
            Ok(None) => panic!("engine closed"),
            Err(_) => panic!("timed out waiting for {times}× {needle:?}; screen:\n{text}"),
        }
    }
}

/// The port number printed right after `marker` on the screen.
pub fn port_after(text: &str, marker: &str) -> u16 {
    text.split(marker)
        .nth(1)
        .map(|rest| {
            rest.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .and_then(|digits| digits.parse().ok())
        .unwrap_or_else(|| panic!("no port after {marker:?} on screen:\n{text}"))
}

pub fn new_app() -> (App, mpsc::Receiver<Event>) {
    let (engine, rx) = Engine::new(tokio::runtime::Handle::current());
    (App::new(engine, StartOptions::default()), rx)
}

pub fn set_field(app: &mut App, text: &str) {
    // Ctrl+U in tui-textarea deletes to line head; End first.
    app.on_key(key(KeyCode::End));
    app.on_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    type_text(app, text);
}

/// The TCP Server tab listening on `addr` in http mode (F5 four times:
/// greet → echo → discard → manual → http); the screen once it listens.
pub async fn http_server_tab(app: &mut App, rx: &mut mpsc::Receiver<Event>, addr: &str) -> String {
    app.on_key(alt('2'));
    set_field(app, addr);
    for _ in 0..4 {
        app.on_key(key(KeyCode::F(5)));
    }
    app.on_key(key(KeyCode::Enter));
    pump_until(app, rx, "Listening on ").await
}
