//! The user grants of the token endpoint: `authorization_code` (RFC 6749 §4.1.3, RFC 7636
//! §4.6; TOKEN-CODE-*, PKCE-*) and `refresh_token` (RFC 6749 §6; TOKEN-RT-*).
//!
//! Every failure about the grant itself is `invalid_grant` with one description, so the
//! answer does not say whether a code was unknown, used, expired or someone else's.

use axum::response::Response;

use crate::client::Client;
use crate::defects::Defect;
use crate::error::{ErrorCode, OAuthError};
use crate::form::Form;
use crate::pkce;
use crate::routes::token::token_response;
use crate::secret::Digest;
use crate::state::AppState;
use crate::store::{Redemption, TokenKind};
use crate::tokens::{UserGrant, grant_scope, user_tokens};

fn invalid_grant() -> OAuthError {
    OAuthError::new(
        ErrorCode::InvalidGrant,
        "the grant is invalid, expired, revoked or was issued to another client",
    )
}

pub async fn authorization_code(
    state: &AppState,
    client: &Client,
    form: &Form,
) -> Result<Response, OAuthError> {
    let code = form
        .get("code")
        .ok_or_else(|| OAuthError::invalid_request("code is required"))?;
    let now = state.clock.now_unix();
    // Redeeming marks the code used first: a failed redemption spends it too (AMB-29), and a
    // second presentation revokes what the first one obtained (TOKEN-CODE-03).
    let redemption = match code_defect(state, Digest::of(code)).await? {
        Some(redemption) => redemption,
        None => state.store.redeem_code(Digest::of(code)).await?,
    };
    let code = match redemption {
        Redemption::Fresh(code) => code,
        Redemption::Unknown | Redemption::Reused => return Err(invalid_grant()),
    };
    let bound = code.client_row_id == client.row_id
        || state.config.has_defect(crate::defects::Defect::CodeUnbound);
    if !bound || now >= code.expires_at {
        return Err(invalid_grant());
    }
    // The exact string of the authorization request, query included (AMB-02, TOKEN-CODE-05).
    match (code.redirect_uri.as_deref(), form.get("redirect_uri")) {
        (Some(expected), Some(given)) if expected == given => {}
        (Some(expected), Some(given))
            if state.config.has_defect(Defect::CodeRedirectQueryIgnored)
                && expected.split('?').next() == given.split('?').next() => {}
        (Some(_), None) => return Err(OAuthError::invalid_request("redirect_uri is required")),
        (None, None) => {}
        (None, Some(given))
            if client.redirect_urls.len() == 1 && client.redirect_urls[0] == given => {}
        _ => return Err(invalid_grant()),
    }
    match (&code.challenge, form.get("code_verifier")) {
        (Some(_), Some(verifier))
            if state.config.has_defect(Defect::PkceVerifierTildeRefused)
                && verifier.contains('~') =>
        {
            return Err(invalid_grant());
        }
        (Some(_), None) if state.config.has_defect(Defect::PkceVerifierOptional) => {}
        (None, Some(_)) if state.config.has_defect(Defect::PkceDowngradeAccepted) => {}
        (Some(challenge), Some(verifier))
            if pkce::verify(verifier, challenge)
                || state
                    .config
                    .has_defect(crate::defects::Defect::PkceUnverified) => {}
        (Some(_), None) => return Err(OAuthError::invalid_request("code_verifier is required")),
        // A verifier for a code issued without a challenge is a downgrade attempt (PKCE-06).
        (Some(_), Some(_)) | (None, Some(_)) => return Err(invalid_grant()),
        (None, None) => {}
    }
    let (mut issued, refresh, records) = user_tokens(
        client,
        UserGrant {
            subject: &code.subject,
            access_scope: code.scopes.clone(),
            grant_scope: code.scopes.clone(),
            audience: code.audience.clone(),
            family: code.family,
        },
        now,
    );
    state.store.insert_tokens(records).await?;
    if state.config.has_defect(Defect::CodeScopeOmitted) {
        issued.scope.clear();
    }
    Ok(token_response(&issued, Some(refresh.secret())))
}

