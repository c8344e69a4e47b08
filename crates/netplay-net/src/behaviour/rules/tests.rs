//! Rules: the example, captures, counters, close and ignore, the
//! default rule, line numbers of bad rules, and the line splitter.

use super::*;

fn peer() -> std::net::SocketAddr {
    "127.0.0.1:40000".parse().unwrap()
}

#[test]
fn the_example_answers_ping_with_its_number_and_counter() {
    let rules =
        Rules::parse("# a mock\n^PING (\\d+)$ => PONG $1 #{{n}}\\n\n^QUIT$ => close\n").unwrap();
    assert_eq!(rules.len(), 2);
    let mut splitter = LineSplitter::default();
    let lines = splitter.feed(b"PING 7\nPING 8\n");
    let replies: Vec<Matched> = lines
        .iter()
        .enumerate()
        .filter_map(|(at, line)| rules.answer(line, at as u64 + 1, peer()))
        .collect();
    assert_eq!(
        replies,
        [
            Matched {
                rule: 2,
                action: Action::Reply(b"PONG 7 #1\n".to_vec())
            },
            Matched {
                rule: 2,
                action: Action::Reply(b"PONG 8 #2\n".to_vec())
            },
        ]
    );
    assert_eq!(
        rules.answer(b"QUIT", 3, peer()),
        Some(Matched {
            rule: 3,
            action: Action::Close
        })
    );
    assert_eq!(
        rules.answer(b"other", 3, peer()),
        None,
        "no match, no reply"
    );
}

#[test]
fn substitutions_default_ignore_and_escapes() {
    let rules = Rules::parse(
        "^secret => ignore\n^(\\w+) (\\w+)$ => $2 $1 ($0, {{len}} B) from {{peer}}\\r\\n\n* => ?\\x21 \\$1 \\{{n}}\n",
    )
    .unwrap();
    assert_eq!(
        rules.answer(b"secret stuff", 1, peer()).unwrap().action,
        Action::Ignore
    );
    assert_eq!(
        rules.answer(b"hello world", 1, peer()).unwrap().action,
        Action::Reply(b"world hello (hello world, 11 B) from 127.0.0.1:40000\r\n".to_vec())
    );
    assert_eq!(
        rules.answer(b"\xff\x00 binary", 4, peer()).unwrap(),
        Matched {
            rule: 3,
            action: Action::Reply(b"?! $1 {{n}}".to_vec())
        }
    );
    let time = Rules::parse("* => {{time}}").unwrap();
    let Action::Reply(stamp) = time.answer(b"x", 1, peer()).unwrap().action else {
        panic!("a reply");
    };
    let stamp = String::from_utf8(stamp).unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(&stamp).is_ok(),
        "{stamp}"
    );
}

#[test]
fn bad_rules_are_reported_by_line() {
    let errors = Rules::parse("ok => fine\nno arrow here\n\n# comment\n([ => x\n=> empty\n* => {{nope}}\n* => bad \\xZZ\n").unwrap_err();
    let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, [2, 5, 6, 7, 8], "{errors:?}");
    assert!(
        errors[0].to_string().starts_with("line 2: no `=>`"),
        "{}",
        errors[0]
    );
    assert!(
        errors[1].reason.starts_with("bad pattern (["),
        "{}",
        errors[1]
    );
    assert!(
        errors[3].reason.contains("unknown substitution {{nope}}"),
        "{}",
        errors[3]
    );
}

#[test]
fn lines_are_reassembled_across_reads_and_bounded() {
    let mut splitter = LineSplitter::default();
    let mut lines = Vec::new();
    for byte in b"PING 1\r\nPI" {
        lines.extend(splitter.feed(&[*byte]));
    }
    assert_eq!(lines, [b"PING 1".to_vec()]);
    assert_eq!(splitter.waiting(), 2);
    lines = splitter.feed(b"NG 2\n");
    assert_eq!(lines, [b"PING 2".to_vec()]);
    let flood = vec![b'x'; LINE_LIMIT * 2 + 10];
    let lines = splitter.feed(&flood);
    assert_eq!(lines.len(), 2, "each 64 KiB is taken as a line");
    assert!(lines.iter().all(|line| line.len() == LINE_LIMIT));
    assert_eq!(splitter.waiting(), 10);
}
