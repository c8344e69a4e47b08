//! The real `netplay` binary in a pseudo-terminal: what a person sees.

use netplay_pty as harness;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use harness::{Netplay, WAIT};

#[test]
fn launch_shows_tabs_and_help() {
    let mut np = Netplay::launch();
    let screen = np.wait_for_text("4 UDP");
    for tab in ["1 HTTP", "2 TCP Server", "3 TCP Client"] {
        assert!(screen.contains(tab), "{screen}");
    }
    np.press_f(1);
    // It opens at the tab's own keys; Home shows every tab's.
    np.wait_for_text("HTTP (Alt+1)");
    np.press_home();
    let help = np.wait_for_text("Everywhere");
    for key in [
        "Alt+1 / Alt+2 / Alt+3 / Alt+4",
        "Tab / Shift+Tab",
        "Enter",
        "Ctrl+C",
    ] {
        assert!(help.contains(key), "help lists {key}:\n{help}");
    }
    np.press_esc();
    np.wait_for_no_text("netplay keys");
}

#[test]
fn tutorial_chat_inside_one_netplay() {
    let mut np = Netplay::launch();
    np.wait_for_text("4 UDP");
    np.press_alt('2');
    np.wait_for_text("Listen on");
    np.fill_field("127.0.0.1:0");
    np.press_enter();
    let port = np.listening_port();
    np.wait_for_text("Waiting for connection...");

    np.press_alt('3');
    np.wait_for_text("Target");
    np.fill_field(&format!("127.0.0.1:{port}"));
    np.press_enter();
    np.wait_for_text("Welcome!");
    np.wait_for_text(&format!("⇄ 127.0.0.1:{port} (server)"));
    np.wait_for_text(&format!("Message to 127.0.0.1:{port}"));
    np.type_text("Michael");
    np.press_enter();
    np.wait_for_text("Hello, Michael!");

    np.press_alt('2');
    // A frame may be seen half-written, so wait for each line rather than
    // asserting on the first screen that has one of them.
    np.wait_for_text("Accept new connection from 127.0.0.1:");
    np.wait_for_text("received 8 B from 127.0.0.1:");
    np.wait_for_text("sent 16 B to 127.0.0.1:");
    np.wait_for_text("· 1 open");

    np.press_alt('3');
    np.wait_for_text("Target");
    np.press_tab();
    np.type_text("exit");
    np.press_enter();
    np.wait_for_text("Connection closed by peer");
    np.press_alt('2');
    np.wait_for_text("closed. (#");
    np.wait_for_text("· 0 open");
}

#[test]
fn tutorial_chat_through_the_relay_inside_one_netplay() {
    let mut np = Netplay::launch();
    np.wait_for_text("5 Relay");
    np.press_alt('2');
    np.wait_for_text("Listen on");
    np.fill_field("127.0.0.1:0");
    np.press_enter();
    let server_port = np.listening_port();

    np.press_alt('5');
    np.wait_for_text("Forward to");
    np.fill_field("127.0.0.1:0");
    np.press_tab();
    np.fill_field(&format!("127.0.0.1:{server_port}"));
    np.press_enter();
    let relay_port = np.port_after("Relaying ");
    np.wait_for_text(&format!("→ 127.0.0.1:{server_port}"));

    np.press_alt('3');
    np.wait_for_text("Target");
    np.fill_field(&format!("127.0.0.1:{relay_port}"));
    np.press_enter();
    np.wait_for_text("Welcome!");
    np.type_text("Michael");
    np.press_enter();
    np.wait_for_text("Hello, Michael!");

    np.press_alt('5');
    np.wait_for_text("client → server 8 B: Michael\\n");
    np.wait_for_text("server → client 16 B: Hello, Michael!\\n");
    np.wait_for_text("1 open · 1 accepted");
    np.wait_for_text("upstream 127.0.0.1:");

    np.press_alt('3');
    np.wait_for_text("Target");
    np.press_tab();
    np.type_text("exit");
    np.press_enter();
    np.wait_for_text("Connection closed by peer");
    np.press_alt('5');
    np.wait_for_text("0 open · 1 accepted");
    np.wait_for_text("closed: both sides closed");
}

