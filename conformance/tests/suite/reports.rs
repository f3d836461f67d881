//! The four report files of a fixed run: report.json, junit.xml and summary.md pinned as
//! snapshots; junit.xml read back as CI would; report.html checked for self-containment and
//! structure. No secret of the run may reach any of them.

#![allow(clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use conformance::check;
use conformance::ctx::Ctx;
use conformance::http::{
    Exchange, RecordedRequest, RecordedResponse, Redactor, basic_user, curl_line,
};
use conformance::model::{Check, CheckResult, Outcome, deviate, fail, skip};
use conformance::report::{CheckReport, Counterexample, Report, TargetInfo};
use quick_xml::Reader;
use quick_xml::events::Event;
use scraper::{Html, Selector};
use sha2::{Digest, Sha256};

const CLIENT_SECRET: &str = "cc-Sup3r-Secret-Value";
const ACCESS_TOKEN: &str = "at-0f1e2d3c4b5a69788796a5b4";
const REFRESH_TOKEN: &str = "rt-99aa88bb77cc66dd55ee44ff";
const ISSUER: &str = "http://127.0.0.1:8080";

async fn not_run(_ctx: Ctx) -> CheckResult {
    Ok(())
}

/// Records one exchange the way `Ctx::send` does: redacted, with its replay line, and the
/// tokens of a JSON answer remembered for what follows.
fn record(
    redactor: &Redactor,
    request: (&str, &str, &[(&str, &str)], &str),
    response: (u16, &[(&str, &str)], &str),
) -> Exchange {
    let (method, url, headers, body) = request;
    let header = |headers: &[(&str, &str)], name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| (*v).to_owned())
    };
    let recorded = RecordedRequest {
        method: method.into(),
        url: redactor.url(url),
        headers: headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), redactor.header(n, v)))
            .collect(),
        body: redactor.body(header(headers, "content-type").as_deref(), body),
        source: None,
    };
    let user = header(headers, "authorization").and_then(|v| basic_user(&v));
    let curl = curl_line(&recorded, user.as_deref());
    let (status, response_headers, response_body) = response;
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(response_body) {
        for name in ["access_token", "refresh_token"] {
            if let Some(token) = value.get(name).and_then(|v| v.as_str()) {
                redactor.remember(token);
            }
        }
    }
    Exchange {
        request: recorded,
        response: Some(RecordedResponse {
            status,
            headers: response_headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), redactor.header(n, v)))
                .collect(),
            body: redactor.body(
                header(response_headers, "content-type").as_deref(),
                response_body,
            ),
        }),
        error: None,
        curl,
    }
}

fn entry(check: Check, outcome: Outcome, ms: u64, transcript: Vec<Exchange>) -> CheckReport {
    CheckReport::new(&check, outcome, Duration::from_millis(ms), transcript)
}

