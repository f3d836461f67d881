//! The sweep's reports: `sweep.json` for machines, `summary.md` to paste, `sweep.html` to look at.
//!
//! `schema` is what `sweep.json` holds; `wording` has the sentences and figures both pages
//! share; `markdown`, `html` and `plot` render them.

use std::io;
use std::path::Path;

#[cfg(test)]
mod fixtures;
mod html;
mod markdown;
mod plot;
mod schema;
mod wording;

pub use html::html;
pub use markdown::summary_markdown;
pub use schema::{Connection, Environment, SCHEMA_VERSION, StepReport, Sweep, Target};

/// Writes `sweep.json`, `summary.md` and `sweep.html` into `dir`, creating it if needed.
pub fn write_reports(sweep: &Sweep, dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let json = serde_json::to_string_pretty(sweep).map_err(io::Error::other)?;
    std::fs::write(dir.join("sweep.json"), json + "\n")?;
    std::fs::write(dir.join("summary.md"), summary_markdown(sweep))?;
    std::fs::write(dir.join("sweep.html"), html(sweep)?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::fixtures::{fixed_sweep, step, sweep_of};
    use super::*;
    use crate::sweep::SearchEnd;

    /// The fixed sweep with the server's process metered at 60 µs of CPU per request.
    fn metered_sweep() -> Sweep {
        let mut sweep = fixed_sweep();
        for step in &mut sweep.steps {
            let cores = step.achieved_rps * 60e-6;
            step.server_cpu_cores = Some(cores);
            step.server_cpu_us_per_request = Some(60.0);
        }
        sweep.steps[5].server_cpu_cores = None;
        sweep.steps[5].server_cpu_us_per_request = None;
        sweep.environment.server_cpu = Some("process 4242 on this machine".to_owned());
        sweep
    }

    #[test]
    fn a_metered_server_adds_its_cpu_to_every_report() {
        let sweep = metered_sweep();
        insta::assert_snapshot!("summary_markdown_with_server_cpu", summary_markdown(&sweep));
        let page = html(&sweep).unwrap();
        assert!(page.contains("<th>server CPU µs per request</th>"));
        assert!(
            page.contains("<td>0.05</td><td>60</td>"),
            "step 3: 399.9 rps"
        );
        assert!(page.contains("<td>–</td><td>–</td>"), "the unmetered step");
        assert!(page.contains("<li>Server CPU: process 4242 on this machine</li>"));
        let json = serde_json::to_value(&sweep).unwrap();
        assert_eq!(json["steps"][0]["server_cpu_us_per_request"], 60.0);
        assert_eq!(
            json["environment"]["server_cpu"],
            "process 4242 on this machine"
        );

        let unmetered = fixed_sweep();
        assert!(!summary_markdown(&unmetered).contains("server CPU"));
        assert!(!html(&unmetered).unwrap().contains("server CPU"));
    }

    /// Three passing steps and the budget spent: the server never failed, so no rate is its
    /// saturation rate, and the reports say so rather than name the last rate tried.
    fn all_pass_sweep() -> Sweep {
        sweep_of(
            vec![
                step(200.0, 200.0, 1.3, 0.0, "pass"),
                step(400.0, 399.9, 1.8, 0.0, "pass"),
                step(800.0, 799.5, 4.0, 0.0, "pass"),
            ],
            Some(SearchEnd::MaxSteps),
            None,
        )
    }

    #[test]
    fn an_all_pass_sweep_says_saturation_was_not_reached() {
        let sweep = all_pass_sweep();
        let sentence = "Saturation: not reached (step budget spent); highest rate that passed: 800 rps (400 rps per vCPU over 2 vCPUs).";

        let summary = summary_markdown(&sweep);
        let page = html(&sweep).unwrap();

        assert_eq!(sweep.outcome_sentence(), sentence);
        assert!(!sweep.saturation_reached());
        for (report, text) in [("summary.md", &summary), ("sweep.html", &page)] {
            assert!(text.contains(sentence), "{report}: {text}");
            assert!(!text.contains("Saturation: 800"), "{report}: {text}");
            assert!(!text.contains("at the SLO"), "{report}: {text}");
            assert!(
                text.contains("p99 at half the highest rate that passed: 1.80 ms."),
                "{report}: the 400 rps step is half of 800"
            );
        }
        insta::assert_snapshot!("summary_markdown_all_pass", summary);
    }

    #[test]
    fn reports_are_written_and_json_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let sweep = fixed_sweep();
        write_reports(&sweep, dir.path()).unwrap();

        let json = std::fs::read_to_string(dir.path().join("sweep.json")).unwrap();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["schema_version"], 3);
        assert!(
            value["steps"][0].get("server_cpu_cores").is_none()
                && value["environment"].get("server_cpu").is_none(),
            "no server CPU figures when the server was not metered"
        );
        assert_eq!(value["started_at"], "2026-11-23T20:11:13Z");
        assert_eq!(value["slo"]["p99_ms"], 50.0);
        assert_eq!(value["environment"]["connection"], "keep-alive");
        assert_eq!(value["search_end"]["kind"], "converged");
        assert_eq!(value["saturation_rps"], 1233.0);
        assert_eq!(value["steps"][5]["verdict"], "invalid");
        let back: Sweep = serde_json::from_str(&json).unwrap();
        assert_eq!(serde_json::to_string_pretty(&back).unwrap() + "\n", json);
        assert_eq!(back.steps.len(), sweep.steps.len());

        let summary = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
        assert_eq!(summary, summary_markdown(&sweep));
    }
}
