//! The binary's contract: exit statuses and messages (design.md), and discovery's fallback to
//! OpenID discovery against a stand-in server.

#![allow(clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

use std::process::Output;

use conformance::ctx::plain_client;
use conformance::discovery::Endpoints;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn conformance(args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_conformance"))
        .args(args)
        .output()
        .await
        .expect("the binary runs")
}

fn target_file(dir: &tempfile::TempDir, text: &str) -> String {
    let path = dir.path().join("target.toml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[tokio::test]
async fn a_bad_target_file_is_exit_2_with_the_field_named() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "name = \"x\"\nissuer = \"http://127.0.0.1:9\"\nprofile = \"lenient\"\n",
            "profile",
        ),
        ("name = \"x\"\nprofile = \"strict\"\n", "issuer"),
        (
            "name = \"x\"\nissuer = \"http://127.0.0.1:9\"\nprofile = \"strict\"\n[clients.code]\nid = \"a\"\nsecret = \"b\"\n",
            "clients.code.redirect_uri",
        ),
    ];
    for (text, field) in cases {
        let path = target_file(&dir, text);

        let output = conformance(&["--target", &path, "--quiet"]).await;

        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{field}: {stderr}");
        assert!(
            stderr.contains(field),
            "the message names `{field}`: {stderr}"
        );
    }
    let missing = conformance(&["--target", "/nonexistent/target.toml"]).await;
    assert_eq!(missing.status.code(), Some(2));
}

#[tokio::test]
async fn an_unreachable_target_is_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    // Port 9 (discard) on loopback: nothing listens there.
    let path = target_file(
        &dir,
        "name = \"gone\"\nissuer = \"http://127.0.0.1:9\"\nprofile = \"strict\"\n",
    );
    let reports = dir.path().join("reports");

    let output = conformance(&[
        "--target",
        &path,
        "--quiet",
        "--report-dir",
        reports.to_str().unwrap(),
    ])
    .await;

    assert_eq!(
        output.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        !reports.exists(),
        "no report for a target that was never reached"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.to_ascii_lowercase().contains("connection refused"),
        "the cause is named: {stderr}"
    );
    assert!(
        stderr.contains("Is the server running") && stderr.contains("`issuer`"),
        "the next step is named: {stderr}"
    );
    assert_eq!(
        stderr.matches("127.0.0.1:9").count(),
        1,
        "the address once: {stderr}"
    );
}

#[tokio::test]
async fn a_selection_that_matches_nothing_is_exit_2_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().join("reports");
    let baseline = dir.path().join("typo.expect");
    std::fs::write(&baseline, "nosuchcheck-01  # a typo\n").unwrap();
    let cases: [&[&str]; 3] = [
        &["--only", "nosuchcheck-*"],
        &["--only", "nosuchcheck-*,NOSUCH-99"],
        &["--expect", baseline.to_str().unwrap()],
    ];
    for case in cases {
        let mut args = vec!["--quiet", "--report-dir", reports.to_str().unwrap()];
        args.extend_from_slice(case);

        let output = conformance(&args).await;

        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{case:?}: {stderr}");
        assert!(stderr.contains("no check matches"), "{case:?}: {stderr}");
        assert!(!reports.exists(), "{case:?}: nothing written");
    }
}

#[tokio::test]
async fn list_names_every_check_and_the_rows_checked_elsewhere() {
    let output = conformance(&["--list"]).await;

    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8_lossy(&output.stdout);
    let catalog = conformance::checks::catalog();
    let citations: usize = catalog.iter().map(|c| c.citations.len()).sum();
    let lines = catalog.len() + citations + conformance::checks::CHECKED_ELSEWHERE.len();
    assert_eq!(
        text.lines().count(),
        lines,
        "a line per check and per citation"
    );
    assert!(
        text.contains("token-cc-01") && text.contains("ADMIN-11"),
        "{text}"
    );
}

#[tokio::test]
async fn discovery_falls_back_to_openid_configuration() {
    let server = MockServer::start().await;
    let issuer = server.uri();
    Mock::given(method("GET"))
        .and(path("/.well-known/openid-configuration"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "issuer": issuer,
            "token_endpoint": format!("{issuer}/oauth2/token"),
            "authorization_endpoint": format!("{issuer}/oauth2/authorize"),
        })))
        .mount(&server)
        .await;
    // Anything else, RFC 8414's path included, is wiremock's 404.

    let endpoints = Endpoints::discover(&plain_client(None), &issuer)
        .await
        .unwrap();

    assert_eq!(
        endpoints.metadata_url,
        format!("{issuer}/.well-known/openid-configuration")
    );
    assert_eq!(
        endpoints.token.as_deref(),
        Some(format!("{issuer}/oauth2/token").as_str())
    );
    assert_eq!(
        endpoints.introspection, None,
        "absent endpoints make their checks skip"
    );
    assert_eq!(
        endpoints.check_token.as_deref(),
        Some(format!("{issuer}/oauth2/check_token").as_str())
    );
}

