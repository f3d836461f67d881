//! Step rules and the capacity search: pure functions over recorded histograms.

use std::time::Duration;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::generators::GeneratorFigures;

/// Highest value a histogram holds: one minute in microseconds. Longer samples saturate here,
/// which still fails any sensible SLO.
const HISTOGRAM_MAX_MICROS: u64 = 60_000_000;

/// An empty histogram of microseconds, 1 µs to one minute, three significant digits.
pub fn micros_histogram() -> Histogram<u64> {
    #[allow(clippy::expect_used)]
    Histogram::new_with_bounds(1, HISTOGRAM_MAX_MICROS, 3)
        .expect("constant histogram bounds are valid")
}

/// What the server must meet at a step for the step to pass.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Slo {
    /// The 99th percentile of latency, measured from the intended send time, must stay below this.
    #[serde(rename = "p99_ms", with = "millis")]
    pub p99: Duration,
    /// Errors over completed requests, at most (0.001 = 0.1 %).
    pub max_error_ratio: f64,
    /// Achieved over offered rate, at least (0.99 = 99 %).
    pub min_achieved_ratio: f64,
}

impl Default for Slo {
    fn default() -> Self {
        Self {
            p99: Duration::from_millis(50),
            max_error_ratio: 0.001,
            min_achieved_ratio: 0.99,
        }
    }
}

/// When a step says more about the load generator than about the server.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeneratorLimits {
    /// Schedule lag (actual − intended send time) p99 above this means the generator fell behind.
    pub max_lag_p99: Duration,
    /// The cores the generator may use: all available ones when the target runs elsewhere,
    /// about half when it shares the machine with the server.
    pub cpu_share_cores: f64,
    /// The generator counts as CPU-busy from this fraction of its share.
    pub busy_fraction: f64,
    /// Sent over planned requests, at least; fewer means the generator could not keep up.
    pub min_sent_ratio: f64,
}

impl GeneratorLimits {
    /// Lag allowed up to half the SLO's p99: more than that would use up most of the budget
    /// before the request even leaves.
    pub fn new(slo: &Slo, cpu_share_cores: f64) -> Self {
        Self {
            max_lag_p99: slo.p99 / 2,
            cpu_share_cores,
            busy_fraction: 0.9,
            min_sent_ratio: 0.99,
        }
    }
}

/// Everything measured during one step at one offered rate.
#[derive(Debug, Clone)]
pub struct StepMeasurement {
    /// Requests per second the schedule offered.
    pub offered_rps: f64,
    /// The step's scheduled length.
    pub duration: Duration,
    /// Requests the schedule held for the step.
    pub planned: u64,
    /// Requests the generator actually started.
    pub sent: u64,
    /// Requests that completed and passed validation.
    pub ok: u64,
    /// Requests that completed with a failure (status, body shape, transport).
    pub errors: u64,
    /// µs from the intended send time to the response: queueing in the generator counts, so
    /// coordinated omission does not flatter the result.
    pub latency: Histogram<u64>,
    /// µs from the intended to the actual send time.
    pub schedule_lag: Histogram<u64>,
    /// µs from the actual send time to the response: what the server took.
    pub service: Histogram<u64>,
    /// CPU seconds the generator process used over wall seconds of the step.
    pub generator_cpu_cores: f64,
    /// The same for the server's process, when the sweep was given it (`--server-pid`).
    pub server_cpu_cores: Option<f64>,
    /// Cores the machine offers.
    pub available_cpus: usize,
    /// Each generator process's figures, when several drove the step (`--generators`).
    pub generators: Vec<GeneratorFigures>,
}

impl StepMeasurement {
    /// Completed requests per second over the step's scheduled length.
    pub fn achieved_rps(&self) -> f64 {
        let seconds = self.duration.as_secs_f64();
        if seconds > 0.0 {
            (self.ok + self.errors) as f64 / seconds
        } else {
            0.0
        }
    }

    /// Errors over completed requests; zero when nothing completed.
    pub fn error_ratio(&self) -> f64 {
        let completed = self.ok + self.errors;
        if completed == 0 {
            0.0
        } else {
            self.errors as f64 / completed as f64
        }
    }
}

