//! What some deliberate defects remember between requests: a cache, a secret kept after its
//! replacement, a client hidden instead of deleted. Used only from `has_defect` branches, so a
//! server without a defect never touches it. Kept per server instance (by issuer), so that
//! servers side by side in one test process never share it.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::{LazyLock, Mutex, PoisonError};
use std::time::{Duration, Instant};

use ipnet::IpNet;

use crate::auth::Credentials;
use crate::client::Client;
use crate::secret::Digest;
use crate::state::AppState;
use crate::store::{ClientRecord, TokenRecord};

/// How long a stale entry of a racy cache is believed.
pub const STALE_FOR: Duration = Duration::from_secs(3);
/// How long a change waits between invalidating a cache and committing: the race window.
pub const COMMIT_DELAY: Duration = Duration::from_millis(150);

#[derive(Debug, Default)]
pub struct Memory {
    /// client_id → the secret New Secret replaced.
    pub old_secrets: HashMap<String, Digest>,
    /// Client ids deleted in name only.
    pub hidden: HashSet<String>,
    /// client row → its whitelist as first read, and when.
    pub whitelists: HashMap<i64, (Vec<IpNet>, Instant)>,
    /// Tokens whose revocation has begun and not yet committed.
    pub revoking: HashSet<Digest>,
    /// Tokens a racing read cached as not revoked, until the instant given.
    pub unrevoked: HashMap<Digest, Instant>,
    /// Client ids being rotated or deleted, not yet committed.
    pub changing: HashSet<String>,
    /// Client records a racing read cached, until the instant given.
    pub clients: HashMap<String, (ClientRecord, Instant)>,
}

static MEMORY: LazyLock<Mutex<HashMap<String, Memory>>> = LazyLock::new(Mutex::default);

/// Runs `f` on this server's memory.
pub fn with<R>(state: &AppState, f: impl FnOnce(&mut Memory) -> R) -> R {
    let mut all = MEMORY.lock().unwrap_or_else(PoisonError::into_inner);
    f(all.entry(state.issuer.clone()).or_default())
}

/// A cached client record still believed, if any.
pub fn cached_client(state: &AppState, client_id: &str) -> Option<ClientRecord> {
    with(state, |m| {
        m.clients
            .get(client_id)
            .filter(|(_, until)| Instant::now() < *until)
            .map(|(record, _)| record.clone())
    })
}

/// Caches `record` as read while a change to its client was in flight.
pub fn cache_if_changing(state: &AppState, client_id: &str, record: &ClientRecord) {
    with(state, |m| {
        if m.changing.contains(client_id) {
            m.clients.insert(
                client_id.to_owned(),
                (record.clone(), Instant::now() + STALE_FOR),
            );
        }
    });
}

/// The whitelist verdict under a whitelist defect, or `None` to decide as usual.
pub fn admits(state: &AppState, client: &Client, addr: Option<IpAddr>) -> Option<bool> {
    use crate::defects::Defect;
    let addr = addr.map(|a| a.to_canonical());
    if state.config.has_defect(Defect::EmptyWhitelistLocalOnly) && client.ip_whitelist.is_empty() {
        return Some(addr == Some(IpAddr::from([127, 0, 0, 1])));
    }
    if state.config.has_defect(Defect::CidrNetworkOnly) && !client.ip_whitelist.is_empty() {
        return Some(addr.is_some_and(|a| client.ip_whitelist.iter().any(|n| n.addr() == a)));
    }
    if state.config.has_defect(Defect::WhitelistCached) {
        let list = with(state, |m| {
            let now = Instant::now();
            let entry = m
                .whitelists
                .entry(client.row_id)
                .or_insert_with(|| (client.ip_whitelist.clone(), now));
            if now.duration_since(entry.1) > Duration::from_secs(60) {
                *entry = (client.ip_whitelist.clone(), now);
            }
            entry.0.clone()
        });
        let cached = Client {
            ip_whitelist: list,
            ..client.clone()
        };
        return Some(cached.admits(addr));
    }
    None
}

/// Under [`crate::defects::Defect::ExpiredCallerAdmitted`]: the caller if it proved its secret
/// from an admitted address and was refused only for having expired.
pub async fn expired_caller(
    state: &AppState,
    credentials: &Credentials,
    addr: Option<IpAddr>,
) -> Option<Client> {
    let record = state
        .store
        .client(&credentials.client_id)
        .await
        .ok()
        .flatten()?;
    let client = record.client;
    (record.secret_hash.matches(&credentials.secret.digest())
        && client.admits(addr)
        && client.is_expired(state.clock.now_unix()))
    .then_some(client)
}

/// Under [`crate::defects::Defect::RevocationCacheRace`]: a read during a revocation caches
/// the token as live, and a cached entry wins over the stored flag while it lasts.
pub fn revoked_as_cached(state: &AppState, record: &TokenRecord) -> bool {
    with(state, |m| {
        let now = Instant::now();
        if !record.revoked && m.revoking.contains(&record.hash) {
            m.unrevoked.insert(record.hash, now + STALE_FOR);
        }
        let cached_live = m
            .unrevoked
            .get(&record.hash)
            .is_some_and(|until| now < *until);
        record.revoked && !cached_live
    })
}

/// The scope granted under [`crate::defects::Defect::ScopeCaseFolded`] (each value matched
/// to an allowed one ignoring case) or [`crate::defects::Defect::WalletScopeUnchecked`]
/// (whatever was asked for).
pub fn misread_scope(
    state: &AppState,
    client: &Client,
    requested: &str,
) -> Result<std::collections::BTreeSet<String>, crate::error::OAuthError> {
    let allowed = client.allowed_scopes();
    if !state
        .config
        .has_defect(crate::defects::Defect::ScopeCaseFolded)
    {
        return Ok(requested.split(' ').map(str::to_owned).collect());
    }
    let folded: Vec<String> = requested
        .split(' ')
        .map(|value| {
            allowed
                .iter()
                .find(|a| a.eq_ignore_ascii_case(value))
                .cloned()
                .unwrap_or_else(|| value.to_owned())
        })
        .collect();
    crate::tokens::grant_scope(Some(&folded.join(" ")), allowed)
}
