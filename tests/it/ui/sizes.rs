//! Every tab at 80 × 24 and at 200 × 60, in TestBackend snapshots: what a
//! person sees on a small and on a large terminal at start. The footer
//! keeps F1 help and Ctrl+C quit and drops whole hints, never half a word.
//!
//! The snapshots are in `tests/snapshots/`; after a deliberate change to
//! the layout, `NETPLAY_BLESS=1 cargo test --test it ui::sizes` rewrites them
//! (review the diff).

use crate::common;

use common::ui::*;

const SIZES: [(u16, u16); 2] = [(80, 24), (200, 60)];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tab_at_80x24_and_200x60_matches_its_snapshot() {
    let (mut app, _rx) = new_app();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let bless = std::env::var_os("NETPLAY_BLESS").is_some();
    let mut differ = Vec::new();
    for (number, name) in [
        (1, "http"),
        (2, "tcp-server"),
        (3, "tcp-client"),
        (4, "udp"),
        (5, "relay"),
    ] {
        app.on_key(alt(char::from(b'0' + number)));
        for (cols, rows) in SIZES {
            let text = screen(&mut app, cols, rows);
            let lines: Vec<&str> = text.lines().collect();
            assert_eq!(lines.len(), usize::from(rows));
            let footer = lines[lines.len() - 1].trim_end();
            assert!(
                footer.ends_with("F1 help  Ctrl+C quit"),
                "{name} {cols}×{rows}: the footer keeps help and quit: {footer:?}"
            );
            for line in &lines {
                assert!(
                    unicode_width::UnicodeWidthStr::width(*line) <= usize::from(cols),
                    "{name} {cols}×{rows}: a line wider than the screen: {line:?}"
                );
            }
            let version = env!("CARGO_PKG_VERSION");
            let stable = text.replace(&format!("netplay/{version}"), "netplay/VERSION");
            let path = dir.join(format!("{name}-{cols}x{rows}.txt"));
            if bless {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&path, &stable).unwrap();
                continue;
            }
            let expected = std::fs::read_to_string(&path).unwrap_or_else(|err| {
                panic!("{}: {err} (NETPLAY_BLESS=1 writes it)", path.display())
            });
            if expected != stable {
                differ.push(format!("{}:\n{stable}", path.display()));
            }
        }
    }
    assert!(
        differ.is_empty(),
        "screens differ from their snapshots:\n{}",
        differ.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_60x20_every_tab_title_shows_and_columns_are_whole() {
    let (mut app, _rx) = new_app();
    app.on_key(alt('2'));
    let text = screen(&mut app, 60, 20);
    let bar = text.lines().next().unwrap();
    for title in ["1 HTTP", "2 Server", "3 Client", "4 UDP", "5 Relay"] {
        assert!(bar.contains(title), "{bar}");
    }
    let header = text
        .lines()
        .find(|line| line.contains("PEER"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        header.contains("IN/reads") && header.contains("STATE"),
        "{header}"
    );
    assert!(
        !header.contains("OUT/wri ") && !header.contains("IN/read "),
        "{header}"
    );
}
