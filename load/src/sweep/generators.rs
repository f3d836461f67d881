//! A step driven by several generator processes (`load sweep --generators N`): the offered
//! rate split evenly among them, and what each measured carried back as HdrHistogram V2
//! bytes and added into one measurement. Adding histograms of the same bounds is exact: the
//! merged step is the one a single generator sending every request would have recorded.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Deserializer, Serializer as _, V2Serializer};
use serde::{Deserialize, Serialize};

use super::logic::{StepMeasurement, micros_histogram};

/// Each generator's share of a step: the offered rate split evenly, and the users spread as
/// evenly over them (at least one each).
pub fn split(rate_rps: f64, users: usize, generators: usize) -> Vec<(f64, usize)> {
    let generators = generators.max(1);
    (0..generators)
        .map(|index| {
            let users = users / generators + usize::from(index < users % generators);
            (rate_rps / generators as f64, users.max(1))
        })
        .collect()
}

/// What one generator process measured in a step, as it sends it to the sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneratorPart {
    pub offered_rps: f64,
    pub planned: u64,
    pub sent: u64,
    pub ok: u64,
    pub errors: u64,
    /// The three histograms of [`StepMeasurement`], V2-serialized, base64.
    pub latency: String,
    pub schedule_lag: String,
    pub service: String,
    /// This generator's CPU over its schedule, in cores.
    pub cpu_cores: f64,
    /// The server's over the same time, when the sweep meters it.
    pub server_cpu_cores: Option<f64>,
    /// Ctrl-C stopped it.
    pub interrupted: bool,
}

/// One generator's figures in a step's report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneratorFigures {
    /// Its CPU use over the step, in cores.
    pub cpu_cores: f64,
    /// Its schedule lag p99, in milliseconds.
    pub lag_p99_ms: f64,
    /// Requests its schedule held, and those it started.
    pub planned: u64,
    pub sent: u64,
}

fn encode(histogram: &Histogram<u64>) -> Result<String, String> {
    let mut bytes = Vec::new();
    V2Serializer::new()
        .serialize(histogram, &mut bytes)
        .map_err(|e| format!("serializing a histogram: {e:?}"))?;
    Ok(STANDARD.encode(bytes))
}

fn decode(text: &str) -> Result<Histogram<u64>, String> {
    let bytes = STANDARD
        .decode(text)
        .map_err(|e| format!("a generator's histogram is not base64: {e}"))?;
    Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(|e| format!("a generator's histogram does not decode: {e:?}"))
}

fn add(total: &mut Histogram<u64>, part: &str) -> Result<(), String> {
    total
        .add(decode(part)?)
        .map_err(|e| format!("adding a generator's histogram: {e:?}"))
}

fn lag_p99_ms(histogram: &Histogram<u64>) -> f64 {
    if histogram.is_empty() {
        0.0
    } else {
        histogram.value_at_quantile(0.99) as f64 / 1000.0
    }
}

impl GeneratorPart {
    /// What a generator sends of its measurement.
    pub fn new(step: &StepMeasurement, interrupted: bool) -> Result<Self, String> {
        Ok(Self {
            offered_rps: step.offered_rps,
            planned: step.planned,
            sent: step.sent,
            ok: step.ok,
            errors: step.errors,
            latency: encode(&step.latency)?,
            schedule_lag: encode(&step.schedule_lag)?,
            service: encode(&step.service)?,
            cpu_cores: step.generator_cpu_cores,
            server_cpu_cores: step.server_cpu_cores,
            interrupted,
        })
    }
}

