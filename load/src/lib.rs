//! Load scenarios and the capacity sweep for authorization servers, built on goose.
//!
//! Not built yet: the scenarios come once the reference server is complete. This crate holds
//! only what the `load` command line will say until then, so nothing here pretends to measure.

/// What `load` prints while the scenarios are not built.
pub const NOT_YET: &str = "load: the scenarios and the capacity sweep are not built yet.";
pub mod sweep;
