//! cc-retry-after: a 503 from the token endpoint and a 429 from the resource, each with
//! `Retry-After: 1`, are retried no sooner than they say (RFC 9110 §10.2.3, RFC 6585 §4).

use std::time::Duration;

use crate::client::behaviour::RETRY_AFTER_SECONDS;
use crate::client::observe::Seen;
use crate::client::{Behaviour, ClientTest, Observation, Plan, Setup};
use crate::model::{CheckResult, Citation, Keyword, fail};

pub(super) const TEST: ClientTest = ClientTest {
    id: "cc-retry-after",
    plan: Plan::ClientCredentials,
    citations: &[Citation {
        source: "RFC 9110 §10.2.3",
        keyword: Keyword::Decision,
        quote: "Servers send the \"Retry-After\" header field to indicate how long the user agent ought to wait before making a follow-up request.",
    }],
    title: "429 and 503 with Retry-After honoured, then the call succeeds",
    setup: Setup {
        behaviour: Behaviour::RetryAfter,
        ..Setup::STANDARD
    },
    judge,
};

/// The gap between a refused request and the next one like it, if there was a next one.
fn waited(requests: &[&Seen], refused: u16) -> Option<Duration> {
    let at = requests.iter().position(|s| s.status == refused)?;
    let next = requests.get(at + 1)?;
    Some(next.at.duration_since(requests[at].at))
}

fn judge(observed: &Observation) -> CheckResult {
    observed.completed()?;
    let wanted = Duration::from_secs(RETRY_AFTER_SECONDS);
    let token: Vec<&Seen> = observed.token_requests().collect();
    let resource: Vec<&Seen> = observed.resource_calls().collect();
    for (what, requests, status) in [
        ("token request", &token, 503),
        ("resource call", &resource, 429),
    ] {
        match waited(requests, status) {
            Some(gap) if gap >= wanted => {}
            Some(gap) => {
                return Err(fail(
                    format!("the {what} retried after {RETRY_AFTER_SECONDS} s (Retry-After)"),
                    format!("retried after {} ms", gap.as_millis()),
                ));
            }
            None => {
                return Err(fail(
                    format!("a {what} answered {status}, then retried"),
                    "no retry recorded",
                ));
            }
        }
    }
    Ok(())
}
