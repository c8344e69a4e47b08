//! Rules mode: a scripted peer. One rule per line, `PATTERN => REPLY`:
//! the first rule whose regular expression matches a received line (TCP:
//! lines reassembled across reads, without their line ending; UDP: each
//! datagram) answers it. `* => …` matches anything; no match, no reply.
//!
//! REPLY is written in netplay's escape syntax (`\n`, `\r`, `\xNN`,
//! `\u{…}`) with substitutions: `$0`–`$9` (the line, the captures),
//! `{{n}}` (this connection's reply counter, from 1), `{{peer}}`,
//! `{{time}}` (RFC 3339), `{{len}}` (the line's length). `=> close` closes
//! the connection, `=> ignore` swallows the line. `#` starts a comment line.
//!
//! ```text
//! ^PING (\d+)$ => PONG $1 #{{n}}\n
//! ^QUIT$ => close
//! ```

use regex::bytes::Regex;

/// A partial line longer than this is taken as a line (a peer that never
/// sends a line ending must not grow our memory).
pub const LINE_LIMIT: usize = 64 * 1024;

/// Rules in a file at most this long (a rules file is a few lines).
pub const RULES_LIMIT: usize = 1024 * 1024;

/// A parsed rules file.
#[derive(Debug, Clone)]
pub struct Rules {
    rules: Vec<Rule>,
}

#[derive(Debug, Clone)]
struct Rule {
    /// `None`: `*`, anything.
    pattern: Option<Regex>,
    answer: Answer,
    /// Its line in the file, from 1: how the log names it.
    line: usize,
}

#[derive(Debug, Clone)]
enum Answer {
    Reply(Vec<Part>),
    Close,
    Ignore,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Bytes(Vec<u8>),
    Group(usize),
    Counter,
    Peer,
    Time,
    Len,
}

/// What a rule says to do with one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send these bytes.
    Reply(Vec<u8>),
    /// Close the connection.
    Close,
    /// Swallow the line.
    Ignore,
}

/// A rule answered a line: which one (its line in the file) and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched {
    /// The rule's line in the file.
    pub rule: usize,
    /// What to do.
    pub action: Action,
}

/// A rule file's error, with its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// The line, from 1.
    pub line: usize,
    /// What is wrong, in words.
    pub reason: String,
}

impl std::fmt::Display for RuleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

impl Rules {
    /// Parses a rules file; every bad line is reported, with its number.
    pub fn parse(text: &str) -> Result<Self, Vec<RuleError>> {
        let mut rules = Vec::new();
        let mut errors = Vec::new();
        if text.len() > RULES_LIMIT {
            return Err(vec![RuleError {
                line: 1,
                reason: format!("the file is larger than {} B", RULES_LIMIT),
            }]);
        }
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            match parse_rule(trimmed) {
                Ok((pattern, answer)) => rules.push(Rule {
                    pattern,
                    answer,
                    line,
                }),
                Err(reason) => errors.push(RuleError { line, reason }),
            }
        }
        if errors.is_empty() {
            Ok(Self { rules })
        } else {
            Err(errors)
        }
    }

    /// No rules: nothing matches.
    pub fn none() -> Self {
        Self { rules: Vec::new() }
    }

    /// How many rules there are.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The first rule matching `line`, and what it says; `counter` is the
    /// number this reply would have (from 1).
    pub fn answer(
        &self,
        line: &[u8],
        counter: u64,
        peer: impl std::fmt::Display,
    ) -> Option<Matched> {
        self.rules.iter().find_map(|rule| {
            let captures = match &rule.pattern {
                None => None,
                Some(pattern) => Some(pattern.captures(line)?),
            };
            let action = match &rule.answer {
                Answer::Close => Action::Close,
                Answer::Ignore => Action::Ignore,
                Answer::Reply(parts) => {
                    let mut bytes = Vec::new();
                    for part in parts {
                        match part {
                            Part::Bytes(b) => bytes.extend_from_slice(b),
                            Part::Group(0) => bytes.extend_from_slice(line),
                            Part::Group(n) => {
                                if let Some(group) = captures.as_ref().and_then(|c| c.get(*n)) {
                                    bytes.extend_from_slice(group.as_bytes());
                                }
                            }
                            Part::Counter => {
                                bytes.extend_from_slice(counter.to_string().as_bytes())
                            }
                            Part::Peer => bytes.extend_from_slice(peer.to_string().as_bytes()),
                            Part::Time => bytes.extend_from_slice(
                                chrono::Utc::now()
                                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                                    .as_bytes(),
                            ),
                            Part::Len => bytes.extend_from_slice(line.len().to_string().as_bytes()),
                        }
                    }
                    Action::Reply(bytes)
                }
            };
            Some(Matched {
                rule: rule.line,
                action,
            })
        })
    }
}

