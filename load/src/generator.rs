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
//! record, send it through goose's channel and aggregate it again, which cost the generator
//! more CPU than the request itself. Goose still runs the users, their transactions, the
//! scenario weights and the end of the attack.
//!
//! With `--generators N` the sweep starts `N` child processes (`load generate`, one thread
//! each) per step. Each reads a [`GeneratorJob`] line on stdin (the target's fixture, its
//! share of the rate and users), sets its users up, prints [`READY`], waits for a `go` line,
//! runs its schedule and prints [`RESULT`] and a [`GeneratorPart`]: its counts, CPU and
//! histograms as HdrHistogram V2 bytes, which the sweep adds into one step. The job carries
//! the clients' secrets, over the pipe only; nothing prints it.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use goose::config::GooseConfiguration;
use goose::prelude::*;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout};
use tokio::sync::{oneshot, watch};
use tokio::time::Instant;

use crate::environment::{ClientCredentials, CodeClient, Fixture, LoginForm, ResourceClient};
use crate::scenarios::{Persona, ScenarioName};
use crate::sweep::{
    CpuMeter, GeneratorPart, Outcome, Pacer, Recorder, StepMeasurement, available_cpus, merge,
    split,
};

/// How long users may take over their setup before the schedule starts anyway.
pub const SETUP_LIMIT: Duration = Duration::from_secs(30);
/// Between the last user's setup and the first slot.
const SCHEDULE_DELAY: Duration = Duration::from_millis(50);

