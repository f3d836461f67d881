//! Every check can fail: the reference server with one deliberate defect (wired around it by
//! `reference-server-defects`) must turn exactly the checks of the broken rule red and leave
//! every other check green; and every check of the catalog must be turned red by at least one
//! defect.
//!
//! The cases live in one file per area; `conformance/MUTATION.md` is the resulting matrix
//! (defect × checks turned red), held to the tables by `every_check_is_killed_and_every_defect_caught`.

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
use reference_server_defects::Defect;

/// One defect, the profile it is run in, and the checks it must turn red there.
#[derive(Debug, Clone, Copy)]
pub struct Case {
    pub defect: Defect,
    pub profile: Profile,
    pub red: &'static [&'static str],
}

/// Whole-catalog runs at a time: each one already runs 16 checks concurrently.
const PARALLEL_RUNS: usize = 3;

/// A case is first run quick: the generating checks (property cases, race trials) run this many
/// cases and the unguessability checks (TOKEN-RESP-05's 1,000 values of each kind) draw
/// `QUICK_SAMPLES`, which together are about a third of a whole-catalog run's work. Fewer cases
/// and values are no likelier to turn a check red, so the quick verdicts that match the expected
/// set stand; the checks whose verdict differs are run again with their own defaults (2 cases
/// find fewer counterexamples than a property check's own 32 or more), and those verdicts decide.
/// The race cases keep their trials in the first run: a race is won under the load of the whole
/// catalog, and lost more often by a race check run alone.
const QUICK_CASES: usize = 2;
const QUICK_SAMPLES: usize = 64;
/// Full runs of a check expected red that stays green (a red verdict is evidence from whichever
/// run it comes: each check is held green against the correct server).
const FULL_ATTEMPTS: usize = 3;

/// How a run sizes the generating checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Depth {
    /// `QUICK_CASES` generated cases, `QUICK_SAMPLES` values.
    Quick,
    /// `QUICK_SAMPLES` values; generated cases and race trials as each check's default.
    QuickSamples,
    /// Every check's own defaults.
    Full,
}

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

fn expected_red(case: &Case) -> BTreeSet<String> {
    case.red.iter().map(|s| (*s).to_owned()).collect()
}

