//! The client-authenticating endpoints as the defects bend them: credentials rewritten before
//! the server checks them, an answer made or reworded here, or a request marked for the policy.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use reference_server::auth::{Credentials, credentials, parse_basic};
use reference_server::error::OAuthError;
use reference_server::form;
use reference_server::netaddr::client_addr;
use reference_server::pages::error_page;
use reference_server::secret::{ClientSecret, Digest};
use reference_server::state::AppState;
use serde_json::Value;

use super::api::Op;
use super::policy::OUTSIDE_TOKEN_ENDPOINT;
use super::{bytes, dress, request_with_form, rewrite_form, with_body};
use crate::Defect;

/// Endpoints that authenticate their caller as a client.
const AUTHENTICATING: [&str; 4] = [
    "/oauth/token",
    "/oauth/introspect",
    "/oauth/revoke",
    "/oauth/check_token",
];

/// The layer for `defect`.
pub(super) fn layer(defect: Defect) -> impl FnOnce(Router, &AppState) -> Router + Send + 'static {
    move |router, state| {
        let ctx = Ctx {
            state: state.clone(),
            defect,
            kept: Arc::default(),
        };
        router.layer(middleware::from_fn_with_state(ctx, bend))
    }
}

#[derive(Clone)]
struct Ctx {
    state: AppState,
    defect: Defect,
    /// client_id → the digest of the secret New Secret replaced, and the secret it gave.
    kept: Arc<Mutex<HashMap<String, (Digest, String)>>>,
}

async fn bend(State(ctx): State<Ctx>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let authenticating =
        request.method() == Method::POST && AUTHENTICATING.contains(&path.as_str());
    match ctx.defect {
        Defect::ExpiredCallerAdmitted if authenticating && path != "/oauth/token" => {
            OUTSIDE_TOKEN_ENDPOINT.scope((), next.run(request)).await
        }
        Defect::OldSecretKept => keep_old_secret(&ctx, request, next).await,
        Defect::ExpiredBeforeSecret if authenticating => {
            let (request, credentials) = read_credentials(request).await;
            if let Some(credentials) = credentials {
                let now = ctx.state.clock.now_unix();
                if let Ok(Some(record)) = ctx.state.store.client(&credentials.client_id).await
                    && record.client.is_expired(now)
                {
                    let refusal = OAuthError::invalid_client("client expired");
                    return dress(refusal.into_response(), request.headers(), false);
                }
            }
            next.run(request).await
        }
        Defect::WhitelistRefusalExplained if authenticating => {
            let (request, credentials) = read_credentials(request).await;
            let from = request
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .and_then(|info| {
                    client_addr(info.0, request.headers(), &ctx.state.config.trusted_proxies)
                });
            let response = next.run(request).await;
            if response.status() != StatusCode::UNAUTHORIZED {
                return response;
            }
            let Some(credentials) = credentials else {
                return response;
            };
            let Ok(Some(record)) = ctx.state.store.client(&credentials.client_id).await else {
                return response;
            };
            let proved = record.secret_hash.matches(&credentials.secret.digest());
            if !proved || ctx.state.policy.admits(&record.client, from) {
                return response;
            }
            let (parts, body) = response.into_parts();
            let Some(answer) = bytes(body).await else {
                return Response::from_parts(parts, Body::empty());
            };
            let response = Response::from_parts(parts, Body::from(answer.clone()));
            match serde_json::from_slice::<Value>(&answer) {
                Ok(Value::Object(mut error)) => {
                    error.insert(
                        "error_description".to_owned(),
                        Value::from("source address not allowed for this client"),
                    );
                    with_body(response, serde_json::to_vec(&error).unwrap_or_default())
                }
                _ => response,
            }
        }
        Defect::WhitelistAtAuthorize
            if request.method() == Method::GET && path == "/oauth/authorize" =>
        {
            let peer = request
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map(|info| info.0.ip());
            let query = request.uri().query().unwrap_or_default();
            let pairs = form::parse_pairs(query.as_bytes()).unwrap_or_default();
            let mut ids = pairs.iter().filter(|(name, _)| name == "client_id");
            let redirects = pairs.iter().filter(|(name, _)| name == "redirect_uri");
            if let (Some((_, client_id)), None, true) =
                (ids.next(), ids.next(), redirects.count() < 2)
                && let Ok(Some(record)) = ctx.state.store.client(client_id).await
                && !record.client.admits(peer)
            {
                let page = error_page(
                    StatusCode::FORBIDDEN,
                    "Access denied",
                    "This client is not available from your address.",
                );
                return dress(page, request.headers(), false);
            }
            next.run(request).await
        }
        _ => next.run(request).await,
    }
}

