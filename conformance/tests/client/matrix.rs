//! The client-defect matrix, as the server's (tests/mutation): each defect of the fixture
//! client fails or warns exactly the tests listed, every test is caught by some defect, and
//! the correct client passes everything.

use std::collections::BTreeSet;

use conformance::client::{Plan, tests};
use futures_util::StreamExt;
use futures_util::stream;

use super::{command, red, run_plan};

/// Defect runs at once (each runs four tests at once). More than the cores: a run mostly waits
/// (for `Retry-After`, for a token to expire, for the client process).
const CONCURRENT_RUNS: usize = 6;

/// (defect, plan, the tests it turns red). A defect that stops the flow early turns red every
/// test whose premise is a completed run.
const MATRIX: &[(&str, Plan, &[&str])] = &[
    (
        "json-token-request",
        Plan::ClientCredentials,
        &[
            "cc-grant-request",
            "cc-basic-encoding",
            "cc-bearer-header",
            "cc-token-type-case",
            "cc-unknown-members",
            "cc-token-reuse",
            "cc-token-expiry",
            "cc-retry-after",
            "cc-no-leak",
        ],
    ),
    (
        "basic-not-encoded",
        Plan::ClientCredentials,
        &["cc-basic-encoding"],
    ),
    (
        "body-credentials",
        Plan::ClientCredentials,
        &["cc-basic-encoding"],
    ),
    (
        "credentials-in-query",
        Plan::ClientCredentials,
        &[
            "cc-basic-encoding",
            "cc-no-credentials-in-url",
            "cc-bearer-header",
            "cc-token-type-case",
            "cc-unknown-members",
            "cc-token-reuse",
            "cc-token-expiry",
            "cc-retry-after",
            "cc-no-leak",
        ],
    ),
    (
        "token-in-query",
        Plan::ClientCredentials,
        &[
            "cc-basic-encoding",
            "cc-bearer-header",
            "cc-token-type-case",
            "cc-unknown-members",
            "cc-token-reuse",
            "cc-token-expiry",
            "cc-retry-after",
        ],
    ),
    (
        "strict-token-type",
        Plan::ClientCredentials,
        &["cc-token-type-case"],
    ),
    (
        "unknown-members-refused",
        Plan::ClientCredentials,
        &["cc-unknown-members"],
    ),
    (
        "token-per-call",
        Plan::ClientCredentials,
        &["cc-token-reuse", "cc-token-expiry"],
    ),
    (
        "no-retry-on-invalid-token",
        Plan::ClientCredentials,
        &["cc-token-expiry"],
    ),
    (
        "retry-storm",
        Plan::ClientCredentials,
        &["cc-invalid-client"],
    ),
    (
        "ignore-retry-after",
        Plan::ClientCredentials,
        &["cc-retry-after"],
    ),
    ("log-token", Plan::ClientCredentials, &["cc-no-leak"]),
    (
        "wrong-response-type",
        Plan::AuthorizationCode,
        &[
            "code-authorization-request",
            "code-pkce",
            "code-redirect-uri-at-token",
            "code-injected-code",
            "code-redeem-once",
            "code-refresh-rotation",
            "code-no-leak",
        ],
    ),
    (
        "weak-state",
        Plan::AuthorizationCode,
        &["code-state-entropy"],
    ),
    (
        "no-pkce",
        Plan::AuthorizationCode,
        &["code-pkce", "code-injected-code"],
    ),
    (
        "no-redirect-uri-at-token",
        Plan::AuthorizationCode,
        &[
            "code-authorization-request",
            "code-redirect-uri-at-token",
            "code-redeem-once",
            "code-refresh-rotation",
            "code-no-leak",
        ],
    ),
    (
        "no-state-check",
        Plan::AuthorizationCode,
        &["code-state-wrong", "code-state-missing"],
    ),
    (
        "redeem-on-error",
        Plan::AuthorizationCode,
        &["code-access-denied"],
    ),
    (
        "no-issuer-check",
        Plan::AuthorizationCode,
        &["code-issuer-mismatch"],
    ),
    (
        "redeem-twice",
        Plan::AuthorizationCode,
        &["code-redeem-once"],
    ),
    (
        "old-refresh-token",
        Plan::AuthorizationCode,
        &["code-refresh-rotation"],
    ),
    ("log-token", Plan::AuthorizationCode, &["code-no-leak"]),
];

