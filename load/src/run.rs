//! `load run`: one goose attack of a scenario against the environment, goose's options as
//! given, reports in `<report dir>/<UTC time>-<scenario>/`.

use std::path::{Path, PathBuf};

use goose::config::GooseConfiguration;
use goose::prelude::*;

use crate::cli::{RunArgs, TargetArgs};
use crate::environment::{Environment, Facts};
use crate::goose_report::{Origin, annotate};
use crate::scenarios::ScenarioName;

/// What a run did; `failures` decides the exit status.
#[derive(Debug)]
pub struct RunOutcome {
    pub report_dir: PathBuf,
    pub requests: usize,
    pub failures: usize,
    /// Metric names goose recorded (requests and transactions).
    pub names: Vec<String>,
    /// Set when the attack ended with failed thresholds.
    pub thresholds_failed: bool,
    /// What teardown could not undo (clients left behind).
    pub teardown_problems: Vec<String>,
}

/// `reports/load/<UTC time>-<scenario>/`, created; never reuses a folder.
pub fn report_folder(root: &Path, label: &str) -> Result<PathBuf, String> {
    let now = time::OffsetDateTime::now_utc();
    let stamp = now
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .map_err(|e| format!("formatting the time: {e}"))?;
    let mut dir = root.join(format!("{stamp}-{label}"));
    let mut n = 2;
    while dir.exists() {
        dir = root.join(format!("{stamp}-{label}-{n}"));
        n += 1;
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    Ok(dir)
}

/// Options that would write secrets somewhere, refused.
pub fn refuse_leaky_options(goose: &GooseConfiguration) -> Result<(), String> {
    if goose.request_body {
        return Err(
            "--request-body would copy client secrets and tokens into the request log; load refuses it"
                .to_owned(),
        );
    }
    Ok(())
}

pub async fn run(args: RunArgs) -> Result<RunOutcome, String> {
    let RunArgs {
        target,
        goose: configuration,
    } = args;
    refuse_leaky_options(&configuration)?;
    let dir = report_folder(&target.report_dir, target.scenario.as_str())?;
    let environment = Environment::prepare(&target, target.scenario.needs()).await?;
    let result = attack(&environment, &target, configuration, &dir).await;
    let teardown_problems = environment.teardown().await;
    let mut outcome = result?;
    outcome.teardown_problems = teardown_problems;
    Ok(outcome)
}

async fn attack(
    environment: &Environment,
    target: &TargetArgs,
    mut configuration: GooseConfiguration,
    dir: &Path,
) -> Result<RunOutcome, String> {
    let fixture = &environment.fixture;
    if configuration.host.is_none() {
        configuration.host = Some(fixture.origin.clone());
    }
    if configuration.report_file.is_empty() {
        configuration.report_file = vec![
            dir.join("report.html").display().to_string(),
            dir.join("report.json").display().to_string(),
        ];
    }
    // Nothing listens unless asked: the telnet controller has no authentication.
    configuration.no_telnet = true;
    write_facts(dir, &environment.facts)?;
    let reports = configuration.report_file.clone();
    let mut attack = GooseAttack::initialize_with_config(configuration)
        .and_then(one_placeholder_client)
        .map_err(|e| e.to_string())?;
    for persona in target.scenario.personas(fixture) {
        let scenario = persona.into_scenario(|f| f).map_err(|e| e.to_string())?;
        attack = attack.register_scenario(scenario);
    }
    let (metrics, thresholds_failed) = match attack.execute().await {
        Ok(metrics) => (metrics, false),
        Err(GooseError::ThresholdsFailed { metrics, .. }) => (*metrics.0, true),
        Err(e) => return Err(format!("goose: {e}")),
    };
    for report in &reports {
        // A report goose did not write (a bare `--report-file` names none) has nothing to note.
        if let Err(e) = annotate(Path::new(report), Origin::Run)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            eprintln!("load: {report}: adding the note on its graphs: {e}");
        }
    }
    let (requests, failures, names) = tally(&metrics);
    Ok(RunOutcome {
        report_dir: dir.to_owned(),
        requests,
        failures,
        names,
        thresholds_failed,
        teardown_problems: Vec::new(),
    })
}

/// Goose gives every user a client of its own before the user starts, which each scenario's
/// setup replaces with its own ([`crate::http::install_client`]); one shared client built
/// once is enough until then, and saves every user the cost of reading the system's trusted
/// certificates.
pub fn one_placeholder_client(attack: GooseAttack) -> Result<GooseAttack, GooseError> {
    attack.set_client_builder_without_cookies(
        goose::client::GooseClientBuilder::new().without_cookies(),
    )
}

/// Requests made, failures (failed requests plus failed transactions that made none), and
/// the metric names.
pub fn tally(metrics: &GooseMetrics) -> (usize, usize, Vec<String>) {
    let mut names: Vec<String> = metrics.requests.keys().cloned().collect();
    let requests = metrics
        .requests
        .values()
        .map(|r| r.success_count + r.fail_count)
        .sum();
    let failed_requests: usize = metrics.requests.values().map(|r| r.fail_count).sum();
    let failed_transactions: usize = metrics
        .transactions
        .iter()
        .flatten()
        .map(|t| t.fail_count)
        .sum();
    for transaction in metrics.transactions.iter().flatten() {
        names.push(
            transaction
                .transaction_name
                .name_for_transaction()
                .to_owned(),
        );
    }
    names.sort();
    names.dedup();
    (requests, failed_requests.max(failed_transactions), names)
}

/// `facts.json` beside goose's reports: what the figures depend on.
pub fn write_facts(dir: &Path, facts: &Facts) -> Result<(), String> {
    let mut value = serde_json::to_value(facts).map_err(|e| e.to_string())?;
    value["vcpus"] = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .into();
    let text = serde_json::to_string_pretty(&value).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("facts.json"), text + "\n")
        .map_err(|e| format!("writing facts.json: {e}"))
}

/// Scenario names for `--help` and errors.
pub fn scenario_list() -> String {
    ScenarioName::ALL
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
