//! BEARER-04: a token's scope decides what it may do at the resource (seed 002 › Permissions;
//! RFC 6750 §3.1).

use reqwest::Method;
use serde_json::json;

use super::resource::demo_resource;
use super::{WALLET_REPORTS, bearer, bearer_params, is_success};
use crate::check;
use crate::checks::support::wallet;
use crate::ctx::Ctx;
use crate::model::{Check, CheckResult, Deviations, ensure};

pub(super) fn checks() -> Vec<Check> {
    vec![check!(
        "bearer-04",
        ["BEARER-04"],
        [
            (
                Vendor,
                "seed 002 › Permissions",
                "Change column — grants CRUD (create, read, update, delete) access … View column — grants read-only access"
            ),
            (
                Should,
                "RFC 6750 §3.1",
                "insufficient_scope … The resource server SHOULD respond with the HTTP 403 (Forbidden) status code"
            )
        ],
        Both,
        [Admin],
        "a reports:view token may GET but not change (the reference: 403 insufficient_scope); reports:change may do all",
        bearer_04
    )]
}

// ---------------------------------------------------------------------------------------------
// BEARER-04: scope decides the method

async fn bearer_04(ctx: Ctx) -> CheckResult {
    let url = demo_resource(
        &ctx,
        WALLET_REPORTS,
        "needs the reference server's role-gated demo resources and its admin API (a [resource] \
         table names one resource, not a role-gated pair)",
    )?;
    let viewer = wallet(&ctx, &["reports:view"], json!({})).await?;
    let changer = wallet(&ctx, &["reports:change"], json!({})).await?;
    let view_token = ctx.access_token(&viewer).await?;
    let change_token = ctx.access_token(&changer).await?;
    let warnings = Deviations::default();

    for method in [Method::GET, Method::POST, Method::PUT, Method::DELETE] {
        let call = |token: &str| {
            ctx.http()
                .request(method.clone(), &url)
                .header("authorization", bearer(token))
        };
        let as_changer = ctx.send(call(&change_token)).await?;
        ensure(
            is_success(as_changer.status),
            format!("{method} with reports:change: served"),
            as_changer.summary(),
        )?;
        let as_viewer = ctx.send(call(&view_token)).await?;
        if method == Method::GET {
            ensure(
                is_success(as_viewer.status),
                "GET with reports:view: served",
                as_viewer.summary(),
            )?;
            continue;
        }
        let what = format!("{method} with reports:view only");
        ensure(
            !is_success(as_viewer.status),
            format!("{what}: refused (View is read-only)"),
            as_viewer.summary(),
        )?;
        let (params, _) = bearer_params(&as_viewer, &what)?;
        if as_viewer.status != 403 {
            warnings.note(format!("{what}: 403"), as_viewer.summary());
        }
        let error = params.get("error");
        if error.map(String::as_str) != Some("insufficient_scope") {
            warnings.note(
                format!("{what}: error=\"insufficient_scope\""),
                format!("{error:?}"),
            );
        }
    }
    warnings.end()
}
