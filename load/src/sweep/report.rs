//! The sweep's reports: `sweep.json` for machines, `summary.md` to paste, `sweep.html` to look at.

use std::fmt::Write as _;
use std::io;
use std::path::Path;

use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::logic::{SearchEnd, SearchResult, Slo, StepMeasurement, Verdict};

/// Version of the `sweep.json` layout; raised on any change readers would notice.
///
/// 2: the server's CPU per step (`server_cpu_cores`, `server_cpu_us_per_request`) and
/// `environment.server_cpu`, present when the sweep metered the server's process; and
/// `generator_limit_rps`, present when the generator bounded the search.
pub const SCHEMA_VERSION: u32 = 2;

/// The server under load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    /// Short name, as the target file or the command line gives it.
    pub name: String,
    /// Its issuer identifier.
    pub issuer: String,
}

/// How requests reach the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Connection {
    /// Connections are reused between requests.
    #[serde(rename = "keep-alive")]
    KeepAlive,
    /// Every request opens its own connection.
    #[serde(rename = "new connection per request")]
    NewPerRequest,
}

impl Connection {
    fn label(self) -> &'static str {
        match self {
            Self::KeepAlive => "keep-alive",
            Self::NewPerRequest => "new connection per request",
        }
    }
}

/// What the saturation figure depends on besides the server's code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Environment {
    /// Cores of the machine; the per-vCPU figure divides by these.
    pub available_cpus: usize,
    /// How client secrets are checked (e.g. "argon2id, m=19456 KiB, t=2").
    pub secret_hashing: String,
    /// What access tokens are (e.g. "opaque, 32 random bytes").
    pub token_format: String,
    /// Where grants and tokens live (e.g. "SQLite, WAL, file on local disk").
    pub storage: String,
    /// Keep-alive or a new connection per request.
    pub connection: Connection,
    /// Where the generator ran and what it shared (e.g. "same machine as the server").
    pub generator_note: String,
    /// How the server's CPU was metered, when it was.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub server_cpu: Option<String>,
}

/// One step as reports show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepReport {
    /// Requests per second offered.
    pub offered_rps: f64,
    /// Requests per second completed.
    pub achieved_rps: f64,
    /// Latency percentiles from the intended send time, in milliseconds.
    pub p50_ms: f64,
    #[allow(missing_docs)]
    pub p90_ms: f64,
    #[allow(missing_docs)]
    pub p99_ms: f64,
    #[allow(missing_docs)]
    pub max_ms: f64,
    /// Errors over completed requests.
    pub error_ratio: f64,
    /// Requests planned by the schedule.
    pub planned: u64,
    /// Requests the generator started.
    pub sent: u64,
    /// The generator's CPU use in cores.
    pub generator_cpu_cores: f64,
    /// The server's CPU use in cores, when its process was metered.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub server_cpu_cores: Option<f64>,
    /// The server's CPU time per completed request, in µs: what a request costs the server
    /// whatever the generator's share of the machine.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub server_cpu_us_per_request: Option<f64>,
    /// Schedule lag p99 in milliseconds.
    pub lag_p99_ms: f64,
    /// `pass`, `fail` or `invalid`.
    pub verdict: String,
    /// Why the step did not pass.
    pub reasons: Vec<String>,
    /// Goose's report for this step, relative to the sweep's directory.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub goose_report: Option<String>,
}

fn quantile_ms(histogram: &hdrhistogram::Histogram<u64>, quantile: f64) -> f64 {
    if histogram.is_empty() {
        0.0
    } else {
        histogram.value_at_quantile(quantile) as f64 / 1000.0
    }
}

impl StepReport {
    /// The report of a measured and judged step.
    pub fn new(step: &StepMeasurement, verdict: &Verdict, goose_report: Option<String>) -> Self {
        let achieved_rps = step.achieved_rps();
        Self {
            offered_rps: step.offered_rps,
            achieved_rps,
            p50_ms: quantile_ms(&step.latency, 0.50),
            p90_ms: quantile_ms(&step.latency, 0.90),
            p99_ms: quantile_ms(&step.latency, 0.99),
            max_ms: if step.latency.is_empty() {
                0.0
            } else {
                step.latency.max() as f64 / 1000.0
            },
            error_ratio: step.error_ratio(),
            planned: step.planned,
            sent: step.sent,
            generator_cpu_cores: step.generator_cpu_cores,
            server_cpu_cores: step.server_cpu_cores,
            server_cpu_us_per_request: step
                .server_cpu_cores
                .filter(|_| achieved_rps > 0.0)
                .map(|cores| cores * 1e6 / achieved_rps),
            lag_p99_ms: quantile_ms(&step.schedule_lag, 0.99),
            verdict: verdict.label().to_owned(),
            reasons: verdict.reasons(),
            goose_report,
        }
    }

