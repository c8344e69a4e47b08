//! Timed sends typed in the TUI: Alt+T (a repeat with jitter and a count)
//! and Alt+F (a file, one block or line by line) on the client and UDP
//! tabs, counted exactly by `std::net` peers on loopback.

use crate::common;

use std::io::Read;
use std::net::{TcpListener, UdpSocket};
use std::time::Duration;

use common::ui::*;
use crossterm::event::KeyCode;

/// A TCP peer that reads everything until the client closes.
fn reading_peer() -> (std::net::SocketAddr, std::thread::JoinHandle<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let reader = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(common::WAIT)).unwrap();
        let mut all = Vec::new();
        let _ = stream.read_to_end(&mut all);
        all
    });
    (addr, reader)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alt_t_repeats_the_client_message_with_jitter_exactly_count_times() {
    let (mut app, mut rx) = new_app();
    let (addr, reader) = reading_peer();
    app.on_key(alt('3'));
    set_field(&mut app, &addr.to_string());
    app.on_key(key(KeyCode::Enter));
    pump_until(&mut app, &mut rx, "Connected to").await;
    type_text(&mut app, "tick;");
    app.on_key(alt('t'));
    assert!(show(&mut app).contains("Repeat the message"));
    // A wrong spec says why and the prompt stays.
    type_text(&mut app, "fast");
    app.on_key(key(KeyCode::Enter));
    let text = show(&mut app);
    assert!(text.contains("not a duration"), "{text}");
    set_field(&mut app, "20ms ±5ms x5");
    app.on_key(key(KeyCode::Enter));
    let text = pump_until(&mut app, &mut rx, "5/5 sent").await;
    assert!(text.contains("repeating every 20 ms ±5 ms"), "{text}");
    app.on_key(key(KeyCode::F(8)));
    pump_until(&mut app, &mut rx, "Disconnected").await;
    assert_eq!(reader.join().unwrap(), b"tick;\n".repeat(5));
    // The prompt remembers the last repeat.
    app.on_key(alt('t'));
    assert!(show(&mut app).contains("20ms ±5ms x5"));
    app.on_key(key(KeyCode::Esc));
    assert!(!show(&mut app).contains("Repeat the message"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alt_f_sends_a_file_line_by_line_or_as_one_block_on_the_client() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("script.txt");
    std::fs::write(&file, b"HELO a\r\nMAIL b\n\xff binary\n").unwrap();
    for (lines, pieces) in [(true, "3/3 sent"), (false, "1/1 sent")] {
        let (mut app, mut rx) = new_app();
        let (addr, reader) = reading_peer();
        app.on_key(alt('3'));
        set_field(&mut app, &addr.to_string());
        app.on_key(key(KeyCode::Enter));
        pump_until(&mut app, &mut rx, "Connected to").await;
        app.on_key(alt('f'));
        if lines {
            app.on_key(key(KeyCode::Tab));
            assert!(show(&mut app).contains("line by line"));
        }
        app.on_paste(&file.display().to_string());
        app.on_key(key(KeyCode::Enter));
        let text = pump_until(&mut app, &mut rx, pieces).await;
        assert!(text.contains("sending script.txt"), "{text}");
        if lines {
            // Each line its own write.
            let text = pump_until(&mut app, &mut rx, "3 writes").await;
            assert!(text.contains("out 24 B"), "{text}");
        }
        app.on_key(key(KeyCode::F(8)));
        pump_until(&mut app, &mut rx, "Disconnected").await;
        assert_eq!(reader.join().unwrap(), std::fs::read(&file).unwrap());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alt_f_says_why_a_file_cannot_be_sent() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, mut rx) = new_app();
    let (addr, _reader) = reading_peer();
    app.on_key(alt('3'));
    set_field(&mut app, &addr.to_string());
    app.on_key(key(KeyCode::Enter));
    pump_until(&mut app, &mut rx, "Connected to").await;
    for (path, why) in [
        (dir.path().join("missing"), "Cannot send"),
        (dir.path().to_path_buf(), "not a regular file"),
    ] {
        app.on_key(alt('f'));
        app.on_paste(&path.display().to_string());
        app.on_key(key(KeyCode::Enter));
        let text = show(&mut app);
        assert!(text.contains(why), "{why}:\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn udp_alt_t_counts_and_alt_f_sends_one_datagram_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lines.txt");
    std::fs::write(&file, b"one\ntwo\nthree").unwrap();
    let (mut app, mut rx) = new_app();
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    peer.set_read_timeout(Some(common::WAIT)).unwrap();
    let addr = peer.local_addr().unwrap();
    app.on_key(alt('4'));
    app.on_key(key(KeyCode::Tab)); // send to
    set_field(&mut app, &addr.to_string());
    app.on_key(key(KeyCode::Tab)); // the message
    type_text(&mut app, "beat");
    app.on_key(alt('t'));
    type_text(&mut app, "10ms x3");
    app.on_key(key(KeyCode::Enter));
    let mut buf = [0u8; 64];
    for _ in 0..3 {
        let (len, _) = peer.recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..len], b"beat");
    }
    pump_until(&mut app, &mut rx, "3/3 sent (F9)").await;
    app.on_key(alt('f'));
    app.on_key(key(KeyCode::Tab)); // line by line
    type_text(&mut app, &file.display().to_string());
    app.on_key(key(KeyCode::Enter));
    for line in [&b"one\n"[..], b"two\n", b"three"] {
        let (len, _) = peer.recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..len], line);
    }
    let text = pump_until_count(&mut app, &mut rx, "3/3 sent", 1).await;
    assert!(text.contains("sending lines.txt line by line · "), "{text}");
    // F9 now stops the finished file send and says how it ended.
    app.on_key(key(KeyCode::F(9)));
    let text = show(&mut app);
    assert!(text.contains("Stopped: sending lines.txt"), "{text}");
    // Nothing more comes: the count is exact.
    peer.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    assert!(peer.recv_from(&mut buf).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_count_is_what_the_socket_took_even_when_the_peer_never_reads() {
    let (mut app, mut rx) = new_app();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let held = std::thread::spawn(move || listener.accept().unwrap().0);
    app.on_key(alt('3'));
    set_field(&mut app, &addr.to_string());
    app.on_key(key(KeyCode::Enter));
    pump_until(&mut app, &mut rx, "Connected to").await;
    let _peer = held.join().unwrap();
    app.on_paste(&"x".repeat(60_000));
    app.on_key(alt('t'));
    type_text(&mut app, "1ms");
    app.on_key(key(KeyCode::Enter));
    // Let the buffers fill: the sends then wait on a peer that reads nothing.
    let deadline = tokio::time::Instant::now() + common::WAIT;
    let mut last = String::new();
    loop {
        tokio::time::sleep(Duration::from_millis(300)).await;
        while let Ok(event) = rx.try_recv() {
            app.on_engine(event);
        }
        let text = show(&mut app);
        let line = text
            .lines()
            .find(|line| line.contains(" sent (F7)"))
            .unwrap_or_default()
            .to_string();
        if line == last && !line.is_empty() {
            break;
        }
        last = line;
        assert!(
            tokio::time::Instant::now() < deadline,
            "never settled:\n{text}"
        );
    }
    // Settled: the count equals the writes the socket made.
    let text = show(&mut app);
    let sent: u64 = last
        .split(" sent (F7)")
        .next()
        .and_then(|head| head.rsplit(' ').next())
        .map(|n| n.replace(',', ""))
        .and_then(|n| n.parse().ok())
        .expect("a count");
    assert!(
        text.contains(&format!("{} writes", count_text(sent))),
        "{sent} sent but:\n{text}"
    );
}

fn count_text(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (at, c) in digits.chars().enumerate() {
        if at > 0 && (digits.len() - at) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}
