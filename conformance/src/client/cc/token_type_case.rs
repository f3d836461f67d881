//! cc-token-type-case: `token_type` `bearer` in lower case is Bearer (RFC 6749 §5.1).

use crate::client::{Behaviour, ClientTest, Observation, Plan, Setup};
use crate::model::{CheckResult, Citation, Keyword};

pub(super) const TEST: ClientTest = ClientTest {
    id: "cc-token-type-case",
    plan: Plan::ClientCredentials,
    citations: &[Citation {
        source: "RFC 6749 §5.1",
        keyword: Keyword::Decision,
        quote: "token_type REQUIRED. The type of the token issued as described in Section 7.1. Value is case insensitive.",
    }],
    title: "token_type accepted in any case (the server answers `bearer`)",
    setup: Setup {
        behaviour: Behaviour::LowerCaseTokenType,
        ..Setup::STANDARD
    },
    judge,
};

fn judge(observed: &Observation) -> CheckResult {
    observed.completed()
}
