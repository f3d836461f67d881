//! Open-model capacity sweep: the step schedule, the step rules, the search and its reports.
//!
//! # Method
//! - **Open model.** Each step offers a fixed rate: a [`Pacer`] hands out intended send times
//!   `start + k / rate` to every user, whatever the server does, instead of each user waiting for
//!   its previous answer (a closed model, which slows down with the server and hides queueing).
//! - **Latency from the intended send time.** A request sent late because the generator or a
//!   busy user pool was behind still counts from when it should have left, so coordinated
//!   omission does not flatter the result. Schedule lag (actual − intended) and service time
//!   (response − actual send) are recorded beside it in hdrhistograms ([`Recorder`]).
//! - **Step rules** ([`judge`]): a step passes when p99 < SLO (50 ms by default), errors ≤ 0.1 %
//!   and the achieved rate ≥ 99 % of the offered one. It is *invalid*, saying nothing about the
//!   server, when the generator fell behind its schedule while its own CPU was busy or while the
//!   server was answering in time.
//! - **Search** ([`Planner`]): the rate doubles from 100 rps while steps pass, then bisects
//!   between the last passing and the first failing rate until they are within 5 %. An invalid
//!   step is re-run once; invalid twice ends the search as generator-bound. The saturation rate
//!   is the highest passing rate below a failing one, also reported per vCPU. Where no step
//!   failed above it (the step budget spent, the search cut short) or the generator bounded the
//!   search, the reports say saturation was not reached and give the highest passing rate.
//! - **Reports** ([`write_reports`]): `sweep.json` (versioned), `summary.md` and a
//!   self-contained `sweep.html` with SVG plots.

mod generators;
mod logic;
mod pacer;
mod report;

pub use generators::{GeneratorFigures, GeneratorPart, merge, split};
pub use logic::{
    GeneratorLimits, Planner, PlannerConfig, SearchEnd, SearchResult, Slo, StepMeasurement,
    Verdict, judge, micros_histogram, users_for,
};
pub use pacer::{
    CpuMeter, Outcome, Pacer, Recorder, available_cpus, cpu_time_of, process_cpu_time,
};
pub use report::{
    Connection, Environment, SCHEMA_VERSION, StepReport, Sweep, Target, html, summary_markdown,
    write_reports,
};
