//! `.http` files as their public documentation writes them (the VS Code
//! REST Client's README and the JetBrains HTTP Client's examples), and the
//! round trip of what netplay writes.

use super::*;

#[test]
fn rest_client_variables_and_requests() {
    let text = r#"@hostname = api.example.com
@port = 8080
@host = {{hostname}}:{{port}}
@contentType = application/json
@createdAt = {{$datetime iso8601}}

###

@name = hello

GET https://{{host}}/authors/{{name}} HTTP/1.1

### update author
# a comment
// another one
PATCH https://{{host}}/authors/{{name}} HTTP/1.1
Content-Type: {{contentType}}

{
    "content": "foo bar",
    "created_at": "{{createdAt}}"
}

###
# @name listAll
https://{{host}}/authors
"#;
    let collection = parse(text);
    assert_eq!(collection.requests.len(), 3, "{collection:?}");
    let first = &collection.requests[0];
    assert_eq!(first.method, "GET");
    assert_eq!(first.url, "https://api.example.com:8080/authors/hello");
    assert_eq!(first.name, "GET https://api.example.com:8080/authors/hello");
    let second = &collection.requests[1];
    assert_eq!(second.name, "update author");
    assert_eq!(second.method, "PATCH");
    assert_eq!(
        second.headers,
        [("Content-Type".to_string(), "application/json".to_string())]
    );
    assert_eq!(
        second.body,
        "{\n    \"content\": \"foo bar\",\n    \"created_at\": \"{{$datetime iso8601}}\"\n}"
    );
    assert_eq!(second.line, 16);
    let third = &collection.requests[2];
    assert_eq!(
        (third.name.as_str(), third.method.as_str()),
        ("listAll", "GET")
    );
    assert_eq!(
        collection.problems,
        ["line 21: {{$datetime iso8601}}: dynamic variables are not supported"]
    );
}

#[test]
fn jetbrains_examples_with_scripts_and_file_bodies() {
    let text = r#"### Get request with a header
GET https://examples.http-client.intellij.net/ip
Accept: application/json

### Post request with a json body
POST https://examples.http-client.intellij.net/post
Content-Type: application/json

{
  "id": 999,
  "value": "content"
}

> {%
    client.test("Request executed successfully", function() {
        client.assert(response.status === 200, "Response status is not 200");
    });
%}

### Send a form with the text and file fields
POST https://examples.http-client.intellij.net/post
Content-Type: multipart/form-data; boundary=WebAppBoundary

--WebAppBoundary
Content-Disposition: form-data; name="element-name"
Content-Type: text/plain

Name
--WebAppBoundary--
< ./request-form-data.json
"#;
    let collection = parse(text);
    let names: Vec<&str> = collection
        .requests
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "Get request with a header",
            "Post request with a json body",
            "Send a form with the text and file fields"
        ]
    );
    assert_eq!(
        collection.requests[1].body,
        "{\n  \"id\": 999,\n  \"value\": \"content\"\n}"
    );
    assert!(collection.requests[2]
        .body
        .ends_with("Name\n--WebAppBoundary--"));
    assert_eq!(
        collection.problems,
        [
            "line 14: scripts ({% … %}) are not supported",
            "line 30: a body from a file (./request-form-data.json) is not read"
        ]
    );
}

#[test]
fn what_netplay_writes_reads_back_the_same_and_loops_stop() {
    let request = FileRequest {
        name: "create item".into(),
        method: "POST".into(),
        url: "http://127.0.0.1:9999/items".into(),
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: "{\n  \"a\": 1\n}".into(),
        line: 2,
    };
    let plain = FileRequest {
        name: "index".into(),
        method: "GET".into(),
        url: "http://127.0.0.1:9999/".into(),
        headers: Vec::new(),
        body: String::new(),
        line: 10,
    };
    let text = format!("{}{}", to_text(&request), to_text(&plain));
    let collection = parse(&text);
    assert_eq!(collection.requests, [request, plain]);
    assert!(collection.problems.is_empty());

    let looping = parse("@a = {{b}}\n@b = {{a}}\nGET http://h/{{a}}\n");
    assert_eq!(looping.requests.len(), 1);
    assert!(
        looping
            .problems
            .iter()
            .any(|p| p.contains("nested deeper than 16")),
        "{:?}",
        looping.problems
    );
    assert_eq!(parse("").requests, []);
    assert_eq!(parse("###\n\n###  \n").requests, []);
}

#[test]
fn a_variable_bomb_stops_and_bodies_keep_their_at_lines() {
    let bomb =
        "@a = {{a}}{{a}}{{a}}{{a}}{{a}}{{a}}{{a}}{{a}}{{a}}{{a}}\n### bomb\nGET http://h/{{a}}\n";
    let collection = parse(bomb);
    assert_eq!(collection.requests.len(), 1);
    assert!(collection.requests[0].url.len() < 100, "not expanded");
    assert!(
        collection
            .problems
            .iter()
            .any(|p| p.contains("expand past 64.0 KiB")),
        "{:?}",
        collection.problems
    );
    let text = "@host = http://a\n### one\nPOST {{host}}/x\n\nfirst\n@host = http://evil\nlast\n";
    let collection = parse(text);
    assert_eq!(
        collection.requests[0].url, "http://a/x",
        "a body line is not a variable"
    );
    assert_eq!(
        collection.requests[0].body,
        "first\n@host = http://evil\nlast"
    );
    assert_eq!(
        unwritable_line("a\n### b\n"),
        Some((2, "### b".to_string()))
    );
    assert_eq!(unwritable_line("{\"a\": 1}\n@x = 1"), None);
}

#[test]
fn a_body_of_many_small_expansions_is_capped_in_total() {
    // The shape that grew a 960 KB file to 3.7 GB: a 60,000-byte variable
    // used on each of 150,000 body lines (each line under the per-line cap).
    let mut bomb = format!("@a = {}\n### bomb\nPOST http://h/\n\n", "A".repeat(60_000));
    for _ in 0..150_000 {
        bomb.push_str("{{a}}\n");
    }
    let collection = parse(&bomb);
    let total: usize = collection
        .requests
        .iter()
        .map(|r| r.url.len() + r.body.len())
        .sum();
    assert!(
        total <= bomb.len() + 4 * 1024 * 1024 + 64 * 1024,
        "{total} bytes made from a {} byte file",
        bomb.len()
    );
    assert!(
        collection
            .problems
            .iter()
            .any(|p| p.contains("expand past 4.0 MiB in this request or file")),
        "{:?}",
        collection.problems
    );
    // A polite file that uses a variable a few hundred times expands whole.
    let mut polite = String::from("@host = http://127.0.0.1:9999\n");
    for n in 0..300 {
        polite.push_str(&format!("### r{n}\nGET {{{{host}}}}/item/{n}\n\n"));
    }
    let collection = parse(&polite);
    assert_eq!(collection.requests.len(), 300);
    assert_eq!(
        collection.requests[299].url,
        "http://127.0.0.1:9999/item/299"
    );
    assert!(collection.problems.is_empty(), "{:?}", collection.problems);
}

#[test]
fn many_problems_stay_fast() {
    let mut text = String::from("GET http://h/\n");
    for n in 0..50_000 {
        text.push_str(&format!("X-{n}: {{{{v{n}}}}}\n"));
    }
    let collection = parse(&text);
    assert_eq!(collection.problems.len(), 50_000);
    assert_eq!(collection.requests[0].headers.len(), 50_000);
    // (A quadratic check of the problems took minutes on a file like this.)
}
