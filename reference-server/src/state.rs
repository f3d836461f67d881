//! What every handler shares.

use std::ops::Deref;
use std::sync::Arc;

use crate::catalogue::{Catalogue, CatalogueError};
use crate::clock::Clock;
use crate::config::Config;
use crate::policy::{Policy, StandardPolicy};
use crate::secret::Digest;
use crate::session::Sessions;
use crate::store::sqlite::SqliteStore;
use crate::store::{Store, StoreError};
use crate::throttle::Throttle;
use crate::users::{Users, UsersError};

#[derive(Debug, Clone)]
pub struct AppState(Arc<Shared>);

#[derive(Debug)]
pub struct Shared {
    pub config: Config,
    /// The issuer identifier (RFC 8414 §2), without a trailing slash.
    pub issuer: String,
    pub store: Arc<dyn Store>,
    /// The decisions another server could take differently; [`crate::policy::StandardPolicy`]
    /// unless an embedder wired another.
    pub policy: Arc<dyn Policy>,
    pub clock: Clock,
    pub(crate) throttle: Throttle,
    pub catalogue: Catalogue,
    /// Compared against when a client id is unknown, so that a miss costs what a hit costs.
    pub decoy_secret: Digest,
    /// End users of the code flow.
    pub(crate) users: Arc<Users>,
    pub sessions: Sessions,
    /// Sessions of the back office (`/backoffice/`), apart from the end users'.
    pub(crate) backoffice: crate::backoffice::Sessions,
    /// End-user password checks: argon2 takes ~19 MiB and tens of milliseconds each, so a
    /// burst of logins queues for a few reused buffers instead of growing memory.
    pub(crate) password_checks: crate::users::PasswordChecks,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(transparent)]
    Catalogue(#[from] CatalogueError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Users(#[from] UsersError),
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl AppState {
    /// Opens storage and loads the catalogue. `issuer` is known only once the listener is bound.
    pub fn open(config: Config, issuer: String) -> Result<Self, StateError> {
        Self::open_wired(config, issuer, Arc::new(StandardPolicy), None)
    }

    /// [`Self::open`] with a policy and the store wrapped as an embedder asked.
    pub fn open_wired(
        config: Config,
        issuer: String,
        policy: Arc<dyn Policy>,
        wrap_store: Option<crate::wiring::WrapStore>,
    ) -> Result<Self, StateError> {
        let catalogue = match &config.catalogue {
            Some(path) => Catalogue::load(path)?,
            None => Catalogue::embedded()?,
        };
        let users = match &config.users {
            Some(path) => Users::load(path)?,
            None => Users::embedded()?,
        };
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&config.database)?);
        let store = match wrap_store {
            Some(wrap) => wrap(store),
            None => store,
        };
        let clock = if config.test_clock {
            Clock::test()
        } else {
            Clock::System
        };
        Ok(Self(Arc::new(Shared {
            issuer: issuer.trim_end_matches('/').to_owned(),
            config,
            store,
            policy,
            clock,
            throttle: Throttle::default(),
            catalogue,
            decoy_secret: Digest::of(&crate::secret::random_value()),
            users: Arc::new(users),
            sessions: Sessions::default(),
            backoffice: crate::backoffice::Sessions::default(),
            password_checks: crate::users::PasswordChecks::new(
                std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get),
            ),
        })))
    }
}
