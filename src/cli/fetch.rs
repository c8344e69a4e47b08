//! `netplay fetch`: the HTTP tab's engine, curl-like. The body streams to
//! stdout as it arrives (through a bounded channel: a slow reader slows the
//! download, memory stays flat) or straight into `-o FILE`; `-v`, `-i` and
//! `--timing` show the rest.

use std::path::PathBuf;
use std::process::ExitCode;

use super::output::{Output, Value};
use super::{seconds, Exit, FetchArgs};
use crate::narrate::Kind;
use crate::net::http::request::{build_wire, parse_url};
use crate::net::http::{
    self, BodyTarget, FetchRequest, Head, HttpEvent, Refuse, Timings, TlsOptions,
};
use crate::net::{Engine, Event};
use crate::shutdown::Shutdown;
use crate::text::sanitize;

fn parse_headers(raw: &[String]) -> Result<Vec<(String, String)>, String> {
    let headers = raw
        .iter()
        .map(|header| match header.split_once(':') {
            Some((name, value))
                if !name.trim().is_empty() && !name.contains(char::is_whitespace) =>
            {
                Ok((name.trim().to_string(), value.trim().to_string()))
            }
            _ => Err(format!(
                "bad header '{}': write 'Name: value'",
                crate::text::sanitize_str(header)
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    // A line break in a value would add headers (or a request) on the wire.
    crate::curl::check_headers(&headers)?;
    Ok(headers)
}

impl FetchArgs {
    /// Runs one request and prints what curl would (see `netplay fetch --help`).
    pub async fn run(self, out: Output, stop: Shutdown) -> ExitCode {
        let args = self;
        let args = match with_curl(args) {
            Ok((args, ignored)) => {
                if !ignored.is_empty() {
                    let text = format!("curl options not used: {}", ignored.join(", "));
                    out.event_to_stderr("warning", Kind::Error, &text, &[]);
                }
                args
            }
            Err(reason) => {
                out.error(&reason);
                return Exit::Usage.into();
            }
        };
        let mut request = match prepare(&args) {
            Ok(request) => request,
            Err(reason) => {
                out.error(&reason);
                return Exit::Usage.into();
            }
        };
        let capture = match args.pcap.as_deref().map(|path| {
            crate::net::pcap::tap::SyncCapture::create(path, "Written live by netplay fetch.")
        }) {
            Some(Ok(capture)) => Some(capture),
            Some(Err(reason)) => {
                out.error(&reason);
                return Exit::Usage.into();
            }
            None => None,
        };
        request.capture.clone_from(&capture);
        let (url, wire) = (request.url.clone(), request.wire.clone());
        let started = std::time::SystemTime::now();
        let mut seen = Seen::default();
        let code = exchange(&args, request, (out, &mut seen), stop).await;
        let code = match &args.har {
            Some(path) => write_har(path, &seen, (started, &url, &wire), code, out),
            None => code,
        };
        match capture {
            Some(capture) => super::pcap::finish_sync(&capture, code, out),
            None => code,
        }
    }
}

/// Adds the exchange to the HAR file (made, or appended to and kept
/// valid); a file that cannot be written fails the command.
fn write_har(
    path: &std::path::Path,
    seen: &Seen,
    (started, url, wire): (std::time::SystemTime, &url::Url, &[u8]),
    code: ExitCode,
    out: Output,
) -> ExitCode {
    let timings = seen.timings.unwrap_or_default();
    let exchange = crate::net::http::har::Exchange {
        started,
        url,
        request: wire,
        addresses: seen.addresses,
        tls: seen.tls.as_ref(),
        head: seen.head.as_ref(),
        body: seen.body.as_ref(),
        timings: &timings,
    };
    let entry = crate::net::http::har::entry(&exchange);
    match crate::net::http::har::append(path, entry) {
        Ok(entries) => {
            let shown = sanitize(path.display().to_string().as_bytes());
            let text = format!(
                "HAR: {shown} holds {entries} entr{}",
                if entries == 1 { "y" } else { "ies" }
            );
            out.event_to_stderr("har", Kind::Info, &text, &[]);
            code
        }
        Err(reason) => {
            out.error(&format!("HAR: {reason}"));
            Exit::Failure.into()
        }
    }
}

/// `--from-curl`: the curl command's request, under what the options given
/// to netplay say (they win); the second value lists what curl options
/// were not acted on.
fn with_curl(mut args: FetchArgs) -> Result<(FetchArgs, Vec<String>), String> {
    let Some(command) = args.from_curl.take() else {
        return Ok((args, Vec::new()));
    };
    let curl = crate::curl::parse(&command)?;
    if args.url.is_none() {
        args.url = Some(curl.url);
    }
    if args.method.is_none() {
        args.method = Some(curl.method);
    }
    let mut headers: Vec<String> = curl
        .headers
        .iter()
        .map(|(name, value)| format!("{name}: {value}"))
        .collect();
    headers.append(&mut args.headers);
    args.headers = headers;
    if args.data.is_none() && args.data_file.is_none() {
        args.data = curl.body;
    }
    args.insecure |= curl.insecure;
    if args.unix_socket.is_none() {
        args.unix_socket = curl.unix_socket.map(PathBuf::from);
    }
    if args.cacert.is_none() {
        args.cacert = curl.cacert.map(PathBuf::from);
    }
    let names = &mut args.names;
    if names.proxy.is_none() {
        names.proxy = curl.proxy;
    }
    if names.noproxy.is_none() {
        names.noproxy = curl.noproxy;
    }
    let mut resolve = curl.resolve;
    resolve.append(&mut names.resolve);
    names.resolve = resolve;
    let mut connect_to = curl.connect_to;
    connect_to.append(&mut names.connect_to);
    names.connect_to = connect_to;
    Ok((args, curl.ignored))
}

fn prepare(args: &FetchArgs) -> Result<FetchRequest, String> {
    let url = parse_url(args.url.as_deref().unwrap_or_default())?;
    let headers = parse_headers(&args.headers)?;
    let body = match (&args.data, &args.data_file) {
        (Some(data), _) => data.as_bytes().to_vec(),
        (None, Some(path)) => {
            std::fs::read(path).map_err(|err| format!("cannot read {}: {err}", path.display()))?
        }
        (None, None) => Vec::new(),
    };
    let has_body = args.data.is_some() || args.data_file.is_some();
    let method = args
        .method
        .clone()
        .unwrap_or_else(|| if has_body { "POST" } else { "GET" }.to_string())
        .to_ascii_uppercase();
    if !crate::curl::is_token(&method) {
        return Err(format!(
            "the method {} is not an HTTP token",
            crate::text::sanitize_str(&method)
        ));
    }
    let proxy = match &args.unix_socket {
        Some(_) => None,
        None => args
            .names
            .proxy(url.scheme(), url.host_str().unwrap_or_default())?,
    };
    if args.unix_socket.is_some() && args.pcap.is_some() {
        return Err(
            "--pcap over --unix-socket: a capture is IP packets; not written for a UNIX socket yet"
                .into(),
        );
    }
    Ok(FetchRequest {
        refuse: Refuse {
            invalid_head: args.strict,
            error_status: args.fail,
        },
        wire: build_wire(&url, &method, &headers, &body),
        head_request: method == "HEAD",
        url,
        tls: TlsOptions {
            extra_ca: args.cacert.clone(),
            insecure: args.insecure,
            keylog: args.keylog.clone(),
            ..TlsOptions::default()
        },
        capture: None,
        names: args.names.overrides()?,
        proxy,
        unix_socket: args.unix_socket.clone(),
        timeout: seconds(args.timeout, "--timeout")?,
        body: match output_file(args) {
            Some(path) => BodyTarget::File(path.clone()),
            None => BodyTarget::Spool, // replaced by a stream to stdout in `exchange`
        },
    })
}

/// What an exchange showed, for its HAR entry.
#[derive(Default)]
struct Seen {
    addresses: Option<(std::net::SocketAddr, std::net::SocketAddr)>,
    tls: Option<crate::net::tls::TlsInfo>,
    head: Option<Head>,
    body: Option<crate::net::http::BodySummary>,
    timings: Option<crate::net::http::Timings>,
}

async fn exchange(
    args: &FetchArgs,
    mut request: FetchRequest,
    (out, seen): (Output, &mut Seen),
    mut stop: Shutdown,
) -> ExitCode {
    let (engine, mut events) = Engine::new(tokio::runtime::Handle::current());
    // Without -o the body streams to stdout as it arrives; the bounded
    // channel slows the download rather than buffering a slow reader's data.
    let (body_tx, mut body_rx) = tokio::sync::mpsc::channel::<Vec<u8>>(16);
    if output_file(args).is_none() {
        request.body = BodyTarget::Stream(body_tx);
    } else {
        drop(body_tx);
    }
    let handle = http::fetch(&engine, request);
    let mut head: Option<Head> = None;
    let mut body_open = output_file(args).is_none();
    let mut stopping = false;
    // A character cut between two reads, waiting for its end (terminal only).
    let mut carry = Vec::new();
    loop {
        let event = tokio::select! {
            // Events first: the head (for -i) always precedes its body.
            biased;
            event = events.recv() => event,
            chunk = body_rx.recv(), if body_open => {
                match chunk {
                    Some(chunk) => {
                        if let Err(err) = out.data_part(&mut carry, &chunk) {
                            return body_not_written(&out, &err);
                        }
                    }
                    None => body_open = false,
                }
                continue;
            }
            _ = stop.recv(), if !stopping => {
                stopping = true;
                handle.cancel();
                continue;
            }
        };
        let Some(Event::Http(_, event)) = event else {
            continue;
        };
        match event {
            HttpEvent::Resolved { addrs } => {
                if args.verbose {
                    let text = crate::narrate::http::resolved(&addrs);
                    diag(&out, "resolved", &format!("* {text}"));
                }
            }
            HttpEvent::Proxy(lines) => {
                if args.verbose {
                    for line in lines {
                        diag(&out, "proxy", &format!("* {line}"));
                    }
                }
            }
            HttpEvent::Names(lines) => {
                if args.verbose {
                    for line in lines.iter() {
                        diag(&out, "names", &format!("* {line}"));
                    }
                }
            }
            HttpEvent::Connected { local, remote } => {
                seen.addresses = Some((local, remote));
                if args.verbose {
                    let text = crate::narrate::http::connected(local, remote);
                    diag(&out, "connected", &format!("* {text}"));
                }
            }
            HttpEvent::TlsEstablished(info) => {
                seen.tls = Some((*info).clone());
                if args.verbose {
                    for line in info.lines() {
                        diag(&out, "tls", &format!("* {line}"));
                    }
                }
            }
            HttpEvent::RequestSent(sent) => {
                if args.verbose {
                    for line in sent.preview.split_inclusive(|b| *b == b'\n') {
                        diag(&out, "request", &verbose_line('>', line));
                    }
                    if sent.preview.len() < sent.len {
                        let rest = sent.len - sent.preview.len();
                        diag(&out, "request", &format!("> … {rest} more body bytes"));
                    }
                }
            }
            HttpEvent::Interim(interim) => {
                if args.verbose {
                    for line in interim.raw.split_inclusive(|b| *b == b'\n') {
                        diag(&out, "interim", &verbose_line('<', line));
                    }
                }
            }
            HttpEvent::Head(response) => {
                seen.head = Some((*response).clone());
                if let Some(summary) = response.invalid_summary() {
                    if args.strict {
                        out.error(&format!("{summary} (--strict)"));
                        return Exit::Failure.into();
                    }
                    out.error(&format!("warning: {summary}; the body follows as received"));
                }
                if args.fail && response.status >= 400 {
                    // As curl --fail: no body, no file, exit 22.
                    out.error(&format!(
                        "HTTP {} {} (--fail)",
                        response.status,
                        sanitize(&response.reason)
                    ));
                    return Exit::HttpError.into();
                }
                if args.verbose {
                    for line in response.raw.split_inclusive(|b| *b == b'\n') {
                        diag(&out, "head", &verbose_line('<', line));
                    }
                    for warning in &response.warnings {
                        diag(&out, "warning", &format!("* warning: {warning}"));
                    }
                    for problem in &response.invalid {
                        diag(
                            &out,
                            "invalid",
                            &format!("* line {}: {}", problem.line + 1, problem.reason),
                        );
                    }
                }
                if args.include && out.data(&response.raw).is_err() {
                    handle.cancel();
                }
                head = Some(*response);
            }
            // The body streams to stdout as it arrives: the events are in it.
            HttpEvent::Sse(_) => {}
            // fetch is not a WebSocket client: say so and close politely.
            HttpEvent::WebSocket(event) => {
                if let crate::net::ws::WsEvent::Upgraded { .. } = *event {
                    out.error("the server switched to WebSocket (101); `netplay ws URL` speaks it — closing");
                    handle.ws_send(crate::net::http::fetch::WsSend::Close(1000, String::new()));
                }
            }
            HttpEvent::Warning(warning) => {
                if args.verbose {
                    diag(&out, "warning", &format!("* warning: {warning}"));
                }
            }
            HttpEvent::Trailers(trailers) => {
                if args.verbose {
                    for (name, value) in trailers {
                        diag(&out, "trailer", &format!("< {name}: {}", sanitize(&value)));
                    }
                }
            }
            HttpEvent::Done { body, timings } => {
                seen.body = Some((*body).clone());
                seen.timings = Some(timings);
                if args.timing {
                    print_timings(&out, &timings);
                }
                // Every piece was queued before Done: write what is left.
                while let Ok(chunk) = body_rx.try_recv() {
                    if let Err(err) = out.data_part(&mut carry, &chunk) {
                        return body_not_written(&out, &err);
                    }
                }
                if let Err(err) = out.data_end(&mut carry) {
                    return body_not_written(&out, &err);
                }
                if let Some(reason) = &body.spool_error {
                    out.error(reason);
                    return Exit::Failure.into();
                }
                let status = head.as_ref().map_or(0, |h| h.status);
                if args.fail && status >= 400 {
                    out.error(&format!(
                        "HTTP {status} {} (--fail)",
                        head.as_ref()
                            .map(|h| sanitize(&h.reason))
                            .unwrap_or_default()
                    ));
                    return Exit::HttpError.into();
                }
                return ExitCode::SUCCESS;
            }
            HttpEvent::Failed {
                reason, timings, ..
            } => {
                seen.timings = Some(timings);
                // What arrived before the failure is still output, as curl does.
                while let Ok(chunk) = body_rx.try_recv() {
                    let _ = out.data_part(&mut carry, &chunk);
                }
                let _ = out.data_end(&mut carry);
                if args.timing {
                    print_timings(&out, &timings);
                }
                out.error(&reason);
                return Exit::Failure.into();
            }
            HttpEvent::Saved(_) | HttpEvent::SaveFailed(_) => {}
        }
    }
}

/// One line of a head as `curl -v` shows it: `> GET / HTTP/1.1`. The
/// usual CR LF ending is what a line break means and is not shown; any
/// other ending (a bare LF, a stray CR) is, escaped, so a malformed head
/// still reads as what it is.
fn verbose_line(marker: char, line: &[u8]) -> String {
    let shown = line.strip_suffix(b"\r\n").unwrap_or(line);
    let text = sanitize(shown);
    if text.is_empty() {
        marker.to_string()
    } else {
        format!("{marker} {text}")
    }
}

/// Stdout refused the body: exit 23 as curl does, and quietly when the
/// reader closed the pipe (`fetch … | head -2` is not a network problem).
fn body_not_written(out: &Output, err: &std::io::Error) -> ExitCode {
    if err.kind() != std::io::ErrorKind::BrokenPipe {
        out.error(&format!("writing the body failed: {err}"));
    }
    Exit::WriteError.into()
}

/// The file `-o` names; `-o -` (or no `-o`) means stdout, as in curl.
fn output_file(args: &FetchArgs) -> Option<&std::path::PathBuf> {
    args.output.as_ref().filter(|path| path.as_os_str() != "-")
}

fn diag(out: &Output, event: &str, text: &str) {
    let text = text.trim_end_matches(['\n']);
    if out.json {
        out.event_to_stderr(event, Kind::Info, text, &[]);
    } else {
        super::output::to_stderr(text);
    }
}

fn print_timings(out: &Output, t: &Timings) {
    if out.json {
        let mut fields: Vec<(&str, Value)> = Vec::new();
        for (name, value) in [
            ("dns_us", t.dns),
            ("connect_us", t.connect),
            ("tls_us", t.tls),
            ("first_byte_us", t.first_byte),
            ("total_us", Some(t.total)),
        ] {
            if let Some(value) = value {
                fields.push((name, (value.as_micros() as u64).into()));
            }
        }
        out.event_to_stderr("timing", Kind::Info, "timings", &fields);
        return;
    }
    super::output::to_stderr(&crate::narrate::http::timings_line(t));
}
