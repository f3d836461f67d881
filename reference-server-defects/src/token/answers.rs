//! Defects that change what introspection, check_token, revocation and the token endpoint
//! answer, or whom the client-authenticating endpoints take a request from: each reads the
//! request's form (the server's own strict reading of it) and rewrites one answer.

use std::net::{IpAddr, SocketAddr};

use axum::Router;
use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{ConnectInfo, Request};
use axum::http::StatusCode;
use axum::http::header::{AUTHORIZATION, CONTENT_LENGTH};
use axum::http::response::Parts;
use axum::middleware::{Next, from_fn};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reference_server::error::{ErrorCode, OAuthError};
use reference_server::form::MAX_BODY_BYTES;
use reference_server::secret::AccessToken;
use reference_server::state::AppState;
use reference_server::store::{TokenKind, TokenRecord};
use reference_server::tokens::find_token;
use serde_json::{Map, Value, json};

use super::layer::covered;
use super::{Pairs, as_served, no_store_json, value};
use crate::Defect::{self, *};

/// `router` with `defect`'s rewriting on the client-authenticating endpoints.
pub(super) fn wrap(defect: Defect, router: Router, state: &AppState) -> Router {
    let state = state.clone();
    router.layer(from_fn(move |request: Request, next: Next| {
        let state = state.clone();
        async move {
            let path = request.uri().path();
            if covered(path, state.config.profile) && !path.starts_with("/resources/") {
                as_served(rewrite(defect, state, request, next).await)
            } else {
                next.run(request).await
            }
        }
    }))
}

