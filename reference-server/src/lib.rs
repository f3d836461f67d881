//! A small, exact OAuth 2.0 authorization server: the integrators' sandbox and the
//! conformance suite's default target. It implements the three vendor documents in
//! `shared/seeds` and the RFCs listed in `shared/requirements.md`, whose row IDs the code cites.
//!
//! # Layout
//! - [`config`]: command line and environment; [`state`]: what handlers share.
//! - [`client`]: the client model, its kinds and every registration rule;
//!   [`redirect`]: which redirect URLs may be registered; [`catalogue`]: roles and resources.
//! - [`store`]: the storage trait and its SQLite implementation.
//! - [`secret`]: secret and token newtypes that never print; [`clock`]: the one clock.
//! - [`auth`]: client authentication; [`throttle`]: its brute-force guard;
//!   [`netaddr`]: which address a request comes from.
//! - [`form`]: the strict form reader; [`error`]: the RFC 6749 §5.2 error channel;
//!   [`tokens`]: issuing and reading tokens.
//! - [`redirect_policy`]: matching a request's redirect URI, per profile; [`pkce`]: RFC 7636.
//! - [`users`]: end users (argon2); [`session`]: browser sessions; [`pages`]: login, consent, errors.
//! - [`grants`]: the authorization_code and refresh_token grants.
//! - [`routes`]: one module per endpoint; [`backoffice`]: the seeds' screens under `/backoffice/`.
//!
//! [`app`] builds the router; [`serve`] runs it on a bound listener until a shutdown future
//! completes; [`start`] binds, opens storage, creates the admin client and serves in the
//! background, which is what the binary and in-process embedders use.

pub mod auth;
mod backoffice;
pub mod catalogue;
pub mod cli;
pub mod client;
pub mod clock;
pub mod config;
pub mod error;
pub mod form;
mod grants;
pub mod netaddr;
pub mod pages;
pub mod pkce;
pub mod policy;
pub mod redirect;
pub mod redirect_policy;
pub mod routes;
pub mod scope;
pub mod secret;
pub mod session;
pub mod signed;
pub mod state;
pub mod store;
mod throttle;
pub mod tokens;
mod users;
pub mod wiring;

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{any, get, post};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::client::{AdminAccess, ClientSpec, Rules, validate_new};
use crate::config::{Config, Profile};
use crate::error::OAuthError;
use crate::secret::ClientSecret;
use crate::state::{AppState, StateError};
use crate::store::StoreError;
use crate::wiring::Wiring;

pub use crate::config::Config as ServerConfig;
pub use crate::users::UsersError;

/// The id of the admin client created at start-up.
pub const BOOTSTRAP_ADMIN: &str = "bootstrap-admin";

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole HTTP surface of the server.
pub fn app(state: AppState) -> Router {
    let post_only = || any(|| async { OAuthError::method_not_allowed("POST") });
    let mut oauth = Router::new()
        .route(
            "/oauth/token",
            post(routes::token::token).fallback(post_only()),
        )
        .route(
            "/oauth/introspect",
            post(routes::introspect::introspect).fallback(post_only()),
        )
        .route(
            "/oauth/revoke",
            post(routes::revoke::revoke).fallback(post_only()),
        );
    if state.config.profile == Profile::Vendor {
        oauth = oauth.route(
            "/oauth/check_token",
            post(routes::check_token::check_token).fallback(post_only()),
        );
    }
    let mut admin = Router::new()
        .route(
            "/admin/clients",
            get(routes::admin::list).post(routes::admin::create),
        )
        .route(
            "/admin/clients/{client_id}",
            get(routes::admin::get)
                .patch(routes::admin::edit)
                .delete(routes::admin::delete),
        )
        .route(
            "/admin/clients/{client_id}/secret",
            post(routes::admin::new_secret),
        );
    if state.config.test_clock {
        admin = admin
            .route(
                "/test/clock",
                get(routes::test_clock::get)
                    .put(routes::test_clock::set)
                    .delete(routes::test_clock::reset),
            )
            .route("/test/clock/advance", post(routes::test_clock::advance));
    }
    let admin = admin.layer(SetResponseHeaderLayer::overriding(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    ));
    let resources = Router::new()
        .route(
            "/resources/wallet/{resource}",
            any(routes::resources::wallet),
        )
        .route(
            "/resources/backoffice/{name}",
            get(routes::resources::backoffice),
        )
        .route(
            "/resources/identity/me",
            get(routes::resources::identity_me),
        )
        .route(
            "/resources/identity/{name}",
            get(routes::resources::identity),
        );

    let mut metadata = Router::new().route(
        routes::metadata::WELL_KNOWN,
        get(routes::metadata::metadata),
    );
    if let Some(path) = routes::metadata::path_well_known(&state.issuer) {
        metadata = metadata.route(&path, get(routes::metadata::metadata));
    }

    let pages = Router::new()
        .route("/oauth/authorize", get(routes::authorize::authorize))
        .route("/oauth/login", post(routes::authorize::login))
        .route("/oauth/consent", post(routes::authorize::consent));

    Router::new()
        .merge(metadata)
        .route("/healthz", get(|| async { "ok" }))
        .merge(pages)
        .merge(backoffice::router())
        .route("/assets/app.css", get(pages::stylesheet))
        .merge(oauth)
        .merge(admin)
        .merge(resources)
        .fallback(|| async {
            (
                StatusCode::NOT_FOUND,
                axum::Json(serde_json::json!({"error": "not_found", "error_description": "no such endpoint"})),
            )
                .into_response()
        })
        .with_state(state)
        // RFC 9700 §4.16 and plain hygiene, on every response; pages may set their own CSP.
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        ))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            // Method and path only: a query string may carry a token (RFC 6750 §2.3).
            TraceLayer::new_for_http().make_span_with(|request: &Request| {
                let id = request
                    .headers()
                    .get(REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!("request", id, method = %request.method(), path = request.uri().path())
            })
            .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, RandomRequestId))
}

