//! Redirect URI policies at the live endpoint (seed 000 › 3, AMB-01 to AMB-06; RFC 9700 §2.1,
//! §2.6, §4.1, §4.11.2, §4.12, §4.16; groups VREDIR and SEC-BCP).
//!
//! The matchers themselves are unit-tested in `src/redirect_policy.rs`; here each case goes
//! through the endpoint: an accepted URI leads through login and consent to a `Location` on that
//! URI with its query intact, a rejected one ends on the server's 400 page with no `Location`.

use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::authorize::{expect_error_page, expect_login_page, header, signed_in};
use crate::browser::{Browser, CHALLENGE, code_query, hidden_field, location, query_param};
use crate::helpers::{TestServer, form_encode, spawn, spawn_strict};

/// PKCE parameters, so that an accepted request also passes the strict profile's PKCE rule.
fn pkce() -> String {
    format!("state=st&code_challenge={CHALLENGE}&code_challenge_method=S256")
}

/// A client with these redirect URLs and a user agent logged in through the first of them
/// (with any wildcard filled in).
async fn client_and_browser(app: &TestServer, urls: &[&str]) -> (String, Browser) {
    let (client_id, _) = app.code_client(urls).await;
    let first = urls[0].replace('*', "x");
    let browser = signed_in(app, &code_query(&client_id, &first, "")).await;
    (client_id, browser)
}

/// `uri` is accepted: the consent page, then a `Location` equal to `expected` (the URI in
/// canonical form, its query intact) followed by the code and the state.
async fn expect_accepted(browser: &Browser, client_id: &str, uri: &str, expected: &str) {
    let query = code_query(client_id, uri, &pkce());
    let response = browser.authorize(&query).await;
    let status = response.status();
    let html = response.text().await.expect("html");
    assert_eq!(status, StatusCode::OK, "{uri} should be accepted: {html}");
    let page = browser.consent_page(&query).await;
    let answer = browser.decide(&page, "approve").await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER, "{uri}");
    let location = location(&answer).expect("a Location");
    let separator = match expected.find('?') {
        None => "?",
        Some(_) if expected.ends_with('?') => "",
        Some(_) => "&",
    };
    assert!(
        location.starts_with(&format!("{expected}{separator}code=")),
        "{uri}: expected {expected}{separator}code=…, got {location}"
    );
    assert_eq!(
        query_param(&location, "state").as_deref(),
        Some("st"),
        "{uri}"
    );
    assert!(!location.contains('#'), "{uri}: {location}");
}

/// `uri` is rejected: the 400 page, no `Location`, no code, whoever asks.
async fn expect_rejected(app: &TestServer, browser: &Browser, client_id: &str, uri: &str) {
    let query = code_query(client_id, uri, &pkce());
    let logged_in = browser.authorize(&query).await;
    let fresh = Browser::new(app).authorize(&query).await;
    let html = expect_error_page(logged_in, &format!("{uri} (logged in)")).await;
    assert!(!html.contains("code="), "{uri}");
    expect_error_page(fresh, &format!("{uri} (fresh)")).await;
}

/// `POST /admin/clients` for a one_click client with these URLs; the raw answer.
async fn register(app: &TestServer, urls: &[&str]) -> Response {
    app.admin(Method::POST, "/admin/clients")
        .json(&json!({"kind": "one_click", "redirect_urls": urls}))
        .send()
        .await
        .expect("create")
}

/// Registration refused with 400 `invalid_redirect_uri` naming the redirect URL field.
async fn expect_refused_registration(app: &TestServer, url: &str) {
    let response = register(app, &[url]).await;
    let status = response.status();
    let body: Value = response.json().await.expect("json");
    assert_eq!(status, StatusCode::BAD_REQUEST, "registering {url}: {body}");
    assert_eq!(body["error"], "invalid_redirect_uri", "registering {url}");
    assert_eq!(body["field"], "redirect_urls[0]", "registering {url}");
}

// ---------------------------------------------------------------------------------------------
// VREDIR (vendor profile)

#[tokio::test]
async fn vredir_01_the_query_is_ignored_for_matching_and_kept_in_the_redirect() {
    let app = spawn().await;
    let (client_id, browser) = client_and_browser(&app, &["https://m.example/cb"]).await;

    for uri in [
        "https://m.example/cb?order=42&lang=sv",
        "https://m.example/cb?order=42&lang=sv&note=a%20b%2Bc",
        "https://m.example/cb?",
        "https://m.example/cb",
    ] {
        expect_accepted(&browser, &client_id, uri, uri).await;
    }
}

