//! `fetch --har FILE`: HAR 1.2 entries for fetches from netplay's own
//! http mode (plain and TLS), checked against the format's required
//! structure, appended to and read back.

use crate::common;

use serde_json::Value;

use common::cli::*;

/// Checks the fields HAR 1.2 requires, with their types; the reason for
/// the first one missing or wrong.
fn check_har(har: &Value) -> Result<(), String> {
    fn need<'a>(v: &'a Value, key: &str, what: &str) -> Result<&'a Value, String> {
        v.get(key).ok_or(format!("{what}.{key} is missing"))
    }
    fn string(v: &Value, key: &str, what: &str) -> Result<(), String> {
        need(v, key, what)?
            .as_str()
            .map(|_| ())
            .ok_or(format!("{what}.{key} is not a string"))
    }
    fn number(v: &Value, key: &str, what: &str) -> Result<(), String> {
        need(v, key, what)?
            .as_f64()
            .map(|_| ())
            .ok_or(format!("{what}.{key} is not a number"))
    }
    fn pairs(v: &Value, key: &str, what: &str) -> Result<(), String> {
        let list = need(v, key, what)?
            .as_array()
            .ok_or(format!("{what}.{key} is not a list"))?;
        for pair in list {
            string(pair, "name", key)?;
            string(pair, "value", key)?;
        }
        Ok(())
    }
    let log = need(har, "log", "")?;
    if log["version"] != "1.2" {
        return Err("log.version is not 1.2".into());
    }
    string(need(log, "creator", "log")?, "name", "creator")?;
    string(need(log, "creator", "log")?, "version", "creator")?;
    for entry in need(log, "entries", "log")?
        .as_array()
        .ok_or("entries is not a list")?
    {
        string(entry, "startedDateTime", "entry")?;
        number(entry, "time", "entry")?;
        need(entry, "cache", "entry")?;
        let request = need(entry, "request", "entry")?;
        for key in ["method", "url", "httpVersion"] {
            string(request, key, "request")?;
        }
        for key in ["cookies", "headers", "queryString"] {
            pairs(request, key, "request")?;
        }
        number(request, "headersSize", "request")?;
        number(request, "bodySize", "request")?;
        let response = need(entry, "response", "entry")?;
        number(response, "status", "response")?;
        for key in ["statusText", "httpVersion", "redirectURL"] {
            string(response, key, "response")?;
        }
        pairs(response, "cookies", "response")?;
        pairs(response, "headers", "response")?;
        let content = need(response, "content", "response")?;
        number(content, "size", "content")?;
        string(content, "mimeType", "content")?;
        number(response, "headersSize", "response")?;
        number(response, "bodySize", "response")?;
        let timings = need(entry, "timings", "entry")?;
        let mut sum = 0.0;
        for key in ["send", "wait", "receive"] {
            number(timings, key, "timings")?;
            if timings[key].as_f64().unwrap() < 0.0 {
                return Err(format!("timings.{key} is negative"));
            }
        }
        for key in ["dns", "connect", "send", "wait", "receive"] {
            let value = timings[key].as_f64().unwrap_or(-1.0);
            if value >= 0.0 {
                sum += value;
            }
        }
        let time = entry["time"].as_f64().unwrap();
        if (time - sum).abs() > 0.01 {
            return Err(format!("time {time} is not the sum of the timings {sum}"));
        }
    }
    Ok(())
}

