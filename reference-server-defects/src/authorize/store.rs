//! Codes and refresh tokens kept, raced or rotated wrongly: a wrapper around the server's
//! store (TOKEN-CODE-02, -03, -05, TOKEN-RT-01, -04 to -06).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use reference_server::client::Client;
use reference_server::secret::Digest;
use reference_server::signed::TokenKey;
use reference_server::store::{
    ClientRecord, CodeRecord, Redemption, Store, StoreError, TokenKind, TokenRecord,
};
use reference_server::wiring::Wiring;

use super::Memory;
use crate::Defect;

/// How long a check waits before it acts: long enough for concurrent requests to all pass it.
const RACE_WINDOW: Duration = Duration::from_millis(50);

pub(super) fn wire(defect: Defect, memory: Arc<Memory>) -> Wiring {
    Wiring::default().wrap_store(move |inner| {
        Arc::new(Bent {
            inner,
            defect,
            memory,
        })
    })
}

#[derive(Debug)]
struct Bent {
    inner: Arc<dyn Store>,
    defect: Defect,
    memory: Arc<Memory>,
}

impl Bent {
    fn forget_codes_of(&self, client_row_id: i64) {
        self.memory
            .codes()
            .retain(|_, (code, _)| code.client_row_id != client_row_id);
    }
}

#[async_trait]
impl Store for Bent {
    async fn insert_code(&self, code: CodeRecord) -> Result<(), StoreError> {
        self.inner.insert_code(code.clone()).await?;
        self.memory.codes().insert(code.hash, (code, false));
        Ok(())
    }

    async fn redeem_code(&self, hash: Digest) -> Result<Redemption, StoreError> {
        let known = self.memory.codes().get(&hash).cloned();
        let answer = match (self.defect, known) {
            // The used mark is written but never read.
            (Defect::CodeReusable, Some((code, true))) => return Ok(Redemption::Fresh(code)),
            (Defect::CodeReusable, Some((code, false))) => {
                self.inner.redeem_code(hash).await?;
                Redemption::Fresh(code)
            }
            // Refused, but the first redemption's tokens are left alone.
            (Defect::CodeReplayKeepsTokens, Some((_, true))) => return Ok(Redemption::Reused),
            // Check, then act: whoever read the code before it was marked used wins too.
            (Defect::CodeRedeemRace, Some((code, false))) => {
                tokio::time::sleep(RACE_WINDOW).await;
                self.inner.redeem_code(hash).await?;
                Redemption::Fresh(code)
            }
            _ => self.inner.redeem_code(hash).await?,
        };
        if let Redemption::Fresh(code) = &answer {
            self.memory.codes().insert(hash, (code.clone(), true));
        }
        Ok(answer)
    }

    async fn rotate_refresh(
        &self,
        old: Digest,
        mut successors: Vec<TokenRecord>,
    ) -> Result<bool, StoreError> {
        // No successors: a replay, whose family the server revokes through this call.
        let replay = successors.is_empty();
        match self.defect {
            Defect::RefreshReplayIgnored if replay => return Ok(false),
            Defect::RefreshRaceIgnored if !replay => {
                // Read, then write later: concurrent uses all read the token while it is
                // live, and the loser answers with tokens anyway.
                tokio::time::sleep(RACE_WINDOW).await;
                self.inner.rotate_refresh(old, successors).await?;
                return Ok(true);
            }
            // The access token is answered but never stored.
            Defect::RefreshAccessUnstored => successors.retain(|t| t.kind != TokenKind::Access),
            Defect::RefreshExpiryInherited => {
                if let Some((predecessor, _)) = self.inner.token(old).await? {
                    for token in successors
                        .iter_mut()
                        .filter(|t| t.kind == TokenKind::Refresh)
                    {
                        token.expires_at = predecessor.expires_at;
                    }
                }
            }
            // The new refresh token's grant shrinks to the new access token's scope.
            Defect::RefreshNarrowsGrant => {
                let access = successors
                    .iter()
                    .find(|t| t.kind == TokenKind::Access)
                    .map(|t| t.scopes.clone());
                if let Some(access) = access {
                    for token in successors
                        .iter_mut()
                        .filter(|t| t.kind == TokenKind::Refresh)
                    {
                        token.scopes = access.clone();
                    }
                }
            }
            _ => {}
        }
        self.inner.rotate_refresh(old, successors).await
    }

    async fn delete_client(&self, client_id: &str) -> Result<bool, StoreError> {
        let row_id = self.inner.client(client_id).await?.map(|r| r.client.row_id);
        let deleted = self.inner.delete_client(client_id).await?;
        if let Some(row_id) = row_id.filter(|_| deleted) {
            self.forget_codes_of(row_id);
        }
        Ok(deleted)
    }

    async fn replace_secret(
        &self,
        row_id: i64,
        secret_hash: Digest,
        revoke_tokens: bool,
    ) -> Result<bool, StoreError> {
        let replaced = self
            .inner
            .replace_secret(row_id, secret_hash, revoke_tokens)
            .await?;
        if replaced && revoke_tokens {
            self.forget_codes_of(row_id);
        }
        Ok(replaced)
    }

    // The rest as the server's store has it.

    async fn insert_client(
        &self,
        client: Client,
        secret_hash: Digest,
    ) -> Result<Client, StoreError> {
        self.inner.insert_client(client, secret_hash).await
    }

    async fn client(&self, client_id: &str) -> Result<Option<ClientRecord>, StoreError> {
        self.inner.client(client_id).await
    }

    async fn clients(&self) -> Result<Vec<Client>, StoreError> {
        self.inner.clients().await
    }

    async fn update_client(&self, client: &Client) -> Result<bool, StoreError> {
        self.inner.update_client(client).await
    }

    async fn insert_token(&self, token: TokenRecord) -> Result<(), StoreError> {
        self.inner.insert_token(token).await
    }

    async fn token(&self, hash: Digest) -> Result<Option<(TokenRecord, Client)>, StoreError> {
        self.inner.token(hash).await
    }

    async fn revoke_token(&self, hash: Digest) -> Result<(), StoreError> {
        self.inner.revoke_token(hash).await
    }

    async fn revoke_family(&self, family: [u8; 16]) -> Result<(), StoreError> {
        self.inner.revoke_family(family).await
    }

    async fn insert_tokens(&self, tokens: Vec<TokenRecord>) -> Result<(), StoreError> {
        self.inner.insert_tokens(tokens).await
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
        self.inner.self_contained_state(client_row_id, hash).await
    }

    async fn revoke_self_contained(&self, hash: Digest, expires_at: i64) -> Result<(), StoreError> {
        self.inner.revoke_self_contained(hash, expires_at).await
    }
}
