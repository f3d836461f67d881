//! `reference-server`: parses the command line and serves until SIGINT or SIGTERM.

use std::process::ExitCode;

use clap::Parser as _;
use reference_server::config::Config;
use reference_server::wiring::Wiring;

#[tokio::main]
async fn main() -> ExitCode {
    reference_server::cli::run("reference-server", Config::parse(), Wiring::default()).await
}
