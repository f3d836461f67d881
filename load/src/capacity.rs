//! `load sweep`: the open-model capacity search, one goose attack per step.
//!
//! In a step every scenario operation first takes its slot from the step's [`Pacer`] (the
//! intended send time, whatever the server is doing), sleeps until it is due, sends, and
//! records its latency from that intended time into the [`Recorder`]; goose keeps its own
//! metrics and reports beside. The pacer starts once every user has finished its setup, and
//! the step ends (goose's killswitch) when the last planned request has completed.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use goose::config::GooseConfiguration;
use goose::prelude::*;
use time::OffsetDateTime;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::cli::SweepArgs;
use crate::environment::Environment;
use crate::goose_report::{Origin, annotate};
use crate::run::{report_folder, write_facts};
use crate::scenarios::Persona;
use crate::sweep::{
    Connection, CpuMeter, GeneratorLimits, Outcome, Pacer, Planner, PlannerConfig, Recorder, Slo,
    StepMeasurement, StepReport, Sweep, Target, Verdict, available_cpus, judge, users_for,
    write_reports,
};

/// How long users may take over their setup before the schedule starts anyway.
const SETUP_LIMIT: Duration = Duration::from_secs(30);
/// Between the last user's setup and the first slot.
const SCHEDULE_DELAY: Duration = Duration::from_millis(50);

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
    let duration = Duration::from_secs_f64(args.step_seconds);
    let (measurement, interrupted) =
        run_step(environment, args, &step_dir, rate, duration, users).await?;
    let verdict = judge(&measurement, slo, limits);
    let goose_page = step_dir.join("report.html");
    if let Err(e) = annotate(
        &goose_page,
        Origin::SweepStep {
            sweep_page: "../sweep.html",
        },
    ) {
        eprintln!(
            "load: {}: adding the note on its graphs: {e}",
            goose_page.display()
        );
    }
    let report = StepReport::new(
        &measurement,
        &verdict,
        Some(format!("{folder}/report.html")),
    );
    eprintln!(
        "load: step {index}: offered {rate} rps, {users} users: achieved {:.1} rps, p99 {:.2} ms, errors {:.3} %, lag p99 {:.2} ms, generator {:.2} cores{}: {}{}",
        report.achieved_rps,
        report.p99_ms,
        report.error_ratio * 100.0,
        report.lag_p99_ms,
        report.generator_cpu_cores,
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

/// The shared state of one step: readiness, the schedule, the recording, the end.
struct Step {
    users: usize,
    rate: f64,
    duration: Duration,
    ready: AtomicUsize,
    ready_tx: watch::Sender<usize>,
    server_pid: Option<u32>,
    schedule: OnceLock<(Pacer, Meters)>,
    recorder: Mutex<Option<Recorder>>,
    completed: AtomicU64,
    cpu_cores: Mutex<Option<CpuReading>>,
    done_tx: watch::Sender<bool>,
    ended_by_schedule: AtomicBool,
}

impl Step {
    fn new(users: usize, rate: f64, duration: Duration, server_pid: Option<u32>) -> Self {
        let shards = 2 * available_cpus();
        Self {
            users,
            rate,
            duration,
            server_pid,
            ready: AtomicUsize::new(0),
            ready_tx: watch::channel(0).0,
            schedule: OnceLock::new(),
            recorder: Mutex::new(Some(Recorder::new(shards))),
            completed: AtomicU64::new(0),
            cpu_cores: Mutex::new(None),
            done_tx: watch::channel(false).0,
            ended_by_schedule: AtomicBool::new(false),
        }
    }

    fn user_ready(&self) {
        let ready = self.ready.fetch_add(1, Ordering::AcqRel) + 1;
        self.ready_tx.send_replace(ready);
    }

    /// The schedule, started once every user is ready (or the setup limit has passed).
    async fn pacer(&self) -> &Pacer {
        if let Some((pacer, _)) = self.schedule.get() {
            return pacer;
        }
        let mut ready = self.ready_tx.subscribe();
        let _ = tokio::time::timeout(SETUP_LIMIT, ready.wait_for(|n| *n >= self.users)).await;
        &self
            .schedule
            .get_or_init(|| {
                (
                    Pacer::new(self.rate, Instant::now() + SCHEDULE_DELAY, self.duration),
                    Meters {
                        generator: CpuMeter::start(),
                        server: self.server_pid.map(CpuMeter::start_for),
                    },
                )
            })
            .0
    }

    fn record(&self, intended: Instant, sent: Instant, done: Instant, outcome: Outcome) {
        if let Some(recorder) = self
            .recorder
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
        {
            recorder.record(intended, sent, done, outcome);
        }
        let planned = self.schedule.get().map_or(0, |(pacer, _)| pacer.planned());
        if self.completed.fetch_add(1, Ordering::AcqRel) + 1 == planned {
            self.end();
        }
    }

    /// The last planned request is in: note the CPU used and stop the attack.
    fn end(&self) {
        if let Some((_, meters)) = self.schedule.get() {
            *self
                .cpu_cores
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(meters.read());
        }
        self.ended_by_schedule.store(true, Ordering::Release);
        self.done_tx.send_replace(true);
        goose::trigger_killswitch("the step's schedule is complete");
    }

    /// A user with no slot left waits here for the step's end.
    async fn wait_end(&self) {
        let mut done = self.done_tx.subscribe();
        if *done.borrow() {
            // Goose is stopping users; don't spin until it reaches this one.
            tokio::time::sleep(Duration::from_millis(50)).await;
            return;
        }
        let _ = tokio::time::timeout(SETUP_LIMIT, done.wait_for(|d| *d)).await;
    }

    fn measurement(&self) -> Option<StepMeasurement> {
        let (pacer, meters) = self.schedule.get()?;
        let recorder = self
            .recorder
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()?;
        let cpu = self
            .cpu_cores
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .unwrap_or_else(|| meters.read());
        let mut measurement =
            recorder.finish(pacer, cpu.generator.unwrap_or(0.0), available_cpus());
        measurement.server_cpu_cores = cpu.server;
        Some(measurement)
    }
}

/// CPU meters started with a step's schedule: the generator's, and the server's when known.
struct Meters {
    generator: CpuMeter,
    server: Option<CpuMeter>,
}

#[derive(Debug, Clone, Copy)]
struct CpuReading {
    generator: Option<f64>,
    server: Option<f64>,
}

impl Meters {
    fn read(&self) -> CpuReading {
        CpuReading {
            generator: self.generator.cores(),
            server: self.server.as_ref().and_then(CpuMeter::cores),
        }
    }
}

fn paced_setup(step: &Arc<Step>, setup: TransactionFunction) -> TransactionFunction {
    let step = Arc::clone(step);
    Arc::new(move |user| {
        let step = Arc::clone(&step);
        let setup = Arc::clone(&setup);
        Box::pin(async move {
            let result = setup(user).await;
            step.user_ready();
            result
        })
    })
}

fn paced_operation(step: &Arc<Step>, operation: TransactionFunction) -> TransactionFunction {
    let step = Arc::clone(step);
    Arc::new(move |user| {
        let step = Arc::clone(&step);
        let operation = Arc::clone(&operation);
        Box::pin(async move {
            let pacer = step.pacer().await;
            let Some(intended) = pacer.next_slot() else {
                step.wait_end().await;
                return Ok(());
            };
            tokio::time::sleep_until(intended).await;
            let sent = Instant::now();
            let result = operation(user).await;
            let outcome = if result.is_ok() {
                Outcome::Ok
            } else {
                Outcome::Error
            };
            step.record(intended, sent, Instant::now(), outcome);
            result
        })
    })
}

/// One goose attack at `rate`; returns the measurement and whether Ctrl-C stopped it.
async fn run_step(
    environment: &Environment,
    args: &SweepArgs,
    step_dir: &Path,
    rate: f64,
    duration: Duration,
    users: usize,
) -> Result<(StepMeasurement, bool), String> {
    if goose::is_killswitch_triggered() {
        return Err("interrupted".to_owned());
    }
    let fixture = &environment.fixture;
    let step = Arc::new(Step::new(users, rate, duration, args.server_pid));
    // Generous: the step normally ends by the killswitch when its schedule is done.
    let run_time = (SETUP_LIMIT + duration + SETUP_LIMIT).as_secs();
    let html = step_dir.join("report.html").display().to_string();
    let json = step_dir.join("report.json").display().to_string();
    let options: Vec<String> = vec![
        "--host".into(),
        fixture.origin.clone(),
        "--users".into(),
        users.to_string(),
        "--increase-rate".into(),
        (users * 20).to_string(),
        "--run-time".into(),
        format!("{run_time}s"),
        "--report-file".into(),
        html,
        "--report-file".into(),
        json,
        "--no-telnet".into(),
        "--no-print-metrics".into(),
        "--quiet".into(),
    ];
    let configuration =
        GooseConfiguration::parse_args_default(&options).map_err(|e| format!("goose: {e}"))?;
    let mut attack =
        GooseAttack::initialize_with_config(configuration).map_err(|e| e.to_string())?;
    for persona in args.target.scenario.personas(fixture) {
        attack = attack.register_scenario(paced(persona, &step)?);
    }
    let outcome = attack.execute().await;
    let ended_by_schedule = step.ended_by_schedule.load(Ordering::Acquire);
    let interrupted = goose::is_killswitch_triggered() && !ended_by_schedule;
    if ended_by_schedule {
        goose::reset_killswitch();
    }
    match outcome {
        Ok(_) | Err(GooseError::ThresholdsFailed { .. }) => {}
        Err(e) => return Err(format!("goose: {e}")),
    }
    let measurement = step
        .measurement()
        .ok_or_else(|| "the step's schedule never started".to_owned())?;
    Ok((measurement, interrupted))
}

fn paced(persona: Persona, step: &Arc<Step>) -> Result<Scenario, String> {
    let mut persona = persona;
    persona.setup.function = paced_setup(step, persona.setup.function);
    persona
        .into_scenario(|operation| paced_operation(step, operation))
        .map_err(|e| e.to_string())
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
