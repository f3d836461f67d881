//! code-state-wrong, code-state-missing: a response whose `state` is not the one the client
//! sent is rejected, its code never redeemed (RFC 6749 §10.12, RFC 9700 §4.7).

use crate::client::{ClientTest, Delivery, Observation, Plan, Setup};
use crate::model::{CheckResult, Citation, Keyword};

const CSRF: &[Citation] = &[Citation {
    source: "RFC 6749 §10.12",
    keyword: Keyword::Must,
    quote: "The client MUST implement CSRF protection for its redirection URI. This is typically accomplished by requiring any request sent to the redirection URI endpoint to include a value that binds the request to the user-agent's authenticated state",
}];

pub(super) const WRONG: ClientTest = ClientTest {
    id: "code-state-wrong",
    plan: Plan::AuthorizationCode,
    citations: CSRF,
    title: "A response with another state rejected, its code never redeemed",
    setup: Setup {
        delivery: Delivery::WrongState,
        ..Setup::STANDARD
    },
    judge: wrong,
};

pub(super) const MISSING: ClientTest = ClientTest {
    id: "code-state-missing",
    plan: Plan::AuthorizationCode,
    citations: CSRF,
    title: "A response without state rejected, its code never redeemed",
    setup: Setup {
        delivery: Delivery::MissingState,
        ..Setup::STANDARD
    },
    judge: missing,
};

fn wrong(observed: &Observation) -> CheckResult {
    super::rejected(observed, "a response with another state")
}

fn missing(observed: &Observation) -> CheckResult {
    super::rejected(observed, "a response without state")
}
