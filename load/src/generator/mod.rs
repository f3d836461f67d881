//! One generator's part of a sweep step, and the protocol that lets several generator
//! processes drive a step together (`load sweep --generators N`).
//!
//! A step is one goose attack: every scenario operation takes its slot from the step's
//! [`Pacer`] (the intended send time), sleeps until it is due, sends, and records its latency
//! from that time into the [`Recorder`]. The pacer starts once every user has finished its
//! setup; the step ends (goose's killswitch) when the last planned request is in.
//!
//! Goose's own per-request metrics are off in a step unless `--goose-metrics` asks for them:
//! they duplicate what the recorder measures, and each request would otherwise build a metric
//! record, send it through goose's channel and aggregate it again. Goose still runs the users, their transactions, the
//! scenario weights and the end of the attack.
//!
//! With `--generators N` the sweep starts `N` child processes (`load generate`, one thread
//! each) per step; [`processes`] holds their protocol: each reads a job on stdin, sets its
//! users up, waits for the sweep's go, runs its schedule and sends back its part of the step,
//! histograms included.

mod processes;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use goose::config::GooseConfiguration;
use goose::prelude::*;
use tokio::sync::{oneshot, watch};
use tokio::time::Instant;

pub use processes::{GeneratorJob, READY, RESULT, drive_step, generate, generator_folder};

use crate::environment::Fixture;
use crate::scenarios::{Persona, ScenarioName};
use crate::sweep::{CpuMeter, Outcome, Pacer, Recorder, StepMeasurement, available_cpus};

/// How long users may take over their setup before the schedule starts anyway.
pub const SETUP_LIMIT: Duration = Duration::from_secs(30);
/// Between the last user's setup and the first slot.
const SCHEDULE_DELAY: Duration = Duration::from_millis(50);

/// One step as one generator runs it.
#[derive(Debug, Clone)]
pub struct StepPlan {
    pub scenario: ScenarioName,
    pub rate_rps: f64,
    pub duration: Duration,
    pub users: usize,
    pub server_pid: Option<u32>,
    /// Where goose writes its `report.html` and `report.json`; `None`: goose keeps no
    /// per-request metrics.
    pub goose_reports: Option<PathBuf>,
}

/// Holds the schedule back until the sweep says go: set once this generator's users are
/// ready, opened by the sweep when every generator's are.
struct StartGate {
    ready: Mutex<Option<oneshot::Sender<()>>>,
    go: watch::Receiver<bool>,
}

/// The shared state of one step: readiness, the schedule, the recording, the end.
struct Step {
    users: usize,
    rate: f64,
    duration: Duration,
    ready: AtomicUsize,
    ready_tx: watch::Sender<usize>,
    gate: Option<StartGate>,
    server_pid: Option<u32>,
    schedule: OnceLock<(Pacer, Meters)>,
    recorder: Mutex<Option<Recorder>>,
    completed: AtomicU64,
    cpu_cores: Mutex<Option<CpuReading>>,
    done_tx: watch::Sender<bool>,
    ended_by_schedule: AtomicBool,
}

impl Step {
    fn new(plan: &StepPlan, gate: Option<StartGate>) -> Self {
        let shards = 2 * available_cpus();
        Self {
            users: plan.users,
            rate: plan.rate_rps,
            duration: plan.duration,
            server_pid: plan.server_pid,
            ready: AtomicUsize::new(0),
            ready_tx: watch::channel(0).0,
            gate,
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

    /// The schedule, started once every user is ready (or the setup limit has passed) and,
    /// with several generators, the sweep has said go.
    async fn pacer(&self) -> &Pacer {
        if let Some((pacer, _)) = self.schedule.get() {
            return pacer;
        }
        let mut ready = self.ready_tx.subscribe();
        let _ = tokio::time::timeout(SETUP_LIMIT, ready.wait_for(|n| *n >= self.users)).await;
        if let Some(gate) = &self.gate {
            let signal = gate
                .ready
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            if let Some(signal) = signal {
                let _ = signal.send(());
            }
            let _ = gate.go.clone().wait_for(|go| *go).await;
        }
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
            // A slot already due needs no timer: behind schedule, every wake-up counts.
            if intended > Instant::now() {
                tokio::time::sleep_until(intended).await;
            }
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

/// One goose attack of `plan` against `fixture`; returns the measurement and whether Ctrl-C
/// stopped it.
pub async fn run_step(
    fixture: &Arc<Fixture>,
    plan: &StepPlan,
) -> Result<(StepMeasurement, bool), String> {
    run_gated_step(fixture, plan, None).await
}

async fn run_gated_step(
    fixture: &Arc<Fixture>,
    plan: &StepPlan,
    gate: Option<StartGate>,
) -> Result<(StepMeasurement, bool), String> {
    if goose::is_killswitch_triggered() {
        return Err("interrupted".to_owned());
    }
    let step = Arc::new(Step::new(plan, gate));
    // Generous: the step normally ends by the killswitch when its schedule is done.
    let run_time = (SETUP_LIMIT + plan.duration + SETUP_LIMIT).as_secs();
    let mut options: Vec<String> = vec![
        "--host".into(),
        fixture.origin.clone(),
        "--users".into(),
        plan.users.to_string(),
        "--increase-rate".into(),
        (plan.users * 20).to_string(),
        "--run-time".into(),
        format!("{run_time}s"),
        "--no-telnet".into(),
        "--no-print-metrics".into(),
        "--quiet".into(),
    ];
    match &plan.goose_reports {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
            for name in ["report.html", "report.json"] {
                options.push("--report-file".into());
                options.push(dir.join(name).display().to_string());
            }
        }
        None => options.push("--no-metrics".into()),
    }
    let configuration =
        GooseConfiguration::parse_args_default(&options).map_err(|e| format!("goose: {e}"))?;
    let mut attack = GooseAttack::initialize_with_config(configuration)
        .and_then(crate::run::one_placeholder_client)
        .map_err(|e| e.to_string())?;
    for persona in plan
        .scenario
        .sweep_personas(fixture, plan.goose_reports.is_some())
    {
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
