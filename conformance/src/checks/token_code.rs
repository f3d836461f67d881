//! TOKEN-CODE: redeeming authorization codes at the token endpoint (RFC 6749 §4.1.3, §4.1.4,
//! §10.5, §10.6; RFC 9700 §4.2.4).

use std::time::Duration;

use serde_json::json;

use super::authz_redir::stopped_at_login;
use super::races::RACERS;
use super::support::{
    CodeRequest, VERIFIER, client_code, code_for, code_grant, exchange, grant_error, granted,
    inactive, join, redeem, refresh, strict,
};
use super::token_rt::{refresh_grant_unlisted, sees_own_tokens};
use crate::check;
use crate::ctx::{CLIENT_CB, ClientCreds, Ctx, form_pair, member};
use crate::model::{Check, CheckResult, Deviations, Outcome, fail, skip};
use crate::ua::UserAgent;

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "token-code-01",
            ["TOKEN-CODE-01"],
            [
                (
                    Required,
                    "RFC 6749 §5.1",
                    "access_token REQUIRED. … token_type REQUIRED. … scope OPTIONAL, if identical to the scope requested by the client; otherwise, REQUIRED."
                ),
                (
                    Decision,
                    "TOKEN-CODE-01",
                    "The reference issues a refresh token to code clients and always states `scope`."
                )
            ],
            Both,
            [Ua],
            "a code with the same redirect_uri and client authentication gives an access token, and the scope where it differs",
            code_01
        ),
        check!(
            "token-code-02a",
            ["TOKEN-CODE-02"],
            [(
                Must,
                "RFC 6749 §4.1.2",
                "If an authorization code is used more than once, the authorization server MUST deny the request"
            )],
            Both,
            [Ua],
            "a used code, or one never issued, gives invalid_grant",
            code_02a
        ),
        check!(
            "token-code-02b",
            ["TOKEN-CODE-02"],
            [(
                Must,
                "RFC 6749 §4.1.2",
                "If an authorization code is used more than once, the authorization server MUST deny the request"
            )],
            Both,
            [Ua],
            "16 concurrent redemptions of one code: exactly one 200, the rest invalid_grant",
            code_02b
        ),
        check!(
            "token-code-03",
            ["TOKEN-CODE-03"],
            [(
                Should,
                "RFC 6749 §4.1.2",
                "…and SHOULD revoke (when possible) all tokens previously issued based on that authorization code."
            )],
            Both,
            [Ua],
            "a reuse attempt revokes the tokens of the first redemption",
            code_03
        ),
        check!(
            "token-code-04",
            ["TOKEN-CODE-04"],
            [
                (
                    Must,
                    "RFC 6749 §4.1.3",
                    "The authorization server MUST: … ensure that the authorization code was issued to the authenticated confidential client"
                ),
                (
                    Required,
                    "RFC 6749 §5.2",
                    "error REQUIRED. … invalid_grant The provided authorization grant … is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."
                )
            ],
            Both,
            [Ua],
            "a code redeemed by another authenticated client gives invalid_grant",
            code_04
        ),
        check!(
            "token-code-05",
            ["TOKEN-CODE-05"],
            [
                (
                    Must,
                    "RFC 6749 §4.1.3",
                    "redirect_uri REQUIRED, if the \"redirect_uri\" parameter was included in the authorization request …, and their values MUST be identical."
                ),
                (
                    Must,
                    "RFC 6749 §4.1.3",
                    "The authorization server MUST: … ensure that the \"redirect_uri\" parameter is present if the \"redirect_uri\" parameter was included in the initial authorization request"
                ),
                (
                    Required,
                    "RFC 6749 §5.2",
                    "error REQUIRED. … invalid_grant The provided authorization grant … does not match the redirection URI used in the authorization request"
                )
            ],
            Both,
            [Ua],
            "the token request's redirect_uri must be the authorization request's string: invalid_grant otherwise",
            code_05
        ),
        check!(
            "token-code-06a",
            ["TOKEN-CODE-06"],
            [(
                Recommended,
                "RFC 6749 §4.1.2",
                "A maximum authorization code lifetime of 10 minutes is RECOMMENDED."
            )],
            Both,
            [Clock, Ua],
            "a code lives at most 10 minutes: redemption at issue + 601 s gives invalid_grant",
            code_06a
        ),
        check!(
            "token-code-06b",
            ["TOKEN-CODE-06"],
            [(
                Decision,
                "TOKEN-CODE-06",
                "The reference lifetime is 60 s: redemption succeeds at +59 s and fails at +61 s."
            )],
            Both,
            [Clock, Ua],
            "a code lives 60 s: redeemable at issue + 59 s, invalid_grant at issue + 61 s",
            code_06b
        ),
        check!(
            "token-code-07",
            ["TOKEN-CODE-07"],
            [(Decision, "AMB-29", "yes, the server fails closed.")],
            Both,
            [Ua],
            "a failed redemption naming a live code consumes it (AMB-29)",
            code_07
        ),
    ]
}

