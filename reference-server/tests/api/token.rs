//! The token endpoint: request handling (TOKEN-REQ), client authentication (TOKEN-AUTH),
//! responses and errors (TOKEN-RESP, TOKEN-ERR), the client credentials grant (TOKEN-CC) and
//! roles as scope values (ROLE-02, ROLE-05). The authorization code and refresh grants have
//! their own module.

use std::collections::BTreeSet;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use reqwest::header::HeaderMap;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestServer, form_encode, json_of, spawn};

const TOKEN: &str = "/oauth/token";
const CC: &str = "grant_type=client_credentials";
/// Seed 001 › Scopes: an Admin API client's default set.
const ADMIN_API_DEFAULT_SCOPES: [&str; 7] = [
    "web-origins",
    "address",
    "phone",
    "roles",
    "profile",
    "paymentiq",
    "email",
];
/// The RFC 6749 §5.2 codes, plus RFC 8628's `slow_down` for the throttle.
const TOKEN_ERRORS: [&str; 7] = [
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "slow_down",
];

/// `Authorization: Basic` built as RFC 6749 §2.3.1 says: each part form-encoded, then base64.
fn basic(client_id: &str, secret: &str) -> String {
    let pair = format!("{}:{}", form_encode(client_id), form_encode(secret));
    format!("Basic {}", STANDARD.encode(pair))
}

/// A POST to the token endpoint with this form body and, if given, this Authorization value.
async fn post_token(app: &TestServer, body: &str, authorization: Option<&str>) -> Response {
    let mut request = app.post_form(TOKEN, body);
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    request.send().await.expect("token request")
}

/// The baseline fixture's `cc-client`: client_credentials, Basic and body authentication.
async fn cc_client(app: &TestServer) -> (String, String) {
    app.admin_api_client(json!({"client_id": "cc-client"}))
        .await
}

/// The baseline fixture's `code-client`: authorization_code only.
async fn code_client(app: &TestServer) -> (String, String) {
    let (view, secret) = app
        .create_client(json!({
            "kind": "one_click",
            "client_id": "code-client",
            "redirect_urls": ["https://m.example/cb"],
        }))
        .await;
    (view["client_id"].as_str().expect("id").to_owned(), secret)
}

fn scope_set(body: &Value) -> BTreeSet<String> {
    body["scope"]
        .as_str()
        .unwrap_or_else(|| panic!("no scope in {body}"))
        .split(' ')
        .map(str::to_owned)
        .collect()
}

fn set_of(values: &[&str]) -> BTreeSet<String> {
    values.iter().map(|v| (*v).to_owned()).collect()
}

fn header<'a>(response: &'a Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .expect("ASCII header")
}

/// Status and error body, asserting the shape every error of the endpoint shares
/// (TOKEN-ERR-01, TOKEN-RESP-02): JSON, no-store, no token.
async fn error_of(response: Response) -> (StatusCode, Value) {
    assert!(
        header(&response, "content-type").starts_with("application/json"),
        "errors are JSON"
    );
    assert_eq!(header(&response, "cache-control"), "no-store");
    assert_eq!(header(&response, "pragma"), "no-cache");
    let (status, body) = json_of(response).await;
    assert!(
        body.get("access_token").is_none(),
        "an error carries no token: {body}"
    );
    (status, body)
}

/// The headers a client could compare, without the ones that differ per response.
fn comparable(headers: &HeaderMap) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = headers
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "date" | "x-request-id"))
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                value.to_str().unwrap_or("<binary>").to_owned(),
            )
        })
        .collect();
    pairs.sort();
    pairs
}

/// RFC 6749 §5.2: `error` and `error_description` are %x20-21 / %x23-5B / %x5D-7E.
fn is_error_text(text: &str) -> bool {
    text.bytes()
        .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5b | 0x5d..=0x7e))
}

// ---- TOKEN-REQ ------------------------------------------------------------------------------

#[tokio::test]
async fn token_req_01_get_is_405_and_query_credentials_are_ignored() {
    let app = spawn().await;
    let (id, secret) = cc_client(&app).await;

    let get = app
        .request(Method::GET, &format!("{TOKEN}?{CC}"))
        .header("authorization", basic(&id, &secret))
        .send()
        .await
        .unwrap();
    let query = app
        .post_form(
            &format!(
                "{TOKEN}?client_id={id}&client_secret={}",
                form_encode(&secret)
            ),
            CC,
        )
        .send()
        .await
        .unwrap();

    assert_eq!(
        get.status(),
        StatusCode::METHOD_NOT_ALLOWED,
        "(a) GET with valid Basic"
    );
    assert_eq!(header(&get, "allow"), "POST");
    let (_, body) = error_of(get).await;
    assert_eq!(body["error"], "invalid_request");
    let (status, body) = error_of(query).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "(b) credentials in the query string do not authenticate"
    );
    assert_eq!(body["error"], "invalid_client");
}

