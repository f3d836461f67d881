//! `POST /oauth/check_token`: Spring Security OAuth's endpoint, vendor profile only (AMB-27).
//!
//! Shapes follow Spring's `CheckTokenEndpoint` and `DefaultAccessTokenConverter`: `scope` and
//! `aud` are arrays, `authorities` and `user_name` appear when the token has them, and a dead
//! token is a 400 `invalid_token` rather than `active:false` (CHECK-01 to CHECK-05).

use std::collections::BTreeSet;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;

use super::{AuthenticatedClient, no_store_json};
use crate::error::{ErrorCode, OAuthError};
use crate::state::AppState;
use crate::tokens::live_token;

#[derive(Serialize)]
struct CheckTokenResponse<'a> {
    active: bool,
    client_id: &'a str,
    exp: i64,
    scope: &'a BTreeSet<String>,
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    aud: &'a BTreeSet<String>,
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    authorities: &'a BTreeSet<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_name: Option<&'a str>,
}

pub(crate) async fn check_token(
    State(state): State<AppState>,
    AuthenticatedClient {
        client: caller,
        form,
    }: AuthenticatedClient,
) -> Result<Response, OAuthError> {
    let token = form
        .get("token")
        .ok_or_else(|| OAuthError::invalid_request("token is required"))?;
    // One answer for unknown, expired, revoked and not-yours, so it reveals nothing (AMB-33).
    let live = live_token(&state, token)
        .await?
        .filter(|t| t.is_access() && t.visible_to(&caller));
    let live =
        live.ok_or_else(|| OAuthError::new(ErrorCode::InvalidToken, "Token was not recognised"))?;
    Ok(no_store_json(
        StatusCode::OK,
        CheckTokenResponse {
            active: true,
            client_id: &live.client.client_id,
            exp: live.record.expires_at,
            scope: &live.scope,
            aud: &live.record.audience,
            authorities: live.authorities(),
            user_name: live.record.username.as_deref(),
        },
    ))
}
