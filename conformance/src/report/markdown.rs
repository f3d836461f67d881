//! `summary.md`: short enough for a pull-request comment.

use std::fmt::Write;

use super::Report;

/// Failures first, then warnings; passes are only counted.
pub fn render(report: &Report) -> String {
    let s = &report.summary;
    let verdict = if s.failed == 0 {
        "✅ no failures"
    } else {
        "❌ failures"
    };
    let mut out = format!(
        "## Conformance: {} ({} profile)\n\n{verdict} · {} passed · {} failed · {} warnings · {} skipped · {:.1} s\n",
        report.target.name,
        report.target.profile,
        s.passed,
        s.failed,
        s.warned,
        s.skipped,
        report.duration_ms as f64 / 1000.0
    );
    for (outcome, heading) in [("fail", "Failures"), ("warn", "Warnings")] {
        let rows: Vec<_> = report
            .checks
            .iter()
            .filter(|c| c.outcome == outcome)
            .collect();
        if rows.is_empty() {
            continue;
        }
        let _ = write!(
            out,
            "\n### {heading}\n\n| check | rows | cited | expected | actual |\n| --- | --- | --- | --- | --- |\n"
        );
        for check in rows {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} |",
                check.id,
                check.requirements.join(", "),
                cell(&super::Report::citation_lines(check).replace('\n', "; ")),
                cell(check.expected.as_deref().unwrap_or("")),
                cell(check.actual.as_deref().unwrap_or(""))
            );
        }
    }
    let shrunk: Vec<_> = report
        .checks
        .iter()
        .filter_map(|c| c.counterexample.as_ref().map(|example| (c, example)))
        .collect();
    if !shrunk.is_empty() {
        let _ = write!(out, "\n### Counterexamples\n");
        for (check, example) in shrunk {
            let cases = check
                .cases
                .map(|n| format!(" (after {n} cases)"))
                .unwrap_or_default();
            let _ = write!(
                out,
                "\n`{}`{cases}: {}\n\n```sh\n{}\n```\n",
                check.id,
                cell(&example.input),
                example.curl
            );
        }
    }
    let _ = write!(
        out,
        "\n<sub>{} {} · seed {} · started {}</sub>\n",
        report.tool.name, report.tool.version, report.seed, report.started_at
    );
    out
}

fn cell(text: &str) -> String {
    // Markdown renders HTML: a body quoted in a message must stay text.
    text.replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\n', " ")
}
