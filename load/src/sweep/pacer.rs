//! The open-model schedule of one step, and the recording of what it measured.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use hdrhistogram::Histogram;
use tokio::time::Instant;

use super::logic::{StepMeasurement, micros_histogram};

/// Intended send times `start + k / rate` for one step, shared by every user.
///
/// Slots are handed out by one atomic counter, so users never wait on each other for the next
/// slot. A user that takes a slot late still gets its intended time, which is where latency is
/// measured from.
#[derive(Debug)]
pub struct Pacer {
    rate_rps: f64,
    start: Instant,
    duration: Duration,
    planned: u64,
    next: AtomicU64,
}

impl Pacer {
    /// A schedule of `rate_rps` requests per second from `start` for `duration`.
    pub fn new(rate_rps: f64, start: Instant, duration: Duration) -> Self {
        let rate_rps = if rate_rps.is_finite() && rate_rps > 0.0 {
            rate_rps
        } else {
            0.0
        };
        let mut pacer = Self {
            rate_rps,
            start,
            duration,
            planned: 0,
            next: AtomicU64::new(0),
        };
        if rate_rps > 0.0 {
            // Slots k with offset(k) < duration; the float estimate may be off by one.
            let mut planned = (duration.as_secs_f64() * rate_rps).ceil() as u64;
            while planned > 0 && pacer.offset(planned - 1) >= duration {
                planned -= 1;
            }
            while pacer.offset(planned) < duration {
                planned += 1;
            }
            pacer.planned = planned;
        }
        pacer
    }

    fn offset(&self, slot: u64) -> Duration {
        Duration::from_nanos((slot as f64 * 1e9 / self.rate_rps).round() as u64)
    }

    /// The offered rate.
    pub fn rate_rps(&self) -> f64 {
        self.rate_rps
    }

    /// When the step's first slot is due.
    pub fn start(&self) -> Instant {
        self.start
    }

    /// The step's scheduled length.
    pub fn duration(&self) -> Duration {
        self.duration
    }

    /// Slots in the step.
    pub fn planned(&self) -> u64 {
        self.planned
    }

    /// Slots handed out so far: the requests the generator started.
    pub fn issued(&self) -> u64 {
        self.next.load(Ordering::Relaxed).min(self.planned)
    }

    /// The next slot's intended send time; `None` once the step's slots are all taken.
    pub fn next_slot(&self) -> Option<Instant> {
        let slot = self.next.fetch_add(1, Ordering::Relaxed);
        (slot < self.planned).then(|| self.start + self.offset(slot))
    }

    /// Takes the next slot and sleeps until it is due (at once if it is already past); returns
    /// the intended send time to measure latency from.
    ///
    /// Tokio's timer has millisecond granularity, so a request may leave up to about 1 ms after
    /// its slot; that shows as schedule lag, far below the limits that make a step invalid.
    pub async fn wait_slot(&self) -> Option<Instant> {
        let intended = self.next_slot()?;
        tokio::time::sleep_until(intended).await;
        Some(intended)
    }
}

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Completed and passed validation.
    Ok,
    /// Failed: status, body shape or transport.
    Error,
}

#[derive(Debug)]
struct Shard {
    latency: Histogram<u64>,
    schedule_lag: Histogram<u64>,
    service: Histogram<u64>,
    ok: u64,
    errors: u64,
}

impl Shard {
    fn new() -> Self {
        Self {
            latency: micros_histogram(),
            schedule_lag: micros_histogram(),
            service: micros_histogram(),
            ok: 0,
            errors: 0,
        }
    }
}

fn micros_between(earlier: Instant, later: Instant) -> u64 {
    u64::try_from(later.saturating_duration_since(earlier).as_micros()).unwrap_or(u64::MAX)
}

