//! Every scenario for a second with one user against the embedded reference server: zero
//! failures, and goose's reports name the scenario's transactions. Then a tiny sweep.
//!
//! Goose keeps process-wide state (its killswitch, which the sweep uses to end a step), so the
//! tests here take turns.

use std::path::Path;

use clap::Parser as _;
use load::cli::{Cli, Command};
use load::scenarios::ScenarioName;
use serde_json::Value;

static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn command(args: &[&str]) -> Command {
    let mut argv = vec!["load"];
    argv.extend_from_slice(args);
    match Cli::try_parse_from(argv) {
        Ok(cli) => cli.command,
        Err(e) => panic!("{e}"),
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_runs_a_second_without_failures_and_reports_its_transactions() {
    let _turn = TURN.lock().await;
    let reports = tempfile::tempdir().unwrap();
    let root = reports.path().to_str().unwrap();
    for scenario in ScenarioName::ALL {
        // The one user starts at once: at one a second, goose spends a second launching it.
        let Command::Run(args) = command(&[
            "run",
            "--scenario",
            scenario.as_str(),
            "--report-dir",
            root,
            "--clients",
            "2",
            "--users",
            "1",
            "--increase-rate",
            "100",
            "--run-time",
            "1s",
            "--no-reset-metrics",
            "--quiet",
        ]) else {
            panic!("not a run");
        };

        let outcome = load::run::run(*args)
            .await
            .unwrap_or_else(|e| panic!("{scenario}: {e}"));

        assert_eq!(outcome.failures, 0, "{scenario}: {outcome:?}");
        assert!(outcome.requests > 0, "{scenario}: no request made");
        assert!(outcome.teardown_problems.is_empty(), "{outcome:?}");
        let json = read(&outcome.report_dir.join("report.json"));
        let html = read(&outcome.report_dir.join("report.html"));
        let report: Value = serde_json::from_str(&json).unwrap();
        assert!(report.is_object());
        for name in expected_names(scenario) {
            assert!(json.contains(name), "{scenario}: report.json lacks {name}");
            assert!(html.contains(name), "{scenario}: report.html lacks {name}");
        }
        for name in &outcome.names {
            assert!(
                load::scenarios::meaning(name).is_some(),
                "{scenario}: goose recorded {name}, which scenarios::REQUESTS and TRANSACTIONS do not list"
            );
        }
        assert!(
            html.contains(load::goose_report::NOTE_ID)
                && html.contains("Offline, the graphs on this page stay blank"),
            "{scenario}: goose's report.html says nothing about its graphs' script"
        );
        assert!(outcome.report_dir.join("facts.json").exists());
    }
}

/// A throttled run ends with users waiting for the throttle; goose cancels those requests, which
/// were never sent and are no failures.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttled_run_ends_without_counting_canceled_requests_as_failures() {
    let _turn = TURN.lock().await;
    let reports = tempfile::tempdir().unwrap();
    let Command::Run(args) = command(&[
        "run",
        "--scenario",
        "client_credentials",
        "--report-dir",
        reports.path().to_str().unwrap(),
        "--users",
        "8",
        "--increase-rate",
        "8",
        "--throttle-requests",
        "4",
        "--run-time",
        "2s",
        "--quiet",
    ]) else {
        panic!("not a run");
    };

    let outcome = load::run::run(*args).await.unwrap();

    assert!(outcome.requests > 0, "no request made: {outcome:?}");
    assert_eq!(outcome.failures, 0, "{outcome:?}");
}

/// The request names a second of each scenario must produce.
fn expected_names(scenario: ScenarioName) -> Vec<&'static str> {
    use load::scenarios::*;
    match scenario {
        ScenarioName::ClientCredentials => {
            vec![client_credentials::BASIC, client_credentials::BODY]
        }
        ScenarioName::AuthorizationCode => vec![
            authorization_code::AUTHORIZE,
            authorization_code::LOGIN,
            authorization_code::CONSENT,
            authorization_code::EXCHANGE,
        ],
        ScenarioName::Refresh => vec![refresh::REFRESH, authorization_code::EXCHANGE],
        ScenarioName::Introspection => vec![introspection::INTROSPECT],
        ScenarioName::CheckToken => vec![check_token::CHECK_TOKEN],
        ScenarioName::Resource => vec![resource::RESOURCE],
        // One user runs one persona of the mix: the first, client_credentials.
        ScenarioName::Mixed => vec![client_credentials::BASIC],
        ScenarioName::Healthz => vec![healthz::HEALTHZ],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tiny_sweep_against_healthz_writes_its_reports() {
    let _turn = TURN.lock().await;
    let reports = tempfile::tempdir().unwrap();
    let Command::Sweep(args) = command(&[
        "sweep",
        "--scenario",
        "healthz",
        "--report-dir",
        reports.path().to_str().unwrap(),
        "--start-rps",
        "20",
        "--step-seconds",
        "0.5",
        "--max-steps",
        "2",
        "--goose-metrics",
    ]) else {
        panic!("not a sweep");
    };

    let outcome = load::capacity::sweep(args).await.unwrap();

    let dir = &outcome.report_dir;
    let sweep: Value = serde_json::from_str(&read(&dir.join("sweep.json"))).unwrap();
    assert_eq!(sweep["scenario"], "healthz");
    let steps = sweep["steps"].as_array().unwrap();
    assert!(steps.len() >= 2, "{sweep}");
    assert_eq!(steps[0]["offered_rps"], 20.0);
    for step in steps {
        assert!(step["sent"].as_u64().unwrap() > 0, "{step}");
        let goose_html = step["goose_report"].as_str().unwrap();
        let page = read(&dir.join(goose_html));
        assert!(
            page.contains("<a href=\"../sweep.html\">sweep.html</a>"),
            "{goose_html}: the step's goose report links the sweep's page"
        );
        let goose_json = dir.join(goose_html.replace(".html", ".json"));
        assert!(read(&goose_json).contains(load::scenarios::healthz::HEALTHZ));
    }
    assert!(read(&dir.join("sweep.html")).contains("<svg"));
    assert!(read(&dir.join("summary.md")).contains("healthz"));
    assert!(sweep["environment"]["available_cpus"].as_u64().unwrap() > 0);
}

/// A server with a process of its own is metered by its process id. Here that process is this
/// test's, which serves the target and runs the generator: the server's CPU figure must then be
/// the generator's, read from the same `/proc` entry at the same instants.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sweep_meters_the_server_process_it_is_given() {
    let _turn = TURN.lock().await;
    let server = conformance::embedded::start_reference(conformance::model::Profile::Vendor)
        .await
        .unwrap();
    let files = tempfile::tempdir().unwrap();
    let target = files.path().join("target.toml");
    std::fs::write(
        &target,
        format!(
            "name = \"metered\"\nissuer = \"{}\"\nprofile = \"vendor\"\n",
            server.server.base_url()
        ),
    )
    .unwrap();
    let pid = std::process::id().to_string();
    let Command::Sweep(args) = command(&[
        "sweep",
        "--scenario",
        "healthz",
        "--target",
        target.to_str().unwrap(),
        "--server-pid",
        &pid,
        "--report-dir",
        files.path().to_str().unwrap(),
        "--start-rps",
        "200",
        "--step-seconds",
        "1",
        "--max-steps",
        "1",
    ]) else {
        panic!("not a sweep");
    };

    let outcome = load::capacity::sweep(args).await.unwrap();
    server.server.shutdown().await.unwrap();

    let dir = &outcome.report_dir;
    let sweep: Value = serde_json::from_str(&read(&dir.join("sweep.json"))).unwrap();
    let note = sweep["environment"]["server_cpu"].as_str().unwrap();
    assert!(note.contains(&format!("process {pid} ")), "{note}");
    let steps = sweep["steps"].as_array().unwrap();
    assert!(!steps.is_empty(), "{sweep}");
    for step in steps {
        let server = step["server_cpu_cores"].as_f64().unwrap();
        let generator = step["generator_cpu_cores"].as_f64().unwrap();
        assert!(
            (server - generator).abs() < 0.05,
            "one process read twice: {step}"
        );
        let per_request = step["server_cpu_us_per_request"].as_f64().unwrap();
        let achieved = step["achieved_rps"].as_f64().unwrap();
        assert!(
            (per_request - server * 1e6 / achieved).abs() < 1e-6 * per_request.max(1.0),
            "{step}"
        );
    }
    assert!(read(&dir.join("summary.md")).contains("server CPU µs per request"));
}

/// Two generator processes (the `load` binary) share each step against a server on loopback:
/// the step's counts are theirs added, and each one's CPU and lag are reported.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tiny_sweep_from_two_generator_processes_merges_their_parts() {
    let _turn = TURN.lock().await;
    let server = conformance::embedded::start_reference(conformance::model::Profile::Vendor)
        .await
        .unwrap();
    // Its admin API provisions the clients the generators share.
    let admin = server.target.admin.clone().unwrap();
    let files = tempfile::tempdir().unwrap();
    let target = files.path().join("target.toml");
    std::fs::write(
        &target,
        format!(
            "name = \"two generators\"\nissuer = \"{}\"\nprofile = \"vendor\"\n\
             admin = {{ client_id = \"{}\", client_secret = \"{}\" }}\n",
            server.server.base_url(),
            admin.client_id,
            admin.client_secret.expose()
        ),
    )
    .unwrap();
    let pid = std::process::id().to_string();
    let Command::Sweep(mut args) = command(&[
        "sweep",
        "--scenario",
        "client_credentials",
        "--target",
        target.to_str().unwrap(),
        "--generators",
        "2",
        "--server-pid",
        &pid,
        "--report-dir",
        files.path().to_str().unwrap(),
        "--start-rps",
        "40",
        "--step-seconds",
        "1",
        "--max-steps",
        "2",
    ]) else {
        panic!("not a sweep");
    };
    args.generator_exe = Some(env!("CARGO_BIN_EXE_load").into());

    let outcome = load::capacity::sweep(args).await.unwrap();
    server.server.shutdown().await.unwrap();

    let dir = &outcome.report_dir;
    let sweep: Value = serde_json::from_str(&read(&dir.join("sweep.json"))).unwrap();
    let steps = sweep["steps"].as_array().unwrap();
    assert!(steps.len() >= 2, "{sweep}");
    assert_eq!(steps[0]["offered_rps"], 40.0);
    for step in steps {
        let generators = step["generators"].as_array().unwrap();
        assert_eq!(generators.len(), 2, "{step}");
        let field =
            |name: &str| -> u64 { generators.iter().map(|g| g[name].as_u64().unwrap()).sum() };
        assert_eq!(step["sent"].as_u64(), Some(field("sent")), "{step}");
        assert_eq!(step["planned"].as_u64(), Some(field("planned")), "{step}");
        for generator in generators {
            assert!(generator["sent"].as_u64().unwrap() > 0, "{step}");
            assert!(generator["lag_p99_ms"].as_f64().unwrap() >= 0.0, "{step}");
        }
        assert_eq!(step["error_ratio"], 0.0, "{step}");
        assert_eq!(
            step["achieved_rps"], step["offered_rps"],
            "every planned request completed: {step}"
        );
        assert!(step["server_cpu_cores"].as_f64().is_some(), "{step}");
    }
    assert_eq!(
        steps[0]["sent"], 40,
        "one second at 40 rps, split 20 and 20"
    );
    let summary = read(&dir.join("summary.md"));
    assert!(summary.contains("## Generators"), "{summary}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_pid_that_cannot_be_metered_is_refused_before_any_load() {
    let _turn = TURN.lock().await;
    let reports = tempfile::tempdir().unwrap();
    let root = reports.path().to_str().unwrap();
    let files = tempfile::tempdir().unwrap();
    let target = files.path().join("target.toml");
    // Nothing listens there: a refusal must come before the target is even asked.
    std::fs::write(
        &target,
        "name = \"absent\"\nissuer = \"http://127.0.0.1:9\"\nprofile = \"vendor\"\n",
    )
    .unwrap();
    let own = std::process::id().to_string();
    let cases = [
        (vec!["--server-pid", own.as_str()], "embedded server"),
        (
            vec![
                "--target",
                target.to_str().unwrap(),
                "--server-pid",
                "4294967295",
            ],
            "/proc/4294967295/stat",
        ),
    ];
    for (extra, expected) in cases {
        let mut argv = vec!["sweep", "--scenario", "healthz", "--report-dir", root];
        argv.extend(extra);
        let Command::Sweep(args) = command(&argv) else {
            panic!("not a sweep");
        };
        let error = load::capacity::sweep(args).await.unwrap_err();
        assert!(error.contains(expected), "{error}");
    }
}