#[tokio::test]
async fn metadata_that_is_not_json_is_no_metadata() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>welcome</html>"))
        .mount(&server)
        .await;

    let error = Endpoints::discover(&plain_client(None), &server.uri())
        .await
        .unwrap_err();

    assert!(error.to_string().starts_with("no metadata at"), "{error}");
}

/// The reference server started as `fixtures/targets/sandbox.toml` says (its flags, its admin
/// secret), on a free port instead of 8080.
async fn sandbox(
    flags: &[&str],
    dir: &tempfile::TempDir,
) -> (reference_server::RunningServer, String) {
    use clap::Parser as _;
    let database = format!("sqlite://{}", dir.path().join("sandbox.db").display());
    let mut args = vec![
        "reference-server",
        "--addr",
        "127.0.0.1:0",
        "--database",
        &database,
    ];
    args.extend_from_slice(flags);
    let config = reference_server::config::Config::parse_from(args);
    let server = reference_server::start(
        config,
        Some(reference_server::secret::ClientSecret::new(
            "sandbox-admin-secret-0123456789".to_owned(),
        )),
    )
    .await
    .expect("the sandbox starts");
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/targets/sandbox.toml"
    );
    let text = std::fs::read_to_string(file)
        .unwrap()
        .replace("http://127.0.0.1:8080", &server.base_url());
    let target = target_file(dir, &text);
    (server, target)
}

/// Runs the binary against `target` with `extra` arguments; it must exit 0. Its standard
/// output and the run's report.json.
async fn run_exiting_0(
    dir: &tempfile::TempDir,
    target: &str,
    extra: &[&str],
) -> (String, serde_json::Value) {
    let reports = dir.path().join("reports");
    let mut args = vec![
        "--target",
        target,
        "--quiet",
        "--report-dir",
        reports.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let output = conformance(&args).await;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    let text = std::fs::read_to_string(reports.join("latest/report.json")).unwrap();
    (stdout, serde_json::from_str(&text).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_target_has_no_failure_against_the_sandbox() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, target) = sandbox(&["--test-clock", "--allow-chosen-secrets"], &dir).await;

    let (stdout, report) = run_exiting_0(&dir, &target, &[]).await;

    assert_eq!(report["summary"]["failed"], 0, "{stdout}");
    assert_eq!(report["summary"]["warned"], 0, "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fixture_the_sandbox_refuses_skips_in_the_servers_words() {
    let dir = tempfile::tempdir().unwrap();
    // Started without --allow-chosen-secrets: TOKEN-AUTH-02's `enc client:1` is refused.
    let (_server, target) = sandbox(&["--test-clock"], &dir).await;

    let (_, report) = run_exiting_0(&dir, &target, &["--only", "token-auth-02"]).await;

    let check = &report["checks"][0];
    assert_eq!(check["outcome"], "skip", "{check}");
    assert!(
        check["reason"]
            .as_str()
            .is_some_and(|r| r.contains("refused") && r.contains("allow-chosen-secrets")),
        "the server's own words: {check}"
    );
}

/// TOKEN-RESP-05: `--samples` changes how many values the unguessability checks draw, the
/// report says how many, and a sample too small to judge 128 bits is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn samples_sets_the_unguessability_sample_and_the_report_shows_it() {
    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().join("reports");
    let reports = reports.to_str().unwrap();

    let too_few = conformance(&["--quiet", "--report-dir", reports, "--samples", "31"]).await;
    let stderr = String::from_utf8_lossy(&too_few.stderr);
    assert_eq!(too_few.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--samples"), "{stderr}");

    let output = conformance(&[
        "--quiet",
        "--report-dir",
        reports,
        "--samples",
        "40",
        "--only",
        "token-resp-05a",
    ])
    .await;
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("reports/latest/report.json")).unwrap(),
    )
    .unwrap();
    let check = &report["checks"][0];
    assert_eq!(check["id"], "token-resp-05a");
    assert_eq!(check["outcome"], "pass");
    assert_eq!(check["cases"], 40, "{check}");
}
