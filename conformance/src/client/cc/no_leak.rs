//! cc-no-leak: no secret or token on the client's standard output or error (RFC 6749 §10.3).

use crate::client::{ClientTest, Observation, Plan, Setup};
use crate::model::{CheckResult, Citation, Keyword, fail};

pub(super) const TEST: ClientTest = ClientTest {
    id: "cc-no-leak",
    plan: Plan::ClientCredentials,
    citations: &[LEAK_CITATION],
    title: "No secret or token printed on standard output or error",
    setup: Setup::STANDARD,
    judge,
};

pub const LEAK_CITATION: Citation = Citation {
    source: "RFC 6749 §10.3",
    keyword: Keyword::Must,
    quote: "Access token credentials (as well as any confidential access token attributes) MUST be kept confidential in transit and storage, and only shared among the authorization server, the resource servers the access token is valid for, and the client to whom the access token is issued.",
};

/// Shared by both plans' leak tests.
pub fn judge(observed: &Observation) -> CheckResult {
    let printed = [
        ("standard output", &observed.stdout),
        ("standard error", &observed.stderr),
    ];
    for (stream, text) in printed {
        if text.contains(&observed.client_secret) {
            return Err(fail(
                "no secret printed",
                format!("the client secret on its {stream}"),
            ));
        }
        if observed
            .issued
            .iter()
            .any(|token| text.contains(token.as_str()))
        {
            return Err(fail(
                "no token printed",
                format!("an issued token on its {stream}"),
            ));
        }
    }
    if observed.issued.is_empty() {
        return Err(fail(
            "a token issued to the client",
            format!("none ({}{})", observed.exit, observed.last_words()),
        ));
    }
    Ok(())
}
