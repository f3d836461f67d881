//! A note at the top of goose's own `report.html`.
//!
//! Goose draws that page's graphs with ECharts, which the page loads from a CDN when it is
//! opened (goose's book says so): offline, the graphs stay blank and nothing says why. `load`
//! keeps goose's script, so the graphs still work online, and says plainly at the top of the
//! page where they come from; a sweep step's page first points to the sweep's own
//! `sweep.html`, whose plots are inline SVG and need no network. A page that loads no script
//! from elsewhere gets no note.

use std::io;
use std::path::Path;

/// The `id` of the note, which also marks a page that already has one.
pub const NOTE_ID: &str = "load-offline-note";

/// Where a page with the note came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin<'a> {
    /// `load run`: goose's page is the report.
    Run,
    /// One step of `load sweep`; the sweep's page is at this address relative to the step's.
    SweepStep {
        /// e.g. `../sweep.html`.
        sweep_page: &'a str,
    },
}

/// Adds the note to the goose report at `path`, if it loads a script from elsewhere and has no
/// note yet. Only `.html` and `.htm` files are read; anything else is left alone.
pub fn annotate(path: &Path, origin: Origin<'_>) -> io::Result<()> {
    let is_html = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"));
    if !is_html {
        return Ok(());
    }
    let page = std::fs::read_to_string(path)?;
    if let Some(noted) = with_note(&page, origin)? {
        std::fs::write(path, noted)?;
    }
    Ok(())
}

/// `page` with the note right after its `<body>` tag; `None` when it needs none (no script
/// from elsewhere, or the note is already there).
pub fn with_note(page: &str, origin: Origin<'_>) -> io::Result<Option<String>> {
    if page.contains(NOTE_ID) {
        return Ok(None);
    }
    let Some(host) = external_script_host(page) else {
        return Ok(None);
    };
    let body = page
        .find("<body")
        .and_then(|start| page[start..].find('>').map(|end| start + end + 1))
        .ok_or_else(|| io::Error::other("goose's report has no <body> to put the note in"))?;
    let mut noted = String::with_capacity(page.len() + 600);
    noted.push_str(&page[..body]);
    noted.push_str(&note(&host, origin));
    noted.push_str(&page[body..]);
    Ok(Some(noted))
}

/// The host of the first `<script src="http…">` of the page.
fn external_script_host(page: &str) -> Option<String> {
    page.match_indices("<script")
        .filter_map(|(start, _)| {
            let tag = &page[start..start + page[start..].find('>')?];
            let src = tag.split_once("src=\"")?.1.split('"').next()?;
            let url = url::Url::parse(src).ok()?;
            matches!(url.scheme(), "http" | "https")
                .then(|| url.host_str().map(str::to_owned))
                .flatten()
        })
        .next()
}

fn note(host: &str, origin: Origin<'_>) -> String {
    let host = html_escape(host);
    let graphs = format!(
        "Offline, the graphs on this page stay blank: goose draws them with a chart script that \
         the page loads from {host} each time it is opened. The tables need no network."
    );
    let text = match origin {
        Origin::Run => graphs,
        Origin::SweepStep { sweep_page } => format!(
            "This is goose's report of one step of a capacity sweep. The sweep's own report, \
             <a href=\"{page}\">sweep.html</a>, plots every step and needs no network. {graphs}",
            page = html_escape(sweep_page)
        ),
    };
    format!(
        "\n<p id=\"{NOTE_ID}\" style=\"max-width:60rem;margin:1rem auto;padding:.5rem 1rem;\
         border:1px solid #d4b106;background:#fffbe6;font-family:sans-serif\">{text}</p>\n"
    )
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parts of goose 0.19's `report.html` the note depends on.
    const GOOSE_PAGE: &str = r#"<!DOCTYPE html>
<html>
<head>
    <title>Goose Attack Report</title>
    <script src="https://cdn.jsdelivr.net/npm/echarts@5.2.2/dist/echarts.min.js"></script>
</head>
<body>
    <div class="container">
        <h1>Goose Attack Report</h1>
        <script type="text/javascript">var myChart = echarts.init(chartDom);</script>
    </div>
</body>
</html>
"#;

    #[test]
    fn a_run_report_says_where_its_graphs_come_from() {
        let page = with_note(GOOSE_PAGE, Origin::Run).unwrap().unwrap();

        let note_at = page.find(NOTE_ID).unwrap();
        assert!(note_at > page.find("<body>").unwrap());
        assert!(note_at < page.find("<h1>").unwrap(), "the note comes first");
        assert!(page.contains("Offline, the graphs on this page stay blank"));
        assert!(page.contains("loads from cdn.jsdelivr.net each time it is opened"));
        assert!(
            page.contains("echarts.min.js\"></script>"),
            "online, goose's graphs stay"
        );
    }

    #[test]
    fn a_sweep_step_report_links_the_sweep_page_first() {
        let sweep_page = "../sweep.html";
        let page = with_note(GOOSE_PAGE, Origin::SweepStep { sweep_page })
            .unwrap()
            .unwrap();

        let link = page
            .find("<a href=\"../sweep.html\">sweep.html</a>")
            .unwrap();
        assert!(link < page.find("<h1>").unwrap());
        assert!(link < page.find("Offline, the graphs").unwrap());
    }

    #[test]
    fn the_note_is_added_once() {
        let page = with_note(GOOSE_PAGE, Origin::Run).unwrap().unwrap();
        assert_eq!(with_note(&page, Origin::Run).unwrap(), None);
    }

    #[test]
    fn a_page_that_loads_nothing_from_elsewhere_gets_no_note() {
        let local = GOOSE_PAGE.replace(
            "https://cdn.jsdelivr.net/npm/echarts@5.2.2/dist/echarts.min.js",
            "echarts.min.js",
        );
        assert_eq!(with_note(&local, Origin::Run).unwrap(), None);
    }

    #[test]
    fn a_page_without_a_body_is_an_error() {
        let broken = GOOSE_PAGE.replace("<body>", "");
        assert!(with_note(&broken, Origin::Run).is_err());
    }

    #[test]
    fn the_file_is_rewritten_and_other_reports_are_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let html = dir.path().join("report.html");
        let json = dir.path().join("report.json");
        std::fs::write(&html, GOOSE_PAGE).unwrap();
        std::fs::write(&json, GOOSE_PAGE).unwrap();

        annotate(&html, Origin::Run).unwrap();
        annotate(&json, Origin::Run).unwrap();

        assert!(std::fs::read_to_string(&html).unwrap().contains(NOTE_ID));
        assert_eq!(std::fs::read_to_string(&json).unwrap(), GOOSE_PAGE);
    }
}
