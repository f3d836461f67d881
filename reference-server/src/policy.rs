//! The decisions the protocol code takes by a rule another server could take differently,
//! each one method whose default is this server's rule (the RFC's, or a decision of the
//! catalogue cited beside it). [`StandardPolicy`] keeps every default; it is what ships.

use std::fmt;

/// Every method has the correct rule as its default; override only to deviate.
pub trait Policy: Send + Sync + fmt::Debug {
    // Token endpoint, client authentication, introspection, revocation, metadata, bearer use.

    // Authorization endpoint, redirect matching, code exchange, PKCE, refresh tokens.

    // Admin API, roles, IP whitelists, expiry.
}

/// The rules as the RFCs and the catalogue state them.
#[derive(Debug, Clone, Copy, Default)]
pub struct StandardPolicy;

impl Policy for StandardPolicy {}
