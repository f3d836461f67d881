//! The suite's own tests in one binary (each module was a binary of its own; one link of the
//! server and the suite instead of six keeps `cargo test` quick on a small machine). The
//! mutation matrix and the third-party peers stay binaries of their own: the one is long and
//! is often run alone, the others are `#[ignore]`d and run by `.ci/run` where their package
//! manager exists.

mod command_line;
mod embedded;
mod properties;
mod readme;
mod reports;
mod tls;
mod verdicts;
