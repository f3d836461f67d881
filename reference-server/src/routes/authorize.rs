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
use crate::defects::Defect;
use crate::form::{OAuthForm, parse_pairs};
use crate::pages::{self, ConsentView, error_page};
use crate::redirect_policy;
use crate::secret::{Digest, random_value};
use crate::session::{COOKIE, Pending};
use crate::state::AppState;
use crate::store::CodeRecord;
use crate::tokens::grant_scope;

/// Codes live 60 seconds (reference default; RFC 6749 §4.1.2 recommends at most 10 minutes).
pub const CODE_LIFETIME: i64 = 60;

/// Errors sent back to the client through its redirect URI (RFC 6749 §4.1.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorizeError {
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

fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
}

fn with_cookie(mut response: Response, state: &AppState, cookie: &str) -> Response {
    let secure = if state.issuer.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let value = format!("{COOKIE}={cookie}; Path=/; HttpOnly; SameSite=Lax{secure}");
    if let Ok(value) = HeaderValue::from_str(&value) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

const UNREGISTERED: &str = "The redirect URI is not registered for this client.";

/// Where an answer for `client` goes; `Err` explains why there is no trustworthy place.
fn redirect_target(
    state: &AppState,
    client: &Client,
    requested: Option<&str>,
) -> Result<String, &'static str> {
    match requested {
        Some(uri) => match defective_target(state, uri, &client.redirect_urls) {
            Some(answer) => answer,
            None => redirect_policy::resolve(state.config.profile, uri, &client.redirect_urls)
                .or_else(|| defective_match(state, uri, &client.redirect_urls))
                .ok_or(UNREGISTERED),
        },
        None if state.config.has_defect(Defect::OmittedRedirectRefused) => {
            Err("This client must name its redirect URI in the request.")
        }
        None if state.config.has_defect(Defect::OmittedRedirectUsesFirst) => {
            client.redirect_urls.first().cloned().ok_or(UNREGISTERED)
        }
        // Only a single, complete registration may stand in for an omitted parameter
        // (RFC 6749 §3.1.2.3, AMB-06).
        None => match client.redirect_urls.as_slice() {
            [only] if !only.contains('*') => Ok(only.clone()),
            _ => Err("This client must name its redirect URI in the request."),
        },
    }
}

/// The matches the redirect defects add; `None` in any build without them.
fn defective_match(state: &AppState, uri: &str, registrations: &[String]) -> Option<String> {
    use crate::defects::Defect;
    let config = &state.config;
    let retry = |candidate: String| {
        redirect_policy::resolve(config.profile, &candidate, registrations).map(|_| uri.to_owned())
    };
    let (base, query) = uri.split_once('?').map_or((uri, ""), |(b, q)| (b, q));
    if config.has_defect(Defect::RedirectParentPath) {
        let parent = base.rsplit_once('/').map(|(p, _)| p)?;
        return retry(if query.is_empty() {
            parent.to_owned()
        } else {
            format!("{parent}?{query}")
        });
    }
    if config.has_defect(Defect::WildcardSpansLabels) {
        let (scheme, rest) = base.split_once("://")?;
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        let labels: Vec<&str> = host.split('.').collect();
        if labels.len() < 4 {
            return None;
        }
        let shorter = format!("{scheme}://{}.{}/{path}", labels[0], labels[2..].join("."));
        return retry(shorter);
    }
    if config.has_defect(Defect::StrictCaseInsensitive)
        && config.profile == crate::config::Profile::Strict
    {
        return registrations
            .iter()
            .any(|r| r.eq_ignore_ascii_case(uri))
            .then(|| uri.to_owned());
    }
    None
}

