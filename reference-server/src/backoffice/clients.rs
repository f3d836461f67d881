//! Admin > API clients (seeds 000 and 001; `MERCHANT_ADMIN`): the `one_click` and `admin_api`
//! clients, **Action → New Client**, the settings page, **New Secret**, edit and delete.
//!
//! Every change goes through the admin API's rules ([`validate_new`], [`validate_edit`]) and
//! store calls, so a refused field shows the API's own message (ADMIN-06, VREDIR-04, IP-06).

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use super::Role;
use super::auth::{BackOfficeUser, Posted};
use super::clients_view::{self, ClientForm};
use super::fields::Shown;
use super::layout::{self, page};
use crate::client::{
    Client, ClientKind, ClientSpec, FieldError, GrantType, validate_edit, validate_new,
};
use crate::routes::admin::rules;
use crate::secret::{ClientSecret, random_value};
use crate::state::AppState;
use crate::store::StoreError;

const BASE: &str = "/backoffice/admin/api-clients";

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(BASE, get(list))
        .route(
            "/backoffice/admin/api-clients/new",
            get(new_form).post(create),
        )
        .route("/backoffice/admin/api-clients/{client_id}", get(settings))
        .route(
            "/backoffice/admin/api-clients/{client_id}/edit",
            get(edit_form).post(edit),
        )
        .route(
            "/backoffice/admin/api-clients/{client_id}/secret",
            axum::routing::post(new_secret),
        )
        .route(
            "/backoffice/admin/api-clients/{client_id}/delete",
            get(delete_confirm).post(delete),
        )
}

/// The settings page of a client.
pub(super) fn client_url(client_id: &str) -> String {
    format!(
        "{BASE}/{}",
        percent_encoding::utf8_percent_encode(client_id, percent_encoding::NON_ALPHANUMERIC)
    )
}

/// A client this screen manages (seeds 000 and 001 are about these two kinds only), for a
/// `MERCHANT_ADMIN`.
async fn find(
    state: &AppState,
    user: &BackOfficeUser,
    client_id: &str,
) -> Result<Client, Response> {
    super::permitted_client(
        state,
        user,
        Role::MerchantAdmin,
        client_id,
        &[ClientKind::OneClick, ClientKind::AdminApi],
    )
    .await
}

async fn list(State(state): State<AppState>, user: BackOfficeUser) -> Response {
    if let Some(refused) = user.lacks(Role::MerchantAdmin) {
        return refused;
    }
    let clients = match state.store.clients().await {
        Ok(clients) => clients,
        Err(error) => return super::internal(&error),
    };
    let shown: Vec<&Client> = clients
        .iter()
        .filter(|c| matches!(c.kind, ClientKind::OneClick | ClientKind::AdminApi))
        .collect();
    page(StatusCode::OK, clients_view::list(&user, &shown))
}

async fn new_form(State(state): State<AppState>, user: BackOfficeUser) -> Response {
    if let Some(refused) = user.lacks(Role::MerchantAdmin) {
        return refused;
    }
    page(
        StatusCode::OK,
        clients_view::new_client(&user, &state.catalogue, &ClientForm::default(), None),
    )
}

fn parse_seconds(text: Option<String>, field: &str) -> Result<Option<i64>, FieldError> {
    text.map(|t| {
        t.parse::<i64>()
            .map_err(|_| FieldError::new(field, "a whole number of seconds"))
    })
    .transpose()
}

fn non_empty(values: Vec<String>) -> Option<Vec<String>> {
    (!values.is_empty()).then_some(values)
}

/// The admin API body this form stands for; only what the user filled in is sent, so an
/// entry that does not apply to the chosen type is refused by the API's rule, at its field.
fn create_spec(form: &ClientForm) -> Result<ClientSpec, FieldError> {
    let (kind, grant) = match form.client_type.as_str() {
        "authorization_code" => (ClientKind::OneClick, GrantType::AuthorizationCode),
        "client_credentials" => (ClientKind::AdminApi, GrantType::ClientCredentials),
        _ => {
            return Err(FieldError::new(
                "grants",
                "choose authorization_code or client_credentials",
            ));
        }
    };
    Ok(ClientSpec {
        kind: Some(kind),
        name: form.name.clone(),
        grants: Some(vec![grant]),
        redirect_urls: non_empty(form.redirect_url_lines()),
        resource_ids: non_empty(form.resource_ids.clone()),
        roles: non_empty(form.roles.clone()),
        ip_whitelist: non_empty(form.ip_lines()),
        access_token_validity_seconds: parse_seconds(
            form.access_validity.clone(),
            "access_token_validity_seconds",
        )?,
        refresh_token_validity_seconds: parse_seconds(
            form.refresh_validity.clone(),
            "refresh_token_validity_seconds",
        )?,
        ..ClientSpec::default()
    })
}

