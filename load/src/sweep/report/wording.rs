//! The sentences and table figures `summary.md` and `sweep.html` share, so both say the same.

use super::schema::{StepReport, Sweep};
use crate::sweep::logic::SearchEnd;

impl Sweep {
    pub(super) fn slo_sentence(&self) -> String {
        format!(
            "p99 < {} ms from the intended send time, errors ≤ {} %, achieved ≥ {} % of offered",
            number(self.slo.p99.as_secs_f64() * 1000.0),
            number(self.slo.max_error_ratio * 100.0),
            number(self.slo.min_achieved_ratio * 100.0),
        )
    }

    /// The sentence every report leads with. A saturation rate is named only where the server
    /// failed above the highest rate that passed; otherwise it was not reached, and the sentence
    /// says why (the step budget, the generator's limit, a search cut short) and what passed.
    pub fn outcome_sentence(&self) -> String {
        let failed = self.first_failing_rps();
        let limit = self.generator_limit();
        let highest_pass =
            |rps: f64| format!("highest rate that passed: {}", self.rate_per_vcpu(rps, ""));
        let figure = match (limit, failed, self.saturation_rps) {
            (Some(limit), _, passed) => format!(
                "not reached (the generator could not drive {} rps); {}",
                number(limit),
                passed.map_or("no step passed".to_owned(), highest_pass)
            ),
            (None, Some(_), Some(rps)) => self.rate_per_vcpu(rps, " at the SLO"),
            (None, None, Some(rps)) => {
                let why = match self.search_end {
                    Some(SearchEnd::MaxSteps) => "step budget spent",
                    None => "the search stopped early",
                    Some(_) => "no step failed",
                };
                format!("not reached ({why}); {}", highest_pass(rps))
            }
            (None, None, None)
                if self.steps.is_empty() && self.search_end != Some(SearchEnd::NothingPassed) =>
            {
                "not measured (no step ran)".to_owned()
            }
            (None, _, None) => "none: no step passed".to_owned(),
        };
        let between = match (self.saturation_rps, failed) {
            (Some(pass), Some(fail)) if limit.is_none() => {
                format!(" between {} and {} rps", number(pass), number(fail))
            }
            _ => String::new(),
        };
        let end = match self.search_end {
            Some(SearchEnd::Converged) => Some(format!("the search converged{between}")),
            // Without a failure or a limit the figure already names the spent budget.
            Some(SearchEnd::MaxSteps) if failed.is_none() && limit.is_none() => None,
            Some(SearchEnd::MaxSteps) => Some(format!(
                "the step budget ran out before the search converged{between}"
            )),
            Some(SearchEnd::GeneratorBound { .. }) => {
                Some("the search converged on the generator's limit".to_owned())
            }
            Some(SearchEnd::NothingPassed) => Some("even the lowest rate failed".to_owned()),
            None if failed.is_none() && limit.is_none() => None,
            None => Some(format!("the search stopped before it converged{between}")),
        };
        match end {
            Some(end) => format!("Saturation: {figure}; {end}."),
            None => format!("Saturation: {figure}."),
        }
    }

    /// Whether a step failed above the highest passing rate with nothing else bounding the
    /// search: only then is that rate the server's saturation rate.
    pub fn saturation_reached(&self) -> bool {
        self.saturation_rps.is_some()
            && self.first_failing_rps().is_some()
            && self.generator_limit().is_none()
    }

    /// `800 rps{qualifier} (400 rps per vCPU over 2 vCPUs)`.
    fn rate_per_vcpu(&self, rps: f64, qualifier: &str) -> String {
        match self.saturation_per_vcpu {
            Some(per_vcpu) => format!(
                "{} rps{qualifier} ({} rps per vCPU over {} vCPUs)",
                number(rps),
                number(per_vcpu),
                self.environment.available_cpus
            ),
            None => format!("{} rps{qualifier}", number(rps)),
        }
    }

    /// The rate the generator could not drive, where it bounded the search; a `sweep.json`
    /// written before schema 2 has it only in its search end.
    fn generator_limit(&self) -> Option<f64> {
        match (self.generator_limit_rps, self.search_end) {
            (Some(limit), _) => Some(limit),
            (None, Some(SearchEnd::GeneratorBound { rps })) => Some(rps),
            (None, _) => None,
        }
    }

    /// The lowest failing rate above the highest passing one. A failure below it (the step at
    /// half that rate, on a bad second) bounds nothing.
    fn first_failing_rps(&self) -> Option<f64> {
        let floor = self.saturation_rps.unwrap_or(f64::NEG_INFINITY);
        self.steps
            .iter()
            .filter(|step| step.verdict == "fail" && step.offered_rps > floor)
            .map(|step| step.offered_rps)
            .min_by(f64::total_cmp)
    }

