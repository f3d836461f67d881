//! Client administration: `/admin/clients`, `/admin/clients/{client_id}`,
//! `/admin/clients/{client_id}/secret` (ADMIN-*, ROLE-*, EXP-01, EXP-05; AMB-15 to AMB-19, AMB-35).
//!
//! Callers authenticate as a client holding an admin permission, with `Authorization: Basic`
//! (its id and secret) or `Authorization: Bearer` (one of its live access tokens). Read lists and
//! gets; change also creates, edits, deletes and issues new secrets. A secret appears in exactly
//! two responses: the create and the new-secret answer, both `Cache-Control: no-store` (AMB-17).

use axum::Json;
use axum::body::Body;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::auth::{Source, authenticate, parse_basic};
use crate::client::{
    AdminAccess, Client, ClientKind, ClientSpec, FieldError, Rules, validate_edit, validate_new,
};
use crate::error::{ErrorCode, OAuthError};
use crate::secret::{ClientSecret, random_value};
use crate::state::AppState;
use crate::store::StoreError;
use crate::tokens::live_token;

const MAX_BODY_BYTES: usize = 64 * 1024;

#[derive(Debug)]
pub enum AdminError {
    Unauthenticated,
    Throttled(OAuthError),
    Forbidden,
    NotFound,
    Conflict(&'static str),
    Invalid(FieldError),
    TooLarge,
    Internal(String),
}

impl AdminError {
    pub fn invalid(field: &str, message: &str) -> Self {
        AdminError::Invalid(FieldError::new(field, message))
    }
}

impl From<StoreError> for AdminError {
    fn from(error: StoreError) -> Self {
        AdminError::Internal(error.to_string())
    }
}

impl From<OAuthError> for AdminError {
    fn from(error: OAuthError) -> Self {
        match error.code() {
            ErrorCode::SlowDown => AdminError::Throttled(error),
            ErrorCode::InvalidClient | ErrorCode::InvalidRequest => AdminError::Unauthenticated,
            _ => AdminError::Internal(format!("{error:?}")),
        }
    }
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            AdminError::Throttled(inner) => return inner.into_response(),
            AdminError::Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                json!({"error": "invalid_client", "error_description": "authenticate as an admin client (Basic or Bearer)"}),
            ),
            AdminError::Forbidden => (
                StatusCode::FORBIDDEN,
                json!({"error": "access_denied", "error_description": "this needs the admin change permission"}),
            ),
            AdminError::NotFound => (
                StatusCode::NOT_FOUND,
                json!({"error": "not_found", "error_description": "no such client"}),
            ),
            AdminError::Conflict(field) => (
                StatusCode::CONFLICT,
                json!({"error": "client_id_taken", "error_description": "a client with this id exists already", "field": field}),
            ),
            AdminError::Invalid(FieldError {
                field,
                message,
                misplaced,
            }) => {
                // RFC 7591 §3.2.2 names these two codes for the same situation at registration.
                let error = if field.starts_with("redirect_urls") && !misplaced {
                    "invalid_redirect_uri"
                } else {
                    "invalid_client_metadata"
                };
                (
                    StatusCode::BAD_REQUEST,
                    json!({"error": error, "error_description": message, "field": field}),
                )
            }
            AdminError::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                json!({"error": "invalid_request", "error_description": "the request body is too large"}),
            ),
            AdminError::Internal(detail) => {
                tracing::error!(error = %detail, "admin request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({"error": "server_error", "error_description": "the server could not complete the request"}),
                )
            }
        };
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"admin\", Bearer realm=\"admin\""),
            );
        }
        response
    }
}

/// A caller with some admin permission (ADMIN-01).
#[derive(Debug)]
pub struct AdminCaller {
    pub client_id: String,
    pub access: AdminAccess,
}

impl AdminCaller {
    pub fn require(&self, needed: AdminAccess) -> Result<(), AdminError> {
        if self.access >= needed {
            Ok(())
        } else {
            Err(AdminError::Forbidden)
        }
    }
}

