//! The decisions the protocol code takes by a rule another server could take differently,
//! each one method whose default is this server's rule (the RFC's, or a decision of the
//! catalogue cited beside it). [`StandardPolicy`] keeps every default; it is what ships.

use std::fmt;

/// Every method has the correct rule as its default; override only to deviate.
pub trait Policy: Send + Sync + fmt::Debug {
    // Token endpoint, client authentication, introspection, revocation, metadata, bearer use.

    /// Whether a token whose `exp` is `expires_at` is dead at `now`: from that second on
    /// (RFC 7519 §4.1.4, INTROSPECT-04, BEARER-03).
    fn token_expired(&self, expires_at: i64, now: i64) -> bool {
        now >= expires_at
    }

    /// How long a client_credentials access token lives: the client's setting (TOKEN-RESP-04).
    fn client_token_lifetime(&self, client: &crate::client::Client) -> i64 {
        client.access_token_validity
    }

    /// What a client_credentials request may ask for: what the client may have, nothing it does
    /// not define (RFC 6749 §3.3, TOKEN-CC-03).
    fn requestable_scope<'a>(
        &self,
        client: &'a crate::client::Client,
        requested: Option<&str>,
    ) -> std::borrow::Cow<'a, std::collections::BTreeSet<String>> {
        let _ = requested;
        std::borrow::Cow::Borrowed(client.allowed_scopes())
    }

    /// The scope of a client_credentials request that names none: all it may have
    /// (TOKEN-CC-04, AMB-22).
    fn default_client_scope(
        &self,
        allowed: &std::collections::BTreeSet<String>,
    ) -> std::collections::BTreeSet<String> {
        allowed.clone()
    }

    /// Whether `caller` may see `token` by introspection (INTROSPECT-07, AMB-33).
    fn may_introspect(
        &self,
        caller: &crate::client::Client,
        token: &crate::tokens::LiveToken,
    ) -> bool {
        token.visible_to(caller)
    }

    /// Whether `caller` may revoke a token of `owner`: only its own (REVOKE-06).
    fn may_revoke(&self, caller: &crate::client::Client, owner: &crate::client::Client) -> bool {
        caller.row_id == owner.row_id
    }

    /// Whether revoking a refresh token revokes its whole grant (RFC 7009 §2.1, REVOKE-03).
    fn revocation_takes_grant(&self) -> bool {
        true
    }

    /// Whether a resource of `audience` accepts `token`: an access token meant for it
    /// (BEARER-06, BEARER-07).
    fn resource_accepts(&self, token: &crate::tokens::LiveToken, audience: &str) -> bool {
        token.is_access() && token.record.audience.contains(audience)
    }

    /// Whether `scope` holds `needed` for the wallet resource `resource` (BEARER-04).
    fn scope_grants(
        &self,
        scope: &std::collections::BTreeSet<String>,
        resource: &str,
        needed: &str,
    ) -> bool {
        let _ = resource;
        scope.contains(needed)
    }

    // Authorization endpoint, redirect matching, code exchange, PKCE, refresh tokens.

    // Admin API, roles, IP whitelists, expiry.
}

/// The rules as the RFCs and the catalogue state them.
#[derive(Debug, Clone, Copy, Default)]
pub struct StandardPolicy;

impl Policy for StandardPolicy {}