#[tokio::test]
async fn vredir_02_fragments_are_never_ignored() {
    let app = spawn().await;
    let (client_id, browser) = client_and_browser(&app, &["https://m.example/cb"]).await;

    for uri in [
        "https://m.example/cb#x",
        "https://m.example/cb?order=1#x",
        "https://m.example/cb#",
        "https://m.example/cb?order=1#",
    ] {
        expect_rejected(&app, &browser, &client_id, uri).await;
    }
}

#[tokio::test]
async fn vredir_03_each_of_several_urls_is_accepted_and_no_other_clients() {
    let app = spawn().await;
    let mine = [
        "https://m.example/cb",
        "https://m.example/other",
        "https://checkout.example/return",
    ];
    let (client_a, browser) = client_and_browser(&app, &mine).await;
    let (client_b, _) = app.code_client(&["https://b-shop.example/cb"]).await;

    for uri in mine {
        expect_accepted(&browser, &client_a, uri, uri).await;
    }
    expect_rejected(&app, &browser, &client_a, "https://b-shop.example/cb").await;
    expect_accepted(
        &browser,
        &client_b,
        "https://b-shop.example/cb",
        "https://b-shop.example/cb",
    )
    .await;
}

#[tokio::test]
async fn vredir_04_registrations_carry_no_query_or_fragment_and_matching_ignores_queries() {
    let app = spawn().await;

    for url in [
        "https://m.example/cb?x=1",
        "https://m.example/cb?",
        "https://m.example/cb?order=*",
        "https://m.example/cb#x",
        "https://m.example/cb#",
    ] {
        expect_refused_registration(&app, url).await;
    }
    let (client_id, browser) = client_and_browser(&app, &["https://m.example/cb"]).await;
    for uri in [
        "https://m.example/cb?x=1",
        "https://m.example/cb?x=2&x=3",
        "https://m.example/cb?redirect=https://elsewhere.example/",
    ] {
        expect_accepted(&browser, &client_id, uri, uri).await;
    }
}

#[tokio::test]
async fn vredir_05_scheme_and_port_are_literal() {
    let app = spawn().await;
    for url in [
        "*://m.example/cb",
        "http*://m.example/cb",
        "https://m.example:*/cb",
        "https://m.example:44*/cb",
    ] {
        expect_refused_registration(&app, url).await;
    }
    let (client_id, browser) = client_and_browser(&app, &["https://m.example/cb"]).await;
    let (port_client, _) = app.code_client(&["https://p.example:8443/cb"]).await;

    expect_accepted(
        &browser,
        &client_id,
        "https://m.example:443/cb",
        "https://m.example/cb",
    )
    .await;
    expect_accepted(
        &browser,
        &port_client,
        "https://p.example:8443/cb",
        "https://p.example:8443/cb",
    )
    .await;
    expect_rejected(&app, &browser, &client_id, "http://m.example/cb").await;
    expect_rejected(&app, &browser, &client_id, "https://m.example:8443/cb").await;
    expect_rejected(&app, &browser, &client_id, "http://m.example:443/cb").await;
    expect_rejected(&app, &browser, &port_client, "https://p.example/cb").await;
    expect_rejected(&app, &browser, &port_client, "https://p.example:443/cb").await;
}

#[tokio::test]
async fn vredir_06_a_host_wildcard_is_exactly_one_left_most_label() {
    let app = spawn().await;
    for url in [
        "https://a*.m.example/cb",
        "https://*a.m.example/cb",
        "https://m.*.example/cb",
        "https://m.example.*/cb",
    ] {
        expect_refused_registration(&app, url).await;
    }
    let (client_id, browser) = client_and_browser(&app, &["https://*.m.example/cb"]).await;

    expect_accepted(
        &browser,
        &client_id,
        "https://shop.m.example/cb",
        "https://shop.m.example/cb",
    )
    .await;
    expect_accepted(
        &browser,
        &client_id,
        "https://x-1.m.example/cb",
        "https://x-1.m.example/cb",
    )
    .await;
    for uri in [
        "https://m.example/cb",
        "https://a.b.m.example/cb",
        "https://-x.m.example/cb",
        "https://x-.m.example/cb",
        "https://.m.example/cb",
        "https://shopm.example/cb",
        "https://shop.m.example/cb2",
    ] {
        expect_rejected(&app, &browser, &client_id, uri).await;
    }
}

