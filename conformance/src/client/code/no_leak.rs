//! code-no-leak: no secret or token on the client's standard output or error (RFC 6749 §10.3).

use crate::client::cc::{LEAK_CITATION, judge_leak};
use crate::client::{ClientTest, Plan, Setup};

pub(super) const TEST: ClientTest = ClientTest {
    id: "code-no-leak",
    plan: Plan::AuthorizationCode,
    citations: &[LEAK_CITATION],
    title: "No secret or token printed on standard output or error",
    setup: Setup::STANDARD,
    judge: judge_leak,
};
