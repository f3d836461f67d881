//! The generator processes of `load sweep --generators N`: the job each reads on its stdin,
//! the lines it prints, and the sweep's side that starts them, opens their schedules together
//! and merges their parts.
//!
//! A generator reads one [`GeneratorJob`] line on stdin (the target's fixture, its share of the
//! rate and users), sets its users up, prints [`READY`], waits for a `go` line, runs its
//! schedule and prints [`RESULT`] and a [`GeneratorPart`]: its counts, CPU and histograms as
//! HdrHistogram V2 bytes. Other lines on its stdout (goose's) pass to the sweep's stderr. The
//! job carries the clients' secrets, over the pipe only; nothing prints it.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout};
use tokio::sync::{oneshot, watch};

use super::{SETUP_LIMIT, StartGate, StepPlan, run_gated_step};
use crate::environment::{ClientCredentials, CodeClient, Fixture, LoginForm, ResourceClient};
use crate::scenarios::ScenarioName;
use crate::sweep::{GeneratorPart, StepMeasurement, available_cpus, merge, split};

/// What a generator prints once its users are set up.
pub const READY: &str = "load-generator ready";
/// What a generator prints before its [`GeneratorPart`].
pub const RESULT: &str = "load-generator result ";

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
