//! The TCP Server tab speaking WebSocket (Alt+W), in the real binary, to a
//! real WebSocket library: what a person sees in the log.

use netplay_pty as harness;

use std::net::TcpStream;

use harness::{Netplay, WAIT};
use tungstenite::Message;

#[test]
fn the_server_tab_greets_a_websocket_client_and_logs_each_frame() {
    let mut np = Netplay::launch();
    np.wait_for_text("4 UDP");
    np.press_alt('2');
    np.wait_for_text("Listen on");
    np.fill_field("127.0.0.1:0");
    np.press_alt('w');
    np.wait_for_text("over WebSocket");
    np.press_enter();
    let port = np.listening_port();
    np.wait_for_text("Waiting for connection...");

    let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(WAIT)).unwrap();
    let (mut ws, _) =
        tungstenite::client(format!("ws://127.0.0.1:{port}/tutorial"), stream).unwrap();
    assert_eq!(ws.read().unwrap(), Message::text("Welcome!"));
    ws.send(Message::text("Michael")).unwrap();
    assert_eq!(ws.read().unwrap(), Message::text("Hello, Michael!"));

    np.wait_for_text("upgraded to WebSocket: 101 Switching Protocols for GET /tutorial");
    np.wait_for_text("text frame · FIN · 7 B · mask ");
    np.wait_for_text("text frame · FIN · 15 B: Hello, Michael!");
    // The table counts messages: one in, two out (Welcome! and the reply).
    np.wait_for_text("/1 msg");
    np.wait_for_text("/2 msg");
    ws.close(None).unwrap();
    np.wait_for_text("close frame · FIN · 0 B");
    np.wait_for_text("· 0 open");
}