    fn is_invalid(&self) -> bool {
        self.verdict == "invalid"
    }
}

/// A whole sweep, as `sweep.json` holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sweep {
    /// [`SCHEMA_VERSION`] when written.
    pub schema_version: u32,
    /// The scenario that was run, e.g. `client_credentials`.
    pub scenario: String,
    #[allow(missing_docs)]
    pub target: Target,
    /// When the first step started, RFC 3339 in UTC.
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    #[allow(missing_docs)]
    pub slo: Slo,
    #[allow(missing_docs)]
    pub environment: Environment,
    /// Steps in the order they ran.
    pub steps: Vec<StepReport>,
    /// Why the search stopped.
    pub search_end: Option<SearchEnd>,
    /// The highest offered rate that passed: the saturation rate when a step failed above it
    /// and the generator did not bound the search, otherwise only a lower bound for it.
    pub saturation_rps: Option<f64>,
    /// The lowest rate the generator could not drive, where it bounded the search: the
    /// saturation rate is then a lower bound.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub generator_limit_rps: Option<f64>,
    /// The saturation rate over the machine's cores.
    pub saturation_per_vcpu: Option<f64>,
    /// p99 of a passing step run at half the saturation rate (within 5 %), if one was.
    pub p99_at_half_saturation_ms: Option<f64>,
}

impl Sweep {
    /// Puts a finished search together with what it ran on.
    pub fn new(
        scenario: &str,
        target: Target,
        started_at: OffsetDateTime,
        slo: Slo,
        environment: Environment,
        steps: Vec<StepReport>,
        result: &SearchResult,
    ) -> Self {
        let saturation_per_vcpu = result
            .saturation_rps
            .filter(|_| environment.available_cpus > 0)
            .map(|rps| rps / environment.available_cpus as f64);
        let mut sweep = Self {
            schema_version: SCHEMA_VERSION,
            scenario: scenario.to_owned(),
            target,
            started_at: started_at.to_offset(time::UtcOffset::UTC),
            slo,
            environment,
            steps,
            search_end: result.end,
            saturation_rps: result.saturation_rps,
            generator_limit_rps: result.generator_limit_rps,
            saturation_per_vcpu,
            p99_at_half_saturation_ms: None,
        };
        sweep.p99_at_half_saturation_ms = sweep.p99_near(0.5);
        sweep
    }

    /// The rate to run a confirming step at to learn p99 at half the saturation rate.
    pub fn half_saturation_rps(&self) -> Option<f64> {
        self.saturation_rps.map(|rps| (rps / 2.0).round().max(1.0))
    }

    fn p99_near(&self, fraction: f64) -> Option<f64> {
        let wanted = self.saturation_rps? * fraction;
        self.steps
            .iter()
            .filter(|step| step.verdict == "pass")
            .filter(|step| (step.offered_rps - wanted).abs() <= 0.05 * wanted)
            .min_by(|a, b| {
                let distance = |step: &StepReport| (step.offered_rps - wanted).abs();
                distance(a).total_cmp(&distance(b))
            })
            .map(|step| step.p99_ms)
    }

    /// Adds a step run after the search (such as one at half the saturation rate) and updates
    /// the figures that depend on it.
    pub fn push_step(&mut self, step: StepReport) {
        self.steps.push(step);
        self.p99_at_half_saturation_ms = self.p99_near(0.5);
    }

    fn slo_sentence(&self) -> String {
        format!(
            "p99 < {} ms from the intended send time, errors ≤ {} %, achieved ≥ {} % of offered",
            number(self.slo.p99.as_secs_f64() * 1000.0),
            number(self.slo.max_error_ratio * 100.0),
            number(self.slo.min_achieved_ratio * 100.0),
        )
    }