/// The scope to ask for: the client's configured one, `profile email` for one we created.
fn request_scope(ctx: &Ctx, client: &ClientCreds) -> Option<String> {
    client
        .scope
        .clone()
        .or_else(|| ctx.has_admin().then(|| "profile email".to_owned()))
}

/// A sorted scope list from a space-separated string.
fn sorted(scope: &str) -> Vec<String> {
    let mut values: Vec<String> = scope
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    values.sort();
    values
}

async fn code_01(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let scope = request_scope(&ctx, &client);
    let query = CodeRequest::of(&client).scope(scope.as_deref()).query();
    let code = code_for(&UserAgent::new(&ctx), &query).await?;

    let reply = redeem(&ctx, &client, &code, &exchange(client.redirect())).await?;

    let body = granted(&reply, "the code exchange")?;
    member(&body, "access_token")?;
    member(&body, "token_type")?;
    let deviations = Deviations::default();
    // §5.1: without `scope` the grant is the scope requested; a differing grant states it.
    match (body.get("scope").and_then(|v| v.as_str()), &scope) {
        (Some(granted), Some(asked)) if sorted(granted) != sorted(asked) => deviations.note(
            format!("scope {:?} as asked", sorted(asked)),
            format!("{:?}", sorted(granted)),
        ),
        (Some(_), _) => {}
        (None, _) => deviations.note("`scope` in the response", "none"),
    }
    match body.get("refresh_token").and_then(|v| v.as_str()) {
        None => deviations.note("a refresh token for a code client", "none"),
        Some(refresh_token) if Some(refresh_token) == body["access_token"].as_str() => {
            return Err(fail(
                "distinct access and refresh tokens",
                "the same value twice",
            ));
        }
        Some(_) => {}
    }
    deviations.end()
}

async fn code_02a(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let code = client_code(&ctx, &UserAgent::new(&ctx), &client).await?;
    let params = exchange(client.redirect());
    let first = redeem(&ctx, &client, &code, &params).await?;
    granted(&first, "the first redemption")?;

    let again = redeem(&ctx, &client, &code, &params).await?;
    let invented = redeem(
        &ctx,
        &client,
        "conformance-never-issued-0123456789",
        &params,
    )
    .await?;

    grant_error(&again, &["invalid_grant"], "the second redemption")?;
    grant_error(&invented, &["invalid_grant"], "a code never issued")
}

async fn code_02b(ctx: Ctx) -> CheckResult {
    // Each trial is a fresh code from the same browser session.
    let trials = ctx.run.cases_or(3);
    let client = ctx.code_client().await?;
    let ua = UserAgent::new(&ctx);
    let what = format!("{RACERS} concurrent redemptions");
    for trial in 1..=trials {
        let code = client_code(&ctx, &ua, &client).await?;
        let body = code_grant(&code, &exchange(client.redirect()));
        super::races::one_winner(&ctx, &client, &body, trial, trials, &what).await?;
    }
    ctx.cases_run(trials as u64);
    Ok(())
}

