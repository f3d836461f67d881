//! `POST /oauth/token` (RFC 6749 §3.2, §4.4, §5).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;

use super::{AuthenticatedClient, no_store_json};
use crate::client::{Client, GrantType};
use crate::error::{ErrorCode, OAuthError};
use crate::form::Form;
use crate::state::AppState;
use crate::tokens::{Issued, grant_scope, issue_client_token};

#[derive(Serialize)]
struct TokenResponse<'a> {
    access_token: &'a str,
    token_type: &'static str,
    expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
}

pub async fn token(
    State(state): State<AppState>,
    AuthenticatedClient { client, form }: AuthenticatedClient,
) -> Result<Response, OAuthError> {
    let grant_type = form
        .get("grant_type")
        .ok_or_else(|| OAuthError::invalid_request("grant_type is required"))?;
    let grant = match grant_type {
        "client_credentials" => GrantType::ClientCredentials,
        "authorization_code" => GrantType::AuthorizationCode,
        "refresh_token" => GrantType::RefreshToken,
        // The password and implicit grants are not offered (RFC 9700 §2.4, TOKEN-REQ-04).
        _ => {
            return Err(OAuthError::new(
                ErrorCode::UnsupportedGrantType,
                "the grant type is not supported",
            ));
        }
    };
    if !client.has_grant(grant) {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "the client is not registered for this grant type",
        ));
    }
    match grant {
        GrantType::ClientCredentials => client_credentials(&state, &client, &form).await,
        GrantType::AuthorizationCode => {
            crate::grants::authorization_code(&state, &client, &form).await
        }
        GrantType::RefreshToken => crate::grants::refresh_token(&state, &client, &form).await,
    }
}

/// RFC 6749 §4.4: no refresh token, ever (TOKEN-CC-02, AMB-24).
async fn client_credentials(
    state: &AppState,
    client: &Client,
    form: &Form,
) -> Result<Response, OAuthError> {
    let scope = match form.get("scope") {
        None => state
            .policy
            .default_client_scope(&state.policy.requestable_scope(client, None)),
        requested => grant_scope(
            requested,
            &state.policy.requestable_scope(client, requested),
        )?,
    };
    let issued = issue_client_token(state, client, scope).await?;
    Ok(token_response(&issued, None))
}

pub(crate) fn token_response(issued: &Issued, refresh_token: Option<&str>) -> Response {
    // The scope is always reported, so a client never has to guess what it holds (RFC 6749 §5.1).
    let scope = (!issued.scope.is_empty()).then(|| crate::scope::join(&issued.scope));
    no_store_json(
        StatusCode::OK,
        TokenResponse {
            access_token: issued.token.secret(),
            token_type: "Bearer",
            expires_in: issued.expires_in,
            refresh_token,
            scope,
        },
    )
}