/// The step the generators measured together: counts and histograms added, the generators'
/// CPU added (the step rules judge it against the generator's share as before), the server's
/// CPU the mean of the generators' readings (each covers about the same time), and each
/// generator's own CPU and lag kept for the report.
pub fn merge(
    parts: &[GeneratorPart],
    duration: Duration,
    available_cpus: usize,
) -> Result<StepMeasurement, String> {
    let mut step = StepMeasurement {
        offered_rps: 0.0,
        duration,
        planned: 0,
        sent: 0,
        ok: 0,
        errors: 0,
        latency: micros_histogram(),
        schedule_lag: micros_histogram(),
        service: micros_histogram(),
        generator_cpu_cores: 0.0,
        server_cpu_cores: None,
        available_cpus,
        generators: Vec::with_capacity(parts.len()),
    };
    let mut server = Vec::new();
    for part in parts {
        step.offered_rps += part.offered_rps;
        step.planned += part.planned;
        step.sent += part.sent;
        step.ok += part.ok;
        step.errors += part.errors;
        add(&mut step.latency, &part.latency)?;
        add(&mut step.service, &part.service)?;
        let lag = decode(&part.schedule_lag)?;
        step.generators.push(GeneratorFigures {
            cpu_cores: part.cpu_cores,
            lag_p99_ms: lag_p99_ms(&lag),
            planned: part.planned,
            sent: part.sent,
        });
        step.schedule_lag
            .add(lag)
            .map_err(|e| format!("adding a generator's histogram: {e:?}"))?;
        step.generator_cpu_cores += part.cpu_cores;
        server.extend(part.server_cpu_cores);
    }
    if !server.is_empty() {
        step.server_cpu_cores = Some(server.iter().sum::<f64>() / server.len() as f64);
    }
    Ok(step)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_splits_evenly_and_every_generator_gets_a_user() {
        assert_eq!(split(18_102.0, 1000, 2), [(9_051.0, 500), (9_051.0, 500)]);
        assert_eq!(
            split(1_001.0, 7, 3),
            [(1_001.0 / 3.0, 3), (1_001.0 / 3.0, 2), (1_001.0 / 3.0, 2)]
        );
        let shares = split(100.0, 1, 4);
        assert_eq!(shares.len(), 4);
        assert!(shares.iter().all(|&(_, users)| users == 1));
        let total: f64 = shares.iter().map(|&(rate, _)| rate).sum();
        assert_eq!(total, 100.0);
        assert_eq!(split(100.0, 10, 0), [(100.0, 10)], "no generator means one");
    }

    /// Deterministic samples spread over the histogram's range, up to about a second.
    fn samples() -> Vec<u64> {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        (0..20_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                1 + x % 1_000_000 / (1 + x % 97)
            })
            .collect()
    }

    fn measurement_of(samples: &[u64], cpu: f64, server: Option<f64>) -> StepMeasurement {
        let mut step = StepMeasurement {
            offered_rps: 500.0,
            duration: Duration::from_secs(10),
            planned: samples.len() as u64 + 3,
            sent: samples.len() as u64 + 1,
            ok: samples.len() as u64 - 1,
            errors: 1,
            latency: micros_histogram(),
            schedule_lag: micros_histogram(),
            service: micros_histogram(),
            generator_cpu_cores: cpu,
            server_cpu_cores: server,
            available_cpus: 2,
            generators: Vec::new(),
        };
        for &sample in samples {
            step.latency.record(sample).unwrap();
            step.schedule_lag.record(sample / 10 + 1).unwrap();
            step.service.record(sample / 2 + 1).unwrap();
        }
        step
    }

    #[test]
    fn two_generators_merged_equal_one_generator_over_the_same_samples() {
        let all = samples();
        let (even, odd): (Vec<_>, Vec<_>) = all.chunks(2).map(|pair| (pair[0], pair[1])).unzip();
        let one = measurement_of(&all, 0.0, None);
        let parts = [
            GeneratorPart::new(&measurement_of(&even, 0.25, Some(0.5)), false).unwrap(),
            GeneratorPart::new(&measurement_of(&odd, 0.5, Some(0.75)), false).unwrap(),
        ];

        let merged = merge(&parts, Duration::from_secs(10), 2).unwrap();

        assert_eq!(merged.latency, one.latency);
        assert_eq!(merged.schedule_lag, one.schedule_lag);
        assert_eq!(merged.service, one.service);
        for quantile in [0.5, 0.9, 0.99, 0.999, 1.0] {
            assert_eq!(
                merged.latency.value_at_quantile(quantile),
                one.latency.value_at_quantile(quantile),
                "quantile {quantile}"
            );
        }
        assert_eq!(merged.latency.len(), all.len() as u64);
        assert_eq!(merged.offered_rps, 1000.0);
        assert_eq!(
            (merged.planned, merged.sent, merged.ok, merged.errors),
            (
                all.len() as u64 + 6,
                all.len() as u64 + 2,
                all.len() as u64 - 2,
                2
            )
        );
        assert_eq!(merged.generator_cpu_cores, 0.75, "the generators' CPU adds");
        assert_eq!(
            merged.server_cpu_cores,
            Some(0.625),
            "the server's is a mean"
        );
        assert_eq!(merged.generators.len(), 2);
        assert_eq!(merged.generators[1].cpu_cores, 0.5);
        assert_eq!(
            merged.generators[0].lag_p99_ms,
            lag_p99_ms(&measurement_of(&even, 0.0, None).schedule_lag)
        );
    }

    #[test]
    fn a_part_survives_its_json_trip() {
        let part = GeneratorPart::new(&measurement_of(&samples(), 0.3, None), true).unwrap();
        let text = serde_json::to_string(&part).unwrap();
        let back: GeneratorPart = serde_json::from_str(&text).unwrap();
        assert_eq!(back, part);
        let merged = merge(&[back], Duration::from_secs(10), 2).unwrap();
        assert_eq!(
            merged.latency,
            measurement_of(&samples(), 0.3, None).latency
        );
    }

    #[test]
    fn a_damaged_histogram_is_an_error_not_a_panic() {
        let mut part = GeneratorPart::new(&measurement_of(&samples(), 0.3, None), false).unwrap();
        part.latency = STANDARD.encode(b"not a histogram");
        assert!(merge(&[part.clone()], Duration::from_secs(1), 2).is_err());
        part.latency = "%%%".to_owned();
        assert!(merge(&[part], Duration::from_secs(1), 2).is_err());
    }
}
