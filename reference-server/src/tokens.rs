//! Issuing and reading tokens: self-contained ones for client_credentials (see [`crate::signed`]),
//! stored ones (256 random bits, only their digest kept) for user grants.

use std::collections::BTreeSet;

use crate::client::{Client, is_scope_token};
use crate::error::{ErrorCode, OAuthError};
use crate::secret::{AccessToken, Digest, RefreshToken};
use crate::signed::Claims;
use crate::state::AppState;
use crate::store::{StoreError, TokenKind, TokenRecord};

/// The scope a client gets: what it asked for if that is within what it may have
/// (RFC 6749 §3.3, TOKEN-CC-03, ROLE-02), or everything it may have when it asked for nothing
/// (TOKEN-CC-04, AMB-20, AMB-22).
pub fn grant_scope(
    requested: Option<&str>,
    allowed: &BTreeSet<String>,
) -> Result<BTreeSet<String>, OAuthError> {
    let Some(requested) = requested else {
        return Ok(allowed.clone());
    };
    let mut scope = BTreeSet::new();
    for value in requested.split(' ') {
        if !is_scope_token(value) {
            return Err(OAuthError::new(
                ErrorCode::InvalidScope,
                "the scope is malformed",
            ));
        }
        if !allowed.contains(value) {
            return Err(OAuthError::new(
                ErrorCode::InvalidScope,
                "the scope exceeds what the client may request",
            ));
        }
        scope.insert(value.to_owned());
    }
    Ok(scope)
}

/// An issued access token with what the token response reports.
#[derive(Debug)]
pub struct Issued {
    pub token: AccessToken,
    pub expires_in: i64,
    pub scope: BTreeSet<String>,
}

/// Issues a self-contained access token for a client acting on its own behalf.
/// `exp` never passes the client's cut-off (EXP-03, AMB-14).
pub async fn issue_client_token(
    state: &AppState,
    client: &Client,
    scope: BTreeSet<String>,
) -> Result<Issued, OAuthError> {
    let now = state.clock.now_unix();
    let expires_at = state.policy.client_token_expiry(client, now);
    let record = TokenRecord {
        // Known only once there is a value: set below where the token is stored.
        hash: Digest::of(""),
        kind: TokenKind::Access,
        client_row_id: client.row_id,
        family: None,
        subject: client.client_id.clone(),
        username: None,
        scopes: scope.clone(),
        audience: client.resource_ids.clone(),
        issued_at: now,
        expires_at,
        revoked: false,
        issued_under: client.authenticated_with,
    };
    let token = seal_client_token(state, client, &record).await?;
    Ok(Issued {
        token,
        expires_in: expires_at - now,
        scope,
    })
}

/// Seals a self-contained token for `record` (see [`crate::signed`]). The client is read once
/// more first: a deletion or a New Secret that committed since the request authenticated wins,
/// as it does over a stored token's insert (AMB-18, AMB-19), and the token takes the client's
/// current epoch.
async fn seal_client_token(
    state: &AppState,
    client: &Client,
    record: &TokenRecord,
) -> Result<AccessToken, StoreError> {
    let current = state.store.client(&client.client_id).await?;
    let epoch = match current {
        Some(current)
            if current.client.row_id == client.row_id
                && record
                    .issued_under
                    .is_none_or(|secret| current.secret_hash.matches(&secret)) =>
        {
            current.token_epoch
        }
        _ => return Err(StoreError::ClientChanged),
    };
    seal(state, record, epoch)
}

/// The token for `record` in client epoch `epoch`.
fn seal(state: &AppState, record: &TokenRecord, epoch: i64) -> Result<AccessToken, StoreError> {
    let claims = Claims {
        jti: Claims::new_jti(),
        cid: record.client_row_id,
        ep: epoch,
        sub: record.subject.clone(),
        scope: crate::scope::join(&record.scopes),
        aud: crate::scope::join(&record.audience),
        iat: record.issued_at,
        exp: record.expires_at,
    };
    let sealed = state.store.token_key().seal(&claims);
    Ok(AccessToken::new(
        sealed.map_err(|e| StoreError::Backend(e.to_string()))?,
    ))
}

/// A presented token of either kind and its owner, if both exist (revoked and expired tokens
/// included). A self-contained token is revoked when its client's epoch has moved past it.
pub async fn find_token(
    state: &AppState,
    value: &str,
) -> Result<Option<(TokenRecord, Client)>, StoreError> {
    let hash = Digest::of(value);
    if !crate::signed::is_self_contained(value) {
        return state.store.token(hash).await;
    }
    let Some(claims) = state.store.token_key().open(value) else {
        return Ok(None);
    };
    let Some((owner, revoked)) = state.store.self_contained_state(claims.cid, hash).await? else {
        return Ok(None);
    };
    let record = TokenRecord {
        hash,
        kind: TokenKind::Access,
        client_row_id: claims.cid,
        family: None,
        subject: claims.sub,
        username: None,
        scopes: crate::scope::split(&claims.scope),
        audience: crate::scope::split(&claims.aud),
        issued_at: claims.iat,
        expires_at: claims.exp,
        revoked: revoked || claims.ep < owner.token_epoch,
        issued_under: None,
    };
    Ok(Some((record, owner.client)))
}

