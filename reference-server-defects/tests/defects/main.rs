//! The defects crate's own tests, in one binary: the command-line server serves the defect it
//! is given, and the server's source stays free of defects.

mod binary;
mod separation;