/// A pass, a failure, a warning, a skip, a pass with credentials in its transcript, and a
/// failed property check.
fn sample() -> Report {
    let redactor = Redactor::default();
    redactor.remember(CLIENT_SECRET);
    let basic = format!(
        "Basic {}",
        STANDARD.encode(format!("cc-client:{CLIENT_SECRET}"))
    );
    let form = ("content-type", "application/x-www-form-urlencoded");
    let json = ("content-type", "application/json");
    let token_url = format!("{ISSUER}/oauth/token");
    let introspect_url = format!("{ISSUER}/oauth/introspect");
    let token_response = format!(
        r#"{{"access_token":"{ACCESS_TOKEN}","token_type":"bearer","expires_in":3600,"refresh_token":"{REFRESH_TOKEN}","scope":"api:read"}}"#
    );
    let introspect_body = format!("token={ACCESS_TOKEN}");
    let introspect_response = format!(
        r#"{{"active":true,"client_id":"cc-client","scope":"api:read","note":"issued {ACCESS_TOKEN}"}}"#
    );
    let with_secrets = vec![
        record(
            &redactor,
            (
                "POST",
                &token_url,
                &[("authorization", &basic), form],
                "grant_type=client_credentials&scope=api%3Aread",
            ),
            (200, &[json, ("cache-control", "no-store")], &token_response),
        ),
        record(
            &redactor,
            (
                "POST",
                &introspect_url,
                &[("authorization", &basic), form],
                &introspect_body,
            ),
            (200, &[json], &introspect_response),
        ),
    ];
    let failed = vec![record(
        &redactor,
        (
            "POST",
            &token_url,
            &[form],
            &format!(
                "grant_type=client_credentials&client_id=cc-client&client_secret={CLIENT_SECRET}"
            ),
        ),
        (
            200,
            &[("content-type", "text/html")],
            "<html><script>alert(1)</script></html>",
        ),
    )];

    let mut property = entry(
        check!(
            "token-req-03",
            ["TOKEN-REQ-03"],
            Must,
            Both,
            [Admin],
            "Any malformed form body gets a 400 invalid_request",
            not_run
        ),
        fail("400 invalid_request", "500 server_error"),
        2315,
        Vec::new(),
    );
    property.cases = Some(64);
    property.counterexample = Some(Counterexample {
        input: "grant_type=client_credentials&scope=%FF".into(),
        curl: format!(
            "curl -i -X POST '{token_url}' -u \"cc-client:$CLIENT_SECRET\" --data-raw 'grant_type=client_credentials&scope=%FF'"
        ),
    });

    let checks = vec![
        entry(
            check!(
                "token-cc-01",
                ["TOKEN-CC-01"],
                Must,
                Both,
                [Admin],
                "A confidential client gets an access token for its own credentials",
                not_run
            ),
            Outcome::Pass,
            12,
            Vec::new(),
        ),
        entry(
            check!(
                "token-auth-05",
                ["TOKEN-AUTH-05"],
                [(
                    Must,
                    "RFC 6749 §5.2",
                    "the authorization server MUST respond with an HTTP 401 (Unauthorized) status code"
                )],
                StrictOnly,
                [],
                "Client credentials in the body are refused when the client can use Basic",
                not_run
            ),
            fail(
                "400 invalid_request or 401 invalid_client",
                "200 <html><script>alert(1)</script></html>",
            ),
            31,
            failed,
        ),
        entry(
            check!(
                "token-resp-04",
                ["TOKEN-RESP-04", "AMB-07"],
                [
                    (
                        Must,
                        "RFC 6749 §5.1",
                        "The authorization server MUST include the HTTP \"Cache-Control\" response header field"
                    ),
                    (
                        Decision,
                        "AMB-07",
                        "error responses carry Pragma: no-cache too"
                    )
                ],
                Both,
                [],
                "Token responses carry Pragma: no-cache",
                not_run
            ),
            deviate("pragma: no-cache", "no pragma header"),
            8,
            Vec::new(),
        ),
        entry(
            check!(
                "exp-03",
                ["EXP-03"],
                Vendor,
                Both,
                [Clock],
                "An access token stops working once it expires",
                not_run
            ),
            skip("the target has no test clock (run with --slow to wait in real time)"),
            0,
            Vec::new(),
        ),
        entry(
            check!(
                "introspect-01",
                ["INTROSPECT-01", "TOKEN-CC-02"],
                Must,
                Both,
                [Admin],
                "Introspection reports a fresh token as active, with its client and scope",
                not_run
            ),
            Outcome::Pass,
            1204,
            with_secrets,
        ),
        property,
    ];
    let target = TargetInfo {
        name: "sample-server".into(),
        issuer: ISSUER.into(),
        profile: "strict".into(),
    };
    Report::new(
        target,
        "2026-03-01T12:00:00Z".into(),
        Duration::from_millis(4321),
        42,
        checks,
    )
}

/// The version changes with every release; the snapshots should not.
fn versionless(text: String) -> String {
    text.replace(env!("CARGO_PKG_VERSION"), "[version]")
}

#[test]
fn report_json_is_pinned() {
    insta::assert_snapshot!("report_json", versionless(sample().json()));
}

#[test]
fn junit_xml_is_pinned() {
    insta::assert_snapshot!(
        "junit_xml",
        versionless(conformance::report::junit(&sample()))
    );
}

#[test]
fn summary_md_is_pinned() {
    insta::assert_snapshot!(
        "summary_md",
        versionless(conformance::report::summary_markdown(&sample()))
    );
}