/// The code defects' own reading of a code, in place of the store's atomic redemption.
async fn code_defect(state: &AppState, hash: Digest) -> Result<Option<Redemption>, OAuthError> {
    let has = |defect| state.config.has_defect(defect);
    if !(has(Defect::CodeReusable)
        || has(Defect::CodeRedeemRace)
        || has(Defect::CodeReplayKeepsTokens))
    {
        return Ok(None);
    }
    let Some((code, used)) = state.store.peek_code(hash).await? else {
        return Ok(Some(Redemption::Unknown));
    };
    if has(Defect::CodeReusable) {
        // The used mark is written but never read.
        if !used {
            state.store.redeem_code(hash).await?;
        }
        return Ok(Some(Redemption::Fresh(code)));
    }
    if used && has(Defect::CodeReplayKeepsTokens) {
        // Refused, but the first redemption's tokens are left alone.
        return Ok(Some(Redemption::Reused));
    }
    if used {
        return Ok(None);
    }
    if has(Defect::CodeRedeemRace) {
        // Check, then act: whoever read the code before it was marked used wins too.
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        state.store.redeem_code(hash).await?;
        return Ok(Some(Redemption::Fresh(code)));
    }
    Ok(None)
}

pub async fn refresh_token(
    state: &AppState,
    client: &Client,
    form: &Form,
) -> Result<Response, OAuthError> {
    let value = form.get("refresh_token").ok_or_else(|| {
        if state
            .config
            .has_defect(Defect::RefreshMissingTokenInvalidGrant)
        {
            invalid_grant()
        } else {
            OAuthError::invalid_request("refresh_token is required")
        }
    })?;
    let hash = Digest::of(value);
    let now = state.clock.now_unix();
    let Some((old, owner)) = state.store.token(hash).await? else {
        return Err(invalid_grant());
    };
    // Another client's token is refused without touching it: it stays usable by its owner (TOKEN-RT-02).
    let unbound = state.config.has_defect(Defect::RefreshTokenUnbound);
    if old.kind != TokenKind::Refresh || (owner.row_id != client.row_id && !unbound) {
        return Err(invalid_grant());
    }
    if old.revoked {
        // A rotated or revoked token presented again: treat it as stolen (TOKEN-RT-05).
        if !state.config.has_defect(Defect::RefreshReplayIgnored) {
            state.store.rotate_refresh(hash, Vec::new()).await?;
        }
        return Err(invalid_grant());
    }
    if now >= old.expires_at {
        return Err(invalid_grant());
    }
    let Some(family) = old.family else {
        return Err(invalid_grant());
    };
    // The grant can only shrink: what was granted, less any role the client has since lost.
    let granted: std::collections::BTreeSet<String> = old
        .scopes
        .intersection(client.allowed_scopes())
        .cloned()
        .collect();
    let asked_within = if state.config.has_defect(Defect::RefreshScopeWidened) {
        client.allowed_scopes()
    } else {
        &granted
    };
    let access_scope = grant_scope(form.get("scope"), asked_within)?;
    let granted = if state.config.has_defect(Defect::RefreshNarrowsGrant) {
        access_scope.clone()
    } else {
        granted
    };
    let (issued, refresh, mut records) = user_tokens(
        client,
        UserGrant {
            subject: &old.subject,
            access_scope,
            // The new refresh token keeps the full grant, so a narrower access token now
            // does not narrow what can be asked for later (TOKEN-RT-04).
            grant_scope: granted,
            audience: old.audience.clone(),
            family,
        },
        now,
    );
    if state.config.has_defect(Defect::RefreshExpiryInherited) {
        for record in records.iter_mut().filter(|r| r.kind == TokenKind::Refresh) {
            record.expires_at = old.expires_at;
        }
    }
    if state.config.has_defect(Defect::RefreshRaceIgnored) {
        // Read, then write later: concurrent uses all read the token while it is live.
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    if state.config.has_defect(Defect::RefreshAccessUnstored) {
        records.retain(|r| r.kind != TokenKind::Access);
    }
    if !state.store.rotate_refresh(hash, records).await?
        && !state.config.has_defect(Defect::RefreshRaceIgnored)
    {
        // Lost a race with another use of the same token: that is a replay too.
        return Err(invalid_grant());
    }
    Ok(token_response(&issued, Some(refresh.secret())))
}
