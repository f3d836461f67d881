//! Token-area defects that act on a whole request or answer (`defects` feature only): each
//! changes what one endpoint reads or what it sends back, so that the handlers keep a single
//! code path. Nothing here runs unless the server was started with one of these defects.

use axum::Router;
use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, PRAGMA, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, Method, StatusCode, Uri};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use crate::defects::Defect::{self, *};
use crate::error::OAuthError;
use crate::form::MAX_BODY_BYTES;
use crate::state::AppState;
use crate::store::TokenKind;

type Pairs = Vec<(String, String)>;

/// `router` with the request and answer rewriting of the token-area defects.
pub(crate) fn layer(router: Router<AppState>, state: &AppState) -> Router<AppState> {
    router.layer(from_fn_with_state(state.clone(), rewrite))
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

fn pairs(body: &[u8]) -> Pairs {
    url::form_urlencoded::parse(body).into_owned().collect()
}

fn encode(pairs: &[(String, String)]) -> Bytes {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
        .into()
}

fn value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(n, v)| n == name && !v.is_empty())
        .map(|(_, v)| v.as_str())
}

fn scheme(request: &Request) -> Option<String> {
    let value = request.headers().get(AUTHORIZATION)?.to_str().ok()?;
    Some(value.split(' ').next().unwrap_or("").to_owned())
}

async fn rewrite(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let Some(defect) = state.config.defect else {
        return next.run(request).await;
    };
    let path = request.uri().path().to_owned();
    let at = |endpoint: &str| path.ends_with(endpoint);
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
                .and_then(|v| crate::auth::parse_basic(v.as_bytes()));
            if parsed.is_none() {
                return OAuthError::invalid_request("the Authorization header is malformed")
                    .into_response();
            }
        }
        OversizedBodyIs400 if !resource => {
            let length = request
                .headers()
                .get(axum::http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<usize>().ok());
            if length.is_some_and(|n| n > MAX_BODY_BYTES) {
                crate::form::drain(request.into_body()).await;
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
            let query = request.uri().query().unwrap_or("").to_owned();
            *request.method_mut() = Method::POST;
            request.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            );
            request
                .headers_mut()
                .remove(axum::http::header::CONTENT_LENGTH);
            *request.body_mut() = Body::from(query);
            // The GET reached the method fallback: hand it to the POST handler.
            return if defect == RevokeByGet {
                axum::handler::Handler::call(crate::routes::revoke::revoke, request, state.clone())
                    .await
            } else {
                axum::handler::Handler::call(crate::routes::token::token, request, state.clone())
                    .await
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
                {
                    if let Ok(Some(record)) = state.store.client(id).await {
                        if let Ok(Some((found, owner))) =
                            crate::tokens::find_token(&state, token).await
                        {
                            if owner.row_id == record.client.row_id {
                                let _ = match (found.kind, found.family) {
                                    (TokenKind::Refresh, Some(family)) => {
                                        state.store.revoke_family(family).await
                                    }
                                    _ => crate::tokens::revoke_one(&state, token, &found).await,
                                };
                            }
                        }
                        return crate::routes::no_store_json(StatusCode::OK, serde_json::json!({}));
                    }
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
            parts.headers.remove(axum::http::header::CONTENT_LENGTH);
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
            json.insert("refresh_token".into(), crate::secret::random_value().into());
        }
        _ => return Response::from_parts(parts, Body::from(bytes)),
    }
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(Value::Object(json).to_string()))
}
