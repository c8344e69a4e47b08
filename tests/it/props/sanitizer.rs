//! Property tests for the untrusted-bytes gate: whatever a peer sends, no
//! character that could drive a terminal reaches the screen.

use netplay::net::Payload;
use netplay::text::{hex_dump, is_unsafe_char, parse_escapes, sanitize};
use netplay::ui::widgets::log_view::{Kind, LogView};
use proptest::prelude::*;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

/// Bytes biased towards the dangerous ones: ESC, BEL, C1, DEL, and the
/// UTF-8 encodings of C1 and bidi controls.
fn hostile_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        any::<u8>().prop_map(|b| vec![b]),
        Just(b"\x1b".to_vec()),
        Just(b"\x07".to_vec()),
        Just(b"\x9b".to_vec()),
        Just(b"\x7f".to_vec()),
        Just("\u{9b}".as_bytes().to_vec()),
        Just("\u{202e}".as_bytes().to_vec()),
        Just(b"\x1b]52;c;".to_vec()),
        Just("é世".as_bytes().to_vec()),
    ];
    prop::collection::vec(piece, 0..64).prop_map(|pieces| pieces.concat())
}

proptest! {
    /// What an edit of held relay bytes starts from gives the same bytes back.
    #[test]
    fn escaped_bytes_parse_back_exactly(bytes in hostile_bytes()) {
        let text = netplay::text::escape_bytes(&bytes);
        prop_assert!(!text.chars().any(is_unsafe_char), "{:?}", text);
        prop_assert_eq!(netplay::text::parse_escapes(&text).unwrap(), bytes);
    }

    #[test]
    fn sanitized_text_has_no_unsafe_character(bytes in hostile_bytes()) {
        let shown = sanitize(&bytes);
        prop_assert!(!shown.chars().any(is_unsafe_char), "{:?}", shown);
    }

    #[test]
    fn escapes_round_trip_without_tabs(bytes in hostile_bytes()) {
        prop_assume!(!bytes.contains(&b'\t'));
        prop_assert_eq!(parse_escapes(&sanitize(&bytes)).unwrap(), bytes);
    }

    #[test]
    fn no_rendered_cell_holds_a_control_character(bytes in hostile_bytes(), hex in any::<bool>()) {
        let mut view = LogView::new("log");
        view.push_data(Kind::In, "peer: ", Payload::of(&bytes));
        view.hex = hex;
        let mut terminal = Terminal::new(TestBackend::new(60, 12)).unwrap();
        terminal.draw(|frame| view.render(frame, frame.area(), true)).unwrap();
        for cell in terminal.backend().buffer().content() {
            prop_assert!(
                !cell.symbol().chars().any(is_unsafe_char),
                "cell {:?}", cell.symbol()
            );
        }
    }

    #[test]
    fn hex_dump_is_always_printable(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        for line in hex_dump(&bytes) {
            prop_assert!(line.chars().all(|c| c.is_ascii_graphic() || c == ' '));
        }
    }
}
