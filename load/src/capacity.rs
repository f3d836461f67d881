//! `load sweep`: the open-model capacity search, one goose attack per step (see
//! [`crate::generator`] for how a step runs, in this process or in several generator
//! processes), judged and reported by [`crate::sweep`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use time::OffsetDateTime;

use crate::cli::SweepArgs;
use crate::environment::Environment;
use crate::generator::{StepPlan, drive_step, generator_folder, run_step};
use crate::goose_report::{Origin, annotate};
use crate::run::{report_folder, write_facts};
use crate::sweep::{
    Connection, GeneratorLimits, Planner, PlannerConfig, Slo, StepReport, Sweep, Target, Verdict,
    available_cpus, judge, users_for, write_reports,
};

/// What a sweep did.
#[derive(Debug)]
pub struct SweepOutcome {
    pub report_dir: PathBuf,
    pub headline: String,
    /// Some step passed: the sweep measured the server at some rate (exit status 0).
    pub a_step_passed: bool,
    pub sweep: Sweep,
    pub teardown_problems: Vec<String>,
}

pub async fn sweep(args: SweepArgs) -> Result<SweepOutcome, String> {
    if !(args.slo_p99_ms > 0.0 && args.step_seconds >= 0.5 && args.start_rps >= 1.0) {
        return Err(
            "--slo-p99-ms must be positive, --step-seconds at least 0.5, --start-rps at least 1"
                .to_owned(),
        );
    }
    let scenario = args.target.scenario;
    let dir = report_folder(&args.target.report_dir, &format!("sweep-{scenario}"))?;
    let mut target_args = args.target.clone();
    target_args.request_timeout = Some(request_timeout(args.slo_p99_ms));
    let server_cpu = server_cpu_note(args.target.target.is_none(), args.server_pid)?;
    let environment = Environment::prepare(&target_args, scenario.needs()).await?;
    let result = search(&environment, &args, &dir, server_cpu).await;
    let teardown_problems = environment.teardown().await;
    let sweep = result?;
    Ok(SweepOutcome {
        headline: headline(&sweep),
        a_step_passed: sweep.saturation_rps.is_some(),
        report_dir: dir,
        sweep,
        teardown_problems,
    })
}

/// A request slower than this counts as an error rather than holding the step open: long
/// past any SLO worth sweeping for.
fn request_timeout(slo_p99_ms: f64) -> Duration {
    Duration::from_secs_f64((slo_p99_ms * 40.0 / 1000.0).max(2.0))
}

async fn search(
    environment: &Environment,
    args: &SweepArgs,
    dir: &Path,
    server_cpu: Option<String>,
) -> Result<Sweep, String> {
    let fixture = &environment.fixture;
    write_facts(dir, &environment.facts)?;
    let slo = Slo {
        p99: Duration::from_secs_f64(args.slo_p99_ms / 1000.0),
        ..Slo::default()
    };
    let cpus = available_cpus();
    let (cpu_share, generator_note) = generator_share(environment, cpus);
    let limits = GeneratorLimits::new(&slo, cpu_share);
    let mut planner = Planner::new(PlannerConfig {
        start_rps: args.start_rps,
        max_steps: args.max_steps,
        ..PlannerConfig::default()
    });
    let started_at = OffsetDateTime::now_utc();
    let mut steps = Vec::new();
    let mut interrupted = false;
    if args.generators.is_some() {
        // Ctrl-C reaches the generator processes too, whose goose ends the step and reports
        // it interrupted; this process must outlive them to write the reports and clean up.
        tokio::spawn(async {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("load: interrupted; the generators are ending their step");
            }
        });
    }
    while let Some(rate) = planner.next_rate() {
        if rate > args.max_rps {
            eprintln!("load: the next step would offer {rate} rps, over --max-rps; stopping");
            break;
        }
        let (report, verdict, stopped) =
            measured_step(environment, args, dir, steps.len() + 1, rate, &slo, &limits).await?;
        steps.push(report);
        if stopped {
            interrupted = true;
            break;
        }
        planner.record(&verdict);
    }
    let environment_record = crate::sweep::Environment {
        available_cpus: cpus,
        secret_hashing: environment.facts.secret_hashing.clone(),
        token_format: environment.facts.token_format.clone(),
        storage: environment.facts.storage.clone(),
        connection: if fixture.new_connection {
            Connection::NewPerRequest
        } else {
            Connection::KeepAlive
        },
        generator_note,
        server_cpu,
    };
    let mut sweep = Sweep::new(
        args.target.scenario.as_str(),
        Target {
            name: fixture.target_name.clone(),
            issuer: fixture.endpoints.issuer.clone(),
        },
        started_at,
        slo,
        environment_record,
        steps,
        &planner.result(),
    );
    // p99 at half the saturation rate, unless a step already ran there.
    if let (false, None, Some(half)) = (
        interrupted,
        sweep.p99_at_half_saturation_ms,
        sweep.half_saturation_rps(),
    ) {
        let (report, _, _) = measured_step(
            environment,
            args,
            dir,
            sweep.steps.len() + 1,
            half,
            &slo,
            &limits,
        )
        .await?;
        sweep.push_step(report);
    }
    write_reports(&sweep, dir).map_err(|e| format!("writing the sweep reports: {e}"))?;
    if interrupted {
        return Err(format!(
            "interrupted; the steps so far are in {}",
            dir.display()
        ));
    }
    Ok(sweep)
}

