//! Property checks against a live server: a proptest [`Strategy`] generates inputs, an async
//! predicate sends them through [`Ctx`] (so every exchange is recorded), and a failing input is
//! shrunk with [`ValueTree::simplify`] and [`ValueTree::complicate`], each step evaluated
//! against the server again. The smallest failing input is recorded as the check's
//! counterexample, with a `curl` line replaying the request that showed it.
//!
//! The random stream is derived from the run's seed and the check's id: `--seed` replays a run
//! exactly, and two checks never share a stream.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::ctx::Ctx;
use crate::model::{CheckResult, Outcome, fail};

/// Shrinking stops after this many evaluations: each one costs requests to the server.
pub const MAX_SHRINK_STEPS: usize = 128;

/// Why evaluating one input stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop<E> {
    /// The input breaks the property: shrink it.
    Broken(E),
    /// The check cannot go on (a skip, or the harness itself failed): no shrinking.
    Halt(Outcome),
}

/// What a search found: the cases run, and the smallest failing input with its failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search<V, E> {
    pub cases: u64,
    pub counterexample: Option<(V, E)>,
    /// Evaluations spent shrinking.
    pub shrink_steps: usize,
}

/// 32 seed bytes for the check `id` in a run seeded with `seed`: FNV-1a of the id, mixed with
/// the run's seed, stretched by SplitMix64. Fixed arithmetic, so a seed means the same
/// stream on every build and platform.
pub fn stream_seed(seed: u64, id: &str) -> [u8; 32] {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in id.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let mut state = hash ^ seed.rotate_left(32);
    let mut out = [0u8; 32];
    for chunk in out.chunks_mut(8) {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        chunk.copy_from_slice(&z.to_le_bytes());
    }
    out
}

/// A runner whose random stream is fixed by `seed` and `id`.
pub fn runner(seed: u64, id: &str) -> TestRunner {
    let config = Config {
        failure_persistence: None,
        ..Config::default()
    };
    TestRunner::new_with_rng(
        config,
        TestRng::from_seed(RngAlgorithm::ChaCha, &stream_seed(seed, id)),
    )
}

/// The first `n` inputs `strategy` generates for check `id` under `seed`.
pub fn generate<S: Strategy>(strategy: &S, seed: u64, id: &str, n: usize) -> Vec<S::Value> {
    let mut runner = runner(seed, id);
    (0..n)
        .filter_map(|_| strategy.new_tree(&mut runner).ok())
        .map(|tree| tree.current())
        .collect()
}

/// Runs `cases` inputs through `test`, in order; the first failing one is shrunk to a minimal
/// one (as proptest does: simplify after a failure, complicate after a pass).
pub async fn search<S, F, Fut, E>(
    strategy: &S,
    seed: u64,
    id: &str,
    cases: usize,
    mut test: F,
) -> Result<Search<S::Value, E>, Outcome>
where
    S: Strategy,
    S::Value: Clone,
    F: FnMut(S::Value) -> Fut,
    Fut: Future<Output = Result<(), Stop<E>>>,
{
    let mut runner = runner(seed, id);
    let mut run = 0u64;
    for _ in 0..cases {
        let mut tree = strategy
            .new_tree(&mut runner)
            .map_err(|reason| fail("generated inputs", format!("no input: {reason}")))?;
        run += 1;
        let first = tree.current();
        let error = match test(first.clone()).await {
            Ok(()) => continue,
            Err(Stop::Halt(outcome)) => return Err(outcome),
            Err(Stop::Broken(error)) => error,
        };
        let mut smallest = (first, error);
        let mut steps = 0;
        if tree.simplify() {
            while steps < MAX_SHRINK_STEPS {
                steps += 1;
                let candidate = tree.current();
                match test(candidate.clone()).await {
                    Ok(()) => {
                        if !tree.complicate() {
                            break;
                        }
                    }
                    Err(Stop::Halt(outcome)) => return Err(outcome),
                    Err(Stop::Broken(error)) => {
                        smallest = (candidate, error);
                        if !tree.simplify() {
                            break;
                        }
                    }
                }
            }
        }
        return Ok(Search {
            cases: run,
            counterexample: Some(smallest),
            shrink_steps: steps,
        });
    }
    Ok(Search {
        cases: run,
        counterexample: None,
        shrink_steps: 0,
    })
}

// -------------------------------------------------------------------------------------------
// Replaying one input, and recording what was generated (for the regression tests).

#[derive(Debug, Clone)]
enum Mode {
    /// Evaluate exactly this input (a committed counterexample) instead of generating.
    Replay(Value),
    /// Generate as usual and keep every input, as JSON.
    Record(Arc<Mutex<Vec<Value>>>),
}

tokio::task_local! {
    static MODE: Mode;
}

/// Runs `work` (a check) so that its property evaluates `input` only.
pub async fn replaying<F: Future>(input: Value, work: F) -> F::Output {
    MODE.scope(Mode::Replay(input), work).await
}

/// Runs `work` (a check) and returns the inputs its property generated, as JSON.
pub async fn recording<F: Future>(work: F) -> (F::Output, Vec<Value>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let output = MODE.scope(Mode::Record(seen.clone()), work).await;
    let inputs = std::mem::take(&mut *seen.lock().unwrap_or_else(PoisonError::into_inner));
    (output, inputs)
}

fn mode() -> Option<Mode> {
    MODE.try_with(Clone::clone).ok()
}