#[tokio::test]
async fn vredir_07_the_rfc_9700_wildcard_attacks_are_rejected() {
    let app = spawn().await;
    let (client_id, browser) = client_and_browser(&app, &["https://*.m.example/*"]).await;

    expect_accepted(
        &browser,
        &client_id,
        "https://x.m.example/",
        "https://x.m.example/",
    )
    .await;
    expect_accepted(
        &browser,
        &client_id,
        "https://x.m.example/cb",
        "https://x.m.example/cb",
    )
    .await;
    for uri in [
        "https://attacker.example/.m.example",
        "https://m.example.attacker.example/",
        "https://x.m.example@attacker.example/",
        "https://attacker.example%2F.m.example/",
        "https://attacker.example\\.m.example/",
        "https://x.m.example./",
        "https://x.m.example:8443/",
    ] {
        expect_rejected(&app, &browser, &client_id, uri).await;
    }
}

#[tokio::test]
async fn vredir_08_a_path_wildcard_stays_within_one_segment() {
    let app = spawn().await;
    let (trailing, browser) = client_and_browser(&app, &["https://m.example/cb/*"]).await;
    let (middle, _) = app.code_client(&["https://m.example/*/cb"]).await;

    for uri in ["https://m.example/cb/", "https://m.example/cb/a"] {
        expect_accepted(&browser, &trailing, uri, uri).await;
    }
    for uri in [
        "https://m.example/cb",
        "https://m.example/cbx",
        "https://m.example/cb/a/b",
    ] {
        expect_rejected(&app, &browser, &trailing, uri).await;
    }
    expect_accepted(
        &browser,
        &middle,
        "https://m.example/x/cb",
        "https://m.example/x/cb",
    )
    .await;
    for uri in [
        "https://m.example/x/y/cb",
        "https://m.example/cb",
        "https://m.example/x/cbx",
    ] {
        expect_rejected(&app, &browser, &middle, uri).await;
    }
}

#[tokio::test]
async fn vredir_09_registration_refuses_malformed_patterns() {
    let app = spawn().await;

    for url in [
        "*",
        "https://*/cb",
        "https://*",
        "https://*.com/cb",
        "https://*.example/cb",
        "https://*.*.m.example/cb",
        "https://*.m.*.example/cb",
        "https://*.0.0.1/cb",
        "https://*.192.0.2.1/cb",
        "https://127.0.0.*/cb",
        "https://[*::1]/cb",
        "https://*@m.example/cb",
        "https://user*:pw@m.example/cb",
        "https://m.example:*/cb",
        "*://m.example/cb",
        "http*://m.example/cb",
    ] {
        expect_refused_registration(&app, url).await;
    }
}

#[tokio::test]
async fn vredir_10_normalisation_before_matching() {
    let app = spawn().await;
    let (client_id, browser) = client_and_browser(
        &app,
        &[
            "https://m.example/cb",
            "https://bücher.example/cb",
            "https://m.example/a%3ab",
            "http://127.0.0.1/cb",
        ],
    )
    .await;
    let (pattern, _) = app.code_client(&["https://*.p.example/*"]).await;

    for (uri, canonical) in [
        ("https://M.EXAMPLE/cb", "https://m.example/cb"),
        ("HTTPS://m.example/cb", "https://m.example/cb"),
        ("https://m.example/%63b", "https://m.example/cb"),
        ("https://m.example/%63%62", "https://m.example/cb"),
        (
            "https://bücher.example/cb",
            "https://xn--bcher-kva.example/cb",
        ),
        (
            "https://BÜCHER.example/cb",
            "https://xn--bcher-kva.example/cb",
        ),
        (
            "https://xn--bcher-kva.example/cb",
            "https://xn--bcher-kva.example/cb",
        ),
        ("https://m.example/a%3Ab", "https://m.example/a%3Ab"),
        ("https://m.example/a%3ab", "https://m.example/a%3Ab"),
    ] {
        expect_accepted(&browser, &client_id, uri, canonical).await;
    }
    for uri in [
        // The path stays case-sensitive.
        "https://m.example/CB",
        "https://m.example/%43B",
        // User-info.
        "https://u@m.example/cb",
        "https://u:p@m.example/cb",
        "https://@m.example/cb",
        // Dot-segments, raw or encoded.
        "https://m.example/cb/../cb",
        "https://m.example/x/../cb",
        "https://m.example/./cb",
        "https://m.example/%2e%2e/cb",
        "https://m.example/%2E/cb",
        // Encoded `/` or `\`, raw `\`.
        "https://m.example/cb%2F",
        "https://m.example%2Fcb",
        "https://m.example/cb%5C",
        "https://m.example\\cb",
        "https://m.example/cb\\",
        // Control characters.
        "https://m.example/cb\t",
        "https://m.example/c\nb",
        "https://m.example/cb\u{7f}",
        // Non-canonical hosts.
        "http://2130706433/cb",
        "http://0x7f.1/cb",
        "http://0x7f.0.0.1/cb",
        "http://127.1/cb",
        "http://0177.0.0.1/cb",
        "https://m.example./cb",
    ] {
        expect_rejected(&app, &browser, &client_id, uri).await;
    }
    // Refused even where the pattern would otherwise match.
    expect_accepted(
        &browser,
        &pattern,
        "https://x.p.example/ok",
        "https://x.p.example/ok",
    )
    .await;
    for uri in [
        "https://u@x.p.example/ok",
        "https://x.p.example/..",
        "https://x.p.example/%2e%2e",
        "https://x.p.example/a%2Fb",
        "https://x.p.example/a%5Cb",
        "https://x.p.example/a\\b",
        "https://x.p.example/a\u{1}b",
    ] {
        expect_rejected(&app, &browser, &pattern, uri).await;
    }
}

