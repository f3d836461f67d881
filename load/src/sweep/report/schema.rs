//! What `sweep.json` holds, and how a finished search becomes it.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::sweep::generators::GeneratorFigures;
use crate::sweep::logic::{SearchEnd, SearchResult, Slo, StepMeasurement, Verdict};

/// Version of the `sweep.json` layout; raised on any change readers would notice.
///
/// 2: the server's CPU per step (`server_cpu_cores`, `server_cpu_us_per_request`) and
/// `environment.server_cpu`, present when the sweep metered the server's process; and
/// `generator_limit_rps`, present when the generator bounded the search.
/// 3: `generators` per step (each generator process's CPU, lag p99, planned and sent),
/// present when several drove the step (`--generators`).
pub const SCHEMA_VERSION: u32 = 3;

/// The server under load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    /// Short name, as the target file or the command line gives it.
    pub name: String,
    /// Its issuer identifier.
    pub issuer: String,
}

/// How requests reach the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Connection {
    /// Connections are reused between requests.
    #[serde(rename = "keep-alive")]
    KeepAlive,
    /// Every request opens its own connection.
    #[serde(rename = "new connection per request")]
    NewPerRequest,
}

impl Connection {
    pub(super) fn label(self) -> &'static str {
        match self {
            Self::KeepAlive => "keep-alive",
            Self::NewPerRequest => "new connection per request",
        }
    }
}

/// What the saturation figure depends on besides the server's code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Environment {
    /// Cores of the machine; the per-vCPU figure divides by these.
    pub available_cpus: usize,
    /// How client secrets are checked (e.g. "argon2id, m=19456 KiB, t=2").
    pub secret_hashing: String,
    /// What access tokens are (e.g. "opaque, 32 random bytes").
    pub token_format: String,
    /// Where grants and tokens live (e.g. "SQLite, WAL, file on local disk").
    pub storage: String,
    /// Keep-alive or a new connection per request.
    pub connection: Connection,
    /// Where the generator ran and what it shared (e.g. "same machine as the server").
    pub generator_note: String,
    /// How the server's CPU was metered, when it was.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub server_cpu: Option<String>,
}

/// One step as reports show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepReport {
    /// Requests per second offered.
    pub offered_rps: f64,
    /// Requests per second completed.
    pub achieved_rps: f64,
    /// Latency percentiles from the intended send time, in milliseconds.
    pub p50_ms: f64,
    #[allow(missing_docs)]
    pub p90_ms: f64,
    #[allow(missing_docs)]
    pub p99_ms: f64,
    #[allow(missing_docs)]
    pub max_ms: f64,
    /// Errors over completed requests.
    pub error_ratio: f64,
    /// Requests planned by the schedule.
    pub planned: u64,
    /// Requests the generator started.
    pub sent: u64,
    /// The generator's CPU use in cores.
    pub generator_cpu_cores: f64,
    /// The server's CPU use in cores, when its process was metered.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub server_cpu_cores: Option<f64>,
    /// The server's CPU time per completed request, in µs: what a request costs the server
    /// whatever the generator's share of the machine.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub server_cpu_us_per_request: Option<f64>,
    /// Schedule lag p99 in milliseconds.
    pub lag_p99_ms: f64,
    /// `pass`, `fail` or `invalid`.
    pub verdict: String,
    /// Why the step did not pass.
    pub reasons: Vec<String>,
    /// Goose's report for this step, relative to the sweep's directory.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub goose_report: Option<String>,
    /// Each generator process's CPU and schedule lag, when several drove the step.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub generators: Vec<GeneratorFigures>,
}

fn quantile_ms(histogram: &hdrhistogram::Histogram<u64>, quantile: f64) -> f64 {
    if histogram.is_empty() {
        0.0
    } else {
        histogram.value_at_quantile(quantile) as f64 / 1000.0
    }
}

impl StepReport {
    /// The report of a measured and judged step.
    pub fn new(step: &StepMeasurement, verdict: &Verdict, goose_report: Option<String>) -> Self {
        let achieved_rps = step.achieved_rps();
        Self {
            offered_rps: step.offered_rps,
            achieved_rps,
            p50_ms: quantile_ms(&step.latency, 0.50),
            p90_ms: quantile_ms(&step.latency, 0.90),
            p99_ms: quantile_ms(&step.latency, 0.99),
            max_ms: if step.latency.is_empty() {
                0.0
            } else {
                step.latency.max() as f64 / 1000.0
            },
            error_ratio: step.error_ratio(),
            planned: step.planned,
            sent: step.sent,
            generator_cpu_cores: step.generator_cpu_cores,
            server_cpu_cores: step.server_cpu_cores,
            server_cpu_us_per_request: step
                .server_cpu_cores
                .filter(|_| achieved_rps > 0.0)
                .map(|cores| cores * 1e6 / achieved_rps),
            lag_p99_ms: quantile_ms(&step.schedule_lag, 0.99),
            verdict: verdict.label().to_owned(),
            reasons: verdict.reasons(),
            goose_report,
            generators: step.generators.clone(),
        }
    }

    pub(super) fn is_invalid(&self) -> bool {
        self.verdict == "invalid"
    }
}

