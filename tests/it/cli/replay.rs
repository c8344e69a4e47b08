//! Record and replay: a `tcp connect --record` session against netplay's
//! greet server, replayed as a mock server to the tutorial's client, and as
//! a client that checks a server (exit 1 when a reply changed).

use crate::common;

use std::io::{Read, Write};
use std::process::Stdio;

use common::cli::{netplay, Server};

/// Records the tutorial conversation with `tcp connect` against `addr`.
fn record_tutorial(addr: std::net::SocketAddr, file: &std::path::Path) {
    let mut child = netplay(&[
        "tcp",
        "connect",
        &addr.to_string(),
        "--eol",
        "none",
        "--record",
        file.to_str().unwrap(),
    ])
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let (tx, seen) = std::sync::mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        let mut buf = [0u8; 256];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut all = Vec::new();
    let wait_for = |needle: &[u8], all: &mut Vec<u8>| {
        while !all.windows(needle.len()).any(|w| w == needle) {
            all.extend(seen.recv_timeout(common::WAIT).expect("the server's reply"));
        }
    };
    wait_for(b"Welcome!", &mut all);
    for name in ["Michael", "Tracy", "Sarah"] {
        stdin.write_all(format!("{name}\n").as_bytes()).unwrap();
        wait_for(format!("Hello, {name}!").as_bytes(), &mut all);
    }
    stdin.write_all(b"exit\n").unwrap();
    assert!(child.wait().unwrap().success());
}

#[test]
fn a_recorded_session_answers_the_tutorial_client_and_checks_servers() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("session.jsonl");
    let greet = Server::start(&["tcp", "serve", "127.0.0.1:0"]);
    let greet_addr = greet.address("Listening on ");
    record_tutorial(greet_addr, &file);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with("{\"netplay_record\":1,"), "{text}");
    assert!(
        text.contains("\"dir\":\"in\",\"data\":\"Welcome!\""),
        "{text}"
    );
    assert!(
        text.contains("\"dir\":\"out\",\"data\":\"Michael\""),
        "{text}"
    );

    // As a mock server: the tutorial's client gets exactly its answers.
    let mock = Server::start(&["replay", file.to_str().unwrap(), "--serve", "127.0.0.1:0"]);
    let mock_addr = mock.address(" on ");
    common::tutorial_conversation(mock_addr);
    common::tutorial_conversation(mock_addr); // each connection on its own

    // As a client: the same server answers the same; another does not.
    let same = netplay(&[
        "replay",
        file.to_str().unwrap(),
        "--connect",
        &greet_addr.to_string(),
    ])
    .output()
    .unwrap();
    assert!(
        same.status.success(),
        "{}",
        String::from_utf8_lossy(&same.stderr)
    );
    let echo = Server::start(&["tcp", "serve", "127.0.0.1:0", "--mode", "echo"]);
    let echo_addr = echo.address("Listening on ");
    let differ = netplay(&[
        "replay",
        file.to_str().unwrap(),
        "--connect",
        &echo_addr.to_string(),
    ])
    .output()
    .unwrap();
    assert_eq!(differ.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&differ.stderr);
    assert!(stderr.contains("differ at byte 0"), "{stderr}");
}

#[test]
fn malformed_and_unknown_recordings_say_why() {
    let dir = tempfile::tempdir().unwrap();
    for (text, why) in [
        ("{\"netplay_record\":9}\n", "format 9"),
        ("garbage\n", "line 1: not JSON"),
        ("{\"netplay_record\":1}\n{\"t_us\":1}\n", "line 2"),
    ] {
        let file = dir.path().join("bad.jsonl");
        std::fs::write(&file, text).unwrap();
        let output = netplay(&["replay", file.to_str().unwrap(), "--serve", "127.0.0.1:0"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{text}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(why), "{text}: {stderr}");
    }
}

#[test]
fn a_client_that_sends_far_more_than_recorded_is_cut_off_and_others_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tiny.jsonl");
    std::fs::write(
        &file,
        "{\"netplay_record\":1,\"local\":\"a\",\"remote\":\"b\"}\n{\"t_us\":0,\"dir\":\"in\",\"data\":\"hi\"}\n{\"t_us\":1,\"dir\":\"out\",\"data\":\"x\"}\n",
    )
    .unwrap();
    let mock = Server::start(&["replay", file.to_str().unwrap(), "--serve", "127.0.0.1:0"]);
    let addr = mock.address(" on ");
    let mut client = common::tutorial_client(addr);
    common::expect_bytes(&mut client, b"hi");
    // Far more than the recording's one byte: the mock reads what the
    // recording says, closes, and holds none of the rest.
    let chunk = vec![b'z'; 1 << 20];
    let before = common::rss_kib(mock.child.id());
    for _ in 0..64 {
        if client.write_all(&chunk).is_err() {
            break; // the mock closed after the recorded byte: also fine
        }
    }
    let after = common::rss_kib(mock.child.id());
    assert!(
        after < before + 16 * 1024,
        "RSS grew from {before} to {after} KiB"
    );
    // Still serving others.
    let mut other = common::tutorial_client(addr);
    common::expect_bytes(&mut other, b"hi");
}