impl FromRequestParts<AppState> for AdminCaller {
    type Rejection = AdminError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let mut values = parts.headers.get_all(header::AUTHORIZATION).iter();
        let (Some(value), None) = (values.next(), values.next()) else {
            return Err(AdminError::Unauthenticated);
        };
        let text = value.to_str().map_err(|_| AdminError::Unauthenticated)?;
        let (scheme, rest) = text.split_once(' ').ok_or(AdminError::Unauthenticated)?;
        let (client, access) = if scheme.eq_ignore_ascii_case("bearer") {
            let live = live_token(state, rest.trim())
                .await?
                .filter(|t| t.is_access())
                .ok_or(AdminError::Unauthenticated)?;
            // A wallet token carries its roles as scope: it acts with what it was granted.
            let access = match live.client.kind {
                ClientKind::Wallet => {
                    let resource = &state.catalogue.wallet.admin_resource;
                    if live.scope.contains(&format!("{resource}:change")) {
                        Some(AdminAccess::Change)
                    } else if live.scope.contains(&format!("{resource}:view")) {
                        Some(AdminAccess::Read)
                    } else {
                        None
                    }
                }
                _ => live.client.admin_access(&state.catalogue),
            };
            (live.client, access)
        } else {
            let (client_id, secret) =
                parse_basic(value.as_bytes()).ok_or(AdminError::Unauthenticated)?;
            let credentials = crate::auth::Credentials {
                client_id,
                secret: ClientSecret::new(secret),
                method: crate::auth::AuthMethod::Basic,
            };
            // The admin API has its own authorization: the whitelist is for OAuth calls (AMB-08).
            // The caller's address still keys the brute-force guard (TOKEN-AUTH-08).
            let from = parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .and_then(|info| {
                    crate::netaddr::client_addr(
                        info.0,
                        &parts.headers,
                        &state.config.trusted_proxies,
                    )
                });
            let client = authenticate(state, &credentials, Source::Ignore, from).await?;
            let access = client.admin_access(&state.catalogue);
            (client, access)
        };
        let access = access.ok_or(AdminError::Forbidden)?;
        Ok(AdminCaller {
            client_id: client.client_id,
            access,
        })
    }
}

/// Reads a JSON body; a bad one is refused naming the field at fault.
pub async fn json_body<T: DeserializeOwned>(body: Body) -> Result<T, AdminError> {
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| AdminError::TooLarge)?;
    if bytes.is_empty() {
        return serde_json::from_slice(b"{}")
            .map_err(|_| AdminError::invalid("body", "a JSON object is required"));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(&bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let inner = e.inner();
        if matches!(
            inner.classify(),
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof
        ) {
            // Broken JSON has no field at fault, whatever half-read key the path shows.
            return AdminError::invalid("body", "the body is not valid JSON");
        }
        // serde names an unknown field only in its message: `unknown field `colour`, expected ...`.
        let text = inner.to_string();
        if let Some(rest) = text.strip_prefix("unknown field `") {
            let field = rest.split('`').next().unwrap_or("body");
            return AdminError::invalid(field, "unknown field");
        }
        let path = e.path().to_string();
        let field = if path == "." || path == "?" {
            "body".to_owned()
        } else {
            path
        };
        AdminError::Invalid(FieldError::new(field, "wrong type or value"))
    })?;
    // `deserialize` stops after the first value; text after it would otherwise be ignored.
    deserializer
        .end()
        .map_err(|_| AdminError::invalid("body", "the body is not valid JSON"))?;
    Ok(value)
}

fn rfc3339(unix: i64) -> Option<String> {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()?
        .format(&Rfc3339)
        .ok()
}

/// A client as the admin API shows it: never its secret (ADMIN-02).
#[derive(Debug, Serialize)]
pub struct ClientView {
    client_id: String,
    kind: ClientKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    name: Option<String>,
    notes: Option<String>,
    grants: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    redirect_urls: Option<Vec<String>>,
    resource_ids: Vec<String>,
    ip_whitelist: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    roles: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scopes: Option<Vec<String>>,
    access_token_validity_seconds: i64,
    refresh_token_validity_seconds: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    expiry_date: Option<String>,
    /// The first instant at which the client is refused (AMB-12, EXP-05).
    expires_at: Option<String>,
    expired: bool,
    admin_access: Option<&'static str>,
    created_at: Option<String>,
    updated_at: Option<String>,
}

impl ClientView {
    fn of(client: &Client, state: &AppState) -> Self {
        let kind = client.kind;
        let ip_whitelist = client
            .ip_whitelist
            .iter()
            .map(|net| {
                if net.prefix_len() == net.max_prefix_len() {
                    net.addr().to_string()
                } else {
                    net.to_string()
                }
            })
            .collect();
        ClientView {
            client_id: client.client_id.clone(),
            kind,
            id: client.short_id.clone(),
            name: client.name.clone(),
            notes: client.notes.clone(),
            grants: client.grants.iter().map(|g| g.as_str()).collect(),
            redirect_urls: (kind == ClientKind::OneClick).then(|| client.redirect_urls.clone()),
            resource_ids: client.resource_ids.iter().cloned().collect(),
            ip_whitelist,
            roles: matches!(kind, ClientKind::AdminApi | ClientKind::Wallet)
                .then(|| client.roles.iter().cloned().collect()),
            scopes: matches!(kind, ClientKind::AdminApi | ClientKind::OneClick)
                .then(|| client.scopes.iter().cloned().collect()),
            access_token_validity_seconds: client.access_token_validity,
            refresh_token_validity_seconds: client.refresh_token_validity,
            expiry_date: client.expiry_date.clone(),
            expires_at: client.expires_at.and_then(rfc3339),
            expired: client.is_expired(state.clock.now_unix()),
            admin_access: client.admin_access(&state.catalogue).map(|a| match a {
                AdminAccess::Read => "read",
                AdminAccess::Change => "change",
            }),
            created_at: rfc3339(client.created_at),
            updated_at: rfc3339(client.updated_at),
        }
    }
}

