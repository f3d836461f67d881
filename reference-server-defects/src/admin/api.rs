//! The admin API as the defects bend it: a request body rewritten before the handlers read it,
//! an answer rewritten after, or an answer made here, from the handlers the server exports.

use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use reference_server::client::{AdminAccess, ClientKind};
use reference_server::routes::admin::{self, AdminCaller, AdminError};
use reference_server::secret::{ClientSecret, random_value};
use reference_server::state::AppState;
use reference_server::tokens::live_token;
use serde_json::{Map, Value};

use super::body::{misbuild, misread, names};
use super::store::MISBUILD;
use super::{bytes, dress, with_body};
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

/// An admin operation, as the server routes it.
#[derive(Debug, Clone)]
pub(super) enum Op {
    List,
    Create,
    Get(String),
    Edit(String),
    Delete(String),
    NewSecret(String),
}

impl Op {
    pub(super) fn of(method: &Method, path: &str) -> Option<Op> {
        let rest = path.strip_prefix("/admin/clients")?;
        if rest.is_empty() {
            return match *method {
                Method::GET => Some(Op::List),
                Method::POST => Some(Op::Create),
                _ => None,
            };
        }
        let rest = rest.strip_prefix('/')?;
        let (id, tail) = match rest.split_once('/') {
            Some((id, tail)) => (id, Some(tail)),
            None => (rest, None),
        };
        let id = percent_encoding::percent_decode_str(id)
            .decode_utf8()
            .ok()
            .filter(|id| !id.is_empty())?
            .into_owned();
        match (tail, method.clone()) {
            (None, Method::GET) => Some(Op::Get(id)),
            (None, Method::PATCH) => Some(Op::Edit(id)),
            (None, Method::DELETE) => Some(Op::Delete(id)),
            (Some("secret"), Method::POST) => Some(Op::NewSecret(id)),
            _ => None,
        }
    }
}

/// Runs the server's handler for `op` as `caller`.
async fn dispatch(state: &AppState, op: Op, caller: AdminCaller, body: Body) -> Response {
    let s = State(state.clone());
    match op {
        Op::List => admin::list(s, caller).await.into_response(),
        Op::Create => admin::create(s, caller, body).await.into_response(),
        Op::Get(id) => admin::get(s, caller, Path(id)).await.into_response(),
        Op::Edit(id) => admin::edit(s, caller, Path(id), body).await.into_response(),
        Op::Delete(id) => admin::delete(s, caller, Path(id)).await.into_response(),
        Op::NewSecret(id) => admin::new_secret(s, caller, Path(id), body)
            .await
            .into_response(),
    }
}

async fn bend(State(ctx): State<Ctx>, request: Request, next: Next) -> Response {
    let Some(op) = Op::of(request.method(), request.uri().path()) else {
        return next.run(request).await;
    };
    let state = &ctx.state;
    let headers = request.headers().clone();
    let dressed = |response| dress(response, &headers, true);
    match ctx.defect {
        Defect::AdminReadsOpen => {
            if matches!(op, Op::List | Op::Get(_))
                && !request.headers().contains_key(header::AUTHORIZATION)
            {
                let caller = AdminCaller {
                    client_id: "anonymous".to_owned(),
                    access: AdminAccess::Read,
                };
                return dressed(dispatch(state, op, caller, Body::empty()).await);
            }
            next.run(request).await
        }
        Defect::AdminReadCanChange => {
            let (mut parts, body) = request.into_parts();
            match AdminCaller::from_request_parts(&mut parts, state).await {
                Ok(caller) => {
                    let caller = AdminCaller {
                        access: AdminAccess::Change,
                        ..caller
                    };
                    dressed(dispatch(state, op, caller, body).await)
                }
                Err(refused) => dressed(refused.into_response()),
            }
        }
        Defect::AdminBearerScopeOnly => {
            if let Some(token) = bearer(request.headers())
                && let Ok(Some(live)) = live_token(state, token).await
                && live.is_access()
                && live.client.kind != ClientKind::Wallet
            {
                return dressed(AdminError::Forbidden.into_response());
            }
            next.run(request).await
        }
        _ => bend_body(ctx, op, request, next).await,
    }
}

/// The token of a single `Authorization: Bearer` header.
fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return None;
    };
    let (scheme, rest) = value.to_str().ok()?.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
}

