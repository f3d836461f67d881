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
use crate::defects::Defect;
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
        if state.config.has_defect(Defect::AdminReadsOpen)
            && parts.method == axum::http::Method::GET
            && !parts.headers.contains_key(header::AUTHORIZATION)
        {
            return Ok(AdminCaller {
                client_id: "anonymous".to_owned(),
                access: AdminAccess::Read,
            });
        }
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
                _ if state.config.has_defect(Defect::AdminBearerScopeOnly) => None,
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
        let mut access = access.ok_or(AdminError::Forbidden)?;
        if state.config.has_defect(Defect::AdminReadCanChange) {
            access = AdminAccess::Change;
        }
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
            grants: defective::grants_shown(state, client)
                .unwrap_or_else(|| client.grants.iter().map(|g| g.as_str()).collect()),
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
            expired: if state.config.has_defect(Defect::ExpiredFlagStale) {
                client.is_expired(client.updated_at)
            } else {
                client.is_expired(state.clock.now_unix())
            },
            admin_access: client.admin_access(&state.catalogue).map(|a| match a {
                AdminAccess::Read => "read",
                AdminAccess::Change => "change",
            }),
            created_at: rfc3339(client.created_at),
            updated_at: rfc3339(client.updated_at),
        }
    }
}

fn rules(state: &AppState) -> Rules<'_> {
    Rules {
        catalogue: &state.catalogue,
        profile: state.config.profile,
        now_unix: state.clock.now_unix(),
        allow_chosen_secrets: state.config.allow_chosen_secrets,
        config: &state.config,
        policy: &*state.policy,
    }
}

