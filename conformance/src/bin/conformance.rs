//! `conformance`: checks an OAuth 2.0 authorization server (by default the reference server,
//! started in-process) and writes report.json, junit.xml, report.html and summary.md.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use clap::Parser;
use conformance::baseline;
use conformance::checks::{CHECKED_ELSEWHERE, catalog};
use conformance::ctx::{Run, plain_client};
use conformance::discovery::{DiscoveryError, Endpoints};
#[cfg(feature = "embedded")]
use conformance::embedded;
use conformance::model::Profile;
use conformance::report::{CheckReport, CitationReport, Report, TargetInfo};
use conformance::runner::{Selection, run_all, select};
use conformance::target::Target;
use indicatif::{ProgressBar, ProgressStyle};

/// `println!` that does not panic when standard output is a closed pipe (`| head`).
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// Exit statuses (design.md).
const FAILED: u8 = 1;
const USAGE: u8 = 2;
const UNREACHABLE: u8 = 3;

#[derive(Debug, Parser)]
#[command(
    version,
    about = "Checks an OAuth 2.0 authorization server, requirement by requirement."
)]
struct Cli {
    /// Target file (TOML). Without it, the reference server is started in-process and checked
    /// in the vendor profile, then in the strict one.
    #[arg(long)]
    target: Option<PathBuf>,
    /// The profile to expect; default: the target file's.
    #[arg(long, value_enum)]
    profile: Option<Profile>,
    /// Only checks whose id or requirement matches (glob, case-insensitive; repeat or comma-separate).
    #[arg(long)]
    only: Vec<String>,
    /// List the checks and exit.
    #[arg(long)]
    list: bool,
    /// Seed of the generated cases; a run with the same seed replays them.
    #[arg(long)]
    seed: Option<u64>,
    /// Generated cases per generating check (hostile redirect URIs, state values, malformed
    /// token requests), instead of each check's default.
    #[arg(long)]
    cases: Option<usize>,
    /// Values drawn per kind (access tokens, codes, refresh tokens) by the unguessability
    /// checks, instead of the catalog's 1,000 (TOKEN-RESP-05); fewer is quicker on a slow
    /// server and weaker, and the report gives the count.
    #[arg(long, value_parser = clap::value_parser!(u32).range(32..))]
    samples: Option<u32>,
    /// Where runs write their reports.
    #[arg(long, default_value = "reports/conformance")]
    report_dir: PathBuf,
    /// Wait in real time for expiries when the target has no test clock.
    #[arg(long)]
    slow: bool,
    /// Check ids expected to fail or warn; any other failure, or an expectation that no
    /// longer happens, fails the run.
    #[arg(long)]
    expect: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Checks an OAuth 2.0 client instead: the reference server misbehaves on purpose, one
    /// test at a time, and judges what the client sends (docs/client.md).
    #[cfg(feature = "embedded")]
    Client(conformance::client::cli::ClientArgs),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    #[cfg(feature = "embedded")]
    if let Some(Command::Client(args)) = cli.command {
        return conformance::client::cli::main(args).await;
    }
    if cli.list {
        list();
        return ExitCode::SUCCESS;
    }
    let selection = match Selection::new(&cli.only) {
        Ok(selection) => selection,
        Err(message) => return usage(&message),
    };
    // A selection that matches nothing would run nothing and pass: a typo must not be green.
    if !cli.only.is_empty() && !catalog().iter().any(|c| selection.includes(c)) {
        return usage(&format!(
            "no check matches --only {}; `conformance --list` shows the check ids and rows",
            cli.only.join(",")
        ));
    }
    let expected = match &cli.expect {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => Some(baseline::parse(&text)),
            Err(e) => return usage(&format!("--expect {}: {e}", path.display())),
        },
        None => None,
    };
    if let (Some(path), Some(baseline)) = (&cli.expect, &expected)
        && baseline.ids().next().is_some()
        && !catalog()
            .iter()
            .any(|c| baseline.ids().any(|id| id == c.id))
    {
        return usage(&format!(
            "no check matches --expect {}: none of its ids is a check of the catalog (`conformance --list`)",
            path.display()
        ));
    }
    let seed = cli.seed.unwrap_or_else(rand::random);
    let mut worst = 0u8;
    match &cli.target {
        Some(path) => {
            let mut target = match Target::load(path) {
                Ok(target) => target,
                Err(e) => return usage(&e.to_string()),
            };
            if let Some(profile) = cli.profile {
                target.profile = profile;
            }
            match check_target(&cli, target, &selection, seed, expected.as_ref()).await {
                Ok(code) => worst = worst.max(code),
                Err(code) => return ExitCode::from(code),
            }
        }
        None => match check_embedded(&cli, &selection, seed, expected.as_ref()).await {
            Ok(code) => worst = worst.max(code),
            Err(code) => return code,
        },
    }
    ExitCode::from(worst)
}