#[test]
fn out_of_descriptors_the_mock_server_backs_off_instead_of_spinning() {
    use std::io::{BufRead, BufReader, Read};
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hi.jsonl");
    std::fs::write(
        &file,
        "{\"netplay_record\":1}\n{\"t_us\":0,\"dir\":\"in\",\"data\":\"hi\"}\n{\"t_us\":1,\"dir\":\"out\",\"data\":\"x\"}\n",
    )
    .unwrap();
    let script = format!(
        "ulimit -n 40 && exec '{}' replay '{}' --serve 127.0.0.1:0",
        common::cli::BIN,
        file.display()
    );
    let mut child = Command::new("sh")
        .args(["-c", &script])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let addr: std::net::SocketAddr = line.trim().rsplit(' ').next().unwrap().parse().unwrap();
    // More clients than descriptors, all held open.
    let held: Vec<std::net::TcpStream> = (0..80)
        .filter_map(|_| std::net::TcpStream::connect(addr).ok())
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    drop(held);
    // Freed: a new client is served again.
    let mut client = common::tutorial_client(addr);
    common::expect_bytes(&mut client, b"hi");
    child.kill().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let _ = child.wait();
    let lines = stderr.lines().count();
    assert!(
        lines <= 10,
        "{lines} stderr lines (a spinning accept loop writes millions):\n{stderr}"
    );
    assert!(
        stderr.contains("open files") || stderr.is_empty(),
        "{stderr}"
    );
}

#[test]
#[cfg(unix)]
fn record_refuses_a_symlink_makes_the_file_private_and_leaves_nothing_when_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    // A symlink planted where the recording goes: refused, the target kept.
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "precious").unwrap();
    let link = dir.path().join("link.jsonl");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let output = netplay(&[
        "tcp",
        "connect",
        "127.0.0.1:9",
        "--record",
        link.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("symbolic link"));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    // A FIFO would block the open until a reader came: refused at once.
    let fifo = dir.path().join("fifo.jsonl");
    if std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success())
    {
        let output = netplay(&[
            "tcp",
            "connect",
            "127.0.0.1:9",
            "--record",
            fifo.to_str().unwrap(),
        ])
        .output()
        .unwrap();
        assert_eq!(output.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&output.stderr).contains("not a regular file"));
    }
    // A refused connect (nothing listens on a port just freed) leaves no
    // empty file, even one that existed before with another mode.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = free.local_addr().unwrap().to_string();
    drop(free);
    let file = dir.path().join("session.jsonl");
    let output = netplay(&[
        "tcp",
        "connect",
        &closed,
        "--record",
        file.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    assert!(!output.status.success());
    assert!(!file.exists(), "an empty recording was left behind");
    // A recorded session: the file is private even though it existed as 0644.
    std::fs::write(&file, "old").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let greet = Server::start(&["tcp", "serve", "127.0.0.1:0"]);
    let addr = greet.address("Listening on ");
    let output = netplay(&[
        "tcp",
        "connect",
        &addr.to_string(),
        "--record",
        file.to_str().unwrap(),
    ])
    .stdin(std::process::Stdio::null())
    .output()
    .unwrap();
    let _ = output;
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(std::fs::read_to_string(&file)
        .unwrap()
        .starts_with("{\"netplay_record\":1"));
}

#[test]
#[cfg(unix)]
fn record_replaces_by_rename_never_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("session.jsonl");
    let link = dir.path().join("hard-link.jsonl");
    std::fs::write(&file, "old").unwrap();
    std::fs::hard_link(&file, &link).unwrap();
    // A refused connect: the old file is left exactly as it was.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = free.local_addr().unwrap().to_string();
    drop(free);
    let output = netplay(&[
        "tcp",
        "connect",
        &closed,
        "--record",
        file.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    assert!(!output.status.success());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "old");
    // A recorded session takes the path's place; the hard link to the old
    // file still holds the old content (no truncation in place).
    let greet = Server::start(&["tcp", "serve", "127.0.0.1:0"]);
    let addr = greet.address("Listening on ").to_string();
    let output = netplay(&["tcp", "connect", &addr, "--record", file.to_str().unwrap()])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(std::fs::read_to_string(&file)
        .unwrap()
        .starts_with("{\"netplay_record\":1"));
    assert_eq!(std::fs::read_to_string(&link).unwrap(), "old");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.file_name().to_string_lossy().starts_with(".netplay-"))
        .collect();
    assert!(left.is_empty(), "no temporary file left behind");
}

#[test]
fn fifty_clients_that_never_read_share_one_recording_and_max_conn_refuses_more() {
    // A 16 MiB answer: before, every connection copied the recording (16
    // MiB each: 800 MiB for 50 clients).
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.jsonl");
    let answer = "x".repeat(16 << 20);
    std::fs::write(
        &file,
        format!("{{\"netplay_record\":1,\"side\":\"client\"}}\n{{\"t_us\":0,\"dir\":\"in\",\"data\":\"{answer}\"}}\n"),
    )
    .unwrap();
    let mock = Server::start(&[
        "replay",
        file.to_str().unwrap(),
        "--serve",
        "127.0.0.1:0",
        "--max-conn",
        "50",
    ]);
    let addr = mock.address(" on ");
    let pid = mock.child.id();
    let before = common::settled_rss(pid);
    let clients: Vec<std::net::TcpStream> = (0..50)
        .map(|_| std::net::TcpStream::connect(addr).unwrap())
        .collect();
    for _ in 0..50 {
        mock.line_with("Replaying to 127.0.0.1:");
    }
    let after = common::settled_rss(pid);
    eprintln!("50 non-reading clients: {before} KiB → {after} KiB");
    assert!(
        after < before + 100 * 1024,
        "RSS grew from {before} to {after} KiB: the recording is copied per connection"
    );
    // The 51st is refused at accept, said in one line; the others stay.
    let _extra = std::net::TcpStream::connect(addr).unwrap();
    let line = mock.line_with("Refused connection from 127.0.0.1:");
    assert!(line.contains("50 connections open (--max-conn)"), "{line}");
    drop(clients);
}

#[test]
fn record_says_at_once_when_the_path_names_no_file() {
    for bad in ["newdir/".to_string(), "a".repeat(300)] {
        let output = netplay(&["tcp", "connect", "127.0.0.1:9", "--record", &bad])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{bad}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("not a file name"), "{stderr}");
    }
}
