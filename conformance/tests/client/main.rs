//! `conformance client` judged on clients we wrote: the fixture client passes both plans, each of
//! its defects is caught by exactly the tests expected (the client-defect matrix), and the
//! reports keep secrets and tokens out.

#![allow(clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

mod authlib;
mod matrix;
mod reports;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use conformance::client::harness::Options;
use conformance::client::{Plan, cli, select};
use conformance::model::Profile;
use conformance::report::CheckReport;

/// The fixture client, built once per test binary. `cargo test --workspace` has built it
/// already (its own integration test needs it); a run of this package alone builds it here when
/// it is missing or older than its sources.
fn fixture_client() -> &'static PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        let binary = target
            .parent()
            .expect("the target directory")
            .join("debug")
            .join("fixture-client");
        if stale(&binary) {
            build_fixture_client();
        }
        assert!(binary.exists(), "{} is missing", binary.display());
        binary
    })
}

/// Whether `binary` is missing or older than a source of the fixture client or the lock file.
fn stale(binary: &Path) -> bool {
    let modified = |path: &Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let Some(built) = modified(binary) else {
        return true;
    };
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let fixture = workspace.join("fixtures/clients/rust");
    let mut sources = vec![workspace.join("Cargo.lock"), fixture.join("Cargo.toml")];
    if let Ok(entries) = std::fs::read_dir(fixture.join("src")) {
        sources.extend(entries.filter_map(Result::ok).map(|e| e.path()));
    }
    sources
        .iter()
        .any(|source| modified(source).is_none_or(|changed| changed > built))
}

fn build_fixture_client() {
    let mut cargo = std::process::Command::new(env!("CARGO"));
    cargo.args(["build", "--quiet", "-p", "fixture-client"]);
    // What cargo set for this test (CARGO_MANIFEST_DIR and the like) would make build scripts
    // that watch them rebuild their crates, for this build and the next outer one.
    for (name, _) in std::env::vars() {
        let kept = ["CARGO_HOME", "CARGO_TARGET_DIR"].contains(&name.as_str())
            || name.starts_with("CARGO_BUILD_");
        if name.starts_with("CARGO_") && !kept {
            cargo.env_remove(name);
        }
    }
    let status = cargo.status().expect("cargo build -p fixture-client");
    assert!(status.success(), "the fixture client did not build");
}

/// `sh -c` command running the fixture client for `plan`, with `defect` switched on.
fn command(plan: Plan, defect: Option<&str>) -> String {
    let mut line = format!("'{}' {}", fixture_client().display(), plan.as_str());
    if let Some(defect) = defect {
        line.push_str(&format!(" --defect {defect}"));
    }
    line
}

/// Every test of `plan` against `command`.
async fn run_plan(plan: Plan, command: String) -> Vec<CheckReport> {
    let tests = select(plan, &[]).expect("no --only");
    let options = Options {
        command,
        timeout: Duration::from_secs(30),
        profile: Profile::Vendor,
    };
    cli::run_tests(&tests, &options).await
}

/// The ids that did not pass (failed or warned), in plan order.
fn red(reports: &[CheckReport]) -> Vec<String> {
    reports
        .iter()
        .filter(|r| r.outcome != "pass")
        .map(|r| r.id.clone())
        .collect()
}
