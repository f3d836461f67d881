//! cc-invalid-client: `invalid_client` ends the run: no retry storm against a server that
//! refuses the client's credentials (RFC 6749 §5.2).

use crate::client::observe::Exit;
use crate::client::{Behaviour, ClientTest, Observation, Plan, Setup};
use crate::model::{CheckResult, Citation, Keyword, fail};

/// Token requests a client may send before giving up: the first and one retry.
const MAX_TOKEN_REQUESTS: usize = 2;

pub(super) const TEST: ClientTest = ClientTest {
    id: "cc-invalid-client",
    plan: Plan::ClientCredentials,
    citations: &[Citation {
        source: "RFC 6749 §5.2",
        keyword: Keyword::Decision,
        quote: "invalid_client Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method).",
    }],
    title: "invalid_client ends the run, without a retry storm",
    setup: Setup {
        behaviour: Behaviour::InvalidClient,
        ..Setup::STANDARD
    },
    judge,
};

fn judge(observed: &Observation) -> CheckResult {
    let asked = observed.token_requests().count();
    if asked > MAX_TOKEN_REQUESTS {
        return Err(fail(
            format!("at most {MAX_TOKEN_REQUESTS} token requests once refused as invalid_client"),
            format!("{asked}"),
        ));
    }
    match observed.exit {
        Exit::Code(code) if code != 0 => Ok(()),
        ref other => Err(fail(
            "a non-zero exit: no call could succeed",
            other.to_string(),
        )),
    }
}