/// The outcome of one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The server met every SLO rule at this rate.
    Pass,
    /// The server broke these rules.
    Fail(Vec<String>),
    /// The generator, not the server, limited the step; it says nothing about the server.
    Invalid(String),
}

impl Verdict {
    /// `pass`, `fail` or `invalid`, as reports write it.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail(_) => "fail",
            Self::Invalid(_) => "invalid",
        }
    }

    /// Why the step did not pass; empty for a pass.
    pub fn reasons(&self) -> Vec<String> {
        match self {
            Self::Pass => Vec::new(),
            Self::Fail(reasons) => reasons.clone(),
            Self::Invalid(reason) => vec![reason.clone()],
        }
    }
}

fn quantile_ms(histogram: &Histogram<u64>, quantile: f64) -> f64 {
    if histogram.is_empty() {
        0.0
    } else {
        histogram.value_at_quantile(quantile) as f64 / 1000.0
    }
}

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

/// Judges one step.
///
/// The step is **invalid** when the generator fell behind its schedule (schedule-lag p99 above
/// `generator.max_lag_p99`, or fewer than `generator.min_sent_ratio` of the planned requests
/// sent) *and* the generator, not the server, explains it: either its CPU use reached
/// `busy_fraction` of its share, or the server answered in time (service p99 below the SLO), so
/// the wait happened before the request left. A server that is slow also makes a bounded pool of
/// users fall behind; that case has a slow service time and an idle generator, and is judged on
/// the SLO like any other.
///
/// Otherwise the step **passes** when latency p99 (from the intended send time) is below
/// `slo.p99`, the error ratio is at most `slo.max_error_ratio` and the achieved rate is at least
/// `slo.min_achieved_ratio` of the offered one; it **fails** with every rule it broke.
pub fn judge(step: &StepMeasurement, slo: &Slo, generator: &GeneratorLimits) -> Verdict {
    if step.planned == 0 {
        return Verdict::Invalid("the step planned no requests".to_owned());
    }
    let lag_p99 = if step.schedule_lag.is_empty() {
        0
    } else {
        step.schedule_lag.value_at_quantile(0.99)
    };
    let lagging = lag_p99 > micros(generator.max_lag_p99);
    let short_sent = (step.sent as f64) < generator.min_sent_ratio * step.planned as f64;
    if lagging || short_sent {
        let cpu_busy = generator.cpu_share_cores > 0.0
            && step.generator_cpu_cores >= generator.busy_fraction * generator.cpu_share_cores;
        let server_in_time =
            step.service.is_empty() || step.service.value_at_quantile(0.99) < micros(slo.p99);
        if cpu_busy || server_in_time {
            let behind = if short_sent {
                format!("sent {} of {} planned requests", step.sent, step.planned)
            } else {
                format!(
                    "schedule lag p99 {:.1} ms > {:.1} ms",
                    lag_p99 as f64 / 1000.0,
                    generator.max_lag_p99.as_secs_f64() * 1000.0
                )
            };
            let cause = if cpu_busy {
                format!(
                    "generator CPU {:.2} of {:.2} cores",
                    step.generator_cpu_cores, generator.cpu_share_cores
                )
            } else {
                format!(
                    "server service time p99 {:.1} ms was within the SLO",
                    quantile_ms(&step.service, 0.99)
                )
            };
            return Verdict::Invalid(format!("generator-bound: {behind} while {cause}"));
        }
    }

    let mut reasons = Vec::new();
    let p99_ms = quantile_ms(&step.latency, 0.99);
    let slo_ms = slo.p99.as_secs_f64() * 1000.0;
    if step.latency.is_empty() {
        reasons.push("no request completed".to_owned());
    } else if step.latency.value_at_quantile(0.99) >= micros(slo.p99) {
        reasons.push(format!("p99 {p99_ms:.1} ms ≥ SLO {slo_ms:.1} ms"));
    }
    let error_ratio = step.error_ratio();
    if error_ratio > slo.max_error_ratio {
        reasons.push(format!(
            "error ratio {:.3} % > {:.3} %",
            error_ratio * 100.0,
            slo.max_error_ratio * 100.0
        ));
    }
    let achieved = step.achieved_rps();
    if achieved < slo.min_achieved_ratio * step.offered_rps {
        reasons.push(format!(
            "achieved {achieved:.1} rps < {:.0} % of offered {:.1} rps",
            slo.min_achieved_ratio * 100.0,
            step.offered_rps
        ));
    }
    if reasons.is_empty() {
        Verdict::Pass
    } else {
        Verdict::Fail(reasons)
    }
}

