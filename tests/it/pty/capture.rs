//! Alt+K in the real binary: the TCP Server tab captures its connections
//! into a pcapng file that tshark reads back byte for byte.

use crate::common;

use netplay_pty as harness;

use harness::Netplay;

#[test]
fn alt_k_on_the_server_tab_captures_the_tutorial_chat() {
    let tshark = std::process::Command::new("tshark")
        .arg("--version")
        .output();
    if !tshark.is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: tshark is not installed (.ci/run installs it)");
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
