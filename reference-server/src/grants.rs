//! The user grants of the token endpoint: `authorization_code` (RFC 6749 §4.1.3, RFC 7636
//! §4.6; TOKEN-CODE-*, PKCE-*) and `refresh_token` (RFC 6749 §6; TOKEN-RT-*).
//!
//! Every failure about the grant itself is `invalid_grant` with one description, so the
//! answer does not say whether a code was unknown, used, expired or someone else's.

use axum::response::Response;

use crate::client::Client;
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

pub(crate) async fn authorization_code(
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
    let code = match state.store.redeem_code(Digest::of(code)).await? {
        Redemption::Fresh(code) => code,
        Redemption::Unknown | Redemption::Reused => return Err(invalid_grant()),
    };
    if !state
        .policy
        .code_bound_to(code.client_row_id, client.row_id)
        || now >= code.expires_at
    {
        return Err(invalid_grant());
    }
    // The exact string of the authorization request, query included (AMB-02, TOKEN-CODE-05).
    match (code.redirect_uri.as_deref(), form.get("redirect_uri")) {
        (Some(expected), Some(given)) if expected == given => {}
        (Some(_), None) => return Err(OAuthError::invalid_request("redirect_uri is required")),
        (None, None) => {}
        (None, Some(given))
            if client.redirect_urls.len() == 1 && client.redirect_urls[0] == given => {}
        _ => return Err(invalid_grant()),
    }
    state
        .policy
        .code_verifier(code.challenge.as_ref(), form.get("code_verifier"))
        .map_err(|refused| match refused {
            pkce::VerifierError::Missing => {
                OAuthError::invalid_request("code_verifier is required")
            }
            pkce::VerifierError::Mismatch => invalid_grant(),
        })?;
    let (issued, refresh, records) = user_tokens(
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
    Ok(token_response(&issued, Some(refresh.secret())))
}

pub(crate) async fn refresh_token(
    state: &AppState,
    client: &Client,
    form: &Form,
) -> Result<Response, OAuthError> {
    let value = form
        .get("refresh_token")
        .ok_or_else(|| OAuthError::invalid_request("refresh_token is required"))?;
    let hash = Digest::of(value);
    let now = state.clock.now_unix();
    let Some((old, owner)) = state.store.token(hash).await? else {
        return Err(invalid_grant());
    };
    // Another client's token is refused without touching it: it stays usable by its owner (TOKEN-RT-02).
    if old.kind != TokenKind::Refresh
        || !state
            .policy
            .refresh_token_bound_to(owner.row_id, client.row_id)
    {
        return Err(invalid_grant());
    }
    if old.revoked {
        // A rotated or revoked token presented again: treat it as stolen (TOKEN-RT-05).
        state.store.rotate_refresh(hash, Vec::new()).await?;
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
    let asked_within = state
        .policy
        .refresh_scope_limit(&granted, client.allowed_scopes());
    let access_scope = grant_scope(form.get("scope"), asked_within)?;
    let (issued, refresh, records) = user_tokens(
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
    if !state.store.rotate_refresh(hash, records).await? {
        // Lost a race with another use of the same token: that is a replay too.
        return Err(invalid_grant());
    }
    Ok(token_response(&issued, Some(refresh.secret())))
}
