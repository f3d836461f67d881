//! cc-no-credentials-in-url: the client secret never travels in a URL (RFC 6749 §2.3.1).

use crate::client::{ClientTest, Observation, Plan, Setup};
use crate::model::{CheckResult, Citation, Keyword, fail};

pub(super) const TEST: ClientTest = ClientTest {
    id: "cc-no-credentials-in-url",
    plan: Plan::ClientCredentials,
    citations: &[Citation {
        source: "RFC 6749 §2.3.1",
        keyword: Keyword::MustNot,
        quote: "The parameters can only be transmitted in the request-body and MUST NOT be included in the request URI.",
    }],
    title: "Client credentials never in the request URI",
    setup: Setup::STANDARD,
    judge,
};

fn judge(observed: &Observation) -> CheckResult {
    for request in &observed.requests {
        let query = request.query_pairs();
        let named = query
            .iter()
            .find(|(n, _)| n == "client_secret" || n == "client_id")
            .map(|(n, _)| n.clone());
        let secret = request
            .query
            .as_deref()
            .is_some_and(|q| q.contains(&observed.client_secret))
            || query.iter().any(|(_, v)| *v == observed.client_secret);
        if let Some(name) = named.or_else(|| secret.then(|| "the secret".to_owned())) {
            return Err(fail(
                "credentials in the request body or Authorization header only",
                format!("{name} in the URI of {} {}", request.method, request.path),
            ));
        }
    }
    if observed.token_requests().next().is_none() {
        return Err(fail(
            "a token request",
            format!("none ({}{})", observed.exit, observed.last_words()),
        ));
    }
    Ok(())
}
