//! The conformance suite: checks any OAuth 2.0 authorization server over HTTP against
//! `shared/requirements.md`, one check per requirement row, and writes JSON, JUnit, HTML and
//! Markdown reports.
//!
//! - [`model`]: what a check is (`Check`, `Outcome`, levels, profiles);
//! - [`target`]: the target file; [`discovery`]: endpoints from metadata;
//! - [`ctx`]: what a check works with; [`ua`]: the scripted user agent;
//! - [`http`]: recorded exchanges, redaction, replay lines;
//! - [`runner`]: concurrency and selection; [`report`]: the four report files;
//! - [`checks`]: the catalog, one module per group; [`embedded`]: the default target;
//! - [`client`]: the other way round, `conformance client`: a client judged by the embedded server.

pub mod baseline;
pub mod checks;
#[cfg(feature = "embedded")]
pub mod client;
pub mod ctx;
pub mod discovery;
#[cfg(feature = "embedded")]
pub mod embedded;
pub mod form;
pub mod http;
pub mod model;
pub mod oracle;
pub mod property;
pub mod report;
pub mod runner;
pub mod target;
pub mod ua;
