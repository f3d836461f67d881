//! `reference-server-defective --defect NAME [the reference server's flags]`: the reference
//! server breaking one rule on purpose, to watch a conformance check (or a client) catch it.

use std::process::ExitCode;

use clap::Parser as _;
use reference_server::config::Config;
use reference_server_defects::{Defect, wire};

/// The reference server with one deliberate defect.
#[derive(Debug, clap::Parser)]
#[command(name = "reference-server-defective", version)]
struct Cli {
    /// The rule to break (the mutation matrix, conformance/MUTATION.md, says which checks
    /// each one turns red).
    #[arg(long, value_enum, env = "REFERENCE_SERVER_DEFECT")]
    defect: Defect,
    #[command(flatten)]
    server: Config,
}

#[tokio::main]
async fn main() -> ExitCode {
    let Cli { defect, mut server } = Cli::parse();
    let wiring = wire(defect, &mut server);
    reference_server::cli::run("reference-server-defective", server, wiring).await
}
