//! The server's own HTML pages: login, consent and errors (RFC 6749 §3.1, §4.1.1).
//!
//! Rendered with maud, which escapes every interpolated value, so reflected input such as a
//! `state` or a `redirect_uri` carrying markup arrives as text (AUTHZ-REDIR-05). Pages load
//! only the same-origin stylesheet and may not be framed (SEC-BCP-06).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

/// Tighter than the API's policy: pages need their stylesheet and nothing else.
const PAGE_CSP: &str =
    "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'";
pub const STYLESHEET: &str = include_str!("../assets/app.css");

fn layout(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                title { (title) " · Reference Authorization Server" }
                link rel="stylesheet" href="/assets/app.css";
            }
            body {
                header { span.mark { "AS" } span.title { "Reference Authorization Server" } }
                main { div.card { (body) } }
                footer { "OAuth 2.0 sandbox · do not enter real credentials" }
            }
        }
    }
}

/// A page response: HTML, not cacheable, not frameable, no referrer.
pub fn page(status: StatusCode, markup: Markup) -> Response {
    let mut response = (status, markup.into_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PAGE_CSP),
    );
    response
}

pub fn login(return_to: &str, csrf: &str, failed: bool) -> Markup {
    layout(
        "Sign in",
        html! {
            h1 { "Sign in" }
            p.lead { "An application asks for access to your account. Sign in to continue." }
            @if failed {
                div.alert role="alert" { "The user name or password is not correct." }
            }
            form method="post" action="/oauth/login" {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="return_to" value=(return_to);
                label for="username" { "User name" }
                input #username type="text" name="username" autocomplete="username" required autofocus;
                label for="password" { "Password" }
                input #password type="password" name="password" autocomplete="current-password" required;
                div.actions { button type="submit" { "Sign in" } }
            }
        },
    )
}

/// What the consent page shows about a request.
#[derive(Debug)]
pub struct ConsentView<'a> {
    pub client_name: Option<&'a str>,
    pub client_id: &'a str,
    pub scopes: Vec<&'a str>,
    pub resources: Vec<&'a str>,
    pub redirect_host: &'a str,
    pub username: &'a str,
    pub ticket: &'a str,
    pub csrf: &'a str,
}

pub fn consent(view: &ConsentView<'_>) -> Markup {
    let shown_name = view.client_name.unwrap_or(view.client_id);
    layout(
        "Authorize access",
        html! {
            h1 { "Authorize " (shown_name) }
            p.lead { "This application asks for access on your behalf." }
            dl {
                dt { "Application" } dd { (shown_name) }
                dt { "Client ID" } dd { (view.client_id) }
                dt { "Returns to" } dd { (view.redirect_host) }
                dt { "Resources" } dd {
                    ul.scopes { @for resource in &view.resources { li { (resource) } } }
                }
                dt { "Scopes" } dd {
                    @if view.scopes.is_empty() { "none" }
                    @else { ul.scopes { @for scope in &view.scopes { li { (scope) } } } }
                }
            }
            form method="post" action="/oauth/consent" {
                input type="hidden" name="csrf" value=(view.csrf);
                input type="hidden" name="ticket" value=(view.ticket);
                div.actions {
                    button type="submit" name="decision" value="approve" { "Allow access" }
                    button.secondary type="submit" name="decision" value="deny" { "Deny" }
                }
            }
            p.who { "Signed in as " strong { (view.username) } }
        },
    )
}

pub fn error(title: &str, message: &str) -> Markup {
    layout(
        title,
        html! {
            h1 { (title) }
            div.alert role="alert" { (message) }
            p.lead { "You were not sent back to the application because the request could not be trusted. Close this page, or return to the application and start again." }
        },
    )
}

/// A 400 error page: the server's own answer, never a redirect (AUTHZ-REDIR-01, -02).
pub fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    page(status, error(title, message))
}

/// `GET /assets/app.css`: the pages' one stylesheet, cacheable (it holds no secret).
pub async fn stylesheet() -> Response {
    let mut response = STYLESHEET.into_response();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authz_redir_05_reflected_values_are_escaped() {
        let markup = error("Invalid request", "\"><script>alert(1)</script>").into_string();
        assert!(!markup.contains("<script>"), "{markup}");
        assert!(markup.contains("&quot;&gt;&lt;script&gt;"));
        let login = login("/oauth/authorize?state=\"><script>", "c", false).into_string();
        assert!(!login.contains("\"><script>"));
    }

    #[test]
    fn pages_load_nothing_from_third_parties() {
        let markup = login("/oauth/authorize", "c", true).into_string();
        for needle in ["http://", "https://", "//cdn", "<script"] {
            assert!(!markup.contains(needle), "{needle} in {markup}");
        }
    }
}
