//! ADMIN-05: delete = revoke (AMB-19).

use serde_json::json;

use super::{
    Api, SHOP_CB, active, answered, dead, pending_code, redeemed, refused_client, sees_active,
    user_tokens,
};
use crate::check;
use crate::checks::support::refresh;
use crate::ctx::Ctx;
use crate::model::{Check, CheckResult, Deviations, Outcome, ensure, skip};

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "admin-05a",
            ["ADMIN-05"],
            [
                (
                    Vendor,
                    "seed 002 › Delete a client ID",
                    "Click Yes to permanently revoke access for this client ID."
                ),
                (
                    Must,
                    "RFC 6749 §5.2",
                    "If the client attempted to authenticate via the \"Authorization\" request header field, the authorization server MUST respond with an HTTP 401 (Unauthorized) status code"
                ),
                (
                    Decision,
                    "AMB-19",
                    "yes, immediately: access tokens, refresh tokens and pending codes."
                )
            ],
            VendorOnly,
            [Admin],
            "delete is 204; the client then fails to authenticate and its tokens are dead",
            admin_05a
        ),
        check!(
            "admin-05b",
            ["ADMIN-05"],
            [(
                Decision,
                "AMB-19",
                "The same id may be registered again later, but tokens from the deleted client never come back to life"
            )],
            VendorOnly,
            [Admin, Ua],
            "the same id may be created again, and it revives no token, refresh token or code",
            admin_05b
        ),
    ]
}

async fn wallet_resource(ctx: &Ctx, token: &str) -> Result<u16, Outcome> {
    let url = ctx.run.url("/resources/wallet/accounts");
    Ok(ctx
        .send(ctx.http().get(url).bearer_auth(token))
        .await?
        .status)
}

with_api!(admin_05a, admin_05a_run);
async fn admin_05a_run(ctx: &Ctx, api: &Api) -> CheckResult {
    let deviations = Deviations::default();
    let (_, rs) = api
        .created(json!({"kind": "resource_server", "resource_ids": ["wallet_api"]}))
        .await?;
    let doomed = api.wallet("doomed", &["accounts:view"]).await?;
    let token = ctx.access_token(&doomed).await?;
    // Two oracles for a dead token, each used only where it shows the live one alive.
    let introspected = active(ctx, &rs, &token).await?;
    let opens = wallet_resource(ctx, &token).await? == 200;

    let deleted = api.delete(&doomed.id).await?;

    answered(&deleted, 204, "delete", &deviations)?;
    refused_client(
        &ctx.client_credentials(&doomed).await?,
        "the deleted client",
    )?;
    if introspected {
        ensure(
            !active(ctx, &rs, &token).await?,
            "the deleted client's token inactive",
            "active",
        )?;
    }
    if opens {
        let status = wallet_resource(ctx, &token).await?;
        ensure(
            !(200..300).contains(&status),
            "the deleted client's token refused at the resource",
            status,
        )?;
        if status != 401 {
            deviations.note("401 at the resource", status);
        }
    }
    let gone = api.get(&doomed.id).await?;
    answered(&gone, 404, "a get of the deleted client", &deviations)?;
    deviations.end()?;
    if !(introspected || opens) {
        return Err(skip(
            "neither introspection by the resource server nor the resource showed the live \
             token alive, so nothing could show it dead",
        ));
    }
    Ok(())
}

with_api!(admin_05b, admin_05b_run);
async fn admin_05b_run(ctx: &Ctx, api: &Api) -> CheckResult {
    let id = format!("c4-reborn-{:08x}", rand::random::<u32>());
    let body = json!({"kind": "one_click", "client_id": id, "redirect_urls": [SHOP_CB]});
    let (_, first) = api.created(body.clone()).await?;
    let (access, refresh_token) = user_tokens(ctx, &first).await?;
    sees_active(ctx, &first, &access, "the client's own access token").await?;
    let pending = pending_code(ctx, &first).await?;
    let deleted = api.delete(&first.id).await?;
    ensure(
        (200..300).contains(&deleted.status),
        "a success to delete",
        deleted.summary(),
    )?;

    let (_, again) = api.created(body).await?;

    ensure(
        again.id == first.id,
        format!("the same id {}", first.id),
        &again.id,
    )?;
    refused_client(&ctx.client_credentials(&first).await?, "the old secret")?;
    ensure(
        !active(ctx, &again, &access).await?,
        "the old access token inactive, even for the new owner of the id",
        "active",
    )?;
    dead(
        &refresh(ctx, &again, &refresh_token, "").await?,
        "the old refresh token",
    )?;
    dead(
        &redeemed(ctx, &again, &pending).await?,
        "the old pending code",
    )?;
    let fresh = user_tokens(ctx, &again).await?;
    ensure(
        active(ctx, &again, &fresh.0).await?,
        "the new client's own tokens active",
        "inactive",
    )
}
