//! BEARER: bearer tokens at a protected resource (RFC 6750). The resources are the reference
//! server's demo resources under `/resources/...`; a target without them skips.

use reqwest::Method;
use serde_json::json;

use super::flow::{
    access_token, at_resource, bearer_challenge, challenge_error, code, refresh_token,
    resource_url, user_tokens, wallet,
};
use crate::check;
use crate::ctx::{Ctx, form_pair};
use crate::http::Reply;
use crate::model::{Check, CheckResult, Outcome, deviate, ensure, fail};

const BACKOFFICE: &str = "/resources/backoffice/orders";
const WALLET_REPORTS: &str = "/resources/wallet/reports";
const IDENTITY_ME: &str = "/resources/identity/me";

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "bearer-01",
            ["BEARER-01"],
            Must,
            Both,
            [],
            "Authorization: Bearer with a live token gives 200, whatever the case of the scheme name",
            bearer_01
        ),
        check!(
            "bearer-02",
            ["BEARER-02"],
            Must,
            Both,
            [],
            "no credentials give 401 with one Bearer challenge that has a realm and no error",
            bearer_02
        ),
        check!(
            "bearer-03a",
            ["BEARER-03"],
            Must,
            Both,
            [],
            "a garbage or revoked token gives 401 with a well-formed challenge saying invalid_token",
            bearer_03a
        ),
        check!(
            "bearer-03b",
            ["BEARER-03"],
            Must,
            Both,
            [Clock],
            "an expired token gives 401 with a well-formed challenge saying invalid_token",
            bearer_03b
        ),
        check!(
            "bearer-04",
            ["BEARER-04"],
            Vendor,
            Both,
            [Admin],
            "a reports:view token may GET but not change (403 insufficient_scope); reports:change may do all",
            bearer_04
        ),
        check!(
            "bearer-05a",
            ["BEARER-05"],
            Must,
            Both,
            [],
            "a token in the header and also in the query or body gives 400 invalid_request",
            bearer_05a
        ),
        check!(
            "bearer-05b",
            ["BEARER-05"],
            Should,
            Both,
            [],
            "a token only in ?access_token= counts as absent: 401 without an error code",
            bearer_05b
        ),
        check!(
            "bearer-06",
            ["BEARER-06"],
            Vendor,
            Both,
            [Admin],
            "a token without this resource's id in its audience is refused (401 invalid_token, 403 accepted)",
            bearer_06
        ),
        check!(
            "bearer-07",
            ["BEARER-07"],
            Decision,
            Both,
            [Ua],
            "a refresh token or an authorization code used as a bearer token gives 401 invalid_token",
            bearer_07
        ),
    ]
}

/// A live token for the backoffice resource and its URL.
async fn backoffice_token(ctx: &Ctx) -> Result<(String, String), Outcome> {
    let url = resource_url(ctx, BACKOFFICE)?;
    let client = ctx.cc_client().await?;
    Ok((url, ctx.access_token(&client).await?))
}

/// 401 with a Bearer challenge saying invalid_token (the error code is a SHOULD).
fn expect_invalid_token(what: &str, reply: &Reply) -> CheckResult {
    ensure(reply.status == 401, format!("{what}: 401"), reply.summary())?;
    let challenge = bearer_challenge(reply)?;
    if challenge.get("error").map(String::as_str) != Some("invalid_token") {
        return Err(deviate(
            format!("{what}: error=\"invalid_token\""),
            format!("{challenge:?}"),
        ));
    }
    Ok(())
}

async fn bearer_01(ctx: Ctx) -> CheckResult {
    let (url, token) = backoffice_token(&ctx).await?;
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let reply =
            at_resource(&ctx, Method::GET, &url, Some(&format!("{scheme} {token}"))).await?;
        ensure(
            reply.status == 200,
            format!("200 with scheme {scheme}"),
            reply.summary(),
        )?;
    }
    Ok(())
}

async fn bearer_02(ctx: Ctx) -> CheckResult {
    for path in [BACKOFFICE, IDENTITY_ME, WALLET_REPORTS] {
        let url = resource_url(&ctx, path)?;
        let reply = at_resource(&ctx, Method::GET, &url, None).await?;
        ensure(
            reply.status == 401,
            format!("{path}: 401 without credentials"),
            reply.summary(),
        )?;
        let challenge = bearer_challenge(&reply)?;
        if let Some(error) = challenge.get("error") {
            return Err(deviate(
                format!("{path}: no error attribute without credentials"),
                error,
            ));
        }
        if challenge.get("realm").is_none_or(String::is_empty) {
            return Err(deviate(
                format!("{path}: a realm"),
                format!("{challenge:?}"),
            ));
        }
    }
    Ok(())
}

async fn bearer_03a(ctx: Ctx) -> CheckResult {
    let url = resource_url(&ctx, BACKOFFICE)?;
    let client = ctx.cc_client().await?;
    let revoked = ctx.access_token(&client).await?;
    let reply = ctx.token_call("revocation", &client, &revoked).await?;
    ensure(reply.status == 200, "200 from revocation", reply.summary())?;
    for (what, token) in [
        ("a garbage token", "garbage"),
        ("a revoked token", revoked.as_str()),
    ] {
        let reply = at_resource(&ctx, Method::GET, &url, Some(&format!("Bearer {token}"))).await?;
        expect_invalid_token(what, &reply)?;
    }
    Ok(())
}

async fn bearer_03b(ctx: Ctx) -> CheckResult {
    let url = resource_url(&ctx, BACKOFFICE)?;
    let (_, token, expires_in) = super::flow::token_at_fixed_time(&ctx).await?;

    ctx.advance_clock(expires_in).await?;
    let reply = at_resource(&ctx, Method::GET, &url, Some(&format!("Bearer {token}"))).await?;
    expect_invalid_token("a token at its exp", &reply)
}

