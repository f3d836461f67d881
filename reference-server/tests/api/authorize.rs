//! The authorization endpoint: request checks, the redirect URI, error redirects and the pages
//! (RFC 6749 §3.1, §4.1.1, §4.1.2, §4.1.2.1, §10.12, §10.14; RFC 9700 §4.11.2; group 5, IP-04).
//!
//! Error redirects are checked with a logged-in user agent (AMB-31); a fresh one always gets the
//! login page first (AUTHZ-REQ-06).

use reqwest::{Response, StatusCode};
use serde_json::json;

use crate::browser::{Browser, code_query, form_encode_pair, hidden_field, location, query_param};
use crate::helpers::{TestServer, form_encode, spawn, spawn_strict};

pub const SHOP: &str = "https://shop.example/cb";

/// A user agent that has logged the test user in through `query` (any request that gets as far
/// as the login page).
pub async fn signed_in(app: &TestServer, query: &str) -> Browser {
    let browser = Browser::new(app);
    browser.sign_in(query).await;
    browser
}

/// A one_click client for [`SHOP`] and a logged-in user agent.
pub async fn shop_and_browser(app: &TestServer) -> (String, Browser) {
    let (client_id, _) = app.code_client(&[SHOP]).await;
    let browser = signed_in(app, &code_query(&client_id, SHOP, "")).await;
    (client_id, browser)
}

/// The server's own error page: 400 HTML, no `Location`, no consent form. Returns the HTML.
pub async fn expect_error_page(response: Response, case: &str) -> String {
    let status = response.status();
    let location = location(&response);
    let content_type = header(&response, "content-type");
    let html = response.text().await.expect("html");
    assert_eq!(status, StatusCode::BAD_REQUEST, "{case}: {html}");
    assert_eq!(location, None, "{case}: an error page never redirects");
    assert_eq!(
        content_type.as_deref(),
        Some("text/html; charset=utf-8"),
        "{case}"
    );
    assert!(
        hidden_field(&html, "ticket").is_none(),
        "{case}: no consent form"
    );
    html
}

/// The login page: 200 HTML with the sign-in form and no `Location`.
pub async fn expect_login_page(response: Response, case: &str) -> String {
    let status = response.status();
    let location = location(&response);
    let content_type = header(&response, "content-type");
    let html = response.text().await.expect("html");
    assert_eq!(status, StatusCode::OK, "{case}: {html}");
    assert_eq!(location, None, "{case}: nothing is sent to the client");
    assert_eq!(
        content_type.as_deref(),
        Some("text/html; charset=utf-8"),
        "{case}"
    );
    assert!(
        html.contains("action=\"/oauth/login\"") && hidden_field(&html, "return_to").is_some(),
        "{case}: the login form: {html}"
    );
    html
}

pub fn header(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().expect("ASCII header").to_owned())
}