/// A whole sweep, as `sweep.json` holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sweep {
    /// [`SCHEMA_VERSION`] when written.
    pub schema_version: u32,
    /// The scenario that was run, e.g. `client_credentials`.
    pub scenario: String,
    #[allow(missing_docs)]
    pub target: Target,
    /// When the first step started, RFC 3339 in UTC.
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    #[allow(missing_docs)]
    pub slo: Slo,
    #[allow(missing_docs)]
    pub environment: Environment,
    /// Steps in the order they ran.
    pub steps: Vec<StepReport>,
    /// Why the search stopped.
    pub search_end: Option<SearchEnd>,
    /// The highest offered rate that passed: the saturation rate when a step failed above it
    /// and the generator did not bound the search, otherwise only a lower bound for it.
    pub saturation_rps: Option<f64>,
    /// The lowest rate the generator could not drive, where it bounded the search: the
    /// saturation rate is then a lower bound.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub generator_limit_rps: Option<f64>,
    /// The saturation rate over the machine's cores.
    pub saturation_per_vcpu: Option<f64>,
    /// p99 of a passing step run at half the saturation rate (within 5 %), if one was.
    pub p99_at_half_saturation_ms: Option<f64>,
}

impl Sweep {
    /// Puts a finished search together with what it ran on.
    pub fn new(
        scenario: &str,
        target: Target,
        started_at: OffsetDateTime,
        slo: Slo,
        environment: Environment,
        steps: Vec<StepReport>,
        result: &SearchResult,
    ) -> Self {
        let saturation_per_vcpu = result
            .saturation_rps
            .filter(|_| environment.available_cpus > 0)
            .map(|rps| rps / environment.available_cpus as f64);
        let mut sweep = Self {
            schema_version: SCHEMA_VERSION,
            scenario: scenario.to_owned(),
            target,
            started_at: started_at.to_offset(time::UtcOffset::UTC),
            slo,
            environment,
            steps,
            search_end: result.end,
            saturation_rps: result.saturation_rps,
            generator_limit_rps: result.generator_limit_rps,
            saturation_per_vcpu,
            p99_at_half_saturation_ms: None,
        };
        sweep.p99_at_half_saturation_ms = sweep.p99_near(0.5);
        sweep
    }

    /// The rate to run a confirming step at to learn p99 at half the saturation rate.
    pub fn half_saturation_rps(&self) -> Option<f64> {
        self.saturation_rps.map(|rps| (rps / 2.0).round().max(1.0))
    }

    fn p99_near(&self, fraction: f64) -> Option<f64> {
        let wanted = self.saturation_rps? * fraction;
        self.steps
            .iter()
            .filter(|step| step.verdict == "pass")
            .filter(|step| (step.offered_rps - wanted).abs() <= 0.05 * wanted)
            .min_by(|a, b| {
                let distance = |step: &StepReport| (step.offered_rps - wanted).abs();
                distance(a).total_cmp(&distance(b))
            })
            .map(|step| step.p99_ms)
    }

    /// Adds a step run after the search (such as one at half the saturation rate) and updates
    /// the figures that depend on it.
    pub fn push_step(&mut self, step: StepReport) {
        self.steps.push(step);
        self.p99_at_half_saturation_ms = self.p99_near(0.5);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::sweep::report::fixtures::fixed_sweep;

    #[test]
    fn sweep_figures_follow_the_search() {
        let sweep = fixed_sweep();
        assert_eq!(sweep.saturation_per_vcpu, Some(616.5));
        assert_eq!(sweep.half_saturation_rps(), Some(617.0));
        assert_eq!(
            sweep.p99_at_half_saturation_ms,
            Some(2.6),
            "the 616 rps step is within 5 %"
        );
    }

    #[test]
    fn step_report_reads_the_measurement() {
        let mut latency = crate::sweep::micros_histogram();
        latency.record_n(1_000, 98).unwrap();
        latency.record_n(20_000, 2).unwrap();
        let measurement = StepMeasurement {
            offered_rps: 10.0,
            duration: Duration::from_secs(10),
            planned: 100,
            sent: 100,
            ok: 99,
            errors: 1,
            schedule_lag: crate::sweep::micros_histogram(),
            service: latency.clone(),
            latency,
            generator_cpu_cores: 0.1,
            server_cpu_cores: Some(0.005),
            available_cpus: 2,
            generators: Vec::new(),
        };
        let verdict = Verdict::Fail(vec!["error ratio 1.000 % > 0.100 %".to_owned()]);
        let report = StepReport::new(&measurement, &verdict, None);
        assert_eq!(report.server_cpu_cores, Some(0.005));
        assert_eq!(
            report.server_cpu_us_per_request,
            Some(500.0),
            "5 ms of CPU a second over 10 requests a second"
        );
        assert_eq!(report.achieved_rps, 10.0);
        assert_eq!(report.p50_ms, 1.0);
        assert!((report.p99_ms - 20.0).abs() < 0.02, "{}", report.p99_ms);
        assert_eq!(report.error_ratio, 0.01);
        assert_eq!(report.lag_p99_ms, 0.0);
        assert_eq!((report.verdict.as_str(), report.reasons.len()), ("fail", 1));
    }
}