async fn bearer_04(ctx: Ctx) -> CheckResult {
    let url = resource_url(&ctx, WALLET_REPORTS)?;
    let viewer = wallet(&ctx, &["reports:view"], json!({})).await?;
    let changer = wallet(&ctx, &["reports:change"], json!({})).await?;
    let view_token = ctx.access_token(&viewer).await?;
    let change_token = ctx.access_token(&changer).await?;

    for method in [Method::GET, Method::POST, Method::PUT, Method::DELETE] {
        let as_changer = at_resource(
            &ctx,
            method.clone(),
            &url,
            Some(&format!("Bearer {change_token}")),
        )
        .await?;
        ensure(
            as_changer.status == 200,
            format!("{method} with reports:change: 200"),
            as_changer.summary(),
        )?;
        let as_viewer = at_resource(
            &ctx,
            method.clone(),
            &url,
            Some(&format!("Bearer {view_token}")),
        )
        .await?;
        if method == Method::GET {
            ensure(
                as_viewer.status == 200,
                "GET with reports:view: 200",
                as_viewer.summary(),
            )?;
            continue;
        }
        ensure(
            as_viewer.status == 403,
            format!("{method} with reports:view only: 403"),
            as_viewer.summary(),
        )?;
        let error = challenge_error(&as_viewer)?;
        if error.as_deref() != Some("insufficient_scope") {
            return Err(deviate(
                format!("{method}: error=\"insufficient_scope\""),
                format!("{error:?}"),
            ));
        }
    }
    Ok(())
}

async fn bearer_05a(ctx: Ctx) -> CheckResult {
    let (url, token) = backoffice_token(&ctx).await?;
    let wallet_url = resource_url(&ctx, WALLET_REPORTS)?;
    let header = format!("Bearer {token}");
    let in_query = ctx
        .send(
            ctx.http()
                .get(format!("{url}?{}", form_pair("access_token", &token)))
                .header("authorization", &header),
        )
        .await?;
    let in_body = ctx
        .send(
            ctx.post_form(&wallet_url, &form_pair("access_token", &token))
                .header("authorization", &header),
        )
        .await?;
    for (what, reply) in [("header and query", in_query), ("header and body", in_body)] {
        let reply = super::flow::no_resource(reply)?;
        ensure(reply.status == 400, format!("{what}: 400"), reply.summary())?;
        let error = challenge_error(&reply)?;
        ensure(
            error.as_deref() == Some("invalid_request"),
            format!("{what}: error=\"invalid_request\""),
            format!("{error:?}"),
        )?;
    }
    Ok(())
}

async fn bearer_05b(ctx: Ctx) -> CheckResult {
    let (url, token) = backoffice_token(&ctx).await?;
    let reply = at_resource(
        &ctx,
        Method::GET,
        &format!("{url}?{}", form_pair("access_token", &token)),
        None,
    )
    .await?;
    ensure(
        reply.status == 401,
        "401: a token in the URI is not accepted",
        reply.summary(),
    )?;
    let error = challenge_error(&reply)?;
    ensure(
        error.is_none(),
        "no error code, as for no credentials",
        format!("{error:?}"),
    )
}

async fn bearer_06(ctx: Ctx) -> CheckResult {
    let backoffice = resource_url(&ctx, BACKOFFICE)?;
    let identity = resource_url(&ctx, IDENTITY_ME)?;
    let client = ctx
        .client_with(json!({
            "kind": "one_click",
            "grants": ["client_credentials"],
            "resource_ids": ["identity_api"],
            "redirect_urls": [crate::ctx::CLIENT_CB],
        }))
        .await?;
    let token = ctx.access_token(&client).await?;
    let header = format!("Bearer {token}");

    let own = at_resource(&ctx, Method::GET, &identity, Some(&header)).await?;
    ensure(
        own.status == 200,
        "identity_api accepts its own token",
        own.summary(),
    )?;
    let foreign = at_resource(&ctx, Method::GET, &backoffice, Some(&header)).await?;
    match foreign.status {
        401 => {
            let error = challenge_error(&foreign)?;
            ensure(
                error.as_deref() == Some("invalid_token"),
                "error=\"invalid_token\"",
                format!("{error:?}"),
            )
        }
        // AMB-25 accepts a 403 as well.
        403 => Ok(()),
        _ => Err(fail(
            "401 invalid_token (or 403) at backoffice_api for an identity_api token",
            foreign.summary(),
        )),
    }
}

async fn bearer_07(ctx: Ctx) -> CheckResult {
    let url = resource_url(&ctx, IDENTITY_ME)?;
    let client = ctx.code_client().await?;
    let tokens = user_tokens(&ctx, &client).await?;
    let refresh = refresh_token(&tokens)?;
    let unused = code(&ctx, &client).await?;
    // The access token itself is served: the resource is the one these tokens are meant for.
    let own = at_resource(
        &ctx,
        Method::GET,
        &url,
        Some(&format!("Bearer {}", access_token(&tokens)?)),
    )
    .await?;
    ensure(
        own.status == 200,
        "the access token of the same grant is served",
        own.summary(),
    )?;

    for (what, credential) in [
        ("a refresh token", refresh.as_str()),
        ("an authorization code", unused.as_str()),
    ] {
        let reply = at_resource(
            &ctx,
            Method::GET,
            &url,
            Some(&format!("Bearer {credential}")),
        )
        .await?;
        ensure(reply.status == 401, format!("{what}: 401"), reply.summary())?;
        let error = challenge_error(&reply)?;
        ensure(
            error.as_deref() == Some("invalid_token"),
            format!("{what}: error=\"invalid_token\""),
            format!("{error:?}"),
        )?;
    }
    Ok(())
}
