//! `--expect FILE`: the checks a target is known to fail or warn on. A run fails on an
//! unexpected failure or warning, and on an expectation that no longer happens (stale).
//!
//! One check id a line; `#` starts a comment. An id followed by `?` is intermittent: the
//! server's own race or a generated case decides it from run to run, so it may fail or warn
//! and may pass, and is never stale.

use std::collections::BTreeSet;

use crate::report::Report;

/// The parsed baseline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baseline {
    /// Fail or warn in every run.
    pub always: BTreeSet<String>,
    /// May fail or warn.
    pub sometimes: BTreeSet<String>,
}

impl Baseline {
    /// Every id the file names.
    pub fn ids(&self) -> impl Iterator<Item = &String> {
        self.always.iter().chain(&self.sometimes)
    }
}

/// Comments and blank lines are ignored.
pub fn parse(text: &str) -> Baseline {
    let mut baseline = Baseline::default();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        match line.strip_suffix('?') {
            _ if line.is_empty() => {}
            Some(id) => {
                baseline.sometimes.insert(id.trim().to_owned());
            }
            None => {
                baseline.always.insert(line.to_owned());
            }
        }
    }
    baseline
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Failed or warned, not expected to.
    pub unexpected: Vec<String>,
    /// Expected to fail or warn, and passed or skipped.
    pub stale: Vec<String>,
    /// Expected, but no check of the catalog has this id (a typo or a renamed check).
    pub unknown: Vec<String>,
}

impl Verdict {
    pub fn holds(&self) -> bool {
        self.unexpected.is_empty() && self.stale.is_empty() && self.unknown.is_empty()
    }
}

/// `catalog` holds the ids of every check: an expected check that this run left out (by
/// `--only` or by profile) says nothing, one the catalog lacks is an error.
pub fn compare<'a>(
    report: &Report,
    expected: &Baseline,
    catalog: impl IntoIterator<Item = &'a str>,
) -> Verdict {
    let mut verdict = Verdict::default();
    for check in &report.checks {
        if expected.sometimes.contains(&check.id) {
            continue;
        }
        let bad = matches!(check.outcome.as_str(), "fail" | "warn");
        match (bad, expected.always.contains(&check.id)) {
            (true, false) => verdict.unexpected.push(check.id.clone()),
            (false, true) => verdict.stale.push(check.id.clone()),
            _ => {}
        }
    }
    let known: BTreeSet<&str> = catalog.into_iter().collect();
    verdict.unknown = expected
        .ids()
        .filter(|id| !known.contains(id.as_str()))
        .cloned()
        .collect();
    verdict
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::model::Level;
    use crate::report::{CheckReport, TargetInfo};

    fn report(results: &[(&str, &str)]) -> Report {
        let checks = results
            .iter()
            .map(|(id, outcome)| CheckReport {
                id: (*id).to_owned(),
                requirements: vec![id.to_ascii_uppercase()],
                group: "TOKEN-CC".into(),
                title: "a rule".into(),
                level: Level::Must,
                citations: Vec::new(),
                profiles: "both".into(),
                outcome: (*outcome).to_owned(),
                expected: None,
                actual: None,
                reason: None,
                duration_ms: 1,
                transcript: Vec::new(),
                transcript_omitted: 0,
                client_run: None,
                cases: None,
                counterexample: None,
            })
            .collect();
        let target = TargetInfo {
            name: "t".into(),
            issuer: "http://127.0.0.1:1".into(),
            profile: "vendor".into(),
        };
        Report::new(
            target,
            "2026-01-01T00:00:00Z".into(),
            Duration::ZERO,
            1,
            checks,
        )
    }

    const CATALOG: [&str; 5] = [
        "token-cc-01",
        "token-cc-02",
        "token-cc-03",
        "token-cc-04",
        "token-cc-05",
    ];

    #[test]
    fn comments_blank_lines_and_spaces_are_ignored() {
        let text = "# known failures of my-server\n\ntoken-cc-01\n  token-cc-02   # AMB-03, see ticket\n\t\n#token-cc-03\ntoken-cc-01\n";

        let expected = parse(text);

        assert_eq!(
            expected.always.into_iter().collect::<Vec<_>>(),
            ["token-cc-01", "token-cc-02"]
        );
        assert!(expected.sometimes.is_empty());
    }

    #[test]
    fn an_intermittent_expectation_may_fail_or_pass_and_is_never_stale() {
        let expected = parse("token-cc-01 ?  # the server's own race\ntoken-cc-02\n");
        assert_eq!(
            expected.sometimes.iter().collect::<Vec<_>>(),
            ["token-cc-01"]
        );

        for outcome in ["fail", "warn", "pass", "skip"] {
            let run = report(&[("token-cc-01", outcome), ("token-cc-02", "fail")]);
            let verdict = compare(&run, &expected, CATALOG);
            assert!(verdict.holds(), "{outcome}: {verdict:?}");
        }
        let unknown = compare(&report(&[]), &parse("token-cc-99?\n"), CATALOG);
        assert_eq!(unknown.unknown, ["token-cc-99"]);
    }

    #[test]
    fn a_failure_or_warning_nobody_expected_breaks_the_baseline() {
        let run = report(&[
            ("token-cc-01", "fail"),
            ("token-cc-02", "warn"),
            ("token-cc-03", "fail"),
            ("token-cc-04", "pass"),
        ]);
        let expected = parse("token-cc-03\n");

        let verdict = compare(&run, &expected, CATALOG);

        assert_eq!(verdict.unexpected, ["token-cc-01", "token-cc-02"]);
        assert!(verdict.stale.is_empty() && verdict.unknown.is_empty());
        assert!(!verdict.holds());
    }

    #[test]
    fn an_expectation_that_passed_or_skipped_is_stale() {
        let run = report(&[
            ("token-cc-01", "pass"),
            ("token-cc-02", "skip"),
            ("token-cc-03", "warn"),
        ]);
        let expected = parse("token-cc-01\ntoken-cc-02\ntoken-cc-03\n");

        let verdict = compare(&run, &expected, CATALOG);

        assert_eq!(verdict.stale, ["token-cc-01", "token-cc-02"]);
        assert!(verdict.unexpected.is_empty());
        assert!(!verdict.holds());
    }

    #[test]
    fn an_expected_check_left_out_of_the_run_is_not_stale() {
        // --only token-cc-01, or a profile that excludes token-cc-05.
        let run = report(&[("token-cc-01", "fail")]);
        let expected = parse("token-cc-01\ntoken-cc-05\n");

        let verdict = compare(&run, &expected, CATALOG);

        assert_eq!(verdict, Verdict::default());
        assert!(verdict.holds());
    }

    #[test]
    fn an_expected_id_the_catalog_lacks_breaks_the_baseline() {
        let run = report(&[("token-cc-01", "fail")]);
        let expected = parse("token-cc-01\ntoken-cc-1\n");

        let verdict = compare(&run, &expected, CATALOG);

        assert_eq!(verdict.unknown, ["token-cc-1"]);
        assert!(verdict.stale.is_empty());
        assert!(!verdict.holds());
    }
}