// ---------------------------------------------------------------------------------------------
// SEC-BCP

#[tokio::test]
async fn sec_bcp_01_strict_profile_matches_exact_strings_only() {
    let app = spawn_strict().await;
    for url in [
        "https://*.m.example/cb",
        "https://m.example/*",
        "https://m.example/cb/*",
        "*",
    ] {
        expect_refused_registration(&app, url).await;
    }
    let (client_id, browser) = client_and_browser(&app, &["https://m.example/cb"]).await;

    expect_accepted(
        &browser,
        &client_id,
        "https://m.example/cb",
        "https://m.example/cb",
    )
    .await;
    // The request VREDIR-01 accepts in the vendor profile.
    expect_rejected(
        &app,
        &browser,
        &client_id,
        "https://m.example/cb?order=42&lang=sv",
    )
    .await;
}

#[tokio::test]
async fn sec_bcp_02_loopback_registrations_accept_any_port_in_both_profiles() {
    for strict in [false, true] {
        let app = if strict {
            spawn_strict().await
        } else {
            spawn().await
        };
        let (client_id, browser) = client_and_browser(
            &app,
            &[
                "http://127.0.0.1/cb",
                "http://[::1]/cb",
                "http://localhost/cb",
            ],
        )
        .await;
        let (tls_client, _) = app.code_client(&["https://m.example/cb"]).await;

        for uri in [
            "http://127.0.0.1:51234/cb",
            "http://127.0.0.1:1/cb",
            "http://127.0.0.1/cb",
            "http://[::1]:51234/cb",
            "http://localhost:8080/cb",
        ] {
            expect_accepted(&browser, &client_id, uri, uri).await;
        }
        // Nothing but the port may vary, and no other host gets the exception.
        for uri in [
            "http://127.0.0.1:51234/other",
            "http://127.0.0.1:51234/cb/",
            "https://127.0.0.1:51234/cb",
            "http://127.0.0.2:51234/cb",
            "http://localhost.m.example:51234/cb",
            "http://u@127.0.0.1:51234/cb",
            "http://127.0.0.1:51234/cb#x",
            "http://127.0.0.1:99999/cb",
            "http://127.0.0.1:x/cb",
        ] {
            expect_rejected(&app, &browser, &client_id, uri).await;
        }
        expect_rejected(&app, &browser, &tls_client, "https://m.example:51234/cb").await;
    }
}

#[tokio::test]
async fn sec_bcp_03_http_is_refused_for_non_loopback_hosts_in_both_profiles() {
    for strict in [false, true] {
        let app = if strict {
            spawn_strict().await
        } else {
            spawn().await
        };
        let (client_id, _) = app.code_client(&["https://m.example/cb"]).await;

        for url in [
            "http://m.example/cb",
            "HTTP://m.example/cb",
            "http://localhost.m.example/cb",
            "http://127.0.0.1.nip.io/cb",
            "http://192.0.2.1/cb",
            "http://[2001:db8::1]/cb",
        ] {
            expect_refused_registration(&app, url).await;
            let edit = app
                .admin(Method::PATCH, &format!("/admin/clients/{client_id}"))
                .json(&json!({ "redirect_urls": [url] }))
                .send()
                .await
                .unwrap();
            let status = edit.status();
            let body: Value = edit.json().await.unwrap();
            assert_eq!(
                status,
                StatusCode::BAD_REQUEST,
                "strict={strict}, edit to {url}"
            );
            assert_eq!(
                body["error"], "invalid_redirect_uri",
                "strict={strict}, {url}"
            );
        }
        // The loopback exception still registers.
        let loopback = register(&app, &["http://127.0.0.1/cb"]).await;
        assert_eq!(loopback.status(), StatusCode::CREATED, "strict={strict}");
    }
}

