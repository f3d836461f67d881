//! `load run` and `load sweep`; exit status 0 when every request passed (and, for a sweep,
//! some step passed), 1 when some failed, 2 for bad usage or an unusable target.

use std::process::ExitCode;

use clap::Parser as _;
use load::cli::{Cli, Command};

fn main() -> ExitCode {
    let command = match Cli::parse().command {
        Command::Generate => return generate(),
        command => command,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("load: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(async {
        match command {
            Command::Run(args) => run(*args).await,
            Command::Sweep(args) => sweep(args).await,
            // Runs before this runtime exists (it builds its own).
            Command::Generate => ExitCode::from(2),
        }
    })
}

/// A generator process of `load sweep --generators`: one thread, like one core of wrk, so
/// that no request waits on a wake-up from another thread.
fn generate() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("load generate: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(load::generator::generate()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("load generate: {e}");
            ExitCode::from(2)
        }
    }
}

async fn run(args: load::cli::RunArgs) -> ExitCode {
    match load::run::run(args).await {
        Ok(outcome) => {
            for problem in &outcome.teardown_problems {
                eprintln!("load: cleanup: {problem}");
            }
            eprintln!(
                "load: {} requests, {} failed; reports in {}",
                outcome.requests,
                outcome.failures,
                outcome.report_dir.display()
            );
            print_legend(&outcome.names);
            if outcome.failures > 0 || outcome.thresholds_failed {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("load: {e}");
            ExitCode::from(2)
        }
    }
}

/// Goose's tables show short request names; this says what each stands for.
fn print_legend(names: &[String]) {
    let lines: Vec<String> = load::scenarios::REQUESTS
        .iter()
        .filter(|metric| names.iter().any(|name| name == metric.name))
        .map(|metric| format!("  {}: {}", metric.name, metric.meaning))
        .collect();
    if !lines.is_empty() {
        eprintln!("load: goose's request names:\n{}", lines.join("\n"));
    }
}

async fn sweep(args: load::cli::SweepArgs) -> ExitCode {
    match load::capacity::sweep(args).await {
        Ok(outcome) => {
            for problem in &outcome.teardown_problems {
                eprintln!("load: cleanup: {problem}");
            }
            eprintln!("{}", outcome.headline);
            eprintln!("load: reports in {}", outcome.report_dir.display());
            if outcome.a_step_passed {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("load: {e}");
            ExitCode::from(2)
        }
    }
}
