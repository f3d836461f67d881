//! `conformance client`: runs a plan's tests against a command (or, with `--serve`, waits for
//! a client that is a service) and writes the four reports.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::stream;

use super::harness::{self, Options};
use super::{ClientTest, Plan, select, tests};
use crate::model::Profile;
use crate::report::{CitationReport, Report, TargetInfo};

/// Exit statuses, as for servers (design.md).
const FAILED: u8 = 1;
const USAGE: u8 = 2;
const UNREACHABLE: u8 = 3;

/// Tests that run at once: each has its own server and its own client process.
const CONCURRENCY: usize = 4;

#[derive(Debug, clap::Args)]
pub struct ClientArgs {
    /// Which kind of client: client-credentials or authorization-code.
    #[arg(long, value_enum, required_unless_present = "list")]
    pub plan: Option<Plan>,
    /// The client under test, run with `sh -c` once per test (docs/client.md has the
    /// environment it gets).
    #[arg(long, required_unless_present_any = ["list", "serve"], conflicts_with = "serve")]
    pub run: Option<String>,
    /// The client's name in the report folder: `<time>-client-<name>`.
    #[arg(long, default_value = "client")]
    pub name: String,
    /// Only tests whose id matches (glob, case-insensitive; repeat or comma-separate).
    #[arg(long)]
    pub only: Vec<String>,
    /// The reference server's profile.
    #[arg(long, value_enum, default_value = "vendor")]
    pub profile: Profile,
    /// Where runs write their reports.
    #[arg(long, default_value = "reports/conformance")]
    pub report_dir: PathBuf,
    /// Seconds each test's client may run before it is killed.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: u64,
    /// List the tests and exit.
    #[arg(long)]
    pub list: bool,
    /// One test at a time, without --run: print its settings and wait for the client to act.
    #[arg(long)]
    pub serve: bool,
}

/// `println!` that does not panic on a closed pipe.
fn out(line: &str) {
    let _ = writeln!(std::io::stdout(), "{line}");
}

fn usage(message: &str) -> ExitCode {
    eprintln!("conformance client: {message}");
    ExitCode::from(USAGE)
}

pub async fn main(args: ClientArgs) -> ExitCode {
    if args.list {
        list(args.plan);
        return ExitCode::SUCCESS;
    }
    let Some(plan) = args.plan else {
        return usage("--plan is required");
    };
    let selected = match select(plan, &args.only) {
        Ok(selected) => selected,
        Err(message) => return usage(&message),
    };
    if selected.is_empty() {
        return usage(&format!(
            "no test of the {} plan matches --only {}; `conformance client --list` shows them",
            plan.as_str(),
            args.only.join(",")
        ));
    }
    let started_at = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default();
    let clock = Instant::now();
    let results = if args.serve {
        match super::serve::serve(&selected, args.profile).await {
            Ok(results) => results,
            Err(code) => return code,
        }
    } else {
        let Some(command) = args.run.clone() else {
            return usage("--run COMMAND is required (or --serve)");
        };
        let options = Options {
            command,
            timeout: Duration::from_secs(args.timeout),
            profile: args.profile,
        };
        run_tests(&selected, &options).await
    };
    if results.iter().all(|r| {
        r.client_run.as_ref().is_some_and(|c| {
            c.exit
                .starts_with("not run: the reference server did not start")
        })
    }) {
        eprintln!("conformance client: the reference server did not start");
        return ExitCode::from(UNREACHABLE);
    }
    // sh answers 127 for a command it cannot find and 126 for one it cannot execute: when every
    // test ended so, the command line is wrong, and judging the client would only say so 23 times.
    if !args.serve
        && let Some(first) = results.first().and_then(|r| r.client_run.as_ref())
        && results.iter().all(|r| {
            r.client_run
                .as_ref()
                .is_some_and(|c| c.exit == "exit 127" || c.exit == "exit 126")
        })
    {
        return usage(&format!(
            "sh could not run the command in any test ({}): {}; a relative path is taken from {}",
            first.exit,
            first
                .stderr
                .trim_end()
                .lines()
                .last()
                .unwrap_or("no message"),
            std::env::current_dir().map_or_else(|_| "here".into(), |d| d.display().to_string())
        ));
    }
    let info = TargetInfo {
        name: format!("client-{}", args.name),
        // Each test has a server of its own, on a port of its own.
        issuer: format!("in-process reference server, {} plan", plan.as_str()),
        profile: args.profile.as_str().into(),
    };
    let report = Report::new(info, started_at, clock.elapsed(), 0, results);
    print_table(&report);
    match report.write(&args.report_dir) {
        Ok(folder) => out(&format!("reports: {}", folder.display())),
        Err(e) => {
            return usage(&format!(
                "cannot write reports to {}: {e}",
                args.report_dir.display()
            ));
        }
    }
    if report.summary.failed > 0 {
        ExitCode::from(FAILED)
    } else {
        ExitCode::SUCCESS
    }
}

/// Every test of `selected`, a few at a time; reports in the plan's order.
pub async fn run_tests(
    selected: &[ClientTest],
    options: &Options,
) -> Vec<crate::report::CheckReport> {
    let mut results: Vec<(usize, crate::report::CheckReport)> =
        stream::iter(selected.iter().enumerate())
            .map(|(i, test)| async move { (i, harness::run(test, options).await) })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

fn list(plan: Option<Plan>) {
    for test in tests().iter().filter(|t| plan.is_none_or(|p| p == t.plan)) {
        out(&format!(
            "{:<28} {:<20} {:<8} {}",
            test.id,
            test.plan.as_str(),
            test.level().as_str(),
            test.title
        ));
        for cited in test.citations {
            out(&format!(
                "{:<28} {}",
                "",
                CitationReport::from(cited).line()
            ));
        }
    }
}

fn print_table(report: &Report) {
    let s = &report.summary;
    out(&format!(
        "{}: {} passed, {} failed, {} warnings, {} skipped in {:.1} s",
        report.target.name,
        s.passed,
        s.failed,
        s.warned,
        s.skipped,
        report.duration_ms as f64 / 1000.0
    ));
    for check in report
        .checks
        .iter()
        .filter(|c| c.outcome == "fail" || c.outcome == "warn")
    {
        out(&format!(
            "  {:<4} {:<28} {}",
            check.outcome.to_uppercase(),
            check.id,
            check.reason.as_deref().unwrap_or("")
        ));
    }
}
