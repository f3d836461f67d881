//! Demo protected resources, one per resource id (RFC 6750; BEARER-*).
//!
//! - `/resources/wallet/{resource}`: audience `wallet_api`; GET needs `{resource}:view`, every
//!   other method `{resource}:change` (seed 002 › Permissions, BEARER-04).
//! - `/resources/backoffice/{name}`: audience `backoffice_api`, GET.
//! - `/resources/identity/{name}`: audience `identity_api`, GET.
//!
//! A token without the resource's id in its audience is refused as `invalid_token` (BEARER-06).
//! Tokens are accepted only in the Authorization header: one in the URL counts as absent, and
//! one in two places is a malformed request (BEARER-05).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::client::{BACKOFFICE_API, IDENTITY_API, WALLET_API};
use crate::error::OAuthError;
use crate::form;
use crate::state::AppState;
use crate::tokens::{LiveToken, live_token};

const REALM: &str = "reference-server";

#[derive(Debug)]
pub(crate) enum BearerError {
    /// No credentials: a bare challenge, no error code (RFC 6750 §3.1).
    Missing,
    InvalidRequest,
    InvalidToken,
    InsufficientScope(String),
    /// A token that carries no user at a resource about the user (RFC 6750 §3.1).
    NoUser,
    NotFound,
    Internal(OAuthError),
}

impl IntoResponse for BearerError {
    fn into_response(self) -> Response {
        let (status, challenge, error) = match self {
            BearerError::NotFound => {
                return (StatusCode::NOT_FOUND, Json(json!({"error": "not_found"})))
                    .into_response();
            }
            BearerError::Internal(inner) => return inner.into_response(),
            BearerError::Missing => (
                StatusCode::UNAUTHORIZED,
                format!("Bearer realm=\"{REALM}\""),
                None,
            ),
            BearerError::InvalidRequest => (
                StatusCode::BAD_REQUEST,
                format!(
                    "Bearer realm=\"{REALM}\", error=\"invalid_request\", error_description=\"the access token was sent in more than one place\""
                ),
                Some("invalid_request"),
            ),
            BearerError::InvalidToken => (
                StatusCode::UNAUTHORIZED,
                format!(
                    "Bearer realm=\"{REALM}\", error=\"invalid_token\", error_description=\"the access token is not valid for this resource\""
                ),
                Some("invalid_token"),
            ),
            BearerError::InsufficientScope(scope) => (
                StatusCode::FORBIDDEN,
                format!(
                    "Bearer realm=\"{REALM}\", error=\"insufficient_scope\", scope=\"{scope}\""
                ),
                Some("insufficient_scope"),
            ),
            BearerError::NoUser => (
                StatusCode::FORBIDDEN,
                format!(
                    "Bearer realm=\"{REALM}\", error=\"insufficient_scope\", error_description=\"this resource needs a token issued for a user\""
                ),
                Some("insufficient_scope"),
            ),
        };
        let body = match error {
            Some(error) => json!({ "error": error }),
            None => json!({}),
        };
        let mut response = (status, Json(body)).into_response();
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}

impl From<OAuthError> for BearerError {
    fn from(error: OAuthError) -> Self {
        BearerError::Internal(error)
    }
}

/// Finds the bearer token of a request (RFC 6750 §2).
fn presented_token(
    headers: &HeaderMap,
    query: Option<&str>,
    body: &[u8],
) -> Result<Option<String>, BearerError> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let first = values.next();
    if values.next().is_some() {
        return Err(BearerError::InvalidRequest);
    }
    let from_header = first
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_owned())
        .filter(|t| !t.is_empty());
    let in_query =
        query.is_some_and(|q| form::parse(q.as_bytes()).is_ok_and(|f| f.contains("access_token")));
    let in_body = form::parse(body).is_ok_and(|f| f.contains("access_token"));
    match from_header {
        Some(_) if in_query || in_body => Err(BearerError::InvalidRequest),
        // A token only in the URL or body is not accepted, so it counts as absent (BEARER-05).
        other => Ok(other),
    }
}

async fn authorize(
    state: &AppState,
    headers: &HeaderMap,
    query: Option<&str>,
    body: &[u8],
    audience: &str,
) -> Result<LiveToken, BearerError> {
    let token = presented_token(headers, query, body)?.ok_or(BearerError::Missing)?;
    let live = live_token(state, &token)
        .await?
        .filter(|t| state.policy.resource_accepts(t, audience))
        .ok_or(BearerError::InvalidToken)?;
    Ok(live)
}

fn served(resource: &str, live: &LiveToken, method: &Method) -> Response {
    let mut response = Json(json!({
        "resource": resource,
        "method": method.as_str(),
        "client_id": live.client.client_id,
        "sub": live.record.subject,
        "scope": crate::scope::join(&live.scope),
    }))
    .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub(crate) async fn wallet(
    State(state): State<AppState>,
    Path(resource): Path<String>,
    method: Method,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response, BearerError> {
    if !state.catalogue.wallet.resources.contains(&resource) {
        return Err(BearerError::NotFound);
    }
    let live = authorize(&state, &headers, query.as_deref(), &body, WALLET_API).await?;
    let level = if method == Method::GET || method == Method::HEAD {
        "view"
    } else {
        "change"
    };
    let needed = format!("{resource}:{level}");
    if !state.policy.scope_grants(&live.scope, &resource, &needed) {
        return Err(BearerError::InsufficientScope(needed));
    }
    Ok(served(&format!("wallet/{resource}"), &live, &method))
}

/// A demo resource gated by audience only.
async fn by_audience(
    state: &AppState,
    request: (Method, HeaderMap, Option<String>, Bytes),
    audience: &str,
    resource: String,
) -> Result<Response, BearerError> {
    let (method, headers, query, body) = request;
    let live = authorize(state, &headers, query.as_deref(), &body, audience).await?;
    Ok(served(&resource, &live, &method))
}

pub(crate) async fn backoffice(
    State(state): State<AppState>,
    Path(name): Path<String>,
    method: Method,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response, BearerError> {
    by_audience(
        &state,
        (method, headers, query, body),
        BACKOFFICE_API,
        format!("backoffice/{name}"),
    )
    .await
}

pub(crate) async fn identity(
    State(state): State<AppState>,
    Path(name): Path<String>,
    method: Method,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response, BearerError> {
    by_audience(
        &state,
        (method, headers, query, body),
        IDENTITY_API,
        format!("identity/{name}"),
    )
    .await
}

/// `GET /resources/identity/me`: the end user behind an identity_api token. A token that
/// carries no user (a client's own, from client_credentials) is refused with 403
/// `insufficient_scope` (RFC 6750 §3.1): answering it with the client as `sub` would let a
/// client that guessed a grant pass for a logged-in user.
pub(crate) async fn identity_me(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response, BearerError> {
    let live = authorize(&state, &headers, query.as_deref(), &body, IDENTITY_API).await?;
    let user = live
        .record
        .username
        .as_deref()
        .and_then(|name| state.users.get(name))
        .ok_or(BearerError::NoUser)?;
    let mut response = Json(json!({
        "sub": live.record.subject,
        "username": user.username,
        "name": user.name,
        "email": user.email,
        "client_id": live.client.client_id,
        "scope": crate::scope::join(&live.scope),
    }))
    .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
