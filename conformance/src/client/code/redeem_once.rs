//! code-redeem-once: the browser delivers the response twice; the code is redeemed once
//! (RFC 6749 §4.1.2).

use crate::client::{ClientTest, Delivery, Observation, Plan, Setup};
use crate::model::{CheckResult, Citation, Keyword, fail};

pub(super) const TEST: ClientTest = ClientTest {
    id: "code-redeem-once",
    plan: Plan::AuthorizationCode,
    citations: &[Citation {
        source: "RFC 6749 §4.1.2",
        keyword: Keyword::MustNot,
        quote: "The client MUST NOT use the authorization code more than once.",
    }],
    title: "Each code redeemed once, even when the response arrives twice",
    setup: Setup {
        delivery: Delivery::Twice,
        ..Setup::STANDARD
    },
    judge,
};

fn judge(observed: &Observation) -> CheckResult {
    let redemptions = observed.grants("authorization_code").len();
    if redemptions > 1 {
        return Err(fail(
            "one authorization_code token request",
            format!("{redemptions}"),
        ));
    }
    observed.completed()
}