/// RFC 6749 §4.1.2.1: `error` and `error_description` use only %x20-21 / %x23-5B / %x5D-7E.
fn permitted_error_chars(value: &str) -> bool {
    value
        .bytes()
        .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

/// An error redirect to `target`: 302 or 303, `Location` = `target?…error=…`, no code, the
/// state as given (or none). Returns the `Location`.
pub async fn expect_error_redirect(
    response: Response,
    target: &str,
    error: &str,
    state: Option<&str>,
    case: &str,
) -> String {
    let status = response.status();
    let location = location(&response);
    let body = response.text().await.expect("body");
    assert!(
        status == StatusCode::FOUND || status == StatusCode::SEE_OTHER,
        "{case}: expected an error redirect, got {status}: {body}"
    );
    let location = location.unwrap_or_else(|| panic!("{case}: no Location"));
    let (base, _) = location.split_once('?').expect("a query");
    assert_eq!(base, target, "{case}: {location}");
    assert!(!location.contains('#'), "{case}: no fragment: {location}");
    assert_eq!(
        query_param(&location, "error").as_deref(),
        Some(error),
        "{case}: {location}"
    );
    assert_eq!(
        query_param(&location, "state").as_deref(),
        state,
        "{case}: {location}"
    );
    assert_eq!(
        query_param(&location, "code"),
        None,
        "{case}: no code: {location}"
    );
    for name in ["error", "error_description"] {
        if let Some(value) = query_param(&location, name) {
            assert!(
                permitted_error_chars(&value),
                "{case}: {name} uses only the permitted ASCII: {value:?}"
            );
        }
    }
    location
}

/// Approves on `browser` (already logged in) and returns the `Location`.
async fn approve_logged_in(browser: &Browser, query: &str) -> String {
    let page = browser.consent_page(query).await;
    let response = browser.decide(&page, "approve").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{query}");
    location(&response).expect("a Location")
}

// ---------------------------------------------------------------------------------------------
// AUTHZ-REQ

#[tokio::test]
async fn authz_req_01_code_and_state_come_back_to_the_redirect_uri() {
    let app = spawn().await;
    let (client_id, _) = app.code_client(&[SHOP]).await;
    let browser = Browser::new(&app);
    let query = code_query(&client_id, SHOP, "scope=profile&state=xyz");

    let first = browser.authorize(&query).await;
    expect_login_page(first, "fresh user agent").await;
    let login = browser
        .sign_in_as(&query, "test-user", "test-password")
        .await;
    assert_eq!(login.status(), StatusCode::SEE_OTHER);
    let page = browser.consent_page(&query).await;
    let response = browser.decide(&page, "approve").await;

    assert!(
        response.status() == StatusCode::FOUND || response.status() == StatusCode::SEE_OTHER,
        "{}",
        response.status()
    );
    let location = location(&response).expect("a Location");
    assert!(location.starts_with(&format!("{SHOP}?code=")), "{location}");
    assert_eq!(query_param(&location, "state").as_deref(), Some("xyz"));
    assert!(query_param(&location, "code").is_some_and(|c| c.len() >= 43));
}

/// Generated `state` values: every character class the row names, then mixtures of them.
fn awkward_states() -> Vec<String> {
    let mut states: Vec<String> = [
        "with spaces in it",
        "a&b",
        "1+1",
        "k=v",
        "100%",
        "%41%zz",
        "#fragment",
        "ünïcödé",
        "日本語 ☃ 🦀",
        " leading and trailing ",
        "&state=forged",
        "x y&z+w=v%25#ä",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    // A few pseudo-random mixtures (fixed seed, so a failure reproduces).
    let alphabet: Vec<char> = " &+=%#äé€😀aZ09-._~?/;:,!'()*@$".chars().collect();
    let mut seed: u64 = 0x05ee_d0f5_7a7e;
    for _ in 0..6 {
        let mut value = String::new();
        for _ in 0..12 {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let index = usize::try_from(seed >> 33).expect("fits") % alphabet.len();
            value.push(alphabet[index]);
        }
        states.push(value);
    }
    states
}

#[tokio::test]
async fn authz_req_02_state_comes_back_byte_for_byte_on_success_and_error() {
    let app = spawn().await;
    let (client_id, browser) = shop_and_browser(&app).await;

    for state in awkward_states() {
        let param = form_encode_pair("state", &state);

        let success = approve_logged_in(&browser, &code_query(&client_id, SHOP, &param)).await;
        let error = browser
            .authorize(&code_query(
                &client_id,
                SHOP,
                &format!("{param}&scope=no-such-scope"),
            ))
            .await;

        assert_eq!(
            query_param(&success, "state").as_deref(),
            Some(state.as_str()),
            "success, state {state:?}: {success}"
        );
        assert!(query_param(&success, "code").is_some(), "{success}");
        expect_error_redirect(
            error,
            SHOP,
            "invalid_scope",
            Some(&state),
            &format!("error, state {state:?}"),
        )
        .await;
    }
}

#[tokio::test]
async fn authz_req_02_no_state_sent_means_none_comes_back() {
    let app = spawn().await;
    let (client_id, browser) = shop_and_browser(&app).await;

    let success = approve_logged_in(&browser, &code_query(&client_id, SHOP, "")).await;
    let error = browser
        .authorize(&code_query(&client_id, SHOP, "scope=no-such-scope"))
        .await;
    let page = browser
        .consent_page(&code_query(&client_id, SHOP, ""))
        .await;
    let denied = browser.decide(&page, "deny").await;

    assert!(query_param(&success, "code").is_some(), "{success}");
    assert!(!success.contains("state"), "{success}");
    let error = expect_error_redirect(error, SHOP, "invalid_scope", None, "error").await;
    assert!(!error.contains("state"), "{error}");
    let denied = expect_error_redirect(denied, SHOP, "access_denied", None, "deny").await;
    assert!(!denied.contains("state"), "{denied}");
}

/// `GET {path_and_query}` written byte for byte on a raw socket (no client-side encoding), with
/// an optional cookie; returns the status line, the headers and the body.
async fn raw_get(app: &TestServer, path_and_query: &[u8], cookie: Option<&str>) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let addr = app.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let mut request = b"GET ".to_vec();
    request.extend_from_slice(path_and_query);
    request.extend_from_slice(
        format!(" HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n").as_bytes(),
    );
    if let Some(cookie) = cookie {
        request.extend_from_slice(format!("Cookie: {cookie}\r\n").as_bytes());
    }
    request.extend_from_slice(b"\r\n");
    stream.write_all(&request).await.expect("write");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("read");
    String::from_utf8(answer).expect("UTF-8 answer")
}

fn raw_header<'a>(answer: &'a str, name: &str) -> Option<&'a str> {
    let head = answer.split("\r\n\r\n").next()?;
    head.lines().find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

