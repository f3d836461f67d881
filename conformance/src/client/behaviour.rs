//! The server's misbehaviour in one test, as a layer around its router: the protocol code
//! stays as it ships, and each layer answers or rewrites what real servers are known to send.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::header::{
    AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE,
};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{Next, from_fn};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::observe::TOKEN_PATH;

/// What the server does differently in a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// As it ships.
    Standard,
    /// An access token works for one resource call; after that the resource answers 401
    /// `invalid_token`, as for a token that expired mid-run (RFC 6750 §3.1).
    TokensExpireAfterOneCall,
    /// `token_type` is `bearer`, in lower case (RFC 6749 §5.1: case-insensitive).
    LowerCaseTokenType,
    /// Token responses carry members the client does not know (RFC 6749 §5.1).
    UnknownMembers,
    /// Every token request is refused: 401 `invalid_client` (RFC 6749 §5.2).
    InvalidClient,
    /// The first token request gets 503, the first resource call 429, both with
    /// `Retry-After: 1` (RFC 9110 §10.2.3, RFC 6585 §4).
    RetryAfter,
    /// The metadata advertises RFC 9207 (`authorization_response_iss_parameter_supported`).
    AdvertisesIssuer,
}

/// Seconds in the `Retry-After` of [`Behaviour::RetryAfter`].
pub const RETRY_AFTER_SECONDS: u64 = 1;

pub const LOWER_CASE_TOKEN_TYPE: &str = "bearer";

/// The members [`Behaviour::UnknownMembers`] adds to every token response.
pub const UNKNOWN_MEMBERS: &[&str] = &["x_tenant", "x_token_hints"];

impl Behaviour {
    /// `router` with this behaviour around it.
    pub(crate) fn wrap(self, router: Router) -> Router {
        match self {
            Self::Standard => router,
            Self::TokensExpireAfterOneCall => {
                let used: Arc<Mutex<HashSet<String>>> = Arc::default();
                router.layer(from_fn(move |request: Request, next: Next| {
                    expire_after_one_call(used.clone(), request, next)
                }))
            }
            Self::LowerCaseTokenType | Self::UnknownMembers => {
                router.layer(from_fn(move |request: Request, next: Next| {
                    rewrite_token_response(self, request, next)
                }))
            }
            Self::InvalidClient => router.layer(from_fn(refuse_client)),
            Self::RetryAfter => {
                let refused = Arc::new([AtomicBool::new(false), AtomicBool::new(false)]);
                router.layer(from_fn(move |request: Request, next: Next| {
                    busy_once(refused.clone(), request, next)
                }))
            }
            Self::AdvertisesIssuer => router.layer(from_fn(advertise_issuer)),
        }
    }
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    );
    response
}

fn bearer_token(request: &Request) -> Option<String> {
    let value = request.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

async fn expire_after_one_call(
    used: Arc<Mutex<HashSet<String>>>,
    request: Request,
    next: Next,
) -> Response {
    if !request.uri().path().starts_with("/resources/") {
        return next.run(request).await;
    }
    let token = bearer_token(&request);
    let lock = || used.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(token) = &token
        && lock().contains(token)
    {
        let mut response = json_response(
            StatusCode::UNAUTHORIZED,
            &json!({"error": "invalid_token", "error_description": "the access token expired"}),
        );
        response.headers_mut().insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static(
                "Bearer realm=\"reference-server\", error=\"invalid_token\", error_description=\"the access token expired\"",
            ),
        );
        return response;
    }
    let response = next.run(request).await;
    if response.status() == StatusCode::OK
        && let Some(token) = token
    {
        lock().insert(token);
    }
    response
}

async fn rewrite_token_response(behaviour: Behaviour, request: Request, next: Next) -> Response {
    if request.uri().path() != TOKEN_PATH {
        return next.run(request).await;
    }
    let response = next.run(request).await;
    if response.status() != StatusCode::OK {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
    let Ok(Value::Object(mut members)) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    match behaviour {
        Behaviour::LowerCaseTokenType => {
            members.insert("token_type".into(), LOWER_CASE_TOKEN_TYPE.into());
        }
        _ => {
            members.insert(UNKNOWN_MEMBERS[0].into(), "merchant-42".into());
            members.insert(
                UNKNOWN_MEMBERS[1].into(),
                json!({"rotate": true, "audiences": ["a", "b"], "weight": 1.5}),
            );
        }
    }
    let body = Value::Object(members).to_string();
    parts.headers.remove(CONTENT_LENGTH);
    parts
        .headers
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Response::from_parts(parts, Body::from(body))
}

async fn refuse_client(request: Request, next: Next) -> Response {
    if request.uri().path() != TOKEN_PATH {
        return next.run(request).await;
    }
    let mut response = json_response(
        StatusCode::UNAUTHORIZED,
        &json!({"error": "invalid_client", "error_description": "client authentication failed"}),
    );
    response.headers_mut().insert(
        WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"reference-server\""),
    );
    response
}

async fn busy_once(refused: Arc<[AtomicBool; 2]>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let (slot, status, error) = if path == TOKEN_PATH {
        (
            0,
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
        )
    } else if path.starts_with("/resources/") {
        (1, StatusCode::TOO_MANY_REQUESTS, "slow_down")
    } else {
        return next.run(request).await;
    };
    if refused[slot].swap(true, Ordering::SeqCst) {
        return next.run(request).await;
    }
    let mut response = json_response(status, &json!({ "error": error }));
    response
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
    response
}

async fn advertise_issuer(request: Request, next: Next) -> Response {
    if request.uri().path() != "/.well-known/oauth-authorization-server" {
        return next.run(request).await;
    }
    let response = next.run(request).await;
    let (mut parts, body) = response.into_parts();
    let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
    let Ok(Value::Object(mut members)) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    members.insert(
        "authorization_response_iss_parameter_supported".into(),
        true.into(),
    );
    parts.headers.remove(CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(Value::Object(members).to_string()))
}