#[tokio::test]
async fn sec_bcp_04_no_implicit_and_no_password_grant() {
    let app = spawn().await;
    let (client_id, secret) = app.code_client(&["https://m.example/cb"]).await;
    let browser = signed_in(&app, &code_query(&client_id, "https://m.example/cb", "")).await;

    let implicit = browser
        .authorize(&format!(
            "response_type=token&client_id={client_id}&redirect_uri={}&state=s",
            form_encode("https://m.example/cb")
        ))
        .await;
    let password = app
        .post_form(
            "/oauth/token",
            "grant_type=password&username=test-user&password=test-password",
        )
        .basic_auth(&client_id, Some(&secret))
        .send()
        .await
        .unwrap();
    let metadata: Value = app
        .request(Method::GET, "/.well-known/oauth-authorization-server")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    let back = location(&implicit).expect("an error redirect");
    assert!(back.starts_with("https://m.example/cb?error="), "{back}");
    assert_eq!(
        query_param(&back, "error").as_deref(),
        Some("unsupported_response_type")
    );
    assert!(
        !back.contains("access_token") && !back.contains('#'),
        "{back}"
    );
    assert_eq!(password.status(), StatusCode::BAD_REQUEST);
    let body: Value = password.json().await.unwrap();
    assert_eq!(body["error"], "unsupported_grant_type");
    assert!(body.get("access_token").is_none());
    assert_eq!(metadata["response_types_supported"], json!(["code"]));
    let grants = metadata["grant_types_supported"]
        .as_array()
        .expect("grants");
    for unwanted in ["implicit", "password"] {
        assert!(
            !grants.iter().any(|g| g == unwanted),
            "{unwanted} advertised: {metadata}"
        );
    }
}

/// What a registration admits, as a browser (WHATWG URL) reads the `Location`.
#[derive(Debug, Clone, Copy)]
enum Shape {
    /// Exactly this scheme, host and path; the default port.
    Exact(&'static str, &'static str, &'static str),
    /// `https://{one label}.{domain}/{prefix}/{one segment}`.
    Pattern(&'static str, &'static str),
    /// `http://{host}:{any port}{path}`.
    Loopback(&'static str, &'static str),
}

fn admitted(location: &str, shapes: &[Shape]) -> bool {
    let Ok(url) = url::Url::parse(location) else {
        return false;
    };
    if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
        return false;
    }
    let host = url.host_str().unwrap_or_default();
    shapes.iter().any(|shape| match *shape {
        Shape::Exact(scheme, exact_host, path) => {
            url.scheme() == scheme
                && host == exact_host
                && url.port().is_none()
                && url.path() == path
        }
        Shape::Pattern(domain, prefix) => {
            let label_ok = host
                .strip_suffix(domain)
                .and_then(|h| h.strip_suffix('.'))
                .is_some_and(|label| {
                    !label.is_empty()
                        && !label.contains('.')
                        && !label.starts_with('-')
                        && !label.ends_with('-')
                });
            let segment_ok = url
                .path()
                .strip_prefix(prefix)
                .and_then(|rest| rest.strip_prefix('/'))
                .is_some_and(|segment| !segment.contains('/'));
            url.scheme() == "https" && url.port().is_none() && label_ok && segment_ok
        }
        Shape::Loopback(loopback, path) => {
            url.scheme() == "http" && host == loopback && url.path() == path
        }
    })
}

