//! The verdict rule ("Verdicts on other servers" in requirements.md), held over the whole
//! catalog: every check quotes the sentence it enforces, only a MUST-class sentence (or a seed's
//! rule) can fail a server, a missing premise skips, and a 5xx fails whatever the check is about.

#![allow(clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

mod premises;

use std::sync::Arc;

use conformance::checks::catalog;
use conformance::ctx::{Ctx, Run, plain_client};
use conformance::discovery::Endpoints;
use conformance::model::{Check, CheckResult, Keyword, Level, Profile, fail};
use conformance::report::CheckReport;
use conformance::runner::{Selection, run_all, run_one, select};
use conformance::target::Target;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Metadata naming every endpoint the catalog uses, under `base`.
pub fn metadata(base: &str) -> Value {
    json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/token"),
        "introspection_endpoint": format!("{base}/introspect"),
        "revocation_endpoint": format!("{base}/revoke"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": ["api:read", "api:write"],
    })
}

/// A target file for a server at `base` that offers every premise a check can ask for:
/// the admin API, the test clock, a second source address, every client, a login and a
/// protected resource. `extra` is appended (a table the test overrides is left out of `base`).
pub fn target(base: &str, profile: Profile, with_admin: bool, login: &str) -> Target {
    let admin = if with_admin {
        "admin = { client_id = \"admin\", client_secret = \"admin-secret-0123456789\" }\ntest_clock = true\n"
    } else {
        ""
    };
    let text = format!(
        r#"name = "mock"
issuer = "{base}"
profile = "{profile}"
{admin}source_ips = ["127.0.0.2"]

[clients.cc]
id = "cc-client"
secret = "cc-secret-0123456789"
scope = "api:read"

[clients.code]
id = "web-client"
secret = "web-secret-0123456789"
redirect_uri = "https://client.example/cb"

[clients.code2]
id = "web-client-2"
secret = "web-secret-2-0123456789"
redirect_uri = "https://client.example/cb2"

[resource]
url = "{base}/resource"
scope = "api:read"

{login}
"#,
        profile = profile.as_str(),
    );
    Target::parse(&text, "mock.toml").expect("the mock's target file parses")
}

pub const FORM_LOGIN: &str =
    "[login]\nkind = \"form\"\nusername = \"test-user\"\npassword = \"test-password\"\n";

/// Runs `checks` against the target; results in catalog order.
pub async fn run_checks(target: Target, profile: Profile, checks: Vec<Check>) -> Vec<CheckReport> {
    let endpoints = Endpoints::discover(&plain_client(None), &target.issuer)
        .await
        .expect("the mock serves metadata");
    let run = Arc::new(Run::new(target, endpoints, profile, false, 7));
    run_all(run, checks, |_| {}).await
}

/// `AMB-28`, `BEARER-05`, `TOKEN-AUTH-08`: an upper-case name, a dash, a number.
fn is_catalog_id(source: &str) -> bool {
    source.rsplit_once('-').is_some_and(|(name, number)| {
        !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_uppercase() || b == b'-')
            && !number.is_empty()
            && number.bytes().all(|b| b.is_ascii_digit())
    })
}

