//! A client_credentials request's scope as the defects read it: folded to the client's allowed
//! values, or, for a wallet, granted as asked (the store lends the wallet the roles it asks for).

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::{self, Next};
use axum::response::Response;
use reference_server::auth::credentials;
use reference_server::form;
use reference_server::state::AppState;

use super::store::ASKED_SCOPE;
use super::{bytes, request_with_form, rewrite_form};
use crate::Defect;

/// The layer for `defect`.
pub(super) fn layer(defect: Defect) -> impl FnOnce(Router, &AppState) -> Router + Send + 'static {
    move |router, state| {
        let ctx = Ctx {
            state: state.clone(),
            defect,
        };
        router.layer(middleware::from_fn_with_state(ctx, bend))
    }
}

#[derive(Clone)]
struct Ctx {
    state: AppState,
    defect: Defect,
}

async fn bend(State(ctx): State<Ctx>, request: Request, next: Next) -> Response {
    if request.method() != Method::POST || request.uri().path() != "/oauth/token" {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let raw = bytes(body).await.unwrap_or_default();
    let Ok(form) = form::parse(&raw) else {
        return next.run(Request::from_parts(parts, Body::from(raw))).await;
    };
    let asked = match (form.get("grant_type"), form.get("scope")) {
        (Some("client_credentials"), Some(scope)) => scope.to_owned(),
        _ => return next.run(Request::from_parts(parts, Body::from(raw))).await,
    };
    if ctx.defect == Defect::WalletScopeUnchecked {
        let values = asked.split(' ').map(str::to_owned).collect();
        let request = Request::from_parts(parts, Body::from(raw));
        return ASKED_SCOPE.scope(values, next.run(request)).await;
    }
    // Each value matched to an allowed one ignoring case.
    let client = match credentials(&parts.headers, &form) {
        Ok(credentials) => ctx.state.store.client(&credentials.client_id).await,
        Err(_) => Ok(None),
    };
    let folded = match client {
        Ok(Some(record)) => {
            let allowed = record.client.allowed_scopes();
            let folded: Vec<&str> = asked
                .split(' ')
                .map(|value| {
                    allowed
                        .iter()
                        .find(|a| a.eq_ignore_ascii_case(value))
                        .map_or(value, String::as_str)
                })
                .collect();
            folded.join(" ")
        }
        _ => asked.clone(),
    };
    let rewritten = (folded != asked)
        .then(|| rewrite_form(&raw, |name, _| (name == "scope").then(|| folded.clone())))
        .flatten();
    next.run(request_with_form(parts, raw, rewritten)).await
}