/// Hostile `redirect_uri` values: fixed attack shapes, then every combination of a hostile
/// scheme, authority and path around the registrations.
fn hostile_uris() -> Vec<String> {
    let mut uris: Vec<String> = [
        "https://attacker.example/cb",
        "//attacker.example/cb",
        "/\\attacker.example/cb",
        "https:attacker.example/cb",
        "https:/attacker.example/cb",
        "javascript:alert(1)//https://m.example/cb",
        "data:text/html,<script>alert(1)</script>",
        "https://m.example/cb?x=%0d%0aLocation:%20https://attacker.example/",
        "https://m.example/cb\r\nLocation: https://attacker.example/",
        "https://m.example/cb%0d%0aSet-Cookie:%20a=b",
        "https://m.example/cb#@attacker.example/",
        "https://m.example/cb?#@attacker.example/",
        "https://m.example@attacker.example/cb",
        "https://m.example:443@attacker.example/cb",
        "https://attacker.example#.shop.example/cb/x",
        "https://attacker.example?.shop.example/cb/x",
        "https://x.shop.example.attacker.example/cb/x",
        "https://x.shop.example%00.attacker.example/cb/x",
        "https://x.shop.example%2F@attacker.example/cb/x",
        "http://127.0.0.1:80@attacker.example/cb",
        "http://127.0.0.1.attacker.example/cb",
        "http://attacker.example:127/cb",
        "http://[::ffff:7f00:1]/cb",
        "http://0.0.0.0/cb",
        "https://ⓐttacker.example/cb",
        "https://m.example\u{3002}attacker.example/cb",
        // Positive controls: these must be accepted, so the property is not vacuous.
        "https://m.example/cb",
        "https://x.shop.example/cb/y",
        "http://127.0.0.1:4000/cb",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let schemes = ["https://", "http://", "HTTPS://", "https:\\\\", "https:///"];
    let authorities = [
        "m.example",
        "M.EXAMPLE",
        "m.example.",
        "m.example:8443",
        "m.example:443",
        "attacker.example",
        "m.example.attacker.example",
        "attacker.example\\m.example",
        "attacker.example%2fm.example",
        "x.shop.example",
        "a.b.shop.example",
        "shop.example",
        "127.0.0.1:4000",
        "2130706433",
        "user@m.example",
    ];
    let paths = [
        "/cb",
        "/cb/",
        "/cb/y",
        "/cb/../cb",
        "/cb/%2e%2e/x",
        "/cb%2F..%2F..%2Fattacker",
        "//attacker.example/cb",
        "/cb?next=https://attacker.example/",
        "/cb#x",
        "",
    ];
    for scheme in schemes {
        for authority in authorities {
            for path in paths {
                uris.push(format!("{scheme}{authority}{path}"));
            }
        }
    }
    uris
}

/// Every answer to `uri`: no `Location`, or one that the registrations admit. Returns whether
/// the request reached a code.
async fn never_elsewhere(
    browser: &Browser,
    client_id: &str,
    uri: &str,
    shapes: &[Shape],
    profile: &str,
) -> bool {
    let query = format!(
        "response_type=code&client_id={client_id}&redirect_uri={}&{}",
        form_encode(uri),
        pkce()
    );
    let response = browser.authorize(&query).await;
    let status = response.status();
    let first = location(&response);
    let html = response.text().await.expect("html");
    if let Some(target) = first {
        assert!(
            admitted(&target, shapes),
            "{profile}: {uri:?} sent the user agent to {target}"
        );
        return false;
    }
    if status != StatusCode::OK {
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{profile}: {uri:?}: {html}"
        );
        return false;
    }
    let ticket = hidden_field(&html, "ticket")
        .unwrap_or_else(|| panic!("{profile}: {uri:?}: 200 but no consent form: {html}"));
    let csrf = hidden_field(&html, "csrf").expect("csrf");
    let answer = browser
        .post_consent(&format!(
            "csrf={}&ticket={}&decision=approve",
            form_encode(&csrf),
            form_encode(&ticket)
        ))
        .await;
    let target = location(&answer).unwrap_or_else(|| panic!("{profile}: {uri:?}: no Location"));
    assert!(
        admitted(&target, shapes),
        "{profile}: {uri:?} sent a code to {target}"
    );
    query_param(&target, "code").is_some()
}

#[tokio::test]
async fn sec_bcp_05_the_endpoint_is_not_an_open_redirector() {
    let hostile = hostile_uris();
    for strict in [false, true] {
        let (app, urls, shapes): (TestServer, Vec<&str>, Vec<Shape>) = if strict {
            (
                spawn_strict().await,
                vec!["https://m.example/cb", "http://127.0.0.1/cb"],
                vec![
                    Shape::Exact("https", "m.example", "/cb"),
                    Shape::Loopback("127.0.0.1", "/cb"),
                ],
            )
        } else {
            (
                spawn().await,
                vec![
                    "https://m.example/cb",
                    "https://*.shop.example/cb/*",
                    "http://127.0.0.1/cb",
                ],
                vec![
                    Shape::Exact("https", "m.example", "/cb"),
                    Shape::Pattern("shop.example", "/cb"),
                    Shape::Loopback("127.0.0.1", "/cb"),
                ],
            )
        };
        let profile = if strict { "strict" } else { "vendor" };
        let (client_id, browser) = client_and_browser(&app, &urls).await;
        // Another client's registration is never a way out either.
        app.code_client(&["https://attacker.example/cb"]).await;
        let fresh = Browser::new(&app);

        let mut codes = 0;
        for uri in &hostile {
            if never_elsewhere(&browser, &client_id, uri, &shapes, profile).await {
                codes += 1;
            }
            let anonymous = fresh
                .authorize(&code_query(&client_id, uri, "state=s"))
                .await;
            assert_eq!(
                location(&anonymous),
                None,
                "{profile}: {uri:?}: nothing leaves before login"
            );
        }

        assert!(
            codes >= 3,
            "{profile}: the positive controls reached a code ({codes} did)"
        );
    }
}

