//! cc-bearer-header: the access token goes in the Authorization header (RFC 6750 §2.1), in one
//! place only (§2); the query form is a SHOULD NOT (§2.3).

use crate::client::{ClientTest, Observation, Plan, Setup};
use crate::model::{CheckResult, Citation, Keyword, deviate, fail};

pub(super) const TEST: ClientTest = ClientTest {
    id: "cc-bearer-header",
    plan: Plan::ClientCredentials,
    citations: &[
        Citation {
            source: "RFC 6750 §2",
            keyword: Keyword::MustNot,
            quote: "Clients MUST NOT use more than one method to transmit the token in each request.",
        },
        Citation {
            source: "RFC 6750 §2.3",
            keyword: Keyword::ShouldNot,
            quote: "Because of the security weaknesses associated with the URI method […], it SHOULD NOT be used unless it is impossible to transport the access token in the \"Authorization\" request header field or the HTTP request entity-body.",
        },
    ],
    title: "The bearer token in the Authorization header, and only there",
    setup: Setup::STANDARD,
    judge,
};

fn judge(observed: &Observation) -> CheckResult {
    let mut calls = observed.resource_calls().peekable();
    if calls.peek().is_none() {
        return Err(fail(
            "calls to the resource",
            format!("none ({}{})", observed.exit, observed.last_words()),
        ));
    }
    for call in calls {
        let in_header = call
            .header("authorization")
            .and_then(|v| v.split_once(' '))
            .is_some_and(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"));
        let in_query = call.query_pairs().iter().any(|(n, _)| n == "access_token");
        let in_body = call.param("access_token").is_some();
        match (in_header, in_query || in_body) {
            (true, false) => {}
            (true, true) => {
                return Err(fail(
                    "the token in one place",
                    "in the Authorization header and in the query or body",
                ));
            }
            (false, true) => {
                return Err(deviate(
                    "the token in the Authorization header",
                    "access_token in the query or body",
                ));
            }
            (false, false) => {
                return Err(fail("the token in the Authorization header", "no token"));
            }
        }
    }
    Ok(())
}
