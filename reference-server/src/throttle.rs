//! The brute-force guard of TOKEN-AUTH-08: after 10 failed authentications for one client id
//! within 60 s, further attempts get 429 until the oldest failure leaves the window.
//!
//! Keyed by the presented client id, known or not, so the guard reveals nothing about which
//! ids exist. Memory is bounded: past `MAX_KEYS` ids, stale entries are dropped, and if every
//! entry is fresh the table starts over, which favours availability over a few more guesses
//! against 256-bit secrets. The key is the id's SHA-256, not the id: a presented id can be
//! hundreds of kilobytes long (a Basic header), and `MAX_KEYS` of those would not be bounded.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use sha2::{Digest as _, Sha256};

pub const MAX_FAILURES: usize = 10;
pub const WINDOW_SECONDS: i64 = 60;
const MAX_KEYS: usize = 100_000;

/// SHA-256 of a presented client id.
type Key = [u8; 32];

fn key(client_id: &str) -> Key {
    Sha256::digest(client_id.as_bytes()).into()
}

#[derive(Debug, Default)]
pub struct Throttle {
    failures: Mutex<HashMap<Key, VecDeque<i64>>>,
}

impl Throttle {
    /// `Some(retry_after_seconds)` while the client id is blocked.
    pub fn blocked(&self, client_id: &str, now: i64) -> Option<i64> {
        let key = key(client_id);
        let mut table = self.lock();
        let times = table.get_mut(&key)?;
        prune(times, now);
        if times.len() >= MAX_FAILURES {
            times.front().map(|oldest| oldest + WINDOW_SECONDS - now)
        } else {
            if times.is_empty() {
                table.remove(&key);
            }
            None
        }
    }

    pub fn record_failure(&self, client_id: &str, now: i64) {
        let key = key(client_id);
        let mut table = self.lock();
        if table.len() >= MAX_KEYS && !table.contains_key(&key) {
            table.retain(|_, times| {
                prune(times, now);
                !times.is_empty()
            });
            if table.len() >= MAX_KEYS {
                table.clear();
            }
        }
        let times = table.entry(key).or_default();
        prune(times, now);
        times.push_back(now);
        if times.len() > MAX_FAILURES {
            times.pop_front();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, VecDeque<i64>>> {
        self.failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn prune(times: &mut VecDeque<i64>, now: i64) {
    while times.front().is_some_and(|t| *t <= now - WINDOW_SECONDS) {
        times.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_auth_08_tenth_failure_blocks_until_the_window_passes() {
        let throttle = Throttle::default();
        for i in 0..9 {
            throttle.record_failure("c", 1_000 + i);
            assert_eq!(throttle.blocked("c", 1_000 + i), None);
        }
        throttle.record_failure("c", 1_009);
        assert_eq!(throttle.blocked("c", 1_009), Some(51));
        assert_eq!(throttle.blocked("other", 1_009), None);
        assert_eq!(throttle.blocked("c", 1_059), Some(1));
        assert_eq!(
            throttle.blocked("c", 1_060),
            None,
            "the first failure has left the window"
        );
    }

    #[test]
    fn long_ids_are_throttled_by_digest() {
        let throttle = Throttle::default();
        let long = "x".repeat(300_000);
        let longer = format!("{long}y");
        for _ in 0..MAX_FAILURES {
            throttle.record_failure(&long, 1_000);
        }
        assert_eq!(throttle.blocked(&long, 1_000), Some(60));
        assert_eq!(
            throttle.blocked(&longer, 1_000),
            None,
            "another id, however alike"
        );
    }
}
