//! code-injected-code: a code from the attacker's session, delivered with this session's
//! `state`, never becomes tokens: PKCE binds a code to its session (RFC 9700 §2.1.1, §4.5).

use crate::client::{ClientTest, Delivery, Observation, Plan, Setup};
use crate::model::{CheckResult, Citation, Keyword, fail};

pub(super) const TEST: ClientTest = ClientTest {
    id: "code-injected-code",
    plan: Plan::AuthorizationCode,
    citations: &[Citation {
        source: "RFC 9700 §2.1.1",
        keyword: Keyword::Must,
        quote: "Clients MUST prevent authorization code injection attacks (see Section 4.5) and misuse of authorization codes using one of the following options",
    }],
    title: "A code injected from another session not turned into tokens",
    setup: Setup {
        delivery: Delivery::InjectedCode,
        ..Setup::STANDARD
    },
    judge,
};

fn judge(observed: &Observation) -> CheckResult {
    if observed.delivered.is_empty() {
        return Err(fail(
            "an authorization URL on standard output, and the response delivered",
            format!("{}{}", observed.exit, observed.last_words()),
        ));
    }
    let redeemed = observed
        .grants("authorization_code")
        .iter()
        .any(|s| s.status == 200);
    if redeemed {
        return Err(fail(
            "the injected code refused at the token endpoint (the client's PKCE verifier does not match it)",
            "tokens issued for it",
        ));
    }
    Ok(())
}
