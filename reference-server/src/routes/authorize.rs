//! The authorization endpoint and its pages: `GET /oauth/authorize`, `POST /oauth/login`,
//! `POST /oauth/consent` (RFC 6749 §3.1, §4.1; RFC 9700 §4.11.2; groups 5 and 15).
//!
//! The order of the checks is the point:
//! 1. the client and the redirect URI are established first; until both are, every problem
//!    ends on the server's own error page and nothing is redirected (AUTHZ-REDIR-01 to -04);
//! 2. then the user logs in, before anything at all goes back to the client, even an error
//!    (AUTHZ-REQ-06, AMB-31);
//! 3. then the rest of the request is checked, and errors go back to the client as query
//!    parameters with the `state` (RFC 6749 §4.1.2.1);
//! 4. then the user sees the consent page and decides; only an approval creates a code.
//!
//! The IP whitelist does not apply here: these are the end user's browser requests (IP-04).

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq as _;

use crate::client::Client;
use crate::form::{OAuthForm, parse_pairs};
use crate::pages::{self, ConsentView, error_page};
use crate::secret::{Digest, random_value};
use crate::session::Pending;
use crate::state::AppState;
use crate::store::CodeRecord;
use crate::tokens::grant_scope;

/// Codes live 60 seconds (reference default; RFC 6749 §4.1.2 recommends at most 10 minutes).
pub(crate) const CODE_LIFETIME: i64 = 60;

/// Errors sent back to the client through its redirect URI (RFC 6749 §4.1.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthorizeError {
    /// Missing, repeated or malformed parameter.
    InvalidRequest(&'static str),
    /// The client may not use the code grant (AUTHZ-ERR-04).
    UnauthorizedClient,
    /// The resource owner said no (AUTHZ-ERR-01).
    AccessDenied,
    /// Anything but `response_type=code` (AUTHZ-ERR-02; no implicit flow, RFC 9700 §2.1.2).
    UnsupportedResponseType,
    /// Unknown or disallowed scope (AUTHZ-ERR-03).
    InvalidScope,
    ServerError,
}

impl AuthorizeError {
    fn code_and_description(self) -> (&'static str, &'static str) {
        match self {
            AuthorizeError::InvalidRequest(why) => ("invalid_request", why),
            AuthorizeError::UnauthorizedClient => (
                "unauthorized_client",
                "the client is not registered for the authorization code grant",
            ),
            AuthorizeError::AccessDenied => {
                ("access_denied", "the resource owner denied the request")
            }
            AuthorizeError::UnsupportedResponseType => (
                "unsupported_response_type",
                "only response_type=code is supported",
            ),
            AuthorizeError::InvalidScope => (
                "invalid_scope",
                "the scope is unknown or not allowed for this client",
            ),
            AuthorizeError::ServerError => {
                ("server_error", "the server could not complete the request")
            }
        }
    }
}

/// `target` with `params` appended to its query: existing parameters are kept as they are and
/// no fragment is added (AUTHZ-REQ-03).
fn redirect_with(target: &str, params: &[(&str, &str)]) -> Response {
    let mut serializer = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in params {
        serializer.append_pair(name, value);
    }
    let query = serializer.finish();
    let separator = match target.find('?') {
        None => "?",
        Some(_) if target.ends_with('?') || target.ends_with('&') => "",
        Some(_) => "&",
    };
    let location = format!("{target}{separator}{query}");
    match HeaderValue::from_str(&location) {
        // 303: the answer to the consent POST must be fetched with GET, never replayed (SEC-BCP-08).
        Ok(value) => {
            let mut response = StatusCode::SEE_OTHER.into_response();
            response.headers_mut().insert(header::LOCATION, value);
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(_) => error_page(
            StatusCode::BAD_REQUEST,
            "Invalid request",
            "The redirect URI cannot be used in a redirect.",
        ),
    }
}

fn error_redirect(target: &str, state: Option<&str>, error: AuthorizeError) -> Response {
    let (code, description) = error.code_and_description();
    let mut params = vec![("error", code), ("error_description", description)];
    if let Some(state) = state {
        params.push(("state", state));
    }
    redirect_with(target, &params)
}

fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// Where an answer for `client` goes; `Err` explains why there is no trustworthy place.
fn redirect_target(
    state: &AppState,
    client: &Client,
    requested: Option<&str>,
) -> Result<String, &'static str> {
    state
        .policy
        .redirect_target(state.config.profile, requested, &client.redirect_urls)
}