async fn rewrite(defect: Defect, state: AppState, mut request: Request, next: Next) -> Response {
    match defect {
        TrustRealIp => {
            // The header stands in for the peer, whoever sent it.
            let real = request
                .headers()
                .get("x-real-ip")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<IpAddr>().ok());
            if let Some(real) = real {
                request
                    .extensions_mut()
                    .insert(ConnectInfo(SocketAddr::new(real, 0)));
            }
            return next.run(request).await;
        }
        BasicNotUtf8Is500 => {
            return if basic_is_not_utf8(&request) {
                OAuthError::internal("Basic credentials are not UTF-8").into_response()
            } else {
                next.run(request).await
            };
        }
        _ => {}
    }
    let path = request.uri().path().to_owned();
    let at = |endpoint: &str| path == endpoint;
    let has_authorization = request.headers().contains_key(AUTHORIZATION);
    let (mut request, form) = read_form(request).await;
    let revocation = matches!(
        defect,
        RevokeHintTrusted | RevokeAccessNoop | RevokeRefreshNoop
    );
    if revocation && at("/oauth/revoke") && revocation_skipped(defect, &state, &form).await {
        // A token no table holds: the endpoint authenticates the caller and revokes nothing.
        let form: Pairs = form
            .iter()
            .map(|(n, v)| match n.as_str() {
                "token" => (n.clone(), reference_server::secret::random_value()),
                _ => (n.clone(), v.clone()),
            })
            .collect();
        request = with_form(request, &form);
    }

    let response = next.run(request).await;
    let status = response.status();
    let (parts, bytes, json) = read_json(response).await;
    let Some(mut json) = json else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let error = json.get("error").and_then(Value::as_str).map(str::to_owned);
    let error = error.as_deref();
    let token = value(&form, "token");
    let answer = match defect {
        IntrospectMissingTokenInactive if at("/oauth/introspect") && token_required(&json) => {
            return no_store_json(StatusCode::OK, json!({"active": false}));
        }
        RevokeMissingToken200 if at("/oauth/revoke") && token_required(&json) => {
            return no_store_json(StatusCode::OK, json!({}));
        }
        CheckTokenMissingTokenInvalidToken if at("/oauth/check_token") && token_required(&json) => {
            return OAuthError::new(ErrorCode::InvalidToken, "Token was not recognised")
                .into_response();
        }
        CheckTokenInactive200 if at("/oauth/check_token") && error == Some("invalid_token") => {
            match token {
                Some(token) if matches!(find_token(&state, token).await, Ok(None)) => {
                    return no_store_json(StatusCode::OK, json!({"active": false}));
                }
                _ => None,
            }
        }
        IntrospectInactiveReason if at("/oauth/introspect") && inactive(&json) => match token {
            Some(token) if matches!(find_token(&state, token).await, Ok(Some((r, _))) if r.revoked) =>
            {
                return no_store_json(
                    StatusCode::OK,
                    json!({"active": false, "reason": "revoked"}),
                );
            }
            _ => None,
        },
        IntrospectHintTrusted if at("/oauth/introspect") && active(&json) => {
            let access = json.get("token_type") == Some(&Value::from("Bearer"));
            let hinted_away = match value(&form, "token_type_hint") {
                Some("access_token") => !access,
                Some("refresh_token") => access,
                _ => false,
            };
            if hinted_away {
                return no_store_json(StatusCode::OK, json!({"active": false}));
            }
            None
        }
        IntrospectScopeArray if at("/oauth/introspect") && active(&json) => {
            let scope: Vec<Value> = json
                .get("scope")
                .and_then(Value::as_str)
                .map(|s| s.split(' ').map(Value::from).collect())
                .unwrap_or_default();
            json.insert("scope".into(), scope.into());
            Some(json)
        }
        CheckTokenScopeString if at("/oauth/check_token") && status == StatusCode::OK => {
            let scope = json
                .get("scope")
                .and_then(Value::as_array)
                .map(|values| {
                    values
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_default();
            json.insert("scope".into(), scope.into());
            json.entry("authorities").or_insert_with(|| json!([]));
            Some(json)
        }
        GrantTypeEchoed if at("/oauth/token") && error == Some("unsupported_grant_type") => {
            let grant = value(&form, "grant_type").unwrap_or("");
            json.insert(
                "error_description".into(),
                format!("the grant type {grant} is not supported").into(),
            );
            Some(json)
        }
        UnknownClientIs400
            if status == StatusCode::UNAUTHORIZED
                && !has_authorization
                && value(&form, "client_secret").is_some() =>
        {
            match value(&form, "client_id") {
                Some(id) if matches!(state.store.client(id).await, Ok(None)) => {
                    return OAuthError::invalid_request("unknown client").into_response();
                }
                _ => None,
            }
        }
        ShortAccessTokens
            if at("/oauth/token")
                && status == StatusCode::OK
                && value(&form, "grant_type") == Some("client_credentials") =>
        {
            match shorten(&state, &mut json).await {
                Ok(()) => Some(json),
                Err(error) => return error.into_response(),
            }
        }
        _ => None,
    };
    match answer {
        Some(json) => {
            let mut parts = parts;
            parts.headers.remove(CONTENT_LENGTH);
            Response::from_parts(parts, Body::from(Value::Object(json).to_string()))
        }
        None => Response::from_parts(parts, Body::from(bytes)),
    }
}

/// Replaces the sealed client_credentials token of `json` by a stored one of 64 random bits.
async fn shorten(state: &AppState, json: &mut Map<String, Value>) -> Result<(), OAuthError> {
    let Some(sealed) = json.get("access_token").and_then(Value::as_str) else {
        return Ok(());
    };
    let Some((_, owner)) = find_token(state, sealed).await? else {
        return Ok(());
    };
    let secret = state
        .store
        .client(&owner.client_id)
        .await?
        .map(|r| r.secret_hash);
    // Read again after the secret: a New Secret that landed in between has revoked the sealed
    // token by now, and the short one must not outlive it under the new secret.
    let Some((record, _)) = find_token(state, sealed).await? else {
        return Ok(());
    };
    let short = AccessToken::new(AccessToken::generate().secret()[..11].to_owned());
    state
        .store
        .insert_token(TokenRecord {
            hash: short.digest(),
            issued_under: secret,
            ..record
        })
        .await?;
    json.insert("access_token".into(), short.secret().into());
    Ok(())
}

/// Whether the revocation defect skips this request's token.
async fn revocation_skipped(defect: Defect, state: &AppState, form: &[(String, String)]) -> bool {
    let Some(token) = value(form, "token") else {
        return false;
    };
    let Ok(Some((record, _))) = find_token(state, token).await else {
        return false;
    };
    match defect {
        RevokeAccessNoop => record.kind == TokenKind::Access,
        RevokeRefreshNoop => record.kind == TokenKind::Refresh,
        _ => match value(form, "token_type_hint") {
            Some("access_token") => record.kind != TokenKind::Access,
            Some("refresh_token") => record.kind != TokenKind::Refresh,
            _ => false,
        },
    }
}

fn token_required(json: &Map<String, Value>) -> bool {
    json.get("error_description") == Some(&Value::from("token is required"))
}

fn active(json: &Map<String, Value>) -> bool {
    json.get("active") == Some(&Value::Bool(true))
}

fn inactive(json: &Map<String, Value>) -> bool {
    json.get("active") == Some(&Value::Bool(false)) && json.len() == 1
}

fn basic_is_not_utf8(request: &Request) -> bool {
    request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b.trim()).ok())
        .is_some_and(|bytes| std::str::from_utf8(&bytes).is_err())
}

/// The request with its form as the server reads it; an empty form, and the body untouched,
/// when the server would refuse it anyway (too large, not its strict form).
async fn read_form(request: Request) -> (Request, Pairs) {
    let length = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if length.is_none_or(|n| n > MAX_BODY_BYTES) {
        return (request, Pairs::new());
    }
    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, MAX_BODY_BYTES).await.unwrap_or_default();
    let form = reference_server::form::parse_pairs(&bytes).unwrap_or_default();
    (Request::from_parts(parts, Body::from(bytes)), form)
}

fn with_form(request: Request, form: &[(String, String)]) -> Request {
    let (mut parts, _) = request.into_parts();
    parts.headers.remove(CONTENT_LENGTH);
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    Request::from_parts(parts, Body::from(body))
}

/// The answer's parts, its body, and the body as a JSON object if it is one.
async fn read_json(response: Response) -> (Parts, Bytes, Option<Map<String, Value>>) {
    let (parts, body) = response.into_parts();
    let bytes = to_bytes(body, MAX_BODY_BYTES).await.unwrap_or_default();
    let json = match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(json)) => Some(json),
        _ => None,
    };
    (parts, bytes, json)
}
