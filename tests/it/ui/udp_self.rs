//! A datagram sent to the tab's own address comes back to it: said, so it
//! does not look like an echo from someone else.

use crate::common;

use common::ui::*;
use crossterm::event::KeyCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_datagram_sent_to_our_own_address_is_said_to_be_ours() {
    let (mut app, mut rx) = new_app();
    app.on_key(alt('4'));
    set_field(&mut app, "127.0.0.1:0");
    app.on_key(key(KeyCode::F(5))); // greet → echo
    app.on_key(key(KeyCode::F(5))); // → silent: no answer to ourselves
    app.on_key(key(KeyCode::Enter));
    let text = pump_until(&mut app, &mut rx, "Bound 127.0.0.1:").await;
    let port = port_after(&text, "Bound 127.0.0.1:");
    app.on_key(key(KeyCode::Tab)); // send to
    set_field(&mut app, &format!("127.0.0.1:{port}"));
    app.on_key(key(KeyCode::Tab)); // the message
    type_text(&mut app, "me");
    app.on_key(key(KeyCode::Enter));
    pump_until(&mut app, &mut rx, "our own datagram").await;
}