#[test]
fn no_secret_reaches_any_report() {
    let report = sample();
    let basic = STANDARD.encode(format!("cc-client:{CLIENT_SECRET}"));
    let outputs = [
        ("report.json", report.json()),
        ("junit.xml", conformance::report::junit(&report)),
        ("report.html", conformance::report::html(&report)),
        ("summary.md", conformance::report::summary_markdown(&report)),
    ];

    for (file, text) in &outputs {
        for secret in [CLIENT_SECRET, basic.as_str(), ACCESS_TOKEN, REFRESH_TOKEN] {
            assert!(!text.contains(secret), "{file} shows {secret}");
        }
    }
    // The transcript is still there, redacted.
    let json = &outputs[0].1;
    assert!(json.contains("Basic [redacted]"));
    assert!(json.contains(r#"\"access_token\": \"[redacted]\""#));
    assert!(json.contains("$CLIENT_SECRET"));
}

fn attribute(element: &quick_xml::events::BytesStart<'_>, name: &str) -> Option<String> {
    element
        .try_get_attribute(name)
        .unwrap()
        .map(|a| a.unescape_value().unwrap().into_owned())
}

#[test]
fn junit_xml_has_one_testcase_per_check_classed_by_group() {
    let report = sample();
    let xml = conformance::report::junit(&report);
    let mut reader = Reader::from_str(&xml);
    let mut path: Vec<String> = Vec::new();
    let mut cases: Vec<(String, String)> = Vec::new();
    let mut failures: Vec<String> = Vec::new();
    let mut skips: Vec<String> = Vec::new();
    let mut outs: Vec<String> = Vec::new();
    let mut suite_counts = None;

    loop {
        let event = reader.read_event().expect("junit.xml is well-formed XML");
        let (element, empty) = match &event {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(_) => {
                path.pop();
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        let name = String::from_utf8(element.name().as_ref().to_vec()).unwrap();
        let parent = path.last().map(String::as_str);
        match name.as_str() {
            "testsuites" => assert_eq!(parent, None),
            "testsuite" => {
                assert_eq!(parent, Some("testsuites"));
                suite_counts = Some(
                    ["tests", "failures", "errors", "skipped"]
                        .map(|a| attribute(element, a).unwrap().parse::<usize>().unwrap()),
                );
            }
            "testcase" => {
                assert_eq!(parent, Some("testsuite"));
                cases.push((
                    attribute(element, "name").unwrap(),
                    attribute(element, "classname").unwrap(),
                ));
            }
            "failure" | "skipped" | "system-out" => {
                assert_eq!(parent, Some("testcase"), "{name} outside a testcase");
                let case = cases.last().unwrap().0.clone();
                match name.as_str() {
                    "failure" => failures.push(case),
                    "skipped" => skips.push(case),
                    _ => outs.push(case),
                }
            }
            other => panic!("unexpected element {other}"),
        }
        if !empty {
            path.push(name);
        }
    }

    assert!(path.is_empty(), "unclosed elements: {path:?}");
    assert_eq!(suite_counts, Some([6, 2, 0, 1]));
    assert_eq!(cases.len(), report.checks.len());
    for ((name, classname), check) in cases.iter().zip(&report.checks) {
        assert!(name.starts_with(&check.id), "{name} is not {}", check.id);
        assert_eq!(classname, &check.group, "classname of {}", check.id);
    }
    let ids = |names: &[String]| -> Vec<String> {
        names
            .iter()
            .map(|n| n.split(' ').next().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(&failures), ["token-auth-05", "token-req-03"]);
    assert_eq!(ids(&skips), ["exp-03"]);
    assert_eq!(ids(&outs), ["token-resp-04"]);
}

/// Tags must nest and close; `script` and `style` hold raw text.
fn assert_balanced(html: &str) {
    const VOID: [&str; 6] = ["meta", "input", "br", "hr", "img", "link"];
    let mut stack: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        let end = rest.find('>').expect("a tag that ends");
        let tag = &rest[..end];
        rest = &rest[end + 1..];
        if tag.starts_with('!') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            let open = stack.pop();
            assert_eq!(open.as_deref(), Some(name.trim()), "mismatched </{name}>");
            continue;
        }
        let name = tag
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap()
            .to_ascii_lowercase();
        if VOID.contains(&name.as_str()) || tag.ends_with('/') {
            continue;
        }
        if name == "script" || name == "style" {
            let close = format!("</{name}>");
            let at = rest.find(&close).expect("raw text element closes");
            rest = &rest[at + close.len()..];
            continue;
        }
        stack.push(name);
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
}

#[test]
fn report_html_is_self_contained_and_lists_every_check() {
    let report = sample();
    let html = conformance::report::html(&report);
    let page = Html::parse_document(&html);
    let select = |css: &str| Selector::parse(css).unwrap();

    assert!(
        page.errors.is_empty(),
        "HTML parse errors: {:?}",
        page.errors
    );
    assert_balanced(&html);
    // Nothing loads from elsewhere: no sources, only in-page links, no stylesheet imports.
    for element in page.select(&select("*")) {
        let element = element.value();
        for name in ["src", "srcset", "action", "poster", "data", "formaction"] {
            assert!(
                element.attr(name).is_none(),
                "<{}> has {name}",
                element.name()
            );
        }
        // In-page links, and the cited RFC sections on the RFC Editor's site (a navigation
        // the reader chooses, nothing the page loads).
        if let Some(href) = element.attr("href") {
            let cited = href.starts_with("https://www.rfc-editor.org/rfc/rfc")
                && element.attr("rel") == Some("noreferrer");
            assert!(
                href.starts_with('#') || cited,
                "<{}> links to {href}",
                element.name()
            );
        }
    }
    for tag in ["<link", "<iframe", "<object", "<embed", "<img"] {
        assert!(!html.contains(tag), "report.html has {tag}");
    }
    let styles: Vec<String> = page
        .select(&select("style"))
        .map(|s| s.text().collect())
        .collect();
    let scripts: Vec<String> = page
        .select(&select("script"))
        .map(|s| s.text().collect())
        .collect();
    assert_eq!((styles.len(), scripts.len()), (1, 1));
    for text in styles.iter().chain(&scripts) {
        assert!(!text.contains("http://") && !text.contains("https://"));
        assert!(!text.contains("@import") && !text.contains("url("));
    }
    // The policy admits exactly the page's own style and script.
    let csp = page
        .select(&select(r#"meta[http-equiv="Content-Security-Policy"]"#))
        .next()
        .expect("a CSP meta")
        .value()
        .attr("content")
        .unwrap()
        .to_owned();
    assert!(csp.starts_with("default-src 'none';"), "{csp}");
    for text in styles.iter().chain(&scripts) {
        let hash = format!(
            "'sha256-{}'",
            STANDARD.encode(Sha256::digest(text.as_bytes()))
        );
        assert!(csp.contains(&hash), "{csp} lacks {hash}");
    }
    // Every check, once, failures first; the server's markup stays text.
    let rows: Vec<String> = page
        .select(&select("details.check"))
        .map(|d| d.value().id().unwrap().to_owned())
        .collect();
    assert_eq!(
        rows,
        [
            "check-token-auth-05",
            "check-token-req-03",
            "check-token-resp-04",
            "check-exp-03",
            "check-token-cc-01",
            "check-introspect-01",
        ]
    );
    for check in &report.checks {
        assert!(html.contains(&check.id));
    }
    assert!(!html.contains("<script>alert"));
    assert!(html.contains("&lt;script&gt;alert(1)"));
}

#[test]
fn report_html_shows_the_run_and_each_checks_evidence() {
    let html = conformance::report::html(&sample());
    let page = Html::parse_document(&html);
    let text = |css: &str| -> Vec<String> {
        page.select(&Selector::parse(css).unwrap())
            .map(|e| e.text().collect::<String>())
            .collect()
    };

    let facts = text(".facts").concat();
    for fact in [
        "sample-server",
        ISSUER,
        "strict",
        "2026-03-01T12:00:00Z",
        "4.32 s",
        "42",
        env!("CARGO_PKG_VERSION"),
    ] {
        assert!(
            facts.contains(fact) || text("h1").concat().contains(fact),
            "header lacks {fact}"
        );
    }
    assert_eq!(
        text(".bar .seg"),
        ["2", "1", "1", "2"],
        "fail, warn, skip, pass segments"
    );
    let failed = text("#check-token-auth-05").concat();
    assert!(failed.contains("400 invalid_request or 401 invalid_client"));
    assert!(failed.contains("client_secret=[redacted]"));
    let skipped = text("#check-exp-03").concat();
    assert!(skipped.contains("the target has no test clock"));
    let property = text("#check-token-req-03").concat();
    assert!(property.contains("64") && property.contains("scope=%FF"));
    let exchanges = text("#check-introspect-01 ol.transcript > li");
    assert_eq!(exchanges.len(), 2);
    assert!(exchanges[0].contains("POST http://127.0.0.1:8080/oauth/token"));
    assert!(exchanges[0].contains("200 OK"));
    assert!(exchanges[0].contains("curl -i -X POST"));
    assert!(exchanges[1].contains("token=[redacted]"));
    assert!(exchanges[1].contains("\"active\": true"));
}

#[test]
fn every_failure_and_warning_shows_the_sentence_it_breaks() {
    let report = sample();
    let html = conformance::report::html(&report);
    let junit = conformance::report::junit(&report);
    let summary = conformance::report::summary_markdown(&report);

    assert!(html.contains(r#"href="https://www.rfc-editor.org/rfc/rfc6749#section-5.2""#));
    for text in [&html, &junit, &summary] {
        assert!(text.contains("MUST respond with an HTTP 401 (Unauthorized) status code"));
        assert!(text.contains("error responses carry Pragma: no-cache too"));
    }
    let json: serde_json::Value = serde_json::from_str(&report.json()).unwrap();
    let failed = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "token-auth-05")
        .unwrap();
    assert_eq!(failed["citations"][0]["keyword"], "MUST");
    assert_eq!(failed["citations"][0]["source"], "RFC 6749 §5.2");
}
