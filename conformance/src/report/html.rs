//! `report.html`: one self-contained page (no external assets).

use maud::{DOCTYPE, html};

use super::Report;

pub fn render(report: &Report) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { "Conformance: " (report.target.name) } }
            body {
                h1 { "Conformance: " (report.target.name) }
                @for check in &report.checks {
                    p { (check.id) " " (check.outcome) }
                }
            }
        }
    }
    .into_string()
}