/// How the capacity search moves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlannerConfig {
    /// First offered rate.
    pub start_rps: f64,
    /// Factor between rates while every step passes (and divisor while none has).
    pub growth: f64,
    /// The search converges once first failing / last passing ≤ 1 + tolerance.
    pub tolerance: f64,
    /// Steps at most, re-runs included.
    pub max_steps: usize,
    /// Below this rate the search gives up looking for a passing step.
    pub min_rps: f64,
}

impl Default for PlannerConfig {
    fn default() -> Self {
        Self {
            start_rps: 100.0,
            growth: 2.0,
            tolerance: 0.05,
            max_steps: 20,
            min_rps: 1.0,
        }
    }
}

/// Why the search stopped.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum SearchEnd {
    /// Last passing and first failing rates are within the tolerance.
    Converged,
    /// The step budget ran out first.
    MaxSteps,
    /// The search converged on a rate the generator could not drive (a step invalid twice):
    /// the saturation rate is only a lower bound.
    GeneratorBound {
        /// The lowest rate the generator could not drive.
        rps: f64,
    },
    /// Even the lowest rate failed.
    NothingPassed,
}

/// What the search found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SearchResult {
    /// The highest offered rate that passed.
    pub saturation_rps: Option<f64>,
    /// The lowest offered rate that failed.
    pub first_failing_rps: Option<f64>,
    /// The lowest rate the generator could not drive (invalid twice), where it and not a
    /// failure bounds the search: the saturation rate is then a lower bound, whatever ended it.
    pub generator_limit_rps: Option<f64>,
    /// `None` while the search is still running.
    pub end: Option<SearchEnd>,
    /// Steps run, re-runs included.
    pub steps: usize,
}

/// Open-model capacity search: geometric growth from `start_rps` while steps pass, then
/// bisection between the last passing and the first failing rate.
///
/// Bisection takes the geometric mean (rounded to whole requests per second) because the
/// tolerance is a ratio. An invalid step is re-run once at the same rate, since a burst of
/// other work on a shared machine can starve the generator for a moment. Invalid twice in a
/// row, the rate is beyond what the generator can drive: it then bounds the search from above
/// like a failing rate, and a search that converges on it ends as
/// [`SearchEnd::GeneratorBound`], whose saturation rate is only a lower bound for the server.
#[derive(Debug, Clone)]
pub struct Planner {
    config: PlannerConfig,
    highest_pass: Option<f64>,
    lowest_fail: Option<f64>,
    /// The lowest rate the generator could not drive.
    generator_limit: Option<f64>,
    current: Option<f64>,
    invalid_at: Option<f64>,
    steps: usize,
    end: Option<SearchEnd>,
}

fn whole_rps(rate: f64) -> f64 {
    rate.round().max(1.0)
}

impl Planner {
    /// A search starting at `config.start_rps`.
    pub fn new(config: PlannerConfig) -> Self {
        Self {
            current: Some(config.start_rps),
            config,
            highest_pass: None,
            lowest_fail: None,
            generator_limit: None,
            invalid_at: None,
            steps: 0,
            end: None,
        }
    }

    /// The rate to run next; `None` once the search has ended.
    pub fn next_rate(&self) -> Option<f64> {
        self.current
    }