#[tokio::test]
async fn token_req_02_json_body_is_400_invalid_request() {
    let app = spawn().await;
    let (id, secret) = cc_client(&app).await;

    let response = app
        .request(Method::POST, TOKEN)
        .header("authorization", basic(&id, &secret))
        .json(&json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();

    let (status, body) = error_of(response).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_request");
}

#[tokio::test]
async fn token_req_03_missing_grant_type_is_invalid_request() {
    let app = spawn().await;
    let (id, secret) = cc_client(&app).await;

    for (body, case) in [("", "empty body"), ("scope=email", "scope only")] {
        let response = post_token(&app, body, Some(&basic(&id, &secret))).await;

        let (status, body) = error_of(response).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{case}");
        assert_eq!(
            body["error"], "invalid_request",
            "{case}: not unsupported_grant_type"
        );
    }
}

#[tokio::test]
async fn token_req_04_unknown_and_password_grants_are_unsupported() {
    let app = spawn().await;
    let (id, secret) = cc_client(&app).await;

    for body in [
        "grant_type=urn%3Aexample%3Anope",
        "grant_type=password&username=alice&password=wonderland",
    ] {
        let response = post_token(&app, body, Some(&basic(&id, &secret))).await;

        let (status, error) = error_of(response).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(error["error"], "unsupported_grant_type", "{body}");
    }
}

#[tokio::test]
async fn token_req_05_grant_the_client_is_not_registered_for_is_unauthorized_client() {
    let app = spawn().await;
    let (cc_id, cc_secret) = cc_client(&app).await;
    let (code_id, code_secret) = code_client(&app).await;

    let cases = [
        (
            &cc_id,
            &cc_secret,
            "grant_type=authorization_code&code=abc&redirect_uri=https%3A%2F%2Fm.example%2Fcb",
        ),
        (&code_id, &code_secret, CC),
    ];
    for (id, secret, body) in cases {
        let response = post_token(&app, body, Some(&basic(id, secret))).await;

        let (status, error) = error_of(response).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{id}: {body}");
        assert_eq!(error["error"], "unauthorized_client", "{id}: {body}");
    }
}

#[tokio::test]
async fn token_req_06_repeated_parameters_are_invalid_request() {
    let app = spawn().await;
    let (id, secret) = cc_client(&app).await;

    for body in [
        format!("{CC}&{CC}"),
        format!("{CC}&scope=email&scope=phone"),
        format!("{CC}&scope=email&scope=email"),
    ] {
        let response = post_token(&app, &body, Some(&basic(&id, &secret))).await;

        let (status, error) = error_of(response).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(error["error"], "invalid_request", "{body}");
    }
}

#[tokio::test]
async fn token_req_07_empty_values_are_absent_and_unknown_parameters_ignored() {
    let app = spawn().await;
    let (id, secret) = cc_client(&app).await;
    let auth = basic(&id, &secret);

    let without = post_token(&app, CC, Some(&auth)).await;
    let empty_scope = post_token(&app, &format!("{CC}&scope="), Some(&auth)).await;
    let empty_grant = post_token(&app, "grant_type=", Some(&auth)).await;
    let unknown = post_token(&app, &format!("{CC}&foo=bar"), Some(&auth)).await;

    let (status, without) = json_of(without).await;
    assert_eq!(status, StatusCode::OK);
    let (status, empty_scope) = json_of(empty_scope).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "(a) scope= is no scope: {empty_scope}"
    );
    assert_eq!(
        scope_set(&empty_scope),
        scope_set(&without),
        "(a) scope= grants what no scope grants"
    );
    let (status, error) = error_of(empty_grant).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "(a) grant_type=");
    assert_eq!(
        error["error"], "invalid_request",
        "(a) grant_type= is a missing grant_type"
    );
    let (status, body) = json_of(unknown).await;
    assert_eq!(status, StatusCode::OK, "(b) foo=bar is ignored: {body}");
    assert!(body["access_token"].is_string());
}

// ---- TOKEN-AUTH -----------------------------------------------------------------------------

#[tokio::test]
async fn token_auth_01_basic_and_body_credentials_both_work() {
    let app = spawn().await;
    let (id, secret) = cc_client(&app).await;

    let via_basic = post_token(&app, CC, Some(&basic(&id, &secret))).await;
    let via_body = post_token(
        &app,
        &format!(
            "{CC}&client_id={}&client_secret={}",
            form_encode(&id),
            form_encode(&secret)
        ),
        None,
    )
    .await;

    for (response, case) in [(via_basic, "Basic"), (via_body, "body")] {
        let (status, body) = json_of(response).await;
        assert_eq!(status, StatusCode::OK, "{case}: {body}");
        assert!(body["access_token"].is_string(), "{case}");
    }
}