/// The defects that read the JSON body or rewrite the answer.
async fn bend_body(ctx: Ctx, op: Op, request: Request, next: Next) -> Response {
    let state = &ctx.state;
    let defect = ctx.defect;
    let (mut parts, body) = request.into_parts();
    let headers = parts.headers.clone();
    let Some(raw) = bytes(body).await else {
        return dress(AdminError::TooLarge.into_response(), &headers, true);
    };
    let mut object = match serde_json::from_slice::<Value>(&raw) {
        Ok(Value::Object(object)) => Some(object),
        _ if raw.is_empty() => Some(Map::new()),
        _ => None,
    };
    let read = object.clone().unwrap_or_default();
    let writes = matches!(op, Op::Create | Op::Edit(_));
    let current = match &op {
        Op::Edit(id) => state
            .store
            .client(id)
            .await
            .ok()
            .flatten()
            .map(|r| r.client),
        _ => None,
    };
    if let (true, Some(given)) = (writes, &object)
        && let Some(refusal) = refused(&ctx, &op, &mut parts, given, current.is_some()).await
    {
        return dress(refusal, &headers, true);
    }
    let misbuild = match (writes, &mut object) {
        (true, Some(given)) => {
            let misbuild = misbuild(state, defect, given, current.as_ref());
            misread(state, defect, given, current.as_ref());
            misbuild
        }
        _ => None,
    };
    let asked_revoke = match (&op, &mut object) {
        (Op::NewSecret(_), Some(given)) => revoke_as_bent(defect, given),
        _ => None,
    };
    // Written anew only if changed, so that what the defect leaves alone reaches the handler as sent.
    let body = match &object {
        Some(object) if *object != read => {
            serde_json::to_vec(object).unwrap_or_else(|_| raw.to_vec())
        }
        _ => raw.to_vec(),
    };
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    let request = Request::from_parts(parts, Body::from(body));
    let response = match misbuild.clone() {
        Some(misbuild) => MISBUILD.scope(misbuild, next.run(request)).await,
        None => next.run(request).await,
    };
    if !response.status().is_success() {
        return response;
    }
    // After a success.
    if let (Op::Edit(id), true) = (&op, defect == Defect::DisplayEditRevokesTokens) {
        let named = |field| object.as_ref().is_some_and(|o| names(o, field));
        if (named("name") || named("notes"))
            && let Ok(Some(record)) = state.store.client(id).await
        {
            let _ = state
                .store
                .replace_secret(record.client.row_id, record.secret_hash, true)
                .await;
        }
    }
    let (parts, body) = response.into_parts();
    let Some(answer) = bytes(body).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let response = Response::from_parts(parts, Body::from(answer.clone()));
    let Ok(mut value) = serde_json::from_slice::<Value>(&answer) else {
        return response;
    };
    let answered = value.clone();
    if let (Op::Edit(id), Some(_)) = (&op, &misbuild) {
        // The handler shows the client it built; the store holds it as the defect built it.
        let caller = AdminCaller {
            client_id: "layer".to_owned(),
            access: AdminAccess::Read,
        };
        let shown = dispatch(state, Op::Get(id.clone()), caller, Body::empty()).await;
        if let Some(shown) = bytes(shown.into_body()).await
            && let Ok(shown) = serde_json::from_slice(&shown)
        {
            value = shown;
        }
    }
    match (defect, &op) {
        (Defect::SecretPadded, Op::Create)
            if !object.as_ref().is_some_and(|o| names(o, "client_secret")) =>
        {
            pad_secret(state, &mut value).await;
        }
        (Defect::NewSecretRevokesAll | Defect::NewSecretKeepsTokens, Op::NewSecret(_)) => {
            if let (Some(asked), Some(answer)) = (asked_revoke, value.as_object_mut()) {
                answer.insert("tokens_revoked".to_owned(), Value::Bool(asked));
            }
        }
        (Defect::OneClickGrantsShowRefresh, _) => {
            for view in views(&mut value) {
                if view.get("kind").and_then(Value::as_str) == Some(ClientKind::OneClick.as_str())
                    && let Some(Value::Array(grants)) = view.get_mut("grants")
                {
                    grants.push(Value::from("refresh_token"));
                }
            }
        }
        (Defect::ExpiredFlagStale, _) => {
            for view in views(&mut value) {
                let Some(id) = view.get("client_id").and_then(Value::as_str) else {
                    continue;
                };
                if let Ok(Some(record)) = state.store.client(id).await {
                    let client = record.client;
                    let stale = client.is_expired(client.updated_at);
                    view.insert("expired".to_owned(), Value::Bool(stale));
                }
            }
        }
        _ => {}
    }
    if value == answered {
        return response;
    }
    let mut response = with_body(response, serde_json::to_vec(&value).unwrap_or_default());
    if let (Some(location), Some(id)) = (
        response.headers().get(header::LOCATION),
        value.get("client_id").and_then(Value::as_str),
    ) {
        // The client id may have been built otherwise than the handler saw it.
        let wanted = format!(
            "/admin/clients/{}",
            percent_encoding::utf8_percent_encode(id, percent_encoding::NON_ALPHANUMERIC)
        );
        if location.as_bytes() != wanted.as_bytes()
            && let Ok(wanted) = HeaderValue::from_str(&wanted)
        {
            response.headers_mut().insert(header::LOCATION, wanted);
        }
    }
    response
}

