//! One client test end to end: a fresh reference server wired with the test's behaviour and the
//! recorder, a fresh client registered for it, the command run with `sh -c` and the
//! environment contract (docs/client.md), the browser played for the code plan, then the judge.

use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;
use reference_server::wiring::Wiring;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::sync::oneshot;

use super::observe::{Exit, Observation, Seen};
use super::record::{self, Log};
use super::{ClientTest, Plan, SecretKind, browser};
use crate::ctx::{Ctx, Run, plain_client};
use crate::discovery::Endpoints;
use crate::embedded::{Embedded, start_reference_with};
use crate::http::{Exchange, RecordedRequest, RecordedResponse, Redactor, basic_user, curl_line};
use crate::model::{Check, Outcome, Profile, Profiles, skip};
use crate::report::{CheckReport, ClientRun};

/// The redirect URL registered for code-plan clients; the client listens on it with a port
/// of its own, which loopback registrations allow (RFC 8252 §7.3).
pub const REGISTERED_CALLBACK: &str = "http://127.0.0.1/callback";

/// How the harness runs the client under test.
#[derive(Debug, Clone)]
pub struct Options {
    /// Run with `sh -c`.
    pub command: String,
    /// Per test; past it the client's process group is killed.
    pub timeout: Duration,
    pub profile: Profile,
}