#[tokio::test]
async fn token_auth_02_basic_parts_are_form_encoded_before_base64() {
    let app = spawn().await;
    app.create_client(json!({
        "kind": "admin_api",
        "client_id": "enc client:1",
        "client_secret": "s+e/c%r:e t",
        "roles": ["PAYMENTS_VIEW"],
    }))
    .await;
    // The row's exact header: `enc+client%3A1:s%2Be%2Fc%25r%3Ae+t`, base64-encoded.
    let authorization = format!(
        "Basic {}",
        STANDARD.encode("enc+client%3A1:s%2Be%2Fc%25r%3Ae+t")
    );

    let response = post_token(&app, CC, Some(&authorization)).await;

    let (status, body) = json_of(response).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["access_token"].is_string());
}

#[tokio::test]
async fn token_auth_03_basic_and_body_secret_together_are_invalid_request() {
    let app = spawn().await;
    let (id, secret) = cc_client(&app).await;

    let body = format!(
        "{CC}&client_id={}&client_secret={}",
        form_encode(&id),
        form_encode(&secret)
    );
    let response = post_token(&app, &body, Some(&basic(&id, &secret))).await;

    let (status, error) = error_of(response).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "both correct, still refused"
    );
    assert_eq!(error["error"], "invalid_request");
}

#[tokio::test]
async fn token_auth_04_body_client_id_must_name_the_basic_client() {
    let app = spawn().await;
    let (id, secret) = cc_client(&app).await;
    let (other, _) = code_client(&app).await;
    let auth = basic(&id, &secret);

    let same = post_token(
        &app,
        &format!("{CC}&client_id={}", form_encode(&id)),
        Some(&auth),
    )
    .await;
    let different = post_token(
        &app,
        &format!("{CC}&client_id={}", form_encode(&other)),
        Some(&auth),
    )
    .await;

    let (status, body) = json_of(same).await;
    assert_eq!(status, StatusCode::OK, "same client_id in the body: {body}");
    let (status, error) = error_of(different).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "another client's id in the body"
    );
    assert_eq!(error["error"], "invalid_request");
}

#[tokio::test]
async fn token_auth_05_wrong_secret_is_401_with_basic_challenge() {
    let app = spawn().await;
    let (id, _) = cc_client(&app).await;

    let via_basic = post_token(&app, CC, Some(&basic(&id, "wrong-secret"))).await;
    let via_body = post_token(
        &app,
        &format!(
            "{CC}&client_id={}&client_secret=wrong-secret",
            form_encode(&id)
        ),
        None,
    )
    .await;

    for (response, case) in [(via_basic, "Basic"), (via_body, "body")] {
        let challenge = header(&response, "www-authenticate").to_owned();
        let (status, body) = error_of(response).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{case}");
        assert!(
            challenge.to_ascii_lowercase().starts_with("basic "),
            "{case}: challenge {challenge}"
        );
        assert_eq!(body["error"], "invalid_client", "{case}");
    }
}

#[tokio::test]
async fn token_auth_06_unknown_client_looks_exactly_like_a_wrong_secret() {
    let app = spawn().await;
    let (id, _) = cc_client(&app).await;
    let body_auth = |client: &str| {
        format!(
            "{CC}&client_id={}&client_secret=wrong-secret",
            form_encode(client)
        )
    };

    let wrong_basic = post_token(&app, CC, Some(&basic(&id, "wrong-secret"))).await;
    let unknown_basic = post_token(&app, CC, Some(&basic("no-such-client", "wrong-secret"))).await;
    let wrong_body = post_token(&app, &body_auth(&id), None).await;
    let unknown_body = post_token(&app, &body_auth("no-such-client"), None).await;

    for (wrong, unknown, case) in [
        (wrong_basic, unknown_basic, "Basic"),
        (wrong_body, unknown_body, "body"),
    ] {
        assert_eq!(
            comparable(wrong.headers()),
            comparable(unknown.headers()),
            "{case}: headers"
        );
        let (wrong_status, wrong_body) = json_of(wrong).await;
        let (unknown_status, unknown_body) = json_of(unknown).await;
        assert_eq!(unknown_status, StatusCode::UNAUTHORIZED, "{case}");
        assert_eq!(wrong_status, unknown_status, "{case}: status");
        assert_eq!(wrong_body, unknown_body, "{case}: body");
        assert_eq!(unknown_body["error"], "invalid_client", "{case}");
    }
}

