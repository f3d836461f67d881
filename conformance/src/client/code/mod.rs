//! The authorization-code plan (RFC 6749 §4.1): a web client acting for a user. The client
//! prints its authorization URL and listens on `OAUTH_REDIRECT_URI`; the harness is the
//! browser. One module per test.

mod access_denied;
mod authorization_request;
mod injected_code;
mod issuer_mismatch;
mod no_leak;
mod pkce;
mod redeem_once;
mod redirect_uri_at_token;
mod refresh_rotation;
mod state_entropy;
mod state_mismatch;

use super::ClientTest;
use super::observe::{Exit, Observation};
use crate::model::{CheckResult, fail};

pub const TESTS: &[ClientTest] = &[
    authorization_request::TEST,
    state_entropy::TEST,
    pkce::TEST,
    redirect_uri_at_token::TEST,
    state_mismatch::WRONG,
    state_mismatch::MISSING,
    access_denied::TEST,
    issuer_mismatch::TEST,
    injected_code::TEST,
    redeem_once::TEST,
    refresh_rotation::TEST,
    no_leak::TEST,
];

/// A response the client must reject: it exits non-zero and sends no token request at all.
fn rejected(observed: &Observation, why: &str) -> CheckResult {
    if observed.delivered.is_empty() {
        return Err(fail(
            "an authorization URL on standard output, and the response delivered",
            format!("{}{}", observed.exit, observed.last_words()),
        ));
    }
    let grants = observed.grant_types();
    if !grants.is_empty() {
        return Err(fail(
            format!("no token request after {why}"),
            format!("token requests with grant_type {}", grants.join(", ")),
        ));
    }
    match observed.exit {
        Exit::Code(code) if code != 0 => Ok(()),
        ref other => Err(fail(
            format!("a non-zero exit after {why}"),
            other.to_string(),
        )),
    }
}
