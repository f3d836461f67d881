//! `report.html`: one self-contained page for people reading a run (no external assets).
//!
//! Failures come first, then warnings, skips and passes, each in catalog order. Every check
//! is a `<details>` holding its verdict and the full transcript, so the page reads top to
//! bottom without JavaScript; the inline script only adds filters, expand/collapse and copy
//! buttons. The Content-Security-Policy allows exactly the page's own style and script, by
//! hash, so a transcript can never load or run anything.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use reqwest::StatusCode;
use sha2::{Digest, Sha256};

use super::{CheckReport, Report, TRANSCRIPT_HEAD};
use crate::http::Exchange;

/// Outcomes in the order the page lists them, with their labels.
const OUTCOMES: [(&str, &str); 4] = [
    ("fail", "Failed"),
    ("warn", "Warnings"),
    ("skip", "Skipped"),
    ("pass", "Passed"),
];

pub fn render(report: &Report) -> String {
    let css = style(report);
    let csp = format!(
        "default-src 'none'; style-src '{}'; script-src '{}'; base-uri 'none'; form-action 'none'",
        digest(&css),
        digest(SCRIPT)
    );
    let mut checks: Vec<&CheckReport> = report.checks.iter().collect();
    checks.sort_by_key(|c| rank(&c.outcome));
    let groups = groups(report);
    let s = &report.summary;
    let title = format!(
        "Conformance: {} ({} profile)",
        report.target.name, report.target.profile
    );
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content=(csp);
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                title { (title) }
                style { (PreEscaped(&css)) }
            }
            body {
                header.top {
                    div.brand { "OAuth 2.0 conformance report" }
                    div.headline {
                        h1 { (report.target.name) }
                        @if s.failed == 0 {
                            span.verdict.ok { "No failures" }
                        } @else {
                            span.verdict.bad {
                                (s.failed) " " (plural(s.failed, "failure", "failures"))
                            }
                        }
                    }
                    dl.facts {
                        div { dt { "Issuer" } dd.mono { (report.target.issuer) } }
                        div { dt { "Profile" } dd { (report.target.profile) } }
                        div { dt { "Started (UTC)" } dd.mono { (report.started_at) } }
                        div { dt { "Duration" } dd { (duration(report.duration_ms)) } }
                        div { dt { "Seed" } dd.mono { (report.seed) } }
                        div { dt { "Tool" } dd { (report.tool.name) " " (report.tool.version) } }
                    }
                }
                main {
                    section.summary aria-label="Summary" {
                        div.bar role="img" aria-label=(format!(
                            "{} passed, {} failed, {} warnings, {} skipped",
                            s.passed, s.failed, s.warned, s.skipped
                        )) {
                            @for (outcome, label) in OUTCOMES {
                                @let count = count(report, outcome);
                                @if count > 0 {
                                    span class={ "seg seg-" (outcome) } title={ (label) ": " (count) } {
                                        (count)
                                    }
                                }
                            }
                        }
                        ul.legend {
                            @for (outcome, label) in OUTCOMES {
                                li { span class={ "dot " (outcome) } {} (label) " " strong { (count(report, outcome)) } }
                            }
                            li.total { (report.checks.len()) " " (plural(report.checks.len(), "check", "checks")) }
                        }
                    }
                    section.filters aria-label="Filters" {
                        div.filter-row {
                            span.filter-label { "Outcome" }
                            @for (outcome, label) in OUTCOMES {
                                label class={ "chip " (outcome) } {
                                    input type="checkbox" name="outcome" value=(outcome) checked;
                                    (label) " (" (count(report, outcome)) ")"
                                }
                            }
                        }
                        div.filter-row {
                            span.filter-label { "Group" }
                            @for (group, n) in &groups {
                                label.chip {
                                    input type="checkbox" name="group" value=(group) checked;
                                    (group) " (" (n) ")"
                                }
                            }
                            button type="button" data-groups="all" { "All" }
                            button type="button" data-groups="none" { "None" }
                        }
                        div.filter-row {
                            input #search type="search" placeholder="Filter by id, row or text" aria-label="Filter by id, row or text";
                            button #expand type="button" { "Expand all" }
                            button #collapse type="button" { "Collapse all" }
                            span #shown.muted {}
                        }
                    }
                    section.checks aria-label="Checks" {
                        @for check in &checks {
                            (check_block(check))
                        }
                        @if checks.is_empty() {
                            p.muted { "No check was run." }
                        }
                    }
                }
                footer {
                    "report.json holds the same data; secrets are redacted in transcripts, and "
                    "replay lines take credentials from $CLIENT_SECRET and $TOKEN."
                }
                script { (PreEscaped(SCRIPT)) }
            }
        }
    }
    .into_string()
    .chars()
    .map(visible)
    .collect()
}

