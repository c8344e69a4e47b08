//! The mouse through the app (TestBackend, synthetic crossterm events):
//! tab titles, fields, table rows, the wheel, footer hints.

use crate::common;

use common::ui::*;
use crossterm::event::{KeyCode, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use netplay::ui::shell::event_loop::App;
use netplay::ui::tabs::tcp_server::Focus as ServerFocus;

/// Where `needle` starts on the 120×40 screen (column, row).
fn find(app: &mut App, needle: &str) -> (u16, u16) {
    let text = show(app);
    for (row, line) in text.lines().enumerate() {
        if let Some(at) = line.find(needle) {
            let column = line[..at].chars().count();
            return (column as u16, row as u16);
        }
    }
    panic!("{needle:?} not on screen:\n{text}");
}

fn mouse(kind: MouseEventKind, (column, row): (u16, u16)) -> MouseEvent {
    MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    }
}

fn click(app: &mut App, at: (u16, u16)) {
    app.on_mouse(mouse(MouseEventKind::Down(MouseButton::Left), at));
    app.on_mouse(mouse(MouseEventKind::Up(MouseButton::Left), at));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tabs_fields_rows_the_wheel_and_footer_hints_answer_clicks() {
    let (mut app, mut rx) = new_app();
    show(&mut app);
    let title = find(&mut app, "2 TCP Server");
    click(&mut app, (title.0 + 3, title.1));
    assert!(
        show(&mut app).contains("Listen on"),
        "the tab title switched tabs"
    );
    set_field(&mut app, "127.0.0.1:0");
    app.on_key(key(KeyCode::Enter));
    let text = pump_until(&mut app, &mut rx, "Listening on 127.0.0.1:").await;
    let port = port_after(&text, "Listening on 127.0.0.1:");
    let mut clients = Vec::new();
    for _ in 0..3 {
        clients.push(std::net::TcpStream::connect(("127.0.0.1", port)).unwrap());
    }
    pump_until(&mut app, &mut rx, "· 3 open").await;
    // A click on a row that is not selected selects it (the message
    // title names it).
    let text = show(&mut app);
    let (row, id) = text
        .lines()
        .enumerate()
        .find_map(|(row, line)| {
            let id = line.strip_prefix("│  #")?.split_whitespace().next()?;
            Some((row as u16, id.to_string()))
        })
        .expect("an unselected row");
    assert!(!text.contains(&format!("Send to #{id} ")), "{text}");
    click(&mut app, (20, row));
    assert_eq!(app.server.focus, ServerFocus::Connections);
    assert!(
        show(&mut app).contains(&format!("Send to #{id} ")),
        "{}",
        show(&mut app)
    );
    // A field: a click puts the keyboard there.
    let message = find(&mut app, "reply to the selected connection");
    click(&mut app, message);
    assert_eq!(app.server.focus, ServerFocus::Message);
    // The wheel over the log focuses and scrolls it.
    let log = find(&mut app, "Server log");
    app.on_mouse(mouse(MouseEventKind::ScrollUp, (log.0 + 5, log.1 + 2)));
    assert_eq!(app.server.focus, ServerFocus::Log);
    // A footer hint runs its key: F5 mode → echo.
    let hint = find(&mut app, "F5 mode");
    click(&mut app, (hint.0 + 1, hint.1));
    assert!(show(&mut app).contains("mode echo"), "{}", show(&mut app));
    // Overlays take no clicks: under F12 the tab bar does nothing.
    app.on_key(key(KeyCode::F(12)));
    let title = find(&mut app, "3 TCP Client");
    click(&mut app, (title.0 + 3, title.1));
    assert!(show(&mut app).contains("Code · TCP Server"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_too_small_terminal_clicks_do_nothing() {
    let (mut app, _rx) = new_app();
    show(&mut app);
    let title = find(&mut app, "4 UDP");
    let text = screen(&mut app, 50, 15);
    assert!(text.contains("Terminal too small"), "{text}");
    click(&mut app, (title.0 + 2, title.1));
    show(&mut app);
    assert_eq!(
        app.tab,
        netplay::ui::shell::event_loop::Tab::Http,
        "the hidden tab bar took no click"
    );
}