/// The property of check `id`: `default_cases` inputs (or `--cases`) from `strategy`, each
/// evaluated by `test`. A failure of `test` is shrunk; the smallest input, described by
/// `describe`, becomes the counterexample, and the check fails (or warns) with it.
pub async fn check<S, D, F, Fut>(
    ctx: &Ctx,
    id: &str,
    default_cases: usize,
    strategy: S,
    describe: D,
    test: F,
) -> CheckResult
where
    S: Strategy,
    S::Value: Clone + Serialize + DeserializeOwned,
    D: Fn(&S::Value) -> String,
    F: Fn(S::Value) -> Fut,
    Fut: Future<Output = CheckResult>,
{
    let mode = mode();
    // Each evaluation's failure, with the replay line of the request that showed it.
    let evaluate = |value: S::Value| {
        if let Some(Mode::Record(seen)) = &mode
            && let Ok(json) = serde_json::to_value(&value)
        {
            seen.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(json);
        }
        let outcome = test(value);
        async move {
            match outcome.await {
                Ok(()) => Ok(()),
                Err(broken @ (Outcome::Fail { .. } | Outcome::Warn { .. })) => {
                    Err(Stop::Broken((broken, last_curl(ctx))))
                }
                Err(other) => Err(Stop::Halt(other)),
            }
        }
    };
    let found = if let Some(Mode::Replay(input)) = &mode {
        let value: S::Value = serde_json::from_value(input.clone())
            .map_err(|e| fail("a counterexample of this property's input type", e))?;
        let result = evaluate(value.clone()).await;
        match result {
            Ok(()) => Search {
                cases: 1,
                counterexample: None,
                shrink_steps: 0,
            },
            Err(Stop::Halt(outcome)) => return Err(outcome),
            Err(Stop::Broken(error)) => Search {
                cases: 1,
                counterexample: Some((value, error)),
                shrink_steps: 0,
            },
        }
    } else {
        search(
            &strategy,
            ctx.run.seed,
            id,
            ctx.run.cases_or(default_cases),
            evaluate,
        )
        .await?
    };
    ctx.cases_run(found.cases);
    let Some((value, (outcome, curl))) = found.counterexample else {
        return Ok(());
    };
    let json = serde_json::to_string(&value).unwrap_or_default();
    let input = format!("{} (input as JSON: {json})", describe(&value));
    ctx.counterexample(input.clone(), curl.unwrap_or_default());
    let steps = if found.shrink_steps > 0 {
        format!(", shrunk in {} steps", found.shrink_steps)
    } else {
        String::new()
    };
    let case = format!("case {} of {}{steps}", found.cases, found.cases);
    Err(match outcome {
        Outcome::Warn { expected, actual } => Outcome::Warn {
            expected: format!("{input}: {expected}"),
            actual: format!("{actual} ({case})"),
        },
        Outcome::Fail { expected, actual } => Outcome::Fail {
            expected: format!("{input}: {expected}"),
            actual: format!("{actual} ({case})"),
        },
        other => other,
    })
}

/// The replay line of the check's latest exchange: the request that showed the failure.
fn last_curl(ctx: &Ctx) -> Option<String> {
    let exchanges = ctx.transcript.take();
    let curl = exchanges.last().map(|e| e.curl.clone());
    for exchange in exchanges {
        ctx.transcript.push(exchange);
    }
    curl
}

#[cfg(test)]
mod tests {
    use proptest::collection::vec;

    use super::*;

    fn strategy() -> impl Strategy<Value = (u32, Vec<u8>)> {
        (0u32..10_000, vec(0u8..50, 0..20))
    }

    #[tokio::test]
    async fn shrinking_finds_the_minimal_counterexample() {
        // Broken when the number is at least 1234 and the list holds something above 30.
        let found = search(
            &strategy(),
            7,
            "prop-test-01",
            500,
            |(n, list)| async move {
                if n >= 1234 && list.iter().any(|b| *b > 30) {
                    Err(Stop::Broken(format!("{n} {list:?}")))
                } else {
                    Ok(())
                }
            },
        )
        .await
        .unwrap();

        let (value, _) = found.counterexample.expect("a counterexample");
        assert_eq!(value, (1234, vec![31]));
        assert!(found.shrink_steps > 0 && found.shrink_steps <= MAX_SHRINK_STEPS);
    }

    #[tokio::test]
    async fn a_passing_property_runs_every_case_and_a_halt_stops_at_once() {
        let found = search(&strategy(), 7, "prop-test-01", 40, |_| async {
            Ok::<(), Stop<()>>(())
        })
        .await
        .unwrap();
        assert_eq!(
            found,
            Search {
                cases: 40,
                counterexample: None,
                shrink_steps: 0
            }
        );

        let halted = search(&strategy(), 7, "prop-test-01", 40, |_| async {
            Err::<(), Stop<()>>(Stop::Halt(crate::model::skip("no clock")))
        })
        .await;
        assert_eq!(halted, Err(crate::model::skip("no clock")));
    }

    #[test]
    fn the_same_seed_gives_the_same_cases_and_checks_get_their_own_streams() {
        let first = generate(&strategy(), 42, "prop-redirect-01", 30);
        let again = generate(&strategy(), 42, "prop-redirect-01", 30);
        let other_seed = generate(&strategy(), 43, "prop-redirect-01", 30);
        let other_check = generate(&strategy(), 42, "prop-redirect-02", 30);

        assert_eq!(first.len(), 30);
        assert_eq!(first, again);
        assert_ne!(first, other_seed);
        assert_ne!(first, other_check);
        assert_eq!(stream_seed(42, "x"), stream_seed(42, "x"));
    }
}
