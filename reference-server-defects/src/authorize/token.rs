//! The code and refresh grants at the token endpoint, read or answered wrongly (TOKEN-CODE-01,
//! TOKEN-CODE-05, TOKEN-RT-01, PKCE-01, TOKEN-RESP-05), and the subject tokens show (SEC-BCP-10).

use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use reference_server::client::ClientKind;
use reference_server::secret::Digest;

use super::Ctx;
use super::http;
use crate::Defect;

pub(super) async fn rewrite(ctx: &Ctx, request: Request, next: Next) -> Response {
    if request.method() != Method::POST || request.uri().path() != "/oauth/token" {
        return next.run(request).await;
    }
    let (mut request, pairs) = http::form(request).await;
    let Some(mut pairs) = pairs else {
        return next.run(request).await;
    };
    let grant_type = http::last(&pairs, "grant_type")
        .unwrap_or_default()
        .to_owned();
    let code_grant = grant_type == "authorization_code";
    let before = pairs.clone();
    match ctx.defect {
        // A verifier with `~` never matches, though RFC 7636 §4.1 allows the character.
        Defect::PkceVerifierTildeRefused if code_grant => {
            for (_, value) in pairs.iter_mut().filter(|(n, _)| n == "code_verifier") {
                *value = value.replace('~', ".");
            }
        }
        // The redirect URI of the authorization request, if the one given differs only in
        // its query.
        Defect::CodeRedirectQueryIgnored if code_grant => {
            let authorized = http::single(&pairs, "code").and_then(|code| {
                let codes = ctx.memory.codes();
                codes
                    .get(&Digest::of(code))
                    .and_then(|(record, _)| record.redirect_uri.clone())
            });
            let given = http::single(&pairs, "redirect_uri");
            if let (Some(authorized), Some(given)) = (authorized, given)
                && authorized.split('?').next() == given.split('?').next()
            {
                http::set(&mut pairs, "redirect_uri", &authorized);
            }
        }
        Defect::ShortCodes if code_grant => {
            let full = http::single(&pairs, "code")
                .and_then(|code| ctx.memory.short_codes().get(code).cloned());
            if let Some(full) = full {
                http::set(&mut pairs, "code", &full);
            }
        }
        _ => {}
    }
    if pairs != before {
        http::set_form(&mut request, &pairs);
    }
    let response = next.run(request).await;
    match ctx.defect {
        Defect::CodeScopeOmitted if code_grant && response.status() == StatusCode::OK => {
            http::edit_json(response, |body| {
                body.remove("scope");
            })
            .await
        }
        Defect::RefreshMissingTokenInvalidGrant
            if grant_type == "refresh_token"
                && http::last(&pairs, "refresh_token").is_none()
                && response.status() == StatusCode::BAD_REQUEST =>
        {
            http::edit_json(response, |body| {
                if body.get("error_description")
                    == Some(&serde_json::json!("refresh_token is required"))
                {
                    body.insert("error".to_owned(), "invalid_grant".into());
                    body.insert(
                        "error_description".to_owned(),
                        "the grant is invalid, expired, revoked or was issued to another client"
                            .into(),
                    );
                }
            })
            .await
        }
        _ => response,
    }
}

/// WalletBareSubject: a wallet's tokens carry its bare name as subject, the part after
/// `wallet-{key}-`, so that it reads like a user's (SEC-BCP-10).
pub(super) async fn bare_wallet_subject(ctx: &Ctx, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let shows_subject = path == "/oauth/introspect" || path.starts_with("/resources/");
    let response = next.run(request).await;
    if !shows_subject || response.status() != StatusCode::OK {
        return response;
    }
    let Some((parts, bytes)) = http::body(response).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let client_id = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .filter(|view| view.get("sub").is_some() && view.get("sub") == view.get("client_id"))
        .and_then(|view| view["client_id"].as_str().map(str::to_owned));
    let response = Response::from_parts(parts, axum::body::Body::from(bytes));
    let Some(client_id) = client_id else {
        return response;
    };
    let wallet = matches!(
        ctx.state.store.client(&client_id).await,
        Ok(Some(record)) if record.client.kind == ClientKind::Wallet
    );
    if !wallet {
        return response;
    }
    let bare = client_id
        .splitn(3, '-')
        .nth(2)
        .unwrap_or_default()
        .to_owned();
    http::edit_json(response, |view| {
        view.insert("sub".to_owned(), bare.into());
    })
    .await
}