/// The cores the generator may use before a step counts as generator-bound, and a note on it.
fn generator_share(environment: &Environment, cpus: usize) -> (f64, String) {
    if environment.is_embedded() {
        (
            cpus as f64,
            "the reference server runs inside the generator's process: the CPU figure is both together"
                .to_owned(),
        )
    } else if is_loopback(&environment.fixture.origin) {
        (
            (cpus as f64 / 2.0).max(1.0),
            "same machine as the server (loopback): the generator is allowed half the vCPUs"
                .to_owned(),
        )
    } else {
        (
            cpus as f64,
            "the generator has this machine to itself".to_owned(),
        )
    }
}

/// What the reports say of the server's CPU figures; refuses a process whose CPU time cannot
/// be read, and the embedded server, whose CPU is the generator's own.
fn server_cpu_note(embedded: bool, pid: Option<u32>) -> Result<Option<String>, String> {
    let Some(pid) = pid else {
        return Ok(None);
    };
    if embedded {
        return Err(
            "--server-pid: the embedded server runs in this process; give a --target to meter a server of its own"
                .to_owned(),
        );
    }
    if crate::sweep::cpu_time_of(pid).is_none() {
        return Err(format!(
            "--server-pid {pid}: no CPU time readable at /proc/{pid}/stat (no such process here?)"
        ));
    }
    Ok(Some(format!(
        "process {pid} on this machine, read from /proc at each step's start and end"
    )))
}

fn is_loopback(origin: &str) -> bool {
    url::Url::parse(origin)
        .ok()
        .and_then(|u| match u.host() {
            Some(url::Host::Ipv4(ip)) => Some(ip.is_loopback()),
            Some(url::Host::Ipv6(ip)) => Some(ip.is_loopback()),
            Some(url::Host::Domain(name)) => Some(name == "localhost"),
            None => None,
        })
        .unwrap_or(false)
}