#[test]
fn every_check_quotes_the_sentence_it_enforces() {
    let mut wrong = Vec::new();
    for check in catalog() {
        let Some(first) = check.citations.first() else {
            wrong.push(format!("{}: no citation", check.id));
            continue;
        };
        if check.level != first.keyword.level() {
            wrong.push(format!(
                "{}: level {} but its first citation is {}",
                check.id,
                check.level.as_str(),
                first.keyword.as_str()
            ));
        }
        for cited in check.citations {
            let source_fits = match cited.keyword {
                // A seed's rule, or Spring's check_token behaviour (the CHECK rows).
                Keyword::Vendor => {
                    cited.source.starts_with("seed ") || cited.source.starts_with("Spring ")
                }
                // A decision of the catalog (an AMB-nn entry, or the row that states it), or an
                // RFC sentence without a keyword, which can only warn.
                Keyword::Decision => {
                    is_catalog_id(cited.source) || cited.source.starts_with("RFC ")
                }
                _ => cited.source.starts_with("RFC "),
            };
            if !source_fits {
                wrong.push(format!(
                    "{}: a {} sentence cited from {:?}",
                    check.id,
                    cited.keyword.as_str(),
                    cited.source
                ));
            }
            if cited.quote.trim().len() < 12 || cited.quote.len() > 400 {
                wrong.push(format!("{}: quote {:?}", check.id, cited.quote));
            }
            if cited.source.starts_with("RFC ") && cited.url().is_none() {
                wrong.push(format!("{}: no link for {:?}", check.id, cited.source));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

async fn breaks(_ctx: Ctx) -> CheckResult {
    Err(fail("what the rule says", "the opposite"))
}

/// Whatever a check's code concludes, a SHOULD-class or DECISION citation can only warn.
#[tokio::test]
async fn only_must_class_and_vendor_citations_can_fail() {
    let server = MockServer::start().await;
    let base = server.uri();
    let run = Arc::new(Run::new(
        target(&base, Profile::Vendor, false, FORM_LOGIN),
        Endpoints::from_metadata(String::new(), metadata(&base), &base),
        Profile::Vendor,
        false,
        7,
    ));
    for mut check in catalog() {
        check.run = |ctx| Box::pin(breaks(ctx));
        let must_class = check
            .citations
            .first()
            .is_some_and(|c| matches!(c.keyword.level(), Level::Must | Level::Vendor));
        let report = run_one(run.clone(), check.clone()).await;
        let expected = if must_class { "fail" } else { "warn" };
        assert_eq!(
            report.outcome, expected,
            "{} cites {:?}",
            check.id, check.citations
        );
    }
}

/// A server that serves its metadata once, to discovery, and answers 500 to everything else.
async fn failing_server() -> MockServer {
    let server = MockServer::start().await;
    let base = server.uri();
    Mock::given(method("GET"))
        .and(path("/.well-known/oauth-authorization-server"))
        .respond_with(ResponseTemplate::new(200).set_body_json(metadata(&base)))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(500).set_body_string("internal error"))
        .with_priority(10)
        .mount(&server)
        .await;
    server
}

/// Checks that judge the metadata document discovery already fetched, and send nothing.
const NO_REQUEST_OF_THEIR_OWN: &[&str] = &["meta-02", "meta-07a", "sec-bcp-09"];

/// Every check, in every profile it belongs to, fails on the first 5xx it receives, whatever
/// its level and whatever it is about; and it says so, with the exchange in its transcript.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_5xx_to_any_request_fails_every_check() {
    let mut wrong = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for profile in [Profile::Vendor, Profile::Strict] {
        let server = failing_server().await;
        let checks: Vec<Check> = select(&catalog(), profile, &Selection::default())
            .into_iter()
            .filter(|c| seen.insert(c.id))
            .collect();
        let target = target(&server.uri(), profile, true, FORM_LOGIN);
        for report in run_checks(target, profile, checks).await {
            let shows_the_5xx = report
                .transcript
                .iter()
                .any(|e| e.response.as_ref().is_some_and(|r| r.status == 500));
            let reason = report.reason.clone().unwrap_or_default();
            if NO_REQUEST_OF_THEIR_OWN.contains(&report.id.as_str()) {
                if !report.transcript.is_empty() {
                    wrong.push(format!(
                        "{} now sends requests: take it off NO_REQUEST_OF_THEIR_OWN",
                        report.id
                    ));
                }
                continue;
            }
            let cites_the_rule = report
                .citations
                .first()
                .is_some_and(|c| c.quote.contains("5xx answer"));
            if report.outcome != "fail"
                || !reason.contains("5xx")
                || !shows_the_5xx
                || !cites_the_rule
            {
                wrong.push(format!("{} {}: {reason}", report.outcome, report.id));
            }
        }
    }
    assert_eq!(seen.len(), catalog().len(), "every check ran once");
    assert!(
        wrong.is_empty(),
        "{} checks did not fail on a 500:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