async fn code_03(ctx: Ctx) -> CheckResult {
    // The premises first, before any flow: the tokens' death is seen by introspection, or by a
    // refresh token refused.
    let can_introspect = ctx.endpoint("introspection").is_ok();
    if !can_introspect && refresh_grant_unlisted(&ctx) {
        return Err(skip(
            "no way to see the first redemption's tokens die: no introspection endpoint, and \
             the metadata lists no refresh_token grant",
        ));
    }
    let client = ctx.code_client().await?;
    let code = client_code(&ctx, &UserAgent::new(&ctx), &client).await?;
    let params = exchange(client.redirect());
    let first = granted(
        &redeem(&ctx, &client, &code, &params).await?,
        "the first redemption",
    )?;
    let access = member(&first, "access_token")?;
    let refresh_token = first
        .get("refresh_token")
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    // Introspection tells only if it shows this client its own live token.
    let introspection = can_introspect && sees_own_tokens(&ctx, &client, &access).await?;
    if !introspection && refresh_token.is_none() {
        return Err(skip(
            "no way to see the first redemption's tokens die: no refresh token, and \
             introspection does not show this client its own live token",
        ));
    }

    let replay = redeem(&ctx, &client, &code, &params).await?;

    grant_error(&replay, &["invalid_grant"], "the reuse attempt")?;
    if introspection {
        inactive(
            &ctx,
            &client,
            &access,
            "the first redemption's access token",
        )
        .await?;
    }
    if let Some(refresh_token) = refresh_token {
        let refreshed = refresh(&ctx, &client, &refresh_token, "").await?;
        grant_error(
            &refreshed,
            &["invalid_grant"],
            "the first redemption's refresh token",
        )?;
    }
    Ok(())
}

async fn code_04(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let other = ctx.code_client2().await?;
    let code = client_code(&ctx, &UserAgent::new(&ctx), &client).await?;

    let stolen = redeem(&ctx, &other, &code, &exchange(client.redirect())).await?;

    grant_error(&stolen, &["invalid_grant"], "another client's code")
}

/// `base` with `query` appended.
fn with_query(base: &str, query: &str) -> String {
    let separator = if base.contains('?') { '&' } else { '?' };
    format!("{base}{separator}{query}")
}

/// A client for the comparison cases, and whether a query on its redirect URI is accepted
/// at authorization: always in the vendor profile, in the strict one only when registered.
async fn comparison_client(ctx: &Ctx) -> Result<(ClientCreds, bool), Outcome> {
    if strict(ctx) && ctx.has_admin() {
        let client = ctx
            .client_with(json!({
                "kind": "one_click",
                "name": "Order shop",
                "redirect_urls": [CLIENT_CB, with_query(CLIENT_CB, "order=42")],
            }))
            .await?;
        return Ok((client, true));
    }
    Ok((ctx.code_client().await?, !strict(ctx)))
}