pub(crate) fn rules(state: &AppState) -> Rules<'_> {
    Rules {
        catalogue: &state.catalogue,
        profile: state.config.profile,
        now_unix: state.clock.now_unix(),
        allow_chosen_secrets: state.config.allow_chosen_secrets,
        policy: &*state.policy,
    }
}

async fn find(state: &AppState, client_id: &str) -> Result<Client, AdminError> {
    state
        .store
        .client(client_id)
        .await?
        .map(|record| record.client)
        .ok_or(AdminError::NotFound)
}

pub async fn list(
    State(state): State<AppState>,
    caller: AdminCaller,
) -> Result<Response, AdminError> {
    caller.require(AdminAccess::Read)?;
    let clients: Vec<ClientView> = state
        .store
        .clients()
        .await?
        .iter()
        .map(|c| ClientView::of(c, &state))
        .collect();
    Ok(Json(json!({ "clients": clients })).into_response())
}

pub async fn get(
    State(state): State<AppState>,
    caller: AdminCaller,
    Path(client_id): Path<String>,
) -> Result<Response, AdminError> {
    caller.require(AdminAccess::Read)?;
    let client = find(&state, &client_id).await?;
    Ok(Json(ClientView::of(&client, &state)).into_response())
}

#[derive(Serialize)]
struct WithSecret<'a, T: Serialize> {
    #[serde(flatten)]
    client: T,
    client_secret: &'a str,
}

pub async fn create(
    State(state): State<AppState>,
    caller: AdminCaller,
    body: Body,
) -> Result<Response, AdminError> {
    caller.require(AdminAccess::Change)?;
    let spec: ClientSpec = json_body(body).await?;
    let new = validate_new(spec, rules(&state)).map_err(AdminError::Invalid)?;
    let field = if new.client.kind == ClientKind::Wallet {
        "id"
    } else {
        "client_id"
    };
    let client = match state
        .store
        .insert_client(new.client, new.secret.digest())
        .await
    {
        Err(StoreError::Conflict) => return Err(AdminError::Conflict(field)),
        other => other?,
    };
    tracing::info!(client_id = %client.client_id, by = %caller.client_id, "client created");
    let location = format!(
        "/admin/clients/{}",
        percent_encoding::utf8_percent_encode(
            &client.client_id,
            percent_encoding::NON_ALPHANUMERIC
        )
    );
    let mut response = crate::routes::no_store_json(
        StatusCode::CREATED,
        WithSecret {
            client: ClientView::of(&client, &state),
            client_secret: new.secret.secret(),
        },
    );

    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

pub async fn edit(
    State(state): State<AppState>,
    caller: AdminCaller,
    Path(client_id): Path<String>,
    body: Body,
) -> Result<Response, AdminError> {
    caller.require(AdminAccess::Change)?;
    let patch: ClientSpec = json_body(body).await?;
    let current = find(&state, &client_id).await?;
    let edited = validate_edit(&current, patch, rules(&state)).map_err(AdminError::Invalid)?;
    if !state.store.update_client(&edited).await? {
        return Err(AdminError::NotFound);
    }
    tracing::info!(client_id = %edited.client_id, by = %caller.client_id, "client edited");
    Ok(Json(ClientView::of(&edited, &state)).into_response())
}

/// Delete = revoke: every token and code of the client dies with it (ADMIN-05, AMB-19).
pub async fn delete(
    State(state): State<AppState>,
    caller: AdminCaller,
    Path(client_id): Path<String>,
) -> Result<Response, AdminError> {
    caller.require(AdminAccess::Change)?;
    if !state.store.delete_client(&client_id).await? {
        return Err(AdminError::NotFound);
    }
    tracing::info!(client_id = %client_id, by = %caller.client_id, "client deleted");
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewSecretRequest {
    #[serde(default)]
    revoke_tokens: bool,
}

/// "New Secret" (seed 001): the old secret dies at once; tokens live on unless
/// `revoke_tokens` is true (ADMIN-03, ADMIN-04, AMB-18).
pub async fn new_secret(
    State(state): State<AppState>,
    caller: AdminCaller,
    Path(client_id): Path<String>,
    body: Body,
) -> Result<Response, AdminError> {
    caller.require(AdminAccess::Change)?;
    let request: NewSecretRequest = json_body(body).await?;
    let client = find(&state, &client_id).await?;
    let secret = ClientSecret::new(random_value());
    if !state
        .store
        .replace_secret(client.row_id, secret.digest(), request.revoke_tokens)
        .await?
    {
        return Err(AdminError::NotFound);
    }
    tracing::info!(client_id = %client.client_id, by = %caller.client_id, revoke_tokens = request.revoke_tokens, "client secret replaced");
    Ok(crate::routes::no_store_json(
        StatusCode::OK,
        json!({ "client_id": client.client_id, "client_secret": secret.secret(), "tokens_revoked": request.revoke_tokens }),
    ))
}