/// TLS in one netplay: the server tab with a generated certificate, the
/// client tab verifying it (this process trusts what it generated), the
/// handshake details shown, and the HTTP tab fetching over HTTPS from the
/// same server in http mode, verification on.
#[test]
fn tls_between_the_tabs_with_a_generated_certificate() {
    let mut np = Netplay::launch();
    np.wait_for_text("5 Relay");
    np.press_alt('2');
    np.wait_for_text("Listen on");
    np.fill_field("127.0.0.1:0");
    np.press_ctrl('t');
    np.wait_for_text("TLS on (Ctrl+T)");
    np.press_enter();
    let port = np.listening_port();
    np.wait_for_text("signed by netplay's local CA");

    np.press_alt('3');
    np.wait_for_text("Target");
    np.fill_field(&format!("127.0.0.1:{port}"));
    np.press_ctrl('t');
    np.wait_for_text("TLS on, verified (Ctrl+T)");
    np.press_enter();
    np.wait_for_text("TLS handshake done in");
    np.wait_for_text("verified: signed by netplay's local CA");
    np.wait_for_text("certificate 0: CN=netplay local server");
    np.wait_for_text("names    DNS:localhost, IP:127.0.0.1, IP:::1");
    np.wait_for_text("Welcome!");
    np.type_text("Michael");
    np.press_enter();
    np.wait_for_text("Hello, Michael!");

    np.press_alt('2');
    np.wait_for_text("TLS handshake done with 127.0.0.1:");
    np.wait_for_text("TLSv1.3");
    np.press_tab(); // the TLS fields: certificate
    np.press_tab(); // key
    np.press_tab(); // the table
    np.press_tab(); // the message
    np.press_f(5); // greet → echo
    np.press_f(5); // → discard
    np.press_f(5); // → manual
    np.press_f(5); // → http
    np.wait_for_text("mode http");

    np.press_alt('1');
    np.wait_for_text("URL");
    np.fill_field(&format!("https://127.0.0.1:{port}/"));
    np.press_enter();
    np.wait_for_text("200 OK");
    np.press_f(2);
    np.press_f(2);
    np.wait_for_text("verified: signed by netplay's local CA");
}

#[test]
fn an_outside_peer_shows_up_at_once() {
    let mut np = Netplay::launch();
    np.press_alt('2');
    np.wait_for_text("Listen on");
    np.fill_field("127.0.0.1:0");
    np.press_enter();
    let port = np.listening_port();
    let mut peer = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let local = peer.local_addr().unwrap();
    peer.set_read_timeout(Some(WAIT)).unwrap();
    let mut welcome = [0u8; 8];
    peer.read_exact(&mut welcome).unwrap();
    assert_eq!(&welcome, b"Welcome!");
    // well under a second in practice; the harness deadline bounds it
    np.wait_for_text(&format!("Accept new connection from {local}..."));
    np.wait_for_text("· 1 open");
}