/// Every selected profile against the in-process reference server; the worst exit status.
#[cfg(feature = "embedded")]
async fn check_embedded(
    cli: &Cli,
    selection: &Selection,
    seed: u64,
    expected: Option<&baseline::Baseline>,
) -> Result<u8, ExitCode> {
    let profiles = match cli.profile {
        Some(profile) => vec![profile],
        None => vec![Profile::Vendor, Profile::Strict],
    };
    let mut worst = 0u8;
    for profile in profiles {
        if select(&catalog(), profile, selection).is_empty() {
            eprintln!(
                "conformance: no check of the {} profile matches --only; that profile is left out",
                profile.as_str()
            );
            continue;
        }
        let embedded = match embedded::start_reference(profile).await {
            Ok(embedded) => embedded,
            Err(message) => {
                eprintln!("conformance: {message}");
                return Err(ExitCode::from(UNREACHABLE));
            }
        };
        let result = check_target(cli, embedded.target.clone(), selection, seed, expected).await;
        let _ = embedded.server.shutdown().await;
        worst = worst.max(result.map_err(ExitCode::from)?);
    }
    Ok(worst)
}

/// A build without the `embedded` feature has no server of its own to check.
#[cfg(not(feature = "embedded"))]
async fn check_embedded(
    _cli: &Cli,
    _selection: &Selection,
    _seed: u64,
    _expected: Option<&baseline::Baseline>,
) -> Result<u8, ExitCode> {
    Err(usage(
        "this build has no embedded reference server (built without the `embedded` feature): \
         pass --target FILE, or build with default features",
    ))
}

fn usage(message: &str) -> ExitCode {
    eprintln!("conformance: {message}");
    ExitCode::from(USAGE)
}

fn list() {
    for check in catalog() {
        out!(
            "{:<28} {:<34} {:<8} {:<6} {}",
            check.id,
            check.requirements.join(","),
            check.level.as_str(),
            check.profiles.as_str(),
            check.title
        );
        for cited in check.citations {
            out!("{:<28} {}", "", CitationReport::from(cited).line());
        }
    }
    for row in CHECKED_ELSEWHERE {
        out!(
            "{:<28} {:<34} {}",
            "(not black-box)",
            row.requirement,
            row.why
        );
    }
}

/// Runs the selected checks against one target; `Ok(exit status)` or `Err` for usage or
/// reachability problems.
async fn check_target(
    cli: &Cli,
    target: Target,
    selection: &Selection,
    seed: u64,
    expected: Option<&baseline::Baseline>,
) -> Result<u8, u8> {
    let endpoints = match Endpoints::discover(&plain_client(None), &target.issuer).await {
        Ok(endpoints) => endpoints,
        Err(e @ DiscoveryError::Unreachable { .. }) => {
            eprintln!("conformance: {e}");
            return Err(UNREACHABLE);
        }
        Err(e) => {
            eprintln!("conformance: {e}");
            return Err(UNREACHABLE);
        }
    };
    let profile = target.profile;
    let info = TargetInfo {
        name: target.name.clone(),
        issuer: target.issuer.clone(),
        profile: profile.as_str().into(),
    };
    let checks = select(&catalog(), profile, selection);
    if checks.is_empty() {
        eprintln!(
            "conformance: no check of the {} profile matches --only; `conformance --list` shows each check's profiles",
            profile.as_str()
        );
        return Err(USAGE);
    }
    let mut run = Run::new(target, endpoints, profile, cli.slow, seed);
    run.cases = cli.cases;
    run.samples = cli.samples.map(|n| n as usize);
    let run = Arc::new(run);
    let bar = if cli.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(checks.len() as u64)
    };
    bar.set_style(
        ProgressStyle::with_template("{prefix} [{bar:32}] {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_prefix(format!("{} ({})", info.name, info.profile));
    let started_at = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default();
    let clock = Instant::now();
    let results = run_all(run, checks, |report: &CheckReport| {
        bar.inc(1);
        bar.set_message(report.id.clone());
    })
    .await;
    bar.finish_and_clear();
    let report = Report::new(info, started_at, clock.elapsed(), seed, results);
    print_table(&report);
    match report.write(&cli.report_dir) {
        Ok(folder) => out!("reports: {}", folder.display()),
        Err(e) => {
            eprintln!(
                "conformance: cannot write reports to {}: {e}",
                cli.report_dir.display()
            );
            return Err(USAGE);
        }
    }
    let mut status = if report.summary.failed > 0 { FAILED } else { 0 };
    if let Some(expected) = expected {
        let verdict = baseline::compare(&report, expected, catalog().iter().map(|c| c.id));
        for id in &verdict.unexpected {
            out!("  unexpected: {id} failed or warned, and the baseline does not expect it");
        }
        for id in &verdict.stale {
            out!("  stale: {id} is expected to fail or warn, and did not");
        }
        for id in &verdict.unknown {
            out!("  unknown: the baseline expects {id}, which is not a check of the catalog");
        }
        status = if verdict.holds() { 0 } else { FAILED };
    }
    Ok(status)
}

fn print_table(report: &Report) {
    let s = &report.summary;
    out!(
        "{} ({}): {} passed, {} failed, {} warnings, {} skipped in {:.1} s",
        report.target.name,
        report.target.profile,
        s.passed,
        s.failed,
        s.warned,
        s.skipped,
        report.duration_ms as f64 / 1000.0
    );
    for check in report
        .checks
        .iter()
        .filter(|c| c.outcome == "fail" || c.outcome == "warn")
    {
        out!(
            "  {:<4} {:<28} {:<24} {}",
            check.outcome.to_uppercase(),
            check.id,
            check.requirements.join(","),
            check.reason.as_deref().unwrap_or("")
        );
    }
}
