//! `junit.xml` as CI test reporters read it: one testsuite per run, one testcase per check,
//! classname = group, failures with the expected and actual text, skips with the reason.
//! A warning passes, with its text in `system-out`.

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use super::Report;

pub fn render(report: &Report) -> String {
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    let s = &report.summary;
    let seconds = |ms: u64| format!("{:.3}", ms as f64 / 1000.0);
    let _ = writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
    let total = report.checks.len().to_string();
    let failures = s.failed.to_string();
    let skipped = s.skipped.to_string();
    let time = seconds(report.duration_ms);
    let suite_name = format!(
        "conformance {} ({})",
        report.target.name, report.target.profile
    );
    let mut suites = BytesStart::new("testsuites");
    suites.push_attribute(("name", "conformance"));
    suites.push_attribute(("tests", total.as_str()));
    suites.push_attribute(("failures", failures.as_str()));
    suites.push_attribute(("errors", "0"));
    suites.push_attribute(("skipped", skipped.as_str()));
    suites.push_attribute(("time", time.as_str()));
    let _ = writer.write_event(Event::Start(suites));
    let mut suite = BytesStart::new("testsuite");
    suite.push_attribute(("name", suite_name.as_str()));
    suite.push_attribute(("tests", total.as_str()));
    suite.push_attribute(("failures", failures.as_str()));
    suite.push_attribute(("errors", "0"));
    suite.push_attribute(("skipped", skipped.as_str()));
    suite.push_attribute(("time", time.as_str()));
    suite.push_attribute(("timestamp", report.started_at.trim_end_matches('Z')));
    let _ = writer.write_event(Event::Start(suite));
    for check in &report.checks {
        let name = format!(
            "{} [{}] {}",
            check.id,
            check.requirements.join(", "),
            check.title
        );
        let time = seconds(check.duration_ms);
        let mut case = BytesStart::new("testcase");
        case.push_attribute(("name", name.as_str()));
        case.push_attribute(("classname", check.group.as_str()));
        case.push_attribute(("time", time.as_str()));
        let _ = writer.write_event(Event::Start(case));
        let mut text = format!(
            "expected: {}\nactual: {}",
            check.expected.as_deref().unwrap_or(""),
            check.actual.as_deref().unwrap_or("")
        );
        let cited = Report::citation_lines(check);
        if !cited.is_empty() {
            text.push_str(&format!("\ncited: {cited}"));
        }
        if let Some(cases) = check.cases {
            text.push_str(&format!("\ncases: {cases}"));
        }
        if let Some(example) = &check.counterexample {
            text.push_str(&format!(
                "\ncounterexample: {}\nreplay: {}",
                example.input, example.curl
            ));
        }
        match check.outcome.as_str() {
            "fail" => {
                let mut message = check.reason.clone().unwrap_or_default();
                if let Some(first) = check.citations.first() {
                    message.push_str(&format!(" [breaks {}]", first.line()));
                }
                let mut failure = BytesStart::new("failure");
                failure.push_attribute(("message", message.as_str()));
                failure.push_attribute(("type", check.level.as_str()));
                let _ = writer.write_event(Event::Start(failure));
                let _ = writer.write_event(Event::Text(BytesText::new(&text)));
                let _ = writer.write_event(Event::End(BytesEnd::new("failure")));
            }
            "skip" => {
                let message = check.reason.clone().unwrap_or_default();
                let mut skipped = BytesStart::new("skipped");
                skipped.push_attribute(("message", message.as_str()));
                let _ = writer.write_event(Event::Empty(skipped));
            }
            "warn" => {
                let _ = writer.write_event(Event::Start(BytesStart::new("system-out")));
                // The citations say which sentence (a SHOULD or a DECISION) it deviates from.
                let _ =
                    writer.write_event(Event::Text(BytesText::new(&format!("warning: {text}"))));
                let _ = writer.write_event(Event::End(BytesEnd::new("system-out")));
            }
            _ => {}
        }
        let _ = writer.write_event(Event::End(BytesEnd::new("testcase")));
    }
    let _ = writer.write_event(Event::End(BytesEnd::new("testsuite")));
    let _ = writer.write_event(Event::End(BytesEnd::new("testsuites")));
    let mut xml = String::from_utf8(writer.into_inner()).unwrap_or_default();
    xml.push('\n');
    xml
}
