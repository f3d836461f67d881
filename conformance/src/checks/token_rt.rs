//! TOKEN-RT: refresh tokens (RFC 6749 §6, §10.4; RFC 9700 §4.14.2; seed 001 › Refresh Token
//! Validity seconds).

use serde_json::json;

use super::code_flow::{
    RACERS, grant_error, inactive, join, ok_body, refresh, refresh_token_of, refreshed, scope_set,
    scoped_client, user_tokens,
};
use crate::check;
use crate::ctx::{CLIENT_CB, Ctx, form_pair, member};
use crate::model::{Check, CheckResult, ensure};

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "token-rt-01a",
            ["TOKEN-RT-01"],
            Must,
            Both,
            [Ua],
            "a valid refresh token with client authentication gives a new access token",
            rt_01a
        ),
        check!(
            "token-rt-01b",
            ["TOKEN-RT-01"],
            Must,
            Both,
            [Ua],
            "grant_type=refresh_token without refresh_token gives invalid_request",
            rt_01b
        ),
        check!(
            "token-rt-02",
            ["TOKEN-RT-02"],
            Must,
            Both,
            [Ua],
            "another client's refresh token gives invalid_grant and stays usable by its owner",
            rt_02
        ),
        check!(
            "token-rt-03",
            ["TOKEN-RT-03"],
            Must,
            Both,
            [Ua],
            "a scope wider than the original grant gives invalid_scope",
            rt_03
        ),
        check!(
            "token-rt-04",
            ["TOKEN-RT-04"],
            Must,
            Both,
            [Ua],
            "a narrower scope narrows the access token, not the grant",
            rt_04
        ),
        check!(
            "token-rt-05a",
            ["TOKEN-RT-05"],
            Decision,
            Both,
            [Ua],
            "refresh tokens rotate; replaying an old one revokes the whole family",
            rt_05a
        ),
        check!(
            "token-rt-05b",
            ["TOKEN-RT-05"],
            Decision,
            Both,
            [Ua],
            "16 concurrent uses of one refresh token: exactly one 200, the rest invalid_grant",
            rt_05b
        ),
        check!(
            "token-rt-06",
            ["TOKEN-RT-06"],
            Must,
            Both,
            [Clock, Ua, Admin],
            "a refresh token works until issue + validity − 1 s and fails at issue + validity + 1 s, each rotation starting afresh",
            rt_06
        ),
    ]
}

async fn rt_01a(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let tokens = user_tokens(&ctx, &client, "").await?;

    let body = refreshed(&ctx, &client, &refresh_token_of(&tokens)?, "").await?;

    let access = member(&body, "access_token")?;
    ensure(
        access != member(&tokens, "access_token")?,
        "a new access token",
        "the old one again",
    )?;
    // A new access token that works, not just a new string.
    let view = ctx.introspect(&client, &access).await?;
    ensure(
        view.get("active") == Some(&serde_json::Value::Bool(true)),
        "the new access token active at introspection",
        crate::http::short(&view.to_string()),
    )?;
    let token_type = member(&body, "token_type")?;
    ensure(
        token_type.eq_ignore_ascii_case("bearer"),
        "token_type Bearer",
        token_type,
    )
}

async fn rt_01b(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;

    let reply = ctx.token(&client, "grant_type=refresh_token").await?;

    grant_error(&reply, &["invalid_request"], "no refresh_token parameter")
}

async fn rt_02(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let other = ctx.code_client2().await?;
    let tokens = user_tokens(&ctx, &client, "").await?;
    let token = refresh_token_of(&tokens)?;

    let stolen = refresh(&ctx, &other, &token, "").await?;

    grant_error(
        &stolen,
        &["invalid_grant"],
        "another client's refresh token",
    )?;
    refreshed(&ctx, &client, &token, "").await.map(|_| ())
}

async fn rt_03(ctx: Ctx) -> CheckResult {
    let (client, scopes) = scoped_client(&ctx).await?;
    let tokens = user_tokens(&ctx, &client, &form_pair("scope", &scopes[0])).await?;
    let token = refresh_token_of(&tokens)?;
    let all = scopes.join(" ");
    for scope in [all.as_str(), &scopes[1]] {
        let reply = refresh(&ctx, &client, &token, &form_pair("scope", scope)).await?;
        grant_error(
            &reply,
            &["invalid_scope"],
            &format!("scope {scope:?} beyond the grant {:?}", scopes[0]),
        )?;
    }
    Ok(())
}

