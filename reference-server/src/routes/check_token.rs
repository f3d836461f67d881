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
use crate::defects::Defect;
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

pub async fn check_token(
    State(state): State<AppState>,
    AuthenticatedClient {
        client: caller,
        form,
    }: AuthenticatedClient,
) -> Result<Response, OAuthError> {
    let defect = |d| state.config.has_defect(d);
    let token = form.get("token").ok_or_else(|| {
        if defect(Defect::CheckTokenMissingTokenInvalidToken) {
            OAuthError::new(ErrorCode::InvalidToken, "Token was not recognised")
        } else {
            OAuthError::invalid_request("token is required")
        }
    })?;
    // One answer for unknown, expired, revoked and not-yours, so it reveals nothing (AMB-33).
    let live = live_token(&state, token)
        .await?
        .filter(|t| t.is_access() && t.visible_to(&caller));
    if live.is_none()
        && defect(Defect::CheckTokenInactive200)
        && crate::tokens::find_token(&state, token).await?.is_none()
    {
        return Ok(no_store_json(
            StatusCode::OK,
            serde_json::json!({"active": false}),
        ));
    }
    let live =
        live.ok_or_else(|| OAuthError::new(ErrorCode::InvalidToken, "Token was not recognised"))?;
    if defect(Defect::CheckTokenScopeString) {
        let mut body = serde_json::json!({
            "active": true,
            "client_id": live.client.client_id,
            "exp": live.record.expires_at,
            "scope": crate::tokens::scope_string(&live.scope),
            "authorities": live.authorities(),
        });
        if !live.record.audience.is_empty() {
            body["aud"] = serde_json::json!(live.record.audience);
        }
        if let Some(user) = &live.record.username {
            body["user_name"] = serde_json::json!(user);
        }
        return Ok(no_store_json(StatusCode::OK, body));
    }
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
