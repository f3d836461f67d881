//! Sweeps the report tests share.

use time::macros::datetime;

use super::{Connection, Environment, StepReport, Sweep, Target};
use crate::sweep::logic::{SearchEnd, SearchResult, Slo};

pub(super) fn step(
    offered: f64,
    achieved: f64,
    p99: f64,
    errors: f64,
    verdict: &str,
) -> StepReport {
    let reasons = match verdict {
        "fail" => vec![format!("p99 {p99:.1} ms ≥ SLO 50.0 ms")],
        "invalid" => vec!["generator-bound: schedule lag p99 40.0 ms > 25.0 ms while generator CPU 0.95 of 1.00 cores".to_owned()],
        _ => Vec::new(),
    };
    let invalid = verdict == "invalid";
    StepReport {
        offered_rps: offered,
        achieved_rps: achieved,
        p50_ms: p99 / 4.0,
        p90_ms: p99 / 2.0,
        p99_ms: p99,
        max_ms: p99 * 3.0,
        error_ratio: errors,
        planned: (offered * 10.0) as u64,
        sent: (offered * 10.0) as u64,
        generator_cpu_cores: if invalid { 0.95 } else { offered / 4000.0 },
        server_cpu_cores: None,
        server_cpu_us_per_request: None,
        lag_p99_ms: if invalid { 40.0 } else { 0.05 },
        verdict: verdict.to_owned(),
        reasons,
        goose_report: Some(format!("steps/{offered}/report.html")),
        generators: Vec::new(),
    }
}

pub(super) fn fixed_sweep() -> Sweep {
    let steps = vec![
        step(100.0, 100.0, 1.2, 0.0, "pass"),
        step(200.0, 200.0, 1.3, 0.0, "pass"),
        step(400.0, 399.9, 1.8, 0.0, "pass"),
        step(800.0, 799.5, 4.0, 0.0002, "pass"),
        step(1600.0, 1210.0, 950.0, 0.004, "fail"),
        step(1131.0, 1120.0, 48.0, 0.0, "invalid"),
        step(1131.0, 1130.0, 31.0, 0.0, "pass"),
        step(1345.0, 1300.0, 240.0, 0.0, "fail"),
        step(1233.0, 1232.0, 44.0, 0.0, "pass"),
        step(1288.0, 1280.0, 71.0, 0.0, "fail"),
        step(616.0, 616.0, 2.6, 0.0, "pass"),
    ];
    let result = SearchResult {
        saturation_rps: Some(1233.0),
        first_failing_rps: Some(1288.0),
        generator_limit_rps: None,
        end: Some(SearchEnd::Converged),
        steps: 10,
    };
    Sweep::new(
        "client_credentials",
        Target {
            name: "reference-server".to_owned(),
            issuer: "http://127.0.0.1:8080".to_owned(),
        },
        datetime!(2026-11-23 20:11:13 UTC),
        Slo::default(),
        Environment {
            available_cpus: 2,
            secret_hashing: "argon2id, m=19456 KiB, t=2, p=1".to_owned(),
            token_format: "opaque, 32 random bytes".to_owned(),
            storage: "SQLite (WAL) on local disk".to_owned(),
            connection: Connection::KeepAlive,
            generator_note: "same machine as the server".to_owned(),
            server_cpu: None,
        },
        steps,
        &result,
    )
}

/// The fixed sweep's target and environment around other steps and another search.
pub(super) fn sweep_of(
    steps: Vec<StepReport>,
    end: Option<SearchEnd>,
    generator_limit: Option<f64>,
) -> Sweep {
    let saturation_rps = steps
        .iter()
        .filter(|step| step.verdict == "pass")
        .map(|step| step.offered_rps)
        .max_by(f64::total_cmp);
    let result = SearchResult {
        saturation_rps,
        first_failing_rps: None,
        generator_limit_rps: generator_limit,
        end,
        steps: steps.len(),
    };
    let fixed = fixed_sweep();
    Sweep::new(
        "client_credentials",
        fixed.target,
        fixed.started_at,
        fixed.slo,
        fixed.environment,
        steps,
        &result,
    )
}
