//! `summary.md`, to paste.

use std::fmt::Write as _;

use super::schema::Sweep;
use super::wording::{GENERATOR_COLUMNS, generator_rows, started, step_figures};

fn markdown_cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// `summary.md`: the outcome, every step and what the figure depends on.
pub fn summary_markdown(sweep: &Sweep) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Capacity sweep: `{}` against {}\n",
        markdown_cell(&sweep.scenario),
        markdown_cell(&sweep.target.name)
    );
    let _ = writeln!(out, "- Issuer: {}", markdown_cell(&sweep.target.issuer));
    let _ = writeln!(out, "- Started: {}", started(sweep));
    let _ = writeln!(out, "- SLO: {}\n", sweep.slo_sentence());
    let _ = writeln!(out, "**{}**\n", sweep.outcome_sentence());
    if let Some(half) = sweep.half_rate_sentence() {
        let _ = writeln!(out, "{half}\n");
    }
    let server = sweep.server_cpu_metered();
    out.push_str(
        "| step | offered rps | achieved rps | p50 ms | p90 ms | p99 ms | max ms | errors % \
         | generator CPU cores |",
    );
    if server {
        out.push_str(" server CPU cores | server CPU µs per request |");
    }
    out.push_str(" lag p99 ms | verdict | reasons |\n");
    out.push_str("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    if server {
        out.push_str("---:|---:|");
    }
    out.push_str("---:|---|---|\n");
    for (index, step) in sweep.steps.iter().enumerate() {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            step_figures(index, step, server).join(" | "),
            step.verdict,
            markdown_cell(&step.reasons.join("; ")),
        );
    }
    generator_table(sweep, &mut out);
    out.push_str("\n## What the figure depends on\n\n");
    for (what, value) in sweep.depends_on() {
        let _ = writeln!(out, "- {what}: {}", markdown_cell(&value));
    }
    out.push_str(
        "\nPer vCPU divides by every core of the machine, the generator's included, so it \
         understates the server when both share the machine. Invalid steps measured the \
         generator, not the server, and count neither for nor against it.\n",
    );
    if server {
        out.push_str(
            "\nServer CPU per request is what each request cost the server's process, however \
             the machine was shared: a million divided by it bounds the requests one core could \
             serve each second.\n",
        );
    }
    out
}

/// Each generator process's CPU and lag, for steps that several drove (`--generators`).
fn generator_table(sweep: &Sweep, out: &mut String) {
    let rows = generator_rows(sweep);
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n## Generators\n\n| {} |\n|---:|---:|---:|---:|---:|---:|",
        GENERATOR_COLUMNS.join(" | ")
    );
    for row in rows {
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::GeneratorFigures;
    use crate::sweep::report::fixtures::fixed_sweep;

    #[test]
    fn steps_driven_by_several_generators_list_each_ones_cpu_and_lag() {
        let mut sweep = fixed_sweep();
        assert!(!summary_markdown(&sweep).contains("## Generators"));
        sweep.steps[0].generators = vec![
            GeneratorFigures {
                cpu_cores: 0.25,
                lag_p99_ms: 1.5,
                planned: 1000,
                sent: 1000,
            },
            GeneratorFigures {
                cpu_cores: 0.3,
                lag_p99_ms: 2.25,
                planned: 1000,
                sent: 999,
            },
        ];
        let text = summary_markdown(&sweep);
        assert!(
            text.contains(
                "| 1 | 1 | 0.25 | 1.50 | 1000 | 1000 |\n| 1 | 2 | 0.30 | 2.25 | 999 | 1000 |\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn summary_markdown_is_stable() {
        insta::assert_snapshot!(summary_markdown(&fixed_sweep()));
    }
}
