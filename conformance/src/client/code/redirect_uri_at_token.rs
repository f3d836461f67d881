//! code-redirect-uri-at-token: the token request repeats the authorization request's
//! `redirect_uri` exactly (RFC 6749 §4.1.3).

use crate::client::{ClientTest, Observation, Plan, Setup};
use crate::model::{CheckResult, Citation, Keyword, fail};

pub(super) const TEST: ClientTest = ClientTest {
    id: "code-redirect-uri-at-token",
    plan: Plan::AuthorizationCode,
    citations: &[Citation {
        source: "RFC 6749 §4.1.3",
        keyword: Keyword::Must,
        quote: "redirect_uri REQUIRED, if the \"redirect_uri\" parameter was included in the authorization request as described in Section 4.1.1, and their values MUST be identical.",
    }],
    title: "The same redirect_uri at the token endpoint",
    setup: Setup::STANDARD,
    judge,
};

fn judge(observed: &Observation) -> CheckResult {
    let asked = observed.authorization_param("redirect_uri");
    let redemptions = observed.grants("authorization_code");
    let Some(redemption) = redemptions.first() else {
        return Err(fail(
            "the code redeemed",
            format!(
                "no token request ({}{})",
                observed.exit,
                observed.last_words()
            ),
        ));
    };
    let sent = redemption.param("redirect_uri");
    if asked.is_some() && sent != asked {
        return Err(fail(
            format!("redirect_uri={}", asked.unwrap_or_default()),
            sent.unwrap_or_else(|| "none".into()),
        ));
    }
    Ok(())
}