    /// The sentence every report leads with. A saturation rate is named only where the server
    /// failed above the highest rate that passed; otherwise it was not reached, and the sentence
    /// says why (the step budget, the generator's limit, a search cut short) and what passed.
    pub fn outcome_sentence(&self) -> String {
        let failed = self.first_failing_rps();
        let limit = self.generator_limit();
        let highest_pass =
            |rps: f64| format!("highest rate that passed: {}", self.rate_per_vcpu(rps, ""));
        let figure = match (limit, failed, self.saturation_rps) {
            (Some(limit), _, passed) => format!(
                "not reached (the generator could not drive {} rps); {}",
                number(limit),
                passed.map_or("no step passed".to_owned(), highest_pass)
            ),
            (None, Some(_), Some(rps)) => self.rate_per_vcpu(rps, " at the SLO"),
            (None, None, Some(rps)) => {
                let why = match self.search_end {
                    Some(SearchEnd::MaxSteps) => "step budget spent",
                    None => "the search stopped early",
                    Some(_) => "no step failed",
                };
                format!("not reached ({why}); {}", highest_pass(rps))
            }
            (None, None, None)
                if self.steps.is_empty() && self.search_end != Some(SearchEnd::NothingPassed) =>
            {
                "not measured (no step ran)".to_owned()
            }
            (None, _, None) => "none: no step passed".to_owned(),
        };
        let between = match (self.saturation_rps, failed) {
            (Some(pass), Some(fail)) if limit.is_none() => {
                format!(" between {} and {} rps", number(pass), number(fail))
            }
            _ => String::new(),
        };
        let end = match self.search_end {
            Some(SearchEnd::Converged) => Some(format!("the search converged{between}")),
            // Without a failure or a limit the figure already names the spent budget.
            Some(SearchEnd::MaxSteps) if failed.is_none() && limit.is_none() => None,
            Some(SearchEnd::MaxSteps) => Some(format!(
                "the step budget ran out before the search converged{between}"
            )),
            Some(SearchEnd::GeneratorBound { .. }) => {
                Some("the search converged on the generator's limit".to_owned())
            }
            Some(SearchEnd::NothingPassed) => Some("even the lowest rate failed".to_owned()),
            None if failed.is_none() && limit.is_none() => None,
            None => Some(format!("the search stopped before it converged{between}")),
        };
        match end {
            Some(end) => format!("Saturation: {figure}; {end}."),
            None => format!("Saturation: {figure}."),
        }
    }

    /// Whether a step failed above the highest passing rate with nothing else bounding the
    /// search: only then is that rate the server's saturation rate.
    pub fn saturation_reached(&self) -> bool {
        self.saturation_rps.is_some()
            && self.first_failing_rps().is_some()
            && self.generator_limit().is_none()
    }

    /// `800 rps{qualifier} (400 rps per vCPU over 2 vCPUs)`.
    fn rate_per_vcpu(&self, rps: f64, qualifier: &str) -> String {
        match self.saturation_per_vcpu {
            Some(per_vcpu) => format!(
                "{} rps{qualifier} ({} rps per vCPU over {} vCPUs)",
                number(rps),
                number(per_vcpu),
                self.environment.available_cpus
            ),
            None => format!("{} rps{qualifier}", number(rps)),
        }
    }

    /// The rate the generator could not drive, where it bounded the search; a `sweep.json`
    /// written before schema 2 has it only in its search end.
    fn generator_limit(&self) -> Option<f64> {
        match (self.generator_limit_rps, self.search_end) {
            (Some(limit), _) => Some(limit),
            (None, Some(SearchEnd::GeneratorBound { rps })) => Some(rps),
            (None, _) => None,
        }
    }

    /// The lowest failing rate above the highest passing one. A failure below it (the step at
    /// half that rate, on a bad second) bounds nothing.
    fn first_failing_rps(&self) -> Option<f64> {
        let floor = self.saturation_rps.unwrap_or(f64::NEG_INFINITY);
        self.steps
            .iter()
            .filter(|step| step.verdict == "fail" && step.offered_rps > floor)
            .map(|step| step.offered_rps)
            .min_by(f64::total_cmp)
    }

    /// The line on p99 at half the highest passing rate, which is the saturation rate only
    /// when the search reached it.
    pub fn half_rate_sentence(&self) -> Option<String> {
        let p99 = self.p99_at_half_saturation_ms?;
        let rate = if self.saturation_reached() {
            "the saturation rate"
        } else {
            "the highest rate that passed"
        };
        Some(format!("p99 at half {rate}: {p99:.2} ms."))
    }

    fn depends_on(&self) -> Vec<(&'static str, String)> {
        let env = &self.environment;
        let mut facts = vec![
            ("Machine", format!("{} vCPUs available", env.available_cpus)),
            ("Generator", env.generator_note.clone()),
            ("Secret hashing", env.secret_hashing.clone()),
            ("Token format", env.token_format.clone()),
            ("Storage", env.storage.clone()),
            ("Connection", env.connection.label().to_owned()),
        ];
        if let Some(server_cpu) = &env.server_cpu {
            facts.push(("Server CPU", server_cpu.clone()));
        }
        facts
    }

