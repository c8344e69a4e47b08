//! How a transcript shows what arrived: a new row after each `\n` in the
//! data (as nc shows lines, the `\n` still visible), and long words kept
//! whole when a row wraps.

use crate::common;

use std::io::Write;

use common::ui::*;
use crossterm::event::KeyCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_of_several_lines_shows_one_row_per_line() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        // One write, so most likely one read: the rows come from the data.
        stream
            .write_all(b"first line of the reply\nsecond line of the reply\n")
            .unwrap();
        // Open until the tab goes away (its close ends this read).
        let _ = std::io::Read::read(&mut stream, &mut [0u8; 1]);
    });
    let (mut app, mut rx) = new_app();
    app.on_key(alt('3'));
    set_field(&mut app, &addr.to_string());
    app.on_key(key(KeyCode::Enter));
    let text = pump_until(&mut app, &mut rx, "second line of the reply").await;
    let rows: Vec<&str> = text.lines().collect();
    let first = rows
        .iter()
        .position(|row| row.contains("first line of the reply\\n"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        rows[first + 1].contains("second line of the reply\\n")
            && !rows[first].contains("second line"),
        "one row per line:\n{text}"
    );
}