    /// The line on p99 at half the highest passing rate, which is the saturation rate only
    /// when the search reached it.
    pub fn half_rate_sentence(&self) -> Option<String> {
        let p99 = self.p99_at_half_saturation_ms?;
        let rate = if self.saturation_reached() {
            "the saturation rate"
        } else {
            "the highest rate that passed"
        };
        Some(format!("p99 at half {rate}: {p99:.2} ms."))
    }

    pub(super) fn depends_on(&self) -> Vec<(&'static str, String)> {
        let env = &self.environment;
        let mut facts = vec![
            ("Machine", format!("{} vCPUs available", env.available_cpus)),
            ("Generator", env.generator_note.clone()),
            ("Secret hashing", env.secret_hashing.clone()),
            ("Token format", env.token_format.clone()),
            ("Storage", env.storage.clone()),
            ("Connection", env.connection.label().to_owned()),
        ];
        if let Some(server_cpu) = &env.server_cpu {
            facts.push(("Server CPU", server_cpu.clone()));
        }
        facts
    }

    /// Whether any step metered the server's CPU: the tables then show it.
    pub(super) fn server_cpu_metered(&self) -> bool {
        self.steps
            .iter()
            .any(|step| step.server_cpu_cores.is_some())
    }
}

/// Up to one decimal, no trailing `.0`: 1000, 12.5, 0.1.
pub(super) fn number(value: f64) -> String {
    let rounded = (value * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded:.1}")
    }
}

/// Step `index`'s figures in the tables' column order, up to the verdict: the server's two only
/// when the sweep metered it.
pub(super) fn step_figures(index: usize, step: &StepReport, server: bool) -> Vec<String> {
    let mut figures = vec![
        (index + 1).to_string(),
        number(step.offered_rps),
        format!("{:.1}", step.achieved_rps),
        format!("{:.2}", step.p50_ms),
        format!("{:.2}", step.p90_ms),
        format!("{:.2}", step.p99_ms),
        format!("{:.2}", step.max_ms),
        format!("{:.3}", step.error_ratio * 100.0),
        format!("{:.2}", step.generator_cpu_cores),
    ];
    if server {
        figures.push(optional(step.server_cpu_cores, 2));
        figures.push(optional(step.server_cpu_us_per_request, 0));
    }
    figures.push(format!("{:.2}", step.lag_p99_ms));
    figures
}

/// A figure to `decimals` places, or a dash when it was not measured.
fn optional(value: Option<f64>, decimals: usize) -> String {
    value.map_or("–".to_owned(), |v| format!("{v:.decimals$}"))
}

