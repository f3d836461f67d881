//! The whole catalog against the reference server, in both profiles: the README's first
//! command must report zero failures, and with the admin API and the test clock on hand no
//! check has a reason to skip.

#![allow(clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

use std::sync::Arc;

use conformance::checks::catalog;
use conformance::ctx::{Run, plain_client};
use conformance::discovery::Endpoints;
use conformance::embedded::start_reference;
use conformance::model::Profile;
use conformance::runner::{Selection, run_all, select};

async fn check_profile(profile: Profile) {
    let embedded = start_reference(profile)
        .await
        .expect("the reference server starts");
    let endpoints = Endpoints::discover(&plain_client(None), &embedded.target.issuer)
        .await
        .expect("metadata");
    let checks = select(&catalog(), profile, &Selection::default());
    assert!(!checks.is_empty());
    let run = Arc::new(Run::new(
        embedded.target.clone(),
        endpoints,
        profile,
        false,
        7,
    ));

    let results = run_all(run, checks, |_| {}).await;

    let not_passed: Vec<String> = results
        .iter()
        .filter(|r| r.outcome != "pass")
        .map(|r| {
            format!(
                "{} {}: {}",
                r.outcome,
                r.id,
                r.reason.clone().unwrap_or_default()
            )
        })
        .collect();
    assert!(
        not_passed.is_empty(),
        "{profile:?}: {} of {} checks did not pass:\n{}",
        not_passed.len(),
        results.len(),
        not_passed.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_check_passes_against_the_reference_server_in_the_vendor_profile() {
    check_profile(Profile::Vendor).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_check_passes_against_the_reference_server_in_the_strict_profile() {
    check_profile(Profile::Strict).await;
}
