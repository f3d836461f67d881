//! `conformance client` as a user runs it: exit statuses, the four reports under
//! `<time>-client-<name>/`, and no secret or token in them even when the client prints both.

use std::path::Path;
use std::process::Command;

use super::fixture_client;

fn conformance() -> Command {
    Command::new(env!("CARGO_BIN_EXE_conformance"))
}

fn read_all(dir: &Path) -> Vec<(String, String)> {
    ["report.json", "junit.xml", "report.html", "summary.md"]
        .iter()
        .map(|name| {
            let text = std::fs::read_to_string(dir.join(name))
                .unwrap_or_else(|e| panic!("{name} in {}: {e}", dir.display()));
            ((*name).to_owned(), text)
        })
        .collect()
}

#[test]
fn a_leaky_client_fails_and_its_reports_show_neither_its_secret_nor_its_token() {
    let reports = tempfile::tempdir().unwrap();
    let printed = tempfile::tempdir().unwrap();
    // The client prints its token on standard error; the command also keeps, outside the
    // harness, what was printed and the secret it was given (a file per test: the tests run at
    // once), to look for them afterwards.
    let run = format!(
        "printf '%s\\n' \"$OAUTH_CLIENT_SECRET\" > '{dir}/secret.'\"$OAUTH_CLIENT_ID\"; '{client}' client-credentials --defect log-token 2>&1 | tee '{dir}/printed.'\"$OAUTH_CLIENT_ID\"",
        dir = printed.path().display(),
        client = fixture_client().display(),
    );

    let output = conformance()
        .args(["client", "--plan", "client-credentials", "--name", "leaky"])
        .args(["--only", "cc-no-leak,cc-basic-encoding", "--run", &run])
        .arg("--report-dir")
        .arg(reports.path())
        .output()
        .unwrap();

    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "a MUST failed: {stdout}");
    assert!(stdout.contains("FAIL cc-no-leak"), "{stdout}");
    let folder = std::fs::read_dir(reports.path())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().ends_with("-client-leaky"))
        })
        .expect("a <time>-client-leaky folder");
    let kept = |prefix: &str| -> Vec<String> {
        std::fs::read_dir(printed.path())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
            .flat_map(|e| {
                std::fs::read_to_string(e.path())
                    .unwrap()
                    .lines()
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let secrets = kept("secret.");
    let tokens: Vec<String> = kept("printed.")
        .iter()
        .filter_map(|l| l.strip_prefix("debug: access token "))
        .map(str::to_owned)
        .collect();
    assert_eq!(secrets.len(), 2, "one secret per test");
    assert!(!tokens.is_empty(), "the client printed its tokens");
    assert!(
        tokens.iter().all(|t| t.len() >= 32),
        "whole tokens, one a line"
    );
    assert!(secrets.iter().any(|s| s.contains("+/:%= ")), "{secrets:?}");
    for (name, text) in read_all(&folder)
        .into_iter()
        .chain(read_all(&reports.path().join("latest")))
    {
        for (i, secret) in secrets.iter().chain(&tokens).enumerate() {
            let at = text.find(secret.as_str());
            assert!(
                at.is_none(),
                "{name} shows secret or token #{i} (of {} secrets, then tokens), in `{}`",
                secrets.len(),
                at.map(|at| text[at.saturating_sub(120)..at].to_owned())
                    .unwrap_or_default()
            );
        }
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(folder.join("report.json")).unwrap())
            .unwrap();
    assert_eq!(json["target"]["name"], "client-leaky");
    let checks = json["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 2);
    for check in checks {
        assert!(check["client_run"]["exit"].is_string(), "{check}");
        assert!(
            !check["transcript"].as_array().unwrap().is_empty(),
            "{check}"
        );
        assert!(
            !check["citations"].as_array().unwrap().is_empty(),
            "{check}"
        );
    }
    let leak = checks.iter().find(|c| c["id"] == "cc-no-leak").unwrap();
    assert_eq!(leak["outcome"], "fail");
    // Its standard error reached standard output through the pipe.
    assert!(
        leak["client_run"]["stdout"]
            .as_str()
            .unwrap()
            .contains("debug: access token [redacted]"),
        "{leak}"
    );
    let junit = std::fs::read_to_string(folder.join("junit.xml")).unwrap();
    let mut reader = quick_xml::Reader::from_str(&junit);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("junit.xml: {e}"),
        }
    }
}

#[test]
fn usage_errors_exit_2_and_list_shows_both_plans() {
    let nothing = conformance()
        .args([
            "client",
            "--plan",
            "client-credentials",
            "--only",
            "no-such-test",
            "--run",
            "true",
        ])
        .output()
        .unwrap();
    assert_eq!(nothing.status.code(), Some(2));
    let no_command = conformance()
        .args(["client", "--plan", "authorization-code"])
        .output()
        .unwrap();
    assert_eq!(no_command.status.code(), Some(2));

    let list = conformance().args(["client", "--list"]).output().unwrap();
    let text = String::from_utf8_lossy(&list.stdout);
    assert_eq!(list.status.code(), Some(0));
    for id in ["cc-basic-encoding", "code-injected-code"] {
        assert!(text.contains(id), "{text}");
    }
    assert!(
        text.contains("MUST (RFC 6749 §2.3.1)") || text.contains("MUST (RFC 6749 §3.2.1)"),
        "{text}"
    );
}

#[test]
fn a_command_sh_cannot_find_is_a_usage_error_naming_it_and_writes_nothing() {
    let reports = tempfile::tempdir().unwrap();
    let output = conformance()
        .args(["client", "--plan", "client-credentials", "--name", "typo"])
        .args(["--run", "./no-such-client client-credentials"])
        .arg("--report-dir")
        .arg(reports.path())
        .output()
        .unwrap();

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("exit 127"), "{stderr}");
    assert!(
        stderr.contains("no-such-client"),
        "sh's own words: {stderr}"
    );
    assert_eq!(std::fs::read_dir(reports.path()).unwrap().count(), 0);
}