/// The client views in an answer: a list's, or the answer itself.
fn views(value: &mut Value) -> Vec<&mut Map<String, Value>> {
    if value.get("clients").is_some() {
        return match value.get_mut("clients") {
            Some(Value::Array(clients)) => clients
                .iter_mut()
                .filter_map(Value::as_object_mut)
                .collect(),
            _ => Vec::new(),
        };
    }
    match value.as_object_mut() {
        Some(view) if view.contains_key("kind") && view.contains_key("grants") => vec![view],
        _ => Vec::new(),
    }
}

/// An answer refusing the body, made here, for a caller that may change clients.
async fn refused(
    ctx: &Ctx,
    op: &Op,
    parts: &mut Parts,
    given: &Map<String, Value>,
    exists: bool,
) -> Option<Response> {
    let refusal = match ctx.defect {
        Defect::AdminErrorEchoesSecret if matches!(op, Op::Edit(_)) => {
            let secret = given.get("client_secret")?.as_str()?;
            AdminError::invalid(
                "client_secret",
                &format!("client_secret {secret} cannot be edited"),
            )
        }
        Defect::NotesCountBytes if matches!(op, Op::Create) || exists => {
            let notes = given.get("notes")?.as_str()?;
            if notes.len() <= 1_000 {
                return None;
            }
            AdminError::invalid("notes", "at most 1000 characters")
        }
        _ => return None,
    };
    // The caller is checked first, as the handlers do.
    match AdminCaller::from_request_parts(parts, &ctx.state).await {
        Ok(caller) => match caller.require(AdminAccess::Change) {
            Ok(()) => Some(refusal.into_response()),
            Err(_) => None,
        },
        Err(refused) => Some(refused.into_response()),
    }
}

/// New Secret's `revoke_tokens` as the defect sets it; returns what was asked.
fn revoke_as_bent(defect: Defect, given: &mut Map<String, Value>) -> Option<bool> {
    let forced = match defect {
        Defect::NewSecretRevokesAll => true,
        Defect::NewSecretKeepsTokens => false,
        _ => return None,
    };
    let asked = match given.get("revoke_tokens") {
        None => false,
        Some(Value::Bool(asked)) => *asked,
        // Not a boolean: the handler refuses it as it is.
        Some(_) => return None,
    };
    given.insert("revoke_tokens".to_owned(), Value::Bool(forced));
    Some(asked)
}

/// Replaces the secret a create generated by one that ends in base64 padding.
async fn pad_secret(state: &AppState, value: &mut Value) {
    let Some(id) = value.get("client_id").and_then(Value::as_str) else {
        return;
    };
    let Ok(Some(record)) = state.store.client(id).await else {
        return;
    };
    let padded = ClientSecret::new(format!("{}=", random_value()));
    let replaced = state
        .store
        .replace_secret(record.client.row_id, padded.digest(), false)
        .await;
    if let (Ok(true), Some(answer)) = (replaced, value.as_object_mut()) {
        answer.insert(
            "client_secret".to_owned(),
            Value::from(padded.secret().to_owned()),
        );
    }
}
