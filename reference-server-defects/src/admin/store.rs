//! A store that remembers what it should forget, forgets what it should remember, or builds
//! clients otherwise than asked. Its memory is this server's alone.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use reference_server::client::{Client, ClientKind};
use reference_server::secret::{Digest, random_value};
use reference_server::signed::TokenKey;
use reference_server::store::{
    ClientRecord, CodeRecord, Redemption, Store, StoreError, TokenRecord,
};

use crate::Defect;

/// How a request's body asks the store to build its client (the bool: being inserted).
pub(super) type Misbuild = Arc<dyn Fn(&mut Client, bool) + Send + Sync>;

tokio::task_local! {
    /// Set by the admin layer around a create or edit whose body a defect misbuilds.
    pub(super) static MISBUILD: Misbuild;
    /// Set by the scope layer around a client_credentials request: the scope values asked for.
    pub(super) static ASKED_SCOPE: Vec<String>;
}

/// How long a stale entry of a racy cache is believed.
const STALE_FOR: Duration = Duration::from_secs(3);
/// How long a change waits between marking itself in flight and committing: the race window.
const COMMIT_DELAY: Duration = Duration::from_millis(150);

/// The wrapper for `defect`, as [`reference_server::wiring::Wiring::wrap_store`] takes it.
pub(super) fn wrap(defect: Defect) -> impl FnOnce(Arc<dyn Store>) -> Arc<dyn Store> + Send {
    move |inner| {
        Arc::new(Bent {
            inner,
            defect,
            memory: Mutex::default(),
        })
    }
}

#[derive(Debug)]
struct Bent {
    inner: Arc<dyn Store>,
    defect: Defect,
    memory: Mutex<Memory>,
}

#[derive(Debug, Default)]
struct Memory {
    /// Client ids deleted in name only.
    hidden: HashSet<String>,
    /// Client ids being rotated or deleted, not yet committed.
    changing: HashSet<String>,
    /// Client records a racing read cached, until the instant given.
    cached: HashMap<String, (ClientRecord, Instant)>,
    /// Row ids of the clients read, to name the client a secret replacement is for.
    ids: HashMap<i64, String>,
    /// Tokens and grants whose revocation has begun and not yet committed.
    revoking: HashSet<Digest>,
    revoking_families: HashSet<[u8; 16]>,
    /// Tokens a racing read cached as not revoked, until the instant given.
    unrevoked: HashMap<Digest, Instant>,
}

