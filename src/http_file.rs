//! `.http` request files, the format of the VS Code REST Client and the
//! JetBrains HTTP Client: requests separated by `###` lines (the rest of
//! the line names the request), each a request line `METHOD URL
//! [HTTP/1.1]`, headers, a blank line and a body; `@name = value`
//! variables used as `{{name}}`; `#` and `//` comments.
//!
//! What netplay cannot do — response handler and pre-request scripts,
//! dynamic variables like `{{$guid}}`, bodies read from files — is listed
//! with its line number, and the rest still loads.

use std::collections::{HashMap, HashSet};

/// One request of a collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRequest {
    /// Its name: the `###` line's text, a `# @name` comment, or
    /// `METHOD URL` when it has none.
    pub name: String,
    /// The method (GET when the request line has only a URL).
    pub method: String,
    /// The URL, variables substituted.
    pub url: String,
    /// Headers in order, variables substituted.
    pub headers: Vec<(String, String)>,
    /// The body (LF line endings), variables substituted; empty for none.
    pub body: String,
    /// The line of its request line, from 1.
    pub line: usize,
}

/// A loaded collection: the requests, and what could not be used.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Collection {
    /// The requests, in file order.
    pub requests: Vec<FileRequest>,
    /// `line N: what` for each part netplay does not support.
    pub problems: Vec<String>,
}

/// How deep `{{a}}` → `{{b}}` → … may go (a file that loops stops here).
const VARIABLE_DEPTH: usize = 16;

/// Methods a request line may start with.
const METHODS: &[&str] = &[
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "CONNECT",
];

/// One `###` section: its name, its first line, its numbered lines.
type Block<'a> = (Option<String>, usize, Vec<(usize, &'a str)>);

/// Parses a file's text.
pub fn parse(text: &str) -> Collection {
    let mut collection = Collection::default();
    let mut blocks: Vec<Block> = vec![(None, 1, Vec::new())];
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if let Some(rest) = line.strip_prefix("###") {
            let name = rest.trim();
            blocks.push((
                (!name.is_empty()).then(|| name.to_string()),
                number,
                Vec::new(),
            ));
        } else if let Some(block) = blocks.last_mut() {
            block.2.push((number, line));
        }
    }
    // The variables first (a request may use one defined further down):
    // from the lines before each request line, never from a body.
    let mut variables: HashMap<String, String> = HashMap::new();
    for (_, _, lines) in &blocks {
        for (_, line) in lines {
            let trimmed = line.trim();
            if let Some((name, value)) = variable(line) {
                variables.insert(name, value);
            } else if !trimmed.is_empty() && !is_comment(line) {
                break; // the request line: what follows is the request
            }
        }
    }
    let mut seen = HashSet::new();
    let mut file_budget = FILE_EXPANSION;
    for (name, _, lines) in blocks {
        let request = block(
            name,
            &lines,
            &variables,
            (&mut collection.problems, &mut seen),
            &mut file_budget,
        );
        if let Some(request) = request {
            collection.requests.push(request);
        }
    }
    collection
}

/// `@name = value` (a file variable).
fn variable(line: &str) -> Option<(String, String)> {
    let rest = line.trim_start().strip_prefix('@')?;
    let (name, value) = rest.split_once('=')?;
    let name = name.trim();
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '.');
    plain.then(|| (name.to_string(), value.trim().to_string()))
}

fn is_comment(line: &str) -> bool {
    let line = line.trim_start();
    line.starts_with('#') || line.starts_with("//")
}

fn block(
    mut name: Option<String>,
    lines: &[(usize, &str)],
    variables: &HashMap<String, String>,
    (problems, seen): (&mut Vec<String>, &mut HashSet<String>),
    file_budget: &mut usize,
) -> Option<FileRequest> {
    let mut at = 0;
    // Before the request line: blank lines, comments (`# @name x` names
    // the request), variables.
    let (number, request_line) = loop {
        let (number, line) = *lines.get(at)?;
        at += 1;
        let trimmed = line.trim();
        if trimmed.is_empty() || variable(line).is_some() {
            continue;
        }
        if is_comment(line) {
            let meta = trimmed
                .trim_start_matches('#')
                .trim_start_matches('/')
                .trim();
            if let Some(given) = meta.strip_prefix("@name") {
                name = Some(given.trim().trim_start_matches('=').trim().to_string());
            } else if meta.starts_with('@') {
                problems.push(format!(
                    "line {number}: request setting {meta} is not supported"
                ));
            }
            continue;
        }
        break (number, trimmed);
    };
    let mut words = request_line.split_whitespace();
    let first = words.next()?;
    let (method, url) = if METHODS.contains(&first) {
        (first.to_string(), words.next().unwrap_or("").to_string())
    } else {
        ("GET".to_string(), first.to_string())
    };
    let mut context = Substitute {
        variables,
        problems,
        seen,
        line: number,
        request_budget: REQUEST_EXPANSION,
        file_budget,
    };
    let url = context.apply(&url);
    let mut headers = Vec::new();
    while let Some((number, line)) = lines.get(at).copied() {
        at += 1;
        if line.trim().is_empty() {
            break;
        }
        if is_comment(line) {
            continue;
        }
        context.line = number;
        match line.split_once(':') {
            Some((header, value)) if !header.trim().is_empty() => {
                headers.push((header.trim().to_string(), context.apply(value.trim())))
            }
            _ => context.problems.push(format!(
                "line {number}: not a header (Name: value): {}",
                line.trim()
            )),
        }
    }
    let mut body_lines = Vec::new();
    let mut in_script = false;
    for (number, line) in lines.get(at..).unwrap_or_default() {
        context.line = *number;
        let trimmed = line.trim_start();
        if in_script {
            in_script = !line.contains("%}");
            continue;
        }
        if trimmed.starts_with("> {%") || trimmed.starts_with("< {%") {
            context.problems.push(format!(
                "line {number}: scripts ({{% … %}}) are not supported"
            ));
            in_script = !trimmed[4..].contains("%}");
            continue;
        }
        if trimmed.starts_with("> ") && !body_lines.is_empty() {
            context.problems.push(format!(
                "line {number}: a response handler script is not supported"
            ));
            continue;
        }
        if trimmed.starts_with("<> ") || trimmed.starts_with(">> ") {
            context.problems.push(format!(
                "line {number}: response references and redirects are not supported"
            ));
            continue;
        }
        if let Some(path) = trimmed.strip_prefix("< ") {
            context.problems.push(format!(
                "line {number}: a body from a file ({}) is not read",
                path.trim()
            ));
            continue;
        }
        body_lines.push(context.apply(line));
    }
    while body_lines.last().is_some_and(|line| line.trim().is_empty()) {
        body_lines.pop();
    }
    let name = name.unwrap_or_else(|| format!("{method} {url}"));
    Some(FileRequest {
        name,
        method,
        url,
        headers,
        body: body_lines.join("\n"),
        line: number,
    })
}