    /// Whether any step metered the server's CPU: the tables then show it.
    fn server_cpu_metered(&self) -> bool {
        self.steps
            .iter()
            .any(|step| step.server_cpu_cores.is_some())
    }
}

/// Up to one decimal, no trailing `.0`: 1000, 12.5, 0.1.
fn number(value: f64) -> String {
    let rounded = (value * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded:.1}")
    }
}

/// Step `index`'s figures in the tables' column order, up to the verdict: the server's two only
/// when the sweep metered it.
fn step_figures(index: usize, step: &StepReport, server: bool) -> Vec<String> {
    let mut figures = vec![
        (index + 1).to_string(),
        number(step.offered_rps),
        format!("{:.1}", step.achieved_rps),
        format!("{:.2}", step.p50_ms),
        format!("{:.2}", step.p90_ms),
        format!("{:.2}", step.p99_ms),
        format!("{:.2}", step.max_ms),
        format!("{:.3}", step.error_ratio * 100.0),
        format!("{:.2}", step.generator_cpu_cores),
    ];
    if server {
        figures.push(optional(step.server_cpu_cores, 2));
        figures.push(optional(step.server_cpu_us_per_request, 0));
    }
    figures.push(format!("{:.2}", step.lag_p99_ms));
    figures
}

/// A figure to `decimals` places, or a dash when it was not measured.
fn optional(value: Option<f64>, decimals: usize) -> String {
    value.map_or("–".to_owned(), |v| format!("{v:.decimals$}"))
}

fn started(sweep: &Sweep) -> String {
    sweep
        .started_at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

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

const PASS_COLOUR: RGBColor = RGBColor(0x1b, 0x7f, 0x3b);
const FAIL_COLOUR: RGBColor = RGBColor(0xc0, 0x39, 0x2b);
const INVALID_COLOUR: RGBColor = RGBColor(0x88, 0x88, 0x88);
const PLOT_SIZE: (u32, u32) = (720, 400);

fn verdict_colour(step: &StepReport) -> RGBColor {
    match step.verdict.as_str() {
        "pass" => PASS_COLOUR,
        "fail" => FAIL_COLOUR,
        _ => INVALID_COLOUR,
    }
}

fn plot_error(error: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("plot: {error}"))
}

/// Valid steps in rate order, for lines: an invalid step measured the generator, so it gets a
/// marker but no place on the line.
fn valid_by_rate(sweep: &Sweep) -> Vec<&StepReport> {
    let mut steps: Vec<&StepReport> = sweep.steps.iter().filter(|s| !s.is_invalid()).collect();
    steps.sort_by(|a, b| a.offered_rps.total_cmp(&b.offered_rps));
    steps
}

fn rate_axis_end(sweep: &Sweep) -> f64 {
    let highest = sweep
        .steps
        .iter()
        .map(|step| step.offered_rps.max(step.achieved_rps))
        .fold(1.0, f64::max);
    highest * 1.1
}

/// Draws one plot into a standalone SVG string, then drops the namespace attribute, which
/// HTML does not need, so the page holds no address at all.
fn svg(
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, plotters::coord::Shift>) -> io::Result<()>,
) -> io::Result<String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, PLOT_SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        draw(&root)?;
        root.present().map_err(plot_error)?;
    }
    Ok(out.replacen(r#" xmlns="http://www.w3.org/2000/svg""#, "", 1))
}

/// Marks a step: a filled circle by verdict, a cross for an invalid one.
fn marker<DB: DrawingBackend>(
    x: f64,
    y: f64,
    step: &StepReport,
) -> DynElement<'static, DB, (f64, f64)> {
    if step.is_invalid() {
        Cross::new((x, y), 5, INVALID_COLOUR.stroke_width(2)).into_dyn()
    } else {
        Circle::new((x, y), 4, verdict_colour(step).filled()).into_dyn()
    }
}

/// A line of a plot, with its legend entry.
struct Line {
    label: String,
    style: ShapeStyle,
    points: Vec<(f64, f64)>,
}

impl Line {
    fn new(
        label: impl Into<String>,
        style: impl Into<ShapeStyle>,
        points: Vec<(f64, f64)>,
    ) -> Self {
        Self {
            label: label.into(),
            style: style.into(),
            points,
        }
    }

