//! Decisions inside the grants taken wrongly: each a policy that keeps every rule but one
//! (AUTHZ-ERR-04, PKCE-02, -05 to -08, TOKEN-CODE-04, TOKEN-RT-02, TOKEN-RT-03).

use std::collections::BTreeSet;

use reference_server::client::Client;
use reference_server::config::Profile;
use reference_server::pkce::{self, Challenge, ChallengeError, VerifierError};
use reference_server::policy::{Policy, StandardPolicy};
use reference_server::wiring::Wiring;

use crate::Defect;

pub(super) fn wire(defect: Defect) -> Wiring {
    let wiring = Wiring::default();
    match defect {
        Defect::CodeGrantUnchecked => wiring.with_policy(AnyClientGetsCodes),
        Defect::StrictPkceOptional | Defect::PkceChallengeLengthUnchecked => {
            wiring.with_policy(LaxChallenge(defect))
        }
        Defect::CodeUnbound => wiring.with_policy(UnboundCodes),
        Defect::RefreshTokenUnbound => wiring.with_policy(UnboundRefreshTokens),
        Defect::RefreshScopeWidened => wiring.with_policy(WidenedRefresh),
        _ => wiring.with_policy(LaxVerifier(defect)),
    }
}

/// CodeGrantUnchecked: a client without the authorization_code grant still gets a code.
#[derive(Debug)]
struct AnyClientGetsCodes;

impl Policy for AnyClientGetsCodes {
    fn may_request_code(&self, _client: &Client) -> bool {
        true
    }
}

/// StrictPkceOptional: no challenge is required; PkceChallengeLengthUnchecked: a challenge
/// of the right characters is taken at any length.
#[derive(Debug)]
struct LaxChallenge(Defect);

impl Policy for LaxChallenge {
    fn code_challenge(
        &self,
        value: Option<&str>,
        method: Option<&str>,
        profile: Profile,
    ) -> Result<Option<Challenge>, ChallengeError> {
        let standard = StandardPolicy.code_challenge(value, method, profile);
        match (self.0, standard, value) {
            (Defect::StrictPkceOptional, Err(ChallengeError::Required), _) => Ok(None),
            (Defect::PkceChallengeLengthUnchecked, Err(ChallengeError::Malformed), Some(value))
                if value
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b)) =>
            {
                Ok(Some(Challenge {
                    value: value.to_owned(),
                    method: method
                        .and_then(pkce::Method::parse)
                        .unwrap_or(pkce::Method::Plain),
                }))
            }
            (_, standard, _) => standard,
        }
    }
}

/// CodeUnbound: a code is redeemed by whichever client presents it.
#[derive(Debug)]
struct UnboundCodes;

impl Policy for UnboundCodes {
    fn code_bound_to(&self, _code_client: i64, _client: i64) -> bool {
        true
    }
}

/// PkceVerifierOptional, PkceDowngradeAccepted, PkceUnverified: one case of RFC 7636 §4.6
/// let through.
#[derive(Debug)]
struct LaxVerifier(Defect);

impl Policy for LaxVerifier {
    fn code_verifier(
        &self,
        challenge: Option<&Challenge>,
        verifier: Option<&str>,
    ) -> Result<(), VerifierError> {
        match (self.0, challenge, verifier) {
            (Defect::PkceVerifierOptional, Some(_), None)
            | (Defect::PkceDowngradeAccepted, None, Some(_))
            | (Defect::PkceUnverified, Some(_), Some(_)) => Ok(()),
            _ => StandardPolicy.code_verifier(challenge, verifier),
        }
    }
}

/// RefreshTokenUnbound: a refresh token works for any authenticated client.
#[derive(Debug)]
struct UnboundRefreshTokens;

impl Policy for UnboundRefreshTokens {
    fn refresh_token_bound_to(&self, _owner: i64, _client: i64) -> bool {
        true
    }
}

/// RefreshScopeWidened: a refresh may ask for anything the client may have.
#[derive(Debug)]
struct WidenedRefresh;

impl Policy for WidenedRefresh {
    fn refresh_scope_limit<'a>(
        &self,
        _granted: &'a BTreeSet<String>,
        allowed: &'a BTreeSet<String>,
    ) -> &'a BTreeSet<String> {
        allowed
    }
}
