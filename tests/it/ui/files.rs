//! What the UI writes to files it did not create: a loaded `.http`
//! collection swapped for a FIFO is refused at once (Alt+W never blocks the
//! screen), and the file is left as it was.

use crate::common;

use common::ui::*;
use netplay::net::Engine;
use netplay::ui::{App, StartOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg(unix)]
async fn alt_w_refuses_a_fifo_without_waiting() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("api.http");
    std::fs::write(&path, "### one\nGET http://127.0.0.1:9/ HTTP/1.1\n").unwrap();
    let (engine, _rx) = Engine::new(tokio::runtime::Handle::current());
    let options = StartOptions {
        http_file: Some(path.clone()),
        ..StartOptions::default()
    };
    let mut app = App::new(engine, options);
    assert!(show(&mut app).contains("api.http: 1 request"));
    // The collection's file becomes a FIFO with no reader: an append that
    // opened it would wait forever on the UI thread.
    std::fs::remove_file(&path).unwrap();
    let made = std::process::Command::new("mkfifo").arg(&path).status();
    if !made.is_ok_and(|s| s.success()) {
        return; // no mkfifo here: nothing to test
    }
    let started = std::time::Instant::now();
    app.on_key(alt('w'));
    let text = show(&mut app);
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    assert!(
        text.contains("Not appended to") && text.contains("not a regular file"),
        "{text}"
    );
}
