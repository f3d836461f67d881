//! One module per endpoint; each handler parses, delegates and encodes.

pub mod admin;
pub(crate) mod authorize;
pub(crate) mod check_token;
pub(crate) mod introspect;
pub mod metadata;
pub(crate) mod resources;
pub mod revoke;
pub(crate) mod test_clock;
pub mod token;

use axum::Json;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::auth::{Source, authenticate, credentials};
use crate::client::Client;
use crate::error::OAuthError;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequest, Request};

use crate::form::{Form, OAuthForm};
use crate::netaddr::client_addr;
use crate::state::AppState;

/// A JSON answer that must not be cached: it carries a token, a secret or a token's state.
pub(crate) fn no_store_json<T: serde::Serialize>(
    status: axum::http::StatusCode,
    body: T,
) -> Response {
    let mut response = (status, Json(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// A request from a client that proved its secret from an admitted address (IP-02, IP-03,
/// AMB-08), with its form body: a handler that takes one never sees an unauthenticated caller.
#[derive(Debug)]
pub struct AuthenticatedClient {
    pub client: Client,
    pub form: Form,
}

impl FromRequest<AppState> for AuthenticatedClient {
    type Rejection = OAuthError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0)
            .ok_or_else(|| OAuthError::internal("the connection's peer address is unknown"))?;
        let headers = request.headers().clone();
        let at_token_endpoint = request.uri().path() == "/oauth/token";
        let OAuthForm(form) = OAuthForm::from_request(request, state).await?;
        let credentials = credentials(&headers, &form)?;
        let addr = client_addr(peer, &headers, &state.config.trusted_proxies);
        let source = if state
            .policy
            .whitelist_applies(at_token_endpoint, form.get("grant_type"))
        {
            Source::Address(addr)
        } else {
            Source::Ignore
        };
        let client = authenticate(state, &credentials, source, addr).await?;
        Ok(Self { client, form })
    }
}
