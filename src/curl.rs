//! A `curl …` command line as a request: what a README shows or a
//! browser's "Copy as cURL" gives, pasted into the HTTP tab's URL field or
//! passed to `netplay fetch --from-curl`. And back: the current request as
//! `curl` and `netplay fetch` commands.
//!
//! Words are split with shell quoting rules (`shell-words`), after two
//! things that crate leaves to a shell: line continuations (`\` + newline,
//! what "Copy as cURL" emits) and ANSI-C `$'…'` strings (Chrome's, for
//! bodies with special characters). Options netplay does not act on are
//! listed, never silently dropped.

/// The request a curl command describes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CurlRequest {
    /// The method (`-X`, `-I`, a body implies POST, `-G` GET).
    pub method: String,
    /// The URL (the argument or `--url`), with `-G` data as its query.
    pub url: String,
    /// Headers in order (`-H`, `-A`, `-e`, `-b`, `-u`, `--json`).
    pub headers: Vec<(String, String)>,
    /// The body (`-d`, `--data-raw`, `--data-binary`, `--data-urlencode`,
    /// `--json`; several are joined with `&` as curl does).
    pub body: Option<String>,
    /// `-k`.
    pub insecure: bool,
    /// `--cacert FILE`.
    pub cacert: Option<String>,
    /// `-x/--proxy URL`.
    pub proxy: Option<String>,
    /// `--noproxy LIST`.
    pub noproxy: Option<String>,
    /// `--resolve HOST:PORT:ADDR` (each).
    pub resolve: Vec<String>,
    /// `--connect-to H1:P1:H2:P2` (each).
    pub connect_to: Vec<String>,
    /// `--unix-socket PATH`: the request goes to this socket file.
    pub unix_socket: Option<String>,
    /// What was given and not acted on, as typed (`--compressed`, `-L`).
    pub ignored: Vec<String>,
}

/// Options that take a value and that netplay does not act on (listed as
/// ignored, with their value).
const IGNORED_WITH_VALUE: &[&str] = &[
    "-o",
    "--output",
    "-w",
    "--write-out",
    "-m",
    "--max-time",
    "--connect-timeout",
    "-r",
    "--range",
    "-F",
    "--form",
    "-T",
    "--upload-file",
    "-c",
    "--cookie-jar",
    "--retry",
    "--limit-rate",
    "-E",
    "--cert",
    "--key",
    "--max-redirs",
    "--interface",
    "-D",
    "--dump-header",
    "--proto",
];

