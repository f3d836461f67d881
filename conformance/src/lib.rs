//! The conformance suite: checks any OAuth 2.0 authorization server over HTTP against
//! `shared/requirements.md`, one check per requirement row, and writes JSON, JUnit, HTML and
//! Markdown reports.
//!
//! Not built yet: the runner and the check catalogue come next. This crate holds only what
//! the suite's command line will say until then, so nothing here pretends to check anything.

/// What `conformance` prints while the suite is not built.
pub const NOT_YET: &str = "conformance: the check runner is not built yet.\n\
The reference server it will check is: run `cargo run --release -p reference-server`.";
