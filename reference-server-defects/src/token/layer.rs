//! Defects that act on a whole request or answer of the client-authenticating endpoints or the
//! demo resources: each changes what one endpoint reads or what it sends back.

use axum::Router;
use axum::body::{Body, Bytes, to_bytes};
use axum::extract::Request;
use axum::handler::Handler;
use axum::http::header::{
    AUTHORIZATION, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, PRAGMA, WWW_AUTHENTICATE,
};
use axum::http::{HeaderValue, Method, StatusCode, Uri};
use axum::middleware::{Next, from_fn};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reference_server::config::Profile;
use reference_server::error::OAuthError;
use reference_server::form::MAX_BODY_BYTES;
use reference_server::state::AppState;
use reference_server::store::TokenKind;
use serde_json::Value;

use super::{Pairs, as_served, no_store_json, pairs, value};
use crate::Defect::{self, *};

/// `router` with `defect`'s rewriting on the paths it concerns; every other path untouched.
pub(super) fn wrap(defect: Defect, router: Router, state: &AppState) -> Router {
    let state = state.clone();
    router.layer(from_fn(move |request: Request, next: Next| {
        let state = state.clone();
        async move {
            if covered(request.uri().path(), state.config.profile) {
                as_served(rewrite(defect, state, request, next).await)
            } else {
                next.run(request).await
            }
        }
    }))
}

/// The client-authenticating endpoints this server routes, and its demo resources.
pub(super) fn covered(path: &str, profile: Profile) -> bool {
    match path {
        "/oauth/token" | "/oauth/introspect" | "/oauth/revoke" => true,
        "/oauth/check_token" => profile == Profile::Vendor,
        _ => path
            .strip_prefix("/resources/")
            .and_then(|rest| rest.split_once('/'))
            .is_some_and(|(kind, name)| {
                matches!(kind, "wallet" | "backoffice" | "identity")
                    && !name.is_empty()
                    && !name.contains('/')
            }),
    }
}

/// Defects that must see the form body.
const READS_BODY: &[Defect] = &[
    QueryCredentials,
    JsonBodyAccepted,
    RepeatedParameterLastWins,
    UnknownTokenParameterRefused,
    BodyCredentialsRefused,
    BodySecretBesideBasicIgnored,
    BodyClientIdBesideBasicIgnored,
    RevokeWithoutSecret,
    ErrorEchoesGrantType,
    UnknownGrantInvalidGrant,
    TokenTypeNotBearer,
    ClientCredentialsRefreshToken,
    BearerTokenTwiceAccepted,
];

fn encode(pairs: &[(String, String)]) -> Bytes {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
        .into()
}

fn scheme(request: &Request) -> Option<String> {
    let value = request.headers().get(AUTHORIZATION)?.to_str().ok()?;
    Some(value.split(' ').next().unwrap_or("").to_owned())
}

