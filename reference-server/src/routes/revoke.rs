//! `POST /oauth/revoke` (RFC 7009).
//!
//! The answer is 200 whether or not anything was revoked: a garbage, expired or foreign token
//! gets the same answer as a live one (REVOKE-04, REVOKE-06, AMB-28). Only the token's own
//! client can revoke it. Revoking a refresh token takes its whole grant with it (REVOKE-03).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::{AuthenticatedClient, no_store_json};
use crate::error::OAuthError;
use crate::state::AppState;
use crate::store::TokenKind;

pub async fn revoke(
    State(state): State<AppState>,
    AuthenticatedClient {
        client: caller,
        form,
    }: AuthenticatedClient,
) -> Result<Response, OAuthError> {
    let Some(token) = form.get("token") else {
        return Err(OAuthError::invalid_request("token is required"));
    };
    if let Some((record, owner)) = crate::tokens::find_token(&state, token).await?
        && state.policy.may_revoke(&caller, &owner)
        && !record.revoked
    {
        match (record.kind, record.family) {
            (TokenKind::Refresh, Some(family)) if state.policy.revocation_takes_grant() => {
                state.store.revoke_family(family).await?
            }
            _ => crate::tokens::revoke_one(&state, token, &record).await?,
        }
    }
    Ok(no_store_json(StatusCode::OK, serde_json::json!({})))
}
