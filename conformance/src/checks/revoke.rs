//! REVOKE: token revocation (RFC 7009).

use reqwest::Method;
use serde_json::Value;

use super::flow::{
    self, access_token, at_resource, challenge_error, is_active, refresh_token, token_call_with,
    user_tokens,
};
use crate::check;
use crate::ctx::{ClientCreds, Ctx, basic, form_pair};
use crate::model::{Check, CheckResult, deviate, ensure};
use crate::target::Secret;

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "revoke-01",
            ["REVOKE-01"],
            Should,
            Both,
            [],
            "revoking a live access token, with or without a hint, gives 200; introspection and the resource then refuse it",
            revoke_01
        ),
        check!(
            "revoke-02",
            ["REVOKE-02"],
            Must,
            Both,
            [Ua],
            "revoking a refresh token gives 200, and the refresh grant with it then gives invalid_grant",
            revoke_02
        ),
        check!(
            "revoke-03",
            ["REVOKE-03"],
            Should,
            Both,
            [Ua],
            "once a refresh token is revoked, the access tokens of its grant are inactive",
            revoke_03
        ),
        check!(
            "revoke-04a",
            ["REVOKE-04"],
            Must,
            Both,
            [],
            "garbage and already-revoked tokens give 200; an unknown or wrong hint still revokes",
            revoke_04a
        ),
        check!(
            "revoke-04b",
            ["REVOKE-04"],
            Must,
            Both,
            [Clock],
            "revoking an expired token gives 200",
            revoke_04b
        ),
        check!(
            "revoke-05",
            ["REVOKE-05"],
            Must,
            Both,
            [],
            "no client authentication or a wrong secret gives 401 invalid_client, and the token stays active",
            revoke_05
        ),
        check!(
            "revoke-06",
            ["REVOKE-06"],
            Must,
            Both,
            [Ua],
            "another client revoking a token leaves it active; the reference answers 200",
            revoke_06
        ),
        check!(
            "revoke-07",
            ["REVOKE-07"],
            Must,
            Both,
            [],
            "a POST without token gives 400 invalid_request",
            revoke_07
        ),
        check!(
            "revoke-08",
            ["REVOKE-08"],
            Decision,
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

async fn revoke_01(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    // The demo resource is the reference's; elsewhere introspection alone must tell.
    let resource = flow::resource_url(&ctx, "/resources/backoffice/orders").ok();
    for hint in ["", "token_type_hint=access_token"] {
        let token = ctx.access_token(&client).await?;
        revoke(&ctx, &client, &token, hint).await?;
        ensure(
            !is_active(&ctx, &client, &token).await?,
            format!("active:false after revocation ({hint:?})"),
            "active:true",
        )?;
        if let Some(url) = &resource {
            let reply =
                at_resource(&ctx, Method::GET, url, Some(&format!("Bearer {token}"))).await?;
            ensure(
                reply.status == 401,
                "the resource refuses a revoked token with 401",
                reply.summary(),
            )?;
            let error = challenge_error(&reply)?;
            ensure(
                error.as_deref() == Some("invalid_token"),
                "error=\"invalid_token\"",
                format!("{error:?}"),
            )?;
        }
    }
    Ok(())
}

async fn revoke_02(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let tokens = user_tokens(&ctx, &client).await?;
    let refresh = refresh_token(&tokens)?;

    revoke(&ctx, &client, &refresh, "token_type_hint=refresh_token").await?;
    let reply = flow::refresh(&ctx, &client, &refresh).await?;
    ensure(
        reply.status == 400 && reply.error_code().as_deref() == Some("invalid_grant"),
        "400 invalid_grant for a revoked refresh token",
        reply.summary(),
    )
}

async fn revoke_03(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let tokens = user_tokens(&ctx, &client).await?;
    let first = refresh_token(&tokens)?;
    let reply = flow::refresh(&ctx, &client, &first).await?;
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

    revoke(&ctx, &client, &newest, "token_type_hint=refresh_token").await?;
    for (what, issued) in [("the code exchange", &tokens), ("the refresh", &second)] {
        let access = access_token(issued)?;
        ensure(
            !is_active(&ctx, &client, &access).await?,
            format!("the access token from {what}: active:false"),
            "active:true",
        )?;
    }
    Ok(())
}

async fn revoke_04a(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let revoked = ctx.access_token(&client).await?;
    revoke(&ctx, &client, &revoked, "").await?;
    for (what, token) in [
        ("garbage", "garbage"),
        ("already revoked", revoked.as_str()),
    ] {
        let reply = ctx.token_call("revocation", &client, token).await?;
        ensure(
            reply.status == 200,
            format!("200 for a {what} token"),
            reply.summary(),
        )?;
    }
    for hint in ["token_type_hint=foo", "token_type_hint=refresh_token"] {
        let token = ctx.access_token(&client).await?;
        revoke(&ctx, &client, &token, hint).await?;
        ensure(
            !is_active(&ctx, &client, &token).await?,
            format!("revoked despite {hint}"),
            "active:true",
        )?;
    }
    Ok(())
}

async fn revoke_04b(ctx: Ctx) -> CheckResult {
    let (client, token, expires_in) = super::flow::token_at_fixed_time(&ctx).await?;
    ctx.advance_clock(expires_in).await?;
    ensure(
        !is_active(&ctx, &client, &token).await?,
        "the token expired",
        "active:true",
    )?;

    revoke(&ctx, &client, &token, "").await
}

async fn revoke_05(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let token = ctx.access_token(&client).await?;
    let url = ctx.endpoint("revocation")?;
    let body = form_pair("token", &token);
    let mut wrong = client.clone();
    wrong.secret = Secret::new("wrong-secret-value");

    let cases = [
        ("no authentication", ctx.post_form(&url, &body)),
        (
            "client_id only",
            ctx.post_form(
                &url,
                &format!("{body}&{}", form_pair("client_id", &client.id)),
            ),
        ),
        ("a wrong secret", basic(ctx.post_form(&url, &body), &wrong)),
    ];
    for (what, request) in cases {
        let reply = ctx.send(request).await?;
        ensure(
            reply.status == 401 && reply.error_code().as_deref() == Some("invalid_client"),
            format!("{what}: 401 invalid_client"),
            reply.summary(),
        )?;
        ensure(
            is_active(&ctx, &client, &token).await?,
            format!("{what}: the token stays active"),
            "active:false",
        )?;
    }
    Ok(())
}

async fn revoke_06(ctx: Ctx) -> CheckResult {
    let owner = ctx.code_client().await?;
    let other = ctx.code_client2().await?;
    let tokens = user_tokens(&ctx, &owner).await?;
    let access = access_token(&tokens)?;
    let refresh = tokens.get("refresh_token").and_then(Value::as_str);

    let mut answers = Vec::new();
    for token in std::iter::once(access.as_str()).chain(refresh) {
        let reply = ctx.token_call("revocation", &other, token).await?;
        // RFC 7009 lets the server refuse with an error; the reference says 200 (AMB-28).
        ensure(
            reply.status == 200 || (reply.status == 400 && reply.error_code().is_some()),
            "200, or a 400 error",
            reply.summary(),
        )?;
        answers.push(reply.summary());
        ensure(
            is_active(&ctx, &owner, token).await?,
            "the owner's token stays active",
            "active:false: another client revoked it",
        )?;
    }
    if let Some(answer) = answers.iter().find(|a| !a.starts_with("200")) {
        return Err(deviate("200, which reveals nothing (AMB-28)", answer));
    }
    Ok(())
}

async fn revoke_07(ctx: Ctx) -> CheckResult {
    super::flow::no_token_is_invalid_request(&ctx, "revocation").await
}

async fn revoke_08(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let token = ctx.access_token(&client).await?;
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
    ensure(
        is_active(&ctx, &client, &token).await?,
        "GET revoked nothing",
        "active:false",
    )
}