    /// A horizontal line across the rate axis, for a threshold.
    fn level(label: String, y: f64, end: f64) -> Self {
        Self::new(label, RED.stroke_width(2), vec![(0.0, y), (end, y)])
    }
}

/// One plot against the offered rate: the lines, then a marker per step (every step, invalid
/// ones included) at the height `marker_y` gives it.
struct Plot<'a> {
    caption: &'static str,
    y_desc: &'static str,
    /// Whole numbers on the y axis (rates); `None` keeps plotters' labels.
    y_whole: bool,
    lines: Vec<Line>,
    marker_y: &'a dyn Fn(&StepReport) -> f64,
}

impl Plot<'_> {
    /// The plot as SVG, the offered rate from 0 to `end` across, `y` up.
    fn render<Y>(self, sweep: &Sweep, end: f64, y: Y) -> io::Result<String>
    where
        Y: AsRangedCoord<Value = f64>,
        Y::CoordDescType: ValueFormatter<f64>,
    {
        svg(|root| {
            let mut chart = ChartBuilder::on(root)
                .caption(self.caption, ("sans-serif", 18))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(60)
                .build_cartesian_2d(0.0..end, y)
                .map_err(plot_error)?;
            let whole = |value: &f64| format!("{value:.0}");
            let mut mesh = chart.configure_mesh();
            mesh.x_desc("offered rps")
                .x_label_formatter(&whole)
                .y_desc(self.y_desc);
            if self.y_whole {
                mesh.y_label_formatter(&whole);
            }
            mesh.draw().map_err(plot_error)?;
            for line in self.lines {
                let style = line.style;
                chart
                    .draw_series(LineSeries::new(line.points, style))
                    .map_err(plot_error)?
                    .label(line.label)
                    .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], style));
            }
            chart
                .draw_series(
                    sweep
                        .steps
                        .iter()
                        .map(|s| marker(s.offered_rps, (self.marker_y)(s), s)),
                )
                .map_err(plot_error)?;
            chart
                .configure_series_labels()
                .border_style(BLACK.mix(0.3))
                .background_style(WHITE.mix(0.8))
                .position(SeriesLabelPosition::UpperLeft)
                .draw()
                .map_err(plot_error)
        })
    }
}

/// The valid steps' `value` against their offered rate.
fn points(steps: &[&StepReport], value: impl Fn(&StepReport) -> f64) -> Vec<(f64, f64)> {
    steps.iter().map(|s| (s.offered_rps, value(s))).collect()
}

fn achieved_plot(sweep: &Sweep) -> io::Result<String> {
    let end = rate_axis_end(sweep);
    let steps = valid_by_rate(sweep);
    Plot {
        caption: "Achieved vs offered rate",
        y_desc: "achieved rps",
        y_whole: true,
        lines: vec![
            Line::new(
                "achieved = offered",
                BLACK.mix(0.3),
                vec![(0.0, 0.0), (end, end)],
            ),
            Line::new("achieved", BLUE, points(&steps, |s| s.achieved_rps)),
        ],
        marker_y: &|s| s.achieved_rps,
    }
    .render(sweep, end, 0.0..end)
}

fn latency_plot(sweep: &Sweep) -> io::Result<String> {
    let end = rate_axis_end(sweep);
    let steps = valid_by_rate(sweep);
    let slo_ms = sweep.slo.p99.as_secs_f64() * 1000.0;
    // Log scale: sub-millisecond medians and multi-second tails share one plot.
    let floor = 0.01;
    let top = steps
        .iter()
        .map(|s| s.p99_ms)
        .fold(slo_ms, f64::max)
        .max(floor * 10.0)
        * 2.0;
    let percentile = |label, value: fn(&StepReport) -> f64, colour: RGBColor| {
        Line::new(label, colour, points(&steps, |s| value(s).max(floor)))
    };
    Plot {
        caption: "Latency from the intended send time",
        y_desc: "ms (log scale)",
        y_whole: false,
        lines: vec![
            Line::level(format!("SLO p99 {} ms", number(slo_ms)), slo_ms, end),
            percentile("p50", |s| s.p50_ms, RGBColor(0x5d, 0xad, 0xe2)),
            percentile("p90", |s| s.p90_ms, RGBColor(0x21, 0x61, 0x8c)),
            percentile("p99", |s| s.p99_ms, RGBColor(0x1a, 0x23, 0x7e)),
        ],
        marker_y: &|s| s.p99_ms.max(floor),
    }
    .render(sweep, end, (floor..top).log_scale())
}

