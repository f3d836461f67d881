//! Signing in and out, and who is asking: [`BackOfficeUser`] for pages, [`Posted`] for forms.
//!
//! A form post is honoured only with the session's anti-forgery value (403 otherwise), and
//! every handler checks the role it needs itself, so a forged post from a user without it
//! changes nothing (403).

use std::collections::BTreeSet;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use subtle::ConstantTimeEq as _;

use super::Role;
use super::fields::Fields;
use super::layout::{forbidden, layout, page};
use super::session::{cookie_value, with_cookie};
use crate::state::AppState;

const MAX_FORM_BYTES: usize = 64 * 1024;
const NOT_VERIFIED: &str = "This form could not be verified (its anti-forgery value is missing or stale). Nothing was changed. Reload the page and try again.";
const NO_ROLE: &str =
    "Your back-office user does not have the role this needs. Nothing was changed.";

/// A signed-in back-office user.
#[derive(Clone)]
pub(super) struct BackOfficeUser {
    pub(super) username: String,
    pub(super) roles: BTreeSet<Role>,
    /// The anti-forgery value of this session's forms.
    pub(super) csrf: String,
    /// The session cookie's value, to reach the session's one-time secret.
    pub(super) cookie: String,
}

impl std::fmt::Debug for BackOfficeUser {
    // The session id and the anti-forgery value are credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackOfficeUser")
            .field("username", &self.username)
            .field("roles", &self.roles)
            .finish_non_exhaustive()
    }
}

impl BackOfficeUser {
    pub(super) fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Change implies read: whoever may edit the table may see it.
    pub(super) fn can_view_api_access(&self) -> bool {
        self.has(Role::ApiAccessRead) || self.has(Role::ApiAccessChange)
    }

    /// The 403 page when the user does not hold `role`.
    pub(super) fn lacks(&self, role: Role) -> Option<Response> {
        let allowed = match role {
            Role::ApiAccessRead => self.can_view_api_access(),
            other => self.has(other),
        };
        (!allowed).then(|| forbidden(Some(self), NO_ROLE))
    }
}

fn signed_in(state: &AppState, headers: &HeaderMap) -> Option<BackOfficeUser> {
    let cookie = cookie_value(headers)?;
    let view = state.backoffice.get(&cookie)?;
    let username = view.user?;
    // Roles are read from the users file on every request: nothing is cached in the session.
    let roles = state.users.get(&username)?.backoffice_roles();
    (!roles.is_empty()).then_some(BackOfficeUser {
        username,
        roles,
        csrf: view.csrf,
        cookie,
    })
}

impl FromRequestParts<AppState> for BackOfficeUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        signed_in(state, &parts.headers)
            .ok_or_else(|| Redirect::to("/backoffice/login").into_response())
    }
}

/// A verified form post: a signed-in user, the right anti-forgery value, and the fields.
#[derive(Debug)]
pub(super) struct Posted {
    pub(super) user: BackOfficeUser,
    pub(super) fields: Fields,
}

fn same_secret(a: &str, b: &str) -> bool {
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

impl FromRequest<AppState> for Posted {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let user = signed_in(state, request.headers());
        let body = axum::body::to_bytes(request.into_body(), MAX_FORM_BYTES)
            .await
            .map_err(|_| forbidden(user.as_ref(), "The form is too large."))?;
        let Some(user) = user else {
            return Err(forbidden(None, NOT_VERIFIED));
        };
        let fields = Fields::parse(&body);
        if !fields
            .get("csrf")
            .is_some_and(|v| same_secret(v, &user.csrf))
        {
            return Err(forbidden(Some(&user), NOT_VERIFIED));
        }
        Ok(Posted { user, fields })
    }
}

