//! The three plots `sweep.html` inlines, drawn by plotters as SVG.

use std::io;

use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

use super::schema::{StepReport, Sweep};
use super::wording::number;

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

pub(super) fn achieved_plot(sweep: &Sweep) -> io::Result<String> {
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

pub(super) fn latency_plot(sweep: &Sweep) -> io::Result<String> {
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

pub(super) fn error_plot(sweep: &Sweep) -> io::Result<String> {
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

#[cfg(test)]
mod tests {
    use crate::sweep::SearchEnd;
    use crate::sweep::report::fixtures::fixed_sweep;
    use crate::sweep::report::{html, summary_markdown};

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