    /// Takes the verdict of the step run at [`Self::next_rate`] and moves the search on.
    pub fn record(&mut self, verdict: &Verdict) {
        let Some(rate) = self.current else {
            return;
        };
        self.steps += 1;
        match verdict {
            Verdict::Invalid(_) if self.invalid_at == Some(rate) => {
                self.generator_limit =
                    Some(self.generator_limit.map_or(rate, |limit| limit.min(rate)));
            }
            Verdict::Invalid(_) => {
                self.invalid_at = Some(rate);
                if self.steps >= self.config.max_steps {
                    self.stop(SearchEnd::MaxSteps);
                }
                return;
            }
            Verdict::Pass => {
                self.highest_pass = Some(self.highest_pass.map_or(rate, |pass| pass.max(rate)));
            }
            Verdict::Fail(_) => {
                self.lowest_fail = Some(self.lowest_fail.map_or(rate, |fail| fail.min(rate)));
            }
        }
        self.invalid_at = None;
        if self.steps >= self.config.max_steps {
            return self.stop(SearchEnd::MaxSteps);
        }
        let (upper, end_at_upper) = match (self.bounding_generator_limit(), self.lowest_fail) {
            (Some(limit), _) => (Some(limit), SearchEnd::GeneratorBound { rps: limit }),
            (None, fail) => (fail, SearchEnd::Converged),
        };
        self.current = match (self.highest_pass, upper) {
            (Some(pass), None) => Some(whole_rps(pass * self.config.growth)),
            (None, Some(upper)) => {
                let lower = upper / self.config.growth;
                if lower < self.config.min_rps {
                    return self.stop(match end_at_upper {
                        SearchEnd::GeneratorBound { .. } => end_at_upper,
                        _ => SearchEnd::NothingPassed,
                    });
                }
                Some(whole_rps(lower))
            }
            (Some(pass), Some(upper)) => {
                let middle = whole_rps((pass * upper).sqrt());
                if upper / pass <= 1.0 + self.config.tolerance || middle <= pass || middle >= upper
                {
                    return self.stop(end_at_upper);
                }
                Some(middle)
            }
            (None, None) => unreachable!("a pass, a fail or a limit was just recorded"),
        };
    }

    /// The generator's limit, where no real failure lies at or below it.
    fn bounding_generator_limit(&self) -> Option<f64> {
        match (self.generator_limit, self.lowest_fail) {
            (Some(limit), Some(fail)) if fail <= limit => None,
            (limit, _) => limit,
        }
    }

    fn stop(&mut self, end: SearchEnd) {
        self.current = None;
        self.end = Some(end);
    }

    /// The search so far; final once `end` is set.
    pub fn result(&self) -> SearchResult {
        SearchResult {
            saturation_rps: self.highest_pass,
            first_failing_rps: self.lowest_fail,
            generator_limit_rps: self.bounding_generator_limit(),
            end: self.end,
            steps: self.steps,
        }
    }
}

/// Goose users to start for a step: enough that a server answering within the SLO never finds
/// them all busy (Little's law, rate × SLO p99, doubled for bursts), so any queueing the
/// generator adds shows up as schedule lag rather than as a hidden cap on the rate.
pub fn users_for(rate_rps: f64, slo: &Slo) -> usize {
    let needed = (rate_rps * slo.p99.as_secs_f64() * 2.0).ceil();
    (needed as usize).max(1)
}

