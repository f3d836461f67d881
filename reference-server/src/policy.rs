//! The decisions the protocol code takes by a rule another server could take differently,
//! each one method whose default is this server's rule (the RFC's, or a decision of the
//! catalogue cited beside it). [`StandardPolicy`] keeps every default; it is what ships.

use std::fmt;

use crate::config::Profile;
use crate::{redirect, redirect_policy};

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

    // Authorization endpoint, redirect matching, code exchange, PKCE, refresh tokens.

    // Admin API, roles, IP whitelists, expiry.
}

/// The rules as the RFCs and the catalogue state them.
#[derive(Debug, Clone, Copy, Default)]
pub struct StandardPolicy;

impl Policy for StandardPolicy {}
