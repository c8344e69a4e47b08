//! The UDP tab in a multicast group: `GROUP:PORT@IFACE` as the bind
//! address joins it (said in the log); a datagram to the group arrives
//! marked with the group, and the tab's own send to the group is marked
//! as multicast.

use crate::common;

use common::ui::*;
use crossterm::event::KeyCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binding_a_group_address_joins_it_and_hears_the_group() {
    let pid = std::process::id();
    let group = format!("239.254.{}.{}", (pid >> 8) & 0xff, pid & 0xff);
    let (mut app, mut rx) = new_app();
    app.on_key(alt('4'));
    set_field(&mut app, &format!("{group}:0@127.0.0.1"));
    app.on_key(key(KeyCode::Enter));
    let text = pump_until(&mut app, &mut rx, "Joined multicast group").await;
    assert!(text.contains(&format!("{group} on 127.0.0.1")), "{text}");
    let port = port_after(&text, "Bound 0.0.0.0:");
    // Another process sends to the group, out of loopback.
    let sent = common::cli::netplay(&[
        "udp",
        "send",
        &format!("{group}:{port}"),
        "Tracy",
        "--multicast-if",
        "127.0.0.1",
        "--wait",
        "1000",
    ])
    .output()
    .unwrap();
    assert!(
        sent.status.success(),
        "{}",
        String::from_utf8_lossy(&sent.stderr)
    );
    let text = pump_until(&mut app, &mut rx, "Tracy").await;
    // Its row says it was sent to the group (IP_PKTINFO), in its own column.
    assert!(text.contains("TO GROUP/BCAST"), "{text}");
    assert!(
        text.lines()
            .any(|line| line.contains("Tracy") && line.contains(&group)),
        "{text}"
    );
    // The tab's own send to the group: marked, and heard by itself
    // (multicast loopback).
    app.on_key(key(KeyCode::Tab));
    set_field(&mut app, &format!("{group}:{port}"));
    app.on_key(key(KeyCode::Tab));
    type_text(&mut app, "all");
    app.on_key(key(KeyCode::Enter));
    app.on_key(key(KeyCode::Tab));
    pump_until(&mut app, &mut rx, "multicast address").await;
}