#[tokio::test]
async fn token_auth_07_missing_foreign_or_malformed_authentication_is_401() {
    let app = spawn().await;
    let (id, secret) = cc_client(&app).await;

    let cases = [
        (None, "no authentication at all"),
        (Some(format!("Digest username=\"{id}\"")), "Digest scheme"),
        (Some("Bearer abcdef".to_owned()), "Bearer scheme"),
        (
            Some("Basic !!!not-base64!!!".to_owned()),
            "Basic value not base64",
        ),
        (
            Some(format!(
                "Basic {}",
                STANDARD.encode(format!("{id}{secret}"))
            )),
            "Basic value without a colon",
        ),
        (Some("Basic".to_owned()), "Basic without a value"),
        (
            Some(format!("Basic {}", STANDARD.encode("%ff:x"))),
            "Basic user name not UTF-8",
        ),
        (
            Some(format!("Basic {}", STANDARD.encode("cc%00client:x"))),
            "Basic user name with NUL",
        ),
        (
            Some(format!(
                "Basic {}",
                STANDARD.encode(format!("{}:x", "u".repeat(100_000)))
            )),
            "a 100 kB user name",
        ),
    ];
    for (authorization, case) in cases {
        let response = post_token(&app, CC, authorization.as_deref()).await;

        let challenge = header(&response, "www-authenticate").to_owned();
        let (status, body) = error_of(response).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{case}");
        assert!(
            challenge.starts_with("Basic "),
            "{case}: challenge {challenge}"
        );
        assert_eq!(body["error"], "invalid_client", "{case}");
    }
}

#[tokio::test]
async fn token_auth_08_ten_failures_in_60_s_throttle_even_the_right_secret() {
    let app = spawn().await;
    let (id, secret) = cc_client(&app).await;
    let (other, other_secret) = code_client(&app).await;
    app.set_clock("2030-01-01T00:00:00Z").await;

    for attempt in 1..=10 {
        let response = post_token(&app, CC, Some(&basic(&id, "wrong-secret"))).await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "failure {attempt} is still a plain 401"
        );
    }
    let blocked = post_token(&app, CC, Some(&basic(&id, &secret))).await;
    let unrelated = app.client_credentials(&other, &other_secret, "").await;
    app.advance_clock(59).await;
    let still_blocked = post_token(&app, CC, Some(&basic(&id, &secret))).await;
    app.advance_clock(1).await;
    let after_window = post_token(&app, CC, Some(&basic(&id, &secret))).await;

    assert_eq!(header(&blocked, "retry-after"), "60");
    let (status, body) = error_of(blocked).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "the right secret is refused while blocked"
    );
    assert_eq!(body["error"], "slow_down");
    assert_eq!(
        unrelated.status(),
        StatusCode::BAD_REQUEST,
        "another client id is not throttled (code-client: unauthorized_client)"
    );
    assert_eq!(header(&still_blocked, "retry-after"), "1");
    assert_eq!(
        still_blocked.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "59 s later, still inside the window"
    );
    let (status, body) = json_of(after_window).await;
    assert_eq!(status, StatusCode::OK, "once the window has passed: {body}");
}

