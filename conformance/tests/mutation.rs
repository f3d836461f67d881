//! Every check can fail: the reference server with one deliberate defect (the `defects`
//! feature) must turn exactly the checks of the broken rule red, and leave every other check
//! green.

#![allow(clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

use std::collections::BTreeSet;
use std::sync::Arc;

use conformance::checks::catalog;
use conformance::ctx::{Run, plain_client};
use conformance::discovery::Endpoints;
use conformance::embedded::start_reference_with;
use conformance::model::Profile;
use conformance::runner::{Selection, run_all, select};
use reference_server::defects::Defect;

/// The checks that are not green against the server with `defect`, in `profile`.
async fn red_checks(defect: Defect, profile: Profile) -> BTreeSet<String> {
    let embedded = start_reference_with(profile, |config| config.defect = Some(defect))
        .await
        .expect("the reference server starts");
    let endpoints = Endpoints::discover(&plain_client(None), &embedded.target.issuer)
        .await
        .expect("metadata");
    let checks = select(&catalog(), profile, &Selection::default());
    let run = Arc::new(Run::new(
        embedded.target.clone(),
        endpoints,
        profile,
        false,
        7,
    ));

    let results = run_all(run, checks, |_| {}).await;

    results
        .into_iter()
        .filter(|r| r.outcome != "pass")
        .map(|r| r.id)
        .collect()
}

async fn caught(defect: Defect, profile: Profile, expected: &[&str]) {
    let red = red_checks(defect, profile).await;

    let expected: BTreeSet<String> = expected.iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(
        red, expected,
        "{defect:?} in the {profile:?} profile: the checks that went red"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_redeemed_by_any_client_is_caught() {
    caught(
        Defect::CodeUnbound,
        Profile::Strict,
        &["token-code-04", "token-code-07"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarding_headers_trusted_from_any_peer_are_caught() {
    caught(
        Defect::TrustForwardedFor,
        Profile::Vendor,
        &["ip-07", "ip-08"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_alive_in_its_expiry_second_is_caught() {
    caught(
        Defect::ExpiryOffByOne,
        Profile::Vendor,
        &["bearer-03b", "check-03", "introspect-04b", "revoke-04b"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_verifier_accepted_is_caught() {
    caught(
        Defect::PkceUnverified,
        Profile::Strict,
        &["pkce-02", "pkce-07b", "token-code-07"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_consent_accepted_is_caught() {
    caught(
        Defect::ConsentCsrfUnchecked,
        Profile::Vendor,
        &["authz-req-05"],
    )
    .await;
}
