//! Settings → IAM → API Access (seed 002): the wallet's client IDs. `API Access (Read)` views
//! the table; `API Access (Change)` adds, edits and deletes, checked here on every post.
//!
//! The admin API's rules decide: the id's alphabet and the expiry date (AMB-12 to AMB-15,
//! AMB-26), Change adding View (ROLE-01, AMB-20), and an edit keeping id and expiry (AMB-15).

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use super::Role;
use super::auth::{BackOfficeUser, Posted};
use super::fields::Shown;
use super::iam_view::{self, WalletForm};
use super::layout::{self, page};
use crate::client::{Client, ClientKind, ClientSpec, FieldError, validate_edit, validate_new};
use crate::routes::admin::rules;
use crate::state::AppState;
use crate::store::StoreError;

pub(super) const BASE: &str = "/backoffice/settings/iam/api-access";

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(BASE, get(table))
        .route(
            "/backoffice/settings/iam/api-access/new",
            get(add_form).post(add),
        )
        .route(
            "/backoffice/settings/iam/api-access/{client_id}/edit",
            get(edit_form).post(edit),
        )
        .route(
            "/backoffice/settings/iam/api-access/{client_id}/delete",
            get(delete_confirm).post(delete),
        )
}

pub(super) fn row_url(client_id: &str, action: &str) -> String {
    format!(
        "{BASE}/{}/{action}",
        percent_encoding::utf8_percent_encode(client_id, percent_encoding::NON_ALPHANUMERIC)
    )
}

/// A wallet client (seed 002), for a user who may change API Access: every handler that names
/// one edits or deletes it.
async fn find(
    state: &AppState,
    user: &BackOfficeUser,
    client_id: &str,
) -> Result<Client, Response> {
    super::permitted_client(
        state,
        user,
        Role::ApiAccessChange,
        client_id,
        &[ClientKind::Wallet],
    )
    .await
}

async fn table(State(state): State<AppState>, user: BackOfficeUser) -> Response {
    if let Some(refused) = user.lacks(Role::ApiAccessRead) {
        return refused;
    }
    let clients = match state.store.clients().await {
        Ok(clients) => clients,
        Err(error) => return super::internal(&error),
    };
    let wallets: Vec<&Client> = clients
        .iter()
        .filter(|c| c.kind == ClientKind::Wallet)
        .collect();
    // The secret of a client just added, once: a reload finds nothing.
    let created = state
        .backoffice
        .take_flash(&user.cookie, |id| wallets.iter().any(|c| c.client_id == id));
    let token_endpoint = format!("{}/oauth/token", state.issuer);
    page(
        StatusCode::OK,
        iam_view::table(
            &user,
            &wallets,
            state.clock.now_unix(),
            created.as_ref().map(|(id, secret)| (id.as_str(), secret)),
            &token_endpoint,
            &state.catalogue.wallet.external_key,
        ),
    )
}

async fn add_form(State(state): State<AppState>, user: BackOfficeUser) -> Response {
    if let Some(refused) = user.lacks(Role::ApiAccessChange) {
        return refused;
    }
    let today = state.clock.now().date();
    let form = WalletForm {
        expiry_date: crate::client::one_year_after(today).to_string(),
        ..WalletForm::default()
    };
    page(
        StatusCode::OK,
        iam_view::add(&user, &state.catalogue, &form, None),
    )
}

async fn add(State(state): State<AppState>, posted: Posted) -> Response {
    let user = posted.user;
    if let Some(refused) = user.lacks(Role::ApiAccessChange) {
        return refused;
    }
    let form = WalletForm::from_fields(&posted.fields);
    let refused = |error: FieldError| {
        page(
            StatusCode::UNPROCESSABLE_ENTITY,
            iam_view::add(&user, &state.catalogue, &form, Some(&Shown::of(&error))),
        )
    };
    let spec = ClientSpec {
        kind: Some(ClientKind::Wallet),
        id: Some(form.id.clone()).filter(|id| !id.is_empty()),
        expiry_date: Some(form.expiry_date.clone()).filter(|d| !d.is_empty()),
        notes: Some(form.notes.clone()).filter(|n| !n.is_empty()),
        roles: Some(form.roles.clone()),
        ..ClientSpec::default()
    };
    let new = match validate_new(spec, rules(&state)) {
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
                "id",
                "a client with this id exists already",
            ));
        }
        Err(error) => return super::internal(&error),
    };
    tracing::info!(client_id = %client.client_id, by = %user.username, "API client added in the back office");
    state
        .backoffice
        .set_flash(&user.cookie, &client.client_id, new.secret);
    Redirect::to(BASE).into_response()
}

async fn edit_form(
    State(state): State<AppState>,
    user: BackOfficeUser,
    Path(client_id): Path<String>,
) -> Response {
    match find(&state, &user, &client_id).await {
        Ok(client) => page(
            StatusCode::OK,
            iam_view::edit(
                &user,
                &state.catalogue,
                &client,
                &WalletForm::of(&client),
                None,
            ),
        ),
        Err(response) => response,
    }
}

/// Roles and notes only: whatever else a post carries (an id, an expiry date) is not read.
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
    let form = WalletForm::from_fields(&posted.fields);
    let patch = ClientSpec {
        roles: Some(form.roles.clone()),
        notes: Some(form.notes.clone()),
        ..ClientSpec::default()
    };
    let edited = match validate_edit(&current, patch, rules(&state)) {
        Ok(edited) => edited,
        Err(error) => {
            return page(
                StatusCode::UNPROCESSABLE_ENTITY,
                iam_view::edit(
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
            tracing::info!(client_id = %edited.client_id, by = %user.username, "API client edited in the back office");
            Redirect::to(BASE).into_response()
        }
        Ok(false) => layout::not_found(&user),
        Err(error) => super::internal(&error),
    }
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
                &row_url(&client.client_id, "delete"),
                BASE,
            ),
        ),
        Err(response) => response,
    }
}

/// **Yes**: the client and every token issued to it are gone (seed 002 › Delete; ADMIN-05).
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
            tracing::info!(client_id = %client.client_id, by = %user.username, "API client deleted in the back office");
            Redirect::to(BASE).into_response()
        }
        Err(error) => super::internal(&error),
    }
}