/// Control characters from generated inputs (a NUL in a hostile parameter) shown as their
/// Unicode control pictures, so the page stays text (`grep` does not call it binary).
fn visible(c: char) -> char {
    match c {
        '\n' | '\r' | '\t' => c,
        '\u{0}'..='\u{1f}' => char::from_u32(0x2400 + u32::from(c)).unwrap_or('\u{fffd}'),
        '\u{7f}' => '\u{2421}',
        '\u{80}'..='\u{9f}' => '\u{fffd}',
        _ => c,
    }
}

fn check_block(check: &CheckReport) -> Markup {
    let search = format!(
        "{} {} {} {}",
        check.id,
        check.requirements.join(" "),
        check.title,
        check.reason.as_deref().unwrap_or("")
    )
    .to_lowercase();
    html! {
        details class={ "check " (check.outcome) } id={ "check-" (check.id) }
            data-outcome=(check.outcome) data-group=(check.group) data-search=(search) {
            summary {
                span class={ "badge " (check.outcome) } { (check.outcome.to_uppercase()) }
                span.id { (check.id) }
                span.rows { (check.requirements.join(", ")) }
                span.title {
                    (check.title)
                    @if let Some(reason) = &check.reason {
                        span.reason { (reason) }
                    }
                }
                span.level { (check.level.as_str()) }
                span.time { (duration(check.duration_ms)) }
            }
            div.body {
                dl.meta {
                    div { dt { "Check" } dd.mono { a href={ "#check-" (check.id) } { (check.id) } } }
                    div { dt { "Requirements" } dd.mono { (check.requirements.join(", ")) } }
                    div { dt { "Group" } dd.mono { (check.group) } }
                    div { dt { "Level" } dd { (check.level.as_str()) } }
                    div { dt { "Profiles" } dd { (check.profiles) } }
                    div { dt { "Duration" } dd { (duration(check.duration_ms)) } }
                }
                p.requirement { (check.title) }
                @if !check.citations.is_empty() {
                    ul.citations {
                        @for cited in &check.citations {
                            li {
                                span.keyword { (cited.keyword.as_str()) } " "
                                @if let Some(url) = &cited.url {
                                    a href=(url) rel="noreferrer" { (cited.source) }
                                } @else {
                                    span.mono { (cited.source) }
                                }
                                ": "
                                q { (cited.quote) }
                            }
                        }
                    }
                }
                @if let (Some(expected), Some(actual)) = (&check.expected, &check.actual) {
                    div class={ "verdict-box " (check.outcome) } {
                        div { span.k { "Expected" } span.v { (expected) } }
                        div { span.k { "Actual" } span.v { (actual) } }
                    }
                } @else if check.outcome == "skip" {
                    div.verdict-box.skip {
                        div { span.k { "Skipped" } span.v { (check.reason.as_deref().unwrap_or("")) } }
                    }
                }
                @if let Some(cases) = check.cases {
                    div.property {
                        p { "Property check: " strong { (cases) } " generated " (plural(cases, "case", "cases")) "." }
                        @if let Some(example) = &check.counterexample {
                            h4 { "Counterexample (shrunk)" }
                            pre.block { (example.input) }
                            (copyable("Replay", &example.curl))
                        }
                    }
                }
                @if let Some(client) = &check.client_run {
                    div.property {
                        p { "Client: " span.mono { (client.command) } ", " strong { (client.exit) } "." }
                        h4 { "Standard output" }
                        pre.block { (client.stdout) }
                        h4 { "Standard error" }
                        pre.block { (client.stderr) }
                    }
                }
                @if check.transcript.is_empty() {
                    p.muted { "No HTTP exchange." }
                } @else {
                    @let total = check.transcript.len() + check.transcript_omitted;
                    h4 { "Transcript (" (total) " " (plural(total, "exchange", "exchanges")) ")" }
                    @let shown_first = if check.transcript_omitted > 0 { TRANSCRIPT_HEAD } else { check.transcript.len() };
                    @let (head, tail) = check.transcript.split_at(shown_first.min(check.transcript.len()));
                    ol.transcript {
                        @for exchange in head {
                            li { (exchange_block(exchange)) }
                        }
                    }
                    @if check.transcript_omitted > 0 {
                        p.muted { "… " (check.transcript_omitted) " more exchanges of the same kind are not kept." }
                    }
                    @if !tail.is_empty() {
                        ol.transcript start=(head.len() + check.transcript_omitted + 1) {
                            @for exchange in tail {
                                li { (exchange_block(exchange)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn exchange_block(exchange: &Exchange) -> Markup {
    let request = &exchange.request;
    html! {
        div.exchange {
            div.line {
                span.method { (request.method) }
                span.url { (request.url) }
                @if let Some(source) = &request.source {
                    span.muted { " from " (source) }
                }
                @if let Some(response) = &exchange.response {
                    span class={ "status s" (response.status / 100) } { (response.status) }
                } @else {
                    span.status.s5 { "no answer" }
                }
            }
            div.panes {
                div.pane {
                    div.pane-title { "Request" }
                    pre.block { (request_text(exchange)) }
                }
                div.pane {
                    div.pane-title { "Response" }
                    @if let Some(response) = &exchange.response {
                        pre.block { (response_text(response)) }
                    }
                    @if let Some(error) = &exchange.error {
                        pre.block.error { (error) }
                    }
                }
            }
            (copyable("Replay", &exchange.curl))
        }
    }
}

fn copyable(label: &str, text: &str) -> Markup {
    html! {
        div.copyable {
            div.pane-title { (label) button.copy type="button" { "Copy" } }
            pre.curl { (text) }
        }
    }
}

fn request_text(exchange: &Exchange) -> String {
    let request = &exchange.request;
    let mut text = format!("{} {}\n", request.method, request.url);
    for (name, value) in &request.headers {
        text.push_str(&format!("{name}: {value}\n"));
    }
    if !request.body.is_empty() {
        text.push('\n');
        text.push_str(&request.body);
    }
    text
}

fn response_text(response: &crate::http::RecordedResponse) -> String {
    let reason = StatusCode::from_u16(response.status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    let mut text = format!("{} {reason}\n", response.status);
    for (name, value) in &response.headers {
        text.push_str(&format!("{name}: {value}\n"));
    }
    if !response.body.is_empty() {
        text.push('\n');
        text.push_str(&response.body);
    }
    text
}

fn rank(outcome: &str) -> usize {
    OUTCOMES
        .iter()
        .position(|(o, _)| *o == outcome)
        .unwrap_or(OUTCOMES.len())
}

fn count(report: &Report, outcome: &str) -> usize {
    let s = &report.summary;
    match outcome {
        "pass" => s.passed,
        "fail" => s.failed,
        "warn" => s.warned,
        _ => s.skipped,
    }
}

/// Groups in catalog order, with how many checks each has.
fn groups(report: &Report) -> Vec<(&str, usize)> {
    let mut groups: Vec<(&str, usize)> = Vec::new();
    for check in &report.checks {
        match groups.iter_mut().find(|(g, _)| *g == check.group) {
            Some((_, n)) => *n += 1,
            None => groups.push((&check.group, 1)),
        }
    }
    groups
}

fn duration(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{:.2} s", ms as f64 / 1000.0)
    }
}

fn plural<N: PartialEq + From<u8>>(n: N, one: &'static str, many: &'static str) -> &'static str {
    if n == N::from(1) { one } else { many }
}

/// A CSP source for an inline element with exactly this text.
fn digest(text: &str) -> String {
    format!(
        "sha256-{}",
        STANDARD.encode(Sha256::digest(text.as_bytes()))
    )
}

/// The stylesheet, with the summary bar's proportions: inline `style` attributes would need
/// `'unsafe-inline'`, so the widths live here.
fn style(report: &Report) -> String {
    let mut css = String::from(STYLE);
    for (outcome, _) in OUTCOMES {
        css.push_str(&format!(
            ".seg-{outcome}{{flex-grow:{}}}\n",
            count(report, outcome)
        ));
    }
    css
}

const STYLE: &str = r#"
:root{--bg:#f5f6f8;--panel:#fff;--ink:#1f2328;--muted:#656d76;--line:#d8dee4;--accent:#0b3d91;
--pass:#1a7f37;--pass-bg:#dafbe1;--fail:#cf222e;--fail-bg:#ffebe9;--warn:#9a6700;--warn-bg:#fff8c5;
--skip:#6e7781;--skip-bg:#eaeef2;--code:#f6f8fa}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--panel:#161b22;--ink:#e6edf3;--muted:#8d96a0;
--line:#30363d;--accent:#58a6ff;--pass:#3fb950;--pass-bg:#12261e;--fail:#f85149;--fail-bg:#2d1214;
--warn:#d29922;--warn-bg:#272115;--skip:#8d96a0;--skip-bg:#21262d;--code:#0d1117}}
*{box-sizing:border-box}
[hidden]{display:none!important}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
.mono,pre,.id,.rows,.url,.method{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace}
header.top{background:var(--panel);border-bottom:1px solid var(--line);padding:20px 32px 16px}
.brand{color:var(--accent);font-size:12px;font-weight:600;letter-spacing:.08em;text-transform:uppercase}
.headline{display:flex;align-items:center;gap:16px;margin:4px 0 12px}
h1{font-size:24px;margin:0;font-weight:600}
.verdict{border-radius:999px;padding:3px 12px;font-weight:600;font-size:13px}
.verdict.ok{background:var(--pass-bg);color:var(--pass)}
.verdict.bad{background:var(--fail-bg);color:var(--fail)}
dl{margin:0}
.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(190px,1fr));gap:8px 24px}
.facts div,.meta div{min-width:0}
dt{color:var(--muted);font-size:11px;text-transform:uppercase;letter-spacing:.05em}
dd{margin:0;overflow-wrap:anywhere}
main{padding:20px 32px;max-width:1400px}
.summary{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:16px}
.bar{display:flex;height:26px;border-radius:6px;overflow:hidden;background:var(--skip-bg)}
.seg{flex:0 1 0;display:flex;align-items:center;justify-content:center;min-width:26px;color:#fff;font-weight:600;font-size:12px}
.seg-pass{background:var(--pass)}.seg-fail{background:var(--fail)}.seg-warn{background:var(--warn)}.seg-skip{background:var(--skip)}
.legend{display:flex;flex-wrap:wrap;gap:6px 20px;list-style:none;padding:0;margin:10px 0 0;color:var(--muted)}
.legend strong{color:var(--ink)}
.legend .total{margin-left:auto}
.dot{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px;vertical-align:-1px}
.dot.pass{background:var(--pass)}.dot.fail{background:var(--fail)}.dot.warn{background:var(--warn)}.dot.skip{background:var(--skip)}
.filters{display:none}
.js .filters{display:block;margin-top:12px;background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:10px 16px}
.filter-row{display:flex;flex-wrap:wrap;align-items:center;gap:6px;padding:4px 0}
.filter-label{width:70px;color:var(--muted);font-size:11px;text-transform:uppercase;letter-spacing:.05em}
.chip{display:inline-flex;align-items:center;gap:4px;border:1px solid var(--line);border-radius:999px;padding:1px 10px 1px 6px;font-size:12px;cursor:pointer;user-select:none}
.chip input{margin:0}
button{font:inherit;font-size:12px;border:1px solid var(--line);background:var(--panel);color:var(--ink);border-radius:6px;padding:2px 10px;cursor:pointer}
button:hover{border-color:var(--accent)}
input[type=search]{font:inherit;border:1px solid var(--line);border-radius:6px;padding:3px 8px;min-width:280px;background:var(--panel);color:var(--ink)}
.muted{color:var(--muted)}
.checks{margin-top:16px;background:var(--panel);border:1px solid var(--line);border-radius:8px;overflow:hidden}
details.check{border-top:1px solid var(--line)}
details.check:first-child{border-top:0}
details.check.fail{box-shadow:inset 3px 0 var(--fail)}
details.check.warn{box-shadow:inset 3px 0 var(--warn)}
summary{display:grid;grid-template-columns:56px 170px 190px 1fr 80px 70px;gap:12px;align-items:baseline;padding:8px 16px;cursor:pointer;list-style:none}
summary::-webkit-details-marker{display:none}
summary:hover{background:var(--code)}
summary>span{min-width:0;overflow:hidden;text-overflow:ellipsis}
.id{font-weight:600;white-space:nowrap}
.id::before{content:"\25B8";display:inline-block;width:1em;color:var(--muted)}
details[open] .id::before{content:"\25BE"}
.rows{color:var(--muted);font-size:12px}
.title .reason{display:block;color:var(--muted);font-size:12px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.citations{margin:4px 0 12px;padding-left:18px}.citations .keyword{font-weight:600}
.level,.time{color:var(--muted);font-size:12px;text-align:right;white-space:nowrap}
.badge{display:inline-block;text-align:center;border-radius:4px;font-size:11px;font-weight:700;padding:1px 0;letter-spacing:.04em}
.badge.pass{background:var(--pass-bg);color:var(--pass)}.badge.fail{background:var(--fail-bg);color:var(--fail)}
.badge.warn{background:var(--warn-bg);color:var(--warn)}.badge.skip{background:var(--skip-bg);color:var(--skip)}
.body{padding:4px 16px 16px 84px}
.meta{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:8px 20px;margin:6px 0 10px}
.meta a{color:var(--accent);text-decoration:none}
.requirement{margin:0 0 10px;font-size:15px}
.verdict-box{border-radius:6px;padding:8px 12px;margin:0 0 12px;border:1px solid var(--line)}
.verdict-box.fail{background:var(--fail-bg);border-color:var(--fail)}
.verdict-box.warn{background:var(--warn-bg);border-color:var(--warn)}
.verdict-box.skip{background:var(--skip-bg)}
.verdict-box div{display:flex;gap:12px}
.verdict-box .k{flex:0 0 70px;font-weight:600;font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
.verdict-box .v{overflow-wrap:anywhere;white-space:pre-wrap}
h4{margin:14px 0 6px;font-size:12px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted)}
.property p{margin:6px 0}
ol.transcript{margin:0;padding-left:20px}
ol.transcript>li{margin:0 0 14px}
.exchange .line{display:flex;gap:8px;align-items:baseline;margin-bottom:6px;min-width:0}
.method{font-weight:700}
.url{overflow-wrap:anywhere;flex:1}
.status{font-weight:700;border-radius:4px;padding:0 6px;font-size:12px}
.status.s2{background:var(--pass-bg);color:var(--pass)}.status.s3{background:var(--skip-bg);color:var(--accent)}
.status.s4{background:var(--warn-bg);color:var(--warn)}.status.s5{background:var(--fail-bg);color:var(--fail)}
.panes{display:grid;grid-template-columns:1fr 1fr;gap:10px}
@media (max-width:900px){.panes{grid-template-columns:1fr}summary{grid-template-columns:56px 1fr}.rows,.level,.time{display:none}.body{padding-left:16px}}
.pane{min-width:0}
.pane-title{font-size:11px;color:var(--muted);text-transform:uppercase;letter-spacing:.05em;margin:4px 0 2px;display:flex;align-items:center;gap:8px}
pre{margin:0;background:var(--code);border:1px solid var(--line);border-radius:6px;padding:8px 10px;font-size:12px;white-space:pre-wrap;overflow-wrap:anywhere;max-height:420px;overflow:auto}
pre.error{color:var(--fail)}
pre.curl{user-select:all}
.copyable{margin-top:6px}
button.copy{display:none;font-size:11px;padding:0 8px;text-transform:none;letter-spacing:0}
.js button.copy{display:inline-block}
footer{padding:8px 32px 32px;color:var(--muted);font-size:12px}
@media print{.filters,button.copy{display:none!important}body{background:#fff}pre{max-height:none}}
"#;

const SCRIPT: &str = r#"
(function () {
  var d = document;
  d.documentElement.classList.add("js");
  var rows = [].slice.call(d.querySelectorAll("details.check"));
  var boxes = [].slice.call(d.querySelectorAll(".filters input[type=checkbox]"));
  var search = d.getElementById("search");
  var shown = d.getElementById("shown");
  function apply() {
    var on = { outcome: {}, group: {} };
    boxes.forEach(function (b) { if (b.checked) on[b.name][b.value] = true; });
    var text = search.value.trim().toLowerCase();
    var n = 0;
    rows.forEach(function (r) {
      var ok = on.outcome[r.dataset.outcome] && on.group[r.dataset.group] &&
        (!text || r.dataset.search.indexOf(text) !== -1);
      r.hidden = !ok;
      if (ok) n++;
    });
    shown.textContent = n + " of " + rows.length + " checks shown";
  }
  boxes.forEach(function (b) { b.addEventListener("change", apply); });
  search.addEventListener("input", apply);
  [].forEach.call(d.querySelectorAll("button[data-groups]"), function (button) {
    button.addEventListener("click", function () {
      boxes.forEach(function (b) { if (b.name === "group") b.checked = button.dataset.groups === "all"; });
      apply();
    });
  });
  d.getElementById("expand").addEventListener("click", function () {
    rows.forEach(function (r) { if (!r.hidden) r.open = true; });
  });
  d.getElementById("collapse").addEventListener("click", function () {
    rows.forEach(function (r) { r.open = false; });
  });
  [].forEach.call(d.querySelectorAll("button.copy"), function (button) {
    button.addEventListener("click", function (event) {
      event.preventDefault();
      var pre = button.parentNode.parentNode.querySelector("pre");
      var done = function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = "Copy"; }, 1500);
      };
      var select = function () {
        var range = d.createRange();
        range.selectNodeContents(pre);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
      };
      if (navigator.clipboard) {
        navigator.clipboard.writeText(pre.textContent).then(done, select);
      } else {
        select();
      }
    });
  });
  apply();
})();
"#;
