//! code-issuer-mismatch: with RFC 9207 advertised, a response whose `iss` is another issuer is
//! rejected (RFC 9207 §2.4, RFC 9700 §4.4).

use crate::client::{Behaviour, ClientTest, Delivery, Observation, Plan, Setup};
use crate::model::{CheckResult, Citation, Keyword};

pub(super) const TEST: ClientTest = ClientTest {
    id: "code-issuer-mismatch",
    plan: Plan::AuthorizationCode,
    // RFC 9207 binds the clients that support it, which the harness cannot know: a warning.
    citations: &[
        Citation {
            source: "docs/client.md › code-issuer-mismatch",
            keyword: Keyword::Decision,
            quote: "A client of a server that advertises RFC 9207 compares iss with the issuer and does not proceed with a response from another one.",
        },
        Citation {
            source: "RFC 9207 §2.4",
            keyword: Keyword::Must,
            quote: "If the value does not match the expected issuer identifier, clients MUST reject the authorization response and MUST NOT proceed with the authorization grant.",
        },
    ],
    title: "A response from another issuer (iss) rejected when the server advertises RFC 9207",
    setup: Setup {
        behaviour: Behaviour::AdvertisesIssuer,
        delivery: Delivery::WrongIssuer,
        ..Setup::STANDARD
    },
    judge,
};

fn judge(observed: &Observation) -> CheckResult {
    super::rejected(observed, "a response with another issuer's iss")
}