/// Nobody can lock a client out by knowing its id: the guard counts per id and address.
#[tokio::test]
async fn token_auth_08_a_guessing_address_does_not_lock_the_client_out_elsewhere() {
    let app = spawn().await;
    let (id, secret) = cc_client(&app).await;
    let guesser = crate::helpers::http_client(Some("127.0.0.9".parse().unwrap()));
    let from_guesser = |secret: String| {
        guesser
            .post(app.url("/oauth/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("authorization", basic(&id, &secret))
            .body(CC)
            .send()
    };

    for attempt in 1..=12 {
        let response = from_guesser("wrong-secret".to_owned()).await.unwrap();
        let expected = if attempt <= 10 {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        assert_eq!(response.status(), expected, "guess {attempt}");
    }
    let guesser_with_the_secret = from_guesser(secret.clone()).await.unwrap();
    let owner = post_token(&app, CC, Some(&basic(&id, &secret))).await;

    assert_eq!(
        guesser_with_the_secret.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the guessing address stays throttled, even with the right secret"
    );
    let (status, body) = json_of(owner).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the owner's address is unaffected: {body}"
    );
}

// ---- TOKEN-RESP -----------------------------------------------------------------------------

#[tokio::test]
async fn token_resp_01_success_is_json_with_bearer_and_numeric_expires_in() {
    let app = spawn().await;
    let (id, secret) = cc_client(&app).await;

    let response = app.client_credentials(&id, &secret, "").await;

    assert_eq!(response.status(), StatusCode::OK);
    assert!(header(&response, "content-type").starts_with("application/json"));
    let body: Value = response.json().await.unwrap();
    assert!(
        body["access_token"].as_str().is_some_and(|t| !t.is_empty()),
        "access_token: {body}"
    );
    assert!(
        body["token_type"]
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case("bearer")),
        "token_type: {body}"
    );
    assert!(
        body["expires_in"].is_number(),
        "expires_in is a number: {body}"
    );
}

#[tokio::test]
async fn token_resp_02_no_store_and_no_cache_on_success_and_errors() {
    let app = spawn().await;
    let (id, secret) = cc_client(&app).await;
    let auth = basic(&id, &secret);

    let cases = [
        (post_token(&app, CC, Some(&auth)).await, "200 with a token"),
        (
            post_token(&app, "grant_type=nope", Some(&auth)).await,
            "400 unsupported_grant_type",
        ),
        (
            post_token(&app, CC, Some(&basic(&id, "wrong"))).await,
            "401 invalid_client",
        ),
        (app.request(Method::GET, TOKEN).send().await.unwrap(), "405"),
    ];
    for (response, case) in cases {
        assert_eq!(header(&response, "cache-control"), "no-store", "{case}");
        assert_eq!(header(&response, "pragma"), "no-cache", "{case}");
    }
}

#[tokio::test]
async fn token_resp_03_scope_is_reported_when_it_differs_from_the_request() {
    let app = spawn().await;
    let (id, secret) = cc_client(&app).await;

    let none_asked = app.client_credentials(&id, &secret, "").await;
    let some_asked = app.client_credentials(&id, &secret, "scope=email").await;

    let (status, body) = json_of(none_asked).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        scope_set(&body),
        set_of(&ADMIN_API_DEFAULT_SCOPES),
        "nothing asked, the default set granted and reported"
    );
    let (status, body) = json_of(some_asked).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["scope"], "email",
        "the reference reports the scope even when it is the one asked for"
    );
}

#[tokio::test]
async fn token_resp_04_configured_access_validity_is_honoured() {
    let app = spawn().await;
    let (default_id, default_secret) = cc_client(&app).await;
    let (long_id, long_secret) = app
        .admin_api_client(json!({"access_token_validity_seconds": 7200}))
        .await;

    let default = app
        .client_credentials(&default_id, &default_secret, "")
        .await;
    let long = app.client_credentials(&long_id, &long_secret, "").await;

    let (_, default) = json_of(default).await;
    assert_eq!(
        default["expires_in"], 3600,
        "the default validity is one hour (RFC 6750 §5.3)"
    );
    let (_, long) = json_of(long).await;
    assert_eq!(
        long["expires_in"], 7200,
        "a configured 7200 s is honoured; the suite warns about it"
    );
}

#[tokio::test]
async fn token_resp_05_a_thousand_access_tokens_are_distinct_and_long() {
    let app = spawn().await;
    let (id, secret) = cc_client(&app).await;
    let url = app.url(TOKEN);
    let auth = basic(&id, &secret);
    let permits = Arc::new(tokio::sync::Semaphore::new(32));

    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..1_000 {
        let (http, url, auth, permits) =
            (app.http.clone(), url.clone(), auth.clone(), permits.clone());
        requests.spawn(async move {
            let _permit = permits.acquire_owned().await.expect("semaphore");
            let response = http
                .post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .header("authorization", auth)
                .body(CC)
                .send()
                .await
                .expect("token request");
            assert_eq!(response.status(), StatusCode::OK);
            let body: Value = response.json().await.expect("json");
            body["access_token"]
                .as_str()
                .expect("access_token")
                .to_owned()
        });
    }
    let tokens: Vec<String> = requests.join_all().await;

    let distinct: BTreeSet<&str> = tokens.iter().map(String::as_str).collect();
    assert_eq!(distinct.len(), 1_000, "all values distinct");
    for token in &tokens {
        assert!(
            token.len() >= 22,
            "at least 22 characters: {} has {}",
            token,
            token.len()
        );
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "base64url: {token}"
        );
    }
    // Sorted, the longest prefix two values share is between neighbours. Beyond a marker that
    // every value carries, 256 random bits make 8 shared characters a one in 10^8 event.
    let sorted: Vec<&str> = distinct.into_iter().collect();
    let shared = |a: &str, b: &str| a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    let marker = sorted
        .iter()
        .map(|t| shared(sorted[0], t))
        .min()
        .unwrap_or(0);
    let longest = sorted
        .windows(2)
        .map(|w| shared(w[0], w[1]))
        .max()
        .unwrap_or(0);
    assert!(
        longest - marker < 8,
        "values share {longest} leading characters (common marker {marker})"
    );
}

