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
use crate::model::{Check, Citation, Keyword, Level, Outcome};

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

/// A sentence the check enforces, as reports show it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CitationReport {
    pub source: String,
    pub keyword: Keyword,
    pub quote: String,
    /// The RFC section on the RFC Editor's site, for RFC sources.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl From<&Citation> for CitationReport {
    fn from(citation: &Citation) -> Self {
        Self {
            source: citation.source.to_owned(),
            keyword: citation.keyword,
            quote: citation.quote.to_owned(),
            url: citation.url(),
        }
    }
}

impl CitationReport {
    /// The rule a 5xx breaks, whatever the check was about.
    pub fn server_error() -> Self {
        Self {
            source: "requirements.md › Verdicts on other servers".to_owned(),
            keyword: Keyword::Must,
            quote: "A 5xx answer to any request the suite makes is always a failure.".to_owned(),
            url: None,
        }
    }

    /// `MUST (RFC 6749 §5.2): "…"`.
    pub fn line(&self) -> String {
        format!(
            "{} ({}): \"{}\"",
            self.keyword.as_str(),
            self.source,
            self.quote
        )
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CheckReport {
    pub id: String,
    pub requirements: Vec<String>,
    pub group: String,
    pub title: String,
    pub level: Level,
    /// The sentences it enforces: the first sets its level; further MUST-class ones it can fail
    /// on too, SHOULD and DECISION ones it only warns on.
    pub citations: Vec<CitationReport>,
    pub profiles: String,
    pub outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
    pub reason: Option<String>,
    pub duration_ms: u64,
    pub transcript: Vec<Exchange>,
    /// Exchanges left out of a long transcript (between its head and its tail).
    #[serde(skip_serializing_if = "is_zero")]
    pub transcript_omitted: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cases: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counterexample: Option<Counterexample>,
    /// A client test's run of the client under test (`conformance client`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_run: Option<ClientRun>,
}

/// How the client under test ended, and what it printed (secrets redacted).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ClientRun {
    pub command: String,
    /// `exit 0`, `exit 1`, `killed by a signal`, `timed out after 30 s`.
    pub exit: String,
    pub stdout: String,
    pub stderr: String,
}

/// A check that sends thousands of requests (TOKEN-RESP-05) keeps this many exchanges from its
/// start and end, so that reports stay readable.
pub(crate) const TRANSCRIPT_HEAD: usize = 40;
const TRANSCRIPT_TAIL: usize = 10;

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl CheckReport {
    pub fn new(
        check: &Check,
        outcome: Outcome,
        duration: Duration,
        mut transcript: Vec<Exchange>,
    ) -> Self {
        let mut transcript_omitted = 0;
        if transcript.len() > TRANSCRIPT_HEAD + TRANSCRIPT_TAIL {
            let tail = transcript.split_off(transcript.len() - TRANSCRIPT_TAIL);
            // A 5xx fails the check: its exchange stays in the transcript wherever it fell.
            let server_error = transcript[TRANSCRIPT_HEAD..]
                .iter()
                .position(|e| e.response.as_ref().is_some_and(|r| r.status >= 500))
                .map(|i| transcript.swap_remove(TRANSCRIPT_HEAD + i));
            transcript_omitted = transcript.len() - TRANSCRIPT_HEAD;
            transcript.truncate(TRANSCRIPT_HEAD);
            transcript.extend(server_error);
            transcript.extend(tail);
        }
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
            citations: check.citations.iter().map(CitationReport::from).collect(),
            profiles: check.profiles.as_str().to_owned(),
            outcome: outcome.name().to_owned(),
            expected,
            actual,
            reason: outcome.reason(),
            duration_ms: u64::try_from(duration.as_millis()).unwrap_or(u64::MAX),
            transcript,
            transcript_omitted,
            cases: None,
            counterexample: None,
            client_run: None,
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

    /// The citations a failure or warning is measured against, one per line.
    pub fn citation_lines(check: &CheckReport) -> String {
        check
            .citations
            .iter()
            .map(CitationReport::line)
            .collect::<Vec<_>>()
            .join("\n")
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ctx::Ctx;
    use crate::http::RecordedRequest;
    use crate::model::CheckResult;

    async fn nothing(_ctx: Ctx) -> CheckResult {
        Ok(())
    }

    fn exchange(n: usize) -> Exchange {
        Exchange {
            request: RecordedRequest {
                method: "GET".into(),
                url: format!("http://127.0.0.1/{n}"),
                headers: Vec::new(),
                body: String::new(),
                source: None,
            },
            response: None,
            error: None,
            curl: String::new(),
        }
    }

    #[test]
    fn a_long_transcript_keeps_its_head_and_tail_and_counts_the_rest() {
        let check = crate::check!("x-01", ["X-01"], Must, Both, [], "a rule", nothing);
        let long: Vec<Exchange> = (0..1000).map(exchange).collect();

        let report = CheckReport::new(&check, Outcome::Pass, Duration::ZERO, long);

        assert_eq!(report.transcript.len(), TRANSCRIPT_HEAD + TRANSCRIPT_TAIL);
        assert_eq!(
            report.transcript_omitted,
            1000 - TRANSCRIPT_HEAD - TRANSCRIPT_TAIL
        );
        assert_eq!(report.transcript[0].request.url, "http://127.0.0.1/0");
        assert_eq!(
            report.transcript[TRANSCRIPT_HEAD].request.url,
            format!("http://127.0.0.1/{}", 1000 - TRANSCRIPT_TAIL)
        );
        let short = CheckReport::new(
            &check,
            Outcome::Pass,
            Duration::ZERO,
            (0..50).map(exchange).collect(),
        );
        assert_eq!((short.transcript.len(), short.transcript_omitted), (50, 0));
    }

    #[test]
    fn report_html_shows_control_bytes_visibly() {
        let check = crate::check!("x-01", ["X-01"], Must, Both, [], "a rule", nothing);
        let mut sent = exchange(0);
        sent.request.body = "state=a\u{0}b\u{1b}c\u{7f}d\u{85}e".into();
        let entry = CheckReport::new(&check, Outcome::Pass, Duration::ZERO, vec![sent]);
        let report = Report::new(
            TargetInfo {
                name: "t".into(),
                issuer: "http://127.0.0.1:9".into(),
                profile: "vendor".into(),
            },
            "2026-01-01T00:00:00Z".into(),
            Duration::ZERO,
            1,
            vec![entry],
        );

        let page = html(&report);

        let control: Vec<char> = page
            .chars()
            .filter(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
            .collect();
        assert!(control.is_empty(), "control characters: {control:?}");
        assert!(page.contains("a\u{2400}b\u{241b}c\u{2421}d\u{fffd}e"));
    }

    #[test]
    fn a_5xx_in_the_omitted_middle_of_a_transcript_is_kept() {
        let check = crate::check!("x-01", ["X-01"], Must, Both, [], "a rule", nothing);
        let mut long: Vec<Exchange> = (0..1000).map(exchange).collect();
        long[500].response = Some(crate::http::RecordedResponse {
            status: 503,
            headers: Vec::new(),
            body: String::new(),
        });

        let report = CheckReport::new(&check, Outcome::Pass, Duration::ZERO, long);

        assert_eq!(
            report.transcript.len(),
            TRANSCRIPT_HEAD + 1 + TRANSCRIPT_TAIL
        );
        assert_eq!(
            report.transcript[TRANSCRIPT_HEAD].request.url,
            "http://127.0.0.1/500"
        );
        assert_eq!(
            report.transcript_omitted,
            1000 - TRANSCRIPT_HEAD - 1 - TRANSCRIPT_TAIL
        );
    }
}
