//! A missing premise skips, it never fails. The server here is minimal and lawful: it issues
//! client_credentials and authorization_code tokens, redirects straight back with a code (no
//! login page, no HTML at all), and offers nothing optional: no refresh tokens, no PKCE, no
//! introspection, no revocation, no admin API. Each check that needs one of those must skip
//! and say which.

use std::sync::atomic::{AtomicU64, Ordering};

use conformance::checks::catalog;
use conformance::model::{Check, Need, Profile};
use conformance::report::CheckReport;
use conformance::runner::{Selection, select};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::{FORM_LOGIN, run_checks, target};

/// Token values differ per answer, so nothing is mistaken for a replay.
static ISSUED: AtomicU64 = AtomicU64::new(0);

fn fresh(prefix: &str) -> String {
    let n = ISSUED.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}{n:032x}{}", "Qx7dZr9KpL2mN4vB8cT1")
}

fn form(request: &Request) -> Vec<(String, String)> {
    url::form_urlencoded::parse(&request.body)
        .into_owned()
        .collect()
}

/// The token endpoint: a bearer token for client_credentials and authorization_code, never a
/// refresh token; anything else is `unsupported_grant_type`.
struct TokenEndpoint;

impl Respond for TokenEndpoint {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let fields = form(request);
        let grant = fields
            .iter()
            .find(|(k, _)| k == "grant_type")
            .map(|(_, v)| v.as_str());
        match grant {
            Some("client_credentials" | "authorization_code") => ResponseTemplate::new(200)
                .insert_header("cache-control", "no-store")
                .insert_header("pragma", "no-cache")
                .set_body_json(json!({
                    "access_token": fresh("at"),
                    "token_type": "Bearer",
                    "expires_in": 3600,
                })),
            _ => ResponseTemplate::new(400)
                .insert_header("cache-control", "no-store")
                .set_body_json(json!({"error": "unsupported_grant_type"})),
        }
    }
}

/// The authorization endpoint of a server with no pages: straight back with a code, or, for a
/// login the user agent cannot drive, a script-driven page.
struct AuthorizationEndpoint {
    script_login: bool,
}

impl Respond for AuthorizationEndpoint {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        if self.script_login {
            return ResponseTemplate::new(200).set_body_raw(
                "<!doctype html><title>Sign in</title><div id=app></div><script src=/app.js></script>",
                "text/html",
            );
        }
        let query: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
        let get = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let Some(redirect_uri) = get("redirect_uri") else {
            return ResponseTemplate::new(400).set_body_string("redirect_uri required");
        };
        let mut location = url::Url::parse(&redirect_uri).expect("an absolute redirect_uri");
        location
            .query_pairs_mut()
            .append_pair("code", &fresh("code"));
        if let Some(state) = get("state") {
            location.query_pairs_mut().append_pair("state", &state);
        }
        ResponseTemplate::new(302).insert_header("location", location.as_str())
    }
}

async fn minimal_server(script_login: bool) -> MockServer {
    let server = MockServer::start().await;
    let base = server.uri();
    let metadata = json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/token"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
    });
    Mock::given(method("GET"))
        .and(path("/.well-known/oauth-authorization-server"))
        .respond_with(ResponseTemplate::new(200).set_body_json(metadata))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(TokenEndpoint)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/authorize"))
        .respond_with(AuthorizationEndpoint { script_login })
        .mount(&server)
        .await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(404).set_body_string("not found"))
        .with_priority(10)
        .mount(&server)
        .await;
    server
}

fn checks_matching(profile: Profile, prefixes: &[&str]) -> Vec<Check> {
    select(&catalog(), profile, &Selection::default())
        .into_iter()
        .filter(|c| prefixes.iter().any(|p| c.id.starts_with(p)))
        .collect()
}

async fn assert_all_skip(profile: Profile, checks: Vec<Check>, login: &str, script_login: bool) {
    assert!(!checks.is_empty(), "no check to run");
    let server = minimal_server(script_login).await;
    let reports = run_checks(
        target(&server.uri(), profile, false, login),
        profile,
        checks,
    )
    .await;
    let wrong = not_skipped(&reports);
    assert!(
        wrong.is_empty(),
        "these must skip on this server:\n{}",
        wrong.join("\n")
    );
}

/// Those of `reports` that did not skip, with why.
fn not_skipped(reports: &[CheckReport]) -> Vec<String> {
    reports
        .iter()
        .filter(|r| r.outcome != "skip")
        .map(|r| {
            format!(
                "{} {}: {}",
                r.outcome,
                r.id,
                r.reason.clone().unwrap_or_default()
            )
        })
        .collect()
}

async fn assert_skipped(profile: Profile, prefixes: &[&str], login: &str, script_login: bool) {
    assert_all_skip(
        profile,
        checks_matching(profile, prefixes),
        login,
        script_login,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_admin_api_the_checks_that_create_clients_skip() {
    for profile in [Profile::Vendor, Profile::Strict] {
        let needing_admin = select(&catalog(), profile, &Selection::default())
            .into_iter()
            .filter(|c| c.needs.contains(&Need::Admin))
            .collect();
        assert_all_skip(profile, needing_admin, FORM_LOGIN, false).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_introspection_or_revocation_their_checks_skip() {
    assert_skipped(
        Profile::Strict,
        &["introspect-", "revoke-"],
        FORM_LOGIN,
        false,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_refresh_tokens_the_refresh_checks_skip() {
    assert_skipped(Profile::Strict, &["token-rt-"], FORM_LOGIN, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_any_html_page_the_page_header_checks_skip() {
    assert_skipped(Profile::Strict, &["sec-bcp-06"], FORM_LOGIN, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_the_user_agent_cannot_drive_skips_the_code_flow_checks() {
    let manual = "[login]\nkind = \"manual\"\n";
    for login in [manual, FORM_LOGIN] {
        assert_skipped(
            Profile::Strict,
            &[
                "token-code-01",
                "token-code-02a",
                "token-code-03",
                "authz-req-01",
            ],
            login,
            true,
        )
        .await;
    }
}