/// The client credentials of a request, read as the server reads them, and the request whole.
async fn read_credentials(request: Request) -> (Request, Option<Credentials>) {
    let (parts, body) = request.into_parts();
    let raw = bytes(body).await.unwrap_or_default();
    let credentials = form::parse(&raw)
        .ok()
        .and_then(|form| credentials(&parts.headers, &form).ok());
    (Request::from_parts(parts, Body::from(raw)), credentials)
}

/// New Secret remembers the secret it replaced; a request presenting that one is made to
/// present the new one instead, in its `Authorization: Basic` header or its form body.
async fn keep_old_secret(ctx: &Ctx, request: Request, next: Next) -> Response {
    let kept = |client_id: &str, secret: &str| {
        let kept = ctx.kept.lock().unwrap_or_else(PoisonError::into_inner);
        let (old, new) = kept.get(client_id)?;
        old.matches(&ClientSecret::new(secret.to_owned()).digest())
            .then(|| new.clone())
    };
    if let Some(Op::NewSecret(client_id)) = Op::of(request.method(), request.uri().path()) {
        let old = ctx.state.store.client(&client_id).await.ok().flatten();
        let response = next.run(request).await;
        let (Some(old), true) = (old, response.status().is_success()) else {
            return response;
        };
        let (parts, body) = response.into_parts();
        let answer = bytes(body).await.unwrap_or_default();
        let new = serde_json::from_slice::<Value>(&answer).ok().and_then(|v| {
            v.get("client_secret")
                .and_then(Value::as_str)
                .map(str::to_owned)
        });
        if let Some(new) = new {
            let mut kept = ctx.kept.lock().unwrap_or_else(PoisonError::into_inner);
            kept.insert(client_id, (old.secret_hash, new));
        }
        return Response::from_parts(parts, Body::from(answer));
    }
    let (mut parts, body) = request.into_parts();
    if let Some(basic) = basic_header(&parts.headers)
        && let Some((client_id, secret)) = parse_basic(basic.as_bytes())
        && let Some(new) = kept(&client_id, &secret)
    {
        let pair = format!(
            "{}:{}",
            utf8_percent_encode(&client_id, NON_ALPHANUMERIC),
            utf8_percent_encode(&new, NON_ALPHANUMERIC)
        );
        let value = format!("Basic {}", STANDARD.encode(pair));
        if let Ok(value) = HeaderValue::from_str(&value) {
            parts.headers.insert(header::AUTHORIZATION, value);
        }
    }
    let is_form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let raw = bytes(body).await.unwrap_or_default();
    let client_id = form::parse(&raw)
        .ok()
        .and_then(|f| f.get("client_id").map(str::to_owned));
    let rewritten = rewrite_form(&raw, |name, value| match &client_id {
        Some(id) if name == "client_secret" => kept(id, value),
        _ => None,
    });
    next.run(request_with_form(parts, raw, rewritten)).await
}

/// The single `Authorization` header, if it is one.
fn basic_header(headers: &HeaderMap) -> Option<String> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return None;
    };
    value.to_str().ok().map(str::to_owned)
}
