//! One JSON object per line, written by hand: the event lines of `--json`
//! and the recordings. Strings escape every control and bidi character,
//! so a line stays safe when a person reads it in a terminal. (Reading
//! JSON back is serde_json's job.)

use crate::text::is_unsafe_char;

/// A JSON value for an event field.
#[derive(Debug, Clone)]
pub enum Value {
    /// A string (escaped on output).
    Str(String),
    /// A number.
    Num(u64),
    /// `true` or `false`.
    Bool(bool),
}

impl From<&str> for Value {
    fn from(text: &str) -> Self {
        Value::Str(text.to_string())
    }
}

impl From<String> for Value {
    fn from(text: String) -> Self {
        Value::Str(text)
    }
}

impl From<u64> for Value {
    fn from(n: u64) -> Self {
        Value::Num(n)
    }
}

/// One JSON object on one line. Strings escape `"`, `\`, every control
/// character and the bidi/invisible ones as `\uXXXX`, so a JSON line is
/// safe even when a person reads it in a terminal.
pub fn json_object(fields: &[(&str, Value)]) -> String {
    let mut out = String::from("{");
    for (index, (name, value)) in fields.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        json_string(&mut out, name);
        out.push(':');
        match value {
            Value::Str(text) => json_string(&mut out, text),
            Value::Num(n) => out.push_str(&n.to_string()),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        }
    }
    out.push('}');
    out
}

fn json_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe_char(c) => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escapes_everything_dangerous() {
        let line = json_object(&[
            ("a", "q\"\\\n\u{1b}\u{9b}\u{202e}é".into()),
            ("n", 7u64.into()),
        ]);
        assert_eq!(line, r#"{"a":"q\"\\\n\u001b\u009b\u202eé","n":7}"#);
    }
}
