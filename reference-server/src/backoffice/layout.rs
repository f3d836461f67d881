//! The back office's frame: layout, navigation, response headers, its stylesheet and script,
//! and the three icons (inline SVG: no font or image to fetch).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use super::Role;
use super::auth::BackOfficeUser;

/// Same-origin script and style only; no inline script, no framing, forms post home
/// (SEC-BCP-06).
pub(super) const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                       form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const STYLESHEET: &str = include_str!("../../assets/backoffice.css");
const SCRIPT: &str = include_str!("../../assets/backoffice.js");

/// A page: HTML, never cached (some show a secret, all show client data), not frameable,
/// no referrer.
pub(super) fn page(status: StatusCode, markup: Markup) -> Response {
    let mut response = (status, markup.into_string()).into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CACHE_CONTROL, "no-store"),
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// A whole back-office page; `user` is `None` on the sign-in page.
pub(super) fn layout(title: &str, user: Option<&BackOfficeUser>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                title { (title) " · Back office" }
                link rel="stylesheet" href="/backoffice/assets/backoffice.css";
                script src="/backoffice/assets/backoffice.js" defer {}
            }
            body {
                header.bar {
                    a.brand href="/backoffice/" { span.mark { "BO" } " Back office" }
                    @if let Some(user) = user {
                        nav aria-label="Main" {
                            @if user.has(Role::MerchantAdmin) {
                                a href="/backoffice/admin/api-clients" { "Admin > API clients" }
                            }
                            @if user.can_view_api_access() {
                                a href="/backoffice/settings/iam/api-access" { "Settings → IAM → API Access" }
                            }
                        }
                        form.signout method="post" action="/backoffice/logout" {
                            input type="hidden" name="csrf" value=(user.csrf);
                            span.who { (user.username) }
                            button.link type="submit" { "Sign out" }
                        }
                    }
                }
                main { (body) }
                footer { "Reference Authorization Server · back office sandbox · do not enter real credentials" }
            }
        }
    }
}

/// The anti-forgery field every form carries.
pub(super) fn csrf_field(user: &BackOfficeUser) -> Markup {
    html! { input type="hidden" name="csrf" value=(user.csrf); }
}

/// 403: the form could not be verified, or the user lacks the role. Nothing was changed.
pub(super) fn forbidden(user: Option<&BackOfficeUser>, message: &str) -> Response {
    page(
        StatusCode::FORBIDDEN,
        layout(
            "Not allowed",
            user,
            html! {
                section.card {
                    h1 { "Not allowed" }
                    div.alert role="alert" { (message) }
                    p { a href="/backoffice/" { "Back to the start page" } }
                }
            },
        ),
    )
}

pub(super) fn not_found(user: &BackOfficeUser) -> Response {
    page(
        StatusCode::NOT_FOUND,
        layout(
            "Not found",
            Some(user),
            html! {
                section.card {
                    h1 { "Not found" }
                    p { "There is no such client. It may have been deleted." }
                    p { a href="/backoffice/" { "Back to the start page" } }
                }
            },
        ),
    )
}

/// A masked secret with **Show** and a copy button (the script makes them work).
pub(super) fn secret_field(id: &str, label: &str, secret: &str) -> Markup {
    html! {
        label for=(id) { (label) }
        div.secret {
            input id=(id) type="password" readonly value=(secret) autocomplete="off" spellcheck="false";
            button.secondary type="button" data-show=(id) aria-pressed="false" { "Show" }
            button.secondary type="button" data-copy=(id) { "Copy" }
        }
    }
}

fn icon(path: &str) -> Markup {
    html! {
        svg.icon viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false" {
            path d=(path) {}
        }
    }
}

pub(super) fn pencil_icon() -> Markup {
    icon(
        "M3 17.25V21h3.75L17.81 9.94l-3.75-3.75L3 17.25zm17.71-10.21a1 1 0 0 0 0-1.41l-2.34-2.34a1 1 0 0 0-1.41 0l-1.83 1.83 3.75 3.75 1.83-1.83z",
    )
}

pub(super) fn trash_icon() -> Markup {
    icon("M6 19c0 1.1.9 2 2 2h8c1.1 0 2-.9 2-2V7H6v12zM19 4h-3.5l-1-1h-5l-1 1H5v2h14V4z")
}

pub(super) fn warning_icon() -> Markup {
    icon("M1 21h22L12 2 1 21zm12-3h-2v-2h2v2zm0-4h-2v-4h2v4z")
}

/// Text of a field's error, next to the field; `id` ties it to the input (`aria-describedby`).
pub(super) fn field_error(id: &str, message: Option<&str>) -> Markup {
    html! {
        @if let Some(message) = message {
            p.field-error id=(format!("{id}-error")) role="alert" { (message) }
        }
    }
}

/// `aria-describedby` and `aria-invalid` for an input whose field has an error.
pub(super) fn described(id: &str, message: Option<&str>) -> (Option<String>, Option<&'static str>) {
    message.map_or((None, None), |_| {
        (Some(format!("{id}-error")), Some("true"))
    })
}

async fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}

pub(super) async fn stylesheet() -> Response {
    asset(STYLESHEET, "text/css; charset=utf-8").await
}

pub(super) async fn script() -> Response {
    asset(SCRIPT, "text/javascript; charset=utf-8").await
}

/// The confirmation before a delete: **Yes** posts, **No** goes back (seed 002 › Delete).
pub(super) fn confirm_delete(
    user: &BackOfficeUser,
    what: &str,
    action: &str,
    back: &str,
) -> Markup {
    layout(
        "Delete",
        Some(user),
        html! {
            section.card.dialog role="dialog" aria-labelledby="confirm-title" aria-describedby="confirm-text" {
                h1 #confirm-title { "Delete " (what) "?" }
                p #confirm-text {
                    "This permanently revokes access for " strong { (what) } ": its secret and every token issued to it stop working at once."
                }
                form method="post" action=(action) {
                    (csrf_field(user))
                    div.actions {
                        button.danger type="submit" { "Yes" }
                        a.button.secondary href=(back) { "No" }
                    }
                }
            }
        },
    )
}
