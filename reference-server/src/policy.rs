//! The decisions the protocol code takes by a rule another server could take differently,
//! each one method whose default is this server's rule (the RFC's, or a decision of the
//! catalogue cited beside it). [`StandardPolicy`] keeps every default; it is what ships.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;
use std::net::IpAddr;

use crate::client::{Client, GrantType};
use crate::config::Profile;
use crate::tokens::LiveToken;
use crate::{pkce, redirect, redirect_policy};

/// Every method has the correct rule as its default; override only to deviate.
pub trait Policy: Send + Sync + fmt::Debug {
    // Redirect URIs: which may be registered, and where an authorization answer goes.

    /// A redirect URL as a client registration stores it, or why it may not be registered
    /// (VREDIR-*, SEC-BCP-01, SEC-BCP-03).
    fn redirect_registration(&self, raw: &str, profile: Profile) -> Result<String, &'static str> {
        redirect::validate_registration(raw, profile)
    }

    /// Where the answer to an authorization request goes (AUTHZ-REDIR-*, AMB-04, AMB-06).
    fn redirect_target(
        &self,
        profile: Profile,
        requested: Option<&str>,
        registrations: &[String],
    ) -> Result<String, &'static str> {
        redirect_policy::target(profile, requested, registrations)
    }

    // Token endpoint, client authentication, introspection, revocation, metadata, bearer use.

    /// Whether a token whose `exp` is `expires_at` is dead at `now`: from that second on
    /// (RFC 7519 §4.1.4, INTROSPECT-04, BEARER-03).
    fn token_expired(&self, expires_at: i64, now: i64) -> bool {
        now >= expires_at
    }

    /// What a client_credentials request may ask for: what the client may have, nothing it does
    /// not define (RFC 6749 §3.3, TOKEN-CC-03).
    fn requestable_scope<'a>(
        &self,
        client: &'a Client,
        requested: Option<&str>,
    ) -> Cow<'a, BTreeSet<String>> {
        let _ = requested;
        Cow::Borrowed(client.allowed_scopes())
    }

    /// The scope of a client_credentials request that names none: all it may have
    /// (TOKEN-CC-04, AMB-22).
    fn default_client_scope(&self, allowed: &BTreeSet<String>) -> BTreeSet<String> {
        allowed.clone()
    }

    /// Whether `caller` may see `token` by introspection (INTROSPECT-07, AMB-33).
    fn may_introspect(&self, caller: &Client, token: &LiveToken) -> bool {
        token.visible_to(caller)
    }

    /// Whether `caller` may revoke a token of `owner`: only its own (REVOKE-06).
    fn may_revoke(&self, caller: &Client, owner: &Client) -> bool {
        caller.row_id == owner.row_id
    }

    /// Whether revoking a refresh token revokes its whole grant (RFC 7009 §2.1, REVOKE-03).
    fn revocation_takes_grant(&self) -> bool {
        true
    }

    /// Whether a resource of `audience` accepts `token`: an access token meant for it
    /// (BEARER-06, BEARER-07).
    fn resource_accepts(&self, token: &LiveToken, audience: &str) -> bool {
        token.is_access() && token.record.audience.contains(audience)
    }

    /// Whether `scope` holds `needed` for the wallet resource `resource` (BEARER-04).
    fn scope_grants(&self, scope: &BTreeSet<String>, resource: &str, needed: &str) -> bool {
        let _ = resource;
        scope.contains(needed)
    }

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

    /// Whether the client's whitelist admits a caller from `addr` (IP-01, IP-06, AMB-07).
    fn admits(&self, client: &Client, addr: Option<IpAddr>) -> bool {
        client.admits(addr)
    }

    /// Whether a request authenticating a client is held to its whitelist: every one, at the
    /// token endpoint for any grant and at introspection, check_token and revocation (IP-02, IP-03).
    fn whitelist_applies(&self, at_token_endpoint: bool, grant_type: Option<&str>) -> bool {
        let _ = (at_token_endpoint, grant_type);
        true
    }

    /// Whether an authenticated caller is refused for having expired (EXP-02, EXP-04, AMB-12).
    fn client_expired(&self, client: &Client, now: i64) -> bool {
        client.is_expired(now)
    }

    /// When a client's own access token expires: its validity, never past the client's
    /// cut-off (ADMIN-09, EXP-03, AMB-14).
    fn client_token_expiry(&self, client: &Client, now: i64) -> i64 {
        crate::tokens::capped_expiry(client, now, client.access_token_validity)
    }

    /// What a live token may do: the issued scope within what its client may have now
    /// (ROLE-03, AMB-20).
    fn effective_scope(&self, issued: &BTreeSet<String>, client: &Client) -> BTreeSet<String> {
        issued
            .intersection(client.allowed_scopes())
            .cloned()
            .collect()
    }
}

/// The rules as the RFCs and the catalogue state them.
#[derive(Debug, Clone, Copy, Default)]
pub struct StandardPolicy;

impl Policy for StandardPolicy {}