#[derive(Debug, Clone, Copy)]
struct RandomRequestId;

impl MakeRequestId for RandomRequestId {
    fn make_request_id<B>(&mut self, _request: &axum::http::Request<B>) -> Option<RequestId> {
        let id: String = crate::secret::random_value().chars().take(16).collect();
        HeaderValue::from_str(&id).ok().map(RequestId::new)
    }
}

/// Serves `state` on `listener` until `shutdown` completes, then finishes in-flight requests.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_router(listener, state.clone(), app(state), shutdown).await
}

async fn serve_router(
    listener: TcpListener,
    state: AppState,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let purge = tokio::spawn(purge_expired_tokens(state));
    let served = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    purge.abort();
    served
}

/// Dead tokens are kept a day, so that a late introspection still finds them inactive
/// rather than unknown (the answer is the same; the logs are clearer), then removed.
async fn purge_expired_tokens(state: AppState) {
    let mut every = tokio::time::interval(Duration::from_secs(600));
    loop {
        every.tick().await;
        let before = state.clock.now_unix() - 86_400;
        match state.store.purge_expired(before).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(tokens = n, "expired tokens purged"),
            Err(e) => tracing::warn!(error = %e, "purging expired tokens failed"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(
        "refusing to listen on {0}: this sandbox serves plain HTTP, so it binds only loopback addresses (SEC-BCP-09); put a TLS-terminating proxy in front to expose it"
    )]
    NotLoopback(SocketAddr),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    State(#[from] StateError),
    #[error("cannot create the admin client: {0}")]
    Bootstrap(String),
}

/// A server serving in the background.
#[derive(Debug)]
pub struct RunningServer {
    pub addr: SocketAddr,
    pub state: AppState,
    /// Set when this start created the admin client with a random secret: show it once.
    pub generated_admin_secret: Option<ClientSecret>,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, lets in-flight requests finish, and waits.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match (&mut self.task).await {
            Ok(result) => result,
            Err(e) => Err(std::io::Error::other(e)),
        }
    }
}

/// Binds `config.addr`, opens storage, makes sure an admin client exists and serves.
/// `admin_secret` is `REFERENCE_SERVER_ADMIN_SECRET`.
pub async fn start(
    config: Config,
    admin_secret: Option<ClientSecret>,
) -> Result<RunningServer, StartError> {
    start_wired(config, admin_secret, Wiring::default()).await
}

/// [`start`], with a policy, a store wrapper or a layer around the router.
pub async fn start_wired(
    config: Config,
    admin_secret: Option<ClientSecret>,
    wiring: Wiring,
) -> Result<RunningServer, StartError> {
    if !config.addr.ip().is_loopback() {
        return Err(StartError::NotLoopback(config.addr));
    }
    let listener = TcpListener::bind(config.addr)
        .await
        .map_err(|source| StartError::Bind {
            addr: config.addr,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind {
        addr: config.addr,
        source,
    })?;
    let issuer = config
        .issuer
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"));
    let Wiring {
        policy,
        store: wrap_store,
        app: wrap_app,
    } = wiring;
    let state = AppState::open_wired(config, issuer, policy, wrap_store)?;
    let generated_admin_secret = bootstrap_admin(&state, admin_secret)
        .await
        .map_err(|e| StartError::Bootstrap(e.to_string()))?;
    let router = match wrap_app {
        Some(wrap) => wrap(app(state.clone()), &state),
        None => app(state.clone()),
    };
    let (shutdown, stop) = oneshot::channel::<()>();
    let task = tokio::spawn(serve_router(listener, state.clone(), router, async {
        let _ = stop.await;
    }));
    Ok(RunningServer {
        addr,
        state,
        generated_admin_secret,
        shutdown: Some(shutdown),
        task,
    })
}

/// With a secret: `bootstrap-admin` exists with that secret and the change permission.
/// Without one: if no client holds the change permission, `bootstrap-admin` is created with a
/// random secret, which is returned so that the caller can show it once.
pub async fn bootstrap_admin(
    state: &AppState,
    secret: Option<ClientSecret>,
) -> Result<Option<ClientSecret>, StoreError> {
    let existing = state.store.client(BOOTSTRAP_ADMIN).await?;
    match (secret, existing) {
        (Some(secret), Some(record)) => {
            let mut client = record.client;
            let change_role = state
                .catalogue
                .admin_api
                .admin_change_roles
                .iter()
                .next()
                .cloned();
            if client.admin_access(&state.catalogue) != Some(AdminAccess::Change) {
                client.roles.extend(change_role);
                state.store.update_client(&client).await?;
            }
            if !record.secret_hash.matches(&secret.digest()) {
                state
                    .store
                    .replace_secret(client.row_id, secret.digest(), false)
                    .await?;
            }
            Ok(None)
        }
        (Some(secret), None) => {
            create_bootstrap_admin(state, secret).await?;
            Ok(None)
        }
        (None, _) => {
            let clients = state.store.clients().await?;
            if clients
                .iter()
                .any(|c| c.admin_access(&state.catalogue) == Some(AdminAccess::Change))
            {
                return Ok(None);
            }
            let secret = ClientSecret::generate();
            create_bootstrap_admin(state, secret.clone()).await?;
            Ok(Some(secret))
        }
    }
}

async fn create_bootstrap_admin(state: &AppState, secret: ClientSecret) -> Result<(), StoreError> {
    let spec = ClientSpec {
        kind: Some(client::ClientKind::AdminApi),
        client_id: Some(BOOTSTRAP_ADMIN.to_owned()),
        name: Some("Bootstrap administrator".to_owned()),
        roles: Some(
            state
                .catalogue
                .admin_api
                .admin_change_roles
                .iter()
                .cloned()
                .collect(),
        ),
        ..ClientSpec::default()
    };
    let rules = Rules {
        catalogue: &state.catalogue,
        profile: state.config.profile,
        now_unix: state.clock.now_unix(),
        allow_chosen_secrets: false,
        policy: &*state.policy,
    };
    let new = validate_new(spec, rules)
        .map_err(|e| StoreError::Backend(format!("{}: {}", e.field, e.message)))?;
    state
        .store
        .insert_client(new.client, secret.digest())
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sec_bcp_09_non_loopback_addresses_are_refused_without_tls() {
        for addr in ["0.0.0.0:0", "[::]:0", "192.0.2.1:0"] {
            let mut config = Config::for_tests();
            config.addr = addr.parse().unwrap();
            let refused = start(config, None).await;
            assert!(
                matches!(refused, Err(StartError::NotLoopback(_))),
                "{addr}: {refused:?}"
            );
        }
        let mut config = Config::for_tests();
        config.addr = "127.0.0.9:0".parse().unwrap();
        let server = start(config, None)
            .await
            .expect("any loopback address is fine");
        assert!(
            server.generated_admin_secret.is_some(),
            "no admin yet: one is created and its secret returned"
        );
        server.shutdown().await.unwrap();
    }
}
