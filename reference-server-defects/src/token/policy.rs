//! Defects that take one of the server's token decisions the other way: a [`StandardPolicy`]
//! with one method overridden.

use std::borrow::Cow;
use std::collections::BTreeSet;

use reference_server::client::Client;
use reference_server::policy::{Policy, StandardPolicy};
use reference_server::tokens::LiveToken;

use crate::Defect::{self, *};

/// The policy that breaks `defect`; `None` if no policy method does.
pub(super) fn for_defect(defect: Defect) -> Option<Deviating> {
    matches!(
        defect,
        ExpiryOffByOne
            | LongLivedAccessTokens
            | ScopeNotRestricted
            | DefaultScopeIncomplete
            | IntrospectAnyCaller
            | RevokeOthersTokens
            | RevokeKeepsGrant
            | BearerRefreshTokenAccepted
            | BearerAudienceIgnored
            | BearerScopeIgnored
    )
    .then_some(Deviating(defect))
}

/// The standard policy but for the one decision `.0` takes the other way.
#[derive(Debug, Clone, Copy)]
pub(super) struct Deviating(Defect);

impl Policy for Deviating {
    fn token_expired(&self, expires_at: i64, now: i64) -> bool {
        match self.0 {
            // Still alive during the second of its expiry.
            ExpiryOffByOne => now > expires_at,
            _ => StandardPolicy.token_expired(expires_at, now),
        }
    }

    fn client_token_expiry(&self, client: &Client, now: i64) -> i64 {
        match self.0 {
            LongLivedAccessTokens
                if client.access_token_validity
                    == reference_server::client::DEFAULT_ACCESS_VALIDITY =>
            {
                reference_server::tokens::capped_expiry(
                    client,
                    now,
                    2 * client.access_token_validity,
                )
            }
            _ => StandardPolicy.client_token_expiry(client, now),
        }
    }

    fn requestable_scope<'a>(
        &self,
        client: &'a Client,
        requested: Option<&str>,
    ) -> Cow<'a, BTreeSet<String>> {
        let allowed = client.allowed_scopes();
        match self.0 {
            ScopeNotRestricted => {
                // Values it does not define (no role, no case variant of an allowed one) pass.
                let undefined = |v: &&str| {
                    !v.contains(':') && !allowed.iter().any(|a| a.eq_ignore_ascii_case(v))
                };
                let asked = requested.into_iter().flat_map(|s| s.split(' '));
                Cow::Owned(
                    allowed
                        .iter()
                        .cloned()
                        .chain(asked.filter(undefined).map(str::to_owned))
                        .collect(),
                )
            }
            _ => StandardPolicy.requestable_scope(client, requested),
        }
    }

    fn default_client_scope(&self, allowed: &BTreeSet<String>) -> BTreeSet<String> {
        let mut scope = StandardPolicy.default_client_scope(allowed);
        if self.0 == DefaultScopeIncomplete {
            scope.remove("web-origins");
        }
        scope
    }

    fn may_introspect(&self, caller: &Client, token: &LiveToken) -> bool {
        self.0 == IntrospectAnyCaller || StandardPolicy.may_introspect(caller, token)
    }

    fn may_revoke(&self, caller: &Client, owner: &Client) -> bool {
        self.0 == RevokeOthersTokens || StandardPolicy.may_revoke(caller, owner)
    }

    fn revocation_takes_grant(&self) -> bool {
        self.0 != RevokeKeepsGrant && StandardPolicy.revocation_takes_grant()
    }

    fn resource_accepts(&self, token: &LiveToken, audience: &str) -> bool {
        match self.0 {
            BearerRefreshTokenAccepted => token.record.audience.contains(audience),
            BearerAudienceIgnored => token.is_access(),
            _ => StandardPolicy.resource_accepts(token, audience),
        }
    }

    fn scope_grants(&self, scope: &BTreeSet<String>, resource: &str, needed: &str) -> bool {
        StandardPolicy.scope_grants(scope, resource, needed)
            || (self.0 == BearerScopeIgnored && scope.contains(&format!("{resource}:view")))
    }
}