/// Parses `command` (starting with `curl`).
pub fn parse(command: &str) -> Result<CurlRequest, String> {
    let words = expand_short_clusters(split(command)?);
    let mut words = words.into_iter();
    match words.next().as_deref() {
        Some("curl") => {}
        _ => return Err("not a curl command (it must start with `curl`)".into()),
    }
    let mut request = CurlRequest::default();
    let mut method: Option<String> = None;
    let mut data: Vec<String> = Vec::new();
    let mut head = false;
    let mut get = false;
    let mut json = false;
    let value = |words: &mut std::vec::IntoIter<String>, option: &str| {
        words
            .next()
            .ok_or_else(|| format!("curl option {option} needs a value"))
    };
    while let Some(word) = words.next() {
        // `--data=x` (short clusters like `-sLX POST` are expanded above).
        let (option, inline) = match word.split_once('=') {
            Some((name, rest)) if name.starts_with("--") => {
                (name.to_string(), Some(rest.to_string()))
            }
            _ => (word.clone(), None),
        };
        let arg = |words: &mut std::vec::IntoIter<String>| match inline.clone() {
            Some(inline) => Ok(inline),
            None => value(words, &option),
        };
        match option.as_str() {
            "-X" | "--request" => method = Some(arg(&mut words)?),
            "-I" | "--head" => head = true,
            "-G" | "--get" => get = true,
            "-d" | "--data" | "--data-ascii" | "--data-binary" | "--data-raw" => {
                let text = arg(&mut words)?;
                if text.starts_with('@') && option != "--data-raw" {
                    request.ignored.push(format!(
                        "{option} {text} (a body from a file: use --data-file)"
                    ));
                } else if option == "--data-binary" || option == "--data-raw" {
                    data.push(text);
                } else {
                    // curl strips line breaks from -d / --data.
                    data.push(text.replace(['\r', '\n'], ""));
                }
            }
            "--data-urlencode" => data.push(urlencode_field(&arg(&mut words)?)),
            "--json" => {
                json = true;
                data.push(arg(&mut words)?);
            }
            "-H" | "--header" => {
                let header = arg(&mut words)?;
                match header.split_once(':') {
                    Some((name, value)) => request
                        .headers
                        .push((name.trim().to_string(), value.trim().to_string())),
                    None => request
                        .ignored
                        .push(format!("{option} {header} (not Name: value)")),
                }
            }
            "-A" | "--user-agent" => request
                .headers
                .push(("User-Agent".into(), arg(&mut words)?)),
            "-e" | "--referer" => request.headers.push(("Referer".into(), arg(&mut words)?)),
            "-b" | "--cookie" => {
                let cookie = arg(&mut words)?;
                if cookie.contains('=') {
                    request.headers.push(("Cookie".into(), cookie));
                } else {
                    request
                        .ignored
                        .push(format!("{option} {cookie} (a cookie file)"));
                }
            }
            "-u" | "--user" => {
                use base64::Engine as _;
                let user = arg(&mut words)?;
                let token = base64::engine::general_purpose::STANDARD.encode(user.as_bytes());
                request
                    .headers
                    .push(("Authorization".into(), format!("Basic {token}")));
            }
            "-k" | "--insecure" => request.insecure = true,
            "--cacert" => request.cacert = Some(arg(&mut words)?),
            "-x" | "--proxy" => request.proxy = Some(arg(&mut words)?),
            "--noproxy" => request.noproxy = Some(arg(&mut words)?),
            "--resolve" => request.resolve.push(arg(&mut words)?),
            "--connect-to" => request.connect_to.push(arg(&mut words)?),
            "--unix-socket" => request.unix_socket = Some(arg(&mut words)?),
            "--url" => request.url = arg(&mut words)?,
            other if IGNORED_WITH_VALUE.contains(&other) => {
                let given = arg(&mut words)?;
                request.ignored.push(format!("{other} {given}"));
            }
            other if other.starts_with('-') && other.len() > 1 => {
                request.ignored.push(word.clone())
            }
            _ if request.url.is_empty() => request.url = word.clone(),
            _ => request.ignored.push(format!("{word} (a second URL)")),
        }
    }
    if request.url.is_empty() {
        return Err("the curl command has no URL".into());
    }
    if !request.url.contains("://") {
        request.url = format!("http://{}", request.url);
    }
    if json {
        add_default(&mut request.headers, "Content-Type", "application/json");
        add_default(&mut request.headers, "Accept", "application/json");
    }
    let joined = (!data.is_empty()).then(|| data.join("&"));
    if get {
        if let Some(query) = joined {
            let sep = if request.url.contains('?') { '&' } else { '?' };
            request.url = format!("{}{sep}{query}", request.url);
        }
    } else if let Some(body) = joined {
        if !json {
            add_default(
                &mut request.headers,
                "Content-Type",
                "application/x-www-form-urlencoded",
            );
        }
        request.body = Some(body);
    }
    if let Some(method) = &method {
        if !is_token(method) {
            return Err(format!(
                "the method {} is not an HTTP token (letters, digits, !#$%&'*+-.^_`|~)",
                crate::text::sanitize_str(method)
            ));
        }
    }
    check_headers(&request.headers)?;
    request.method = match (method, head, get, &request.body) {
        (Some(method), ..) => method,
        (None, true, ..) => "HEAD".into(),
        (None, false, false, Some(_)) => "POST".into(),
        _ => "GET".into(),
    };
    Ok(request)
}

/// Whether `text` is an HTTP token (a method or a header name).
pub fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Refuses header names that are not tokens and values with CR, LF or NUL:
/// they would add headers (or a whole request) on the wire.
pub fn check_headers(headers: &[(String, String)]) -> Result<(), String> {
    for (name, value) in headers {
        if !is_token(name) {
            return Err(format!(
                "the header name {} is not an HTTP token",
                crate::text::sanitize_str(name)
            ));
        }
        if value.contains(['\r', '\n', '\0']) {
            return Err(format!(
                "the {} header's value holds a line break: refused (it would add headers on the wire)",
                crate::text::sanitize_str(name)
            ));
        }
    }
    Ok(())
}

fn add_default(headers: &mut Vec<(String, String)>, name: &str, value: &str) {
    if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
        headers.push((name.into(), value.into()));
    }
}

/// `--data-urlencode`: `name=value` encodes the value, `=value` and
/// `value` encode it all (curl's rules, without the `@file` forms).
fn urlencode_field(field: &str) -> String {
    let encode =
        |text: &str| url::form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
    match field.split_once('=') {
        Some(("", value)) => encode(value),
        Some((name, value)) => format!("{name}={}", encode(value)),
        None => encode(field),
    }
}

