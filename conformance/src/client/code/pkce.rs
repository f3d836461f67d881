//! code-pkce: PKCE with S256, and the matching verifier at the token endpoint (RFC 9700 §2.1.1,
//! RFC 7636 §4.2, §4.5).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::client::{ClientTest, Observation, Plan, Setup};
use crate::model::{CheckResult, Citation, Keyword, fail};

pub(super) const TEST: ClientTest = ClientTest {
    id: "code-pkce",
    plan: Plan::AuthorizationCode,
    citations: &[
        Citation {
            source: "RFC 9700 §2.1.1",
            keyword: Keyword::Recommended,
            quote: "For confidential clients, the use of PKCE [RFC7636] is RECOMMENDED, as it provides strong protection against misuse and injection of authorization codes",
        },
        Citation {
            source: "RFC 9700 §2.1.1",
            keyword: Keyword::Should,
            quote: "If PKCE is used, clients SHOULD use PKCE code challenge methods that do not expose the PKCE verifier in the authorization request.",
        },
    ],
    title: "PKCE with S256, the verifier sent with the code",
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
    let Some(challenge) = observed.authorization_param("code_challenge") else {
        return Err(fail("a code_challenge", "none"));
    };
    let method = observed.authorization_param("code_challenge_method");
    if method.as_deref() != Some("S256") {
        return Err(fail(
            "code_challenge_method=S256",
            method.unwrap_or_else(|| "none (plain)".into()),
        ));
    }
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
    let verifier = redemption.param("code_verifier").unwrap_or_default();
    if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != challenge {
        return Err(fail(
            "a code_verifier whose S256 is the challenge",
            if verifier.is_empty() {
                "no code_verifier"
            } else {
                "another verifier"
            },
        ));
    }
    Ok(())
}
