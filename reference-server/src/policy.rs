//! The decisions the protocol code takes by a rule another server could take differently,
//! each one method whose default is this server's rule (the RFC's, or a decision of the
//! catalogue cited beside it). [`StandardPolicy`] keeps every default; it is what ships.

use std::collections::BTreeSet;
use std::fmt;

use crate::client::{Client, GrantType};
use crate::config::Profile;
use crate::pkce;

/// Every method has the correct rule as its default; override only to deviate.
pub trait Policy: Send + Sync + fmt::Debug {
    // Token endpoint, client authentication, introspection, revocation, metadata, bearer use.

    // Authorization endpoint, redirect matching, code exchange, PKCE, refresh tokens.

    /// May `client` be issued a code? Only if registered for the authorization_code grant
    /// (RFC 6749 §4.1.2.1 `unauthorized_client`; AUTHZ-ERR-04).
    fn may_request_code(&self, client: &Client) -> bool {
        client.has_grant(GrantType::AuthorizationCode)
    }

    /// The PKCE challenge an authorization request binds to its code (RFC 7636 §4.3, §4.4.1;
    /// PKCE-03, -04, -07, -08).
    fn code_challenge(
        &self,
        value: Option<&str>,
        method: Option<&str>,
        profile: Profile,
    ) -> Result<Option<pkce::Challenge>, pkce::ChallengeError> {
        pkce::challenge(value, method, profile)
    }

    /// May the client with row id `client` redeem a code issued to `code_client`? Only the
    /// same one (RFC 6749 §4.1.3; TOKEN-CODE-04).
    fn code_bound_to(&self, code_client: i64, client: i64) -> bool {
        code_client == client
    }

    /// Does the token request's `code_verifier` redeem a code with `challenge` (RFC 7636 §4.6;
    /// PKCE-02, -05, -06)?
    fn code_verifier(
        &self,
        challenge: Option<&pkce::Challenge>,
        verifier: Option<&str>,
    ) -> Result<(), pkce::VerifierError> {
        pkce::check_verifier(challenge, verifier)
    }

    /// May the client with row id `client` use a refresh token issued to `owner`? Only the
    /// same one (RFC 6749 §6; TOKEN-RT-02).
    fn refresh_token_bound_to(&self, owner: i64, client: i64) -> bool {
        owner == client
    }

    /// What a refresh may ask for: the original grant, not all the client may have
    /// (RFC 6749 §6; TOKEN-RT-03).
    fn refresh_scope_limit<'a>(
        &self,
        granted: &'a BTreeSet<String>,
        allowed: &'a BTreeSet<String>,
    ) -> &'a BTreeSet<String> {
        let _ = allowed;
        granted
    }

    // Admin API, roles, IP whitelists, expiry.
}

/// The rules as the RFCs and the catalogue state them.
#[derive(Debug, Clone, Copy, Default)]
pub struct StandardPolicy;

impl Policy for StandardPolicy {}