impl Bent {
    fn with<R>(&self, f: impl FnOnce(&mut Memory) -> R) -> R {
        f(&mut self.memory.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn has(&self, defect: Defect) -> bool {
        self.defect == defect
    }

    /// Runs `commit` as a change to `client_id` in flight for a while first.
    async fn changing<R>(&self, client_id: String, commit: impl Future<Output = R>) -> R {
        self.with(|m| m.changing.insert(client_id.clone()));
        tokio::time::sleep(COMMIT_DELAY).await;
        let result = commit.await;
        self.with(|m| m.changing.remove(&client_id));
        result
    }

    /// Runs a revocation with `hash` or `family` in flight for a while first.
    async fn revoking<R>(
        &self,
        hash: Option<Digest>,
        family: Option<[u8; 16]>,
        commit: impl Future<Output = R>,
    ) -> R {
        if !self.has(Defect::RevocationCacheRace) {
            return commit.await;
        }
        self.with(|m| {
            m.revoking.extend(hash);
            m.revoking_families.extend(family);
        });
        tokio::time::sleep(COMMIT_DELAY).await;
        let result = commit.await;
        self.with(|m| {
            if let Some(hash) = hash {
                m.revoking.remove(&hash);
            }
            if let Some(family) = family {
                m.revoking_families.remove(&family);
            }
        });
        result
    }

    /// A read during a revocation caches the token as live, and the cache wins over the
    /// stored flag while it lasts.
    fn revoked_as_cached(&self, hash: Digest, family: Option<[u8; 16]>, revoked: bool) -> bool {
        if !self.has(Defect::RevocationCacheRace) {
            return revoked;
        }
        self.with(|m| {
            let now = Instant::now();
            let in_flight = m.revoking.contains(&hash)
                || family.is_some_and(|f| m.revoking_families.contains(&f));
            if !revoked && in_flight {
                m.unrevoked.insert(hash, now + STALE_FOR);
            }
            let cached_live = m.unrevoked.get(&hash).is_some_and(|until| now < *until);
            revoked && !cached_live
        })
    }

    fn misbuilt(&self, client: &mut Client, inserting: bool) {
        let _ = MISBUILD.try_with(|misbuild| misbuild(client, inserting));
        if inserting
            && self.has(Defect::WalletIdWithoutKey)
            && client.kind == ClientKind::Wallet
            && let Some(id) = &client.short_id
        {
            client.client_id = format!("wallet-{id}");
        }
    }

    /// An upsert: the duplicate replaces the first client of that id.
    async fn overwrite(
        &self,
        mut client: Client,
        secret_hash: Digest,
    ) -> Result<Client, StoreError> {
        let record = self
            .inner
            .client(&client.client_id)
            .await?
            .ok_or(StoreError::Conflict)?;
        client.row_id = record.client.row_id;
        self.inner.update_client(&client).await?;
        self.inner
            .replace_secret(client.row_id, secret_hash, false)
            .await?;
        Ok(client)
    }

    /// A delete in name only: the id is hidden and the secret scrambled, the tokens stay.
    async fn hide(&self, client_id: &str) -> Result<bool, StoreError> {
        if self.with(|m| m.hidden.contains(client_id)) {
            return Ok(false);
        }
        let Some(record) = self.inner.client(client_id).await? else {
            return Ok(false);
        };
        let scrambled = Digest::of(&random_value());
        self.inner
            .replace_secret(record.client.row_id, scrambled, false)
            .await?;
        self.with(|m| m.hidden.insert(client_id.to_owned()));
        Ok(true)
    }
}

#[async_trait]
impl Store for Bent {
    async fn insert_client(
        &self,
        mut client: Client,
        secret_hash: Digest,
    ) -> Result<Client, StoreError> {
        self.misbuilt(&mut client, true);
        match self.inner.insert_client(client.clone(), secret_hash).await {
            Err(StoreError::Conflict) if self.has(Defect::DuplicateWalletOverwrites) => {
                self.overwrite(client, secret_hash).await
            }
            other => other,
        }
    }

    async fn client(&self, client_id: &str) -> Result<Option<ClientRecord>, StoreError> {
        if self.has(Defect::DeleteHidesClient) && self.with(|m| m.hidden.contains(client_id)) {
            return Ok(None);
        }
        let mut fresh = self.inner.client(client_id).await?;
        if let (true, Some(record)) = (self.has(Defect::WalletScopeUnchecked), &mut fresh) {
            // A wallet's roles are its allowed scope: lent what it asks for, it gets it.
            let client = &mut record.client;
            if client.kind == ClientKind::Wallet {
                let _ = ASKED_SCOPE.try_with(|asked| client.roles.extend(asked.iter().cloned()));
            }
        }
        if !(self.has(Defect::RotationCacheRace) || self.has(Defect::DeletionCacheRace)) {
            return Ok(fresh);
        }
        Ok(self.with(|m| {
            let now = Instant::now();
            if let Some(fresh) = &fresh {
                m.ids.insert(fresh.client.row_id, client_id.to_owned());
                if m.changing.contains(client_id) {
                    m.cached
                        .insert(client_id.to_owned(), (fresh.clone(), now + STALE_FOR));
                }
            }
            m.cached
                .get(client_id)
                .filter(|(_, until)| now < *until)
                .map(|(record, _)| record.clone())
                .or(fresh)
        }))
    }

    async fn clients(&self) -> Result<Vec<Client>, StoreError> {
        let mut clients = self.inner.clients().await?;
        if self.has(Defect::DeleteHidesClient) {
            self.with(|m| clients.retain(|c| !m.hidden.contains(&c.client_id)));
        }
        Ok(clients)
    }

    async fn update_client(&self, client: &Client) -> Result<bool, StoreError> {
        let mut client = client.clone();
        self.misbuilt(&mut client, false);
        self.inner.update_client(&client).await
    }

    async fn delete_client(&self, client_id: &str) -> Result<bool, StoreError> {
        if self.has(Defect::DeleteHidesClient) {
            return self.hide(client_id).await;
        }
        if self.has(Defect::DeletionCacheRace) {
            let commit = self.inner.delete_client(client_id);
            return self.changing(client_id.to_owned(), commit).await;
        }
        self.inner.delete_client(client_id).await
    }

    async fn replace_secret(
        &self,
        row_id: i64,
        secret_hash: Digest,
        revoke_tokens: bool,
    ) -> Result<bool, StoreError> {
        let commit = self
            .inner
            .replace_secret(row_id, secret_hash, revoke_tokens);
        if !self.has(Defect::RotationCacheRace) {
            return commit.await;
        }
        let known = self.with(|m| m.ids.get(&row_id).cloned());
        let client_id = match known {
            Some(id) => id,
            None => {
                let clients = self.inner.clients().await?;
                let client = clients.into_iter().find(|c| c.row_id == row_id);
                client.map(|c| c.client_id).unwrap_or_default()
            }
        };
        self.changing(client_id, commit).await
    }

    async fn insert_token(&self, token: TokenRecord) -> Result<(), StoreError> {
        self.inner.insert_token(token).await
    }

    async fn token(&self, hash: Digest) -> Result<Option<(TokenRecord, Client)>, StoreError> {
        let found = self.inner.token(hash).await?;
        Ok(found.map(|(mut record, client)| {
            record.revoked = self.revoked_as_cached(record.hash, record.family, record.revoked);
            (record, client)
        }))
    }

    async fn revoke_token(&self, hash: Digest) -> Result<(), StoreError> {
        let commit = self.inner.revoke_token(hash);
        self.revoking(Some(hash), None, commit).await
    }

    async fn revoke_family(&self, family: [u8; 16]) -> Result<(), StoreError> {
        let commit = self.inner.revoke_family(family);
        self.revoking(None, Some(family), commit).await
    }

    async fn insert_tokens(&self, tokens: Vec<TokenRecord>) -> Result<(), StoreError> {
        self.inner.insert_tokens(tokens).await
    }

    async fn insert_code(&self, code: CodeRecord) -> Result<(), StoreError> {
        self.inner.insert_code(code).await
    }

    async fn redeem_code(&self, hash: Digest) -> Result<Redemption, StoreError> {
        self.inner.redeem_code(hash).await
    }

    async fn rotate_refresh(
        &self,
        old: Digest,
        successors: Vec<TokenRecord>,
    ) -> Result<bool, StoreError> {
        self.inner.rotate_refresh(old, successors).await
    }

    async fn purge_expired(&self, before: i64) -> Result<usize, StoreError> {
        self.inner.purge_expired(before).await
    }

    fn token_key(&self) -> &TokenKey {
        self.inner.token_key()
    }

    async fn self_contained_state(
        &self,
        client_row_id: i64,
        hash: Digest,
    ) -> Result<Option<(ClientRecord, bool)>, StoreError> {
        let found = self.inner.self_contained_state(client_row_id, hash).await?;
        Ok(found.map(|(client, revoked)| (client, self.revoked_as_cached(hash, None, revoked))))
    }

    async fn revoke_self_contained(&self, hash: Digest, expires_at: i64) -> Result<(), StoreError> {
        let commit = self.inner.revoke_self_contained(hash, expires_at);
        self.revoking(Some(hash), None, commit).await
    }
}