#[test]
fn a_hostile_peer_cannot_drive_the_terminal() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream
            .write_all(
                b"\x1b]0;pwned\x07\x1b]2;pwned2\x1b\\\x1b]52;c;aGFja2Vk\x07\x1b[2J\x1b[H\x1b[10;10H\x1b(0lqk\x1b(B\x07\x9b2J\xc2\x9b2J\x1bPq#0\x1b\\ HOSTILE-END",
            )
            .unwrap();
        stream
    });
    let mut np = Netplay::launch();
    np.press_alt('3');
    np.wait_for_text("Target");
    np.fill_field(&addr.to_string());
    let mark = np.raw_len();
    np.press_enter();
    let screen = np.wait_for_text("HOSTILE-END");
    let raw = np.raw_since(mark);

    // On the emulated screen: the bytes are shown escaped, the frame intact.
    assert!(screen.contains("\\x1b]0;pwned\\x07"), "{screen}");
    assert!(
        screen.contains("4 UDP") && screen.contains("Target"),
        "{screen}"
    );
    {
        let term = np.term();
        let screen = term.parser.screen();
        assert_eq!(screen.title(), "", "window title changed");
        assert_eq!(screen.icon_name(), "", "icon name changed");
        assert_eq!(screen.audible_bell_count(), 0, "bell rang");
    }
    // In the raw bytes netplay wrote: none of the peer's controls.
    let contains = |needle: &[u8]| raw.windows(needle.len()).any(|w| w == needle);
    assert!(!raw.contains(&0x07), "BEL written");
    assert!(!contains(b"\x1b]"), "an OSC was written");
    assert!(!contains(b"\x1bP"), "a DCS was written");
    assert!(!contains(b"\x1b(0"), "a charset switch was written");
    assert!(!contains(b"\x1b[2J"), "a clear screen was written");
    assert!(!contains(b"\x1b[H"), "a bare cursor-home was written");
    assert!(!contains(b"\xc2\x9b"), "a C1 CSI was written");
    drop(peer.join());
}

#[test]
fn resize_redraws_and_tiny_shows_a_message() {
    let mut np = Netplay::launch();
    np.wait_for_text("4 UDP");
    np.resize(80, 24);
    np.wait_until("a redraw at 80 columns", |term| {
        let screen = term.parser.screen().contents();
        screen.contains("4 UDP") && screen.lines().all(|line| line.chars().count() <= 80)
    });
    np.resize(30, 8);
    np.wait_for_text("Terminal too small");
    np.resize(140, 45);
    np.wait_for_text("4 UDP");
    np.wait_for_no_text("Terminal too small");
}

#[test]
fn ctrl_c_exits_zero_and_restores_the_terminal() {
    let mut np = Netplay::launch();
    np.wait_for_text("4 UDP");
    assert!(np.term().parser.screen().alternate_screen());
    np.press_ctrl('c');
    assert_eq!(np.wait_exit(), 0);
    assert_restored(&np);
}

