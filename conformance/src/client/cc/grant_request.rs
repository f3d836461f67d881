//! cc-grant-request: the token request is a form POST with `grant_type=client_credentials`
//! (RFC 6749 §4.4.2).

use crate::client::{ClientTest, Observation, Plan, Setup};
use crate::model::{CheckResult, Citation, Keyword, fail};

pub(super) const TEST: ClientTest = ClientTest {
    id: "cc-grant-request",
    plan: Plan::ClientCredentials,
    citations: &[Citation {
        source: "RFC 6749 §4.4.2",
        keyword: Keyword::Required,
        quote: "The client makes a request to the token endpoint by adding the following parameters using the \"application/x-www-form-urlencoded\" format […]: grant_type REQUIRED. Value MUST be set to \"client_credentials\".",
    }],
    title: "The token request is a form POST with grant_type=client_credentials",
    setup: Setup::STANDARD,
    judge,
};

fn judge(observed: &Observation) -> CheckResult {
    let mut requests = observed.token_requests().peekable();
    if requests.peek().is_none() {
        return Err(fail(
            "a token request",
            format!("none ({}{})", observed.exit, observed.last_words()),
        ));
    }
    for request in requests {
        let content_type = request.header("content-type").unwrap_or("(none)");
        let form = content_type.split(';').next().is_some_and(|t| {
            t.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
        let grant = request.param("grant_type");
        if request.method != "POST" || !form || grant.as_deref() != Some("client_credentials") {
            return Err(fail(
                "POST, application/x-www-form-urlencoded, grant_type=client_credentials",
                format!(
                    "{}, {content_type}, grant_type={}",
                    request.method,
                    grant.as_deref().unwrap_or("(none)")
                ),
            ));
        }
    }
    Ok(())
}
