//! Storage behind one small trait, so that PostgreSQL can join SQLite for several
//! instances behind a load balancer. Every method is one atomic step: whatever a method
//! acknowledged is durable (see [`sqlite`] for what that means on disk).

pub mod sqlite;

use std::collections::BTreeSet;

use async_trait::async_trait;

use crate::client::Client;
use crate::secret::Digest;

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// A client with this id exists already.
    #[error("a client with this id exists already")]
    Conflict,
    #[error("storage failure: {0}")]
    Backend(String),
    #[error("the database URL is not supported: {0}")]
    UnsupportedUrl(String),
    #[error("storage has shut down")]
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Access,
    Refresh,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Access => "access",
            TokenKind::Refresh => "refresh",
        }
    }
}

/// A stored token: everything but its value, of which only the digest is kept.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenRecord {
    pub hash: Digest,
    pub kind: TokenKind,
    pub client_row_id: i64,
    /// Tokens of one grant (a code and what it led to) share a family and die together.
    pub family: Option<[u8; 16]>,
    /// `sub`: the client id for client_credentials, the end user for user grants.
    pub subject: String,
    pub username: Option<String>,
    pub scopes: BTreeSet<String>,
    pub audience: BTreeSet<String>,
    pub issued_at: i64,
    pub expires_at: i64,
    pub revoked: bool,
}

/// A client with its secret digest.
#[derive(Debug, Clone)]
pub struct ClientRecord {
    pub client: Client,
    pub secret_hash: Digest,
}

#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug + 'static {
    /// Stores a new client and returns it with its `row_id`. [`StoreError::Conflict`] if the id is taken.
    async fn insert_client(
        &self,
        client: Client,
        secret_hash: Digest,
    ) -> Result<Client, StoreError>;

    async fn client(&self, client_id: &str) -> Result<Option<ClientRecord>, StoreError>;

    /// All clients, ordered by creation.
    async fn clients(&self) -> Result<Vec<Client>, StoreError>;

    /// Replaces the stored fields of `client` (found by `row_id`); false if it is gone.
    async fn update_client(&self, client: &Client) -> Result<bool, StoreError>;

    /// Deletes the client and every token it holds, in one transaction (AMB-19).
    async fn delete_client(&self, client_id: &str) -> Result<bool, StoreError>;

    /// Replaces the secret at once (AMB-18); with `revoke_tokens`, also kills all its tokens.
    async fn replace_secret(
        &self,
        row_id: i64,
        secret_hash: Digest,
        revoke_tokens: bool,
    ) -> Result<bool, StoreError>;

    async fn insert_token(&self, token: TokenRecord) -> Result<(), StoreError>;

    /// The token and its owner, if both exist (revoked and expired tokens included).
    async fn token(&self, hash: Digest) -> Result<Option<(TokenRecord, Client)>, StoreError>;

    /// Revokes one token; with a family, every token of that family.
    async fn revoke_token(&self, hash: Digest) -> Result<(), StoreError>;

    async fn revoke_family(&self, family: [u8; 16]) -> Result<(), StoreError>;

    /// Removes tokens that expired before `before` (Unix seconds); returns how many.
    async fn purge_expired(&self, before: i64) -> Result<usize, StoreError>;
}