/// What a generator prints once its users are set up.
pub const READY: &str = "load-generator ready";
/// What a generator prints before its [`GeneratorPart`].
pub const RESULT: &str = "load-generator result ";

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
    for persona in plan.scenario.personas(fixture) {
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

/// A client as the job carries it: the secret in clear, for the child's requests.
#[derive(Clone, Serialize, Deserialize)]
struct ClientWire {
    id: String,
    secret: String,
}

impl ClientWire {
    fn of(client: &ClientCredentials) -> Self {
        Self {
            id: client.id.clone(),
            secret: client.secret.expose().to_owned(),
        }
    }

    fn credentials(self) -> ClientCredentials {
        ClientCredentials {
            id: self.id,
            secret: conformance::target::Secret::new(self.secret),
        }
    }
}

/// [`Fixture`] over the pipe to a generator. No `Debug`: it holds secrets.
#[derive(Clone, Serialize, Deserialize)]
struct FixtureWire {
    target_name: String,
    origin: String,
    metadata_url: String,
    metadata: serde_json::Value,
    issuer: String,
    authorization: Option<String>,
    token: Option<String>,
    introspection: Option<String>,
    revocation: Option<String>,
    check_token: Option<String>,
    cc_clients: Vec<ClientWire>,
    cc_scope: Option<String>,
    /// Credentials, redirect URI, scope.
    code_clients: Vec<(ClientWire, String, Option<String>)>,
    /// Credentials, resource URL.
    resource_clients: Vec<(ClientWire, String)>,
    /// Username, password.
    login: Option<(String, String)>,
    healthz: String,
    new_connection: bool,
    request_timeout_ms: u64,
}

impl FixtureWire {
    fn of(fixture: &Fixture) -> Self {
        let endpoints = &fixture.endpoints;
        Self {
            target_name: fixture.target_name.clone(),
            origin: fixture.origin.clone(),
            metadata_url: endpoints.metadata_url.clone(),
            metadata: endpoints.metadata.clone(),
            issuer: endpoints.issuer.clone(),
            authorization: endpoints.authorization.clone(),
            token: endpoints.token.clone(),
            introspection: endpoints.introspection.clone(),
            revocation: endpoints.revocation.clone(),
            check_token: endpoints.check_token.clone(),
            cc_clients: fixture.cc_clients.iter().map(ClientWire::of).collect(),
            cc_scope: fixture.cc_scope.clone(),
            code_clients: fixture
                .code_clients
                .iter()
                .map(|c| {
                    (
                        ClientWire::of(&c.credentials),
                        c.redirect_uri.clone(),
                        c.scope.clone(),
                    )
                })
                .collect(),
            resource_clients: fixture
                .resource_clients
                .iter()
                .map(|c| (ClientWire::of(&c.credentials), c.url.clone()))
                .collect(),
            login: fixture
                .login
                .as_ref()
                .map(|l| (l.username.clone(), l.password.expose().to_owned())),
            healthz: fixture.healthz.clone(),
            new_connection: fixture.new_connection,
            request_timeout_ms: u64::try_from(fixture.request_timeout.as_millis())
                .unwrap_or(u64::MAX),
        }
    }

    fn fixture(self) -> Fixture {
        Fixture {
            target_name: self.target_name,
            origin: self.origin,
            endpoints: conformance::discovery::Endpoints {
                metadata_url: self.metadata_url,
                metadata: self.metadata,
                issuer: self.issuer,
                authorization: self.authorization,
                token: self.token,
                introspection: self.introspection,
                revocation: self.revocation,
                check_token: self.check_token,
            },
            cc_clients: self
                .cc_clients
                .into_iter()
                .map(ClientWire::credentials)
                .collect(),
            cc_scope: self.cc_scope,
            code_clients: self
                .code_clients
                .into_iter()
                .map(|(client, redirect_uri, scope)| CodeClient {
                    credentials: client.credentials(),
                    redirect_uri,
                    scope,
                })
                .collect(),
            resource_clients: self
                .resource_clients
                .into_iter()
                .map(|(client, url)| ResourceClient {
                    credentials: client.credentials(),
                    url,
                })
                .collect(),
            login: self.login.map(|(username, password)| LoginForm {
                username,
                password: conformance::target::Secret::new(password),
            }),
            healthz: self.healthz,
            new_connection: self.new_connection,
            request_timeout: Duration::from_millis(self.request_timeout_ms),
        }
    }
}

/// What a generator process is asked to run: one line of JSON on its stdin.
#[derive(Clone, Serialize, Deserialize)]
pub struct GeneratorJob {
    scenario: ScenarioName,
    fixture: FixtureWire,
    rate_rps: f64,
    duration_secs: f64,
    users: usize,
    server_pid: Option<u32>,
    goose_reports: Option<PathBuf>,
}

impl std::fmt::Debug for GeneratorJob {
    // The fixture holds secrets: only the job's shape.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeneratorJob")
            .field("scenario", &self.scenario)
            .field("rate_rps", &self.rate_rps)
            .field("users", &self.users)
            .finish_non_exhaustive()
    }
}

/// A line on stdout, where the sweep reads it.
fn say(line: &str) -> Result<(), String> {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")
        .and_then(|()| stdout.flush())
        .map_err(|e| format!("writing to the sweep: {e}"))
}

/// `load generate`: runs the job on stdin and prints its part of the step.
pub async fn generate() -> Result<(), String> {
    let mut stdin = BufReader::new(tokio::io::stdin()).lines();
    let line = stdin
        .next_line()
        .await
        .map_err(|e| format!("reading the job: {e}"))?
        .ok_or("no job on stdin")?;
    let job: GeneratorJob =
        serde_json::from_str(&line).map_err(|e| format!("the job does not parse: {e}"))?;
    let fixture = Arc::new(job.fixture.fixture());
    let plan = StepPlan {
        scenario: job.scenario,
        rate_rps: job.rate_rps,
        duration: Duration::from_secs_f64(job.duration_secs),
        users: job.users,
        server_pid: job.server_pid,
        goose_reports: job.goose_reports,
    };
    let (ready_tx, ready_rx) = oneshot::channel();
    let (go_tx, go_rx) = watch::channel(false);
    let gate = StartGate {
        ready: Mutex::new(Some(ready_tx)),
        go: go_rx,
    };
    tokio::spawn(async move {
        if ready_rx.await.is_err() {
            return;
        }
        if say(READY).is_err() || !matches!(stdin.next_line().await, Ok(Some(_))) {
            goose::trigger_killswitch("the sweep that started this generator has gone");
        }
        go_tx.send_replace(true);
    });
    let (measurement, interrupted) = run_gated_step(&fixture, &plan, Some(gate)).await?;
    let part = GeneratorPart::new(&measurement, interrupted)?;
    let text = serde_json::to_string(&part).map_err(|e| e.to_string())?;
    say(&format!("{RESULT}{text}"))
}

