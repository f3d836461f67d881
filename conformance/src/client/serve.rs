//! `conformance client --serve`: for a client that is a service rather than a command. One test
//! at a time: the server is started and the client registered, the settings printed, and the
//! harness waits for the operator to say the client has acted.

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Instant;

use tokio::io::{AsyncBufReadExt, BufReader};

use super::harness::{self, Options};
use super::observe::Exit;
use super::{ClientTest, Plan, browser};
use crate::model::Profile;
use crate::report::CheckReport;

fn say(line: &str) {
    let _ = writeln!(std::io::stdout(), "{line}");
    let _ = std::io::stdout().flush();
}

/// A shell-quoted `export` line.
fn export(name: &str, value: &str) -> String {
    format!("export {name}='{}'", value.replace('\'', "'\\''"))
}

/// Runs `selected` one by one; the report entries, or the exit status when the server failed.
pub(super) async fn serve(
    selected: &[ClientTest],
    profile: Profile,
) -> Result<Vec<CheckReport>, ExitCode> {
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let options = Options {
        command: "(served)".into(),
        timeout: std::time::Duration::ZERO,
        profile,
    };
    let mut reports = Vec::new();
    for test in selected {
        let started = Instant::now();
        let prepared = match harness::prepare(test, profile).await {
            Ok(prepared) => prepared,
            Err(why) => {
                eprintln!("conformance client: {why}");
                return Err(ExitCode::from(3));
            }
        };
        say(&format!("\n# {}: {}", test.id, test.title));
        for (name, value) in &prepared.settings.vars {
            say(&export(name, value));
        }
        prepared.start_recording();
        let mut authorization_url = None;
        let mut delivered = Vec::new();
        if test.plan == Plan::AuthorizationCode {
            say("# Paste the authorization URL the client printed, then Enter:");
            if let Ok(Some(line)) = lines.next_line().await {
                let url = line.trim().to_owned();
                match browser::deliver(&prepared.ctx, test.setup.delivery, &url).await {
                    Ok(urls) => delivered = urls,
                    Err(why) => say(&format!("# nothing delivered: {why}")),
                }
                authorization_url = Some(url);
            }
        }
        say(
            "# When the client has made its calls, type its exit status (0 if it succeeded), then Enter:",
        );
        let status = lines
            .next_line()
            .await
            .ok()
            .flatten()
            .and_then(|l| l.trim().parse::<i32>().ok());
        let exit = status.map_or(Exit::NotRun("no exit status given".into()), Exit::Code);
        let mut observation = prepared.observation(test, exit);
        observation.authorization_url = authorization_url;
        observation.delivered = delivered;
        prepared.collect(&mut observation);
        let redactor = prepared.ctx.run.redactor.clone();
        let report = harness::report(test, &options, &observation, &redactor, started);
        say(&format!("# {}: {}", test.id, report.outcome));
        reports.push(report);
        let _ = prepared.embedded.server.shutdown().await;
    }
    Ok(reports)
}
