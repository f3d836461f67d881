//! cc-basic-encoding: with a secret holding `+ / : % =` and a space, Basic credentials are
//! form-encoded before base64 (RFC 6749 §2.3.1); body credentials work but are NOT RECOMMENDED.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::client::{ClientTest, Observation, Plan, SecretKind, Setup};
use crate::model::{CheckResult, Citation, Keyword, deviate, fail};

pub(super) const TEST: ClientTest = ClientTest {
    id: "cc-basic-encoding",
    plan: Plan::ClientCredentials,
    citations: &[
        Citation {
            source: "RFC 6749 §3.2.1",
            keyword: Keyword::Must,
            quote: "Confidential clients or other clients issued client credentials MUST authenticate with the authorization server as described in Section 2.3 when making requests to the token endpoint.",
        },
        Citation {
            source: "RFC 6749 §2.3.1",
            keyword: Keyword::NotRecommended,
            quote: "Including the client credentials in the request-body using the two parameters is NOT RECOMMENDED and SHOULD be limited to clients unable to directly utilize the HTTP Basic authentication scheme",
        },
    ],
    title: "Basic credentials form-encoded before base64, for a secret that needs it",
    setup: Setup {
        secret: SecretKind::NeedsEncoding,
        ..Setup::STANDARD
    },
    judge,
};

fn form_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("v={}", text.replace('&', "%26")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

fn judge(observed: &Observation) -> CheckResult {
    let Some(request) = observed.token_requests().next() else {
        return Err(fail(
            "a token request",
            format!("none ({}{})", observed.exit, observed.last_words()),
        ));
    };
    if let Some(basic) = request
        .header("authorization")
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .map(|(_, value)| value.trim())
    {
        let raw = STANDARD
            .decode(basic)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .unwrap_or_default();
        let (user, password) = raw.split_once(':').unwrap_or((&raw, ""));
        if form_decode(user) != observed.client_id
            || form_decode(password) != observed.client_secret
        {
            return Err(fail(
                "Basic credentials whose user name and password form-decode to the client id and secret (RFC 6749 §2.3.1, App. B)",
                "a password that does not: the secret was not form-encoded before base64",
            ));
        }
    } else if request.param("client_secret").as_deref() == Some(observed.client_secret.as_str()) {
        return Err(deviate(
            "Basic credentials (RFC 6749 §2.3.1)",
            "client_id and client_secret in the request body, which is NOT RECOMMENDED",
        ));
    } else {
        return Err(fail(
            "client authentication with the client's secret",
            "a token request without it",
        ));
    }
    observed.completed()
}
