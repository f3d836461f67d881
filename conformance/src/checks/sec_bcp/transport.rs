//! SEC-BCP-09: TLS outside loopback (RFC 6749 §3.1, §3.2).

use url::Url;

use super::loopback_host;
use crate::check;
use crate::ctx::{Ctx, member};
use crate::model::{Check, CheckResult, Deviations, ensure, fail};

pub(super) fn checks() -> Vec<Check> {
    vec![check!(
        "sec-bcp-09",
        ["SEC-BCP-09"],
        [
            (
                Must,
                "RFC 6749 §3.1",
                "the authorization server MUST require the use of TLS as described in Section 1.6 when sending requests to the authorization endpoint."
            ),
            (
                Must,
                "RFC 6749 §3.2",
                "the authorization server MUST require the use of TLS as described in Section 1.6 when sending requests to the token endpoint."
            )
        ],
        Both,
        [],
        "metadata advertises https endpoints, plain http only on loopback hosts",
        bcp_09
    )]
}

// ---------------------------------------------------------------------------------------------
// SEC-BCP-09: TLS outside loopback

async fn bcp_09(ctx: Ctx) -> CheckResult {
    let metadata = &ctx.endpoints().metadata;
    let Some(fields) = metadata.as_object() else {
        return Err(fail("a metadata object", metadata));
    };
    let issuer = member(metadata, "issuer")?;
    let issuer_url = Url::parse(&issuer).map_err(|e| fail("an issuer URL", e))?;
    let deviations = Deviations::default();
    let mut checked = 0;
    for (name, value) in fields {
        let Some(text) = value.as_str() else {
            continue;
        };
        // Endpoints carry credentials and tokens; other `_uri` members (a JWK set, policy
        // pages) carry none, so cleartext there only deviates.
        let endpoint = name == "issuer" || name.ends_with("_endpoint");
        if !(endpoint || name.ends_with("_uri")) {
            continue;
        }
        let url = Url::parse(text).map_err(|e| fail(format!("{name} as a URL"), e))?;
        let tls = url.scheme() == "https" || (url.scheme() == "http" && loopback_host(&url));
        // No downgrade from an https issuer.
        let like_issuer = issuer_url.scheme() != "https" || url.scheme() == "https";
        let expected =
            format!("{name}: https (http on a loopback host only, and not under an https issuer)");
        if !endpoint {
            if !(tls && like_issuer) {
                deviations.note(expected, text);
            }
            continue;
        }
        checked += 1;
        ensure(tls && like_issuer, expected, text)?;
    }
    ensure(checked >= 2, "the issuer and its endpoints", checked)?;
    deviations.end()
}