#[test]
fn sigterm_and_sighup_exit_zero_and_restore_the_terminal() {
    for signal in ["-TERM", "-HUP"] {
        let mut np = Netplay::launch();
        np.wait_for_text("4 UDP");
        let status = std::process::Command::new("kill")
            .args([signal, &np.pid().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        assert_eq!(np.wait_exit(), 0, "{signal} is a clean stop");
        assert_restored(&np);
    }
}

#[test]
fn sigterm_removes_the_body_spool() {
    let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = server.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in server.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nspooled-body");
        }
    });
    let temp = tempfile::tempdir().unwrap();
    let tmpdir = temp.path().to_string_lossy().into_owned();
    let url = format!("http://{addr}/");
    let mut np = Netplay::start_with_env(120, 40, &["--addr", &url], &[("TMPDIR", &tmpdir)]);
    np.wait_for_text("Method");
    np.press_enter();
    np.wait_for_text("spooled-bod");
    let spools: Vec<_> = std::fs::read_dir(temp.path()).unwrap().collect();
    assert_eq!(spools.len(), 1, "one private spool directory while running");
    let status = std::process::Command::new("kill")
        .args(["-TERM", &np.pid().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    assert_eq!(np.wait_exit(), 0);
    assert_restored(&np);
    let left: Vec<_> = std::fs::read_dir(temp.path()).unwrap().collect();
    assert!(left.is_empty(), "spool left behind: {left:?}");
}

/// The terminal is as netplay found it: main screen, cursor shown, and the
/// last thing written after the last entry into the alternate screen is
/// the way out of it.
fn assert_restored(np: &Netplay) {
    let term = np.term();
    assert!(
        !term.parser.screen().alternate_screen(),
        "left the alternate screen"
    );
    assert!(!term.parser.screen().hide_cursor(), "cursor visible again");
    let raw = &term.raw;
    let last_enter = rfind(raw, b"\x1b[?1049h").expect("entered the alternate screen");
    let leave = rfind(raw, b"\x1b[?1049l").expect("left the alternate screen");
    assert!(leave > last_enter);
    assert!(rfind(raw, b"\x1b[?25h").expect("showed the cursor") > last_enter);
}

#[test]
fn a_panic_restores_the_terminal_then_prints_the_message() {
    let mut np = Netplay::start_with_env(100, 30, &[], &[("NETPLAY_PANIC_AFTER_START", "1")]);
    assert_ne!(np.wait_exit(), 0);
    let term = np.term();
    assert!(
        !term.parser.screen().alternate_screen(),
        "left the alternate screen"
    );
    assert!(!term.parser.screen().hide_cursor(), "cursor visible again");
    let raw = &term.raw;
    let leave = rfind(raw, b"\x1b[?1049l").expect("left the alternate screen");
    let message = rfind(raw, b"deliberate panic").expect("panic message printed");
    assert!(message > leave, "the message comes after the restore");
    assert!(term.parser.screen().contents().contains("deliberate panic"));
}

#[test]
fn idle_netplay_uses_no_cpu() {
    let np = Netplay::launch();
    np.wait_for_text("4 UDP");
    let before = np.cpu_time();
    // A measurement window, not synchronisation: nothing happens in it.
    std::thread::sleep(Duration::from_secs(3));
    let used = np.cpu_time() - before;
    assert!(
        used < Duration::from_millis(50),
        "idle netplay used {used:?} of CPU in 3 s"
    );
}

#[test]
fn http_tab_fetches_from_the_own_server_in_http_mode() {
    let mut np = Netplay::start(
        120,
        40,
        &["--tab", "server", "--addr", "127.0.0.1:0", "--mode", "http"],
    );
    np.wait_for_text("mode http");
    np.press_enter();
    let port = np.listening_port();
    np.press_alt('1');
    np.wait_for_text("Method");
    np.fill_field(&format!("http://127.0.0.1:{port}/from-the-pty"));
    np.wait_for_text("GET /from-the-pty HTTP/1.1");
    np.press_enter();
    np.wait_for_text("HTTP/1.1 200 OK\\r\\n");
    np.wait_for_text("Content-Length");
    np.wait_for_text("Server          netplay/");
    // Alt+H: the exchange into ./netplay.har, twice (appended, still HAR).
    np.press_alt('h');
    np.wait_for_text("Added the exchange to netplay.har");
    np.press_alt('h');
    // The status already says "Added": wait for the file itself.
    let read = || -> Option<serde_json::Value> {
        let text = std::fs::read_to_string(np.dir.join("netplay.har")).ok()?;
        serde_json::from_str(&text).ok()
    };
    let deadline = std::time::Instant::now() + WAIT;
    let har = loop {
        match read() {
            Some(har)
                if har["log"]["entries"]
                    .as_array()
                    .is_some_and(|e| e.len() == 2) =>
            {
                break har
            }
            _ if std::time::Instant::now() > deadline => panic!("no second entry: {:?}", read()),
            _ => std::thread::sleep(Duration::from_millis(20)),
        }
    };
    let entries = har["log"]["entries"].as_array().unwrap();
    assert_eq!(
        entries[0]["request"]["url"],
        format!("http://127.0.0.1:{port}/from-the-pty")
    );
    assert_eq!(entries[0]["response"]["status"], 200);
    assert!(entries[1]["timings"]["wait"].as_f64().is_some());
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

#[test]
fn udp_tab_answers_the_tutorial_client() {
    let mut np = Netplay::start(120, 40, &["--tab", "udp", "--addr", "127.0.0.1:0"]);
    np.wait_for_text("Bind");
    np.press_enter();
    let screen = np.wait_for_text("Bound 127.0.0.1:");
    let port: u16 = screen
        .split("Bound 127.0.0.1:")
        .nth(1)
        .map(|rest| {
            rest.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port:\n{screen}"));
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(WAIT)).unwrap();
    socket.send_to(b"Michael", ("127.0.0.1", port)).unwrap();
    let mut buf = [0u8; 64];
    let n = socket.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"Hello, Michael!");
    np.wait_for_text("Hello, Michael!");
    np.wait_for_text("in 1 (7 B)");
}

#[test]
fn f12_shows_saves_and_copies_the_code_behind_a_tab() {
    let mut np = Netplay::launch();
    np.wait_for_text("4 UDP");
    np.press_alt('2');
    np.wait_for_text("Listen on");
    np.press_f(12);
    np.wait_for_text("Code · TCP Server");
    np.wait_for_text("def tcplink(sock, addr):");
    np.send(b"s");
    np.wait_for_text("Saved to ./netplay-tcp-server.py");
    let saved = std::fs::read_to_string(np.dir.join("netplay-tcp-server.py")).unwrap();
    assert!(saved.contains("s.listen(5)"), "{saved}");
    // c copies with OSC 52: the script, base64-encoded, goes to the terminal.
    let mark = np.raw_len();
    np.send(b"c");
    np.wait_for_text("Copied the Python 3 page");
    let raw = np.raw_since(mark);
    let start = rfind(&raw, b"\x1b]52;c;").expect("an OSC 52 sequence") + 7;
    let end = start + raw[start..].iter().position(|b| *b == 0x07).expect("BEL");
    let copied = decode_base64(&raw[start..end]);
    assert_eq!(
        copied,
        saved.as_bytes(),
        "the clipboard gets the whole script"
    );
    np.press_f(12); // F12 closes it too; Right shows the one-liner
    np.wait_for_no_text("Code · TCP Server");
    np.press_f(12);
    np.wait_for_text("Code · TCP Server");
    np.send(b"\x1b[C");
    np.wait_for_text("nc -l 127.0.0.1 9999");
    np.press_esc();
    np.wait_for_no_text("Code · TCP Server");
}

fn decode_base64(text: &[u8]) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let mut out = Vec::new();
    for chunk in text.chunks(4) {
        let digits: Vec<u8> = chunk
            .iter()
            .filter(|c| **c != b'=')
            .map(|c| value(*c))
            .collect();
        let bits = digits
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, d)| acc | (u32::from(*d) << (18 - 6 * i)));
        for i in 0..digits.len().saturating_sub(1) {
            out.push((bits >> (16 - 8 * i)) as u8);
        }
    }
    out
}

