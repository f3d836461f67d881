//! Every check can fail: the reference server with one deliberate defect (the `defects`
//! feature) must turn exactly the checks of the broken rule red and leave every other check
//! green; and every check of the catalog must be turned red by at least one defect.
//!
//! The cases live in one file per area; `MUTATION_MATRIX=FILE` writes the matrix (defect ×
//! checks caught) as Markdown for the README.

#![allow(clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

mod admin;
mod authz;
mod landed;
mod props;
mod races;
mod token;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::Arc;

use conformance::checks::catalog;
use conformance::ctx::{Run, plain_client};
use conformance::discovery::Endpoints;
use conformance::embedded::start_reference_with;
use conformance::model::Profile;
use conformance::runner::{Selection, run_all, select};
use futures_util::{StreamExt, stream};
use reference_server::defects::Defect;

/// One defect, the profile it is run in, and the checks it must turn red there.
#[derive(Debug, Clone, Copy)]
pub struct Case {
    pub defect: Defect,
    pub profile: Profile,
    pub red: &'static [&'static str],
}

/// Whole-catalog runs at a time: each one already runs 16 checks concurrently.
const PARALLEL_RUNS: usize = 3;

fn all_cases() -> Vec<Case> {
    [
        landed::CASES,
        token::CASES,
        authz::CASES,
        admin::CASES,
        props::CASES,
        races::CASES,
    ]
    .concat()
}

/// Checks no defect kills yet, per area; each list shrinks to nothing.
fn not_yet_killed() -> BTreeSet<&'static str> {
    [
        token::NOT_YET_KILLED,
        authz::NOT_YET_KILLED,
        admin::NOT_YET_KILLED,
        props::NOT_YET_KILLED,
        races::NOT_YET_KILLED,
    ]
    .concat()
    .into_iter()
    .collect()
}

/// The checks that are not green against the server with `defect`, in `profile`.
async fn red_checks(defect: Defect, profile: Profile) -> BTreeSet<String> {
    let embedded = start_reference_with(profile, |config| {
        config.defect = Some(defect);
        // Some two hundred runs log in thousands of times: cheap hashes, same passwords.
        config.users =
            Some(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/users-fast.toml").into());
    })
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
    run_all(run, checks, |_| {})
        .await
        .into_iter()
        .filter(|r| r.outcome != "pass")
        .map(|r| r.id)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_defect_turns_exactly_its_checks_red() {
    let cases = all_cases();
    let mut seen = BTreeSet::new();
    for case in &cases {
        assert!(
            seen.insert((format!("{:?}", case.defect), case.profile.as_str())),
            "{:?} is listed twice for the {} profile",
            case.defect,
            case.profile.as_str()
        );
    }
    // Only the cases named in MUTATION_ONLY (comma-separated defect names), when set.
    let only: Option<BTreeSet<String>> = std::env::var("MUTATION_ONLY")
        .ok()
        .map(|names| names.split(',').map(|n| n.trim().to_owned()).collect());
    let selected: Vec<Case> = cases
        .into_iter()
        .filter(|c| {
            only.as_ref()
                .is_none_or(|names| names.contains(&defect_name(c.defect)))
        })
        .collect();

    let outcomes: Vec<(Case, BTreeSet<String>)> = stream::iter(selected)
        .map(|case| async move { (case, red_checks(case.defect, case.profile).await) })
        .buffer_unordered(PARALLEL_RUNS)
        .collect()
        .await;

    let mut wrong = String::new();
    for (case, red) in &outcomes {
        let expected: BTreeSet<String> = case.red.iter().map(|s| (*s).to_owned()).collect();
        if *red != expected {
            let _ = writeln!(
                wrong,
                "{} ({}): missed {:?}, also red {:?}",
                defect_name(case.defect),
                case.profile.as_str(),
                expected.difference(red).collect::<Vec<_>>(),
                red.difference(&expected).collect::<Vec<_>>()
            );
        }
    }
    assert!(wrong.is_empty(), "defects whose red set differs:\n{wrong}");

    if let Ok(path) = std::env::var("MUTATION_MATRIX") {
        std::fs::write(&path, matrix_markdown()).expect("the matrix is written");
    }
}

/// Decided from the case tables alone, so it needs no run: every check is killed by some
/// defect (or still listed as not yet killed), and every defect kills something.
#[test]
fn every_check_is_killed_and_every_defect_caught() {
    let cases = all_cases();
    for case in &cases {
        assert!(
            !case.red.is_empty(),
            "{} turns nothing red: a defect no check catches",
            defect_name(case.defect)
        );
    }
    let catalog_ids: BTreeSet<&str> = catalog().iter().map(|c| c.id).collect();
    let killed: BTreeSet<&str> = cases.iter().flat_map(|c| c.red.iter().copied()).collect();
    let unknown: Vec<_> = killed.difference(&catalog_ids).collect();
    assert!(
        unknown.is_empty(),
        "case tables name unknown checks: {unknown:?}"
    );

    let pending = not_yet_killed();
    let stale: Vec<_> = pending.intersection(&killed).collect();
    assert!(
        stale.is_empty(),
        "killed now, remove from NOT_YET_KILLED: {stale:?}"
    );
    let missing: Vec<_> = catalog_ids
        .iter()
        .filter(|id| !killed.contains(*id) && !pending.contains(*id))
        .collect();
    assert!(missing.is_empty(), "checks no defect kills: {missing:?}");
}

fn defect_name(defect: Defect) -> String {
    use clap::ValueEnum;
    defect
        .to_possible_value()
        .map(|v| v.get_name().to_owned())
        .unwrap_or_else(|| format!("{defect:?}"))
}

/// The README's table: one row per defect, the checks it turns red, and the totals.
fn matrix_markdown() -> String {
    let cases = all_cases();
    let catalog_ids: BTreeSet<&str> = catalog().iter().map(|c| c.id).collect();
    let mut kills: BTreeMap<&str, usize> = BTreeMap::new();
    for case in &cases {
        for id in case.red {
            *kills.entry(id).or_default() += 1;
        }
    }
    let mut out = String::from("| defect | profile | checks turned red |\n| --- | --- | --- |\n");
    for case in &cases {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} |",
            defect_name(case.defect),
            case.profile.as_str(),
            case.red.join(", ")
        );
    }
    let killed = catalog_ids
        .iter()
        .filter(|id| kills.contains_key(*id))
        .count();
    let _ = writeln!(
        out,
        "\n{} defects, {} checks: {killed} killed by at least one defect ({} by two or more), {} not yet.",
        cases.len(),
        catalog_ids.len(),
        kills.values().filter(|n| **n > 1).count(),
        catalog_ids.len() - killed
    );
    out
}
