//! What an embedder may put around the server without touching its protocol code: a
//! [`Policy`] for the decisions the RFCs make, a wrapper around the [`Store`], and a layer
//! around the whole router. [`Wiring::default`] is the server as it ships.

use std::fmt;
use std::sync::Arc;

use axum::Router;

use crate::policy::{Policy, StandardPolicy};
use crate::state::AppState;
use crate::store::Store;

pub type WrapStore = Box<dyn FnOnce(Arc<dyn Store>) -> Arc<dyn Store> + Send>;
pub type WrapApp = Box<dyn FnOnce(Router, &AppState) -> Router + Send>;

pub struct Wiring {
    pub policy: Arc<dyn Policy>,
    pub store: Option<WrapStore>,
    pub app: Option<WrapApp>,
}

impl Default for Wiring {
    fn default() -> Self {
        Self {
            policy: Arc::new(StandardPolicy),
            store: None,
            app: None,
        }
    }
}

impl fmt::Debug for Wiring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wiring")
            .field("policy", &self.policy)
            .field("store", &self.store.as_ref().map(|_| "wrapped"))
            .field("app", &self.app.as_ref().map(|_| "wrapped"))
            .finish()
    }
}

impl Wiring {
    /// Replaces the policy.
    #[must_use]
    pub fn with_policy(mut self, policy: impl Policy + 'static) -> Self {
        self.policy = Arc::new(policy);
        self
    }

    /// Wraps the store the server opens (after any wrapper already set).
    #[must_use]
    pub fn wrap_store(
        mut self,
        wrap: impl FnOnce(Arc<dyn Store>) -> Arc<dyn Store> + Send + 'static,
    ) -> Self {
        self.store = Some(match self.store.take() {
            Some(inner) => Box::new(move |store| wrap(inner(store))),
            None => Box::new(wrap),
        });
        self
    }

    /// Wraps the router (outside any wrapper already set), with the state at hand.
    #[must_use]
    pub fn wrap_app(
        mut self,
        wrap: impl FnOnce(Router, &AppState) -> Router + Send + 'static,
    ) -> Self {
        self.app = Some(match self.app.take() {
            Some(inner) => Box::new(move |router, state| wrap(inner(router, state), state)),
            None => Box::new(wrap),
        });
        self
    }
}
