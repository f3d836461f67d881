//! `summary.md`, to paste.

use std::fmt::Write as _;

use super::schema::Sweep;
use super::wording::{started, step_figures};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::report::fixtures::fixed_sweep;

    #[test]
    fn summary_markdown_is_stable() {
        insta::assert_snapshot!(summary_markdown(&fixed_sweep()));
    }
}
