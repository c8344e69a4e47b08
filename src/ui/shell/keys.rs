//! Keys as data: each tab lists its bindings once, in a table, and that one
//! table drives the tab's key handling, its footer hints and its part of
//! the help overlay, so the three cannot disagree (the idea of trippy's
//! `binding.rs`, where the help is built from the bindings).

use crossterm::event::{KeyCode, KeyEvent};

use crate::ui::Hint;

/// A key a binding answers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// A key with neither Ctrl nor Alt held (Shift is allowed: Shift+Tab
    /// arrives as BackTab, capitals as their character).
    Plain(KeyCode),
    /// Ctrl + a letter.
    Ctrl(char),
    /// Alt + any digit 1–9 (the digit is read from the event).
    AltDigit,
    /// Alt + a letter.
    Alt(char),
}

impl Key {
    /// Whether `event` is this key.
    pub fn matches(self, event: &KeyEvent) -> bool {
        match self {
            Key::Plain(code) => crate::ui::is_plain_key(event, code),
            Key::Ctrl(c) => crate::ui::ctrl(event, c),
            Key::AltDigit => {
                event
                    .modifiers
                    .contains(crossterm::event::KeyModifiers::ALT)
                    && matches!(event.code, KeyCode::Char('1'..='9'))
            }
            Key::Alt(c) => {
                event
                    .modifiers
                    .contains(crossterm::event::KeyModifiers::ALT)
                    && event.code == KeyCode::Char(c)
            }
        }
    }
}

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<F> {
    /// Anywhere on the tab, before the focused field sees the key.
    Tab,
    /// Only while `F` has the keyboard (and shown in the footer only then).
    Focus(F),
}

/// One binding: the keys, how the help and footer name them, and the
/// action the tab performs.
#[derive(Debug, Clone, Copy)]
pub struct Binding<A, F> {
    /// The keys that trigger it; empty for keys the focused field handles
    /// itself (typing, history, scrolling), listed for the help only.
    pub keys: &'static [Key],
    /// How the key is written in the footer and the help: `F8`, `Enter`.
    pub name: &'static str,
    /// The footer's word for it; empty keeps it out of the footer.
    pub label: &'static str,
    /// The help overlay's sentence.
    pub help: &'static str,
    /// Where it applies.
    pub scope: Scope<F>,
    /// What the tab does.
    pub action: A,
}

/// F3 / F4, the composer's line ending and escapes: the same binding on
/// every tab with a message input.
pub const fn composer_settings<A, F>(action: A) -> Binding<A, F> {
    Binding {
        keys: &[Key::Plain(KeyCode::F(3)), Key::Plain(KeyCode::F(4))],
        name: "F3 / F4",
        label: "",
        help: "line ending none/LF/CRLF · escapes \\xNN \\u{…} \\r \\n \\t \\0 \\\\",
        scope: Scope::Tab,
        action,
    }
}

/// The action bound to `event` for a tab whose focus is `focus`: a
/// focus-scoped binding of the focused field first, then a tab-wide one.
pub fn action<A: Copy, F: PartialEq + Copy>(
    table: &[Binding<A, F>],
    event: &KeyEvent,
    focus: F,
) -> Option<A> {
    let hit = |binding: &&Binding<A, F>| binding.keys.iter().any(|key| key.matches(event));
    table
        .iter()
        .filter(|b| b.scope == Scope::Focus(focus))
        .find(hit)
        .or_else(|| table.iter().filter(|b| b.scope == Scope::Tab).find(hit))
        .map(|binding| binding.action)
}