fn login_form(csrf: &str, failed: bool) -> Response {
    page(
        StatusCode::OK,
        layout(
            "Sign in",
            None,
            html! {
                section.card.narrow {
                    h1 { "Sign in to the back office" }
                    @if failed {
                        div.alert role="alert" { "The user name or password is not correct." }
                    }
                    form method="post" action="/backoffice/login" {
                        input type="hidden" name="csrf" value=(csrf);
                        label for="username" { "User name" }
                        input #username type="text" name="username" autocomplete="username" required autofocus;
                        label for="password" { "Password" }
                        input #password type="password" name="password" autocomplete="current-password" required;
                        div.actions { button type="submit" { "Sign in" } }
                    }
                }
            },
        ),
    )
}

/// `GET /backoffice/login`: the form, in a fresh anonymous session unless one is live.
pub(super) async fn login_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if signed_in(&state, &headers).is_some() {
        return Redirect::to("/backoffice/").into_response();
    }
    if let Some(view) = cookie_value(&headers).and_then(|c| state.backoffice.get(&c)) {
        return login_form(&view.csrf, false);
    }
    let (cookie, view) = state.backoffice.create();
    with_cookie(login_form(&view.csrf, false), &state.issuer, &cookie)
}

/// `POST /backoffice/login`: the end users' throttle, keyed apart (TOKEN-AUTH-08), and a
/// new session id on success.
pub(super) async fn login(
    State(state): State<AppState>,
    peer: ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some((cookie, view)) =
        cookie_value(&headers).and_then(|c| state.backoffice.get(&c).map(|v| (c, v)))
    else {
        return forbidden(None, NOT_VERIFIED);
    };
    let fields = Fields::parse(&body);
    if !fields
        .get("csrf")
        .is_some_and(|v| same_secret(v, &view.csrf))
    {
        return forbidden(None, NOT_VERIFIED);
    }
    let (Some(username), Some(password)) = (fields.get("username"), fields.get("password")) else {
        return login_form(&view.csrf, true);
    };
    let now = state.clock.now_unix();
    let throttle_key = format!("backoffice:{username}");
    let from = crate::netaddr::client_addr(peer.0, &headers, &state.config.trusted_proxies);
    if state.throttle.blocked(&throttle_key, from, now).is_some() {
        return login_form(&view.csrf, true);
    }
    let verified = state
        .password_checks
        .verify(
            state.users.clone(),
            username.to_owned(),
            password.to_owned(),
        )
        .await
        .filter(|name| {
            state
                .users
                .get(name)
                .is_some_and(|user| !user.backoffice_roles().is_empty())
        });
    let Some(username) = verified else {
        state.throttle.record_failure(&throttle_key, from, now);
        tracing::info!("back-office sign-in refused");
        return login_form(&view.csrf, true);
    };
    let (new_cookie, _) = state.backoffice.login(&cookie, &username);
    tracing::info!(user = %username, "back-office sign-in");
    // 303: the browser must not resend the password (SEC-BCP-08).
    with_cookie(
        Redirect::to("/backoffice/").into_response(),
        &state.issuer,
        &new_cookie,
    )
}

pub(super) async fn logout(State(state): State<AppState>, posted: Posted) -> Response {
    state.backoffice.logout(&posted.user.cookie);
    with_cookie(
        Redirect::to("/backoffice/login").into_response(),
        &state.issuer,
        "",
    )
}

/// `GET /backoffice/`: the sections this user may open.
pub(super) async fn home(user: BackOfficeUser) -> Response {
    page(
        StatusCode::OK,
        layout(
            "Start",
            Some(&user),
            html! {
                section.card {
                    h1 { "Back office" }
                    p.lead { "Signed in as " strong { (user.username) } "." }
                    ul.sections {
                        @if user.has(Role::MerchantAdmin) {
                            li { a href="/backoffice/admin/api-clients" { "Admin > API clients" } " — OAuth clients of the 1-Click API and the Admin API" }
                        }
                        @if user.can_view_api_access() {
                            li { a href="/backoffice/settings/iam/api-access" { "Settings → IAM → API Access" } " — client IDs of the wallet" }
                        }
                    }
                }
            },
        ),
    )
}