/// The checks that are not green against the server with `defect`, in `profile`: of the whole
/// catalog when `only` is `None`, else of those checks.
async fn red_checks(
    case: &Case,
    only: Option<&BTreeSet<String>>,
    depth: Depth,
) -> BTreeSet<String> {
    let Case {
        defect, profile, ..
    } = *case;
    let embedded = start_reference_with(profile, |config| {
        // Some two hundred runs log in thousands of times: cheap hashes, same passwords.
        config.users =
            Some(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/users-fast.toml").into());
        reference_server_defects::wire(defect, config)
    })
    .await
    .expect("the reference server starts");
    let endpoints = Endpoints::discover(&plain_client(None), &embedded.target.issuer)
        .await
        .expect("metadata");
    let checks: Vec<_> = select(&catalog(), profile, &Selection::default())
        .into_iter()
        .filter(|check| only.is_none_or(|ids| ids.contains(check.id)))
        .collect();
    let mut run = Run::new(embedded.target.clone(), endpoints, profile, false, 7);
    if depth == Depth::Quick {
        run.cases = Some(QUICK_CASES);
    }
    if depth != Depth::Full {
        run.samples = Some(QUICK_SAMPLES);
    }
    run_all(Arc::new(run), checks, |_| {})
        .await
        .into_iter()
        .filter(|r| r.outcome != "pass")
        .map(|r| r.id)
        .collect()
}

/// A case's red set: a first run quick, then the checks whose verdict there differs from the
/// expected one again in full. Returns the set and whether any check was run again.
async fn decided_red(case: &Case) -> (BTreeSet<String>, bool) {
    let is_race = races::CASES
        .iter()
        .any(|race| race.defect == case.defect && race.profile == case.profile);
    let first = if is_race {
        Depth::QuickSamples
    } else {
        Depth::Quick
    };
    let first_red = red_checks(case, None, first).await;
    let expected = expected_red(case);
    let differing: BTreeSet<String> = first_red.symmetric_difference(&expected).cloned().collect();
    if differing.is_empty() {
        return (first_red, false);
    }
    {
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "mutation matrix: {} ({}): {} again in full",
            defect_name(case.defect),
            case.profile.as_str(),
            differing.iter().cloned().collect::<Vec<_>>().join(", ")
        );
    }
    let mut full = red_checks(case, Some(&differing), Depth::Full).await;
    for _ in 1..FULL_ATTEMPTS {
        let missed: BTreeSet<String> = expected
            .intersection(&differing)
            .filter(|id| !full.contains(*id))
            .cloned()
            .collect();
        if missed.is_empty() {
            break;
        }
        full.extend(red_checks(case, Some(&missed), Depth::Full).await);
    }
    let red = first_red
        .difference(&differing)
        .cloned()
        .chain(full)
        .collect();
    (red, true)
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

    // Progress straight to the terminal: the harness captures print!, and a run of a few
    // minutes should not look hung.
    let total = selected.len();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let rerun = std::sync::atomic::AtomicUsize::new(0);
    let outcomes: Vec<(Case, BTreeSet<String>)> = stream::iter(selected)
        .map(|case| {
            let (done, rerun) = (&done, &rerun);
            async move {
                let (red, again) = decided_red(&case).await;
                if again {
                    rerun.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                if n.is_multiple_of(10) || n == total {
                    use std::io::Write as _;
                    let _ = writeln!(
                        std::io::stderr(),
                        "mutation matrix: {n}/{total} cases run, {} with checks run again in full (last: {}, {})",
                        rerun.load(std::sync::atomic::Ordering::Relaxed),
                        defect_name(case.defect),
                        case.profile.as_str()
                    );
                }
                (case, red)
            }
        })
        .buffer_unordered(PARALLEL_RUNS)
        .collect()
        .await;

    let mut wrong = String::new();
    for (case, red) in &outcomes {
        let expected = expected_red(case);
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

    // The committed matrix must be this one: `MUTATION_MATRIX_UPDATE=1` rewrites it.
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/MUTATION.md");
    let matrix = matrix_markdown();
    if std::env::var_os("MUTATION_MATRIX_UPDATE").is_some() {
        std::fs::write(path, &matrix).expect("the matrix is written");
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == matrix,
        "conformance/MUTATION.md is stale: run with MUTATION_MATRIX_UPDATE=1"
    );
}

fn defect_name(defect: Defect) -> String {
    defect.name()
}

/// `conformance/MUTATION.md`: the figure, then each defect with the checks it turns red, then
/// each check with the defects that kill it.
fn matrix_markdown() -> String {
    let cases = all_cases();
    let catalog_ids: BTreeSet<&str> = catalog().iter().map(|c| c.id).collect();
    let mut kills: BTreeMap<&str, usize> = BTreeMap::new();
    for case in &cases {
        for id in case.red {
            *kills.entry(id).or_default() += 1;
        }
    }
    let killed = catalog_ids
        .iter()
        .filter(|id| kills.contains_key(*id))
        .count();
    let mut out = String::from(
        "# Mutation matrix\n\nEach deliberate defect of the reference server (crate \
         `reference-server-defects`; `reference-server-defective --defect NAME` serves one) and \
         the checks it turns red, in the profile named; every other check \
         stays green (`conformance/tests/mutation/`). Regenerate with `MUTATION_MATRIX_UPDATE=1 \
         cargo test -p conformance --test mutation every_check`.\n\n",
    );
    let _ = writeln!(
        out,
        "**{} cases ({} defects), {} checks: {killed} killed by at least one defect ({} by two or more), {} not yet; every defect caught.**\n",
        cases.len(),
        cases
            .iter()
            .map(|c| defect_name(c.defect))
            .collect::<BTreeSet<_>>()
            .len(),
        catalog_ids.len(),
        kills.values().filter(|n| **n > 1).count(),
        catalog_ids.len() - killed
    );
    out.push_str("| defect | profile | checks turned red |\n| --- | --- | --- |\n");
    for case in &cases {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} |",
            defect_name(case.defect),
            case.profile.as_str(),
            case.red.join(", ")
        );
    }
    out.push_str("\n| check | defects that turn it red |\n| --- | --- |\n");
    for id in &catalog_ids {
        let by: Vec<String> = cases
            .iter()
            .filter(|c| c.red.contains(id))
            .map(|c| format!("`{}`", defect_name(c.defect)))
            .collect();
        let _ = writeln!(out, "| `{id}` | {} |", by.join(", "));
    }
    out
}
