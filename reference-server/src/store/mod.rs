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
    /// The client was deleted, or its secret replaced, after the request authenticated.
    #[error("the client changed while the request ran")]
    ClientChanged,
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
    /// The secret the requesting client authenticated with (not stored): the token is stored
    /// only while the client still exists with that secret, so a New Secret or a deletion
    /// that commits first is never outlived by a token of a request already past its
    /// authentication (AMB-18, AMB-19).
    pub issued_under: Option<Digest>,
}

/// A stored authorization code (RFC 6749 §4.1.2): bound to its client, the redirect URI of the
/// authorization request and the PKCE challenge.
#[derive(Debug, Clone, PartialEq)]
pub struct CodeRecord {
    pub hash: Digest,
    pub client_row_id: i64,
    pub family: [u8; 16],
    /// The authorization request's `redirect_uri`, verbatim; `None` when it was omitted.
    pub redirect_uri: Option<String>,
    pub subject: String,
    pub scopes: BTreeSet<String>,
    pub audience: BTreeSet<String>,
    pub challenge: Option<crate::pkce::Challenge>,
    pub issued_at: i64,
    pub expires_at: i64,
}

/// What presenting a code found.
#[derive(Debug, Clone, PartialEq)]
pub enum Redemption {
    /// Never issued (or purged).
    Unknown,
    /// Presented before: the tokens of its first redemption are now revoked (TOKEN-CODE-03).
    Reused,
    /// First presentation: the code is now used, whatever happens next (AMB-29).
    Fresh(CodeRecord),
}

/// A client with its secret digest.
#[derive(Debug, Clone)]
pub struct ClientRecord {
    pub client: Client,
    pub secret_hash: Digest,
    /// Self-contained tokens issued in an earlier epoch are dead (AMB-18).
    pub token_epoch: i64,
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

    /// Deletes the client and every token and code it holds, in one transaction (AMB-19).
    async fn delete_client(&self, client_id: &str) -> Result<bool, StoreError>;

    /// Replaces the secret at once (AMB-18); with `revoke_tokens`, also kills all its tokens and codes.
    async fn replace_secret(
        &self,
        row_id: i64,
        secret_hash: Digest,
        revoke_tokens: bool,
    ) -> Result<bool, StoreError>;

    async fn insert_token(&self, token: TokenRecord) -> Result<(), StoreError>;

    /// The token and its owner, if both exist (revoked and expired tokens included).
    async fn token(&self, hash: Digest) -> Result<Option<(TokenRecord, Client)>, StoreError>;

    /// Revokes one token.
    async fn revoke_token(&self, hash: Digest) -> Result<(), StoreError>;

    async fn revoke_family(&self, family: [u8; 16]) -> Result<(), StoreError>;

    /// Stores several tokens in one transaction (an access token and its refresh token).
    async fn insert_tokens(&self, tokens: Vec<TokenRecord>) -> Result<(), StoreError>;

    async fn insert_code(&self, code: CodeRecord) -> Result<(), StoreError>;

    /// Marks the code used and returns it, exactly once however many requests race for it. A
    /// code presented again has its grant's tokens revoked in the same transaction.
    async fn redeem_code(&self, hash: Digest) -> Result<Redemption, StoreError>;

    /// Replaces a live refresh token by its successors in one transaction (rotation). False if
    /// the token was not live any more (rotated or revoked, perhaps by a concurrent request):
    /// that is a replay, and the token's whole family is revoked (TOKEN-RT-05).
    async fn rotate_refresh(
        &self,
        old: Digest,
        successors: Vec<TokenRecord>,
    ) -> Result<bool, StoreError>;

    /// Removes tokens, codes and revocations that expired before `before` (Unix seconds);
    /// returns how many.
    async fn purge_expired(&self, before: i64) -> Result<usize, StoreError>;

    /// The key that seals self-contained tokens (made when the database was created).
    fn token_key(&self) -> &crate::signed::TokenKey;

    /// What decides whether a self-contained token is alive: its client (by row id, `None` once
    /// deleted) and whether the token, by digest, was revoked. One read for both.
    async fn self_contained_state(
        &self,
        client_row_id: i64,
        hash: Digest,
    ) -> Result<Option<(ClientRecord, bool)>, StoreError>;

    /// Revokes a self-contained token until it expires.
    async fn revoke_self_contained(&self, hash: Digest, expires_at: i64) -> Result<(), StoreError>;
}
