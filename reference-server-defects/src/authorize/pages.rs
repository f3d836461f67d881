//! The pages' headers, their redirects, and metadata members (SEC-BCP-04, -06 to -09,
//! AUTHZ-REDIR-05, AUTHZ-REQ-01).

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use reference_server::routes::metadata::WELL_KNOWN;

use super::Ctx;
use super::http::{self, Answer};
use crate::Defect;

/// The login, consent and error pages and the authorization endpoint.
fn is_page(path: &str) -> bool {
    matches!(path, "/oauth/authorize" | "/oauth/login" | "/oauth/consent")
}

/// PagesFramable, PagesLeakReferrer, AuthorizeCors, ErrorPageWithoutCharset, and the back
/// office's two (its pages only).
pub(super) async fn headers(ctx: &Ctx, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let applies = match ctx.defect {
        Defect::BackofficeFramable | Defect::BackofficeLeaksReferrer => {
            path.starts_with("/backoffice/")
        }
        _ => is_page(path),
    };
    if !applies {
        return next.run(request).await;
    }
    let mut response = next.run(request).await;
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    let status = response.status();
    let headers = response.headers_mut();
    match ctx.defect {
        Defect::PagesFramable | Defect::BackofficeFramable if html => {
            headers.insert(
                header::X_FRAME_OPTIONS,
                HeaderValue::from_static("ALLOWALL"),
            );
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; style-src 'self'"),
            );
        }
        Defect::PagesLeakReferrer | Defect::BackofficeLeaksReferrer if html => {
            headers.insert(
                header::REFERRER_POLICY,
                HeaderValue::from_static("strict-origin-when-cross-origin"),
            );
            // The page's own policy too, which browsers apply over the header's.
            let Some((mut parts, bytes)) = http::body(response).await else {
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            };
            let page = String::from_utf8_lossy(&bytes)
                .replace(r#"<meta name="referrer" content="no-referrer">"#, "");
            parts.headers.remove(header::CONTENT_LENGTH);
            return Response::from_parts(parts, Body::from(page));
        }
        Defect::AuthorizeCors => {
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            );
        }
        Defect::ErrorPageWithoutCharset if html && status == StatusCode::BAD_REQUEST => {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
        }
        _ => {}
    }
    response
}

/// Login307 and ConsentRedirect307: the 303 after a form POST becomes a 307, which the
/// browser answers by sending the form again to the next URL (SEC-BCP-08, AUTHZ-REQ-01).
pub(super) async fn replayed(ctx: &Ctx, request: Request, next: Next) -> Response {
    let path = match ctx.defect {
        Defect::Login307 => "/oauth/login",
        _ => "/oauth/consent",
    };
    let applies = request.method() == Method::POST && request.uri().path() == path;
    let mut response = next.run(request).await;
    // The consent's 307 is its approval's only: a denial is still a 303.
    let approved = || Answer::of(&response).is_some_and(|a| a.get("code").is_some());
    if applies
        && response.status() == StatusCode::SEE_OTHER
        && (ctx.defect == Defect::Login307 || approved())
    {
        *response.status_mut() = StatusCode::TEMPORARY_REDIRECT;
    }
    response
}

/// ImplicitAdvertised, PasswordGrantAdvertised, MetadataHttpUri: members added to the
/// metadata document (SEC-BCP-04, SEC-BCP-09).
pub(super) async fn metadata(ctx: &Ctx, request: Request, next: Next) -> Response {
    if !request.uri().path().starts_with(WELL_KNOWN) {
        return next.run(request).await;
    }
    let response = next.run(request).await;
    if response.status() != StatusCode::OK {
        return response;
    }
    let defect = ctx.defect;
    http::edit_json(response, |document| {
        let mut push = |member: &str, value: &str| {
            if let Some(list) = document.get_mut(member).and_then(|v| v.as_array_mut()) {
                list.push(value.into());
            }
        };
        match defect {
            Defect::ImplicitAdvertised => push("grant_types_supported", "implicit"),
            Defect::PasswordGrantAdvertised => push("grant_types_supported", "password"),
            _ => {
                document.insert(
                    "op_policy_uri".to_owned(),
                    "http://policy.example/oauth".into(),
                );
            }
        }
    })
    .await
}
