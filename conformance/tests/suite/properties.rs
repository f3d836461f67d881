//! Regression tests of the property checks, one per kind (redirect, ip, expiry, input):
//! a fixed seed passes against the reference server; the committed counterexample
//! (`fixtures/counterexamples/<kind>.json`, the input shrinking found against the kind's
//! defect) fails against the server with that defect and passes against the correct one; and
//! `--seed` replays the same generated cases.
//!
//! `WRITE_COUNTEREXAMPLES=1` regenerates the fixtures from a run against each defect.

#![allow(clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

use std::path::PathBuf;
use std::sync::Arc;

use conformance::checks::catalog;
use conformance::ctx::{Run, plain_client};
use conformance::discovery::Endpoints;
use conformance::embedded::{Embedded, start_reference_with};
use conformance::model::Profile;
use conformance::property::{recording, replaying};
use conformance::report::CheckReport;
use conformance::runner::run_one;
use reference_server_defects::Defect;
use serde_json::{Value, json};

/// One property kind: the check that stands for it and the defect its counterexample breaks.
struct Kind {
    name: &'static str,
    check: &'static str,
    profile: Profile,
    defect: Defect,
}

const KINDS: &[Kind] = &[
    Kind {
        name: "redirect",
        check: "prop-redirect-02",
        profile: Profile::Vendor,
        defect: Defect::RedirectParentPath,
    },
    Kind {
        name: "ip",
        check: "prop-ip-02",
        profile: Profile::Vendor,
        defect: Defect::TrustRealIp,
    },
    Kind {
        name: "expiry",
        check: "prop-expiry-01",
        profile: Profile::Vendor,
        defect: Defect::MonthEndExpiry,
    },
    Kind {
        name: "input",
        check: "prop-input-02",
        profile: Profile::Vendor,
        defect: Defect::GrantTypeEchoed,
    },
];

const SEED: u64 = 20_261_123;

async fn server(profile: Profile, defect: Option<Defect>) -> (Embedded, Arc<Run>) {
    let embedded = start_reference_with(profile, |config| match defect {
        Some(defect) => reference_server_defects::wire(defect, config),
        None => reference_server::wiring::Wiring::default(),
    })
    .await
    .expect("the reference server starts");
    let endpoints = Endpoints::discover(&plain_client(None), &embedded.target.issuer)
        .await
        .expect("metadata");
    let run = Arc::new(Run::new(
        embedded.target.clone(),
        endpoints,
        profile,
        false,
        SEED,
    ));
    (embedded, run)
}

async fn run_check(run: &Arc<Run>, id: &str) -> CheckReport {
    let check = catalog()
        .into_iter()
        .find(|c| c.id == id)
        .expect("the check exists");
    run_one(run.clone(), check).await
}

fn fixture(kind: &Kind) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/counterexamples")
        .join(format!("{}.json", kind.name))
}

/// The JSON input a counterexample's description ends with.
fn input_of(report: &CheckReport) -> Value {
    let text = &report
        .counterexample
        .as_ref()
        .expect("a counterexample")
        .input;
    let start = text.find("(input as JSON: ").expect("the input as JSON") + 16;
    serde_json::from_str(&text[start..text.len() - 1]).expect("valid JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fixed_seed_passes_against_the_reference_server() {
    for kind in KINDS {
        let (_server, run) = server(kind.profile, None).await;
        let report = run_check(&run, kind.check).await;
        assert_eq!(
            report.outcome, "pass",
            "{}: {:?}",
            kind.check, report.reason
        );
        assert!(report.cases.is_some_and(|n| n > 0), "{}", kind.check);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn committed_counterexamples_fail_with_their_defect_and_pass_without() {
    for kind in KINDS {
        let (_broken, broken) = server(kind.profile, Some(kind.defect)).await;
        if std::env::var_os("WRITE_COUNTEREXAMPLES").is_some() {
            let found = run_check(&broken, kind.check).await;
            assert_ne!(
                found.outcome, "pass",
                "{} finds {:?}",
                kind.check, kind.defect
            );
            let document = json!({
                "check": kind.check,
                "profile": kind.profile.as_str(),
                "defect": format!("{:?}", kind.defect),
                "seed": SEED,
                "input": input_of(&found),
            });
            std::fs::write(
                fixture(kind),
                serde_json::to_string_pretty(&document).unwrap() + "\n",
            )
            .unwrap();
        }
        let document: Value =
            serde_json::from_str(&std::fs::read_to_string(fixture(kind)).unwrap()).unwrap();
        assert_eq!(document["check"], kind.check);
        let input = document["input"].clone();

        let against_defect = replaying(input.clone(), run_check(&broken, kind.check)).await;
        assert_ne!(
            against_defect.outcome, "pass",
            "{}: the counterexample fails against {:?}",
            kind.name, kind.defect
        );
        assert_eq!(against_defect.cases, Some(1));
        assert!(against_defect.counterexample.is_some());

        let (_correct, correct) = server(kind.profile, None).await;
        let against_correct = replaying(input, run_check(&correct, kind.check)).await;
        assert_eq!(
            against_correct.outcome, "pass",
            "{}: the counterexample passes against the correct server: {:?}",
            kind.name, against_correct.reason
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_seed_generates_the_same_cases() {
    let (_server, run) = server(Profile::Vendor, None).await;
    let other_seed = Arc::new(Run::new(
        run.target.clone(),
        run.endpoints.clone(),
        Profile::Vendor,
        false,
        SEED + 1,
    ));
    for id in ["prop-redirect-02", "prop-ip-01", "prop-input-03"] {
        let (first, seen) = recording(run_check(&run, id)).await;
        let (again, seen_again) = recording(run_check(&run, id)).await;
        let (_, other) = recording(run_check(&other_seed, id)).await;
        assert_eq!(first.outcome, "pass", "{id}");
        assert_eq!(again.outcome, "pass", "{id}");
        assert!(!seen.is_empty(), "{id}");
        assert_eq!(seen, seen_again, "{id}: the same seed, the same cases");
        assert_ne!(seen, other, "{id}: another seed, other cases");
    }
}
