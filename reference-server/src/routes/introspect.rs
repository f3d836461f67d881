//! `POST /oauth/introspect` (RFC 7662).
//!
//! Callers authenticate like at the token endpoint, whitelist included (IP-03). A caller sees
//! its own tokens and, as a resource server, the tokens meant for it (AMB-33); every other
//! token, and every dead one, is exactly `{"active":false}` (INTROSPECT-04).

use std::collections::BTreeSet;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;

use super::{AuthenticatedClient, no_store_json};
use crate::error::OAuthError;
use crate::state::AppState;
use crate::tokens::{LiveToken, live_token};

#[derive(Serialize)]
struct Active<'a> {
    active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
    client_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    token_type: Option<&'static str>,
    exp: i64,
    iat: i64,
    sub: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<&'a str>,
    aud: &'a BTreeSet<String>,
    iss: &'a str,
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    authorities: &'a BTreeSet<String>,
}

#[derive(Serialize)]
struct Inactive {
    active: bool,
}

pub(crate) async fn introspect(
    State(state): State<AppState>,
    AuthenticatedClient {
        client: caller,
        form,
    }: AuthenticatedClient,
) -> Result<Response, OAuthError> {
    let Some(token) = form.get("token") else {
        return Err(OAuthError::invalid_request("token is required"));
    };
    // token_type_hint only speeds up a lookup; one table holds both kinds (INTROSPECT-05).
    let live = live_token(&state, token)
        .await?
        .filter(|t| state.policy.may_introspect(&caller, t));
    Ok(match live {
        Some(live) => no_store_json(StatusCode::OK, active(&state, &live)),
        None => no_store_json(StatusCode::OK, Inactive { active: false }),
    })
}

fn active<'a>(state: &'a AppState, live: &'a LiveToken) -> Active<'a> {
    Active {
        active: true,
        scope: (!live.scope.is_empty()).then(|| crate::scope::join(&live.scope)),
        client_id: &live.client.client_id,
        token_type: live.is_access().then_some("Bearer"),
        exp: live.record.expires_at,
        iat: live.record.issued_at,
        sub: &live.record.subject,
        username: live.record.username.as_deref(),
        aud: &live.record.audience,
        iss: &state.issuer,
        authorities: live.authorities(),
    }
}