#[test]
fn the_last_target_is_remembered_across_runs_unless_no_state() {
    let home = tempfile::tempdir().unwrap();
    let state_home = home.path().to_str().unwrap().to_string();
    let env = [("XDG_STATE_HOME", state_home.as_str())];
    let mut np = Netplay::start_with_env(120, 40, &[], &env);
    np.wait_for_text("4 UDP");
    np.press_alt('3');
    np.wait_for_text("Target");
    np.fill_field("127.0.0.1:4242");
    np.wait_for_text("127.0.0.1:4242");
    np.press_ctrl('c');
    assert_eq!(np.wait_exit(), 0);
    let file = home.path().join("netplay/state");
    let saved = std::fs::read_to_string(&file).expect("the state file");
    assert!(saved.contains("client.target=127.0.0.1:4242"), "{saved}");

    let mut np = Netplay::start_with_env(120, 40, &["--tab", "client"], &env);
    np.wait_for_text("127.0.0.1:4242");
    np.press_ctrl('c');
    assert_eq!(np.wait_exit(), 0);

    // --no-state: the default, and nothing written.
    let mut np = Netplay::start_with_env(120, 40, &["--tab", "client", "--no-state"], &env);
    np.wait_for_text("127.0.0.1:9999");
    np.fill_field("127.0.0.1:5151");
    np.wait_for_text("127.0.0.1:5151");
    np.press_ctrl('c');
    assert_eq!(np.wait_exit(), 0);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), saved);

    // The command line wins over the remembered target.
    let mut np = Netplay::start_with_env(
        120,
        40,
        &["--tab", "client", "--addr", "127.0.0.1:6161"],
        &env,
    );
    np.wait_for_text("127.0.0.1:6161");
    np.press_ctrl('c');
    assert_eq!(np.wait_exit(), 0);
}