#[test]
fn a_client_that_never_finishes_is_killed_at_the_timeout() {
    let reports = tempfile::tempdir().unwrap();
    let output = conformance()
        .args([
            "client",
            "--plan",
            "client-credentials",
            "--only",
            "cc-grant-request",
        ])
        .args(["--timeout", "1", "--run", "sleep 30"])
        .arg("--report-dir")
        .arg(reports.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("timed out after 1 s"), "{stdout}");
}

/// `--serve`: the settings come out as `export` lines, the client (here the fixture client,
/// started by hand as a service would be) acts on them, and the exit status typed in ends the
/// test, judged from what the server recorded.
#[test]
fn serve_prints_the_settings_and_judges_what_the_client_then_sent() {
    use std::io::{BufRead, BufReader, Write};

    let reports = tempfile::tempdir().unwrap();
    let mut serving = conformance()
        .args(["client", "--plan", "client-credentials", "--serve"])
        .args(["--only", "cc-token-reuse", "--name", "served"])
        .arg("--report-dir")
        .arg(reports.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(serving.stdout.take().unwrap()).lines();
    let mut settings = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(export) = line.strip_prefix("export ") {
            let (name, value) = export.split_once('=').unwrap();
            settings.push((name.to_owned(), value.trim_matches('\'').to_owned()));
        }
        if line.contains("exit status") {
            break;
        }
    }
    let names: Vec<&str> = settings.iter().map(|(n, _)| n.as_str()).collect();
    assert!(
        names.contains(&"OAUTH_CLIENT_SECRET") && names.contains(&"RESOURCE_CALLS"),
        "{names:?}"
    );

    let client = Command::new(fixture_client())
        .arg("client-credentials")
        .envs(settings.iter().map(|(n, v)| (n.as_str(), v.as_str())))
        .status()
        .unwrap();
    assert!(client.success());
    writeln!(serving.stdin.take().unwrap(), "0").unwrap();
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    let status = serving.wait().unwrap();

    assert_eq!(status.code(), Some(0), "{rest:?}");
    assert!(
        rest.iter().any(|l| l.contains("cc-token-reuse: pass")),
        "{rest:?}"
    );
}