/// The environment contract for one test (docs/client.md), in the order it is documented.
#[derive(Debug, Clone)]
pub struct Settings {
    pub vars: Vec<(&'static str, String)>,
}

impl Settings {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A server started for one test, the client registered on it, and the settings to give the
/// client; `--serve` prints them instead of running a command.
#[derive(Debug)]
pub struct Prepared {
    pub embedded: Embedded,
    pub settings: Settings,
    pub ctx: Ctx,
    log: Log,
}

/// Starts the test's server and registers its client.
pub async fn prepare(test: &ClientTest, profile: Profile) -> Result<Prepared, String> {
    let log = Log::default();
    let recorder = log.clone();
    let behaviour = test.setup.behaviour;
    let embedded = start_reference_with(profile, move |_| {
        Wiring::default()
            .wrap_app(move |router, _| behaviour.wrap(router))
            .wrap_app(move |router, _| record::recording(recorder, router))
    })
    .await?;
    let issuer = embedded.target.issuer.clone();
    let endpoints = Endpoints::discover(&plain_client(None), &issuer)
        .await
        .map_err(|e| e.to_string())?;
    let token_url = endpoints.token.clone().unwrap_or_default();
    let authorize_url = endpoints.authorization.clone().unwrap_or_default();
    let ctx = Ctx::new(Arc::new(Run::new(
        embedded.target.clone(),
        endpoints,
        profile,
        false,
        0,
    )));
    let secret = new_secret(test.setup.secret);
    let (body, resource) = match test.plan {
        Plan::ClientCredentials => (
            json!({"kind": "admin_api", "name": test.id, "roles": ["PAYMENTS_VIEW"], "client_secret": secret}),
            "/resources/backoffice/payments",
        ),
        Plan::AuthorizationCode => (
            json!({"kind": "one_click", "name": test.id, "redirect_urls": [REGISTERED_CALLBACK], "client_secret": secret}),
            "/resources/identity/me",
        ),
    };
    let client = ctx.create_client(body).await.map_err(|outcome| {
        format!(
            "registering the test's client: {}",
            outcome.reason().unwrap_or_default()
        )
    })?;
    let mut vars = vec![
        ("OAUTH_ISSUER", issuer.clone()),
        ("OAUTH_TOKEN_URL", token_url),
        ("OAUTH_AUTHORIZE_URL", authorize_url),
        ("OAUTH_CLIENT_ID", client.id.clone()),
        ("OAUTH_CLIENT_SECRET", client.secret.expose().to_owned()),
        ("OAUTH_SCOPE", "profile".to_owned()),
    ];
    if test.plan == Plan::AuthorizationCode {
        let port = free_port().map_err(|e| format!("finding a free port: {e}"))?;
        vars.push((
            "OAUTH_REDIRECT_URI",
            format!("http://127.0.0.1:{port}/callback"),
        ));
    }
    vars.push(("RESOURCE_URL", format!("{issuer}{resource}")));
    vars.push(("RESOURCE_CALLS", test.setup.calls.to_string()));
    Ok(Prepared {
        embedded,
        settings: Settings { vars },
        ctx,
        log,
    })
}

fn new_secret(kind: SecretKind) -> String {
    let random: [u8; 24] = rand::rng().random();
    let random = URL_SAFE_NO_PAD.encode(random);
    match kind {
        SecretKind::Plain => random,
        // Every character Basic credentials must form-encode (RFC 6749 §2.3.1, App. B).
        SecretKind::NeedsEncoding => format!("{}+/:%= {}", &random[..16], &random[16..]),
    }
}

fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Runs one test and judges it.
pub async fn run(test: &ClientTest, options: &Options) -> CheckReport {
    let started = Instant::now();
    let prepared = match prepare(test, options.profile).await {
        Ok(prepared) => prepared,
        Err(why) => {
            let observation = unrun(test, Exit::NotRun(why));
            return report(test, options, &observation, &Redactor::default(), started);
        }
    };
    let observation = drive(test, options, &prepared).await;
    let redactor = prepared.ctx.run.redactor.clone();
    let _ = prepared.embedded.server.shutdown().await;
    report(test, options, &observation, &redactor, started)
}

fn unrun(test: &ClientTest, exit: Exit) -> Observation {
    Observation {
        requests: Vec::new(),
        exit,
        stdout: String::new(),
        stderr: String::new(),
        client_id: String::new(),
        client_secret: String::new(),
        issuer: String::new(),
        scope: String::new(),
        redirect_uri: None,
        calls: test.setup.calls,
        authorization_url: None,
        delivered: Vec::new(),
        issued: Vec::new(),
    }
}

/// Text a reader task collects, shared with the harness.
type Collected = Arc<Mutex<String>>;

fn collect(
    stream: impl AsyncRead + Unpin + Send + 'static,
    prefix: Option<(String, oneshot::Sender<String>)>,
) -> (Collected, tokio::task::JoinHandle<()>) {
    let text = Collected::default();
    let into = text.clone();
    let task = tokio::spawn(async move {
        let mut reader = BufReader::new(stream);
        let mut prefix = prefix;
        let mut line = Vec::new();
        while let Ok(n) = reader.read_until(b'\n', &mut line).await {
            if n == 0 {
                break;
            }
            let decoded = String::from_utf8_lossy(&line).into_owned();
            if let Some((start, _)) = &prefix
                && let Some(at) = decoded.find(start.as_str())
            {
                let url = decoded[at..]
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                if let Some((_, sender)) = prefix.take() {
                    let _ = sender.send(url);
                }
            }
            into.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push_str(&decoded);
            line.clear();
        }
    });
    (text, task)
}

async fn drive(test: &ClientTest, options: &Options, prepared: &Prepared) -> Observation {
    let settings = &prepared.settings;
    let var = |name| settings.get(name).unwrap_or_default().to_owned();
    let mut observation = prepared.observation(test, Exit::Code(0));
    let deadline = tokio::time::Instant::now() + options.timeout;
    prepared.start_recording();
    let mut command = tokio::process::Command::new("sh");
    command
        .arg("-c")
        .arg(&options.command)
        .envs(settings.vars.iter().map(|(n, v)| (*n, v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) => {
            observation.exit = Exit::NotRun(format!("sh -c could not start: {e}"));
            return observation;
        }
    };
    let (url_sender, url_receiver) = oneshot::channel();
    let wants_url =
        (test.plan == Plan::AuthorizationCode).then(|| (var("OAUTH_AUTHORIZE_URL"), url_sender));
    let (stdout, stdout_task) = match child.stdout.take() {
        Some(out) => collect(out, wants_url),
        None => (Collected::default(), tokio::spawn(async {})),
    };
    let (stderr, stderr_task) = match child.stderr.take() {
        Some(err) => collect(err, None),
        None => (Collected::default(), tokio::spawn(async {})),
    };
    let mut stopped = None;
    if test.plan == Plan::AuthorizationCode {
        // Without a URL the client ended (or the time ran out): there is nothing to open.
        if let Ok(Ok(url)) = tokio::time::timeout_at(deadline, url_receiver).await {
            observation.authorization_url = Some(url.clone());
            match browser::deliver(&prepared.ctx, test.setup.delivery, &url).await {
                Ok(delivered) => observation.delivered = delivered,
                Err(why) => {
                    stopped = Some(format!(
                        "stopped by the harness: its authorization request led to nothing to deliver ({why})"
                    ));
                }
            }
        }
    }
    let ended = match stopped {
        Some(why) => {
            kill_group(&mut child).await;
            Exit::NotRun(why)
        }
        None => match tokio::time::timeout_at(deadline, child.wait()).await {
            Ok(Ok(status)) => status.code().map_or(Exit::Signal, Exit::Code),
            Ok(Err(e)) => Exit::NotRun(format!("waiting for the client: {e}")),
            Err(_) => {
                kill_group(&mut child).await;
                Exit::TimedOut(options.timeout)
            }
        },
    };
    observation.exit = ended;
    // A grandchild left running could hold the pipes open: wait a little, not forever.
    for task in [stdout_task, stderr_task] {
        let _ = tokio::time::timeout(Duration::from_secs(2), task).await;
    }
    let text = |c: &Collected| c.lock().unwrap_or_else(PoisonError::into_inner).clone();
    observation.stdout = text(&stdout);
    observation.stderr = text(&stderr);
    prepared.collect(&mut observation);
    observation
}

impl Prepared {
    /// The run so far, for `--serve`: who the client is and what the harness delivered.
    pub(crate) fn observation(&self, test: &ClientTest, exit: Exit) -> Observation {
        let var = |name| self.settings.get(name).unwrap_or_default().to_owned();
        let mut observation = unrun(test, exit);
        observation.client_id = var("OAUTH_CLIENT_ID");
        observation.client_secret = var("OAUTH_CLIENT_SECRET");
        observation.issuer = var("OAUTH_ISSUER");
        observation.scope = var("OAUTH_SCOPE");
        observation.redirect_uri = self.settings.get("OAUTH_REDIRECT_URI").map(str::to_owned);
        observation
    }

    /// Forgets what the set-up sent, so that only the client's requests are judged.
    pub(crate) fn start_recording(&self) {
        self.log.clear();
    }

    /// Takes the recorded requests and the tokens issued, which reports then redact.
    pub(crate) fn collect(&self, observation: &mut Observation) {
        observation.requests = self.log.take();
        observation.issued = issued_tokens(&observation.requests);
        for token in &observation.issued {
            self.ctx.remember(token);
        }
    }
}

/// Kills the whole process group `sh` leads, then `sh`.
async fn kill_group(child: &mut tokio::process::Child) {
    if let Some(pid) = child.id() {
        let _ = tokio::process::Command::new("kill")
            .args(["-KILL", "--", &format!("-{pid}")])
            .stderr(Stdio::null())
            .status()
            .await;
    }
    let _ = child.kill().await;
}

/// Access and refresh tokens from every successful token response.
fn issued_tokens(requests: &[Seen]) -> Vec<String> {
    requests
        .iter()
        .filter(|s| s.is_token_request() && s.status == 200)
        .filter_map(Seen::response_json)
        .flat_map(|body| {
            ["access_token", "refresh_token"]
                .into_iter()
                .filter_map(move |name| body.get(name).and_then(|v| v.as_str()).map(str::to_owned))
        })
        .collect()
}

fn exchange(seen: &Seen, issuer: &str, redactor: &Redactor) -> Exchange {
    let url = match &seen.query {
        Some(query) => format!("{issuer}{}?{query}", seen.path),
        None => format!("{issuer}{}", seen.path),
    };
    let content_type = |headers: &[(String, String)]| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
            .map(|(_, v)| v.clone())
    };
    let redact_headers = |headers: &[(String, String)]| {
        headers
            .iter()
            .map(|(n, v)| (n.clone(), redactor.header(n, v)))
            .collect()
    };
    let request = RecordedRequest {
        method: seen.method.clone(),
        url: redactor.url(&url),
        headers: redact_headers(&seen.headers),
        body: redactor.body(content_type(&seen.headers).as_deref(), &seen.body),
        source: None,
    };
    let curl = curl_line(
        &request,
        seen.header("authorization").and_then(basic_user).as_deref(),
    );
    Exchange {
        request,
        response: Some(RecordedResponse {
            status: seen.status,
            headers: redact_headers(&seen.response_headers),
            body: redactor.body(
                content_type(&seen.response_headers).as_deref(),
                &seen.response_body,
            ),
        }),
        error: None,
        curl,
    }
}

async fn passes(_ctx: Ctx) -> crate::model::CheckResult {
    Ok(())
}

/// The judge's verdict on `observation` as a report entry, levelled and redacted.
pub fn report(
    test: &ClientTest,
    options: &Options,
    observation: &Observation,
    redactor: &Redactor,
    started: Instant,
) -> CheckReport {
    let verdict = match &observation.exit {
        // The harness could not set the test up: a missing premise, not the client's doing.
        Exit::NotRun(why) if observation.requests.is_empty() && !why.starts_with("stopped") => {
            Err(skip(format!("the client was not run: {why}")))
        }
        _ => (test.judge)(observation),
    };
    let redact = |text: &str| redactor.text(text);
    let outcome = match verdict {
        Ok(()) => Outcome::Pass,
        Err(Outcome::Fail { expected, actual }) if !test.level().fails() => Outcome::Warn {
            expected: redact(&expected),
            actual: redact(&actual),
        },
        Err(Outcome::Fail { expected, actual }) => Outcome::Fail {
            expected: redact(&expected),
            actual: redact(&actual),
        },
        Err(Outcome::Warn { expected, actual }) => Outcome::Warn {
            expected: redact(&expected),
            actual: redact(&actual),
        },
        Err(Outcome::Skip { reason }) => Outcome::Skip {
            reason: redact(&reason),
        },
        Err(Outcome::Pass) => Outcome::Pass,
    };
    let check = Check {
        id: test.id,
        requirements: &[],
        level: test.level(),
        citations: test.citations,
        profiles: Profiles::Both,
        needs: &[],
        title: test.title,
        run: |ctx| Box::pin(passes(ctx)),
    };
    let transcript = observation
        .requests
        .iter()
        .map(|seen| exchange(seen, &observation.issuer, redactor))
        .collect();
    let mut entry = CheckReport::new(&check, outcome, started.elapsed(), transcript);
    entry.requirements = test.citations.iter().map(|c| c.source.to_owned()).collect();
    entry.group = test.plan.as_str().to_owned();
    entry.profiles = options.profile.as_str().to_owned();
    entry.client_run = Some(ClientRun {
        command: redact(&options.command),
        exit: observation.exit.to_string(),
        stdout: redact(&observation.stdout),
        stderr: redact(&observation.stderr),
    });
    entry
}