async fn find(state: &AppState, client_id: &str) -> Result<Client, AdminError> {
    if state.config.has_defect(Defect::DeleteHidesClient)
        && crate::defect_memory::with(state, |m| m.hidden.contains(client_id))
    {
        return Err(AdminError::NotFound);
    }
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
        .filter(|c| !defective::hidden(&state, &c.client_id))
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
    let mut spec: ClientSpec = json_body(body).await?;
    let given = spec.clone();
    defective::misread(&state, &mut spec, None)?;
    let mut new = validate_new(spec, rules(&state)).map_err(AdminError::Invalid)?;
    if state.config.has_defect(Defect::SecretPadded) && given.client_secret.is_none() {
        new.secret = ClientSecret::new(format!("{}=", random_value()));
    }
    defective::misbuild(&state, &given, None, &mut new.client);
    let field = if new.client.kind == ClientKind::Wallet {
        "id"
    } else {
        "client_id"
    };
    let duplicate = state
        .config
        .has_defect(Defect::DuplicateWalletOverwrites)
        .then(|| new.client.clone());
    let client = match state
        .store
        .insert_client(new.client, new.secret.digest())
        .await
    {
        Err(StoreError::Conflict) => match duplicate {
            Some(client) => defective::overwrite(&state, client, &new.secret).await?,
            None => return Err(AdminError::Conflict(field)),
        },
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
    let body = defective::echo_secret(&state, body).await?;
    let mut patch: ClientSpec = json_body(body).await?;
    let current = find(&state, &client_id).await?;
    let given = patch.clone();
    defective::misread(&state, &mut patch, Some(&current))?;
    let mut edited = validate_edit(&current, patch, rules(&state)).map_err(AdminError::Invalid)?;
    defective::misbuild(&state, &given, Some(&current), &mut edited);
    if !state.store.update_client(&edited).await? {
        return Err(AdminError::NotFound);
    }
    if state.config.has_defect(Defect::DisplayEditRevokesTokens)
        && (given.name.is_some() || given.notes.is_some())
    {
        defective::revoke_all(&state, &edited.client_id).await?;
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
    if state.config.has_defect(Defect::DeleteHidesClient) {
        return defective::hide(&state, &client_id).await;
    }
    let racy = state.config.has_defect(Defect::DeletionCacheRace);
    if racy {
        defective::begin_change(&state, &client_id).await;
    }
    let deleted = state.store.delete_client(&client_id).await;
    if racy {
        crate::defect_memory::with(&state, |m| m.changing.remove(&client_id));
    }
    if !deleted? {
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
    let revoke = defective::revoke_on_rotation(&state, &client_id, request.revoke_tokens).await?;
    let racy = state.config.has_defect(Defect::RotationCacheRace);
    if racy {
        defective::begin_change(&state, &client_id).await;
    }
    let replaced = state
        .store
        .replace_secret(client.row_id, secret.digest(), revoke)
        .await;
    if racy {
        crate::defect_memory::with(&state, |m| m.changing.remove(&client_id));
    }
    if !replaced? {
        return Err(AdminError::NotFound);
    }
    tracing::info!(client_id = %client.client_id, by = %caller.client_id, revoke_tokens = request.revoke_tokens, "client secret replaced");
    Ok(crate::routes::no_store_json(
        StatusCode::OK,
        json!({ "client_id": client.client_id, "client_secret": secret.secret(), "tokens_revoked": request.revoke_tokens }),
    ))
}

/// How the admin defects bend the handlers above; every function is inert without its defect.
mod defective {
    use std::collections::BTreeSet;

    use axum::body::Body;
    use axum::http::StatusCode;
    use axum::response::{IntoResponse, Response};

    use super::AdminError;
    use crate::client::{BACKOFFICE_API, Client, ClientKind, ClientSpec, IDENTITY_API};
    use crate::config::parse_ip_net;
    use crate::defect_memory::{self, COMMIT_DELAY};
    use crate::defects::Defect;
    use crate::secret::{ClientSecret, random_value};
    use crate::state::AppState;

    pub(super) fn hidden(state: &AppState, client_id: &str) -> bool {
        state.config.has_defect(Defect::DeleteHidesClient)
            && defect_memory::with(state, |m| m.hidden.contains(client_id))
    }

    pub(super) fn grants_shown(state: &AppState, client: &Client) -> Option<Vec<&'static str>> {
        (state.config.has_defect(Defect::OneClickGrantsShowRefresh)
            && client.kind == ClientKind::OneClick)
            .then(|| {
                let mut grants: Vec<&'static str> =
                    client.grants.iter().map(|g| g.as_str()).collect();
                grants.push("refresh_token");
                grants
            })
    }

    /// The body as a defect misreads it before validation.
    pub(super) fn misread(
        state: &AppState,
        spec: &mut ClientSpec,
        current: Option<&Client>,
    ) -> Result<(), AdminError> {
        let has = |d| state.config.has_defect(d);
        let kind = spec.kind.or(current.map(|c| c.kind));
        if has(Defect::NotesCountBytes) && spec.notes.as_ref().is_some_and(|n| n.len() > 1_000) {
            return Err(AdminError::invalid("notes", "at most 1000 characters"));
        }
        if has(Defect::ResourceIdCaseFolded) {
            if let Some(ids) = &mut spec.resource_ids {
                ids.iter_mut().for_each(|id| *id = id.to_ascii_lowercase());
            }
        }
        if has(Defect::AdminApiResourcesOpen) && kind == Some(ClientKind::AdminApi) {
            // Checked as if absent; misbuild puts them back.
            if open_resources(spec.resource_ids.as_deref()).is_some() {
                spec.resource_ids = None;
            }
        }
        if has(Defect::WalletIdUpperCase) {
            if let Some(id) = &mut spec.id {
                *id = id.to_ascii_lowercase();
            }
        }
        if has(Defect::AdminRoleCaseFolded) && kind == Some(ClientKind::AdminApi) {
            if let Some(roles) = &mut spec.roles {
                for role in roles.iter_mut() {
                    if let Some(known) = state
                        .catalogue
                        .admin_api
                        .roles
                        .iter()
                        .find(|k| k.eq_ignore_ascii_case(role))
                    {
                        role.clone_from(known);
                    }
                }
            }
        }
        if has(Defect::BadWhitelistEntriesDropped) {
            if let Some(entries) = &mut spec.ip_whitelist {
                entries.retain(|e| parse_ip_net(e).is_ok());
            }
        }
        if let Some(current) = current {
            if has(Defect::ExpiryEditIgnored) {
                spec.expiry_date = None;
            }
            if has(Defect::EmptyRedirectEditIgnored)
                && spec.redirect_urls.as_ref().is_some_and(Vec::is_empty)
            {
                spec.redirect_urls = None;
            }
            if has(Defect::RoleEditMerges) {
                if let Some(roles) = &mut spec.roles {
                    roles.extend(current.roles.iter().cloned());
                }
            }
        }
        Ok(())
    }

    fn open_resources(ids: Option<&[String]>) -> Option<BTreeSet<String>> {
        let ids: BTreeSet<String> = ids?.iter().cloned().collect();
        (!ids.is_empty()
            && ids
                .iter()
                .all(|id| id == IDENTITY_API || id == BACKOFFICE_API))
        .then_some(ids)
    }

    /// The validated client as a defect builds it, from the body as given.
    pub(super) fn misbuild(
        state: &AppState,
        given: &ClientSpec,
        current: Option<&Client>,
        client: &mut Client,
    ) {
        let has = |d| state.config.has_defect(d);
        let key = &state.catalogue.wallet.external_key;
        if current.is_none() && client.kind == ClientKind::Wallet {
            if let (true, Some(id)) = (has(Defect::WalletIdUpperCase), &given.id) {
                client.short_id = Some(id.clone());
                client.client_id = format!("wallet-{key}-{id}");
            }
            if has(Defect::WalletIdWithoutKey) {
                if let Some(id) = &client.short_id {
                    client.client_id = format!("wallet-{id}");
                }
            }
            if has(Defect::WalletExpiryOptional) && given.expiry_date.is_none() {
                client.expiry_date = None;
                client.expires_at = None;
            }
        }
        if has(Defect::AdminApiResourcesOpen) && client.kind == ClientKind::AdminApi {
            if let Some(ids) = open_resources(given.resource_ids.as_deref()) {
                client.resource_ids = ids;
            }
        }
        if has(Defect::MappedEntryStaysV6) {
            if let Some(entries) = &given.ip_whitelist {
                client.ip_whitelist = entries
                    .iter()
                    .filter_map(|e| match e.trim().parse::<std::net::IpAddr>() {
                        Ok(addr) => Some(ipnet::IpNet::from(addr)),
                        Err(_) => parse_ip_net(e).ok(),
                    })
                    .collect();
            }
        }
        if let (true, Some(roles)) = (
            current.is_some() && has(Defect::EditDropsImpliedView),
            &given.roles,
        ) {
            client
                .roles
                .retain(|r| roles.contains(r) || !r.ends_with(":view"));
        }
    }

    /// An upsert: the duplicate replaces the first client of that id.
    pub(super) async fn overwrite(
        state: &AppState,
        mut client: Client,
        secret: &ClientSecret,
    ) -> Result<Client, AdminError> {
        let record = state
            .store
            .client(&client.client_id)
            .await?
            .ok_or(AdminError::NotFound)?;
        client.row_id = record.client.row_id;
        state.store.update_client(&client).await?;
        state
            .store
            .replace_secret(client.row_id, secret.digest(), false)
            .await?;
        Ok(client)
    }

    /// Refuses an edit naming the secret, quoting the secret back.
    pub(super) async fn echo_secret(state: &AppState, body: Body) -> Result<Body, AdminError> {
        if !state.config.has_defect(Defect::AdminErrorEchoesSecret) {
            return Ok(body);
        }
        let bytes = axum::body::to_bytes(body, 64 * 1024)
            .await
            .map_err(|_| AdminError::TooLarge)?;
        let named = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| v.get("client_secret")?.as_str().map(str::to_owned));
        match named {
            Some(secret) => Err(AdminError::invalid(
                "client_secret",
                &format!("client_secret {secret} cannot be edited"),
            )),
            None => Ok(Body::from(bytes)),
        }
    }

    /// Revokes every token of the client, its secret kept.
    pub(super) async fn revoke_all(state: &AppState, client_id: &str) -> Result<(), AdminError> {
        if let Some(record) = state.store.client(client_id).await? {
            state
                .store
                .replace_secret(record.client.row_id, record.secret_hash, true)
                .await?;
        }
        Ok(())
    }

    /// A delete in name only: the id is hidden and the secret scrambled, the tokens stay.
    pub(super) async fn hide(state: &AppState, client_id: &str) -> Result<Response, AdminError> {
        let client = super::find(state, client_id).await?;
        let scrambled = ClientSecret::new(random_value());
        state
            .store
            .replace_secret(client.row_id, scrambled.digest(), false)
            .await?;
        defect_memory::with(state, |m| m.hidden.insert(client_id.to_owned()));
        Ok(StatusCode::NO_CONTENT.into_response())
    }

    /// Whether New Secret revokes, as a defect decides; remembers the old secret if one keeps it.
    pub(super) async fn revoke_on_rotation(
        state: &AppState,
        client_id: &str,
        asked: bool,
    ) -> Result<bool, AdminError> {
        if state.config.has_defect(Defect::OldSecretKept) {
            if let Some(record) = state.store.client(client_id).await? {
                defect_memory::with(state, |m| {
                    m.old_secrets
                        .insert(client_id.to_owned(), record.secret_hash)
                });
            }
        }
        Ok(if state.config.has_defect(Defect::NewSecretRevokesAll) {
            true
        } else if state.config.has_defect(Defect::NewSecretKeepsTokens) {
            false
        } else {
            asked
        })
    }

    /// A change to the client begins: lookups from now on cache what they read, and the
    /// commit waits a while, so that concurrent lookups land in the window.
    pub(super) async fn begin_change(state: &AppState, client_id: &str) {
        defect_memory::with(state, |m| m.changing.insert(client_id.to_owned()));
        tokio::time::sleep(COMMIT_DELAY).await;
    }
}
