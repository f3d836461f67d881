//! `POST /oauth/revoke` (RFC 7009).
//!
//! The answer is 200 whether or not anything was revoked: a garbage, expired or foreign token
//! gets the same answer as a live one (REVOKE-04, REVOKE-06, AMB-28). Only the token's own
//! client can revoke it. Revoking a refresh token takes its whole grant with it (REVOKE-03).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::{AuthenticatedClient, no_store_json};
use crate::defects::Defect;
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
    let defect = |d| state.config.has_defect(d);
    let Some(token) = form.get("token") else {
        if defect(Defect::RevokeMissingToken200) {
            return Ok(no_store_json(StatusCode::OK, serde_json::json!({})));
        }
        return Err(OAuthError::invalid_request("token is required"));
    };
    if let Some((record, owner)) = crate::tokens::find_token(&state, token).await? {
        let hinted_away = defect(Defect::RevokeHintTrusted)
            && match form.get("token_type_hint") {
                Some("access_token") => record.kind != TokenKind::Access,
                Some("refresh_token") => record.kind != TokenKind::Refresh,
                _ => false,
            };
        let skipped = hinted_away
            || (defect(Defect::RevokeAccessNoop) && record.kind == TokenKind::Access)
            || (defect(Defect::RevokeRefreshNoop) && record.kind == TokenKind::Refresh);
        let owned = owner.row_id == caller.row_id || defect(Defect::RevokeOthersTokens);
        if owned && !record.revoked && !skipped {
            match (record.kind, record.family) {
                (TokenKind::Refresh, Some(family)) if !defect(Defect::RevokeKeepsGrant) => {
                    state.store.revoke_family(family).await?
                }
                _ => crate::tokens::revoke_one(&state, token, &record).await?,
            }
        }
    }
    Ok(no_store_json(StatusCode::OK, serde_json::json!({})))
}
