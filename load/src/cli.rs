//! The command line: `load run` and `load sweep` (design.md, "load").

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use goose::config::GooseConfiguration;

use crate::scenarios::ScenarioName;

#[derive(Debug, Parser)]
#[command(
    name = "load",
    about = "Goose load scenarios and an open-model capacity sweep for OAuth 2.0 authorization servers"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
// Parsed once per process: a boxed sweep would only make every caller unbox it.
#[allow(clippy::large_enum_variant)]
pub enum Command {
    /// One goose attack of a scenario; goose's own options pass through.
    Run(Box<RunArgs>),
    /// Offered rate step by step until p99 breaks the SLO; finds the saturation rate.
    Sweep(SweepArgs),
    /// One generator's part of a sweep step (`sweep --generators`): a job on stdin, its
    /// measurement on stdout.
    #[command(hide = true)]
    Generate,
}

/// What both commands need: the scenario, the target, where reports go.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Target")]
pub struct TargetArgs {
    /// The persona to run.
    #[arg(long, value_enum)]
    pub scenario: ScenarioName,
    /// A target file (the one the conformance suite reads); without it, the reference server
    /// starts in-process (vendor profile, temporary SQLite file).
    #[arg(long, value_name = "FILE")]
    pub target: Option<PathBuf>,
    /// Root of the report folders: each run writes `<DIR>/<UTC time>-<scenario>/`.
    #[arg(long, value_name = "DIR", default_value = "reports/load")]
    pub report_dir: PathBuf,
    /// Clients of each kind to provision through the admin API (users spread over them).
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=500))]
    pub clients: u16,
    /// A new TCP connection for every request instead of keep-alive.
    #[arg(long)]
    pub new_connection: bool,
    /// How the target stores client secrets, for the record (the reference server's is known).
    #[arg(long, value_name = "TEXT")]
    pub secret_hashing: Option<String>,
    /// The target's token format, for the record.
    #[arg(long, value_name = "TEXT")]
    pub token_format: Option<String>,
    /// The target's storage, for the record.
    #[arg(long, value_name = "TEXT")]
    pub storage: Option<String>,
    /// Per-request timeout of the users' clients; the sweep sets it from the SLO.
    #[arg(skip)]
    pub request_timeout: Option<std::time::Duration>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub goose: GooseConfiguration,
}

#[derive(Debug, Args, Clone)]
pub struct SweepArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// The latency objective: a step passes when p99, measured from the intended send time,
    /// is under it.
    #[arg(long, value_name = "MS", default_value_t = 50.0)]
    pub slo_p99_ms: f64,
    /// Offered rate of the first step, requests per second.
    #[arg(long, value_name = "RPS", default_value_t = 200.0)]
    pub start_rps: f64,
    /// No step offers more than this.
    #[arg(long, value_name = "RPS", default_value_t = 100_000.0)]
    pub max_rps: f64,
    /// Seconds each step lasts once its users have started.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub step_seconds: f64,
    /// At most this many steps.
    #[arg(long, value_name = "N", default_value_t = 14)]
    pub max_steps: usize,
    /// At most this many goose users in a step (each has one request in flight, on a connection
    /// of its own). Past a few hundred, connections cost the generator and the server more per
    /// request than they add (docs/load.md, "Sweep against wrk"). A step whose users are all busy
    /// while the server answers within the SLO is invalid, not failed: raise this then.
    #[arg(long, value_name = "N", default_value_t = 256)]
    pub max_users: usize,
    /// The server's process, when it runs on this machine: its CPU use is read from /proc at
    /// each step's start and end, and the reports give the server's CPU time per request, a
    /// figure the generator sharing the machine cannot bend.
    #[arg(long, value_name = "PID")]
    pub server_pid: Option<u32>,
    /// Drive each step from N generator processes (one thread each), the offered rate split
    /// evenly and their histograms merged; without it, this process generates.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub generators: Option<u16>,
    /// Keep goose's own per-request metrics and its report.html per step (costs the
    /// generator CPU per request; the sweep's figures do not need them).
    #[arg(long)]
    pub goose_metrics: bool,
    /// The `load` binary the generator processes run; this one by default.
    #[arg(skip)]
    pub generator_exe: Option<PathBuf>,
}