/// Durations as fractional milliseconds in reports.
pub(crate) mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(
        value: &Duration,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(value.as_secs_f64() * 1000.0)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Duration, D::Error> {
        let ms = f64::deserialize(deserializer)?;
        Duration::try_from_secs_f64(ms / 1000.0).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn histogram_of(samples: &[(u64, u64)]) -> Histogram<u64> {
        let mut histogram = micros_histogram();
        for &(micros, count) in samples {
            histogram.record_n(micros, count).unwrap();
        }
        histogram
    }

    /// 1000 rps for 10 s, all answered in 2 ms, one error, an idle generator.
    fn healthy_step() -> StepMeasurement {
        StepMeasurement {
            offered_rps: 1000.0,
            duration: Duration::from_secs(10),
            planned: 10_000,
            sent: 10_000,
            ok: 9_999,
            errors: 1,
            latency: histogram_of(&[(2_000, 10_000)]),
            schedule_lag: histogram_of(&[(50, 10_000)]),
            service: histogram_of(&[(1_950, 10_000)]),
            generator_cpu_cores: 0.3,
            server_cpu_cores: None,
            available_cpus: 2,
            generators: Vec::new(),
        }
    }

    fn limits() -> GeneratorLimits {
        GeneratorLimits::new(&Slo::default(), 1.0)
    }

    fn judged(step: &StepMeasurement) -> Verdict {
        judge(step, &Slo::default(), &limits())
    }

    #[test]
    fn healthy_step_passes() {
        assert_eq!(judged(&healthy_step()), Verdict::Pass);
    }

    #[test]
    fn p99_at_the_slo_fails() {
        // 98.9 % fast, 1.1 % at exactly 50 ms: p99 lands on the SLO, which is not below it.
        let mut step = healthy_step();
        step.latency = histogram_of(&[(2_000, 9_890), (50_000, 110)]);
        step.service = step.latency.clone();
        let Verdict::Fail(reasons) = judged(&step) else {
            panic!("expected a fail, got {:?}", judged(&step));
        };
        assert_eq!(reasons.len(), 1, "{reasons:?}");
        assert!(reasons[0].starts_with("p99 50.0 ms"), "{reasons:?}");
    }

    #[test]
    fn slow_tail_under_one_percent_passes() {
        let mut step = healthy_step();
        step.latency = histogram_of(&[(2_000, 9_910), (400_000, 90)]);
        assert_eq!(judged(&step), Verdict::Pass);
    }

    #[test]
    fn errors_above_a_tenth_of_a_percent_fail() {
        let mut step = healthy_step();
        step.ok = 9_988;
        step.errors = 12;
        assert_eq!(
            judged(&step),
            Verdict::Fail(vec!["error ratio 0.120 % > 0.100 %".to_owned()])
        );
        step.ok = 9_990;
        step.errors = 10;
        assert_eq!(judged(&step), Verdict::Pass, "exactly 0.1 % is allowed");
    }

    #[test]
    fn achieved_rate_below_99_percent_fails() {
        // Everything was sent on time, but 2 % never completed within the step.
        let mut step = healthy_step();
        step.ok = 9_800;
        step.errors = 0;
        assert_eq!(
            judged(&step),
            Verdict::Fail(vec![
                "achieved 980.0 rps < 99 % of offered 1000.0 rps".to_owned()
            ])
        );
    }

    #[test]
    fn several_broken_rules_are_all_reported() {
        let mut step = healthy_step();
        step.latency = histogram_of(&[(80_000, 10_000)]);
        step.service = step.latency.clone();
        step.ok = 9_000;
        step.errors = 500;
        let Verdict::Fail(reasons) = judged(&step) else {
            panic!("expected a fail");
        };
        assert_eq!(reasons.len(), 3, "{reasons:?}");
    }

    #[test]
    fn lag_with_busy_generator_cpu_is_invalid() {
        let mut step = healthy_step();
        step.schedule_lag = histogram_of(&[(40_000, 10_000)]);
        step.latency = histogram_of(&[(60_000, 10_000)]);
        step.service = histogram_of(&[(60_000, 10_000)]);
        step.generator_cpu_cores = 0.95;
        let Verdict::Invalid(reason) = judged(&step) else {
            panic!("expected invalid, got {:?}", judged(&step));
        };
        assert_eq!(
            reason,
            "generator-bound: schedule lag p99 40.0 ms > 25.0 ms while generator CPU 0.95 of 1.00 cores"
        );
    }

    #[test]
    fn lag_while_the_server_answers_in_time_is_invalid() {
        // An idle CPU but a prompt server: the requests waited inside the generator.
        let mut step = healthy_step();
        step.schedule_lag = histogram_of(&[(30_000, 10_000)]);
        step.latency = histogram_of(&[(33_000, 10_000)]);
        let verdict = judged(&step);
        assert!(
            matches!(&verdict, Verdict::Invalid(reason) if reason.contains("service time p99")),
            "{verdict:?}"
        );
    }

    #[test]
    fn too_few_sent_with_busy_generator_is_invalid() {
        let mut step = healthy_step();
        step.sent = 9_000;
        step.ok = 9_000;
        step.errors = 0;
        step.generator_cpu_cores = 0.92;
        let verdict = judged(&step);
        assert_eq!(
            verdict,
            Verdict::Invalid(
                "generator-bound: sent 9000 of 10000 planned requests while generator CPU 0.92 of 1.00 cores"
                    .to_owned()
            )
        );
    }

    #[test]
    fn lag_caused_by_a_slow_server_is_a_fail_not_invalid() {
        // Every user was waiting on the server: lag, a slow service time and an idle generator.
        let mut step = healthy_step();
        step.schedule_lag = histogram_of(&[(200_000, 10_000)]);
        step.service = histogram_of(&[(300_000, 10_000)]);
        step.latency = histogram_of(&[(500_000, 10_000)]);
        step.sent = 9_500;
        step.ok = 9_400;
        step.errors = 0;
        step.generator_cpu_cores = 0.2;
        let verdict = judged(&step);
        assert!(
            matches!(&verdict, Verdict::Fail(reasons) if reasons.len() == 2),
            "{verdict:?}"
        );
    }

    #[test]
    fn a_step_with_nothing_planned_is_invalid() {
        let mut step = healthy_step();
        step.planned = 0;
        assert!(matches!(judged(&step), Verdict::Invalid(_)));
    }

    fn run(planner: &mut Planner, capacity: f64) -> Vec<f64> {
        run_generator_bound(planner, f64::INFINITY, capacity)
    }

    /// Converged with the capacity between the last pass and the first fail, within 5 %.
    fn assert_converged_around(result: SearchResult, capacity: f64) {
        assert_eq!(result.end, Some(SearchEnd::Converged), "{result:?}");
        let (pass, fail) = (
            result.saturation_rps.unwrap(),
            result.first_failing_rps.unwrap(),
        );
        assert!(
            pass <= capacity && fail > capacity && fail / pass <= 1.05,
            "{result:?}"
        );
    }

    #[test]
    fn search_grows_geometrically_then_bisects() {
        let mut planner = Planner::new(PlannerConfig::default());
        let rates = run(&mut planner, 1000.0);
        assert_eq!(
            rates,
            [
                100.0, 200.0, 400.0, 800.0, 1600.0, 1131.0, 951.0, 1037.0, 993.0
            ]
        );
        let result = planner.result();
        assert_eq!(result.saturation_rps, Some(993.0));
        assert_eq!(result.first_failing_rps, Some(1037.0));
        assert_eq!(
            result.end,
            Some(SearchEnd::Converged),
            "1037 / 993 is within 5 %"
        );
        assert_eq!(result.steps, rates.len());
    }

    #[test]
    fn search_stops_at_the_step_budget() {
        let mut planner = Planner::new(PlannerConfig {
            max_steps: 4,
            ..PlannerConfig::default()
        });
        let rates = run(&mut planner, f64::INFINITY);
        assert_eq!(rates, [100.0, 200.0, 400.0, 800.0]);
        assert_eq!(planner.result().end, Some(SearchEnd::MaxSteps));
        assert_eq!(planner.result().saturation_rps, Some(800.0));
    }

    #[test]
    fn search_steps_down_when_the_start_rate_fails() {
        let mut planner = Planner::new(PlannerConfig::default());
        let rates = run(&mut planner, 30.0);
        assert_eq!(&rates[..3], [100.0, 50.0, 25.0]);
        assert_converged_around(planner.result(), 30.0);
    }

    #[test]
    fn search_gives_up_below_the_minimum_rate() {
        let mut planner = Planner::new(PlannerConfig::default());
        run(&mut planner, 0.0);
        let result = planner.result();
        assert_eq!(result.end, Some(SearchEnd::NothingPassed));
        assert_eq!(result.saturation_rps, None);
        assert_eq!(
            result.first_failing_rps,
            Some(1.0),
            "1 rps was the last try"
        );
    }

    #[test]
    fn search_terminates_for_any_capacity() {
        for capacity in [0.5, 1.0, 99.0, 100.0, 101.0, 777.0, 12_345.0, 1e9] {
            let mut planner = Planner::new(PlannerConfig::default());
            let rates = run(&mut planner, capacity);
            assert!(rates.len() <= 20, "capacity {capacity}: {rates:?}");
            assert!(planner.result().end.is_some(), "capacity {capacity}");
        }
    }

    #[test]
    fn an_invalid_step_is_rerun_once_at_the_same_rate() {
        let mut planner = Planner::new(PlannerConfig::default());
        planner.record(&Verdict::Pass);
        assert_eq!(planner.next_rate(), Some(200.0));
        planner.record(&Verdict::Invalid("lag".to_owned()));
        assert_eq!(planner.next_rate(), Some(200.0), "re-run at the same rate");
        planner.record(&Verdict::Pass);
        assert_eq!(planner.next_rate(), Some(400.0), "a good re-run carries on");
        assert_eq!(
            planner.result().generator_limit_rps,
            None,
            "a rate invalid once may have been a passing hiccup"
        );
        planner.record(&Verdict::Invalid("lag".to_owned()));
        planner.record(&Verdict::Invalid("lag".to_owned()));
        assert_eq!(
            planner.next_rate(),
            Some(283.0),
            "invalid twice: bisect below the rate the generator cannot drive"
        );
        assert_eq!(planner.result().end, None);
        assert_eq!(planner.result().generator_limit_rps, Some(400.0));
    }

    /// A server faster than the generator: every rate above `limit` is invalid.
    fn run_generator_bound(planner: &mut Planner, limit: f64, capacity: f64) -> Vec<f64> {
        let mut rates = Vec::new();
        while let Some(rate) = planner.next_rate() {
            rates.push(rate);
            let verdict = if rate > limit {
                Verdict::Invalid("lag".to_owned())
            } else if rate <= capacity {
                Verdict::Pass
            } else {
                Verdict::Fail(vec!["p99".to_owned()])
            };
            planner.record(&verdict);
        }
        rates
    }

    #[test]
    fn a_rate_the_generator_cannot_drive_bounds_the_bisection() {
        let mut planner = Planner::new(PlannerConfig::default());
        let rates = run_generator_bound(&mut planner, 1000.0, f64::INFINITY);
        assert_eq!(
            rates,
            [
                100.0, 200.0, 400.0, 800.0, 1600.0, 1600.0, 1131.0, 1131.0, 951.0, 1037.0, 1037.0,
                993.0
            ]
        );
        let result = planner.result();
        assert_eq!(result.saturation_rps, Some(993.0));
        assert_eq!(result.first_failing_rps, None, "nothing failed");
        assert_eq!(
            result.end,
            Some(SearchEnd::GeneratorBound { rps: 1037.0 }),
            "a lower bound, within 5 % of what the generator can drive"
        );
    }

    #[test]
    fn a_real_failure_below_the_generator_limit_is_a_converged_search() {
        let mut planner = Planner::new(PlannerConfig::default());
        run_generator_bound(&mut planner, 1500.0, 1000.0);
        assert_converged_around(planner.result(), 1000.0);
        assert_eq!(
            planner.result().generator_limit_rps,
            None,
            "a real failure below the generator's limit bounds the search instead"
        );
    }

    /// A budget that runs out among invalid steps still says what bounded the figure.
    #[test]
    fn a_search_out_of_steps_keeps_the_rate_the_generator_could_not_drive() {
        let mut planner = Planner::new(PlannerConfig {
            max_steps: 10,
            ..PlannerConfig::default()
        });
        run_generator_bound(&mut planner, 1000.0, f64::INFINITY);
        let result = planner.result();
        assert_eq!(result.end, Some(SearchEnd::MaxSteps));
        assert_eq!(result.saturation_rps, Some(951.0));
        assert_eq!(result.generator_limit_rps, Some(1131.0));
    }

    #[test]
    fn a_generator_that_drives_nothing_ends_generator_bound_with_no_saturation() {
        let mut planner = Planner::new(PlannerConfig::default());
        run_generator_bound(&mut planner, 0.0, f64::INFINITY);
        let result = planner.result();
        assert_eq!(result.saturation_rps, None);
        assert!(
            matches!(result.end, Some(SearchEnd::GeneratorBound { .. })),
            "{result:?}"
        );
    }

    #[test]
    fn users_cover_rate_times_slo_twice() {
        assert_eq!(users_for(1000.0, &Slo::default()), 100);
        assert_eq!(users_for(1.0, &Slo::default()), 1);
    }
}
