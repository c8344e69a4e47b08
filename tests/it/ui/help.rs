//! The help overlay and the overlays over a tab, as a person meets them:
//! the help opens at the tab one is on and wraps to any width; an overlay
//! leaves no slivers of the tab beside it; a terminal too small says so.

use crate::common;

use common::ui::*;
use crossterm::event::KeyCode;

#[tokio::test]
async fn help_overlay_lists_every_global_key() {
    let (mut app, _rx) = new_app();
    app.on_key(key(F1));
    // It opens at the tab one is on; Home goes to the keys of every tab.
    assert!(show(&mut app).contains("HTTP (Alt+1)"));
    app.on_key(key(KeyCode::Home));
    let text = show(&mut app);
    for needle in ["Alt+1", "Tab / Shift+Tab", "Enter", "F1", "Ctrl+C"] {
        assert!(text.contains(needle), "help shows {needle}:\n{text}");
    }
    // Page through the whole help.
    let mut pages = String::new();
    for _ in 0..30 {
        app.on_key(key(KeyCode::PageDown));
        pages.push_str(&show(&mut app));
    }
    for needle in ["kick", "half-close", "Single-letter keys"] {
        assert!(
            pages.contains(needle),
            "scrolled help shows {needle}:\n{pages}"
        );
    }
    app.on_key(key(KeyCode::Esc));
    assert!(!show(&mut app).contains("netplay keys"));
}

#[tokio::test]
async fn help_at_80_columns_opens_at_the_tab_and_wraps_at_words() {
    let (mut app, _rx) = new_app();
    app.on_key(alt('4'));
    app.on_key(key(F1));
    let text = screen(&mut app, 80, 24);
    let first = text
        .lines()
        .find(|line| line.contains("│UDP (Alt+4)") || line.contains("│ UDP (Alt+4)"));
    assert!(first.is_some(), "opens at the UDP section:\n{text}");
    // Every word of a long sentence is on screen somewhere (wrapped, not
    // cut at the border): the mouse line of the global section.
    app.on_key(key(KeyCode::Home));
    let mut all = String::new();
    for _ in 0..4 {
        all.push_str(&screen(&mut app, 80, 24));
        app.on_key(key(KeyCode::PageDown));
    }
    let words: String = all
        .lines()
        .map(|line| line.trim_matches(|c| c == '│' || c == ' '))
        .collect::<Vec<_>>()
        .join(" ");
    let words: Vec<&str> = words.split_whitespace().collect();
    let joined = words.join(" ");
    assert!(
        joined.contains("--no-mouse leaves the mouse to the terminal"),
        "{all}"
    );
}

#[tokio::test]
async fn an_overlay_leaves_no_slivers_of_the_tab_beside_it() {
    let (mut app, _rx) = new_app();
    app.on_key(alt('4'));
    app.on_key(key(KeyCode::F(12)));
    for (cols, rows) in [(80, 24), (100, 30)] {
        let text = screen(&mut app, cols, rows);
        assert!(text.contains("Code · UDP"), "{text}");
        assert!(
            !text.contains("╭ Bind") && !text.contains("Not bound"),
            "the tab shows around the overlay at {cols}×{rows}:\n{text}"
        );
    }
}

#[tokio::test]
async fn too_small_terminal_gets_a_message() {
    let (mut app, _rx) = new_app();
    let text = screen(&mut app, 40, 10);
    assert!(text.contains("Terminal too small"), "{text}");
    assert!(screen(&mut app, 120, 40).contains("TCP Server"));
}
