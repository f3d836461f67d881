//! The one clock every expiry reads: codes, tokens, client cut-offs and the throttle window.
//!
//! In production it is the system clock. With `--test-clock` it becomes a [`TestClock`] that
//! the conformance suite sets and advances over HTTP (`/test/clock`), so a check can stand on
//! either side of an expiry boundary to the second without sleeping.

use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use time::OffsetDateTime;

#[derive(Debug, Clone)]
pub enum Clock {
    System,
    Test(Arc<TestClock>),
}

impl Clock {
    pub fn test() -> Self {
        Self::Test(Arc::new(TestClock::default()))
    }

    /// Milliseconds since the Unix epoch.
    pub fn now_millis(&self) -> i64 {
        match self {
            Clock::System => system_millis(),
            Clock::Test(clock) => clock.now_millis(),
        }
    }

    /// Whole seconds since the Unix epoch: the unit of `iat`, `exp` and every cut-off.
    pub fn now_unix(&self) -> i64 {
        self.now_millis().div_euclid(1000)
    }

    pub fn now(&self) -> OffsetDateTime {
        let nanos = i128::from(self.now_millis()) * 1_000_000;
        OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    pub fn as_test(&self) -> Option<&TestClock> {
        match self {
            Clock::Test(clock) => Some(clock),
            Clock::System => None,
        }
    }
}

fn system_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A clock that runs with real time plus an offset until it is set, then stands still
/// until it is advanced or released. Standing still is what makes boundary checks exact.
#[derive(Debug, Default)]
pub struct TestClock {
    state: Mutex<TestClockState>,
}

#[derive(Debug, Clone, Copy)]
enum TestClockState {
    Running { offset_millis: i64 },
    Frozen { at_millis: i64 },
}

impl Default for TestClockState {
    fn default() -> Self {
        Self::Running { offset_millis: 0 }
    }
}

impl TestClock {
    pub fn now_millis(&self) -> i64 {
        match *self.lock() {
            TestClockState::Running { offset_millis } => {
                system_millis().saturating_add(offset_millis)
            }
            TestClockState::Frozen { at_millis } => at_millis,
        }
    }

    pub fn is_frozen(&self) -> bool {
        matches!(*self.lock(), TestClockState::Frozen { .. })
    }

    /// Sets the time and stops the clock there.
    pub fn set_millis(&self, at_millis: i64) {
        *self.lock() = TestClockState::Frozen { at_millis };
    }

    /// Moves the clock forward (or back, with a negative amount), frozen or running.
    pub fn advance_millis(&self, by: i64) {
        let mut state = self.lock();
        *state = match *state {
            TestClockState::Running { offset_millis } => TestClockState::Running {
                offset_millis: offset_millis.saturating_add(by),
            },
            TestClockState::Frozen { at_millis } => TestClockState::Frozen {
                at_millis: at_millis.saturating_add(by),
            },
        };
    }

    /// Back to real time.
    pub fn reset(&self) {
        *self.lock() = TestClockState::default();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, TestClockState> {
        // The state is a plain value: a panic elsewhere cannot leave it half-written.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_clock_stands_still_until_advanced() {
        let clock = TestClock::default();
        clock.set_millis(1_000_000);
        assert_eq!(clock.now_millis(), 1_000_000);
        assert!(clock.is_frozen());
        clock.advance_millis(1_500);
        assert_eq!(clock.now_millis(), 1_001_500);
        clock.reset();
        assert!(!clock.is_frozen());
        assert!((clock.now_millis() - system_millis()).abs() < 5_000);
    }

    #[test]
    fn seconds_round_down_even_before_the_epoch() {
        let clock = Clock::test();
        clock.as_test().unwrap().set_millis(-1);
        assert_eq!(clock.now_unix(), -1);
        clock.as_test().unwrap().set_millis(1_999);
        assert_eq!(clock.now_unix(), 1);
    }
}