struct Substitute<'a> {
    variables: &'a HashMap<String, String>,
    problems: &'a mut Vec<String>,
    /// The problems said already (a set: a large file has many).
    seen: &'a mut HashSet<String>,
    line: usize,
    /// Bytes substitutions may still add to this request…
    request_budget: usize,
    /// …and to the whole file: lines each under [`EXPANDED_LIMIT`] add up
    /// (150,000 body lines of `{{a}}` would make gigabytes).
    file_budget: &'a mut usize,
}

/// What variables may add to one request, in total.
const REQUEST_EXPANSION: usize = 4 * 1024 * 1024;

/// What variables may add to a whole file, in total.
const FILE_EXPANSION: usize = 4 * 1024 * 1024;

/// The longest text a substitution may make: `@a = {{a}}{{a}}…` grows
/// tenfold a pass, and a 100-byte file must not take the memory.
const EXPANDED_LIMIT: usize = 64 * 1024;

impl Substitute<'_> {
    fn problem(&mut self, what: String) {
        let problem = format!("line {}: {what}", self.line);
        if self.seen.insert(problem.clone()) {
            self.problems.push(problem);
        }
    }
}

impl Substitute<'_> {
    /// `{{name}}` replaced by its value, again for values that use
    /// variables, at most [`VARIABLE_DEPTH`] times; what cannot be replaced
    /// stays as written and is listed.
    fn apply(&mut self, text: &str) -> String {
        let mut out = text.to_string();
        for _ in 0..VARIABLE_DEPTH {
            let mut changed = false;
            let mut next = String::with_capacity(out.len());
            let mut rest = out.as_str();
            while let Some(start) = rest.find("{{") {
                let Some(len) = rest[start + 2..].find("}}") else {
                    break;
                };
                let name = rest[start + 2..start + 2 + len].trim();
                next.push_str(&rest[..start]);
                match self.variables.get(name) {
                    Some(value) => {
                        next.push_str(value);
                        changed = true;
                    }
                    None => {
                        next.push_str(&rest[start..start + 4 + len]);
                        let what = if name.starts_with('$') {
                            format!("{{{{{name}}}}}: dynamic variables are not supported")
                        } else {
                            format!("{{{{{name}}}}} is not defined (@{name} = …)")
                        };
                        self.problem(what);
                    }
                }
                rest = &rest[start + 4 + len..];
                if next.len() > EXPANDED_LIMIT {
                    self.problem(format!(
                        "variables expand past {} here: stopped (a loop?)",
                        crate::format::bytes(EXPANDED_LIMIT as u64)
                    ));
                    return text.to_string();
                }
            }
            next.push_str(rest);
            let grown = next.len().saturating_sub(out.len());
            if grown > self.request_budget || grown > *self.file_budget {
                self.problem(format!(
                    "variables expand past {} in this request or file: left as written",
                    crate::format::bytes(REQUEST_EXPANSION as u64)
                ));
                return text.to_string();
            }
            self.request_budget -= grown;
            *self.file_budget -= grown;
            out = next;
            if !changed {
                return out;
            }
        }
        self.problem(format!(
            "variables nested deeper than {VARIABLE_DEPTH} (a loop?)"
        ));
        out
    }
}

/// The first body line the format would read as something else (a `###`
/// separator, a script, a file reference): such a body cannot be written
/// to a `.http` file and read back the same.
pub fn unwritable_line(body: &str) -> Option<(usize, String)> {
    body.lines().enumerate().find_map(|(at, line)| {
        let trimmed = line.trim_start();
        let special = ["###", "> {%", "< {%", "< ", "<> ", ">> "]
            .iter()
            .any(|prefix| trimmed.starts_with(prefix));
        special.then(|| (at + 1, line.to_string()))
    })
}

/// A request written in the format, to append to a file.
pub fn to_text(request: &FileRequest) -> String {
    let mut text = format!(
        "### {}\n{} {} HTTP/1.1\n",
        request.name, request.method, request.url
    );
    for (name, value) in &request.headers {
        text.push_str(&format!("{name}: {value}\n"));
    }
    if !request.body.is_empty() {
        text.push('\n');
        text.push_str(&request.body);
        text.push('\n');
    }
    text.push('\n');
    text
}

#[cfg(test)]
mod tests;
