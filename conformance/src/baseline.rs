//! `--expect FILE`: the checks a target is known to fail or warn on. A run fails on an
//! unexpected failure or warning, and on an expectation that no longer happens (stale).

use std::collections::BTreeSet;

use crate::report::Report;

/// One check id a line, `#` comments, blank lines ignored.
pub fn parse(text: &str) -> BTreeSet<String> {
    text.lines()
        .map(|line| line.split('#').next().unwrap_or("").trim())
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Failed or warned, not expected to.
    pub unexpected: Vec<String>,
    /// Expected to fail or warn, and passed (or was not run at all).
    pub stale: Vec<String>,
}

impl Verdict {
    pub fn holds(&self) -> bool {
        self.unexpected.is_empty() && self.stale.is_empty()
    }
}

pub fn compare(report: &Report, expected: &BTreeSet<String>) -> Verdict {
    let mut verdict = Verdict::default();
    for check in &report.checks {
        let bad = matches!(check.outcome.as_str(), "fail" | "warn");
        match (bad, expected.contains(&check.id)) {
            (true, false) => verdict.unexpected.push(check.id.clone()),
            (false, true) => verdict.stale.push(check.id.clone()),
            _ => {}
        }
    }
    for id in expected {
        if !report.checks.iter().any(|c| &c.id == id) {
            verdict.stale.push(id.clone());
        }
    }
    verdict
}