/// One generator process as the sweep drives it.
struct Generator {
    child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
}

impl Generator {
    async fn start(exe: &std::path::Path, job: &GeneratorJob) -> Result<Self, String> {
        let mut child = tokio::process::Command::new(exe)
            .arg("generate")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("starting a generator ({}): {e}", exe.display()))?;
        let (Some(mut stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err("a generator without pipes".to_owned());
        };
        let mut line = serde_json::to_string(job).map_err(|e| e.to_string())?;
        line.push('\n');
        stdin
            .write_all(line.as_bytes())
            .await
            .map_err(|e| format!("sending a generator its job: {e}"))?;
        Ok(Self {
            child,
            stdin,
            stdout: BufReader::new(stdout).lines(),
        })
    }

    /// The rest of the first line starting with `prefix`; other lines (goose's) go to stderr.
    async fn line_after(&mut self, prefix: &str, limit: Duration) -> Result<String, String> {
        let wait = async {
            loop {
                match self.stdout.next_line().await {
                    Ok(Some(line)) => match line.strip_prefix(prefix) {
                        Some(rest) => return Ok(rest.to_owned()),
                        None => eprintln!("{line}"),
                    },
                    Ok(None) => return Err("a generator ended before its part".to_owned()),
                    Err(e) => return Err(format!("reading a generator: {e}")),
                }
            }
        };
        tokio::time::timeout(limit, wait)
            .await
            .map_err(|_| format!("no `{}` from a generator in time", prefix.trim()))?
    }
}

/// One step driven by `generators` processes of `exe`: the rate and users split evenly,
/// their schedules started together, their parts merged. Returns the step and whether Ctrl-C
/// stopped a generator.
pub async fn drive_step(
    exe: &std::path::Path,
    fixture: &Fixture,
    plan: &StepPlan,
    generators: usize,
) -> Result<(StepMeasurement, bool), String> {
    let wire = FixtureWire::of(fixture);
    let mut started = Vec::new();
    for (index, (rate_rps, users)) in split(plan.rate_rps, plan.users, generators)
        .into_iter()
        .enumerate()
    {
        let job = GeneratorJob {
            scenario: plan.scenario,
            fixture: wire.clone(),
            rate_rps,
            duration_secs: plan.duration.as_secs_f64(),
            users,
            server_pid: plan.server_pid,
            goose_reports: plan
                .goose_reports
                .as_ref()
                .map(|dir| dir.join(generator_folder(index))),
        };
        started.push(Generator::start(exe, &job).await?);
    }
    for generator in &mut started {
        generator.line_after(READY, SETUP_LIMIT * 2).await?;
    }
    for generator in &mut started {
        generator
            .stdin
            .write_all(b"go\n")
            .await
            .map_err(|e| format!("starting a generator's schedule: {e}"))?;
    }
    let mut parts = Vec::new();
    for generator in &mut started {
        let text = generator
            .line_after(RESULT, plan.duration + SETUP_LIMIT * 2)
            .await?;
        parts.push(
            serde_json::from_str::<GeneratorPart>(&text)
                .map_err(|e| format!("a generator's part does not parse: {e}"))?,
        );
        let _ = generator.child.wait().await;
    }
    let interrupted = parts.iter().any(|part| part.interrupted);
    Ok((merge(&parts, plan.duration, available_cpus())?, interrupted))
}

/// Where generator `index` (from 0) writes goose's reports within the step's folder.
pub fn generator_folder(index: usize) -> String {
    format!("generator-{}", index + 1)
}
