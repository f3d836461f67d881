//! What every handler shares.

use std::ops::Deref;
use std::sync::Arc;

use crate::catalogue::{Catalogue, CatalogueError};
use crate::clock::Clock;
use crate::config::Config;
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
    pub clock: Clock,
    pub throttle: Throttle,
    pub catalogue: Catalogue,
    /// Compared against when a client id is unknown, so that a miss costs what a hit costs.
    pub decoy_secret: Digest,
    /// End users of the code flow.
    pub users: Arc<Users>,
    pub sessions: Sessions,
    /// End-user password checks: argon2 takes ~19 MiB and tens of milliseconds each, so a
    /// burst of logins queues for a few reused buffers instead of growing memory.
    pub password_checks: crate::users::PasswordChecks,
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
        let catalogue = match &config.catalogue {
            Some(path) => Catalogue::load(path)?,
            None => Catalogue::embedded()?,
        };
        let users = match &config.users {
            Some(path) => Users::load(path)?,
            None => Users::embedded()?,
        };
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&config.database)?);
        let clock = if config.test_clock {
            Clock::test()
        } else {
            Clock::System
        };
        Ok(Self(Arc::new(Shared {
            issuer: issuer.trim_end_matches('/').to_owned(),
            config,
            store,
            clock,
            throttle: Throttle::default(),
            catalogue,
            decoy_secret: Digest::of(&crate::secret::random_value()),
            users: Arc::new(users),
            sessions: Sessions::default(),
            password_checks: crate::users::PasswordChecks::new(
                std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get),
            ),
        })))
    }
}