async fn rewrite(defect: Defect, state: AppState, mut request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let at = |endpoint: &str| path == endpoint;
    let has_authorization = request.headers().contains_key(AUTHORIZATION);
    let resource = path.starts_with("/resources/");
    match defect {
        BasicSchemeCaseSensitive | BearerSchemeCaseSensitive
            if resource == (defect == BearerSchemeCaseSensitive) =>
        {
            let exact = if defect == BasicSchemeCaseSensitive {
                "Basic"
            } else {
                "Bearer"
            };
            if scheme(&request).is_some_and(|s| s != exact) {
                request.headers_mut().remove(AUTHORIZATION);
            }
        }
        BasicNotFormDecoded if !resource => {
            // Re-encode the raw parts so that the server's decoding gives them back verbatim.
            let raw = request
                .headers()
                .get(AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Basic "))
                .and_then(|v| STANDARD.decode(v.trim()).ok())
                .and_then(|v| String::from_utf8(v).ok());
            if let Some((user, password)) = raw.as_deref().and_then(|r| r.split_once(':')) {
                let escape = |s: &str| s.replace('%', "%25").replace('+', "%2B");
                let pair = format!("{}:{}", escape(user), escape(password));
                if let Ok(value) =
                    HeaderValue::from_str(&format!("Basic {}", STANDARD.encode(pair)))
                {
                    request.headers_mut().insert(AUTHORIZATION, value);
                }
            }
        }
        MalformedBasicInvalidRequest if !resource && scheme(&request).is_some() => {
            let parsed = request
                .headers()
                .get(AUTHORIZATION)
                .and_then(|v| reference_server::auth::parse_basic(v.as_bytes()));
            if parsed.is_none() {
                return OAuthError::invalid_request("the Authorization header is malformed")
                    .into_response();
            }
        }
        OversizedBodyIs400 if !resource => {
            let length = request
                .headers()
                .get(CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<usize>().ok());
            if length.is_some_and(|n| n > MAX_BODY_BYTES) {
                reference_server::form::drain(request.into_body()).await;
                return OAuthError::invalid_request("the request body is too large")
                    .into_response();
            }
        }
        RevokeByGet | TokenByGet
            if request.method() == Method::GET
                && at(if defect == RevokeByGet {
                    "/oauth/revoke"
                } else {
                    "/oauth/token"
                }) =>
        {
            // Served as the POST it would have been, the query as its form. A layer on a router
            // runs after the method was matched, so the GET is at the method fallback: hand it
            // to the POST handler.
            let query = request.uri().query().unwrap_or("").to_owned();
            *request.method_mut() = Method::POST;
            request.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            );
            request.headers_mut().remove(CONTENT_LENGTH);
            *request.body_mut() = Body::from(query);
            return if defect == RevokeByGet {
                Handler::call(reference_server::routes::revoke::revoke, request, state).await
            } else {
                Handler::call(reference_server::routes::token::token, request, state).await
            };
        }
        _ => {}
    }

    let mut form = Pairs::new();
    if READS_BODY.contains(&defect) {
        let (mut parts, body) = request.into_parts();
        let Ok(mut bytes) = to_bytes(body, MAX_BODY_BYTES).await else {
            return OAuthError::payload_too_large().into_response();
        };
        form = pairs(&bytes);
        let is_json = parts
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        let mut changed: Option<Pairs> = None;
        match defect {
            QueryCredentials if at("/oauth/token") && !has_authorization => {
                let query = pairs(parts.uri.query().unwrap_or("").as_bytes());
                if value(&query, "client_secret").is_some()
                    && value(&form, "client_secret").is_none()
                {
                    let mut with = form.clone();
                    with.extend(
                        query
                            .into_iter()
                            .filter(|(n, _)| n == "client_id" || n == "client_secret"),
                    );
                    changed = Some(with);
                }
            }
            JsonBodyAccepted if at("/oauth/token") && is_json => {
                if let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(&bytes) {
                    let converted = object
                        .into_iter()
                        .map(|(n, v)| match v {
                            Value::String(s) => (n, s),
                            other => (n, other.to_string()),
                        })
                        .collect();
                    parts.headers.insert(
                        CONTENT_TYPE,
                        HeaderValue::from_static("application/x-www-form-urlencoded"),
                    );
                    changed = Some(converted);
                }
            }
            RepeatedParameterLastWins if at("/oauth/token") => {
                let mut last: Pairs = Vec::new();
                for (name, v) in form.iter().rev() {
                    if !last.iter().any(|(n, _)| n == name) {
                        last.insert(0, (name.clone(), v.clone()));
                    }
                }
                if last.len() != form.len() {
                    changed = Some(last);
                }
            }
            UnknownTokenParameterRefused
                if at("/oauth/token")
                    && value(&form, "grant_type") == Some("client_credentials") =>
            {
                let known = ["grant_type", "scope", "client_id", "client_secret"];
                if form.iter().any(|(n, _)| !known.contains(&n.as_str())) {
                    return OAuthError::invalid_request("unknown parameter").into_response();
                }
            }
            BodyCredentialsRefused
                if !resource && !has_authorization && value(&form, "client_secret").is_some() =>
            {
                return OAuthError::invalid_client("client authentication is required")
                    .into_response();
            }
            BodySecretBesideBasicIgnored | BodyClientIdBesideBasicIgnored
                if !resource && has_authorization =>
            {
                let dropped = if defect == BodySecretBesideBasicIgnored {
                    "client_secret"
                } else {
                    "client_id"
                };
                if form.iter().any(|(n, _)| n == dropped) {
                    changed = Some(form.iter().filter(|(n, _)| n != dropped).cloned().collect());
                }
            }
            RevokeWithoutSecret
                if at("/oauth/revoke")
                    && !has_authorization
                    && value(&form, "client_secret").is_none() =>
            {
                if let (Some(id), Some(token)) = (value(&form, "client_id"), value(&form, "token"))
                    && let Ok(Some(record)) = state.store.client(id).await
                {
                    revoke_unauthenticated(&state, record.client.row_id, token).await;
                    return no_store_json(StatusCode::OK, serde_json::json!({}));
                }
            }
            BearerTokenTwiceAccepted if resource && has_authorization => {
                if value(&form, "access_token").is_some() {
                    bytes = Bytes::new();
                }
                let query = pairs(parts.uri.query().unwrap_or("").as_bytes());
                if value(&query, "access_token").is_some() {
                    let kept: Pairs = query
                        .into_iter()
                        .filter(|(n, _)| n != "access_token")
                        .collect();
                    let mut uri = path.clone();
                    if !kept.is_empty() {
                        uri = format!("{uri}?{}", String::from_utf8_lossy(&encode(&kept)));
                    }
                    if let Ok(uri) = uri.parse::<Uri>() {
                        parts.uri = uri;
                    }
                }
            }
            _ => {}
        }
        if let Some(new) = changed {
            bytes = encode(&new);
            parts.headers.remove(CONTENT_LENGTH);
        }
        request = Request::from_parts(parts, Body::from(bytes));
    }

    let mut response = next.run(request).await;
    let status = response.status();
    let headers = response.headers_mut();
    match defect {
        NoBasicChallenge if !resource && status == StatusCode::UNAUTHORIZED => {
            let basic = headers
                .get(WWW_AUTHENTICATE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("Basic"));
            if basic {
                headers.remove(WWW_AUTHENTICATE);
            }
        }
        TokenResponseCacheable | TokenErrorCacheable | IntrospectCacheable => {
            let applies = match defect {
                TokenResponseCacheable => at("/oauth/token") && status == StatusCode::OK,
                TokenErrorCacheable => at("/oauth/token") && status != StatusCode::OK,
                _ => at("/oauth/introspect"),
            };
            if applies {
                headers.remove(CACHE_CONTROL);
                headers.remove(PRAGMA);
            }
        }
        BearerMissingWithError | BearerChallengeMalformed if resource => {
            let challenge = headers
                .get(WWW_AUTHENTICATE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
                .unwrap_or_default();
            let rewritten = if defect == BearerMissingWithError {
                (!challenge.contains("error="))
                    .then(|| format!("{challenge}, error=\"invalid_token\""))
            } else {
                challenge
                    .contains("error=\"invalid_token\"")
                    .then(|| format!("{challenge}, error=\"invalid_token\""))
            };
            if let Some(value) = rewritten
                .filter(|_| !challenge.is_empty())
                .and_then(|v| HeaderValue::from_str(&v).ok())
            {
                headers.insert(WWW_AUTHENTICATE, value);
            }
        }
        MissingGrantTypeUnsupported
        | UnknownGrantInvalidGrant
        | UnregisteredGrantInvalidGrant
        | ErrorEchoesGrantType
        | TokenTypeNotBearer
        | ClientCredentialsRefreshToken
            if at("/oauth/token") =>
        {
            return rewrite_token_answer(defect, &form, response).await;
        }
        _ => {}
    }
    response
}

/// Revokes `token` for the client with row id `caller`, as the revocation endpoint would have
/// for that client authenticated.
async fn revoke_unauthenticated(state: &AppState, caller: i64, token: &str) {
    if let Ok(Some((found, owner))) = reference_server::tokens::find_token(state, token).await
        && owner.row_id == caller
    {
        let _ = match (found.kind, found.family) {
            (TokenKind::Refresh, Some(family)) => state.store.revoke_family(family).await,
            _ => reference_server::tokens::revoke_one(state, token, &found).await,
        };
    }
}

/// The token endpoint's JSON answer as the defect would have written it.
async fn rewrite_token_answer(
    defect: Defect,
    form: &[(String, String)],
    response: Response,
) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY_BYTES).await else {
        return OAuthError::internal("the answer could not be read").into_response();
    };
    let Ok(Value::Object(mut json)) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let error = json.get("error").and_then(Value::as_str).map(str::to_owned);
    let client_credentials = value(form, "grant_type") == Some("client_credentials");
    let ok = parts.status == StatusCode::OK;
    match (defect, error.as_deref()) {
        (MissingGrantTypeUnsupported, Some("invalid_request"))
            if json.get("error_description") == Some(&Value::from("grant_type is required")) =>
        {
            json.insert("error".into(), "unsupported_grant_type".into());
        }
        (UnknownGrantInvalidGrant, Some("unsupported_grant_type")) => {
            json.insert("error".into(), "invalid_grant".into());
        }
        (UnregisteredGrantInvalidGrant, Some("unauthorized_client")) => {
            json.insert("error".into(), "invalid_grant".into());
        }
        (ErrorEchoesGrantType, Some("unsupported_grant_type")) => {
            let grant = value(form, "grant_type").unwrap_or("");
            json.insert(
                "error_description".into(),
                format!("grant_type \"{grant}\" is not supported").into(),
            );
        }
        (TokenTypeNotBearer, None) if ok && client_credentials => {
            json.insert("token_type".into(), "JWT".into());
        }
        (ClientCredentialsRefreshToken, None) if ok && client_credentials => {
            json.insert(
                "refresh_token".into(),
                reference_server::secret::random_value().into(),
            );
        }
        _ => return Response::from_parts(parts, Body::from(bytes)),
    }
    parts.headers.remove(CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(Value::Object(json).to_string()))
}