// ---- TOKEN-ERR ------------------------------------------------------------------------------

#[tokio::test]
async fn token_err_01_every_error_is_json_with_a_registered_code_and_plain_ascii() {
    let app = spawn().await;
    let (id, secret) = cc_client(&app).await;
    let auth = basic(&id, &secret);
    // Values that carry `"`, `\`, non-ASCII and control characters, generated: the server must
    // never echo them into `error_description`.
    let mut runner = TestRunner::deterministic();
    let strategy = (
        proptest::sample::select(vec!["\"", "\\", "é", "\u{7f}", "\u{2028}", "\u{1F600}"]),
        "\\PC{0,16}",
    )
        .prop_map(|(nasty, rest)| format!("{rest}{nasty}{rest}"));
    let values: Vec<String> = (0..24)
        .map(|_| strategy.new_tree(&mut runner).expect("a value").current())
        .collect();

    for value in &values {
        let cases = [
            (
                post_token(
                    &app,
                    &format!("{CC}&scope={}", form_encode(value)),
                    Some(&auth),
                )
                .await,
                "scope",
            ),
            (
                post_token(
                    &app,
                    &format!("grant_type={}", form_encode(value)),
                    Some(&auth),
                )
                .await,
                "grant_type",
            ),
            (
                post_token(&app, CC, Some(&basic(value, "x"))).await,
                "Basic user name",
            ),
            (
                post_token(
                    &app,
                    &format!("{CC}&client_id={}&client_secret=x", form_encode(value)),
                    None,
                )
                .await,
                "body client_id",
            ),
        ];
        for (response, place) in cases {
            let (status, body) = error_of(response).await;
            let case = format!("{value:?} as {place}");
            let error = body["error"]
                .as_str()
                .unwrap_or_else(|| panic!("{case}: error is a string: {body}"));
            assert!(
                TOKEN_ERRORS.contains(&error),
                "{case}: registered code, got {error}"
            );
            let expected = if error == "invalid_client" {
                StatusCode::UNAUTHORIZED
            } else {
                StatusCode::BAD_REQUEST
            };
            assert_eq!(status, expected, "{case}: {body}");
            assert!(is_error_text(error), "{case}: {error}");
            if let Some(description) = body.get("error_description") {
                let description = description
                    .as_str()
                    .unwrap_or_else(|| panic!("{case}: description is a string"));
                assert!(
                    is_error_text(description),
                    "{case}: description {description:?}"
                );
            }
            assert!(
                body.get("error_uri").is_none_or(Value::is_string),
                "{case}: error_uri"
            );
        }
    }
}

#[tokio::test]
async fn token_err_01_error_bodies_are_pinned() {
    let app = spawn().await;
    let (id, secret) = cc_client(&app).await;
    let (code_id, code_secret) = code_client(&app).await;
    let auth = basic(&id, &secret);

    let invalid_request = post_token(&app, "scope=email", Some(&auth)).await;
    let invalid_client = post_token(&app, CC, Some(&basic(&id, "wrong"))).await;
    let unsupported = post_token(
        &app,
        "grant_type=password&username=a&password=b",
        Some(&auth),
    )
    .await;
    let unauthorized = post_token(&app, CC, Some(&basic(&code_id, &code_secret))).await;
    let invalid_scope = post_token(&app, &format!("{CC}&scope=openid"), Some(&auth)).await;
    for _ in 0..9 {
        post_token(&app, CC, Some(&basic(&id, "wrong"))).await;
    }
    let slow_down = post_token(&app, CC, Some(&auth)).await;

    // Every body is two fixed strings: nothing generated to redact.
    insta::assert_json_snapshot!("invalid_request", error_of(invalid_request).await.1);
    insta::assert_json_snapshot!("invalid_client", error_of(invalid_client).await.1);
    insta::assert_json_snapshot!("unsupported_grant_type", error_of(unsupported).await.1);
    insta::assert_json_snapshot!("unauthorized_client", error_of(unauthorized).await.1);
    insta::assert_json_snapshot!("invalid_scope", error_of(invalid_scope).await.1);
    insta::assert_json_snapshot!("slow_down", error_of(slow_down).await.1);
}

