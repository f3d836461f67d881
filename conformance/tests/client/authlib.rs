//! A client library no one here wrote, held to the verdicts docs/client.md gives it: Authlib,
//! installed from the package index by `fixtures/clients/python-authlib/install.sh`. Ignored by
//! default (it needs `python3` with `venv` and the index); `.ci/run` runs it where `python3` is.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use conformance::client::harness::Options;
use conformance::client::{Plan, cli, select};
use conformance::model::Profile;

fn scripts() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/clients/python-authlib")
}

/// What did not pass, test by test, against Authlib.
async fn verdicts(plan: Plan) -> BTreeMap<String, String> {
    let options = Options {
        command: format!("'{}' {}", scripts().join("run.sh").display(), plan.as_str()),
        timeout: Duration::from_secs(60),
        profile: Profile::Vendor,
    };
    let tests = select(plan, &[]).expect("no --only");
    cli::run_tests(&tests, &options)
        .await
        .into_iter()
        .filter(|r| r.outcome != "pass")
        .map(|r| (r.id, r.outcome))
        .collect()
}

fn expected(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(id, outcome)| ((*id).to_owned(), (*outcome).to_owned()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "installs Authlib from the package index; .ci/run runs it"]
async fn authlib_keeps_its_documented_verdicts() {
    let install = std::process::Command::new(scripts().join("install.sh"))
        .status()
        .expect("install.sh runs");
    assert!(install.success(), "install.sh failed");

    // RFC 6749 §2.3.1: Basic credentials form-encoded first (a MUST, so a failure); the rest
    // are SHOULD-class or optional behaviours (docs/client.md, "A client no one here wrote").
    assert_eq!(
        verdicts(Plan::ClientCredentials).await,
        expected(&[
            ("cc-basic-encoding", "fail"),
            ("cc-retry-after", "warn"),
            ("cc-token-expiry", "warn"),
        ]),
        "client-credentials"
    );
    assert_eq!(
        verdicts(Plan::AuthorizationCode).await,
        expected(&[
            ("code-access-denied", "warn"),
            ("code-issuer-mismatch", "warn"),
            ("code-refresh-rotation", "skip"),
        ]),
        "authorization-code"
    );
}