async fn create(State(state): State<AppState>, posted: Posted) -> Response {
    let user = posted.user;
    if let Some(refused) = user.lacks(Role::MerchantAdmin) {
        return refused;
    }
    let form = ClientForm::from_fields(&posted.fields);
    let refused = |error: FieldError| {
        page(
            StatusCode::UNPROCESSABLE_ENTITY,
            clients_view::new_client(&user, &state.catalogue, &form, Some(&Shown::of(&error))),
        )
    };
    let new = match create_spec(&form).and_then(|spec| validate_new(spec, rules(&state))) {
        Ok(new) => new,
        Err(error) => return refused(error),
    };
    let client = match state
        .store
        .insert_client(new.client, new.secret.digest())
        .await
    {
        Ok(client) => client,
        Err(StoreError::Conflict) => {
            return refused(FieldError::new(
                "client_id",
                "a client with this id exists already",
            ));
        }
        Err(error) => return super::internal(&error),
    };
    tracing::info!(client_id = %client.client_id, by = %user.username, "client created in the back office");
    state
        .backoffice
        .set_flash(&user.cookie, &client.client_id, new.secret);
    Redirect::to(&client_url(&client.client_id)).into_response()
}

async fn settings(
    State(state): State<AppState>,
    user: BackOfficeUser,
    Path(client_id): Path<String>,
) -> Response {
    let client = match find(&state, &user, &client_id).await {
        Ok(client) => client,
        Err(response) => return response,
    };
    let secret = state
        .backoffice
        .take_flash(&user.cookie, |id| id == client.client_id)
        .map(|(_, secret)| secret);
    page(
        StatusCode::OK,
        clients_view::settings(&user, &client, secret.as_ref()),
    )
}

async fn edit_form(
    State(state): State<AppState>,
    user: BackOfficeUser,
    Path(client_id): Path<String>,
) -> Response {
    match find(&state, &user, &client_id).await {
        Ok(client) => page(
            StatusCode::OK,
            clients_view::edit_client(
                &user,
                &state.catalogue,
                &client,
                &ClientForm::of(&client),
                None,
            ),
        ),
        Err(response) => response,
    }
}

/// The edit body: what the form shows for this kind; id, type and validity stay as they are.
fn edit_spec(client: &Client, form: &ClientForm) -> ClientSpec {
    let one_click = client.kind == ClientKind::OneClick;
    ClientSpec {
        name: form.name.clone(),
        redirect_urls: one_click.then(|| form.redirect_url_lines()),
        resource_ids: non_empty(form.resource_ids.clone()),
        roles: (!one_click).then(|| form.roles.clone()),
        ip_whitelist: Some(form.ip_lines()),
        ..ClientSpec::default()
    }
}

async fn edit(
    State(state): State<AppState>,
    Path(client_id): Path<String>,
    posted: Posted,
) -> Response {
    let user = posted.user;
    let current = match find(&state, &user, &client_id).await {
        Ok(client) => client,
        Err(response) => return response,
    };
    let form = ClientForm::from_fields(&posted.fields);
    let edited = match validate_edit(&current, edit_spec(&current, &form), rules(&state)) {
        Ok(edited) => edited,
        Err(error) => {
            return page(
                StatusCode::UNPROCESSABLE_ENTITY,
                clients_view::edit_client(
                    &user,
                    &state.catalogue,
                    &current,
                    &form,
                    Some(&Shown::of(&error)),
                ),
            );
        }
    };
    match state.store.update_client(&edited).await {
        Ok(true) => {
            tracing::info!(client_id = %edited.client_id, by = %user.username, "client edited in the back office");
            Redirect::to(&client_url(&edited.client_id)).into_response()
        }
        Ok(false) => layout::not_found(&user),
        Err(error) => super::internal(&error),
    }
}

/// **New Secret** (seed 001): the old secret dies at once; issued tokens too when the box is
/// ticked (ADMIN-03, ADMIN-04, AMB-18).
async fn new_secret(
    State(state): State<AppState>,
    Path(client_id): Path<String>,
    posted: Posted,
) -> Response {
    let user = posted.user;
    let client = match find(&state, &user, &client_id).await {
        Ok(client) => client,
        Err(response) => return response,
    };
    let revoke_tokens = posted.fields.get("revoke_tokens") == Some("yes");
    let secret = ClientSecret::new(random_value());
    match state
        .store
        .replace_secret(client.row_id, secret.digest(), revoke_tokens)
        .await
    {
        Ok(true) => {}
        Ok(false) => return layout::not_found(&user),
        Err(error) => return super::internal(&error),
    }
    tracing::info!(client_id = %client.client_id, by = %user.username, revoke_tokens, "client secret replaced in the back office");
    state
        .backoffice
        .set_flash(&user.cookie, &client.client_id, secret);
    Redirect::to(&client_url(&client.client_id)).into_response()
}

async fn delete_confirm(
    State(state): State<AppState>,
    user: BackOfficeUser,
    Path(client_id): Path<String>,
) -> Response {
    match find(&state, &user, &client_id).await {
        Ok(client) => page(
            StatusCode::OK,
            layout::confirm_delete(
                &user,
                &client.client_id,
                &format!("{}/delete", client_url(&client.client_id)),
                &client_url(&client.client_id),
            ),
        ),
        Err(response) => response,
    }
}

/// Delete = revoke: every token and code of the client dies with it (ADMIN-05, AMB-19).
async fn delete(
    State(state): State<AppState>,
    Path(client_id): Path<String>,
    posted: Posted,
) -> Response {
    let user = posted.user;
    let client = match find(&state, &user, &client_id).await {
        Ok(client) => client,
        Err(response) => return response,
    };
    match state.store.delete_client(&client.client_id).await {
        Ok(_) => {
            tracing::info!(client_id = %client.client_id, by = %user.username, "client deleted in the back office");
            Redirect::to(BASE).into_response()
        }
        Err(error) => super::internal(&error),
    }
}