#[tokio::test]
async fn token_err_02_malformed_input_is_a_json_4xx_never_a_token() {
    let app = spawn().await;
    let (id, secret) = cc_client(&app).await;
    let auth = basic(&id, &secret);
    // 10,000 distinct three-letter names, 60 kB: under the body limit, over the parameter limit.
    let names = (0..10_000).map(|i: u32| {
        let letter = |n: u32| char::from(b'a' + u8::try_from(n % 26).expect("a letter"));
        format!("{}{}{}=1", letter(i / 676), letter(i / 26), letter(i))
    });
    let many = std::iter::once(CC.to_owned())
        .chain(names)
        .collect::<Vec<_>>()
        .join("&");

    let cases: Vec<(Vec<u8>, StatusCode, &str)> = vec![
        (
            b"grant_type=client_credentials&scope=\xff\xfe".to_vec(),
            StatusCode::BAD_REQUEST,
            "raw invalid UTF-8",
        ),
        (
            b"grant_type=client_credentials&scope=%C3%28".to_vec(),
            StatusCode::BAD_REQUEST,
            "encoded invalid UTF-8",
        ),
        (
            b"grant_type=client_credentials&scope=%zz".to_vec(),
            StatusCode::BAD_REQUEST,
            "bad percent-encoding",
        ),
        (
            b"grant_type=client_credentials&scope=%4".to_vec(),
            StatusCode::BAD_REQUEST,
            "truncated percent-encoding",
        ),
        (
            b"grant_type=client_credentials%".to_vec(),
            StatusCode::BAD_REQUEST,
            "lone percent sign",
        ),
        (
            b"grant_type=client_credentials&scope=email%00".to_vec(),
            StatusCode::BAD_REQUEST,
            "encoded NUL",
        ),
        (
            b"grant_type=client_credentials\0&scope=email".to_vec(),
            StatusCode::BAD_REQUEST,
            "raw NUL",
        ),
        (
            many.into_bytes(),
            StatusCode::BAD_REQUEST,
            "10,000 parameters",
        ),
        (
            format!("{CC}&pad={}", "a".repeat(1 << 20)).into_bytes(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "a 1 MiB body",
        ),
    ];
    for (body, expected, case) in cases {
        let response = app
            .request(Method::POST, TOKEN)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("authorization", &auth)
            .body(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{case}: {e}"));

        let (status, error) = error_of(response).await;
        assert_eq!(status, expected, "{case}: {error}");
        assert_eq!(error["error"], "invalid_request", "{case}");
    }
}

#[tokio::test]
async fn token_err_02_chunked_body_over_the_limit_is_413() {
    const CHUNKS: usize = 56; // 3.5 MiB, within what the server reads of a refused body
    let app = spawn().await;
    let (id, secret) = cc_client(&app).await;
    // No Content-Length, so the limit is met while reading: raw HTTP/1.1 with chunked encoding.
    let mut stream = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .expect("connect");
    let head = format!(
        "POST {TOKEN} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Authorization: {}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        basic(&id, &secret)
    );
    let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, "a".repeat(64 * 1024));

    let (mut reader, mut writer) = stream.split();
    let write = async {
        use tokio::io::AsyncWriteExt as _;
        writer.write_all(head.as_bytes()).await?;
        for _ in 0..CHUNKS {
            writer.write_all(chunk.as_bytes()).await?;
        }
        writer.write_all(b"0\r\n\r\n").await
    };
    let read = async {
        use tokio::io::AsyncReadExt as _;
        let mut response = Vec::new();
        let _ = reader.read_to_end(&mut response).await;
        response
    };
    let (written, response) = tokio::join!(write, read);
    // Closing on a client still sending would reset the connection, which can destroy the 413
    // before it is read (RFC 9112 §9.6): the server reads the refused body to its end first.
    if let Err(e) = written {
        panic!("the server stopped reading the refused body: {e}");
    }

    let response = String::from_utf8_lossy(&response);
    assert!(
        response.starts_with("HTTP/1.1 413"),
        "status line of {response}"
    );
    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default();
    let body: Value =
        serde_json::from_str(body).unwrap_or_else(|e| panic!("a JSON body ({e}): {response}"));
    assert_eq!(body["error"], "invalid_request");
}

// ---- TOKEN-CC -------------------------------------------------------------------------------

#[tokio::test]
async fn token_cc_01_client_credentials_gives_a_token_response() {
    let app = spawn().await;
    let (id, secret) = cc_client(&app).await;

    let response = post_token(&app, CC, Some(&basic(&id, &secret))).await;

    let (status, body) = json_of(response).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["access_token"].is_string(), "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
}

#[tokio::test]
async fn token_cc_02_no_refresh_token_even_with_a_refresh_validity() {
    let app = spawn().await;
    let (plain_id, plain_secret) = cc_client(&app).await;
    let (rt_id, rt_secret) = app
        .admin_api_client(json!({"refresh_token_validity_seconds": 7200}))
        .await;

    for (id, secret) in [(&plain_id, &plain_secret), (&rt_id, &rt_secret)] {
        let response = app.client_credentials(id, secret, "").await;

        let (status, body) = json_of(response).await;
        assert_eq!(status, StatusCode::OK, "{id}");
        assert!(
            body.get("refresh_token").is_none(),
            "{id}: no refresh_token in {body}"
        );
    }
}

#[tokio::test]
async fn token_cc_03_scope_outside_the_allowed_set_is_invalid_scope() {
    let app = spawn().await;
    let (id, secret) = cc_client(&app).await;

    for scope in ["openid", "email%20openid", "offline_access"] {
        let response = app
            .client_credentials(&id, &secret, &format!("scope={scope}"))
            .await;

        let (status, body) = error_of(response).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "scope={scope}");
        assert_eq!(body["error"], "invalid_scope", "scope={scope}");
    }
}

