//! cc-unknown-members: members of the token response the client does not know are ignored
//! (RFC 6749 §5.1).

use crate::client::{Behaviour, ClientTest, Observation, Plan, Setup};
use crate::model::{CheckResult, Citation, Keyword};

pub(super) const TEST: ClientTest = ClientTest {
    id: "cc-unknown-members",
    plan: Plan::ClientCredentials,
    citations: &[Citation {
        source: "RFC 6749 §5.1",
        keyword: Keyword::Must,
        quote: "The client MUST ignore unrecognized value names in the response.",
    }],
    title: "Unknown members of the token response ignored",
    setup: Setup {
        behaviour: Behaviour::UnknownMembers,
        ..Setup::STANDARD
    },
    judge,
};

fn judge(observed: &Observation) -> CheckResult {
    observed.completed()
}
