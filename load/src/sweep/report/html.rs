//! `sweep.html`: one page that links nothing, its plots inline as SVG.

use std::fmt::Write as _;
use std::io;

use super::plot::{achieved_plot, error_plot, latency_plot};
use super::schema::Sweep;
use super::wording::{GENERATOR_COLUMNS, generator_rows, started, step_figures};

fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `sweep.html`: one self-contained page, plots inline as SVG, no external resource.
pub fn html(sweep: &Sweep) -> io::Result<String> {
    let title = format!(
        "Capacity sweep: {} against {}",
        sweep.scenario, sweep.target.name
    );
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n\
         <style>body{{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}}\
         table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.2rem .5rem;text-align:right}}\
         td:last-child{{text-align:left}}.pass{{color:#1b7f3b}}.fail{{color:#c0392b}}.invalid{{color:#888}}\
         figure{{margin:1rem 0}}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        html_escape(&title),
        html_escape(&title)
    );
    let _ = writeln!(
        out,
        "<p>Issuer {} · started {} · SLO: {}</p>\n<p><strong>{}</strong></p>",
        html_escape(&sweep.target.issuer),
        html_escape(&started(sweep)),
        html_escape(&sweep.slo_sentence()),
        html_escape(&sweep.outcome_sentence())
    );
    if let Some(half) = sweep.half_rate_sentence() {
        let _ = writeln!(out, "<p>{}</p>", html_escape(&half));
    }
    out.push_str(
        "<p>Circles: <span class=\"pass\">pass</span>, <span class=\"fail\">fail</span>; \
         crosses: <span class=\"invalid\">invalid</span> (the generator was the bottleneck).</p>\n",
    );
    for plot in [
        achieved_plot(sweep)?,
        latency_plot(sweep)?,
        error_plot(sweep)?,
    ] {
        let _ = writeln!(out, "<figure>{plot}</figure>");
    }
    let server = sweep.server_cpu_metered();
    out.push_str(
        "<table>\n<tr><th>step</th><th>offered rps</th><th>achieved rps</th><th>p50 ms</th>\
         <th>p90 ms</th><th>p99 ms</th><th>max ms</th><th>errors %</th><th>generator CPU</th>",
    );
    if server {
        out.push_str("<th>server CPU</th><th>server CPU µs per request</th>");
    }
    out.push_str("<th>lag p99 ms</th><th>verdict</th></tr>\n");
    for (index, step) in sweep.steps.iter().enumerate() {
        let reasons = html_escape(&step.reasons.join("; "));
        out.push_str("<tr>");
        for figure in step_figures(index, step, server) {
            let _ = write!(out, "<td>{figure}</td>");
        }
        let _ = writeln!(
            out,
            "<td class=\"{}\" title=\"{reasons}\">{} {reasons}</td></tr>",
            html_escape(&step.verdict),
            html_escape(&step.verdict),
        );
    }
    out.push_str("</table>\n");
    let rows = generator_rows(sweep);
    if !rows.is_empty() {
        out.push_str("<h2>Generators</h2>\n<table>\n<tr>");
        for column in GENERATOR_COLUMNS {
            let _ = write!(out, "<th>{column}</th>");
        }
        out.push_str("</tr>\n");
        for row in rows {
            let _ = writeln!(out, "<tr><td>{}</td></tr>", row.join("</td><td>"));
        }
        out.push_str("</table>\n");
    }
    out.push_str("<h2>What the figure depends on</h2>\n<ul>\n");
    for (what, value) in sweep.depends_on() {
        let _ = writeln!(out, "<li>{what}: {}</li>", html_escape(&value));
    }
    out.push_str("</ul>\n</body>\n</html>\n");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::report::fixtures::fixed_sweep;

    #[test]
    fn html_is_one_self_contained_page_with_three_plots() {
        let sweep = fixed_sweep();
        let page = html(&sweep).unwrap();
        assert_eq!(page.matches("<svg").count(), 3, "three plots");
        assert_eq!(page.matches("</svg>").count(), 3);
        let without_issuer = page.replace(&sweep.target.issuer, "");
        assert!(
            !without_issuer.contains("http://") && !without_issuer.contains("https://"),
            "no address but the issuer's"
        );
        assert!(
            !page.contains("src=") && !page.contains("href="),
            "no linked resources"
        );
        assert!(page.contains("Achieved vs offered rate"));
        assert!(page.contains("SLO p99 50 ms"));
        assert!(page.contains("<td class=\"invalid\""));
    }

    #[test]
    fn html_lists_each_generators_figures_only_when_several_drove_a_step() {
        let mut sweep = fixed_sweep();
        assert!(!html(&sweep).unwrap().contains("<h2>Generators</h2>"));
        sweep.steps[1].generators = vec![crate::sweep::GeneratorFigures {
            cpu_cores: 0.5,
            lag_p99_ms: 0.25,
            planned: 10,
            sent: 9,
        }];
        let page = html(&sweep).unwrap();
        assert!(page.contains("<h2>Generators</h2>"));
        assert!(page.contains(
            "<tr><td>2</td><td>1</td><td>0.50</td><td>0.25</td><td>9</td><td>10</td></tr>"
        ));
    }

    #[test]
    fn html_escapes_what_it_is_given() {
        let mut sweep = fixed_sweep();
        sweep.scenario = "<script>".to_owned();
        let page = html(&sweep).unwrap();
        assert!(!page.contains("<script>") && page.contains("&lt;script&gt;"));
    }
}