#[tokio::test]
async fn token_cc_04_admin_api_default_is_the_seven_seed_scopes() {
    let app = spawn().await;
    let (id, secret) = cc_client(&app).await;

    let response = app.client_credentials(&id, &secret, "").await;
    let (status, body) = json_of(response).await;
    let token = body["access_token"].as_str().expect("token").to_owned();
    let introspection = app
        .token_call("/oauth/introspect", &id, &secret, &token)
        .await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        scope_set(&body),
        set_of(&ADMIN_API_DEFAULT_SCOPES),
        "in the token response"
    );
    let (_, introspection) = json_of(introspection).await;
    assert_eq!(
        scope_set(&introspection),
        set_of(&ADMIN_API_DEFAULT_SCOPES),
        "in introspection"
    );
}

#[tokio::test]
async fn token_cc_05_seed_002_request_works_and_other_spellings_do_not() {
    let app = spawn().await;
    let (client_id, secret) = app.wallet("acme-backend", &["accounts:view"]).await;
    assert_eq!(client_id, "wallet-demo-acme-backend");
    assert_eq!(
        form_encode(&secret),
        secret,
        "a generated secret needs no encoding, so the body is verbatim"
    );

    // Seed 002's example, with its line breaks joined as a form body is sent.
    let seed = format!(
        "grant_type=client_credentials&client_id=wallet-demo-acme-backend&client_secret={secret}"
    );
    let response = post_token(&app, &seed, None).await;

    let (status, body) = json_of(response).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    for other in [
        "acme-backend",
        "wallet-demo-Acme-backend",
        "WALLET-DEMO-ACME-BACKEND",
        "wallet-DEMO-acme-backend",
    ] {
        let body =
            format!("grant_type=client_credentials&client_id={other}&client_secret={secret}");
        let response = post_token(&app, &body, None).await;

        let (status, error) = error_of(response).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{other}");
        assert_eq!(error["error"], "invalid_client", "{other}");
    }
}

// ---- ROLE (token side) ----------------------------------------------------------------------

#[tokio::test]
async fn role_02_wallet_roles_are_scope_values() {
    let app = spawn().await;
    let (id, secret) = app
        .wallet("roles", &["accounts:view", "payments:change"])
        .await;

    let all = app.client_credentials(&id, &secret, "").await;
    let one = app
        .client_credentials(&id, &secret, "scope=payments%3Aview")
        .await;
    let lacking = app
        .client_credentials(&id, &secret, "scope=reports%3Aview")
        .await;
    let beyond = app
        .client_credentials(&id, &secret, "scope=accounts%3Achange")
        .await;

    let (status, all) = json_of(all).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        scope_set(&all),
        set_of(&["accounts:view", "payments:change", "payments:view"]),
        "no scope: every role"
    );
    let (status, one) = json_of(one).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["scope"], "payments:view");
    for (response, case) in [
        (lacking, "a resource it has no role on"),
        (beyond, "change where it holds view"),
    ] {
        let (status, body) = error_of(response).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{case}");
        assert_eq!(body["error"], "invalid_scope", "{case}");
    }
}

#[tokio::test]
async fn role_05_scope_is_a_space_separated_case_sensitive_set() {
    let app = spawn().await;
    let (id, secret) = cc_client(&app).await;

    let two = app
        .client_credentials(&id, &secret, "scope=paymentiq%20email")
        .await;
    let (status, body) = json_of(two).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        scope_set(&body),
        set_of(&["paymentiq", "email"]),
        "exactly the two asked for"
    );

    for (scope, case) in [
        ("Email", "case changed"),
        ("paymentiq%2Cemail", "the screen's comma list"),
    ] {
        let response = app
            .client_credentials(&id, &secret, &format!("scope={scope}"))
            .await;

        let (status, body) = error_of(response).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{case}");
        assert_eq!(body["error"], "invalid_scope", "{case}");
    }
}
