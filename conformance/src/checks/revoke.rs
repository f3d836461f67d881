//! REVOKE: token revocation (RFC 7009). Whether a token still works is seen by its owner:
//! introspection where the target shows a client its own tokens, else a protected resource
//! that served the token, else the refresh grant for a refresh token; never by an
//! introspection the target may lawfully refuse.

use reqwest::Method;
use serde_json::Value;

use super::bearer::{Protected, bearer, is_success, judge_refused};
use super::introspect::{introspection, shows_own, without_token};
use super::support::{
    IfAbsent, access_token, refresh, refresh_token, token_at_fixed_time, token_call_with,
    user_tokens, with_secret,
};
use crate::check;
use crate::ctx::{ClientCreds, Ctx, basic, form_pair};
use crate::model::{Check, CheckResult, Deviations, Outcome, deviate, ensure, fail, skip};

const BACKOFFICE: &str = "/resources/backoffice/orders";
const IDENTITY_ME: &str = "/resources/identity/me";

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "revoke-01",
            ["REVOKE-01"],
            [
                (
                    Should,
                    "RFC 7009 §2",
                    "Implementations MUST support the revocation of refresh tokens and SHOULD support the revocation of access tokens"
                ),
                (
                    Should,
                    "RFC 6750 §3.1",
                    "invalid_token: The access token provided is expired, revoked, malformed, or invalid for other reasons. The resource SHOULD respond with the HTTP 401 (Unauthorized) status code."
                )
            ],
            Both,
            [],
            "revoking a live access token, with or without a hint, gives 200; introspection and the resource then refuse it",
            revoke_01
        ),
        check!(
            "revoke-02",
            ["REVOKE-02"],
            [
                (
                    Must,
                    "RFC 7009 §2",
                    "Implementations MUST support the revocation of refresh tokens"
                ),
                (
                    Must,
                    "RFC 6749 §5.2",
                    "invalid_grant: The provided authorization grant … or refresh token is invalid, expired, revoked"
                )
            ],
            Both,
            [Ua],
            "revoking a refresh token gives 200, and the refresh grant with it then gives invalid_grant",
            revoke_02
        ),
        check!(
            "revoke-03",
            ["REVOKE-03"],
            [(
                Should,
                "RFC 7009 §2.1",
                "If the particular token is a refresh token and the authorization server supports the revocation of access tokens, then the authorization server SHOULD also invalidate all access tokens … grant"
            )],
            Both,
            [Ua],
            "once a refresh token is revoked, the access tokens of its grant are inactive",
            revoke_03
        ),
        check!(
            "revoke-04a",
            ["REVOKE-04"],
            [
                (
                    Must,
                    "RFC 7009 §2.2",
                    "The authorization server responds with HTTP status code 200 if the token has been revoked successfully or if the client submitted an invalid token."
                ),
                (
                    Must,
                    "RFC 7009 §2.1",
                    "If the server is unable to locate the token using the given hint, it MUST extend its search across all of its supported token types."
                ),
                (
                    Should,
                    "RFC 7009 §2",
                    "SHOULD support the revocation of access tokens"
                )
            ],
            Both,
            [],
            "garbage and already-revoked tokens give 200; an unknown or wrong hint still revokes",
            revoke_04a
        ),
        check!(
            "revoke-04b",
            ["REVOKE-04"],
            [(
                Must,
                "RFC 7009 §2.2",
                "The authorization server responds with HTTP status code 200 if the token has been revoked successfully or if the client submitted an invalid token."
            )],
            Both,
            [Clock],
            "revoking an expired token gives 200",
            revoke_04b
        ),
        check!(
            "revoke-05",
            ["REVOKE-05"],
            [
                (
                    Must,
                    "RFC 7009 §2.1",
                    "The authorization server first validates the client credentials (in case of a confidential client) … If this validation fails, the request is refused"
                ),
                (
                    Must,
                    "RFC 6749 §5.2",
                    "invalid_client: Client authentication failed … If the client attempted to authenticate via the \"Authorization\" request header field, the authorization server MUST respond with an HTTP 401"
                ),
                (
                    Must,
                    "RFC 7009 §2.2.1",
                    "The error presentation conforms to the definition in Section 5.2 of [RFC6749]."
                ),
                (
                    Decision,
                    "REVOKE-05",
                    "No client authentication, or a wrong secret → 401 invalid_client; the token stays active."
                )
            ],
            Both,
            [],
            "no client authentication or a wrong secret is refused with invalid_client (401 for Basic), and the token stays active",
            revoke_05
        ),
        check!(
            "revoke-06",
            ["REVOKE-06"],
            [
                (
                    Must,
                    "RFC 7009 §2.1",
                    "verifies whether the token was issued to the client making the revocation request. If this validation fails, the request is refused"
                ),
                (
                    Decision,
                    "AMB-28",
                    "the reference answers 200 and leaves the token alive."
                )
            ],
            Both,
            [Ua],
            "another client revoking a token leaves it usable by its owner; the reference answers 200",
            revoke_06
        ),
        check!(
            "revoke-07",
            ["REVOKE-07"],
            [
                (
                    Must,
                    "RFC 7009 §2.2.1",
                    "The error presentation conforms to the definition in Section 5.2 of [RFC6749]."
                ),
                (
                    Must,
                    "RFC 6749 §5.2",
                    "invalid_request: The request is missing a required parameter"
                ),
                (
                    Decision,
                    "REVOKE-07",
                    "A POST without `token` → 400 invalid_request."
                )
            ],
            Both,
            [],
            "a POST without token gives 400 invalid_request (a tolerant 200 deviates)",
            revoke_07
        ),
        check!(
            "revoke-08",
            ["REVOKE-08"],
            [(
                Decision,
                "REVOKE-08",
                "GET, including the JSONP style → 405."
            )],
            Both,
            [],
            "GET, also JSONP style, gives 405 and revokes nothing",
            revoke_08
        ),
    ]
}