pub(crate) async fn authorize(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let raw = query.unwrap_or_default();
    let Ok(pairs) = parse_pairs(raw.as_bytes()) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Invalid request",
            "The request is malformed.",
        );
    };
    let mut params: BTreeMap<&str, &str> = BTreeMap::new();
    let mut repeated: BTreeSet<&str> = BTreeSet::new();
    for (name, value) in &pairs {
        if params.insert(name, value).is_some() {
            repeated.insert(name);
        }
    }
    if repeated.contains("client_id") || repeated.contains("redirect_uri") {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Invalid request",
            "The client or the redirect URI was given more than once.",
        );
    }
    let Some(client_id) = params.get("client_id") else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Invalid request",
            "The request names no client.",
        );
    };
    let client = match state.store.client(client_id).await {
        Ok(Some(record)) => record.client,
        Ok(None) => {
            return error_page(
                StatusCode::BAD_REQUEST,
                "Unknown client",
                "The client is not known.",
            );
        }
        Err(e) => {
            tracing::error!(error = %e, "client lookup failed");
            return error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Server error",
                "Please try again later.",
            );
        }
    };
    let target = match redirect_target(&state, &client, params.get("redirect_uri").copied()) {
        Ok(target) => target,
        Err(why) => return error_page(StatusCode::BAD_REQUEST, "Invalid redirect URI", why),
    };
    let echoed_state = if repeated.contains("state") {
        None
    } else {
        params.get("state").copied()
    };

    // The user logs in before anything, even an error, goes back to the client (AMB-31).
    let now = state.clock.now_unix();
    let existing = crate::session::cookie_value(&headers)
        .and_then(|c| state.sessions.get(&c, now).map(|view| (c, view)));
    let (cookie, view, new_cookie) = match existing {
        Some((cookie, view)) => (cookie, view, false),
        None => {
            let (cookie, view) = state.sessions.create(now);
            (cookie, view, true)
        }
    };
    let Some(username) = view.user.clone() else {
        // A client may send raw UTF-8 in the query (browsers encode it, curl does not); the
        // login answer carries this back as a Location, which must be ASCII. Percent-encoding
        // those bytes keeps every parameter's decoded value the same.
        let return_to = format!(
            "/oauth/authorize?{}",
            percent_encoding::utf8_percent_encode(&raw, percent_encoding::CONTROLS)
        );
        let response = pages::page(StatusCode::OK, pages::login(&return_to, &view.csrf, false));
        return if new_cookie {
            crate::session::with_cookie(response, &state.issuer, &cookie)
        } else {
            response
        };
    };

    let fail = |error| error_redirect(&target, echoed_state, error);
    if !repeated.is_empty() {
        return fail(AuthorizeError::InvalidRequest(
            "a parameter was sent more than once",
        ));
    }
    match params.get("response_type") {
        Some(&"code") => {}
        Some(_) => return fail(AuthorizeError::UnsupportedResponseType),
        None => return fail(AuthorizeError::InvalidRequest("response_type is required")),
    }
    if !state.policy.may_request_code(&client) {
        return fail(AuthorizeError::UnauthorizedClient);
    }
    let Ok(scope) = grant_scope(params.get("scope").copied(), client.allowed_scopes()) else {
        return fail(AuthorizeError::InvalidScope);
    };
    let challenge = match state.policy.code_challenge(
        params.get("code_challenge").copied(),
        params.get("code_challenge_method").copied(),
        state.config.profile,
    ) {
        Ok(challenge) => challenge,
        Err(e) => return fail(AuthorizeError::InvalidRequest(e.description())),
    };
    let pending = Pending {
        client_id: client.client_id.clone(),
        client_row_id: client.row_id,
        target: target.clone(),
        redirect_uri_param: params.get("redirect_uri").map(|s| (*s).to_owned()),
        state: echoed_state.map(str::to_owned),
        scope: scope.clone(),
        challenge,
    };
    let Some(ticket) = state.sessions.add_pending(&cookie, pending) else {
        return fail(AuthorizeError::ServerError);
    };
    let redirect_host = target
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split(['/', '?']).next())
        .unwrap_or("");
    pages::page(
        StatusCode::OK,
        pages::consent(&ConsentView {
            client_name: client.name.as_deref(),
            client_id: &client.client_id,
            scopes: scope.iter().map(String::as_str).collect(),
            resources: client.resource_ids.iter().map(String::as_str).collect(),
            redirect_host,
            username: &username,
            ticket: &ticket,
            csrf: &view.csrf,
        }),
    )
}

fn forbidden() -> Response {
    error_page(
        StatusCode::FORBIDDEN,
        "Request not verified",
        "This form could not be verified. Return to the application and start again.",
    )
}