#[tokio::test(flavor = "multi_thread")]
async fn the_fixture_client_passes_both_plans() {
    for plan in [Plan::ClientCredentials, Plan::AuthorizationCode] {
        let reports = run_plan(plan, command(plan, None)).await;

        let not_passed: Vec<_> = reports
            .iter()
            .filter(|r| r.outcome != "pass")
            .map(|r| format!("{}: {}", r.id, r.reason.as_deref().unwrap_or("")))
            .collect();
        assert!(not_passed.is_empty(), "{}: {not_passed:#?}", plan.as_str());
        assert_eq!(
            reports.len(),
            tests().iter().filter(|t| t.plan == plan).count()
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_client_defect_is_caught_by_exactly_its_tests() {
    let only: Vec<String> = std::env::var("CLIENT_MATRIX_ONLY")
        .map(|v| v.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    let cases: Vec<_> = MATRIX
        .iter()
        .filter(|(defect, _, _)| only.is_empty() || only.iter().any(|o| o == defect))
        .collect();
    let outcomes: Vec<_> = stream::iter(cases.iter())
        .map(|&&(defect, plan, expected)| async move {
            let reports = run_plan(plan, command(plan, Some(defect))).await;
            (defect, plan, expected, red(&reports), reports)
        })
        .buffer_unordered(CONCURRENT_RUNS)
        .collect()
        .await;

    let mut wrong = Vec::new();
    for (defect, plan, expected, got, reports) in &outcomes {
        let expected: Vec<String> = expected.iter().map(|s| (*s).to_owned()).collect();
        if *got != expected {
            let why: Vec<String> = reports
                .iter()
                .filter(|r| r.outcome != "pass")
                .map(|r| {
                    format!(
                        "{} {}: {}",
                        r.outcome,
                        r.id,
                        r.reason.as_deref().unwrap_or("")
                    )
                })
                .collect();
            wrong.push(format!(
                "{defect} ({}): expected {expected:?}, got {got:?}\n  {}",
                plan.as_str(),
                why.join("\n  ")
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_matrix_covers_every_test_and_names_only_real_ones() {
    let ids: BTreeSet<&str> = tests().iter().map(|t| t.id).collect();
    let caught: BTreeSet<&str> = MATRIX
        .iter()
        .flat_map(|(_, _, red)| red.iter().copied())
        .collect();

    let uncaught: Vec<_> = ids.difference(&caught).collect();
    let unknown: Vec<_> = caught.difference(&ids).collect();
    assert!(uncaught.is_empty(), "no client defect proves {uncaught:?}");
    assert!(
        unknown.is_empty(),
        "the matrix names {unknown:?}, which are no tests"
    );
    for (defect, plan, red) in MATRIX {
        assert!(
            !red.is_empty(),
            "{defect} ({}) is caught by nothing",
            plan.as_str()
        );
        for id in *red {
            let test = tests().into_iter().find(|t| t.id == *id);
            assert_eq!(
                test.map(|t| t.plan),
                Some(*plan),
                "{defect}: {id} is not of its plan"
            );
        }
    }
}

#[test]
fn every_defect_of_the_fixture_client_is_in_the_matrix() {
    let listed = std::process::Command::new(super::fixture_client())
        .arg("--list-defects")
        .output()
        .expect("fixture-client --list-defects");
    let names: BTreeSet<String> = String::from_utf8_lossy(&listed.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect();
    let in_matrix: BTreeSet<String> = MATRIX.iter().map(|(d, _, _)| (*d).to_owned()).collect();

    assert!(!names.is_empty());
    assert_eq!(names, in_matrix);
}