async fn rt_04(ctx: Ctx) -> CheckResult {
    let (client, scopes) = scoped_client(&ctx).await?;
    let all = scopes.join(" ");
    let tokens = user_tokens(&ctx, &client, &form_pair("scope", &all)).await?;

    let narrow = refreshed(
        &ctx,
        &client,
        &refresh_token_of(&tokens)?,
        &form_pair("scope", &scopes[0]),
    )
    .await?;

    let granted = scope_set(&narrow)?;
    ensure(
        granted == [scopes[0].clone()],
        format!("scope {:?} in the response", scopes[0]),
        format!("{granted:?}"),
    )?;
    // Without rotation the original token is still the one to use.
    let next = narrow
        .get("refresh_token")
        .and_then(|v| v.as_str())
        .map_or_else(|| refresh_token_of(&tokens), |t| Ok(t.to_owned()))?;
    let full = refreshed(&ctx, &client, &next, &form_pair("scope", &all)).await?;
    let granted = scope_set(&full)?;
    ensure(
        granted == scopes,
        format!("the full scope {scopes:?} again"),
        format!("{granted:?}"),
    )
}

async fn rt_05a(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let tokens = user_tokens(&ctx, &client, "").await?;
    let first = refresh_token_of(&tokens)?;
    let second = refreshed(&ctx, &client, &first, "").await?;
    let second_token = refresh_token_of(&second)?;
    let third = refreshed(&ctx, &client, &second_token, "").await?;
    let newest = refresh_token_of(&third)?;
    ensure(
        newest != first && newest != second_token && second_token != first,
        "a new refresh token with every refresh",
        "a refresh token came back again",
    )?;

    let replay = refresh(&ctx, &client, &first, "").await?;

    grant_error(&replay, &["invalid_grant"], "the rotated-out refresh token")?;
    let after = refresh(&ctx, &client, &newest, "").await?;
    grant_error(
        &after,
        &["invalid_grant"],
        "the newest refresh token after a replay",
    )?;
    for (what, body) in [("first", &tokens), ("second", &second), ("third", &third)] {
        let access = member(body, "access_token")?;
        inactive(&ctx, &client, &access, &format!("the {what} access token")).await?;
    }
    Ok(())
}

async fn rt_05b(ctx: Ctx) -> CheckResult {
    let trials = ctx.run.cases_or(3);
    let client = ctx.code_client().await?;
    let what = format!("{RACERS} concurrent refreshes");
    for trial in 1..=trials {
        let tokens = user_tokens(&ctx, &client, "").await?;
        let body = join(&[
            "grant_type=refresh_token",
            &form_pair("refresh_token", &refresh_token_of(&tokens)?),
        ]);
        super::races::one_winner(&ctx, &client, &body, trial, trials, &what).await?;
    }
    ctx.cases_run(trials as u64);
    Ok(())
}

async fn rt_06(ctx: Ctx) -> CheckResult {
    let validity: i64 = 3600;
    let client = ctx
        .client_with(json!({
            "kind": "one_click",
            "name": "Short-lived shop",
            "redirect_urls": [CLIENT_CB],
            "refresh_token_validity_seconds": validity,
        }))
        .await?;
    ctx.set_clock("2026-03-01T12:00:00Z").await?;
    let used = user_tokens(&ctx, &client, "").await?;
    let idle = user_tokens(&ctx, &client, "").await?;

    ctx.advance_clock(validity - 1).await?;
    let rotated = refreshed(&ctx, &client, &refresh_token_of(&used)?, "").await?;
    ctx.advance_clock(2).await?;
    let expired = refresh(&ctx, &client, &refresh_token_of(&idle)?, "").await?;

    grant_error(&expired, &["invalid_grant"], "at issue + validity + 1 s")?;
    // With rotation the new token's own period runs from its issue at validity − 1 s.
    let latest = rotated
        .get("refresh_token")
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    if let Some(latest) = latest {
        ctx.advance_clock(validity - 3).await?;
        let body = ok_body(
            &refresh(&ctx, &client, &latest, "").await?,
            "the rotated token at its issue + validity − 1 s",
        )?;
        let newest = refresh_token_of(&body)?;
        ctx.advance_clock(validity + 1).await?;
        let idle_again = refresh(&ctx, &client, &newest, "").await?;
        grant_error(
            &idle_again,
            &["invalid_grant"],
            "a rotated token unused for validity + 1 s",
        )?;
    }
    Ok(())
}
