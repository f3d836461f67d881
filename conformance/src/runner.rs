//! Runs the selected checks: concurrently where they share no state, one at a time where they
//! move the target's clock.

use std::sync::Arc;
use std::time::Instant;

use futures_util::StreamExt;
use futures_util::stream;

use crate::ctx::{Ctx, Run};
use crate::model::{Check, Need, Outcome, Profile};
use crate::report::{CheckReport, CitationReport};

/// Checks that run at once.
const CONCURRENCY: usize = 16;

/// `--only` patterns: a check runs when its id or one of its rows matches any of them.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    patterns: Vec<glob::Pattern>,
}

impl Selection {
    pub fn new(globs: &[String]) -> Result<Self, String> {
        let patterns = globs
            .iter()
            .flat_map(|g| g.split(','))
            .filter(|g| !g.trim().is_empty())
            .map(|g| {
                glob::Pattern::new(&g.trim().to_ascii_lowercase())
                    .map_err(|e| format!("--only {g}: {e}"))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { patterns })
    }

    pub fn includes(&self, check: &Check) -> bool {
        self.patterns.is_empty()
            || self.patterns.iter().any(|p| {
                p.matches(check.id)
                    || check
                        .requirements
                        .iter()
                        .any(|r| p.matches(&r.to_ascii_lowercase()))
            })
    }
}

/// The checks of `catalog` that apply to `profile` and the selection, in catalog order.
pub fn select(catalog: &[Check], profile: Profile, selection: &Selection) -> Vec<Check> {
    catalog
        .iter()
        .filter(|c| c.profiles.includes(profile) && selection.includes(c))
        .cloned()
        .collect()
}

/// Runs one check and turns its result into a report entry.
pub async fn run_one(run: Arc<Run>, check: Check) -> CheckReport {
    let ctx = Ctx::new(run.clone());
    let started = Instant::now();
    let result = (check.run)(ctx.clone()).await;
    if check.needs.contains(&Need::Clock) {
        ctx.release_clock().await;
    }
    ctx.clean_up().await;
    let outcome = match (ctx.server_error(), result) {
        // A 5xx fails the check whatever it concluded and whatever its level.
        (Some(server_error), _) => server_error,
        (None, Ok(())) => Outcome::Pass,
        // A broken SHOULD or DECISION is a warning (a deviation), never a failure.
        (None, Err(Outcome::Fail { expected, actual })) if !check.level.fails() => {
            Outcome::Warn { expected, actual }
        }
        (None, Err(other)) => other,
    };
    // A failure message may quote a body: the tokens in it are known by now.
    let redact = |text: String| run.redactor.text(&text);
    let outcome = match outcome {
        Outcome::Fail { expected, actual } => Outcome::Fail {
            expected: redact(expected),
            actual: redact(actual),
        },
        Outcome::Warn { expected, actual } => Outcome::Warn {
            expected: redact(expected),
            actual: redact(actual),
        },
        Outcome::Skip { reason } => Outcome::Skip {
            reason: redact(reason),
        },
        Outcome::Pass => Outcome::Pass,
    };
    let property = ctx.property_record();
    let server_erred = ctx.server_error().is_some();
    let mut report = CheckReport::new(&check, outcome, started.elapsed(), ctx.transcript.take());
    if server_erred {
        // The failure is the 5xx rule's, not the check's own sentence: say so first.
        report.citations.insert(0, CitationReport::server_error());
    }
    report.cases = property.cases;
    report.counterexample = property
        .counterexample
        .map(|example| crate::report::Counterexample {
            input: redact(example.input),
            curl: redact(example.curl),
        });
    report
}

/// Runs `checks`; `progress` is told after each one. Results come back in catalog order.
pub async fn run_all(
    run: Arc<Run>,
    checks: Vec<Check>,
    progress: impl Fn(&CheckReport),
) -> Vec<CheckReport> {
    let (exclusive, shared): (Vec<_>, Vec<_>) = checks
        .into_iter()
        .enumerate()
        .partition(|(_, c)| c.needs.contains(&Need::Clock));
    let mut results: Vec<(usize, CheckReport)> = Vec::new();
    let mut concurrent = stream::iter(shared)
        .map(|(i, check)| {
            let run = run.clone();
            async move { (i, run_one(run, check).await) }
        })
        .buffer_unordered(CONCURRENCY);
    while let Some((i, report)) = concurrent.next().await {
        progress(&report);
        results.push((i, report));
    }
    // The clock is the target's, not the check's: one at a time.
    for (i, check) in exclusive {
        let report = run_one(run.clone(), check).await;
        progress(&report);
        results.push((i, report));
    }
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::Endpoints;
    use crate::model::{CheckResult, deviate, fail, skip};
    use crate::target::Target;

    async fn passes(_ctx: Ctx) -> CheckResult {
        Ok(())
    }

    async fn breaks(_ctx: Ctx) -> CheckResult {
        Err(fail("200", "500"))
    }

    async fn deviates(_ctx: Ctx) -> CheckResult {
        Err(deviate("405", "404"))
    }

    async fn cannot(_ctx: Ctx) -> CheckResult {
        Err(skip("needs the target's test clock"))
    }

    fn catalog() -> Vec<Check> {
        vec![
            crate::check!(
                "must-01",
                ["MUST-01"],
                Must,
                Both,
                [],
                "a MUST rule",
                breaks
            ),
            crate::check!(
                "should-01",
                ["SHOULD-01"],
                Should,
                Both,
                [],
                "a SHOULD rule",
                breaks
            ),
            crate::check!(
                "decision-01",
                ["DECISION-01"],
                Decision,
                Both,
                [],
                "a decision",
                breaks
            ),
            crate::check!(
                "vendor-01",
                ["VENDOR-01"],
                Vendor,
                VendorOnly,
                [],
                "a vendor rule",
                passes
            ),
            crate::check!(
                "strict-01",
                ["STRICT-01"],
                Must,
                StrictOnly,
                [Clock],
                "a strict rule",
                cannot
            ),
            crate::check!(
                "detail-01",
                ["DETAIL-01"],
                Must,
                Both,
                [],
                "a detail",
                deviates
            ),
        ]
    }

    fn run() -> Arc<Run> {
        let target = Target::parse(
            "name = \"t\"\nissuer = \"http://127.0.0.1:9\"\nprofile = \"strict\"\n",
            "t.toml",
        )
        .unwrap();
        Arc::new(Run::new(
            target,
            Endpoints::default(),
            Profile::Strict,
            false,
            1,
        ))
    }

    fn outcomes(results: &[CheckReport]) -> Vec<(&str, &str)> {
        results
            .iter()
            .map(|r| (r.id.as_str(), r.outcome.as_str()))
            .collect()
    }

    #[tokio::test]
    async fn levels_decide_between_failure_and_warning_and_order_is_kept() {
        let checks = select(&catalog(), Profile::Strict, &Selection::default());

        let foreign = run_all(run(), checks, |_| {}).await;

        assert_eq!(
            outcomes(&foreign),
            [
                ("must-01", "fail"),
                ("should-01", "warn"),
                ("decision-01", "warn"),
                ("strict-01", "skip"),
                ("detail-01", "warn"),
            ]
        );
        assert_eq!(foreign[0].expected.as_deref(), Some("200"));
        assert_eq!(
            foreign[3].reason.as_deref(),
            Some("needs the target's test clock")
        );
    }

    #[test]
    fn selection_matches_ids_and_rows_by_glob_and_profiles_filter() {
        let catalog = catalog();
        let ids = |profile, only: &[&str]| {
            let only: Vec<String> = only.iter().map(|s| (*s).to_owned()).collect();
            select(&catalog, profile, &Selection::new(&only).unwrap())
                .iter()
                .map(|c| c.id)
                .collect::<Vec<_>>()
        };

        assert_eq!(ids(Profile::Vendor, &[]).len(), 5, "strict-only left out");
        assert_eq!(ids(Profile::Strict, &["must-*"]), ["must-01"]);
        assert_eq!(
            ids(Profile::Strict, &["SHOULD-01,detail-*"]),
            ["should-01", "detail-01"]
        );
        assert_eq!(ids(Profile::Vendor, &["vendor-0?"]), ["vendor-01"]);
        assert!(ids(Profile::Strict, &["nothing-*"]).is_empty());
        assert!(
            Selection::new(&["[".to_owned()]).is_err(),
            "a bad glob is a usage error"
        );
    }
}