/// The security headers of a server page, and no resource from anywhere else.
async fn expect_hardened_page(response: Response, page: &str) -> String {
    let frame = header(&response, "x-frame-options");
    let csp = header(&response, "content-security-policy").unwrap_or_default();
    let referrer = header(&response, "referrer-policy");
    let content_type = header(&response, "content-type");
    let html = response.text().await.expect("html");

    assert_eq!(
        content_type.as_deref(),
        Some("text/html; charset=utf-8"),
        "{page}"
    );
    assert_eq!(frame.as_deref(), Some("DENY"), "{page}");
    assert!(
        csp.split(';').any(|d| d.trim() == "frame-ancestors 'none'"),
        "{page}: {csp}"
    );
    assert_eq!(referrer.as_deref(), Some("no-referrer"), "{page}");
    for directive in csp.split(';') {
        assert!(
            !directive.contains("http") && !directive.contains('*'),
            "{page}: the CSP allows another origin: {csp}"
        );
    }
    for attribute in [
        "src=\"",
        "href=\"",
        "action=\"",
        "srcset=\"",
        "poster=\"",
        "data=\"",
    ] {
        for (at, _) in html.match_indices(attribute) {
            let value = &html[at + attribute.len()..];
            let value = &value[..value.find('"').unwrap_or(value.len())];
            assert!(
                value.starts_with('/') && !value.starts_with("//"),
                "{page}: {attribute}{value}\" is not same-origin"
            );
        }
    }
    assert!(
        !html.contains("@import") && !html.contains("url("),
        "{page}"
    );
    html
}