/// Revokes one token of either kind (not its grant: see the revocation route).
pub async fn revoke_one(
    state: &AppState,
    value: &str,
    record: &TokenRecord,
) -> Result<(), StoreError> {
    if crate::signed::is_self_contained(value) {
        state
            .store
            .revoke_self_contained(record.hash, record.expires_at)
            .await
    } else {
        state.store.revoke_token(record.hash).await
    }
}

/// What a user grant (a code, or a refresh token of one) leads to.
#[derive(Debug)]
pub struct UserGrant<'a> {
    pub subject: &'a str,
    /// The scope of the new access token.
    pub access_scope: BTreeSet<String>,
    /// The scope the grant keeps: the new refresh token's.
    pub grant_scope: BTreeSet<String>,
    pub audience: BTreeSet<String>,
    pub family: [u8; 16],
}

/// A new access token and refresh token for a user grant, with the records to store. Each new
/// refresh token starts a full validity period of its own (TOKEN-RT-06).
pub fn user_tokens(
    client: &Client,
    grant: UserGrant<'_>,
    now: i64,
) -> (Issued, RefreshToken, Vec<TokenRecord>) {
    let access = AccessToken::generate();
    let refresh = RefreshToken::generate();
    let access_expires = capped_expiry(client, now, client.access_token_validity);
    let record = |hash, kind, scopes, expires_at| TokenRecord {
        hash,
        kind,
        client_row_id: client.row_id,
        family: Some(grant.family),
        subject: grant.subject.to_owned(),
        username: Some(grant.subject.to_owned()),
        scopes,
        audience: grant.audience.clone(),
        issued_at: now,
        expires_at,
        revoked: false,
        issued_under: client.authenticated_with,
    };
    let records = vec![
        record(
            access.digest(),
            TokenKind::Access,
            grant.access_scope.clone(),
            access_expires,
        ),
        record(
            refresh.digest(),
            TokenKind::Refresh,
            grant.grant_scope.clone(),
            capped_expiry(client, now, client.refresh_token_validity),
        ),
    ];
    let issued = Issued {
        token: access,
        expires_in: access_expires - now,
        scope: grant.access_scope,
    };
    (issued, refresh, records)
}

pub fn capped_expiry(client: &Client, now: i64, validity: i64) -> i64 {
    let exp = now.saturating_add(validity);
    client.expires_at.map_or(exp, |cutoff| exp.min(cutoff))
}

/// A token that is alive right now, with its owner and its effective scope.
#[derive(Debug)]
pub struct LiveToken {
    pub record: TokenRecord,
    pub client: Client,
    /// The issued scope intersected with what the client may have now (ROLE-03, AMB-20).
    pub scope: BTreeSet<String>,
}

/// Looks a presented token up; `None` unless it exists, is not revoked, has not expired and
/// belongs to a client that still exists and has not expired (INTROSPECT-04, EXP-03, ADMIN-05).
pub async fn live_token(state: &AppState, value: &str) -> Result<Option<LiveToken>, OAuthError> {
    let now = state.clock.now_unix();
    let Some((record, client)) = find_token(state, value).await? else {
        return Ok(None);
    };
    if record.revoked
        || state.policy.token_expired(record.expires_at, now)
        || client.is_expired(now)
    {
        return Ok(None);
    }
    let scope = state.policy.effective_scope(&record.scopes, &client);
    Ok(Some(LiveToken {
        record,
        client,
        scope,
    }))
}

impl LiveToken {
    pub fn is_access(&self) -> bool {
        self.record.kind == TokenKind::Access
    }

    /// Spring's `authorities` (AMB-21, ROLE-04). A wallet's roles travel as its scope (AMB-20),
    /// so a wallet token's authorities are its effective scope, not the client's current roles:
    /// otherwise a role added after issue would show on an existing token (ROLE-03).
    pub fn authorities(&self) -> &BTreeSet<String> {
        match self.client.kind {
            crate::client::ClientKind::Wallet => &self.scope,
            _ => self.client.authorities(),
        }
    }

    /// AMB-33: a caller may inspect its own tokens, and a resource server the tokens meant for it.
    pub fn visible_to(&self, caller: &Client) -> bool {
        caller.row_id == self.client.row_id
            || (caller.kind == crate::client::ClientKind::ResourceServer
                && !caller.resource_ids.is_disjoint(&self.record.audience))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(values: &[&str]) -> BTreeSet<String> {
        values.iter().map(|v| (*v).to_owned()).collect()
    }

    #[test]
    fn scope_defaults_to_everything_allowed() {
        assert_eq!(
            grant_scope(None, &set(&["a", "b"])).unwrap(),
            set(&["a", "b"])
        );
    }

    #[test]
    fn role_05_scope_is_a_case_sensitive_set() {
        let allowed = set(&["paymentiq", "email", "phone"]);
        assert_eq!(
            grant_scope(Some("paymentiq email"), &allowed).unwrap(),
            set(&["email", "paymentiq"])
        );
        for bad in [
            "Email",
            "paymentiq,email",
            "paymentiq  email",
            " email",
            "nope",
        ] {
            let err = grant_scope(Some(bad), &allowed).unwrap_err();
            assert_eq!(err.code(), ErrorCode::InvalidScope, "{bad}");
        }
    }
}