pub(super) fn started(sweep: &Sweep) -> String {
    sweep
        .started_at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// One row per generator of each step that several drove (`--generators`): step, generator,
/// CPU cores, lag p99 ms, sent, planned.
pub(super) fn generator_rows(sweep: &Sweep) -> Vec<[String; 6]> {
    let mut rows = Vec::new();
    for (index, step) in sweep.steps.iter().enumerate() {
        for (generator, figures) in step.generators.iter().enumerate() {
            rows.push([
                (index + 1).to_string(),
                (generator + 1).to_string(),
                format!("{:.2}", figures.cpu_cores),
                format!("{:.2}", figures.lag_p99_ms),
                figures.sent.to_string(),
                figures.planned.to_string(),
            ]);
        }
    }
    rows
}

/// The heading of [`generator_rows`].
pub(super) const GENERATOR_COLUMNS: [&str; 6] = [
    "step",
    "generator",
    "CPU cores",
    "lag p99 ms",
    "sent",
    "planned",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::logic::SearchResult;
    use crate::sweep::report::fixtures::{fixed_sweep, step, sweep_of};

    /// A budget that runs out among invalid steps says what bounded the figure (the planner
    /// decides which rate that is: `logic.rs`).
    #[test]
    fn a_search_out_of_steps_names_the_rate_the_generator_could_not_drive() {
        let out_of_steps = |generator_limit_rps| {
            let result = SearchResult {
                saturation_rps: Some(18102.0),
                first_failing_rps: None,
                generator_limit_rps,
                end: Some(SearchEnd::MaxSteps),
                steps: 14,
            };
            let fixed = fixed_sweep();
            Sweep::new(
                "client_credentials",
                fixed.target,
                fixed.started_at,
                fixed.slo,
                fixed.environment,
                vec![step(18102.0, 18102.0, 7.4, 0.0, "pass")],
                &result,
            )
        };
        let bounded = out_of_steps(Some(21527.0));
        assert_eq!(
            bounded.outcome_sentence(),
            "Saturation: not reached (the generator could not drive 21527 rps); highest rate that passed: 18102 rps (9051 rps per vCPU over 2 vCPUs); the step budget ran out before the search converged."
        );
        let json = serde_json::to_value(&bounded).unwrap();
        assert_eq!(json["generator_limit_rps"], 21527.0);

        let unbounded = out_of_steps(None);
        assert_eq!(
            unbounded.outcome_sentence(),
            "Saturation: not reached (step budget spent); highest rate that passed: 18102 rps (9051 rps per vCPU over 2 vCPUs)."
        );
        assert!(
            serde_json::to_value(&unbounded)
                .unwrap()
                .get("generator_limit_rps")
                .is_none()
        );
    }

    /// Every way a search ends, in words: no Rust value (`Some(..)`, `MaxSteps`) reaches a
    /// report, and a saturation rate is named only where a step failed above it.
    #[test]
    fn every_search_end_is_worded_plainly() {
        let pass = |rate| step(rate, rate, 4.0, 0.0, "pass");
        let fail = |rate| step(rate, rate, 90.0, 0.0, "fail");
        let invalid = |rate| step(rate, rate * 0.9, 48.0, 0.0, "invalid");
        let cases = [
            (
                "converged",
                fixed_sweep(),
                "Saturation: 1233 rps at the SLO (616.5 rps per vCPU over 2 vCPUs); the search converged between 1233 and 1288 rps.",
            ),
            (
                "budget spent between a pass and a failure",
                sweep_of(
                    vec![pass(800.0), fail(1600.0)],
                    Some(SearchEnd::MaxSteps),
                    None,
                ),
                "Saturation: 800 rps at the SLO (400 rps per vCPU over 2 vCPUs); the step budget ran out before the search converged between 800 and 1600 rps.",
            ),
            (
                "generator-bound",
                sweep_of(
                    vec![pass(993.0), invalid(1037.0), invalid(1037.0)],
                    Some(SearchEnd::GeneratorBound { rps: 1037.0 }),
                    Some(1037.0),
                ),
                "Saturation: not reached (the generator could not drive 1037 rps); highest rate that passed: 993 rps (496.5 rps per vCPU over 2 vCPUs); the search converged on the generator's limit.",
            ),
            (
                "generator-bound from the first step",
                sweep_of(
                    vec![invalid(100.0), invalid(100.0)],
                    Some(SearchEnd::GeneratorBound { rps: 100.0 }),
                    Some(100.0),
                ),
                "Saturation: not reached (the generator could not drive 100 rps); no step passed; the search converged on the generator's limit.",
            ),
            (
                "nothing passed",
                sweep_of(
                    vec![fail(100.0), fail(1.0)],
                    Some(SearchEnd::NothingPassed),
                    None,
                ),
                "Saturation: none: no step passed; even the lowest rate failed.",
            ),
            (
                "stopped early, all passed",
                sweep_of(vec![pass(100.0), pass(200.0)], None, None),
                "Saturation: not reached (the search stopped early); highest rate that passed: 200 rps (100 rps per vCPU over 2 vCPUs).",
            ),
            (
                "stopped early while bisecting",
                sweep_of(vec![pass(800.0), fail(1600.0)], None, None),
                "Saturation: 800 rps at the SLO (400 rps per vCPU over 2 vCPUs); the search stopped before it converged between 800 and 1600 rps.",
            ),
            (
                "no step ran",
                sweep_of(Vec::new(), None, None),
                "Saturation: not measured (no step ran).",
            ),
        ];
        for (case, sweep, expected) in cases {
            let sentence = sweep.outcome_sentence();
            assert_eq!(sentence, expected, "{case}");
            assert!(
                !["Some(", "None", "MaxSteps", "GeneratorBound", "{"]
                    .iter()
                    .any(|debug| sentence.contains(debug)),
                "{case}: {sentence}"
            );
        }
    }

    /// A step that fails below the highest passing rate (the step at half of it, on a bad
    /// second) bounds nothing: the sentence still names the failure above.
    #[test]
    fn a_failure_below_the_highest_pass_is_not_the_upper_bound() {
        let mut sweep = fixed_sweep();
        sweep.push_step(step(616.0, 600.0, 80.0, 0.0, "fail"));
        assert!(
            sweep
                .outcome_sentence()
                .ends_with("the search converged between 1233 and 1288 rps."),
            "{}",
            sweep.outcome_sentence()
        );
    }
}