fn error_plot(sweep: &Sweep) -> io::Result<String> {
    let end = rate_axis_end(sweep);
    let steps = valid_by_rate(sweep);
    let limit = sweep.slo.max_error_ratio * 100.0;
    let top = steps
        .iter()
        .map(|s| s.error_ratio * 100.0)
        .fold(limit, f64::max)
        .max(0.01)
        * 1.2;
    Plot {
        caption: "Errors",
        y_desc: "errors %",
        y_whole: false,
        lines: vec![
            Line::level(format!("limit {} %", number(limit)), limit, end),
            Line::new("errors", BLUE, points(&steps, |s| s.error_ratio * 100.0)),
        ],
        marker_y: &|s| s.error_ratio * 100.0,
    }
    .render(sweep, end, 0.0..top)
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
    out.push_str("</table>\n<h2>What the figure depends on</h2>\n<ul>\n");
    for (what, value) in sweep.depends_on() {
        let _ = writeln!(out, "<li>{what}: {}</li>", html_escape(&value));
    }
    out.push_str("</ul>\n</body>\n</html>\n");
    Ok(out)
}

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
    use std::time::Duration;

    use time::macros::datetime;

    use super::*;

    fn step(offered: f64, achieved: f64, p99: f64, errors: f64, verdict: &str) -> StepReport {
        let reasons = match verdict {
            "fail" => vec![format!("p99 {p99:.1} ms ≥ SLO 50.0 ms")],
            "invalid" => vec!["generator-bound: schedule lag p99 40.0 ms > 25.0 ms while generator CPU 0.95 of 1.00 cores".to_owned()],
            _ => Vec::new(),
        };
        let invalid = verdict == "invalid";
        StepReport {
            offered_rps: offered,
            achieved_rps: achieved,
            p50_ms: p99 / 4.0,
            p90_ms: p99 / 2.0,
            p99_ms: p99,
            max_ms: p99 * 3.0,
            error_ratio: errors,
            planned: (offered * 10.0) as u64,
            sent: (offered * 10.0) as u64,
            generator_cpu_cores: if invalid { 0.95 } else { offered / 4000.0 },
            server_cpu_cores: None,
            server_cpu_us_per_request: None,
            lag_p99_ms: if invalid { 40.0 } else { 0.05 },
            verdict: verdict.to_owned(),
            reasons,
            goose_report: Some(format!("steps/{offered}/report.html")),
        }
    }

    fn fixed_sweep() -> Sweep {
        let steps = vec![
            step(100.0, 100.0, 1.2, 0.0, "pass"),
            step(200.0, 200.0, 1.3, 0.0, "pass"),
            step(400.0, 399.9, 1.8, 0.0, "pass"),
            step(800.0, 799.5, 4.0, 0.0002, "pass"),
            step(1600.0, 1210.0, 950.0, 0.004, "fail"),
            step(1131.0, 1120.0, 48.0, 0.0, "invalid"),
            step(1131.0, 1130.0, 31.0, 0.0, "pass"),
            step(1345.0, 1300.0, 240.0, 0.0, "fail"),
            step(1233.0, 1232.0, 44.0, 0.0, "pass"),
            step(1288.0, 1280.0, 71.0, 0.0, "fail"),
            step(616.0, 616.0, 2.6, 0.0, "pass"),
        ];
        let result = SearchResult {
            saturation_rps: Some(1233.0),
            first_failing_rps: Some(1288.0),
            generator_limit_rps: None,
            end: Some(SearchEnd::Converged),
            steps: 10,
        };
        Sweep::new(
            "client_credentials",
            Target {
                name: "reference-server".to_owned(),
                issuer: "http://127.0.0.1:8080".to_owned(),
            },
            datetime!(2026-11-23 20:11:13 UTC),
            Slo::default(),
            Environment {
                available_cpus: 2,
                secret_hashing: "argon2id, m=19456 KiB, t=2, p=1".to_owned(),
                token_format: "opaque, 32 random bytes".to_owned(),
                storage: "SQLite (WAL) on local disk".to_owned(),
                connection: Connection::KeepAlive,
                generator_note: "same machine as the server".to_owned(),
                server_cpu: None,
            },
            steps,
            &result,
        )
    }

    #[test]
    fn summary_markdown_is_stable() {
        insta::assert_snapshot!(summary_markdown(&fixed_sweep()));
    }

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

    /// A budget that runs out among invalid steps says what bounded the figure (the planner
    /// decides which rate that is: `logic.rs`).
    #[test]
    fn a_search_out_of_steps_names_the_rate_the_generator_could_not_drive() {
        let out_of_steps = |generator_limit_rps| {
            let result = SearchResult {
                saturation_rps: Some(18102.0),
                first_failing_rps: None,
                generator_limit_rps,
                end: Some(SearchEnd::MaxSteps),
                steps: 14,
            };
            let fixed = fixed_sweep();
            Sweep::new(
                "client_credentials",
                fixed.target,
                fixed.started_at,
                fixed.slo,
                fixed.environment,
                vec![step(18102.0, 18102.0, 7.4, 0.0, "pass")],
                &result,
            )
        };
        let bounded = out_of_steps(Some(21527.0));
        assert_eq!(
            bounded.outcome_sentence(),
            "Saturation: not reached (the generator could not drive 21527 rps); highest rate that passed: 18102 rps (9051 rps per vCPU over 2 vCPUs); the step budget ran out before the search converged."
        );
        let json = serde_json::to_value(&bounded).unwrap();
        assert_eq!(json["generator_limit_rps"], 21527.0);

        let unbounded = out_of_steps(None);
        assert_eq!(
            unbounded.outcome_sentence(),
            "Saturation: not reached (step budget spent); highest rate that passed: 18102 rps (9051 rps per vCPU over 2 vCPUs)."
        );
        assert!(
            serde_json::to_value(&unbounded)
                .unwrap()
                .get("generator_limit_rps")
                .is_none()
        );
    }

    /// The fixed sweep's target and environment around other steps and another search.
    fn sweep_of(
        steps: Vec<StepReport>,
        end: Option<SearchEnd>,
        generator_limit: Option<f64>,
    ) -> Sweep {
        let saturation_rps = steps
            .iter()
            .filter(|step| step.verdict == "pass")
            .map(|step| step.offered_rps)
            .max_by(f64::total_cmp);
        let result = SearchResult {
            saturation_rps,
            first_failing_rps: None,
            generator_limit_rps: generator_limit,
            end,
            steps: steps.len(),
        };
        let fixed = fixed_sweep();
        Sweep::new(
            "client_credentials",
            fixed.target,
            fixed.started_at,
            fixed.slo,
            fixed.environment,
            steps,
            &result,
        )
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

    /// Every way a search ends, in words: no Rust value (`Some(..)`, `MaxSteps`) reaches a
    /// report, and a saturation rate is named only where a step failed above it.
    #[test]
    fn every_search_end_is_worded_plainly() {
        let pass = |rate| step(rate, rate, 4.0, 0.0, "pass");
        let fail = |rate| step(rate, rate, 90.0, 0.0, "fail");
        let invalid = |rate| step(rate, rate * 0.9, 48.0, 0.0, "invalid");
        let cases = [
            (
                "converged",
                fixed_sweep(),
                "Saturation: 1233 rps at the SLO (616.5 rps per vCPU over 2 vCPUs); the search converged between 1233 and 1288 rps.",
            ),
            (
                "budget spent between a pass and a failure",
                sweep_of(
                    vec![pass(800.0), fail(1600.0)],
                    Some(SearchEnd::MaxSteps),
                    None,
                ),
                "Saturation: 800 rps at the SLO (400 rps per vCPU over 2 vCPUs); the step budget ran out before the search converged between 800 and 1600 rps.",
            ),
            (
                "generator-bound",
                sweep_of(
                    vec![pass(993.0), invalid(1037.0), invalid(1037.0)],
                    Some(SearchEnd::GeneratorBound { rps: 1037.0 }),
                    Some(1037.0),
                ),
                "Saturation: not reached (the generator could not drive 1037 rps); highest rate that passed: 993 rps (496.5 rps per vCPU over 2 vCPUs); the search converged on the generator's limit.",
            ),
            (
                "generator-bound from the first step",
                sweep_of(
                    vec![invalid(100.0), invalid(100.0)],
                    Some(SearchEnd::GeneratorBound { rps: 100.0 }),
                    Some(100.0),
                ),
                "Saturation: not reached (the generator could not drive 100 rps); no step passed; the search converged on the generator's limit.",
            ),
            (
                "nothing passed",
                sweep_of(
                    vec![fail(100.0), fail(1.0)],
                    Some(SearchEnd::NothingPassed),
                    None,
                ),
                "Saturation: none: no step passed; even the lowest rate failed.",
            ),
            (
                "stopped early, all passed",
                sweep_of(vec![pass(100.0), pass(200.0)], None, None),
                "Saturation: not reached (the search stopped early); highest rate that passed: 200 rps (100 rps per vCPU over 2 vCPUs).",
            ),
            (
                "stopped early while bisecting",
                sweep_of(vec![pass(800.0), fail(1600.0)], None, None),
                "Saturation: 800 rps at the SLO (400 rps per vCPU over 2 vCPUs); the search stopped before it converged between 800 and 1600 rps.",
            ),
            (
                "no step ran",
                sweep_of(Vec::new(), None, None),
                "Saturation: not measured (no step ran).",
            ),
        ];
        for (case, sweep, expected) in cases {
            let sentence = sweep.outcome_sentence();
            assert_eq!(sentence, expected, "{case}");
            assert!(
                !["Some(", "None", "MaxSteps", "GeneratorBound", "{"]
                    .iter()
                    .any(|debug| sentence.contains(debug)),
                "{case}: {sentence}"
            );
        }
    }

    /// A step that fails below the highest passing rate (the step at half of it, on a bad
    /// second) bounds nothing: the sentence still names the failure above.
    #[test]
    fn a_failure_below_the_highest_pass_is_not_the_upper_bound() {
        let mut sweep = fixed_sweep();
        sweep.push_step(step(616.0, 600.0, 80.0, 0.0, "fail"));
        assert!(
            sweep
                .outcome_sentence()
                .ends_with("the search converged between 1233 and 1288 rps."),
            "{}",
            sweep.outcome_sentence()
        );
    }

    #[test]
    fn sweep_figures_follow_the_search() {
        let sweep = fixed_sweep();
        assert_eq!(sweep.saturation_per_vcpu, Some(616.5));
        assert_eq!(sweep.half_saturation_rps(), Some(617.0));
        assert_eq!(
            sweep.p99_at_half_saturation_ms,
            Some(2.6),
            "the 616 rps step is within 5 %"
        );
    }

    #[test]
    fn step_report_reads_the_measurement() {
        let mut latency = crate::sweep::micros_histogram();
        latency.record_n(1_000, 98).unwrap();
        latency.record_n(20_000, 2).unwrap();
        let measurement = StepMeasurement {
            offered_rps: 10.0,
            duration: Duration::from_secs(10),
            planned: 100,
            sent: 100,
            ok: 99,
            errors: 1,
            schedule_lag: crate::sweep::micros_histogram(),
            service: latency.clone(),
            latency,
            generator_cpu_cores: 0.1,
            server_cpu_cores: Some(0.005),
            available_cpus: 2,
        };
        let verdict = Verdict::Fail(vec!["error ratio 1.000 % > 0.100 %".to_owned()]);
        let report = StepReport::new(&measurement, &verdict, None);
        assert_eq!(report.server_cpu_cores, Some(0.005));
        assert_eq!(
            report.server_cpu_us_per_request,
            Some(500.0),
            "5 ms of CPU a second over 10 requests a second"
        );
        assert_eq!(report.achieved_rps, 10.0);
        assert_eq!(report.p50_ms, 1.0);
        assert!((report.p99_ms - 20.0).abs() < 0.02, "{}", report.p99_ms);
        assert_eq!(report.error_ratio, 0.01);
        assert_eq!(report.lag_p99_ms, 0.0);
        assert_eq!((report.verdict.as_str(), report.reasons.len()), ("fail", 1));
    }

    #[test]
    fn reports_are_written_and_json_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let sweep = fixed_sweep();
        write_reports(&sweep, dir.path()).unwrap();

        let json = std::fs::read_to_string(dir.path().join("sweep.json")).unwrap();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["schema_version"], 2);
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
    fn html_escapes_what_it_is_given() {
        let mut sweep = fixed_sweep();
        sweep.scenario = "<script>".to_owned();
        let page = html(&sweep).unwrap();
        assert!(!page.contains("<script>") && page.contains("&lt;script&gt;"));
    }

    #[test]
    fn plots_survive_an_empty_sweep() {
        let mut sweep = fixed_sweep();
        sweep.steps.clear();
        sweep.saturation_rps = None;
        sweep.saturation_per_vcpu = None;
        sweep.search_end = Some(SearchEnd::NothingPassed);
        let page = html(&sweep).unwrap();
        assert_eq!(page.matches("<svg").count(), 3);
        assert!(summary_markdown(&sweep).contains("none: no step passed"));
    }
}