#[test]
fn fetch_har_writes_valid_entries_and_appends_to_them() {
    let dir = tempfile::tempdir().unwrap();
    let har = dir.path().join("session.har");
    let plain = Server::start(&["tcp", "serve", "127.0.0.1:0", "--mode", "http"]);
    let plain_addr = plain.address("Listening on ");
    let tls = Server::start(&["tcp", "serve", "127.0.0.1:0", "--tls", "--mode", "http"]);
    let tls_addr = tls.address("Listening on ");

    let urls = [
        format!("http://{plain_addr}/hello?name=Michael"),
        format!("https://localhost:{}/hello", tls_addr.port()),
    ];
    for url in &urls {
        let output = netplay(&[
            "fetch",
            url,
            "--har",
            har.to_str().unwrap(),
            "-o",
            "/dev/null",
        ])
        .output()
        .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{stderr}");
        assert!(stderr.contains("HAR: "), "{stderr}");
    }
    let document: Value = serde_json::from_str(&std::fs::read_to_string(&har).unwrap()).unwrap();
    check_har(&document).unwrap();
    let entries = document["log"]["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "the second fetch was appended");

    let first = &entries[0];
    assert_eq!(first["request"]["method"], "GET");
    assert_eq!(first["request"]["url"], urls[0].as_str());
    assert_eq!(first["request"]["queryString"][0]["value"], "Michael");
    assert_eq!(first["response"]["status"], 200);
    assert_eq!(first["serverIPAddress"], "127.0.0.1");
    let headers = first["response"]["headers"].as_array().unwrap();
    let length = headers
        .iter()
        .find(|h| {
            h["name"]
                .as_str()
                .unwrap()
                .eq_ignore_ascii_case("content-length")
        })
        .expect("the Content-Length header");
    let declared: u64 = length["value"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        first["response"]["bodySize"], declared,
        "the body's size as received"
    );
    assert_eq!(first["response"]["content"]["size"], declared);
    assert!(first["response"]["content"]["text"]
        .as_str()
        .is_some_and(|t| t.len() as u64 == declared));
    assert_eq!(first["timings"]["ssl"], -1, "no TLS");
    assert!(first["timings"]["wait"].as_f64().unwrap() >= 0.0);

    let second = &entries[1];
    assert_eq!(second["response"]["status"], 200);
    assert!(
        second["timings"]["ssl"].as_f64().unwrap() >= 0.0,
        "the TLS handshake is timed"
    );
    assert!(
        second["comment"]
            .as_str()
            .is_some_and(|c| c.starts_with("TLSv1.3 ")),
        "{}",
        second["comment"]
    );

    // A file that is not HAR is refused and left as it was.
    let other = dir.path().join("notes.txt");
    std::fs::write(&other, "my notes").unwrap();
    let output = netplay(&[
        "fetch",
        &urls[0],
        "--har",
        other.to_str().unwrap(),
        "-o",
        "/dev/null",
    ])
    .output()
    .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("is not a HAR file"));
    assert_eq!(std::fs::read_to_string(&other).unwrap(), "my notes");
}

/// A bare `{"log":{"entries":[]}}` gets what HAR 1.2 requires; the file is
/// private (it holds headers); a body that is not UTF-8 says so.
#[test]
fn appending_completes_a_bare_har_and_keeps_it_private() {
    let dir = tempfile::tempdir().unwrap();
    let har = dir.path().join("bare.har");
    std::fs::write(&har, r#"{"log":{"entries":[]}}"#).unwrap();
    let data = dir.path().join("body.bin");
    std::fs::write(&data, [0xffu8, 0xfe, b'a']).unwrap();
    let plain = Server::start(&["tcp", "serve", "127.0.0.1:0", "--mode", "http"]);
    let url = format!("http://{}/upload", plain.address("Listening on "));
    let output = netplay(&[
        "fetch",
        &url,
        "--data-file",
        data.to_str().unwrap(),
        "--har",
        har.to_str().unwrap(),
        "-o",
        "/dev/null",
    ])
    .output()
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let document: Value = serde_json::from_str(&std::fs::read_to_string(&har).unwrap()).unwrap();
    check_har(&document).unwrap();
    let post = &document["log"]["entries"][0]["request"]["postData"];
    assert!(
        post["comment"]
            .as_str()
            .is_some_and(|c| c.contains("not UTF-8: 3 bytes")),
        "{post}"
    );
    assert_eq!(document["log"]["entries"][0]["request"]["bodySize"], 3);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&har).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