/// The footer's hints with `focus` on the tab: the focused field's
/// bindings, then the tab-wide ones. `relabel` may change a label that
/// depends on state (`connect` / `disconnect`), or hide one (`None`).
pub fn footer<A: Copy, F: PartialEq + Copy>(
    table: &[Binding<A, F>],
    focus: F,
    relabel: impl Fn(A, &'static str) -> Option<&'static str>,
) -> Vec<Hint> {
    let focused = table.iter().filter(|b| b.scope == Scope::Focus(focus));
    let tab_wide = table.iter().filter(|b| b.scope == Scope::Tab);
    focused
        .chain(tab_wide)
        .filter(|b| !b.label.is_empty())
        .filter_map(|b| relabel(b.action, b.label).map(|label| (b.name, label)))
        .collect()
}

/// Every binding with a sentence, for the help overlay: `(name,
/// sentence)`. Keys the global section already explains (Tab) leave their
/// sentence empty.
pub fn help<A, F>(table: &[Binding<A, F>]) -> Vec<Hint> {
    table
        .iter()
        .filter(|b| !b.help.is_empty())
        .map(|b| (b.name, b.help))
        .collect()
}

/// Keys bound twice in one scope (the second binding could never act):
/// each as `scope: key`. Empty for a sound table.
pub fn conflicts<A, F: PartialEq + Copy + std::fmt::Debug>(table: &[Binding<A, F>]) -> Vec<String> {
    let mut seen: Vec<(Scope<F>, Key)> = Vec::new();
    let mut twice = Vec::new();
    for binding in table {
        for key in binding.keys {
            if seen.contains(&(binding.scope, *key)) {
                twice.push(format!("{:?}: {}", binding.scope, describe(*key)));
            } else {
                seen.push((binding.scope, *key));
            }
        }
    }
    twice
}

/// Keys written the way the help names them: Ctrl+letter, F-keys and the
/// named keys; for tests and the help's own consistency check.
pub fn describe(key: Key) -> String {
    match key {
        Key::Ctrl(c) => format!("Ctrl+{}", c.to_ascii_uppercase()),
        Key::AltDigit => "Alt+N".into(),
        Key::Alt(c) => format!("Alt+{}", c.to_ascii_uppercase()),
        Key::Plain(KeyCode::F(n)) => format!("F{n}"),
        Key::Plain(KeyCode::Char(' ')) => "Space".into(),
        Key::Plain(KeyCode::Char(c)) => c.to_string(),
        Key::Plain(KeyCode::Enter) => "Enter".into(),
        Key::Plain(KeyCode::Esc) => "Esc".into(),
        Key::Plain(KeyCode::Delete) => "Del".into(),
        Key::Plain(other) => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Focus {
        Field,
        Log,
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Act {
        Send,
        Save,
        Pause,
    }

    const TABLE: &[Binding<Act, Focus>] = &[
        Binding {
            keys: &[Key::Plain(KeyCode::Enter)],
            name: "Enter",
            label: "send",
            help: "send the message",
            scope: Scope::Focus(Focus::Field),
            action: Act::Send,
        },
        Binding {
            keys: &[Key::Plain(KeyCode::Char(' ')), Key::Plain(KeyCode::F(9))],
            name: "Space / F9",
            label: "pause",
            help: "pause the log",
            scope: Scope::Focus(Focus::Log),
            action: Act::Pause,
        },
        Binding {
            keys: &[Key::Ctrl('s')],
            name: "Ctrl+S",
            label: "save",
            help: "save the log",
            scope: Scope::Tab,
            action: Act::Save,
        },
    ];

    use crossterm::event::KeyModifiers;

    fn press(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn one_table_drives_keys_footer_and_help() {
        let enter = press(KeyCode::Enter, KeyModifiers::NONE);
        assert_eq!(action(TABLE, &enter, Focus::Field), Some(Act::Send));
        assert_eq!(
            action(TABLE, &enter, Focus::Log),
            None,
            "scoped to the field"
        );
        let space = press(KeyCode::Char(' '), KeyModifiers::NONE);
        assert_eq!(
            action(TABLE, &space, Focus::Field),
            None,
            "Space types there"
        );
        assert_eq!(action(TABLE, &space, Focus::Log), Some(Act::Pause));
        let save = press(KeyCode::Char('s'), KeyModifiers::CONTROL);
        assert_eq!(action(TABLE, &save, Focus::Log), Some(Act::Save));
        assert_eq!(
            footer(TABLE, Focus::Field, |_, label| Some(label)),
            vec![("Enter", "send"), ("Ctrl+S", "save")]
        );
        assert_eq!(help(TABLE).len(), 3);
        assert_eq!(describe(Key::Ctrl('s')), "Ctrl+S");
        assert_eq!(describe(Key::Plain(KeyCode::F(9))), "F9");
    }
}