fn lock(shard: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    // A panic while holding a shard leaves counts that are still counts.
    shard.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Thread-safe recording of one step's requests.
///
/// Samples go to one of several mutex-guarded shards, tried round-robin with `try_lock`, so
/// concurrent users rarely wait on each other; the shards merge once, in [`Recorder::finish`].
#[derive(Debug)]
pub struct Recorder {
    shards: Box<[Mutex<Shard>]>,
    next_shard: AtomicUsize,
}

impl Recorder {
    /// A recorder with `shards` shards (at least one); about twice the worker threads is plenty.
    pub fn new(shards: usize) -> Self {
        Self {
            shards: (0..shards.max(1))
                .map(|_| Mutex::new(Shard::new()))
                .collect(),
            next_shard: AtomicUsize::new(0),
        }
    }

    /// Records one request: its intended and actual send times, when its response was in, and
    /// how it ended.
    pub fn record(&self, intended: Instant, sent: Instant, done: Instant, outcome: Outcome) {
        let first = self.next_shard.fetch_add(1, Ordering::Relaxed);
        let count = self.shards.len();
        let mut shard = (0..count)
            .find_map(|i| self.shards[(first + i) % count].try_lock().ok())
            .unwrap_or_else(|| lock(&self.shards[first % count]));
        shard
            .latency
            .saturating_record(micros_between(intended, done));
        shard
            .schedule_lag
            .saturating_record(micros_between(intended, sent));
        shard.service.saturating_record(micros_between(sent, done));
        match outcome {
            Outcome::Ok => shard.ok += 1,
            Outcome::Error => shard.errors += 1,
        }
    }

    /// Merges the shards into the step's measurement. `generator_cpu_cores` comes from a
    /// [`CpuMeter`] started with the step.
    pub fn finish(
        self,
        pacer: &Pacer,
        generator_cpu_cores: f64,
        available_cpus: usize,
    ) -> StepMeasurement {
        let mut total = Shard::new();
        for shard in self.shards.into_vec() {
            let shard = shard.into_inner().unwrap_or_else(PoisonError::into_inner);
            // Same bounds on both sides, so adding cannot fail.
            let _ = total.latency.add(&shard.latency);
            let _ = total.schedule_lag.add(&shard.schedule_lag);
            let _ = total.service.add(&shard.service);
            total.ok += shard.ok;
            total.errors += shard.errors;
        }
        StepMeasurement {
            offered_rps: pacer.rate_rps(),
            duration: pacer.duration(),
            planned: pacer.planned(),
            sent: pacer.issued(),
            ok: total.ok,
            errors: total.errors,
            latency: total.latency,
            schedule_lag: total.schedule_lag,
            service: total.service,
            generator_cpu_cores,
            server_cpu_cores: None,
            available_cpus,
            generators: Vec::new(),
        }
    }
}

/// CPU time of this whole process (every thread), from `/proc/self/stat`.
///
/// Linux reports it in clock ticks of 1/100 s (`USER_HZ`, fixed by the kernel's ABI), which is
/// fine over steps of seconds. `None` where there is no procfs.
pub fn process_cpu_time() -> Option<Duration> {
    cpu_time_from("/proc/self/stat")
}

/// The same for another process of this machine, such as the server under load; `None` when
/// it does not exist or cannot be read.
pub fn cpu_time_of(pid: u32) -> Option<Duration> {
    cpu_time_from(&format!("/proc/{pid}/stat"))
}

fn cpu_time_from(stat_path: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(stat_path).ok()?;
    // The command name may hold spaces and parentheses; fields resume after the last ')'.
    let fields: Vec<&str> = stat
        .get(stat.rfind(')')? + 1..)?
        .split_whitespace()
        .collect();
    // utime and stime are fields 14 and 15 of proc(5); fields[0] here is field 3.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// A process's CPU use over a step, in cores (CPU seconds per wall second).
#[derive(Debug, Clone, Copy)]
pub struct CpuMeter {
    /// `None`: this process.
    pid: Option<u32>,
    cpu: Option<Duration>,
    wall: std::time::Instant,
}

impl CpuMeter {
    /// Starts measuring this process (the generator) now.
    pub fn start() -> Self {
        Self::starting(None)
    }

    /// Starts measuring process `pid` now.
    pub fn start_for(pid: u32) -> Self {
        Self::starting(Some(pid))
    }

    fn starting(pid: Option<u32>) -> Self {
        Self {
            pid,
            cpu: Self::read(pid),
            wall: std::time::Instant::now(),
        }
    }

    fn read(pid: Option<u32>) -> Option<Duration> {
        match pid {
            None => process_cpu_time(),
            Some(pid) => cpu_time_of(pid),
        }
    }

    /// Cores used since the start; `None` where the process CPU time cannot be read (or the
    /// process has gone).
    pub fn cores(&self) -> Option<f64> {
        let used = Self::read(self.pid)?.saturating_sub(self.cpu?);
        let wall = self.wall.elapsed().as_secs_f64();
        (wall > 0.0).then(|| used.as_secs_f64() / wall)
    }
}

/// Cores this process may run on.
pub fn available_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn slots_are_spaced_by_the_rate_and_end_with_the_step() {
        let start = Instant::now();
        let pacer = Pacer::new(4.0, start, Duration::from_secs(1));
        assert_eq!(pacer.planned(), 4);
        let offsets: Vec<Duration> = std::iter::from_fn(|| pacer.next_slot())
            .map(|slot| slot - start)
            .collect();
        assert_eq!(
            offsets,
            [0, 250, 500, 750].map(Duration::from_millis),
            "the slot at 1 s belongs to the next step"
        );
        assert_eq!(pacer.next_slot(), None);
        assert_eq!(pacer.issued(), 4);
    }

    #[test]
    fn planned_slots_follow_rate_times_duration() {
        let start = Instant::now();
        let planned =
            |rate, millis| Pacer::new(rate, start, Duration::from_millis(millis)).planned();
        assert_eq!(planned(1000.0, 10_000), 10_000);
        assert_eq!(planned(3.0, 1_000), 3);
        assert_eq!(planned(3.0, 1_001), 4);
        assert_eq!(planned(0.5, 3_000), 2);
        assert_eq!(planned(0.0, 1_000), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn wait_slot_sleeps_until_the_intended_time() {
        let start = Instant::now() + Duration::from_millis(100);
        let pacer = Pacer::new(10.0, start, Duration::from_millis(300));
        for expected in [100, 200, 300] {
            let intended = pacer.wait_slot().await.unwrap();
            assert_eq!(intended, Instant::now(), "woke at the intended time");
            assert_eq!(
                intended - start + Duration::from_millis(100),
                Duration::from_millis(expected)
            );
        }
        assert_eq!(pacer.wait_slot().await, None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_late_user_gets_the_intended_time_not_now() {
        let start = Instant::now();
        let pacer = Pacer::new(100.0, start, Duration::from_secs(1));
        tokio::time::advance(Duration::from_millis(35)).await;
        let first = pacer.wait_slot().await.unwrap();
        let second = pacer.wait_slot().await.unwrap();
        assert_eq!(
            (first - start, second - start),
            (Duration::ZERO, Duration::from_millis(10))
        );
        assert_eq!(
            Instant::now() - start,
            Duration::from_millis(35),
            "no sleep for past slots"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_users_share_one_schedule_without_duplicates() {
        let start = Instant::now();
        let pacer = Arc::new(Pacer::new(1000.0, start, Duration::from_secs(1)));
        let users: Vec<_> = (0..8)
            .map(|_| {
                let pacer = Arc::clone(&pacer);
                tokio::spawn(async move {
                    let mut slots = Vec::new();
                    while let Some(slot) = pacer.wait_slot().await {
                        slots.push(slot - start);
                    }
                    slots
                })
            })
            .collect();
        let mut all = Vec::new();
        for user in users {
            all.extend(user.await.unwrap());
        }
        all.sort();
        let expected: Vec<Duration> = (0..1000).map(Duration::from_millis).collect();
        assert_eq!(all, expected);
    }

    #[tokio::test(start_paused = true)]
    async fn recorder_measures_latency_from_the_intended_time() {
        let start = Instant::now();
        let pacer = Pacer::new(2.0, start, Duration::from_secs(1));
        let recorder = Recorder::new(4);
        let ms = Duration::from_millis;
        // On time, answered in 5 ms.
        let intended = pacer.next_slot().unwrap();
        recorder.record(intended, intended, intended + ms(5), Outcome::Ok);
        // Sent 40 ms late, answered in 5 ms: 45 ms of latency.
        let intended = pacer.next_slot().unwrap();
        recorder.record(
            intended,
            intended + ms(40),
            intended + ms(45),
            Outcome::Error,
        );

        let step = recorder.finish(&pacer, 0.25, 2);
        assert_eq!(
            (step.planned, step.sent, step.ok, step.errors),
            (2, 2, 1, 1)
        );
        assert_eq!(step.offered_rps, 2.0);
        assert_eq!(step.duration, Duration::from_secs(1));
        assert_eq!((step.generator_cpu_cores, step.available_cpus), (0.25, 2));
        assert_eq!(step.latency.len(), 2);
        assert_eq!(step.latency.max(), step.latency.highest_equivalent(45_000));
        assert_eq!(step.latency.min(), step.latency.lowest_equivalent(5_000));
        assert_eq!(
            step.schedule_lag.max(),
            step.schedule_lag.highest_equivalent(40_000)
        );
        assert_eq!(step.service.max(), step.service.highest_equivalent(5_000));
    }

    #[test]
    fn recorder_counts_every_sample_from_many_threads() {
        let recorder = Recorder::new(2);
        let now = Instant::now();
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    for i in 0..1000 {
                        let outcome = if i % 100 == 0 {
                            Outcome::Error
                        } else {
                            Outcome::Ok
                        };
                        recorder.record(now, now, now + Duration::from_micros(i), outcome);
                    }
                });
            }
        });
        let pacer = Pacer::new(4000.0, now, Duration::from_secs(1));
        let step = recorder.finish(&pacer, 0.0, 1);
        assert_eq!((step.ok, step.errors), (3960, 40));
        assert_eq!(step.latency.len(), 4000);
        assert_eq!(step.sent, 0, "no slot was taken from this pacer");
    }

    #[test]
    fn another_process_is_metered_by_its_pid() {
        if process_cpu_time().is_none() {
            return; // No procfs on this platform.
        }
        let mut busy = std::process::Command::new("sh")
            .args(["-c", "while :; do :; done"])
            .spawn()
            .expect("sh runs");
        let meter = CpuMeter::start_for(busy.id());
        // Until the kernel has charged the child 100 ms; the cap only stops a broken reading.
        let give_up = std::time::Instant::now() + Duration::from_secs(30);
        let mut charged = Duration::ZERO;
        while charged < Duration::from_millis(100) && std::time::Instant::now() < give_up {
            std::thread::sleep(Duration::from_millis(20));
            charged = cpu_time_of(busy.id()).unwrap_or_default();
        }
        let cores = meter.cores();
        busy.kill().expect("the child stops");
        busy.wait().expect("the child is reaped");
        assert!(charged >= Duration::from_millis(100), "charged {charged:?}");
        assert!(cores.is_some_and(|c| c > 0.0), "cores {cores:?}");
        assert_eq!(
            cpu_time_of(busy.id()),
            None,
            "a reaped process has no CPU time"
        );
        assert_eq!(
            CpuMeter::start_for(busy.id()).cores(),
            None,
            "nor a meter started on it"
        );
    }

    #[test]
    fn process_cpu_time_grows_with_work() {
        let Some(before) = process_cpu_time() else {
            return; // No procfs on this platform.
        };
        // Spin until the kernel has charged 30 ms; the wall-clock cap only stops a broken reading.
        let give_up = std::time::Instant::now() + Duration::from_secs(30);
        let mut x = 0u64;
        let mut after = before;
        while after < before + Duration::from_millis(30) && std::time::Instant::now() < give_up {
            for _ in 0..100_000 {
                x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
            }
            after = process_cpu_time().unwrap();
        }
        assert!(
            after >= before + Duration::from_millis(30),
            "{before:?} → {after:?}"
        );
    }
}
