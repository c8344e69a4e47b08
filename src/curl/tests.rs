//! curl command lines → requests: quoting edge cases, and "Copy as cURL"
//! as Chrome and Firefox write it.

use super::*;

fn header<'a>(request: &'a CurlRequest, name: &str) -> Option<&'a str> {
    request
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[test]
fn a_table_of_command_lines() {
    struct Case {
        line: &'static str,
        method: &'static str,
        url: &'static str,
        body: Option<&'static str>,
        headers: &'static [(&'static str, &'static str)],
        ignored: &'static [&'static str],
    }
    let cases = [
        Case {
            line: "curl http://127.0.0.1:9999/",
            method: "GET",
            url: "http://127.0.0.1:9999/",
            body: None,
            headers: &[],
            ignored: &[],
        },
        Case {
            line: "curl -XPUT --data=x 127.0.0.1:8080/a",
            method: "PUT",
            url: "http://127.0.0.1:8080/a",
            body: Some("x"),
            headers: &[("Content-Type", "application/x-www-form-urlencoded")],
            ignored: &[],
        },
        Case {
            line: r#"curl -d "say \"hi\"" -d 'b=2' http://h/p"#,
            method: "POST",
            url: "http://h/p",
            body: Some("say \"hi\"&b=2"),
            headers: &[],
            ignored: &[],
        },
        Case {
            line: "curl -G --data-urlencode 'q=a b&c' -d n=1 'http://h/s?x=0'",
            method: "GET",
            url: "http://h/s?x=0&q=a+b%26c&n=1",
            body: None,
            headers: &[],
            ignored: &[],
        },
        Case {
            line: "curl -I -A 'agent/1' -e http://ref/ -b 'a=1; b=2' https://h/",
            method: "HEAD",
            url: "https://h/",
            body: None,
            headers: &[
                ("User-Agent", "agent/1"),
                ("Referer", "http://ref/"),
                ("Cookie", "a=1; b=2"),
            ],
            ignored: &[],
        },
        Case {
            line: "curl -u user:pass -k --cacert ca.pem --url https://h/x",
            method: "GET",
            url: "https://h/x",
            body: None,
            headers: &[("Authorization", "Basic dXNlcjpwYXNz")],
            ignored: &[],
        },
        Case {
            line: r#"curl --json '{"a":1}' http://h/j"#,
            method: "POST",
            url: "http://h/j",
            body: Some(r#"{"a":1}"#),
            headers: &[
                ("Content-Type", "application/json"),
                ("Accept", "application/json"),
            ],
            ignored: &[],
        },
        Case {
            line: "curl -sSL -o out.html --compressed -d @body.json http://h/",
            method: "GET",
            url: "http://h/",
            body: None,
            headers: &[],
            ignored: &[
                "-s",
                "-S",
                "-L",
                "-o out.html",
                "--compressed",
                "-d @body.json (a body from a file: use --data-file)",
            ],
        },
        Case {
            line: "curl -d 'one\ntwo' --data-binary $'three\\nfour' http://h/",
            method: "POST",
            url: "http://h/",
            body: Some("onetwo&three\nfour"),
            headers: &[],
            ignored: &[],
        },
    ];
    for case in cases {
        let request = parse(case.line).unwrap_or_else(|err| panic!("{}: {err}", case.line));
        assert_eq!(request.method, case.method, "{}", case.line);
        assert_eq!(request.url, case.url, "{}", case.line);
        assert_eq!(request.body.as_deref(), case.body, "{}", case.line);
        for (name, value) in case.headers {
            assert_eq!(
                header(&request, name),
                Some(*value),
                "{}: {name}",
                case.line
            );
        }
        assert_eq!(request.ignored, case.ignored, "{}", case.line);
    }
}

