//! The whole catalog against third-party servers the suite was not written against
//! (`conformance/peers/`), each held to its baseline (`fixtures/targets/<peer>.expect`): every
//! failure and warning is a known, explained one (docs/peers/), and each still happens. The run
//! itself must finish: exit status 0 or 1, a report with every check of the target's profile,
//! and no exchange the suite could not complete.
//!
//! Each peer is installed from its package registry by its own `run.sh`, so these tests are
//! ignored by default; `.ci/run` runs each one whose package manager is present:
//! `cargo test -p conformance --test peers -- --ignored oidc_provider`.

#![allow(clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

use std::path::{Path, PathBuf};

use conformance::checks::catalog;
use conformance::ctx::plain_client;
use conformance::discovery::Endpoints;
use conformance::runner::{Selection, select};
use conformance::target::Target;
use serde_json::Value;
use tokio::process::Command;

/// The seed of every peer run, and of the runs that wrote their baselines.
const PEER_SEED: &str = "1";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
        .to_owned()
}

/// The peer's process; stopped even when an assertion fails.
struct Running {
    folder: PathBuf,
    pid: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = std::process::Command::new(self.folder.join("stop.sh"))
            .arg(&self.pid)
            .status();
    }
}

async fn start(name: &str) -> Running {
    let folder = root().join("conformance/peers").join(name);
    let output = Command::new(folder.join("run.sh"))
        .output()
        .await
        .expect("run.sh can be started");
    assert!(
        output.status.success(),
        "{name} did not start:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let pid = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    assert!(
        !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()),
        "run.sh printed no PID: {pid:?}"
    );
    Running { folder, pid }
}

/// What in a check's report shows that the suite, not the server, broke the check.
fn suite_trouble(check: &Value) -> Vec<String> {
    let id = check["id"].as_str().unwrap_or("?");
    let mut found = Vec::new();
    let reason = check["reason"].as_str().unwrap_or("");
    for sign in ["transport error", "a request that can be built"] {
        if reason.contains(sign) {
            found.push(format!("{id}: {reason}"));
        }
    }
    for exchange in check["transcript"].as_array().into_iter().flatten() {
        if let Some(error) = exchange["error"].as_str() {
            let url = exchange["request"]["url"].as_str().unwrap_or("?");
            found.push(format!("{id}: no answer from {url}: {error}"));
        }
    }
    found
}

/// Runs the whole suite against the peer in `conformance/peers/<name>` with its target file
/// and baseline, and holds the run to them. `plainest` is a check the peer must pass: the
/// peer and its target file agree.
async fn whole_suite_against(name: &str, plainest: &str) {
    let target_file = format!("fixtures/targets/{name}.toml");
    let baseline = format!("fixtures/targets/{name}.expect");
    let target = Target::load(&root().join(&target_file)).expect("the peer's target file");
    let peer = start(name).await;
    let reports = tempfile::tempdir().unwrap();

    let status = Command::new(env!("CARGO_BIN_EXE_conformance"))
        .current_dir(root())
        // A fixed seed: the generated cases are the same in every run, so a baseline entry
        // depends on the server alone (its own races are marked `?` in the baseline).
        .args(["--target", &target_file, "--expect", &baseline, "--quiet"])
        .args(["--seed", PEER_SEED])
        .arg("--report-dir")
        .arg(reports.path())
        .status()
        .await
        .expect("the conformance binary runs");

    // A transport error is the suite's only if the peer is still up afterwards.
    let alive = Endpoints::discover(&plain_client(None), &target.issuer)
        .await
        .is_ok();
    assert!(alive, "{name} (PID {}) died during the run", peer.pid);
    assert!(
        matches!(status.code(), Some(0 | 1)),
        "the suite did not finish: {status} (2: bad usage or target file, 3: unreachable)"
    );

    let text = std::fs::read_to_string(reports.path().join("latest/report.json"))
        .expect("report.json was written");
    let report: Value = serde_json::from_str(&text).expect("report.json is JSON");
    assert_eq!(report["target"]["name"], target.name);
    let checks = report["checks"].as_array().expect("checks");
    let selected = select(&catalog(), target.profile, &Selection::default());
    assert_eq!(
        checks.len(),
        selected.len(),
        "every check of the {} profile is reported",
        target.profile.as_str()
    );

    let trouble: Vec<String> = checks.iter().flat_map(suite_trouble).collect();
    assert!(
        trouble.is_empty(),
        "exchanges the suite could not complete:\n{}",
        trouble.join("\n")
    );

    let plain = checks
        .iter()
        .find(|c| c["id"] == plainest)
        .unwrap_or_else(|| panic!("{plainest} ran"));
    assert_eq!(plain["outcome"], "pass", "{plainest}: {}", plain["reason"]);
    // Every failure and warning is the known, explained one, and each still happens.
    assert_eq!(
        status.code(),
        Some(0),
        "the results differ from {baseline} (see the lines the suite printed)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Node.js and npm; installs oidc-provider from the npm registry"]
async fn oidc_provider() {
    whole_suite_against("oidc-provider", "token-cc-01").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Node.js and npm; installs @node-oauth/oauth2-server from the npm registry"]
async fn node_oauth2_server() {
    whole_suite_against("node-oauth2-server", "token-cc-01").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Python 3 and pip; installs django-oauth-toolkit from PyPI"]
async fn django_oauth_toolkit() {
    whole_suite_against("django-oauth-toolkit", "token-cc-01").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs apt-get as root; installs ruby-doorkeeper and Rails from Debian"]
async fn doorkeeper() {
    whole_suite_against("doorkeeper", "token-cc-01").await;
}