async fn revoke(ctx: &Ctx, caller: &ClientCreds, token: &str, extra: &str) -> CheckResult {
    let reply = token_call_with(ctx, "revocation", caller, token, extra).await?;
    ensure(
        reply.status == 200,
        format!(
            "200 from revocation ({})",
            if extra.is_empty() { "no hint" } else { extra }
        ),
        reply.summary(),
    )
}

/// How a check sees whether an access token still works for its owner.
#[derive(Debug, Clone)]
struct Oracle {
    /// The target shows the owner its own live token by introspection.
    introspection: bool,
    /// A protected resource that served the token.
    resource: Option<Protected>,
}

impl Oracle {
    /// What shows `token` (live now) to be live: its owner's introspection, a resource that
    /// serves it, both, or nothing (None).
    async fn of(
        ctx: &Ctx,
        owner: &ClientCreds,
        token: &str,
        resource: Option<&Protected>,
    ) -> Result<Option<Self>, Outcome> {
        let introspection = shows_own(ctx, owner, token).await?;
        let resource = match resource {
            Some(resource) if resource.serves(ctx, token).await? => Some(resource.clone()),
            _ => None,
        };
        Ok((introspection || resource.is_some()).then_some(Self {
            introspection,
            resource,
        }))
    }

    /// Does `token` still work? The authorization server's own view (introspection) when it
    /// shows one: a resource that checks self-contained tokens may not learn of a revocation.
    async fn alive(&self, ctx: &Ctx, owner: &ClientCreds, token: &str) -> Result<bool, Outcome> {
        if self.introspection {
            let reply = introspection(ctx, owner, token, "").await?;
            ensure(
                reply.status == 200,
                "200 from introspection",
                reply.summary(),
            )?;
            return Ok(reply.json()?.get("active") == Some(&Value::Bool(true)));
        }
        match &self.resource {
            Some(resource) => resource.serves(ctx, token).await,
            None => Ok(false),
        }
    }
}

/// The protected resource a check may use as an oracle, if the target has one.
fn resource_for(ctx: &Ctx, demo_path: &str) -> Option<Protected> {
    Protected::find(ctx, demo_path).ok()
}

/// Why a check cannot see whether an access token works.
const NO_ORACLE: &str = "nothing shows whether an access token works: the target shows the \
                         client no active:true for its own token by introspection (RFC 7662 \
                         allows that), and no [resource] serves it";

async fn revoke_01(ctx: Ctx) -> CheckResult {
    let resource = resource_for(&ctx, BACKOFFICE);
    let client = match &resource {
        Some(resource) => resource.client(&ctx).await?,
        None => ctx.cc_client().await?,
    };
    let warnings = Deviations::default();
    for hint in ["", "token_type_hint=access_token"] {
        let token = match &resource {
            Some(resource) => resource.token_of(&ctx, &client).await?,
            None => ctx.access_token(&client).await?,
        };
        let oracle = Oracle::of(&ctx, &client, &token, resource.as_ref())
            .await?
            .ok_or_else(|| skip(NO_ORACLE))?;
        revoke(&ctx, &client, &token, hint).await?;
        if oracle.introspection {
            let reply = introspection(&ctx, &client, &token, "").await?;
            ensure(
                reply.json()?.get("active") == Some(&Value::Bool(false)),
                format!("active:false after revocation ({hint:?})"),
                reply.summary(),
            )?;
        }
        if let Some(resource) = &oracle.resource {
            let reply = resource.call(&ctx, Some(&bearer(&token))).await?;
            let what = format!("the revoked token at {}", resource.label());
            // Served after revocation is the SHOULD this check is about: a warning.
            judge_refused(&warnings, &what, &reply)?;
        }
    }
    warnings.end()
}

