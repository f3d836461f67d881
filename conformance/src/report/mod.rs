//! The run's results and the files written from them (design.md, "conformance"):
//! `report.json` is the source; `junit.xml`, `report.html` and `summary.md` are views of it.

mod html;
mod junit;
mod markdown;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

pub use html::render as html;
pub use junit::render as junit;
pub use markdown::render as summary_markdown;

use crate::http::Exchange;
use crate::model::{Check, Level, Outcome};

/// Bumped when a field changes meaning or goes away.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TargetInfo {
    pub name: String,
    pub issuer: String,
    pub profile: String,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub passed: usize,
    pub failed: usize,
    pub warned: usize,
    pub skipped: usize,
}

/// A property check's shrunk failure.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Counterexample {
    pub input: String,
    pub curl: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CheckReport {
    pub id: String,
    pub requirements: Vec<String>,
    pub group: String,
    pub title: String,
    pub level: Level,
    pub profiles: String,
    pub outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
    pub reason: Option<String>,
    pub duration_ms: u64,
    pub transcript: Vec<Exchange>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cases: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counterexample: Option<Counterexample>,
}

impl CheckReport {
    pub fn new(
        check: &Check,
        outcome: Outcome,
        duration: Duration,
        transcript: Vec<Exchange>,
    ) -> Self {
        let (expected, actual) = match &outcome {
            Outcome::Fail { expected, actual } | Outcome::Warn { expected, actual } => {
                (Some(expected.clone()), Some(actual.clone()))
            }
            _ => (None, None),
        };
        Self {
            id: check.id.to_owned(),
            requirements: check.requirements.iter().map(|r| (*r).to_owned()).collect(),
            group: check.group(),
            title: check.title.to_owned(),
            level: check.level,
            profiles: check.profiles.as_str().to_owned(),
            outcome: outcome.name().to_owned(),
            expected,
            actual,
            reason: outcome.reason(),
            duration_ms: u64::try_from(duration.as_millis()).unwrap_or(u64::MAX),
            transcript,
            cases: None,
            counterexample: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Report {
    pub schema_version: u32,
    pub tool: Tool,
    pub target: TargetInfo,
    /// RFC 3339, UTC.
    pub started_at: String,
    pub duration_ms: u64,
    pub seed: u64,
    pub summary: Summary,
    pub checks: Vec<CheckReport>,
}

impl Report {
    pub fn new(
        target: TargetInfo,
        started_at: String,
        duration: Duration,
        seed: u64,
        checks: Vec<CheckReport>,
    ) -> Self {
        let mut summary = Summary::default();
        for check in &checks {
            match check.outcome.as_str() {
                "pass" => summary.passed += 1,
                "fail" => summary.failed += 1,
                "warn" => summary.warned += 1,
                _ => summary.skipped += 1,
            }
        }
        Self {
            schema_version: SCHEMA_VERSION,
            tool: Tool {
                name: "conformance".into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            target,
            started_at,
            duration_ms: u64::try_from(duration.as_millis()).unwrap_or(u64::MAX),
            seed,
            summary,
            checks,
        }
    }

    pub fn failures(&self) -> impl Iterator<Item = &CheckReport> {
        self.checks.iter().filter(|c| c.outcome == "fail")
    }

    /// Writes the four files into `dir/<time>-<target>/` and refreshes `dir/latest/`.
    /// Returns the run's folder.
    pub fn write(&self, dir: &Path) -> std::io::Result<PathBuf> {
        let stamp = self.started_at.replace([':', '-'], "");
        let name: String = self
            .target
            .name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let folder = dir.join(format!("{stamp}-{name}"));
        for target in [folder.clone(), dir.join("latest")] {
            std::fs::create_dir_all(&target)?;
            std::fs::write(target.join("report.json"), self.json())?;
            std::fs::write(target.join("junit.xml"), junit(self))?;
            std::fs::write(target.join("report.html"), html(self))?;
            std::fs::write(target.join("summary.md"), summary_markdown(self))?;
        }
        Ok(folder)
    }

    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}