/// Runs, judges and reports one step; the flag says the run was interrupted (Ctrl-C).
async fn measured_step(
    environment: &Environment,
    args: &SweepArgs,
    dir: &Path,
    index: usize,
    rate: f64,
    slo: &Slo,
    limits: &GeneratorLimits,
) -> Result<(StepReport, Verdict, bool), String> {
    let users = users_for(rate, slo).clamp(1, args.max_users.max(1));
    let folder = format!("step-{index:02}-{rate}rps");
    let step_dir = dir.join(&folder);
    std::fs::create_dir_all(&step_dir)
        .map_err(|e| format!("creating {}: {e}", step_dir.display()))?;
    let plan = StepPlan {
        scenario: args.target.scenario,
        rate_rps: rate,
        duration: Duration::from_secs_f64(args.step_seconds),
        users,
        server_pid: args.server_pid,
        goose_reports: args.goose_metrics.then(|| step_dir.clone()),
    };
    let (measurement, interrupted) = match args.generators {
        None => run_step(&environment.fixture, &plan).await?,
        Some(generators) => {
            let exe = match &args.generator_exe {
                Some(exe) => exe.clone(),
                None => std::env::current_exe()
                    .map_err(|e| format!("finding the load binary for --generators: {e}"))?,
            };
            drive_step(&exe, &environment.fixture, &plan, usize::from(generators)).await?
        }
    };
    let verdict = judge(&measurement, slo, limits);
    // Goose's own report, when it kept metrics: one per generator process.
    let goose_pages: Vec<(String, &str)> = match (args.goose_metrics, args.generators) {
        (false, _) => Vec::new(),
        (true, None) => vec![(format!("{folder}/report.html"), "../sweep.html")],
        (true, Some(n)) => (0..usize::from(n))
            .map(|i| {
                (
                    format!("{folder}/{}/report.html", generator_folder(i)),
                    "../../sweep.html",
                )
            })
            .collect(),
    };
    for (page, sweep_page) in &goose_pages {
        let path = dir.join(page);
        if let Err(e) = annotate(&path, Origin::SweepStep { sweep_page }) {
            eprintln!(
                "load: {}: adding the note on its graphs: {e}",
                path.display()
            );
        }
    }
    let report = StepReport::new(
        &measurement,
        &verdict,
        goose_pages.into_iter().next().map(|(page, _)| page),
    );
    eprintln!(
        "load: step {index}: offered {rate} rps, {users} users: achieved {:.1} rps, p99 {:.2} ms, errors {:.3} %, lag p99 {:.2} ms, generator {:.2} cores{}{}{}: {}{}",
        report.achieved_rps,
        report.p99_ms,
        report.error_ratio * 100.0,
        report.lag_p99_ms,
        report.generator_cpu_cores,
        if report.achieved_rps > 0.0 {
            format!(
                " ({:.1} µs per request)",
                report.generator_cpu_cores * 1e6 / report.achieved_rps
            )
        } else {
            String::new()
        },
        report
            .generators
            .iter()
            .enumerate()
            .map(|(i, g)| format!(
                "{}#{} {:.2} cores, lag p99 {:.2} ms",
                if i == 0 { " [" } else { "; " },
                i + 1,
                g.cpu_cores,
                g.lag_p99_ms
            ))
            .chain((!report.generators.is_empty()).then(|| "]".to_owned()))
            .collect::<String>(),
        match (report.server_cpu_cores, report.server_cpu_us_per_request) {
            (Some(cores), Some(per_request)) =>
                format!(", server {cores:.2} cores ({per_request:.0} µs per request)"),
            (Some(cores), None) => format!(", server {cores:.2} cores"),
            _ => String::new(),
        },
        report.verdict,
        if report.reasons.is_empty() {
            String::new()
        } else {
            format!(" ({})", report.reasons.join("; "))
        }
    );
    Ok((report, verdict, interrupted))
}

/// The line `load sweep` ends with: the sentence its reports lead with, and p99 at half the
/// highest passing rate.
fn headline(sweep: &Sweep) -> String {
    let mut line = format!(
        "load: {} against {}, SLO p99 < {} ms. {}",
        sweep.scenario,
        sweep.target.name,
        sweep.slo.p99.as_secs_f64() * 1000.0,
        sweep.outcome_sentence()
    );
    if let Some(half) = sweep.half_rate_sentence() {
        line.push(' ');
        line.push_str(&half);
    }
    line
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::sweep::{Environment as Recorded, SearchEnd, SearchResult};

    fn passing_step(rate: f64) -> StepReport {
        StepReport {
            offered_rps: rate,
            achieved_rps: rate,
            p50_ms: 1.0,
            p90_ms: 2.0,
            p99_ms: 3.0,
            max_ms: 9.0,
            error_ratio: 0.0,
            planned: (rate * 10.0) as u64,
            sent: (rate * 10.0) as u64,
            generator_cpu_cores: 0.2,
            server_cpu_cores: None,
            server_cpu_us_per_request: None,
            lag_p99_ms: 0.05,
            verdict: "pass".to_owned(),
            reasons: Vec::new(),
            goose_report: None,
            generators: Vec::new(),
        }
    }

    /// The sweep: three steps, all passed, the budget spent.
    #[test]
    fn the_headline_of_an_all_pass_sweep_names_no_saturation_and_no_rust_value() {
        let sweep = Sweep::new(
            "healthz",
            Target {
                name: "reference-server".to_owned(),
                issuer: "http://127.0.0.1:8080".to_owned(),
            },
            datetime!(2026-11-23 20:11:13 UTC),
            Slo::default(),
            Recorded {
                available_cpus: 2,
                secret_hashing: "none".to_owned(),
                token_format: "none".to_owned(),
                storage: "none".to_owned(),
                connection: Connection::KeepAlive,
                generator_note: "same machine".to_owned(),
                server_cpu: None,
            },
            vec![
                passing_step(200.0),
                passing_step(400.0),
                passing_step(800.0),
            ],
            &SearchResult {
                saturation_rps: Some(800.0),
                first_failing_rps: None,
                generator_limit_rps: None,
                end: Some(SearchEnd::MaxSteps),
                steps: 3,
            },
        );

        let line = headline(&sweep);

        assert_eq!(
            line,
            "load: healthz against reference-server, SLO p99 < 50 ms. Saturation: not reached (step budget spent); highest rate that passed: 800 rps (400 rps per vCPU over 2 vCPUs). p99 at half the highest rate that passed: 3.00 ms."
        );
    }
}