/// curl's short options that take a value (the rest of the cluster, or
/// the next word): `-XPOST`, `-kH 'A: b'`, `-sLX POST`.
const SHORT_WITH_VALUE: &str = "XHdAebuowmxrFTcEDKUzYytCQP";

/// `-sIk` → `-s -I -k`; `-XPOST` → `-X POST`; `-kH` → `-k -H` (its value is
/// the next word). Long options and other words pass as they are.
fn expand_short_clusters(words: Vec<String>) -> Vec<String> {
    let mut out = Vec::with_capacity(words.len());
    let mut value_next = false;
    for word in words {
        let cluster = !value_next && word.starts_with('-') && !word.starts_with("--");
        value_next = false;
        if !cluster || word.chars().count() <= 2 {
            value_next = cluster
                && word
                    .chars()
                    .nth(1)
                    .is_some_and(|c| SHORT_WITH_VALUE.contains(c));
            out.push(word);
            continue;
        }
        let mut rest = word.chars().skip(1);
        while let Some(c) = rest.next() {
            out.push(format!("-{c}"));
            if SHORT_WITH_VALUE.contains(c) {
                let value: String = rest.by_ref().collect();
                if value.is_empty() {
                    value_next = true;
                } else {
                    out.push(value);
                }
                break;
            }
        }
    }
    out
}

/// Splits a command line into words: line continuations and `$'…'`
/// first, then shell quoting.
pub fn split(command: &str) -> Result<Vec<String>, String> {
    // A terminal pastes line breaks as CR alone (bracketed paste): every
    // line end is read as one before the continuations are joined.
    let lines = command.replace("\r\n", "\n").replace('\r', "\n");
    let joined = lines
        .replace("\\\n", " ")
        // cmd.exe's "Copy as cURL (cmd)" continues lines with ^.
        .replace("^\n", " ");
    let unquoted = ansi_c_strings(&joined)?;
    shell_words::split(&unquoted).map_err(|err| format!("cannot split the curl command: {err}"))
}

/// Rewrites every `$'…'` (ANSI-C quoting) as a plain single-quoted word.
fn ansi_c_strings(text: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let (mut in_single, mut in_double) = (false, false);
    while let Some(c) = chars.next() {
        match c {
            '\'' if !in_double => in_single = !in_single,
            '"' if !in_single => in_double = !in_double,
            '\\' if !in_single => {
                out.push(c);
                if let Some(next) = chars.next() {
                    out.push(next);
                }
                continue;
            }
            '$' if !in_single && !in_double && chars.peek() == Some(&'\'') => {
                chars.next();
                let decoded = decode_ansi_c(&mut chars)?;
                out.push('\'');
                out.push_str(&decoded.replace('\'', "'\\''"));
                out.push('\'');
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    Ok(out)
}

fn decode_ansi_c(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Result<String, String> {
    let mut out = String::new();
    loop {
        match chars.next() {
            None => return Err("a $'…' string is not closed".into()),
            Some('\'') => return Ok(out),
            Some('\\') => match chars.next() {
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some('t') => out.push('\t'),
                Some('a') => out.push('\u{7}'),
                Some('b') => out.push('\u{8}'),
                Some('f') => out.push('\u{c}'),
                Some('v') => out.push('\u{b}'),
                Some(first @ '0'..='7') => {
                    // bash: \NNN, one to three octal digits.
                    let mut code = first.to_digit(8).unwrap_or(0);
                    for _ in 0..2 {
                        match chars.peek().and_then(|c| c.to_digit(8)) {
                            Some(digit) => {
                                code = code * 8 + digit;
                                chars.next();
                            }
                            None => break,
                        }
                    }
                    out.push(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
                }
                Some('e' | 'E') => out.push('\u{1b}'),
                Some(c @ ('x' | 'u' | 'U')) => {
                    let most = match c {
                        'x' => 2,
                        'u' => 4,
                        _ => 8,
                    };
                    let mut digits = String::new();
                    while digits.len() < most && chars.peek().is_some_and(char::is_ascii_hexdigit) {
                        digits.extend(chars.next());
                    }
                    let code = u32::from_str_radix(&digits, 16)
                        .map_err(|_| format!("a bad \\{c} escape in $'…'"))?;
                    out.push(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
                }
                Some(other) => out.push(other),
                None => return Err("a $'…' string is not closed".into()),
            },
            Some(c) => out.push(c),
        }
    }
}

/// A word for a POSIX shell: bare when safe, else single-quoted.
pub fn quote(word: &str) -> String {
    let safe = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
    if safe {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests;