pub(crate) async fn login(
    State(state): State<AppState>,
    peer: axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    OAuthForm(form): OAuthForm,
) -> Response {
    let now = state.clock.now_unix();
    let Some((cookie, view)) = crate::session::cookie_value(&headers)
        .and_then(|c| state.sessions.get(&c, now).map(|v| (c, v)))
    else {
        return forbidden();
    };
    if !form
        .get("csrf")
        .is_some_and(|csrf| same_secret(csrf, &view.csrf))
    {
        return forbidden();
    }
    // Only back into this server's own authorization endpoint: never an open redirect. Our
    // own form carries visible ASCII only, so anything else is forged and could not become a
    // Location header: refuse it before the login rather than answer a 303 with nowhere to go.
    let return_to = form.get("return_to").unwrap_or_default();
    if !(return_to == "/oauth/authorize" || return_to.starts_with("/oauth/authorize?"))
        || !return_to.bytes().all(|b| b.is_ascii_graphic())
    {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Invalid request",
            "The sign-in form is not valid.",
        );
    }
    let (Some(username), Some(password)) = (form.get("username"), form.get("password")) else {
        return pages::page(StatusCode::OK, pages::login(return_to, &view.csrf, true));
    };
    // Per user name and address, like client secrets: a stranger cannot lock a user out.
    let throttle_key = format!("user:{username}");
    let from = crate::netaddr::client_addr(peer.0, &headers, &state.config.trusted_proxies);
    if state.throttle.blocked(&throttle_key, from, now).is_some() {
        return pages::page(StatusCode::OK, pages::login(return_to, &view.csrf, true));
    }
    let verified = state
        .password_checks
        .verify(
            state.users.clone(),
            username.to_owned(),
            password.to_owned(),
        )
        .await;
    let Some(username) = verified else {
        state.throttle.record_failure(&throttle_key, from, now);
        tracing::info!("end-user login refused");
        return pages::page(StatusCode::OK, pages::login(return_to, &view.csrf, true));
    };
    let (new_cookie, _) = state.sessions.login(&cookie, &username, now);
    // 303, never 307: the browser must not resend the password to the next URL (SEC-BCP-08).
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(location) = HeaderValue::from_str(return_to) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    crate::session::with_cookie(response, &state.issuer, &new_cookie)
}

pub(crate) async fn consent(
    State(state): State<AppState>,
    headers: HeaderMap,
    OAuthForm(form): OAuthForm,
) -> Response {
    let now = state.clock.now_unix();
    let Some((cookie, view)) = crate::session::cookie_value(&headers)
        .and_then(|c| state.sessions.get(&c, now).map(|v| (c, v)))
    else {
        return forbidden();
    };
    let Some(username) = view.user else {
        return forbidden();
    };
    // AUTHZ-REQ-05: the anti-forgery value of this very session, or nothing happens.
    if !form
        .get("csrf")
        .is_some_and(|csrf| same_secret(csrf, &view.csrf))
    {
        return forbidden();
    }
    let Some(pending) = form
        .get("ticket")
        .and_then(|ticket| state.sessions.take_pending(&cookie, ticket))
    else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Request expired",
            "This authorization request is no longer valid. Return to the application and start again.",
        );
    };
    let state_param = pending.state.as_deref();
    match form.get("decision") {
        Some("approve") => {}
        Some("deny") => {
            return error_redirect(&pending.target, state_param, AuthorizeError::AccessDenied);
        }
        _ => {
            return error_page(
                StatusCode::BAD_REQUEST,
                "Invalid request",
                "No decision was given.",
            );
        }
    }
    // The client may have been deleted or changed while the user read the page.
    let client = match state.store.client(&pending.client_id).await {
        Ok(Some(record)) if record.client.row_id == pending.client_row_id => record.client,
        Ok(_) => {
            return error_page(
                StatusCode::BAD_REQUEST,
                "Unknown client",
                "The client is not known.",
            );
        }
        Err(e) => {
            tracing::error!(error = %e, "client lookup failed");
            return error_redirect(&pending.target, state_param, AuthorizeError::ServerError);
        }
    };
    let code = random_value();
    let record = CodeRecord {
        hash: Digest::of(&code),
        client_row_id: client.row_id,
        family: rand::random(),
        redirect_uri: pending.redirect_uri_param.clone(),
        subject: username,
        scopes: pending.scope.clone(),
        audience: client.resource_ids.clone(),
        challenge: pending.challenge.clone(),
        issued_at: now,
        expires_at: now + state.config.code_lifetime,
    };
    if let Err(e) = state.store.insert_code(record).await {
        tracing::error!(error = %e, "storing a code failed");
        return error_redirect(&pending.target, state_param, AuthorizeError::ServerError);
    }
    let mut params = vec![("code", code.as_str())];
    if let Some(state_value) = state_param {
        params.push(("state", state_value));
    }
    redirect_with(&pending.target, &params)
}
