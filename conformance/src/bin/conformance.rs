//! `conformance`: not built yet; says so and exits with the usage status.

use std::process::ExitCode;

fn main() -> ExitCode {
    eprintln!("{}", conformance::NOT_YET);
    ExitCode::from(2)
}