#[tokio::test]
async fn authz_req_02_a_raw_non_ascii_state_survives_the_login_round_trip() {
    let app = spawn().await;
    let (client_id, _) = app.code_client(&[SHOP]).await;
    // A client that does not percent-encode: the request line carries raw UTF-8.
    let mut target = format!(
        "/oauth/authorize?response_type=code&client_id={client_id}&redirect_uri={}&state=",
        form_encode(SHOP)
    )
    .into_bytes();
    target.extend_from_slice("grüße-☃".as_bytes());

    let login_page = raw_get(&app, &target, None).await;
    assert!(login_page.starts_with("HTTP/1.1 200"), "{login_page}");
    let cookie = raw_header(&login_page, "set-cookie")
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_owned();
    let csrf = hidden_field(&login_page, "csrf").expect("csrf");
    let return_to = hidden_field(&login_page, "return_to").expect("return_to");
    let login = crate::helpers::http_client(None)
        .post(app.url("/oauth/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", &cookie)
        .body(format!(
            "csrf={}&return_to={}&username=test-user&password=test-password",
            form_encode(&csrf),
            form_encode(&return_to)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::SEE_OTHER);
    let back = location(&login).expect("the login answer names where to go next");
    let session = header(&login, "set-cookie")
        .and_then(|c| c.split(';').next().map(str::to_owned))
        .expect("a new session cookie");
    let consent = raw_get(&app, back.as_bytes(), Some(&session)).await;
    assert!(consent.starts_with("HTTP/1.1 200"), "{consent}");
    let body = format!(
        "csrf={}&ticket={}&decision=approve",
        form_encode(&hidden_field(&consent, "csrf").expect("csrf")),
        form_encode(&hidden_field(&consent, "ticket").expect("ticket"))
    );
    let approved = crate::helpers::http_client(None)
        .post(app.url("/oauth/consent"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", &session)
        .body(body)
        .send()
        .await
        .unwrap();

    let location = location(&approved).expect("a Location");
    assert_eq!(
        query_param(&location, "state").as_deref(),
        Some("grüße-☃"),
        "{location}"
    );
    assert!(query_param(&location, "code").is_some(), "{location}");
}

#[tokio::test]
async fn authz_req_03_the_redirect_uri_keeps_its_own_query() {
    let app = spawn().await;
    let (client_id, browser) = shop_and_browser(&app).await;

    for with_query in [
        format!("{SHOP}?x=1"),
        format!("{SHOP}?x=1&y=a%20b&z="),
        format!("{SHOP}?flag"),
    ] {
        let location =
            approve_logged_in(&browser, &code_query(&client_id, &with_query, "state=s")).await;
        let error = browser
            .authorize(&code_query(
                &client_id,
                &with_query,
                "state=s&scope=no-such-scope",
            ))
            .await;

        assert!(
            location.starts_with(&format!("{with_query}&code=")),
            "{with_query}: {location}"
        );
        assert!(!location.contains('#'), "{location}");
        assert_eq!(query_param(&location, "state").as_deref(), Some("s"));
        let status = error.status();
        let error_location = location_of(error).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{with_query}");
        assert!(
            error_location.starts_with(&format!("{with_query}&error=invalid_scope")),
            "{with_query}: {error_location}"
        );
        assert!(!error_location.contains('#'), "{error_location}");
    }
}

#[tokio::test]
async fn authz_req_03_strict_registration_with_a_query_keeps_it() {
    let app = spawn_strict().await;
    let registered = "https://shop.example/cb?tenant=7";
    let (client_id, _) = app.code_client(&[registered]).await;
    let query = code_query(
        &client_id,
        registered,
        &format!(
            "state=s&code_challenge={}&code_challenge_method=S256",
            crate::browser::CHALLENGE
        ),
    );
    let browser = signed_in(&app, &query).await;

    let location = approve_logged_in(&browser, &query).await;

    assert!(
        location.starts_with(&format!("{registered}&code=")),
        "{location}"
    );
    assert!(!location.contains('#'), "{location}");
}

async fn location_of(response: Response) -> String {
    location(&response).expect("a Location")
}

#[tokio::test]
async fn authz_req_04a_state_or_scope_twice_is_an_invalid_request_redirect() {
    let app = spawn().await;
    let (client_id, browser) = shop_and_browser(&app).await;

    // A repeated state is ambiguous, so none goes back; a single one does.
    for (extra, state) in [
        ("state=a&state=b", None),
        ("state=a&state=a", None),
        ("scope=profile&scope=email", None),
        ("state=a&scope=profile&scope=profile", Some("a")),
    ] {
        let response = browser
            .authorize(&code_query(&client_id, SHOP, extra))
            .await;

        let location = expect_error_redirect(response, SHOP, "invalid_request", state, extra).await;
        assert!(query_param(&location, "error_description").is_some());
    }
}

#[tokio::test]
async fn authz_req_04b_client_id_or_redirect_uri_twice_is_an_error_page() {
    let app = spawn().await;
    let (client_id, browser) = shop_and_browser(&app).await;
    let (other_id, _) = app.code_client(&[SHOP]).await;
    let fresh = Browser::new(&app);
    let base = format!(
        "response_type=code&state=s&redirect_uri={}",
        form_encode(SHOP)
    );
    let cases = [
        format!("{base}&client_id={client_id}&client_id={client_id}"),
        format!("{base}&client_id={client_id}&client_id={other_id}"),
        format!(
            "{}&redirect_uri={}",
            code_query(&client_id, SHOP, "state=s"),
            form_encode(SHOP)
        ),
        format!(
            "{}&redirect_uri={}",
            code_query(&client_id, SHOP, "state=s"),
            form_encode("https://evil.example/cb")
        ),
    ];

    for query in &cases {
        let logged_in = browser.authorize(query).await;
        let anonymous = fresh.authorize(query).await;

        expect_error_page(logged_in, &format!("logged in: {query}")).await;
        expect_error_page(anonymous, &format!("fresh: {query}")).await;
    }
}

#[tokio::test]
async fn authz_req_04c_an_empty_value_counts_as_absent() {
    let app = spawn().await;
    let (client_id, browser) = shop_and_browser(&app).await;

    // `state=`: no state comes back.
    let no_state = approve_logged_in(&browser, &code_query(&client_id, SHOP, "state=")).await;
    // `redirect_uri=` with a single registration: the registration is used (AMB-06).
    let no_redirect = approve_logged_in(
        &browser,
        &format!("response_type=code&client_id={client_id}&redirect_uri=&state=s"),
    )
    .await;
    // `scope=` is the default scope, not an empty or invalid one.
    let page = browser
        .consent_page(&code_query(&client_id, SHOP, "scope=&state=s"))
        .await;
    // `response_type=` is a missing response_type.
    let no_type = browser
        .authorize(&format!(
            "response_type=&client_id={client_id}&redirect_uri={}&state=s",
            form_encode(SHOP)
        ))
        .await;
    // `client_id=` names no client.
    let no_client = browser
        .authorize(&format!(
            "response_type=code&client_id=&redirect_uri={}&state=s",
            form_encode(SHOP)
        ))
        .await;

    assert!(query_param(&no_state, "code").is_some(), "{no_state}");
    assert_eq!(query_param(&no_state, "state"), None, "{no_state}");
    assert!(
        no_redirect.starts_with(&format!("{SHOP}?code=")),
        "{no_redirect}"
    );
    assert!(
        page.html.contains("<li>email</li>") && page.html.contains("<li>profile</li>"),
        "default scopes on the consent page: {}",
        page.html
    );
    expect_error_redirect(
        no_type,
        SHOP,
        "invalid_request",
        Some("s"),
        "response_type=",
    )
    .await;
    expect_error_page(no_client, "client_id=").await;
}

#[tokio::test]
async fn authz_req_04d_unknown_parameters_are_ignored() {
    let app = spawn().await;
    let (client_id, browser) = shop_and_browser(&app).await;

    let location = approve_logged_in(
        &browser,
        &code_query(
            &client_id,
            SHOP,
            "state=s&foo=bar&nonce=n-1&prompt=login&x-custom=%26",
        ),
    )
    .await;

    assert!(location.starts_with(&format!("{SHOP}?code=")), "{location}");
    assert_eq!(query_param(&location, "state").as_deref(), Some("s"));
    for unknown in ["foo", "nonce", "prompt", "x-custom"] {
        assert_eq!(query_param(&location, unknown), None, "{location}");
    }
}

#[tokio::test]
async fn authz_req_05_consent_needs_this_sessions_csrf_value() {
    let app = spawn().await;
    let (client_id, mine) = shop_and_browser(&app).await;
    let query = code_query(&client_id, SHOP, "state=s");
    let theirs = signed_in(&app, &query).await;
    let my_page = mine.consent_page(&query).await;
    let their_page = theirs.consent_page(&query).await;
    assert_ne!(
        my_page.csrf, their_page.csrf,
        "each session has its own value"
    );
    let ticket = form_encode(&my_page.ticket);
    let cases = [
        ("no csrf", format!("ticket={ticket}&decision=approve")),
        (
            "empty csrf",
            format!("csrf=&ticket={ticket}&decision=approve"),
        ),
        (
            "another session's csrf",
            format!(
                "csrf={}&ticket={ticket}&decision=approve",
                form_encode(&their_page.csrf)
            ),
        ),
        (
            "a made-up csrf",
            format!(
                "csrf=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&ticket={ticket}&decision=approve"
            ),
        ),
    ];

    for (case, body) in &cases {
        let response = mine.post_consent(body).await;

        let status = response.status();
        assert!(
            status == StatusCode::BAD_REQUEST || status == StatusCode::FORBIDDEN,
            "{case}: {status}"
        );
        assert_eq!(location(&response), None, "{case}: no redirect, no code");
        let html = response.text().await.unwrap();
        assert!(!html.contains("code="), "{case}: {html}");
    }
    // Another user agent cannot use my form either, even with my csrf value.
    let forged = theirs.decide(&my_page, "approve").await;
    assert!(
        forged.status() == StatusCode::BAD_REQUEST || forged.status() == StatusCode::FORBIDDEN,
        "cross-session post: {}",
        forged.status()
    );
    assert_eq!(location(&forged), None);
    // A user agent without a session at all.
    let anonymous = Browser::new(&app).decide(&my_page, "approve").await;
    assert_eq!(anonymous.status(), StatusCode::FORBIDDEN);
    assert_eq!(location(&anonymous), None);
    // The refused posts issued nothing; the genuine form still works, once.
    let genuine = mine.decide(&my_page, "approve").await;
    assert_eq!(genuine.status(), StatusCode::SEE_OTHER);
    assert!(location(&genuine).is_some_and(|l| l.starts_with(&format!("{SHOP}?code="))));
    let replay = mine.decide(&my_page, "approve").await;
    assert_eq!(
        replay.status(),
        StatusCode::BAD_REQUEST,
        "a ticket answers once"
    );
    assert_eq!(location(&replay), None);
}

#[tokio::test]
async fn authz_req_06_a_fresh_user_agent_always_gets_the_login_page_first() {
    let app = spawn().await;
    let (client_id, _) = app.code_client(&[SHOP]).await;
    let invalid = [
        (
            "bad scope",
            code_query(&client_id, SHOP, "scope=no-such-scope&state=s"),
        ),
        (
            "implicit",
            code_query(&client_id, SHOP, "state=s").replacen(
                "response_type=code",
                "response_type=token",
                1,
            ),
        ),
        (
            "no response_type",
            format!(
                "client_id={client_id}&redirect_uri={}&state=s",
                form_encode(SHOP)
            ),
        ),
        (
            "state twice",
            code_query(&client_id, SHOP, "state=s&state=t"),
        ),
        (
            "bad PKCE",
            code_query(&client_id, SHOP, "state=s&code_challenge=short"),
        ),
    ];

    for (case, query) in &invalid {
        let browser = Browser::new(&app);
        let first = browser.authorize(query).await;
        expect_login_page(first, case).await;
        // The error redirect follows login: the login answer itself stays on this server.
        let login = browser
            .sign_in_as(query, "test-user", "test-password")
            .await;
        assert_eq!(login.status(), StatusCode::SEE_OTHER, "{case}");
        let back = location(&login).expect("Location");
        assert!(
            back.starts_with("/oauth/authorize?"),
            "{case}: same-origin: {back}"
        );
        let after = browser
            .authorize(back.trim_start_matches("/oauth/authorize?"))
            .await;
        let status = after.status();
        let target = location(&after);
        assert_eq!(status, StatusCode::SEE_OTHER, "{case}");
        assert!(
            target
                .as_deref()
                .is_some_and(|t| t.starts_with(&format!("{SHOP}?error="))),
            "{case}: {target:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// AUTHZ-REDIR

#[tokio::test]
async fn authz_redir_01_missing_or_unknown_client_is_an_error_page() {
    let app = spawn().await;
    let (_, browser) = shop_and_browser(&app).await;
    let fresh = Browser::new(&app);
    let cases = [
        (
            "no client_id",
            format!(
                "response_type=code&redirect_uri={}&state=s",
                form_encode(SHOP)
            ),
        ),
        (
            "no client_id, no redirect_uri",
            "response_type=code&state=s".to_owned(),
        ),
        (
            "unknown client",
            code_query("no-such-client", SHOP, "state=s"),
        ),
        (
            "unknown client, attacker URI",
            code_query("no-such-client", "https://attacker.example/cb", "state=s"),
        ),
        (
            "unknown client, no redirect_uri",
            "response_type=code&client_id=no-such-client&state=s".to_owned(),
        ),
    ];

    for (case, query) in &cases {
        let logged_in = browser.authorize(query).await;
        let anonymous = fresh.authorize(query).await;

        expect_error_page(logged_in, &format!("{case}, logged in")).await;
        expect_error_page(anonymous, &format!("{case}, fresh")).await;
    }
}

#[tokio::test]
async fn authz_redir_01_unknown_client_error_page_snapshot() {
    let app = spawn().await;

    let response = Browser::new(&app)
        .authorize(&code_query(
            "no-such-client",
            "https://attacker.example/cb",
            "state=s",
        ))
        .await;

    let html = expect_error_page(response, "unknown client").await;
    insta::assert_snapshot!("unknown_client_error_page", one_tag_per_line(&html));
}

/// Pages are served on one line; a line per tag keeps snapshot diffs readable.
fn one_tag_per_line(html: &str) -> String {
    html.replace("><", ">\n<")
}

#[tokio::test]
async fn authz_req_06_login_page_snapshot() {
    let app = spawn().await;
    app.code_client_with(json!({"client_id": "snapshot-shop", "redirect_urls": [SHOP]}))
        .await;

    let response = Browser::new(&app)
        .authorize(&code_query(
            "snapshot-shop",
            SHOP,
            "scope=profile&state=xyz",
        ))
        .await;

    let html = expect_login_page(response, "login").await;
    let csrf = hidden_field(&html, "csrf").expect("csrf");
    assert_eq!(csrf.len(), 43, "256 random bits, base64url");
    insta::assert_snapshot!(
        "login_page",
        one_tag_per_line(&html.replace(&csrf, "[csrf]"))
    );
}

#[tokio::test]
async fn authz_redir_02_an_unregistered_redirect_uri_is_an_error_page() {
    let app = spawn().await;
    let (client_id, browser) = shop_and_browser(&app).await;
    // Another client's URL is no way in either.
    app.code_client(&["https://other-shop.example/return"])
        .await;
    let fresh = Browser::new(&app);

    for uri in [
        "https://attacker.example/cb",
        "https://shop.example.attacker.example/cb",
        "https://shop.example/other",
        "https://shop.example/cb/more",
        "https://shop.example/c",
        "https://other-shop.example/return",
        "https://shop.example:8443/cb",
    ] {
        let query = code_query(&client_id, uri, "state=s");
        let logged_in = browser.authorize(&query).await;
        let anonymous = fresh.authorize(&query).await;

        let html = expect_error_page(logged_in, uri).await;
        assert!(!html.contains("code="), "{uri}: no code");
        expect_error_page(anonymous, uri).await;
    }
}

#[tokio::test]
async fn authz_redir_03_omitted_redirect_uri_only_with_one_full_registration() {
    let app = spawn().await;
    let (single, _) = app.code_client(&[SHOP]).await;
    let (several, _) = app.code_client(&[SHOP, "https://shop.example/other"]).await;
    let (pattern, _) = app.code_client(&["https://*.shop.example/cb"]).await;
    let (path_pattern, _) = app.code_client(&["https://shop.example/cb/*"]).await;
    let browser = signed_in(&app, &code_query(&single, SHOP, "")).await;
    let without = |client_id: &str| format!("response_type=code&client_id={client_id}&state=s");

    let location = approve_logged_in(&browser, &without(&single)).await;
    assert!(location.starts_with(&format!("{SHOP}?code=")), "{location}");
    assert_eq!(query_param(&location, "state").as_deref(), Some("s"));
    for (case, client_id) in [
        ("several registrations", &several),
        ("host pattern", &pattern),
        ("path pattern", &path_pattern),
    ] {
        let response = browser.authorize(&without(client_id)).await;
        expect_error_page(response, case).await;
    }
}

#[tokio::test]
async fn authz_redir_04_fragment_or_relative_redirect_uri_is_an_error_page() {
    for strict in [false, true] {
        let app = if strict {
            spawn_strict().await
        } else {
            spawn().await
        };
        let (client_id, _) = app.code_client(&[SHOP, "http://127.0.0.1/cb"]).await;
        let fresh = Browser::new(&app);

        for uri in [
            "https://shop.example/cb#x",
            "https://shop.example/cb#",
            "https://shop.example/cb?order=1#x",
            "http://127.0.0.1/cb#x",
            "http://127.0.0.1:51234/cb#",
            "/cb",
            "cb",
            "//shop.example/cb",
            "shop.example/cb",
        ] {
            let response = fresh
                .authorize(&code_query(&client_id, uri, "state=s"))
                .await;
            expect_error_page(response, &format!("strict={strict}: {uri}")).await;
        }
    }
}

#[tokio::test]
async fn authz_redir_05_reflected_markup_is_escaped_and_stays_out_of_headers() {
    let app = spawn().await;
    let (client_id, _) = app.code_client(&[SHOP]).await;
    let fresh = Browser::new(&app);
    let evil = "\"><script>alert(1)</script>";
    let cases = [
        (
            "redirect_uri",
            code_query(&client_id, &format!("{SHOP}{evil}"), "state=s"),
        ),
        ("client_id", code_query(evil, SHOP, "state=s")),
        (
            "state, unknown client",
            code_query("no-such-client", SHOP, &form_encode_pair("state", evil)),
        ),
        (
            "state, bad redirect_uri",
            code_query(
                &client_id,
                &format!("https://attacker.example/{evil}"),
                &form_encode_pair("state", evil),
            ),
        ),
    ];

    for (case, query) in &cases {
        let response = fresh.authorize(query).await;

        for (name, value) in response.headers() {
            let value = String::from_utf8_lossy(value.as_bytes());
            assert!(
                !value.contains("script") && !value.contains("alert"),
                "{case}: {name} reflects input: {value}"
            );
        }
        let html = expect_error_page(response, case).await;
        assert!(!html.contains("<script"), "{case}: {html}");
        assert!(!html.contains(evil), "{case}: {html}");
        assert!(
            !html.contains("alert(1)") || html.contains("&quot;&gt;&lt;script&gt;alert(1)"),
            "{case}: reflected only in escaped form: {html}"
        );
    }
}

#[tokio::test]
async fn authz_redir_05_markup_in_state_is_escaped_on_the_login_and_consent_pages() {
    let app = spawn().await;
    let (client_id, _) = app.code_client(&[SHOP]).await;
    let evil = "\"><script>alert(1)</script>";
    let query = code_query(&client_id, SHOP, &form_encode_pair("state", evil));
    let browser = Browser::new(&app);

    let login = browser.authorize(&query).await;
    let login_headers = format!("{:?}", login.headers());
    let login = expect_login_page(login, "login").await;
    browser.sign_in(&query).await;
    let consent = browser.consent_page(&query).await;

    assert!(!login_headers.contains("script"), "{login_headers}");
    for (page, html) in [("login", &login), ("consent", &consent.html)] {
        assert!(!html.contains("<script"), "{page}: {html}");
    }
    let location = approve_logged_in(&browser, &query).await;
    assert_eq!(query_param(&location, "state").as_deref(), Some(evil));
    assert!(
        !location.contains('<') && !location.contains('"'),
        "{location}"
    );
}

#[tokio::test]
async fn authz_redir_06_strict_profile_compares_strings_exactly() {
    let app = spawn_strict().await;
    let registered = "https://client.example/cb";
    let (client_id, _) = app.code_client(&[registered]).await;
    let fresh = Browser::new(&app);

    let exact = fresh
        .authorize(&code_query(&client_id, registered, "state=s"))
        .await;
    expect_login_page(exact, "the exact string").await;
    for variant in [
        "https://client.example/cb/",
        "HTTPS://CLIENT.EXAMPLE/cb",
        "https://CLIENT.example/cb",
        "https://client.example:443/cb",
        "https://client.example/%63b",
        "https://client.example/cb?x=1",
        "https://client.example/cb/../cb",
        "https://client.example/./cb",
        "https://client.example/cb?",
        "https://client.example./cb",
    ] {
        let response = fresh
            .authorize(&code_query(&client_id, variant, "state=s"))
            .await;
        expect_error_page(response, variant).await;
    }
}

// ---------------------------------------------------------------------------------------------
// AUTHZ-ERR

#[tokio::test]
async fn authz_err_01_denial_is_access_denied_with_the_state() {
    let app = spawn().await;
    let (client_id, browser) = shop_and_browser(&app).await;
    let state = "deny me & keep = this";
    let page = browser
        .consent_page(&code_query(
            &client_id,
            SHOP,
            &form_encode_pair("state", state),
        ))
        .await;

    let response = browser.decide(&page, "deny").await;

    let back = expect_error_redirect(response, SHOP, "access_denied", Some(state), "deny").await;
    // Form-encoded: the state's reserved characters are escaped in the raw Location.
    assert!(back.contains("state=deny+me+%26+keep+%3D+this"), "{back}");
    // The denied request is gone: approving it afterwards does nothing.
    let late = browser.decide(&page, "approve").await;
    assert_eq!(late.status(), StatusCode::BAD_REQUEST);
    assert_eq!(location(&late), None);
}

#[tokio::test]
async fn authz_err_02_implicit_or_no_response_type_is_an_error_redirect() {
    let app = spawn().await;
    let (client_id, browser) = shop_and_browser(&app).await;
    let tail = format!(
        "client_id={client_id}&redirect_uri={}&state=s",
        form_encode(SHOP)
    );

    for response_type in ["token", "code%20token", "id_token", "CODE"] {
        let response = browser
            .authorize(&format!("response_type={response_type}&{tail}"))
            .await;
        expect_error_redirect(
            response,
            SHOP,
            "unsupported_response_type",
            Some("s"),
            response_type,
        )
        .await;
    }
    // No response_type: the reference says invalid_request (AMB-30).
    let response = browser.authorize(&tail).await;
    expect_error_redirect(response, SHOP, "invalid_request", Some("s"), "none").await;
}

#[tokio::test]
async fn authz_err_03_unknown_or_disallowed_scope_is_invalid_scope() {
    let app = spawn().await;
    let (client_id, _) = app
        .code_client_with(json!({"redirect_urls": [SHOP], "scopes": ["profile"]}))
        .await;
    let browser = signed_in(&app, &code_query(&client_id, SHOP, "")).await;

    for scope in [
        "no-such-scope",
        "email",
        "profile email",
        "payments:change",
        "MERCHANT_ADMIN",
        "profile%20%20profile",
    ] {
        let response = browser
            .authorize(&code_query(
                &client_id,
                SHOP,
                &format!("scope={scope}&state=s"),
            ))
            .await;
        expect_error_redirect(response, SHOP, "invalid_scope", Some("s"), scope).await;
    }
    // The allowed scope still works.
    let location =
        approve_logged_in(&browser, &code_query(&client_id, SHOP, "scope=profile")).await;
    assert!(query_param(&location, "code").is_some(), "{location}");
}

#[tokio::test]
async fn authz_err_04_a_client_without_the_code_grant_is_unauthorized_client() {
    let app = spawn().await;
    let (client_id, _) = app
        .code_client_with(json!({"redirect_urls": [SHOP], "grants": ["client_credentials"]}))
        .await;
    let query = code_query(&client_id, SHOP, "state=s");
    let browser = Browser::new(&app);
    expect_login_page(browser.authorize(&query).await, "fresh").await;
    browser.sign_in(&query).await;

    let response = browser.authorize(&query).await;

    expect_error_redirect(response, SHOP, "unauthorized_client", Some("s"), "cc only").await;
}

// ---------------------------------------------------------------------------------------------
// IP-04

#[tokio::test]
async fn ip_04_the_whitelist_does_not_apply_to_the_authorization_endpoint() {
    let app = spawn().await;
    let (client_id, secret) = app
        .code_client_with(json!({"redirect_urls": [SHOP], "ip_whitelist": ["127.0.0.2"]}))
        .await;
    let browser = Browser::from_source(&app, Some("127.0.0.3"));
    let query = code_query(&client_id, SHOP, "state=s");

    let first = browser.authorize(&query).await;
    expect_login_page(first, "from 127.0.0.3").await;
    let code = browser.code(&query).await;

    // The code is real: the client redeems it from its whitelisted address.
    let response = app
        .post_form_from(
            "127.0.0.2",
            "/oauth/token",
            &format!(
                "grant_type=authorization_code&code={}&redirect_uri={}",
                form_encode(&code),
                form_encode(SHOP)
            ),
        )
        .basic_auth(&client_id, Some(&secret))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}
