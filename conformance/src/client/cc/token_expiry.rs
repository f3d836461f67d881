//! cc-token-expiry: a token that expires mid-run (the resource answers 401 `invalid_token`) is
//! replaced and the call retried (RFC 6750 §3.1).

use crate::client::{Behaviour, ClientTest, Observation, Plan, Setup};
use crate::model::{CheckResult, Citation, Keyword, fail};

pub(super) const TEST: ClientTest = ClientTest {
    id: "cc-token-expiry",
    plan: Plan::ClientCredentials,
    citations: &[Citation {
        source: "RFC 6750 §3.1",
        keyword: Keyword::Decision,
        quote: "invalid_token The access token provided is expired, revoked, malformed, or invalid for other reasons. […] The client MAY request a new access token and retry the protected resource request.",
    }],
    title: "A token refused as invalid_token mid-run is replaced and the call retried",
    setup: Setup {
        behaviour: Behaviour::TokensExpireAfterOneCall,
        ..Setup::STANDARD
    },
    judge,
};

fn judge(observed: &Observation) -> CheckResult {
    observed.completed()?;
    let refused = observed
        .resource_calls()
        .filter(|c| c.status == 401)
        .count();
    if refused == 0 {
        return Err(fail(
            "a 401 invalid_token after the first call, then a new token",
            "no refused call (the token was never reused)",
        ));
    }
    Ok(())
}