async fn code_05(ctx: Ctx) -> CheckResult {
    let (client, mut queries) = comparison_client(&ctx).await?;
    let registered = client.redirect().to_owned();
    let with_order = with_query(&registered, "order=42");
    let ua = UserAgent::new(&ctx);
    let verifier = form_pair("code_verifier", VERIFIER);
    let query_to = |uri: &str| {
        CodeRequest::to(&client.id, Some(uri))
            .scope(client.scope.as_deref())
            .query()
    };
    // A vendor-profile target given in a file may still refuse a query it was not registered
    // with; then only the cases without one can be run.
    if queries && !ctx.has_admin() {
        let landing = ua.authorize(&query_to(&with_order)).await?;
        if let Some(premise) = stopped_at_login(&landing) {
            return Err(premise);
        }
        queries = landing.param("code").is_some();
    }
    let mut cases = vec![
        (
            registered.clone(),
            format!("{}/conformance-other", registered.trim_end_matches('/')),
        ),
        (registered.clone(), format!("{registered}/")),
    ];
    if queries {
        cases.push((with_order.clone(), registered.clone()));
        cases.push((with_order.clone(), with_query(&registered, "order=43")));
        cases.push((with_order.clone(), with_query(&with_order, "x=1")));
    }
    // §5.2 names a redirect URI that does not match under invalid_grant: no other code fits.
    for (requested, presented) in &cases {
        let code = code_for(&ua, &query_to(requested)).await?;

        let reply = redeem(
            &ctx,
            &client,
            &code,
            &join(&[&form_pair("redirect_uri", presented), &verifier]),
        )
        .await?;

        grant_error(
            &reply,
            &["invalid_grant"],
            &format!("authorized with {requested}, redeemed with {presented}"),
        )?;
    }
    // Omitted, it is also a missing required parameter (§4.1.3): invalid_request fits too.
    let code = code_for(&ua, &query_to(&registered)).await?;
    let omitted = redeem(&ctx, &client, &code, &verifier).await?;
    grant_error(
        &omitted,
        &["invalid_grant", "invalid_request"],
        "redirect_uri omitted at the token endpoint",
    )?;
    // The exact string works: the refusals were about the comparison.
    let exact_uri = if queries { &with_order } else { &registered };
    let code = code_for(&ua, &query_to(exact_uri)).await?;
    let exact = redeem(&ctx, &client, &code, &exchange(exact_uri)).await?;
    granted(
        &exact,
        &format!("redeeming with the same string {exact_uri}"),
    )
    .map(|_| ())
}

async fn code_06a(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let clock = ctx.run.target.test_clock;
    if clock {
        ctx.set_clock("2026-03-01T12:00:00Z").await?;
    } else if !ctx.run.slow {
        return Err(skip(
            "needs the target's test clock, or --slow to wait 601 s in real time",
        ));
    }
    let code = client_code(&ctx, &UserAgent::new(&ctx), &client).await?;

    if clock {
        ctx.advance_clock(601).await?;
    } else {
        tokio::time::sleep(Duration::from_secs(601)).await;
    }
    let late = redeem(&ctx, &client, &code, &exchange(client.redirect())).await?;

    grant_error(
        &late,
        &["invalid_grant"],
        "a code redeemed at issue + 601 s",
    )
}

async fn code_06b(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    ctx.set_clock("2026-03-01T12:00:00Z").await?;
    let ua = UserAgent::new(&ctx);
    let early = client_code(&ctx, &ua, &client).await?;
    let late = client_code(&ctx, &ua, &client).await?;
    let params = exchange(client.redirect());

    ctx.advance_clock(59).await?;
    let at_59 = redeem(&ctx, &client, &early, &params).await?;
    ctx.advance_clock(2).await?;
    let at_61 = redeem(&ctx, &client, &late, &params).await?;

    granted(&at_59, "a redemption at issue + 59 s")?;
    grant_error(&at_61, &["invalid_grant"], "a redemption at issue + 61 s")
}

async fn code_07(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let other = ctx.code_client2().await?;
    let registered = client.redirect().to_owned();
    let ua = UserAgent::new(&ctx);
    let wrong_verifier = VERIFIER.replacen('d', "e", 1);
    let failures = [
        ("another client", &other, exchange(&registered)),
        (
            "a wrong redirect_uri",
            &client,
            join(&[
                &form_pair(
                    "redirect_uri",
                    &format!("{}/conformance-other", registered.trim_end_matches('/')),
                ),
                &form_pair("code_verifier", VERIFIER),
            ]),
        ),
        (
            "a wrong verifier",
            &client,
            join(&[
                &form_pair("redirect_uri", &registered),
                &form_pair("code_verifier", &wrong_verifier),
            ]),
        ),
    ];
    for (case, by, params) in &failures {
        let code = client_code(&ctx, &ua, &client).await?;
        let failed = redeem(&ctx, by, &code, params).await?;
        if failed.status == 200 {
            return Err(fail(format!("{case}: 400"), failed.summary()));
        }

        let legitimate = redeem(&ctx, &client, &code, &exchange(&registered)).await?;

        grant_error(
            &legitimate,
            &["invalid_grant"],
            &format!("the legitimate redemption after {case}"),
        )?;
    }
    Ok(())
}