#[test]
fn sgr_mouse_clicks_switch_tabs_and_run_footer_hints_and_no_mouse_leaves_it() {
    let mut np = Netplay::launch();
    let screen = np.wait_for_text("4 UDP");
    // SGR mouse: press and release of the left button at a 1-based cell.
    let click = |np: &mut Netplay, column: usize, row: usize| {
        np.send(format!("\x1b[<0;{column};{row}M\x1b[<0;{column};{row}m").as_bytes());
    };
    let title_row = screen
        .lines()
        .position(|line| line.contains("4 UDP"))
        .unwrap();
    let line = screen.lines().nth(title_row).unwrap();
    let column = line[..line.find("4 UDP").unwrap()].chars().count();
    click(&mut np, column + 2, title_row + 1);
    np.wait_for_text("Send to");
    np.wait_for_text("Bind");
    // The footer's F5 hint (mode) runs F5: greet → echo.
    let screen = np.wait_for_text("F5 mode");
    let footer_row = screen
        .lines()
        .position(|line| line.contains("F5 mode"))
        .unwrap();
    let line = screen.lines().nth(footer_row).unwrap();
    let column = line[..line.find("F5 mode").unwrap()].chars().count();
    click(&mut np, column + 2, footer_row + 1);
    np.wait_for_text("mode echo");
    np.press_ctrl('c');
    assert_eq!(np.wait_exit(), 0);

    // --no-mouse: the same click does nothing (the terminal keeps the mouse).
    let mut np = Netplay::start(120, 40, &["--no-mouse"]);
    let screen = np.wait_for_text("4 UDP");
    let line = screen.lines().next().unwrap();
    let column = line[..line.find("4 UDP").unwrap()].chars().count();
    let mark = np.raw_len();
    click(&mut np, column + 2, 1);
    np.press_alt('2');
    np.wait_for_text("Listen on");
    assert!(!String::from_utf8_lossy(&np.raw_since(mark)).contains("Bind"));
    np.press_ctrl('c');
    assert_eq!(np.wait_exit(), 0);
}

/// The `.http` variable bomb (960 KB that grew to 3.7 GB and aborted,
/// leaving the terminal in the alternate screen) opens under a 512 MiB
/// address-space limit, says what it stopped, and quits cleanly.
#[test]
fn a_variable_bomb_http_file_opens_within_512_mib() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.http");
    let mut bomb = format!(
        "@a = {}\n### bomb\nPOST http://127.0.0.1:9/\n\n",
        "A".repeat(60_000)
    );
    for _ in 0..150_000 {
        bomb.push_str("{{a}}\n");
    }
    std::fs::write(&path, bomb).unwrap();
    let file = path.to_str().unwrap();
    let mut np = Netplay::start_limited(120, 40, &["--file", file], &[], Some(512 * 1024));
    np.wait_for_text("bomb.http: 1 request");
    np.press_alt('r');
    np.wait_for_text("expand past");
    np.press_esc();
    // Esc then Ctrl+C at once would read as Alt+Ctrl+C: one key at a time.
    np.wait_for_no_text("expand past");
    np.press_ctrl('c');
    assert_eq!(np.wait_exit(), 0, "a clean quit, not an abort");
}
