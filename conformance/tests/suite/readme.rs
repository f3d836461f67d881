//! The counts README.md states are the code's: checks per profile, rows covered, rows checked
//! elsewhere, and the mutation matrix's summary line (which the mutation test holds to its
//! tables, and this test to the catalog and the defect list).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use clap::ValueEnum as _;
use conformance::checks::{CHECKED_ELSEWHERE, catalog};
use conformance::model::Profile;
use conformance::runner::{Selection, select};
use reference_server_defects::Defect;

const README: &str = include_str!("../../../README.md");
const MUTATION: &str = include_str!("../../MUTATION.md");

/// Markdown wraps lines anywhere: compare with every run of whitespace as one space.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn assert_readme_states(sentence: &str) {
    assert!(
        flat(README).contains(&flat(sentence)),
        "README.md should say, word for word:\n{sentence}"
    );
}

#[test]
fn readme_states_the_catalogs_counts() {
    let checks = catalog();
    let in_profile = |profile| select(&checks, profile, &Selection::default()).len();
    let covered: BTreeSet<&str> = checks
        .iter()
        .flat_map(|c| c.requirements.iter().copied())
        .collect();
    let elsewhere: BTreeSet<&str> = CHECKED_ELSEWHERE.iter().map(|r| r.requirement).collect();
    let only_elsewhere: Vec<&str> = elsewhere.difference(&covered).copied().collect();
    let all = covered.union(&elsewhere).count();

    assert_readme_states(&format!(
        "{} checks ({} in the vendor profile, {} in the strict one) cover {} rows of the catalog; \
         the {} rows no black-box client can see are checked elsewhere ({}), {} only there: \
         {all} rows in all.",
        checks.len(),
        in_profile(Profile::Vendor),
        in_profile(Profile::Strict),
        covered.len(),
        elsewhere.len(),
        elsewhere.iter().copied().collect::<Vec<_>>().join(", "),
        only_elsewhere.join(", "),
    ));
}

#[test]
fn readme_quotes_the_mutation_matrix_summary_and_it_matches_the_code() {
    let summary = MUTATION
        .lines()
        .find(|line| line.starts_with("**"))
        .expect("conformance/MUTATION.md has a bold summary line");
    assert_readme_states(summary);

    // "**180 cases (179 defects), 216 checks: ..."
    let number_before = |word: &str| -> usize {
        let words: Vec<&str> = summary
            .split(|c: char| c.is_whitespace() || "(),:*".contains(c))
            .filter(|w| !w.is_empty())
            .collect();
        let at = words
            .iter()
            .position(|w| *w == word)
            .unwrap_or_else(|| panic!("`{word}` in {summary}"));
        words[at - 1]
            .parse()
            .unwrap_or_else(|_| panic!("a number before `{word}` in {summary}"))
    };
    assert_eq!(
        number_before("checks"),
        catalog().len(),
        "MUTATION.md's checks"
    );
    assert_eq!(
        number_before("defects"),
        Defect::value_variants().len(),
        "MUTATION.md's defects"
    );
}
