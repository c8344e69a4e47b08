//! HAR 1.2 (the HTTP Archive format browsers export): one exchange as an
//! entry — the request as sent, the response's head, the body's size (and
//! its text when netplay holds it whole), the timing breakdown, the
//! server's address and the TLS session in a comment — and files that
//! grow by one entry at a time and stay valid.

use std::net::SocketAddr;
use std::path::Path;
use std::time::SystemTime;

use serde_json::{json, Value};
use url::Url;

use super::body::BodySummary;
use super::{Head, Timings};
use crate::tls::TlsInfo;

/// Everything known of one exchange.
pub struct Exchange<'a> {
    /// When the request began.
    pub started: SystemTime,
    /// Where it went.
    pub url: &'a Url,
    /// The request exactly as sent (head and body).
    pub request: &'a [u8],
    /// The socket's ends, once connected.
    pub addresses: Option<(SocketAddr, SocketAddr)>,
    /// The TLS session, for https.
    pub tls: Option<&'a TlsInfo>,
    /// The response's head, if one came.
    pub head: Option<&'a Head>,
    /// The body, if the exchange finished.
    pub body: Option<&'a BodySummary>,
    /// The timing breakdown.
    pub timings: &'a Timings,
}

fn ms(duration: std::time::Duration) -> f64 {
    (duration.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0
}

fn pairs(headers: impl Iterator<Item = (String, String)>) -> Vec<Value> {
    headers
        .map(|(name, value)| json!({ "name": name, "value": value }))
        .collect()
}

/// `a=1; b=2` (a Cookie header) or the first pair of a Set-Cookie.
fn cookies(headers: &[(String, String)], name: &str, first_only: bool) -> Vec<Value> {
    headers
        .iter()
        .filter(|(header, _)| header.eq_ignore_ascii_case(name))
        .flat_map(|(_, value)| {
            let parts: Vec<&str> = value.split(';').collect();
            let take = if first_only { 1 } else { parts.len() };
            parts
                .into_iter()
                .take(take)
                .filter_map(|part| part.trim().split_once('='))
                .map(|(n, v)| json!({ "name": n.trim(), "value": v.trim() }))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn request(exchange: &Exchange<'_>) -> Value {
    let mut headers = [httparse::EMPTY_HEADER; 100];
    let mut parsed = httparse::Request::new(&mut headers);
    let head_len = match parsed.parse(exchange.request) {
        Ok(httparse::Status::Complete(len)) => len,
        _ => exchange.request.len(),
    };
    let method = parsed.method.unwrap_or("GET").to_string();
    let version = format!("HTTP/1.{}", parsed.version.unwrap_or(1));
    let list: Vec<(String, String)> = parsed
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_string(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect();
    let body = &exchange.request[head_len..];
    let mut request = json!({
        "method": method,
        "url": exchange.url.as_str(),
        "httpVersion": version,
        "cookies": cookies(&list, "cookie", false),
        "headers": pairs(list.iter().cloned()),
        "queryString": exchange.url.query_pairs()
            .map(|(n, v)| json!({ "name": n, "value": v }))
            .collect::<Vec<_>>(),
        "headersSize": head_len,
        "bodySize": body.len(),
    });
    if !body.is_empty() {
        let mime = list
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
            .map_or("application/octet-stream", |(_, v)| v.as_str());
        request["postData"] = match std::str::from_utf8(body) {
            Ok(text) => json!({ "mimeType": mime, "text": text }),
            // HAR has no encoding for a request body: the text is what a
            // viewer can show, and the comment says it is not the bytes.
            Err(_) => json!({
                "mimeType": mime,
                "text": String::from_utf8_lossy(body),
                "comment": format!("the body is not UTF-8: {} bytes, shown with U+FFFD for what is not text (bodySize is exact)", body.len()),
            }),
        };
    }
    request
}

fn response(exchange: &Exchange<'_>) -> Value {
    let Some(head) = exchange.head else {
        // No answer: HAR still wants a response; status 0 says none came.
        return json!({
            "status": 0, "statusText": "", "httpVersion": "", "cookies": [],
            "headers": [], "content": { "size": 0, "mimeType": "" },
            "redirectURL": "", "headersSize": -1, "bodySize": -1,
            "comment": "no response",
        });
    };
    let list: Vec<(String, String)> = head
        .headers
        .iter()
        .map(|(n, v)| (n.clone(), String::from_utf8_lossy(v).into_owned()))
        .collect();
    let header = |name: &str| {
        list.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let received = exchange.body.map_or(0, |body| body.size);
    let mut content = json!({
        "size": received,
        "mimeType": header("content-type").unwrap_or_default(),
    });
    if let Some(body) = exchange.body {
        // The content as the application sees it: decoded when netplay
        // decoded it; its text only when netplay holds all of it.
        let (size, bytes, whole) = match &body.decoded {
            Some(decoded) => (
                decoded.size,
                &decoded.preview,
                decoded.complete && decoded.error.is_none(),
            ),
            None => (body.size, &body.preview, true),
        };
        content["size"] = json!(size);
        if body.decoded.is_some() {
            content["compression"] = json!(size.saturating_sub(received));
        }
        if whole && bytes.len() as u64 == size {
            match std::str::from_utf8(bytes) {
                Ok(text) => content["text"] = json!(text),
                Err(_) => {
                    use base64::Engine as _;
                    content["text"] =
                        json!(base64::engine::general_purpose::STANDARD.encode(bytes));
                    content["encoding"] = json!("base64");
                }
            }
        } else {
            content["comment"] = json!(format!(
                "the content is not included: {size} bytes, netplay keeps the first {}",
                bytes.len()
            ));
        }
    }
    json!({
        "status": head.status,
        "statusText": String::from_utf8_lossy(&head.reason),
        "httpVersion": format!("HTTP/1.{}", head.minor_version),
        "cookies": cookies(&list, "set-cookie", true),
        "headers": pairs(list.iter().cloned()),
        "content": content,
        "redirectURL": header("location").unwrap_or_default(),
        "headersSize": head.raw.len(),
        "bodySize": exchange.body.map_or(-1, |body| body.size as i64),
    })
}

/// The timing breakdown in HAR's terms (ms; -1 for a phase that did not
/// happen): `connect` includes `ssl`, as HAR defines it.
fn timings(t: &Timings) -> (Value, f64) {
    let dns_end = t.dns.unwrap_or_default();
    let connected = t.connect.unwrap_or(dns_end);
    let secured = t.tls.unwrap_or(connected);
    let first = t.first_byte.unwrap_or(t.total);
    let dns = t.dns.map_or(-1.0, ms);
    let connect = t
        .connect
        .map_or(-1.0, |_| ms(secured.saturating_sub(dns_end)));
    let ssl = t.tls.map_or(-1.0, |tls| ms(tls.saturating_sub(connected)));
    let wait = ms(first.saturating_sub(secured));
    let receive = ms(t.total.saturating_sub(first));
    let total = [dns, connect, 0.0, wait, receive]
        .iter()
        .filter(|v| **v >= 0.0)
        .sum::<f64>();
    // Not applicable is -1, as HAR writes it (an integer).
    let phase = |value: f64| if value < 0.0 { json!(-1) } else { json!(value) };
    let value = json!({
        "blocked": -1, "dns": phase(dns), "connect": phase(connect), "ssl": phase(ssl),
        "send": 0, "wait": wait, "receive": receive,
    });
    (value, total)
}

/// One HAR entry for `exchange`.
pub fn entry(exchange: &Exchange<'_>) -> Value {
    let (timings, time) = timings(exchange.timings);
    let mut entry = json!({
        "startedDateTime": crate::clock::Stamp::at(exchange.started).rfc3339(),
        "time": time,
        "request": request(exchange),
        "response": response(exchange),
        "cache": {},
        "timings": timings,
    });
    if let Some((local, remote)) = exchange.addresses {
        entry["serverIPAddress"] = json!(remote.ip().to_string());
        entry["connection"] = json!(local.port().to_string());
    }
    if let Some(tls) = exchange.tls {
        entry["comment"] = json!(format!(
            "{} {}{}; certificate {}",
            tls.version,
            tls.cipher,
            tls.alpn
                .as_ref()
                .map(|a| format!(", ALPN {a}"))
                .unwrap_or_default(),
            tls.verification()
        ));
    }
    entry
}

/// A whole HAR document of `entries`.
pub fn document(entries: Vec<Value>) -> Value {
    json!({
        "log": {
            "version": "1.2",
            "creator": { "name": "netplay", "version": env!("CARGO_PKG_VERSION") },
            "entries": entries,
        }
    })
}

/// The largest HAR file added to: it is read and parsed whole.
const APPEND_LIMIT: u64 = 64 * 1024 * 1024;

/// Adds `entry` to the HAR file at `path` (made if absent or empty, 0600:
/// it holds headers such as cookies), replacing the file whole so it
/// stays valid; how many entries it holds.
pub fn append(path: &Path, entry: Value) -> Result<usize, String> {
    let shown = crate::text::sanitize_str(&path.display().to_string());
    let mut document = match std::fs::metadata(path) {
        Ok(meta) if meta.len() > 0 => {
            let bytes = crate::files::read_regular(path, APPEND_LIMIT).map_err(|reason| {
                format!("{shown}: {reason} (netplay reads a HAR file whole to add to it: start a new one)")
            })?;
            let document: Value = serde_json::from_slice(&bytes).map_err(|err| {
                format!("{shown} is not a HAR file (not JSON: {err}); not touched")
            })?;
            if !document["log"]["entries"].is_array() {
                return Err(format!(
                    "{shown} is not a HAR file (no log.entries); not touched"
                ));
            }
            document
        }
        _ => self::document(Vec::new()),
    };
    // What HAR 1.2 requires besides the entries, if the file lacks it.
    let fresh = self::document(Vec::new());
    for field in ["version", "creator"] {
        if document["log"][field].is_null() {
            document["log"][field] = fresh["log"][field].clone();
        }
    }
    let entries = document["log"]["entries"]
        .as_array_mut()
        .ok_or_else(|| format!("{shown} has no log.entries"))?;
    entries.push(entry);
    let count = entries.len();
    // Compact: a file that is appended to again stays within the limit.
    let text = serde_json::to_vec(&document).map_err(|err| err.to_string())?;
    let mut file = crate::files::Replacing::private(path)
        .map_err(|reason| format!("cannot write the HAR file: {reason}"))?;
    use std::io::Write as _;
    file.file()
        .write_all(&text)
        .map_err(|err| format!("writing {shown} failed: {err}"))?;
    file.finish()?;
    Ok(count)
}
