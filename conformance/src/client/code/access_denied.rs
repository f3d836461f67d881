//! code-access-denied: `error=access_denied` ends the flow: no token request of any grant
//! type (RFC 6749 §4.1.2.1).

use crate::client::{ClientTest, Delivery, Observation, Plan, Setup};
use crate::model::{CheckResult, Citation, Keyword};

pub(super) const TEST: ClientTest = ClientTest {
    id: "code-access-denied",
    plan: Plan::AuthorizationCode,
    citations: &[Citation {
        source: "RFC 6749 §4.1.2.1",
        keyword: Keyword::Decision,
        quote: "access_denied The resource owner or authorization server denied the request.",
    }],
    title: "access_denied handled without any token request",
    setup: Setup {
        delivery: Delivery::Denied,
        ..Setup::STANDARD
    },
    judge,
};

fn judge(observed: &Observation) -> CheckResult {
    super::rejected(observed, "error=access_denied")
}
