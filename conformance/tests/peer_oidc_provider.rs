//! The whole catalog against oidc-provider (conformance/peers/oidc-provider), a server the
//! suite was not written against. Its checks may fail, that is the peer's business; the run
//! itself must finish: exit status 0 or 1, a report with every check of the strict profile,
//! and no exchange the suite could not complete. Needs Node.js 20+ and npm, so it is
//! ignored by default:
//! `cargo test -p conformance --test peer_oidc_provider -- --ignored --nocapture`.

#![allow(clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

use std::path::{Path, PathBuf};

use conformance::checks::catalog;
use conformance::ctx::plain_client;
use conformance::model::Profile;
use conformance::runner::{Selection, select};
use serde_json::Value;
use tokio::process::Command;

const TARGET: &str = "fixtures/targets/oidc-provider.toml";
/// Its known failures and warnings, each explained in the README.
const EXPECTED: &str = "fixtures/targets/oidc-provider.expect";
const DISCOVERY: &str = "http://127.0.0.1:4000/.well-known/openid-configuration";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
        .to_owned()
}

/// The peer's process; stopped even when an assertion fails.
struct Peer {
    pid: String,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let stop = root().join("conformance/peers/oidc-provider/stop.sh");
        let _ = std::process::Command::new(stop).arg(&self.pid).status();
    }
}

async fn start_peer() -> Peer {
    let run = root().join("conformance/peers/oidc-provider/run.sh");
    let output = Command::new(run)
        .output()
        .await
        .expect("run.sh can be started");
    assert!(
        output.status.success(),
        "the peer did not start:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let pid = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    assert!(
        !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()),
        "run.sh printed no PID: {pid:?}"
    );
    Peer { pid }
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Node.js and npm; installs oidc-provider from the npm registry"]
async fn the_whole_suite_finishes_against_oidc_provider() {
    let peer = start_peer().await;
    let reports = tempfile::tempdir().unwrap();

    let status = Command::new(env!("CARGO_BIN_EXE_conformance"))
        .current_dir(root())
        .args([
            "--target",
            TARGET,
            "--expect",
            EXPECTED,
            "--quiet",
            "--report-dir",
        ])
        .arg(reports.path())
        .status()
        .await
        .expect("the conformance binary runs");

    // A transport error is the suite's only if the peer is still up afterwards.
    let alive = plain_client(None)
        .get(DISCOVERY)
        .send()
        .await
        .is_ok_and(|r| r.status().is_success());
    assert!(alive, "the peer (PID {}) died during the run", peer.pid);
    assert!(
        matches!(status.code(), Some(0 | 1)),
        "the suite did not finish: {status} (2: bad usage or target file, 3: unreachable)"
    );

    let text = std::fs::read_to_string(reports.path().join("latest/report.json"))
        .expect("report.json was written");
    let report: Value = serde_json::from_str(&text).expect("report.json is JSON");
    assert_eq!(report["target"]["name"], "oidc-provider");
    let checks = report["checks"].as_array().expect("checks");
    let selected = select(&catalog(), Profile::Strict, &Selection::default());
    assert_eq!(
        checks.len(),
        selected.len(),
        "every check of the strict profile is reported"
    );

    let trouble: Vec<String> = checks.iter().flat_map(suite_trouble).collect();
    assert!(
        trouble.is_empty(),
        "exchanges the suite could not complete:\n{}",
        trouble.join("\n")
    );

    // The peer and its target file agree: the plainest check passes.
    let cc = checks
        .iter()
        .find(|c| c["id"] == "token-cc-01")
        .expect("token-cc-01 ran");
    assert_eq!(cc["outcome"], "pass", "token-cc-01: {}", cc["reason"]);
    // Every failure and warning is the known, explained one, and each still happens.
    assert_eq!(
        status.code(),
        Some(0),
        "the results differ from {EXPECTED} (see the lines the suite printed)"
    );
}
