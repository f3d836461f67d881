//! BEARER-01 to BEARER-03: a live token is served (RFC 6750 §2.1); no credentials, a garbage, a
//! revoked or an expired token get a Bearer challenge (§3, §3.1).

use serde_json::Value;

use super::{
    BACKOFFICE, IDENTITY_ME, Protected, WALLET_REPORTS, bearer, bearer_params, is_success,
    judge_refused,
};
use crate::check;
use crate::checks::support::access_token;
use crate::ctx::Ctx;
use crate::model::{Check, CheckResult, Deviations, ensure, skip};

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "bearer-01",
            ["BEARER-01"],
            [
                (
                    Must,
                    "RFC 6750 §2.1",
                    "Resource servers MUST support this method."
                ),
                (
                    Decision,
                    "RFC 9110 §11.1",
                    "It uses a case-insensitive token to identify the authentication scheme"
                )
            ],
            Both,
            [],
            "Authorization: Bearer with a live token is served, whatever the case of the scheme name",
            bearer_01
        ),
        check!(
            "bearer-02",
            ["BEARER-02"],
            [
                (
                    Must,
                    "RFC 6750 §3",
                    "If the protected resource request does not include authentication credentials … the resource server MUST include the HTTP \"WWW-Authenticate\" response header field"
                ),
                (
                    Must,
                    "RFC 6750 §3",
                    "All challenges defined by this specification MUST use the auth-scheme value \"Bearer\". This scheme MUST be followed by one or more auth-param values."
                ),
                (
                    ShouldNot,
                    "RFC 6750 §3.1",
                    "If the request lacks any authentication information … the resource server SHOULD NOT include an error code or other error information."
                ),
                (
                    Decision,
                    "BEARER-02",
                    "No credentials → 401 with a single `WWW-Authenticate: Bearer realm=\"…\"` challenge"
                )
            ],
            Both,
            [],
            "no credentials get a Bearer challenge with at least one attribute and no error (the reference: 401, one challenge, a realm)",
            bearer_02
        ),
        check!(
            "bearer-03a",
            ["BEARER-03"],
            [
                (
                    Must,
                    "RFC 6750 §3",
                    "If the protected resource request … does not contain an access token that enables access to the protected resource, the resource server MUST include the HTTP \"WWW-Authenticate\" response header field"
                ),
                (
                    MustNot,
                    "RFC 6750 §3",
                    "The \"error\", \"error_description\", and \"error_uri\" attributes MUST NOT appear more than once."
                ),
                (
                    Should,
                    "RFC 6750 §3.1",
                    "invalid_token … The resource SHOULD respond with the HTTP 401 (Unauthorized) status code."
                ),
                (
                    Should,
                    "RFC 6750 §3",
                    "If the protected resource request included an access token and failed authentication, the resource server SHOULD include the \"error\" attribute"
                )
            ],
            Both,
            [],
            "a garbage or revoked token is refused with a well-formed Bearer challenge (the reference: 401 invalid_token)",
            bearer_03a
        ),
        check!(
            "bearer-03b",
            ["BEARER-03"],
            [
                (
                    Must,
                    "RFC 6750 §3",
                    "If the protected resource request … does not contain an access token that enables access to the protected resource, the resource server MUST include the HTTP \"WWW-Authenticate\" response header field"
                ),
                (
                    Should,
                    "RFC 6750 §3.1",
                    "invalid_token: The access token provided is expired, revoked, malformed, or invalid for other reasons. The resource SHOULD respond with the HTTP 401 (Unauthorized) status code."
                )
            ],
            Both,
            [Clock],
            "an expired token is refused with a well-formed Bearer challenge (the reference: 401 invalid_token)",
            bearer_03b
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// BEARER-01 to BEARER-03: live tokens served, others refused with a challenge

async fn bearer_01(ctx: Ctx) -> CheckResult {
    let resource = Protected::find(&ctx, BACKOFFICE)?;
    let (_, token) = resource.token(&ctx).await?;
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let reply = resource
            .call(&ctx, Some(&format!("{scheme} {token}")))
            .await?;
        ensure(
            is_success(reply.status),
            format!(
                "{} with `Authorization: {scheme} <live token>`: served (2xx)",
                resource.label()
            ),
            reply.summary(),
        )?;
    }
    Ok(())
}

async fn bearer_02(ctx: Ctx) -> CheckResult {
    let resources = if ctx.run.target.resource.is_some() {
        vec![Protected::find(&ctx, BACKOFFICE)?]
    } else {
        [BACKOFFICE, IDENTITY_ME, WALLET_REPORTS]
            .iter()
            .map(|path| Protected::find(&ctx, path))
            .collect::<Result<_, _>>()?
    };
    let warnings = Deviations::default();
    for resource in &resources {
        let what = format!("{} without credentials", resource.label());
        let reply = resource.call(&ctx, None).await?;
        let (params, only) = bearer_params(&reply, &what)?;
        if reply.status != 401 {
            warnings.note(format!("{what}: 401"), reply.summary());
        }
        if let Some(error) = params.get("error") {
            warnings.note(format!("{what}: no error attribute"), error);
        }
        if params.get("realm").is_none_or(String::is_empty) {
            warnings.note(format!("{what}: a realm"), format!("{params:?}"));
        }
        if !only {
            warnings.note(
                format!("{what}: a single challenge"),
                reply
                    .headers
                    .get_all("www-authenticate")
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .collect::<Vec<_>>()
                    .join(" | "),
            );
        }
    }
    warnings.end()
}

async fn bearer_03a(ctx: Ctx) -> CheckResult {
    let resource = Protected::find(&ctx, BACKOFFICE)?;
    let warnings = Deviations::default();
    let garbage = resource.call(&ctx, Some("Bearer garbage")).await?;
    judge_refused(&warnings, "a garbage token", &garbage)?;

    // A revoked token only where the target revokes access tokens (RFC 7009 §2: SHOULD) and
    // the resource served the token before.
    let (client, revoked) = resource.token(&ctx).await?;
    if ctx.endpoints().revocation.is_some() && resource.serves(&ctx, &revoked).await? {
        let answer = ctx.token_call("revocation", &client, &revoked).await?;
        if answer.status == 200 {
            let reply = resource.call(&ctx, Some(&bearer(&revoked))).await?;
            if is_success(reply.status) {
                // A resource that validates self-contained tokens may not learn of it.
                warnings.note(
                    "a revoked token refused (RFC 7009 §2: access-token revocation is a SHOULD)",
                    reply.summary(),
                );
            } else {
                judge_refused(&warnings, "a revoked token", &reply)?;
            }
        }
    }
    warnings.end()
}

async fn bearer_03b(ctx: Ctx) -> CheckResult {
    let resource = Protected::find(&ctx, BACKOFFICE)?;
    ctx.set_clock("2030-06-15T12:00:00Z").await?;
    let client = resource.client(&ctx).await?;
    let issued = resource.issue(&ctx, &client).await?;
    let token = access_token(&issued)?;
    let expires_in = issued
        .get("expires_in")
        .and_then(Value::as_i64)
        .ok_or_else(|| skip("the token response has no expires_in: no instant to expire at"))?;

    ctx.advance_clock(expires_in).await?;
    let reply = resource.call(&ctx, Some(&bearer(&token))).await?;
    let warnings = Deviations::default();
    judge_refused(&warnings, "a token at its exp", &reply)?;
    warnings.end()
}
