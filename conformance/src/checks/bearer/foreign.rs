//! BEARER-06, BEARER-07: tokens not meant for this resource: another audience (RFC 9700 §2.3;
//! AMB-25), or no access token at all.

use serde_json::json;

use super::resource::demo_resource;
use super::{
    BACKOFFICE, IDENTITY_ME, IDENTITY_PROFILE, Protected, bearer, bearer_params, is_success,
};
use crate::check;
use crate::checks::support::{IfAbsent, access_token, client_code, refresh_token, user_tokens};
use crate::ctx::Ctx;
use crate::model::{Check, CheckResult, Deviations, ensure, skip};
use crate::ua::UserAgent;

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "bearer-06",
            ["BEARER-06"],
            [
                (
                    Must,
                    "RFC 9700 §2.3",
                    "was meant to be used for that particular resource server. If it was not, the resource server MUST refuse to serve the respective request."
                ),
                (
                    Vendor,
                    "seed 000 › 4",
                    "The resource the client is attempting to access."
                ),
                (
                    Decision,
                    "AMB-25",
                    "Tokens carry the resource ids as `aud`, as Spring does, and resources refuse tokens that lack their id."
                )
            ],
            Both,
            [Admin],
            "a token without this resource's id in its audience is refused (the reference: 401 invalid_token; 403 accepted)",
            bearer_06
        ),
        check!(
            "bearer-07",
            ["BEARER-07"],
            [(
                Decision,
                "BEARER-07",
                "A refresh token or an authorization code presented as a bearer token → 401 invalid_token."
            )],
            Both,
            [Ua],
            "a refresh token or an authorization code used as a bearer token gives 401 invalid_token",
            bearer_07
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// BEARER-06, BEARER-07: tokens not meant for this resource

async fn bearer_06(ctx: Ctx) -> CheckResult {
    let reason = "needs the reference server's demo resources for two resource ids and its admin \
                  API (a [resource] table names one resource)";
    let backoffice = demo_resource(&ctx, BACKOFFICE, reason)?;
    let identity = demo_resource(&ctx, IDENTITY_PROFILE, reason)?;
    let client = ctx
        .client_with(json!({
            "kind": "one_click",
            "grants": ["client_credentials"],
            "resource_ids": ["identity_api"],
            "redirect_urls": [crate::ctx::CLIENT_CB],
        }))
        .await?;
    let token = ctx.access_token(&client).await?;
    let header = bearer(&token);
    let at = |url: &str| ctx.http().get(url).header("authorization", &header);

    let own = ctx.send(at(&identity)).await?;
    if !is_success(own.status) {
        return Err(skip(format!(
            "identity_api does not serve its own token ({}): nothing to compare with",
            own.summary()
        )));
    }
    let foreign = ctx.send(at(&backoffice)).await?;
    let what = "an identity_api token at backoffice_api";
    ensure(
        !is_success(foreign.status),
        format!("{what}: refused"),
        foreign.summary(),
    )?;
    let (params, _) = bearer_params(&foreign, what)?;
    let warnings = Deviations::default();
    match foreign.status {
        401 => {
            let error = params.get("error");
            if error.map(String::as_str) != Some("invalid_token") {
                warnings.note(
                    format!("{what}: error=\"invalid_token\""),
                    format!("{error:?}"),
                );
            }
        }
        // AMB-25 accepts a 403 as well.
        403 => {}
        _ => warnings.note(
            format!("{what}: 401 invalid_token, or 403"),
            foreign.summary(),
        ),
    }
    warnings.end()
}

async fn bearer_07(ctx: Ctx) -> CheckResult {
    let resource = Protected::find(&ctx, IDENTITY_ME)?;
    let client = ctx.code_client().await?;
    let tokens = user_tokens(&ctx, &client, client.scope.as_deref()).await?;
    let refresh = refresh_token(&tokens, IfAbsent::Skip)?;
    let unused = client_code(&ctx, &UserAgent::new(&ctx), &client).await?;
    // The grant's own access token must be served, or a refusal below proves nothing.
    if !resource.serves(&ctx, &access_token(&tokens)?).await? {
        return Err(skip(format!(
            "{} does not serve the code client's access token: nothing to compare with",
            resource.label()
        )));
    }

    for (what, credential) in [
        ("a refresh token", refresh.as_str()),
        ("an authorization code", unused.as_str()),
    ] {
        let reply = resource.call(&ctx, Some(&bearer(credential))).await?;
        ensure(
            !is_success(reply.status),
            format!("{what}: refused"),
            reply.summary(),
        )?;
        ensure(reply.status == 401, format!("{what}: 401"), reply.summary())?;
        let (params, _) = bearer_params(&reply, what)?;
        let error = params.get("error");
        ensure(
            error.map(String::as_str) == Some("invalid_token"),
            format!("{what}: error=\"invalid_token\""),
            format!("{error:?}"),
        )?;
    }
    Ok(())
}
