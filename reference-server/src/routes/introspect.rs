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
use crate::defects::Defect;
use crate::error::OAuthError;
use crate::state::AppState;
use crate::tokens::{LiveToken, live_token, scope_string};

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

pub async fn introspect(
    State(state): State<AppState>,
    AuthenticatedClient {
        client: caller,
        form,
    }: AuthenticatedClient,
) -> Result<Response, OAuthError> {
    let defect = |d| state.config.has_defect(d);
    let Some(token) = form.get("token") else {
        if defect(Defect::IntrospectMissingTokenInactive) {
            return Ok(no_store_json(StatusCode::OK, Inactive { active: false }));
        }
        return Err(OAuthError::invalid_request("token is required"));
    };
    // token_type_hint only speeds up a lookup; one table holds both kinds (INTROSPECT-05).
    let live = live_token(&state, token)
        .await?
        .filter(|t| t.visible_to(&caller) || defect(Defect::IntrospectAnyCaller))
        .filter(|t| {
            !defect(Defect::IntrospectHintTrusted)
                || match form.get("token_type_hint") {
                    Some("access_token") => t.is_access(),
                    Some("refresh_token") => !t.is_access(),
                    _ => true,
                }
        });
    Ok(match live {
        Some(live) if defect(Defect::IntrospectScopeArray) => {
            let mut body =
                serde_json::to_value(active(&state, &live)).map_err(OAuthError::internal)?;
            body["scope"] = serde_json::json!(live.scope);
            no_store_json(StatusCode::OK, body)
        }
        Some(live) => no_store_json(StatusCode::OK, active(&state, &live)),
        None if defect(Defect::IntrospectInactiveReason)
            && crate::tokens::find_token(&state, token)
                .await?
                .is_some_and(|(record, _)| record.revoked) =>
        {
            no_store_json(
                StatusCode::OK,
                serde_json::json!({"active": false, "reason": "revoked"}),
            )
        }
        None => no_store_json(StatusCode::OK, Inactive { active: false }),
    })
}

fn active<'a>(state: &'a AppState, live: &'a LiveToken) -> Active<'a> {
    Active {
        active: true,
        scope: (!live.scope.is_empty()).then(|| scope_string(&live.scope)),
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