async fn revoke_02(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let tokens = user_tokens(&ctx, &client, client.scope.as_deref()).await?;
    let refresh_token = refresh_token(&tokens, IfAbsent::Skip)?;

    revoke(
        &ctx,
        &client,
        &refresh_token,
        "token_type_hint=refresh_token",
    )
    .await?;
    let reply = refresh(&ctx, &client, &refresh_token, "").await?;
    ensure(
        reply.status == 400 && reply.error_code().as_deref() == Some("invalid_grant"),
        "400 invalid_grant for a revoked refresh token",
        reply.summary(),
    )
}

async fn revoke_03(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let resource = resource_for(&ctx, IDENTITY_ME);
    let tokens = user_tokens(&ctx, &client, client.scope.as_deref()).await?;
    let first = refresh_token(&tokens, IfAbsent::Skip)?;
    let reply = refresh(&ctx, &client, &first, "").await?;
    ensure(
        reply.status == 200,
        "200 from the refresh grant",
        reply.summary(),
    )?;
    let second = reply.json()?;
    let newest = second
        .get("refresh_token")
        .and_then(Value::as_str)
        .unwrap_or(&first)
        .to_owned();

    // Only the access tokens that still work, and whose working something shows, can tell.
    let mut watched = Vec::new();
    for (what, issued) in [("the code exchange", &tokens), ("the refresh", &second)] {
        let access = access_token(issued)?;
        if let Some(oracle) = Oracle::of(&ctx, &client, &access, resource.as_ref()).await? {
            watched.push((what, access, oracle));
        }
    }
    if watched.is_empty() {
        return Err(skip(NO_ORACLE));
    }

    revoke(&ctx, &client, &newest, "token_type_hint=refresh_token").await?;
    for (what, access, oracle) in watched {
        ensure(
            !oracle.alive(&ctx, &client, &access).await?,
            format!("the access token from {what}: no longer works"),
            "it still works",
        )?;
    }
    Ok(())
}

async fn revoke_04a(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let warnings = Deviations::default();
    let revoked = ctx.access_token(&client).await?;
    let oracle = Oracle::of(&ctx, &client, &revoked, None).await?;
    let first = token_call_with(&ctx, "revocation", &client, &revoked, "").await?;
    // A server without access-token revocation (a SHOULD) answers unsupported_token_type.
    let revokes_access = first.status == 200;
    if !revokes_access {
        warnings.note("200 revoking a live access token", first.summary());
    }

    let mut invalid = vec![("garbage", "garbage")];
    if revokes_access {
        invalid.push(("already revoked", revoked.as_str()));
    }
    for (what, token) in invalid {
        let reply = ctx.token_call("revocation", &client, token).await?;
        ensure(
            reply.status == 200,
            format!("200 for a {what} token"),
            reply.summary(),
        )?;
    }

    // The hint cases need revocation of access tokens to work, and something to see it by.
    let Some(oracle) = oracle.filter(|_| revokes_access) else {
        return warnings.end();
    };
    if oracle.alive(&ctx, &client, &revoked).await? {
        warnings.note(
            "a revoked access token no longer works (RFC 7009 §2: SHOULD)",
            "it still works",
        );
        return warnings.end();
    }
    for hint in ["token_type_hint=foo", "token_type_hint=refresh_token"] {
        let token = ctx.access_token(&client).await?;
        revoke(&ctx, &client, &token, hint).await?;
        ensure(
            !oracle.alive(&ctx, &client, &token).await?,
            format!("revoked despite {hint}"),
            "it still works",
        )?;
    }
    warnings.end()
}

async fn revoke_04b(ctx: Ctx) -> CheckResult {
    let (client, token, expires_in) = token_at_fixed_time(&ctx).await?;
    ctx.advance_clock(expires_in).await?;
    if shows_own(&ctx, &client, &token).await? {
        return Err(skip(
            "the token is still active at its exp: there is no expired token to revoke",
        ));
    }

    revoke(&ctx, &client, &token, "").await
}

