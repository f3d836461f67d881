//! code-state-entropy: a `state` that binds the response to the browser session, with at least
//! 128 bits (RFC 6749 §10.10, §10.12).

use crate::client::{ClientTest, Observation, Plan, Setup};
use crate::model::{CheckResult, Citation, Keyword, deviate, fail};

pub(super) const TEST: ClientTest = ClientTest {
    id: "code-state-entropy",
    plan: Plan::AuthorizationCode,
    citations: &[
        Citation {
            source: "RFC 6749 §10.10",
            keyword: Keyword::Must,
            quote: "The probability of an attacker guessing generated tokens (and other credentials not intended for handling by end-users) MUST be less than or equal to 2^(-128) and SHOULD be less than or equal to 2^(-160).",
        },
        Citation {
            source: "RFC 6749 §4.1.1",
            keyword: Keyword::Recommended,
            quote: "state RECOMMENDED. An opaque value used by the client to maintain state between the request and callback.",
        },
    ],
    title: "A state of at least 128 bits",
    setup: Setup::STANDARD,
    judge,
};

/// Bits a value of this length and alphabet can hold at most: hex digits carry 4 bits a
/// character, decimal digits 3.3, anything richer is counted as base64 (6).
fn bits(value: &str) -> f64 {
    let per_char = if value.chars().all(|c| c.is_ascii_digit()) {
        10f64.log2()
    } else if value.chars().all(|c| c.is_ascii_hexdigit()) {
        4.0
    } else {
        6.0
    };
    value.chars().count() as f64 * per_char
}

fn judge(observed: &Observation) -> CheckResult {
    if observed.authorization_url.is_none() {
        return Err(fail(
            "an authorization URL on standard output",
            format!("none ({}{})", observed.exit, observed.last_words()),
        ));
    }
    let Some(state) = observed.state() else {
        return Err(deviate("a state parameter", "none"));
    };
    if bits(&state) < 128.0 {
        return Err(fail(
            "a state of at least 128 bits",
            format!(
                "{} characters, at most {:.0} bits",
                state.len(),
                bits(&state)
            ),
        ));
    }
    Ok(())
}
