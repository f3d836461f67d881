//! The brute-force guard of TOKEN-AUTH-08: after 10 failed authentications for one client id
//! from one source address within 60 s, that address gets 429 for that id until the oldest
//! failure leaves the window. Another address is not affected, so knowing a client's id is not
//! enough to lock it out; a ceiling of 1,000 failures a minute per id over all addresses bounds
//! guessing spread across many addresses (a fixed one-minute window: cheap, and at worst twice
//! the ceiling across a window's edge).
//!
//! Keyed by the presented client id, known or not, so the guard reveals nothing about which
//! ids exist. Memory is bounded: past `MAX_KEYS` keys, stale entries are dropped, and if every
//! entry is fresh the table starts over, which favours availability over a few more guesses
//! against 256-bit secrets. The key is a SHA-256 digest, not the id: a presented id can be
//! hundreds of kilobytes long (a Basic header), and `MAX_KEYS` of those would not be bounded.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;

use sha2::{Digest as _, Sha256};

/// Failures per client id and source address within the window.
pub(crate) const MAX_FAILURES: usize = 10;
/// Failures per client id over all addresses within one minute.
pub(crate) const MAX_FAILURES_PER_CLIENT: u32 = 1_000;
pub(crate) const WINDOW_SECONDS: i64 = 60;
const MAX_KEYS: usize = 100_000;

/// SHA-256 of a presented client id, and of the id with the source address.
type Key = [u8; 32];

fn client_key(client_id: &str) -> Key {
    Sha256::digest(client_id.as_bytes()).into()
}

fn source_key(client_id: &str, source: Option<IpAddr>) -> Key {
    let mut digest = Sha256::new();
    digest.update(client_id.as_bytes());
    // A separator no id can forge: the address is after the id's own bytes and a NUL.
    digest.update([0]);
    if let Some(address) = source {
        digest.update(address.to_canonical().to_string().as_bytes());
    }
    digest.finalize().into()
}

/// Failures of one id over all addresses in the current minute.
#[derive(Debug, Clone, Copy)]
struct Minute {
    start: i64,
    failures: u32,
}

#[derive(Debug, Default)]
pub(crate) struct Throttle {
    per_source: Mutex<HashMap<Key, VecDeque<i64>>>,
    per_client: Mutex<HashMap<Key, Minute>>,
}

impl Throttle {
    /// `Some(retry_after_seconds)` while the client id is blocked for this source address.
    pub(crate) fn blocked(&self, client_id: &str, source: Option<IpAddr>, now: i64) -> Option<i64> {
        self.blocked_from(client_id, source, now)
            .or_else(|| self.blocked_everywhere(client_id, now))
    }

    pub(crate) fn record_failure(&self, client_id: &str, source: Option<IpAddr>, now: i64) {
        let key = source_key(client_id, source);
        let mut table = lock(&self.per_source);
        make_room(&mut table, &key, |times| {
            prune(times, now);
            !times.is_empty()
        });
        let times = table.entry(key).or_default();
        prune(times, now);
        times.push_back(now);
        if times.len() > MAX_FAILURES {
            times.pop_front();
        }
        drop(table);

        let key = client_key(client_id);
        let mut table = lock(&self.per_client);
        make_room(&mut table, &key, |minute| {
            now - minute.start < WINDOW_SECONDS
        });
        let minute = table.entry(key).or_insert(Minute {
            start: now,
            failures: 0,
        });
        if now - minute.start >= WINDOW_SECONDS {
            *minute = Minute {
                start: now,
                failures: 0,
            };
        }
        minute.failures = minute.failures.saturating_add(1);
    }

    fn blocked_from(&self, client_id: &str, source: Option<IpAddr>, now: i64) -> Option<i64> {
        let key = source_key(client_id, source);
        let mut table = lock(&self.per_source);
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

    fn blocked_everywhere(&self, client_id: &str, now: i64) -> Option<i64> {
        let table = lock(&self.per_client);
        let minute = table.get(&client_key(client_id))?;
        let ends = minute.start + WINDOW_SECONDS;
        (minute.failures >= MAX_FAILURES_PER_CLIENT && now < ends).then_some(ends - now)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Keeps a table within `MAX_KEYS` before `key` is added: stale entries go first, then all.
fn make_room<V>(table: &mut HashMap<Key, V>, key: &Key, fresh: impl FnMut(&mut V) -> bool) {
    if table.len() >= MAX_KEYS && !table.contains_key(key) {
        let mut fresh = fresh;
        table.retain(|_, value| fresh(value));
        if table.len() >= MAX_KEYS {
            table.clear();
        }
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

    const GUESSER: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 9)));
    const OWNER: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));

    #[test]
    fn token_auth_08_tenth_failure_blocks_that_address_until_the_window_passes() {
        let throttle = Throttle::default();
        for i in 0..9 {
            throttle.record_failure("c", GUESSER, 1_000 + i);
            assert_eq!(throttle.blocked("c", GUESSER, 1_000 + i), None);
        }
        throttle.record_failure("c", GUESSER, 1_009);
        assert_eq!(throttle.blocked("c", GUESSER, 1_009), Some(51));
        assert_eq!(throttle.blocked("other", GUESSER, 1_009), None);
        assert_eq!(throttle.blocked("c", GUESSER, 1_059), Some(1));
        assert_eq!(
            throttle.blocked("c", GUESSER, 1_060),
            None,
            "the first failure has left the window"
        );
    }

    #[test]
    fn token_auth_08_a_guessing_address_does_not_lock_the_client_out_elsewhere() {
        let throttle = Throttle::default();
        for _ in 0..12 {
            throttle.record_failure("c", GUESSER, 1_000);
        }
        assert!(throttle.blocked("c", GUESSER, 1_000).is_some());
        assert_eq!(throttle.blocked("c", OWNER, 1_000), None);
        assert_eq!(throttle.blocked("c", None, 1_000), None);
    }

    #[test]
    fn token_auth_08_guessing_spread_over_many_addresses_meets_the_ceiling() {
        let throttle = Throttle::default();
        let per_address = u32::try_from(MAX_FAILURES - 1).unwrap_or(u32::MAX);
        let addresses = MAX_FAILURES_PER_CLIENT.div_ceil(per_address);
        for n in 0..addresses {
            let source = Some(IpAddr::V6(std::net::Ipv6Addr::from(u128::from(n) + 1)));
            for _ in 0..per_address {
                throttle.record_failure("c", source, 1_000);
            }
            assert_eq!(throttle.blocked_from("c", source, 1_000), None);
        }
        assert_eq!(throttle.blocked("c", OWNER, 1_010), Some(50));
        assert_eq!(throttle.blocked("other", OWNER, 1_010), None);
        assert_eq!(throttle.blocked("c", OWNER, 1_060), None, "a new minute");
    }

    #[test]
    fn long_ids_are_throttled_by_digest() {
        let throttle = Throttle::default();
        let long = "x".repeat(300_000);
        let longer = format!("{long}y");
        for _ in 0..MAX_FAILURES {
            throttle.record_failure(&long, GUESSER, 1_000);
        }
        assert_eq!(throttle.blocked(&long, GUESSER, 1_000), Some(60));
        assert_eq!(
            throttle.blocked(&longer, GUESSER, 1_000),
            None,
            "another id, however alike"
        );
    }
}