pub async fn authorize(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    peer: axum::extract::ConnectInfo<std::net::SocketAddr>,
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
    if state.config.has_defect(Defect::WhitelistAtAuthorize) && !client.admits(Some(peer.0.ip())) {
        return error_page(
            StatusCode::FORBIDDEN,
            "Access denied",
            "This client is not available from your address.",
        );
    }
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
    let existing =
        session_cookie(&headers).and_then(|c| state.sessions.get(&c, now).map(|view| (c, view)));
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
            with_cookie(response, &state, &cookie)
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

pub async fn login(
    State(state): State<AppState>,
    peer: axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    OAuthForm(form): OAuthForm,
) -> Response {
    let now = state.clock.now_unix();
    let Some((cookie, view)) =
        session_cookie(&headers).and_then(|c| state.sessions.get(&c, now).map(|v| (c, v)))
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
    with_cookie(response, &state, &new_cookie)
}

pub async fn consent(
    State(state): State<AppState>,
    headers: HeaderMap,
    OAuthForm(form): OAuthForm,
) -> Response {
    let now = state.clock.now_unix();
    let Some((cookie, view)) =
        session_cookie(&headers).and_then(|c| state.sessions.get(&c, now).map(|v| (c, v)))
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

pub async fn stylesheet() -> Response {
    let mut response = pages::STYLESHEET.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}

// The deliberate defects of the authorization area (`defects` feature): inert otherwise.

/// The redirect-matching defects: `Some` is the defective answer, `None` leaves the request to
/// the profile's policy.
fn defective_target(
    state: &AppState,
    uri: &str,
    registered: &[String],
) -> Option<Result<String, &'static str>> {
    let has = |defect| state.config.has_defect(defect);
    let profile = state.config.profile;
    let resolve = |uri: &str, regs: &[String]| redirect_policy::resolve(profile, uri, regs);
    let (scheme, rest) = uri.split_once("://").unwrap_or(("", uri));
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
    let refused = Some(Err(UNREGISTERED));
    if has(Defect::RedirectFragmentStripped) {
        if let Some((head, _)) = uri.split_once('#') {
            return Some(resolve(head, registered).ok_or(UNREGISTERED));
        }
    }
    if has(Defect::OnlyFirstRedirectMatched) {
        return Some(resolve(uri, registered.get(..1).unwrap_or_default()).ok_or(UNREGISTERED));
    }
    if has(Defect::RedirectQueryWithUrlRefused)
        && uri
            .split_once('?')
            .is_some_and(|(_, q)| q.to_ascii_lowercase().contains("%3a%2f%2f"))
    {
        return refused;
    }
    if has(Defect::DefaultPortKept)
        && scheme.eq_ignore_ascii_case("https")
        && authority.ends_with(":443")
    {
        return refused;
    }
    if has(Defect::HostCaseSensitive) && host.bytes().any(|b| b.is_ascii_uppercase()) {
        return refused;
    }
    if has(Defect::LoopbackPortFixed)
        && crate::redirect::is_loopback_host(host)
        && authority.contains(":")
        && !registered.iter().any(|r| r == uri)
    {
        return refused;
    }
    // The lenient defects only widen what the policy refuses.
    if resolve(uri, registered).is_some() {
        return None;
    }
    let accepted = Some(Ok(uri.to_owned()));
    if has(Defect::TrailingDotHostAccepted) && host.ends_with('.') {
        let trimmed = uri.replacen(
            authority,
            authority
                .replacen(host, host.trim_end_matches('.'), 1)
                .as_str(),
            1,
        );
        return Some(resolve(&trimmed, registered).ok_or(UNREGISTERED));
    }
    for reg in registered {
        let extra_segment = uri
            .strip_prefix(reg.as_str())
            .and_then(|tail| tail.strip_prefix('/'))
            .is_some_and(|segment| {
                !segment.is_empty()
                    && segment
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            });
        if has(Defect::RedirectExtraSegment) && extra_segment {
            return accepted;
        }
        if has(Defect::WildcardCrossesDot) {
            if let Some((reg_scheme, reg_rest)) = reg.split_once("://*.") {
                let labels = uri
                    .strip_prefix(reg_scheme)
                    .and_then(|u| u.strip_prefix("://"))
                    .and_then(|u| u.strip_suffix(reg_rest))
                    .and_then(|head| head.strip_suffix('.'));
                if labels.is_some_and(|head| {
                    head.split('.').all(|label| {
                        !label.is_empty()
                            && label
                                .bytes()
                                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    })
                }) {
                    return accepted;
                }
            }
        }
        if has(Defect::PathWildcardCrossesSlash) {
            let path_at = reg
                .split_once("://")
                .map_or(0, |(s, r)| s.len() + 3 + r.find('/').unwrap_or(r.len()));
            if let Some(star) = reg[path_at..].find('*').map(|at| path_at + at) {
                let (prefix, suffix) = (&reg[..star], &reg[star + 1..]);
                let middle = uri
                    .strip_prefix(prefix)
                    .and_then(|tail| tail.strip_suffix(suffix));
                if !suffix.contains('*')
                    && middle.is_some_and(|m| {
                        m.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"-_/".contains(&b))
                            && !m.contains("//")
                    })
                {
                    return accepted;
                }
            }
        }
        if has(Defect::PathCaseless) && reg.eq_ignore_ascii_case(uri) {
            return accepted;
        }
        if has(Defect::StrictRedirectCaseless)
            && profile == crate::config::Profile::Strict
            && reg.eq_ignore_ascii_case(uri)
        {
            return accepted;
        }
        if has(Defect::StrictRedirectQueryIgnored) && uri.split('?').next() == Some(reg.as_str()) {
            return accepted;
        }
        if has(Defect::LoopbackAnyPath) {
            if let (Ok(req), Ok(reg)) = (url::Url::parse(uri), url::Url::parse(reg)) {
                let written = format!("{}://{}", reg.scheme(), reg.host_str().unwrap_or_default());
                if uri.starts_with(&written)
                    && req.scheme() == reg.scheme()
                    && req.host_str() == reg.host_str()
                    && reg
                        .host_str()
                        .is_some_and(crate::redirect::is_loopback_host)
                    && req.username().is_empty()
                    && req.fragment().is_none()
                    && !uri.contains('#')
                {
                    return accepted;
                }
            }
        }
    }
    None
}
