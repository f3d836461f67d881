//! cc-token-reuse: one token for all the calls it is good for, not one per call: a client that
//! asks per call multiplies the server's load by its call rate.

use crate::client::{ClientTest, Observation, Plan, Setup};
use crate::model::{CheckResult, Citation, Keyword, fail};

pub(super) const TEST: ClientTest = ClientTest {
    id: "cc-token-reuse",
    plan: Plan::ClientCredentials,
    citations: &[Citation {
        source: "docs/client.md › cc-token-reuse",
        keyword: Keyword::Decision,
        quote: "A client reuses its access token for every call until the token expires or is refused, rather than asking for one per call.",
    }],
    title: "One access token reused across calls",
    setup: Setup::STANDARD,
    judge,
};

fn judge(observed: &Observation) -> CheckResult {
    observed.completed()?;
    let asked = observed.grants("client_credentials").len();
    if asked > 1 {
        return Err(fail(
            format!("one token request for {} calls", observed.calls),
            format!("{asked} token requests"),
        ));
    }
    Ok(())
}