#[tokio::test]
async fn sec_bcp_06_pages_refuse_framing_send_no_referrer_and_load_nothing_third_party() {
    let app = spawn().await;
    let (client_id, _) = app.code_client(&["https://m.example/cb"]).await;
    let query = code_query(&client_id, "https://m.example/cb", "state=s");
    let browser = Browser::new(&app);

    expect_hardened_page(browser.authorize(&query).await, "login").await;
    expect_hardened_page(
        browser
            .sign_in_as(&query, "test-user", "wrong-password")
            .await,
        "login failed",
    )
    .await;
    browser.sign_in(&query).await;
    let consent = expect_hardened_page(browser.authorize(&query).await, "consent").await;
    assert!(hidden_field(&consent, "ticket").is_some(), "{consent}");
    expect_hardened_page(
        browser
            .authorize(&code_query("no-such-client", "https://m.example/cb", ""))
            .await,
        "error: unknown client",
    )
    .await;
    expect_hardened_page(
        browser
            .authorize(&code_query(&client_id, "https://attacker.example/cb", ""))
            .await,
        "error: bad redirect_uri",
    )
    .await;
    expect_hardened_page(
        browser.post_consent("decision=approve").await,
        "error: consent without csrf",
    )
    .await;
    expect_hardened_page(
        Browser::new(&app)
            .http
            .post(app.url("/oauth/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("username=test-user&password=test-password")
            .send()
            .await
            .unwrap(),
        "error: login without a session",
    )
    .await;
    // The one stylesheet the pages load is served here and imports nothing.
    let css = app
        .request(Method::GET, "/assets/app.css")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !css.contains("@import")
            && !css.contains("http:")
            && !css.contains("https:")
            && !css.contains("//"),
        "{css}"
    );
}

#[tokio::test]
async fn sec_bcp_07_no_cors_at_the_authorization_endpoint() {
    let app = spawn().await;
    let (client_id, _) = app.code_client(&["https://m.example/cb"]).await;
    let query = code_query(&client_id, "https://m.example/cb", "state=s");
    let browser = signed_in(&app, &query).await;
    let cors_headers = [
        "access-control-allow-origin",
        "access-control-allow-credentials",
        "access-control-allow-methods",
        "access-control-allow-headers",
    ];

    let mut responses = vec![
        (
            "GET consent page",
            browser
                .http
                .get(app.url(&format!("/oauth/authorize?{query}")))
                .header("origin", "https://evil.example")
                .send()
                .await
                .unwrap(),
        ),
        (
            "GET login page",
            Browser::new(&app)
                .http
                .get(app.url(&format!("/oauth/authorize?{query}")))
                .header("origin", "https://evil.example")
                .send()
                .await
                .unwrap(),
        ),
        (
            "GET error redirect",
            browser
                .http
                .get(app.url(&format!("/oauth/authorize?{query}&scope=nope")))
                .header("origin", "https://evil.example")
                .send()
                .await
                .unwrap(),
        ),
    ];
    for path in ["/oauth/authorize", "/oauth/login", "/oauth/consent"] {
        responses.push((
            path,
            browser
                .http
                .request(Method::OPTIONS, app.url(path))
                .header("origin", "https://evil.example")
                .header("access-control-request-method", "POST")
                .header("access-control-request-headers", "content-type")
                .send()
                .await
                .unwrap(),
        ));
    }

    for (case, response) in &responses {
        for name in cors_headers {
            assert_eq!(response.headers().get(name), None, "{case}: {name} present");
        }
    }
    // The requests themselves were answered as usual.
    assert_eq!(responses[0].1.status(), StatusCode::OK);
    assert_eq!(responses[2].1.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn sec_bcp_08_the_login_post_answers_303_never_307() {
    let app = spawn().await;
    let (client_id, _) = app.code_client(&["https://m.example/cb"]).await;
    let query = code_query(&client_id, "https://m.example/cb", "state=s");

    for (user, password) in [
        ("test-user", "test-password"),
        ("second-user", "second-password"),
    ] {
        let browser = Browser::new(&app);
        let login = browser.sign_in_as(&query, user, password).await;

        assert_eq!(login.status(), StatusCode::SEE_OTHER, "{user}");
        let back = location(&login).expect("Location");
        assert_eq!(back, format!("/oauth/authorize?{query}"), "{user}");
        let page = browser.consent_page(&query).await;
        assert!(page.html.contains(user), "signed in as {user}");
        // The consent POST's redirect to the client is a 303 as well.
        let approved = browser.decide(&page, "approve").await;
        assert_eq!(approved.status(), StatusCode::SEE_OTHER, "{user}");
    }
    // A refused login is the form again, not a redirect.
    let browser = Browser::new(&app);
    let refused = browser.sign_in_as(&query, "test-user", "nope").await;
    assert_eq!(refused.status(), StatusCode::OK);
    assert_eq!(location(&refused), None);
    expect_login_page(refused, "refused login").await;
}

#[tokio::test]
async fn sec_bcp_05_the_login_form_returns_only_to_the_authorization_endpoint() {
    let app = spawn().await;
    let (client_id, _) = app.code_client(&["https://m.example/cb"]).await;
    let query = code_query(&client_id, "https://m.example/cb", "state=s");

    for return_to in [
        "https://attacker.example/",
        "//attacker.example/",
        "/\\attacker.example/",
        "\\\\attacker.example/",
        "http:attacker.example",
        "/oauth/authorizex",
        "/oauth/authorize/../../admin/clients",
        "/oauth/authorize@attacker.example",
        " /oauth/authorize?x",
        "/oauth/authorize?x\r\nLocation: https://attacker.example/",
        "/oauth/authorize?x\u{7f}",
        "/oauth/authorize?é",
    ] {
        let browser = Browser::new(&app);
        let login_page = browser.authorize(&query).await.text().await.unwrap();
        let csrf = hidden_field(&login_page, "csrf").expect("csrf");

        let response = browser
            .http
            .post(app.url("/oauth/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!(
                "csrf={}&return_to={}&username=test-user&password=test-password",
                form_encode(&csrf),
                form_encode(return_to)
            ))
            .send()
            .await
            .unwrap();

        let status = response.status();
        match location(&response) {
            Some(target) => {
                assert_eq!(status, StatusCode::SEE_OTHER, "{return_to:?}");
                assert!(
                    target.starts_with("/oauth/authorize?") && !target.starts_with("//"),
                    "{return_to:?} sent the user agent to {target}"
                );
            }
            None => {
                assert!(
                    !status.is_redirection(),
                    "{return_to:?}: a {status} without a Location"
                );
                expect_error_page(response, return_to).await;
            }
        }
    }
}
