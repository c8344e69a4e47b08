//! Alt+K in the real binary: the TCP Server tab captures its connections
//! into a pcapng file that tshark reads back byte for byte.

use crate::common;

use netplay_pty as harness;

use harness::Netplay;

#[test]
fn alt_k_on_the_server_tab_captures_the_tutorial_chat() {
    if !common::tshark::available() {
        return;
    }
    let mut np = Netplay::start(120, 40, &["--tab", "server", "--addr", "127.0.0.1:0"]);
    np.wait_for_text("Listen on");
    np.press_enter();
    let port = np.listening_port();
    np.press_alt('k');
    np.wait_for_text("Capturing every new connection to netplay-server-");
    common::tutorial_conversation(([127, 0, 0, 1], port).into());
    np.wait_for_text("· 0 open");
    np.press_alt('k');
    let screen = np.wait_for_text("Capture written: ./netplay-server-");
    let name = screen
        .split("Capture written: ./")
        .nth(1)
        .and_then(|rest| rest.split(".pcapng").next())
        .expect("the file's name");
    let file = np.dir.join(format!("{name}.pcapng"));
    let output = std::process::Command::new("tshark")
        .arg("-r")
        .arg(&file)
        .args(["-q", "-z", "follow,tcp,ascii,0"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("Welcome!") && text.contains("Hello, Sarah!"),
        "{text}"
    );
    assert!(text.contains("Michael") && text.contains("exit"), "{text}");
}

/// The file the status or log names after "Capture written: ./".
fn written(np: &Netplay, stem: &str) -> std::path::PathBuf {
    let screen = np.wait_for_text(&format!("Capture written: ./{stem}-"));
    let name = screen
        .split("Capture written: ./")
        .nth(1)
        .and_then(|rest| rest.split(".pcapng").next())
        .expect("the file's name");
    np.dir.join(format!("{name}.pcapng"))
}

fn tshark(file: &std::path::Path, args: &[&str]) -> String {
    common::tshark::says(file, args)
}

#[test]
fn alt_k_on_the_client_tab_captures_the_next_connection_whole() {
    if !common::tshark::available() {
        return;
    }
    // A peer that answers once and closes first.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        let (mut peer, _) = listener.accept().unwrap();
        let mut buf = [0u8; 64];
        let n = peer.read(&mut buf).unwrap();
        peer.write_all(b"Hello, ").unwrap();
        peer.write_all(&buf[..n]).unwrap();
    });
    let target = format!("127.0.0.1:{port}");
    let mut np = Netplay::start(120, 40, &["--tab", "client", "--addr", &target]);
    np.wait_for_text(&target);
    np.press_alt('k');
    np.wait_for_text("Capture on: each connection from now");
    np.press_enter();
    np.wait_for_text("Connected");
    np.type_text("Sarah");
    np.press_enter();
    let file = written(&np, "netplay-client");
    let follow = tshark(&file, &["-q", "-z", "follow,tcp,ascii,0"]);
    assert!(
        follow.contains("Sarah") && follow.contains("Hello, Sarah"),
        "{follow}"
    );
    let fins = tshark(&file, &["-Y", "tcp.flags.fin == 1"]);
    assert_eq!(fins.lines().count(), 2, "a FIN each way: {fins}");
}

#[test]
fn alt_k_on_the_http_and_udp_tabs_writes_what_tshark_reads() {
    if !common::tshark::available() {
        return;
    }
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
    np.press_alt('k');
    np.wait_for_text("Capture on");
    np.fill_field(&format!("http://127.0.0.1:{port}/captured"));
    np.wait_for_text("GET /captured HTTP/1.1");
    np.press_enter();
    np.wait_for_text("HTTP/1.1 200 OK\\r\\n");
    let file = written(&np, "netplay-http");
    let http = tshark(
        &file,
        &[
            "-Y",
            "http",
            "-T",
            "fields",
            "-e",
            "http.request.uri",
            "-e",
            "http.response.code",
        ],
    );
    let rows: Vec<&str> = http.lines().map(str::trim).collect();
    assert_eq!(rows, ["/captured", "200"], "{http}");

    // UDP: the bound socket's datagrams, both ways, until Alt+K stops.
    np.press_alt('4');
    np.wait_for_text("Bind");
    np.fill_field("127.0.0.1:0");
    np.press_enter();
    let screen = np.wait_for_text("Bound 127.0.0.1:");
    let udp_port: u16 = screen
        .split("Bound 127.0.0.1:")
        .nth(1)
        .map(|rest| {
            rest.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port:\n{screen}"));
    np.press_alt('k');
    np.wait_for_text("Capturing every datagram of this socket");
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(common::WAIT)).unwrap();
    let big = vec![b'x'; 1200];
    for message in [&b"Michael"[..], &big] {
        socket.send_to(message, ("127.0.0.1", udp_port)).unwrap();
        let mut buf = [0u8; 2048];
        socket.recv(&mut buf).unwrap();
    }
    np.wait_for_text("Packets · 4");
    np.press_alt('k');
    let file = written(&np, "netplay-udp");
    let lengths = tshark(&file, &["-T", "fields", "-e", "udp.length"]);
    let lengths: Vec<&str> = lengths.lines().collect();
    // Greet mode: "Hello, Michael!" back, and the 1,200 bytes greeted whole.
    assert_eq!(
        lengths,
        ["15", "23", "1208", "1216"],
        "every datagram whole"
    );
}