async fn revoke_05(ctx: Ctx) -> CheckResult {
    let resource = resource_for(&ctx, BACKOFFICE);
    let (client, token) = match &resource {
        Some(resource) => resource.token(&ctx).await?,
        None => {
            let client = ctx.cc_client().await?;
            let token = ctx.access_token(&client).await?;
            (client, token)
        }
    };
    let oracle = Oracle::of(&ctx, &client, &token, resource.as_ref()).await?;
    let url = ctx.endpoint("revocation")?;
    let body = form_pair("token", &token);
    let wrong = with_secret(&client, "wrong-secret-value");
    let warnings = Deviations::default();

    let cases = [
        ("no authentication", ctx.post_form(&url, &body), false),
        (
            "client_id only",
            ctx.post_form(
                &url,
                &format!("{body}&{}", form_pair("client_id", &client.id)),
            ),
            false,
        ),
        (
            "a wrong secret via Basic",
            basic(ctx.post_form(&url, &body), &wrong),
            true,
        ),
    ];
    for (what, request, via_header) in cases {
        let reply = ctx.send(request).await?;
        ensure(
            !is_success(reply.status),
            format!("{what}: refused"),
            reply.summary(),
        )?;
        ensure(
            reply.error_code().as_deref() == Some("invalid_client"),
            format!("{what}: invalid_client"),
            reply.summary(),
        )?;
        if reply.status != 401 {
            // RFC 6749 §5.2: 401 is a MAY without an Authorization header, a MUST with one.
            if via_header {
                return Err(fail(format!("{what}: 401"), reply.summary()));
            }
            warnings.note(format!("{what}: 401"), reply.summary());
        }
        if let Some(oracle) = &oracle {
            ensure(
                oracle.alive(&ctx, &client, &token).await?,
                format!("{what}: the token still works"),
                "it no longer works",
            )?;
        }
    }
    warnings.end()
}

async fn revoke_06(ctx: Ctx) -> CheckResult {
    let owner = ctx.code_client().await?;
    let other = ctx.code_client2().await?;
    let resource = resource_for(&ctx, IDENTITY_ME);
    let tokens = user_tokens(&ctx, &owner, owner.scope.as_deref()).await?;
    let access = access_token(&tokens)?;
    let owners_refresh = tokens.get("refresh_token").and_then(Value::as_str);
    let oracle = Oracle::of(&ctx, &owner, &access, resource.as_ref()).await?;
    if oracle.is_none() && owners_refresh.is_none() {
        return Err(skip(format!(
            "{NO_ORACLE}; and the target issued no refresh token to refresh with"
        )));
    }

    let mut answers = Vec::new();
    for token in std::iter::once(access.as_str()).chain(owners_refresh) {
        let reply = ctx.token_call("revocation", &other, token).await?;
        answers.push(reply.summary());
    }
    // Judged by the owner's own use: the access token first, as refreshing may retire it.
    if let Some(oracle) = &oracle {
        ensure(
            oracle.alive(&ctx, &owner, &access).await?,
            "the owner's access token still works after another client's revocation",
            "it no longer works",
        )?;
    }
    if let Some(token) = owners_refresh {
        let reply = refresh(&ctx, &owner, token, "").await?;
        ensure(
            reply.status == 200,
            "the owner can still refresh after another client's revocation",
            reply.summary(),
        )?;
    }
    // RFC 7009 §2.1 refuses the request with an error; the reference says 200 (AMB-28).
    if let Some(answer) = answers.iter().find(|a| !a.starts_with("200")) {
        return Err(deviate("200, which reveals nothing (AMB-28)", answer));
    }
    Ok(())
}

async fn revoke_07(ctx: Ctx) -> CheckResult {
    without_token(&ctx, "revocation", true).await
}

async fn revoke_08(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let token = ctx.access_token(&client).await?;
    let oracle = Oracle::of(&ctx, &client, &token, None).await?;
    let url = ctx.endpoint("revocation")?;
    let pair = form_pair("token", &token);
    for query in [pair.clone(), format!("{pair}&callback=package.myCallback")] {
        let reply = ctx
            .send(basic(
                ctx.http().request(Method::GET, format!("{url}?{query}")),
                &client,
            ))
            .await?;
        ensure(reply.status == 405, "405 for GET", reply.summary())?;
        ensure(
            !reply.body.contains("myCallback"),
            "no JSONP wrapper",
            &reply.body,
        )?;
    }
    if let Some(oracle) = oracle {
        ensure(
            oracle.alive(&ctx, &client, &token).await?,
            "GET revoked nothing",
            "the token no longer works",
        )?;
    }
    Ok(())
}
