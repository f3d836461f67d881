//! code-authorization-request: `response_type=code`, the client's own id and the registered
//! `redirect_uri` (RFC 6749 §4.1.1, §3.1.2).

use crate::client::{ClientTest, Observation, Plan, Setup};
use crate::model::{CheckResult, Citation, Keyword, fail};

pub(super) const TEST: ClientTest = ClientTest {
    id: "code-authorization-request",
    plan: Plan::AuthorizationCode,
    citations: &[Citation {
        source: "RFC 6749 §4.1.1",
        keyword: Keyword::Required,
        quote: "response_type REQUIRED. Value MUST be set to \"code\".",
    }],
    title: "The authorization request: response_type=code, client_id, the registered redirect_uri",
    setup: Setup::STANDARD,
    judge,
};

fn judge(observed: &Observation) -> CheckResult {
    if observed.authorization_url.is_none() {
        return Err(fail(
            "an authorization URL on standard output",
            format!("none ({}{})", observed.exit, observed.last_words()),
        ));
    }
    let param = |name| observed.authorization_param(name);
    let shown = |value: Option<String>| value.unwrap_or_else(|| "(none)".into());
    if param("response_type").as_deref() != Some("code") {
        return Err(fail("response_type=code", shown(param("response_type"))));
    }
    if param("client_id").as_deref() != Some(observed.client_id.as_str()) {
        return Err(fail(
            "the client's own client_id",
            shown(param("client_id")),
        ));
    }
    if param("redirect_uri") != observed.redirect_uri {
        return Err(fail(
            format!("redirect_uri={}", shown(observed.redirect_uri.clone())),
            shown(param("redirect_uri")),
        ));
    }
    observed.completed()
}