fn parse_rule(text: &str) -> Result<(Option<Regex>, Answer), String> {
    let (pattern, reply) = text
        .split_once("=>")
        .ok_or("no `=>`: write PATTERN => REPLY")?;
    let pattern = pattern.trim();
    let reply = reply.trim_start();
    if pattern.is_empty() {
        return Err("no pattern before `=>` (use * for anything)".into());
    }
    let pattern = if pattern == "*" {
        None
    } else {
        Some(
            regex::bytes::RegexBuilder::new(pattern)
                .size_limit(1 << 20)
                .build()
                .map_err(|err| {
                    let first = err.to_string();
                    let last = first.lines().last().unwrap_or("").trim().to_string();
                    format!("bad pattern {pattern}: {last}")
                })?,
        )
    };
    let answer = match reply.trim_end() {
        "close" => Answer::Close,
        "ignore" => Answer::Ignore,
        _ => Answer::Reply(template(reply.trim_end())?),
    };
    Ok((pattern, answer))
}

/// A reply template: escapes decoded, substitutions kept as parts.
fn template(text: &str) -> Result<Vec<Part>, String> {
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    let flush = |literal: &mut String, parts: &mut Vec<Part>| -> Result<(), String> {
        if !literal.is_empty() {
            let bytes = crate::text::parse_escapes(literal).map_err(|err| err.to_string())?;
            parts.push(Part::Bytes(bytes));
            literal.clear();
        }
        Ok(())
    };
    while let Some(c) = rest.chars().next() {
        if c == '$' {
            if let Some(digit) = rest[1..].chars().next().and_then(|d| d.to_digit(10)) {
                flush(&mut literal, &mut parts)?;
                parts.push(Part::Group(digit as usize));
                rest = &rest[2..];
                continue;
            }
        }
        if rest.starts_with("{{") {
            if let Some(end) = rest.find("}}") {
                let name = rest[2..end].trim();
                let part = match name {
                    "n" => Part::Counter,
                    "peer" => Part::Peer,
                    "time" => Part::Time,
                    "len" => Part::Len,
                    other => {
                        return Err(format!(
                            "unknown substitution {{{{{other}}}}} (n, peer, time, len)"
                        ))
                    }
                };
                flush(&mut literal, &mut parts)?;
                parts.push(part);
                rest = &rest[end + 2..];
                continue;
            }
        }
        if c == '\\' {
            // `\$` and `\{` are a plain `$` and `{` (not substitutions);
            // any other escape is kept whole for the escape syntax.
            let mut chars = rest.chars();
            chars.next();
            match chars.next() {
                Some(plain @ ('$' | '{')) => literal.push(plain),
                Some(next) => {
                    literal.push('\\');
                    literal.push(next);
                }
                None => literal.push('\\'),
            }
            rest = chars.as_str();
            continue;
        }
        literal.push(c);
        rest = &rest[c.len_utf8()..];
    }
    flush(&mut literal, &mut parts)?;
    Ok(parts)
}

/// TCP is a stream: lines are put back together across reads. A partial
/// line waits, bounded at [`LINE_LIMIT`]; past that it is taken as a line.
#[derive(Debug, Default)]
pub struct LineSplitter {
    partial: Vec<u8>,
}

impl LineSplitter {
    /// The complete lines in `chunk` (with what waited before it), without
    /// their line endings (`\n` or `\r\n`).
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<Vec<u8>> {
        let mut lines = Vec::new();
        for &byte in chunk {
            if byte == b'\n' {
                let mut line = std::mem::take(&mut self.partial);
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                lines.push(line);
            } else {
                self.partial.push(byte);
                if self.partial.len() >= LINE_LIMIT {
                    lines.push(std::mem::take(&mut self.partial));
                }
            }
        }
        lines
    }

    /// Bytes waiting for their line ending.
    pub fn waiting(&self) -> usize {
        self.partial.len()
    }
}

#[cfg(test)]
mod tests;