#[test]
fn chrome_copy_as_curl_with_continuations_and_ansi_c_strings() {
    let line = r#"curl 'https://example.com/api/items?id=7' \
  -H 'accept: application/json' \
  -H 'accept-language: en-US,en;q=0.9' \
  -H 'content-type: application/json' \
  -b 'session=abc123; theme=dark' \
  -H 'origin: https://example.com' \
  -H 'user-agent: Mozilla/5.0 (X11; Linux x86_64)' \
  --data-raw $'{"name":"O\'Brien","note":"line1\\nline2"}'"#;
    let request = parse(line).unwrap();
    assert_eq!(request.method, "POST");
    assert_eq!(request.url, "https://example.com/api/items?id=7");
    assert_eq!(
        request.body.as_deref(),
        Some(r#"{"name":"O'Brien","note":"line1\nline2"}"#)
    );
    assert_eq!(header(&request, "accept-language"), Some("en-US,en;q=0.9"));
    assert_eq!(
        header(&request, "cookie"),
        Some("session=abc123; theme=dark")
    );
    assert_eq!(
        header(&request, "content-type"),
        Some("application/json"),
        "not replaced"
    );
    assert!(request.ignored.is_empty(), "{:?}", request.ignored);
}

#[test]
fn a_paste_whose_lines_end_in_cr_reads_the_same() {
    // What a terminal hands over on paste: CR for each line end.
    let pasted =
        "curl 'https://example.com/a' \\\r  -H 'accept: text/plain' \\\r  --data-raw 'x=1'\r";
    let request = parse(pasted).unwrap();
    assert_eq!(request.url, "https://example.com/a");
    assert_eq!(header(&request, "accept"), Some("text/plain"));
    assert_eq!(request.body.as_deref(), Some("x=1"));
    assert!(request.ignored.is_empty(), "{:?}", request.ignored);
    // cmd.exe's ^ continuation, pasted with CR LF.
    let cmd = "curl ^\r\n  \"https://example.com/b\"\r\n";
    assert_eq!(parse(cmd).unwrap().url, "https://example.com/b");
}

#[test]
fn firefox_copy_as_curl() {
    let line = "curl 'https://example.com/api/items' -X POST -H 'User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0' -H 'Accept: */*' -H 'Accept-Language: en-US,en;q=0.5' -H 'Accept-Encoding: gzip, deflate, br, zstd' -H 'Content-Type: application/json' -H 'Origin: https://example.com' -H 'Connection: keep-alive' --data-raw '{\"a\":1}'";
    let request = parse(line).unwrap();
    assert_eq!(request.method, "POST");
    assert_eq!(request.body.as_deref(), Some("{\"a\":1}"));
    assert_eq!(request.headers.len(), 7);
    assert_eq!(header(&request, "connection"), Some("keep-alive"));
}

#[test]
fn short_option_clusters_and_ansi_c_escapes_read_as_curl_and_bash_do() {
    let request = parse("curl -sI http://h/").unwrap();
    assert_eq!(
        (request.method.as_str(), request.ignored.clone()),
        ("HEAD", vec!["-s".to_string()])
    );
    let request = parse("curl -LX POST http://h/").unwrap();
    assert_eq!(
        (request.method.as_str(), request.url.as_str()),
        ("POST", "http://h/")
    );
    let request = parse("curl -kH 'X-A: 1' http://h/").unwrap();
    assert!(request.insecure);
    assert_eq!(request.headers, [("X-A".to_string(), "1".to_string())]);
    let request = parse("curl -Iv -é http://h/").unwrap();
    assert_eq!(request.ignored, ["-v", "-é"]);
    let request = parse(r"curl --data-binary $'\101\x41\a\b\f\v\0' http://h/").unwrap();
    assert_eq!(request.body.as_deref(), Some("AA\u{7}\u{8}\u{c}\u{b}\0"));
}

#[test]
fn line_breaks_in_headers_and_methods_are_refused() {
    for line in [
        r"curl -H $'X: a\r\nInjected: 2' http://h/",
        r"curl -A $'agent\r\nX: 1' http://h/",
        r"curl -X $'GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\nGET' http://h/",
        r"curl -X $'\e]2;PWNED\a' http://h/",
        "curl -H 'Bad Name: 1' http://h/",
    ] {
        assert!(parse(line).is_err(), "{line}");
    }
}

#[test]
fn bad_command_lines_say_why() {
    for (line, why) in [
        ("wget http://h/", "not a curl command"),
        ("curl -H", "needs a value"),
        ("curl 'http://h/", "cannot split"),
        ("curl -v", "no URL"),
        ("curl --data-raw $'open http://h/", "not closed"),
    ] {
        let err = parse(line).unwrap_err();
        assert!(err.contains(why), "{line}: {err}");
    }
}

#[test]
fn quoting_for_the_shell_round_trips() {
    for word in [
        "plain",
        "http://h/a?b=c",
        "it's",
        "a b",
        "",
        "$HOME",
        "\"q\"",
        "x\ny",
    ] {
        let quoted = quote(word);
        assert_eq!(split(&quoted).unwrap(), [word], "{quoted}");
    }
}
