//! The back office under `/backoffice/`: the screens the seeds describe, server-rendered.
//!
//! - **Admin > API clients** (seeds 000, 001; `MERCHANT_ADMIN`): the `one_click` and `admin_api`
//!   clients, **Action → New Client**, each client's settings page, **New Secret**, edit, delete.
//! - **Settings → IAM → API Access** (seed 002; `API Access (Read)` to view, `API Access
//!   (Change)` to add, edit and delete): the wallet clients.
//!
//! Every form goes through the admin API's own validation and storage ([`crate::client`],
//! [`crate::store`]), so a page shows the message the API would give, at its field. The pages
//! have their own session cookie (`Path=/backoffice`, `SameSite=Strict`, `HttpOnly`), an
//! anti-forgery value in every form, and the roles are checked on every request, not only
//! when drawing the controls (SEC-BCP-06 for framing and referrers).

mod auth;
mod clients;
mod clients_view;
mod fields;
mod iam;
mod iam_view;
mod layout;
mod session;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse as _, Redirect, Response};
use axum::routing::get;

pub(crate) use session::Sessions;

use crate::client::{Client, ClientKind};
use crate::state::AppState;
use crate::store::StoreError;

/// The three back-office roles, written as the seeds write them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Role {
    /// Seeds 000 and 001: "Admin > API clients".
    MerchantAdmin,
    /// Seed 002: view "Settings → IAM → API Access".
    ApiAccessRead,
    /// Seed 002: add, edit and delete there.
    ApiAccessChange,
}

impl Role {
    pub(crate) const ALL: [Role; 3] = [
        Role::MerchantAdmin,
        Role::ApiAccessRead,
        Role::ApiAccessChange,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Role::MerchantAdmin => "MERCHANT_ADMIN",
            Role::ApiAccessRead => "API Access (Read)",
            Role::ApiAccessChange => "API Access (Change)",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.name() == name)
    }
}

/// The back office's routes, mounted at `/backoffice/`.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/backoffice",
            get(|| async { Redirect::to("/backoffice/") }),
        )
        .route("/backoffice/", get(auth::home))
        .route("/backoffice/login", get(auth::login_page).post(auth::login))
        .route("/backoffice/logout", axum::routing::post(auth::logout))
        .route("/backoffice/assets/backoffice.css", get(layout::stylesheet))
        .route("/backoffice/assets/backoffice.js", get(layout::script))
        .merge(clients::routes())
        .merge(iam::routes())
}

/// A store failure: logged, and a plain 500 without details.
fn internal(error: &StoreError) -> Response {
    tracing::error!(error = %error, "back-office request failed");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "the server could not complete the request",
    )
        .into_response()
}

/// The client `client_id` for a user who holds `role`, if it is of one of the `kinds` the screen
/// manages: 403 without the role (before any lookup), the not-found page for another kind.
async fn permitted_client(
    state: &AppState,
    user: &auth::BackOfficeUser,
    role: Role,
    client_id: &str,
    kinds: &[ClientKind],
) -> Result<Client, Response> {
    if let Some(refused) = user.lacks(role) {
        return Err(refused);
    }
    match state.store.client(client_id).await {
        Ok(Some(record)) if kinds.contains(&record.client.kind) => Ok(record.client),
        Ok(_) => Err(layout::not_found(user)),
        Err(error) => Err(internal(&error)),
    }
}
