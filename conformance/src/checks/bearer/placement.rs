//! BEARER-05: where the token is sent: in the header and elsewhere too is refused (RFC 6750 §2,
//! §3.1); only in the query it counts as absent.

use reqwest::Method;

use super::resource::{NO_RESOURCE, demo_resource};
use super::{BACKOFFICE, Protected, WALLET_REPORTS, bearer, bearer_params, is_success};
use crate::check;
use crate::ctx::{Ctx, form_pair};
use crate::model::{Check, CheckResult, ensure, skip};

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "bearer-05a",
            ["BEARER-05"],
            [
                (
                    Should,
                    "RFC 6750 §3.1",
                    "invalid_request: The request … uses more than one method for including an access token … The resource server SHOULD respond with the HTTP 400 (Bad Request) status code."
                ),
                (
                    MustNot,
                    "RFC 6750 §2",
                    "Clients MUST NOT use more than one method to transmit the token in each request."
                )
            ],
            Both,
            [],
            "a token in the header and also in the query or body gives 400 invalid_request",
            bearer_05a
        ),
        check!(
            "bearer-05b",
            ["BEARER-05"],
            [
                (
                    Decision,
                    "BEARER-05",
                    "A token only in `?access_token=` counts as absent (401 without an error code), because the reference does not accept tokens in URIs."
                ),
                (
                    ShouldNot,
                    "RFC 6750 §3.1",
                    "If the request lacks any authentication information … the resource server SHOULD NOT include an error code or other error information."
                )
            ],
            Both,
            [],
            "a token only in ?access_token= counts as absent: 401 without an error code",
            bearer_05b
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// BEARER-05: where the token is sent

async fn bearer_05a(ctx: Ctx) -> CheckResult {
    let resource = Protected::find(&ctx, BACKOFFICE)?;
    let (_, token) = resource.token(&ctx).await?;
    if !resource.serves(&ctx, &token).await? {
        return Err(skip(
            "the resource does not serve the token obtained for it (see bearer-01)",
        ));
    }
    let header = bearer(&token);
    let in_query = resource.request(
        &ctx,
        &resource.with_query("access_token", &token),
        Some(&header),
    );
    let mut cases = vec![("header and query", in_query)];
    // A form body needs a method whose body has semantics (RFC 6750 §2.2): the demo wallet
    // resource takes POST; a declared resource only when its own method is one of those.
    let body = form_pair("access_token", &token);
    if !resource.is_declared() {
        let wallet_url = demo_resource(&ctx, WALLET_REPORTS, NO_RESOURCE)?;
        cases.push((
            "header and body",
            ctx.post_form(&wallet_url, &body)
                .header("authorization", &header),
        ));
    } else if matches!(resource.method, Method::POST | Method::PUT | Method::PATCH) {
        cases.push((
            "header and body",
            resource
                .request(&ctx, &resource.url, Some(&header))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body),
        ));
    }
    for (what, request) in cases {
        let reply = resource.send(&ctx, request).await?;
        ensure(reply.status == 400, format!("{what}: 400"), reply.summary())?;
        let (params, _) = bearer_params(&reply, what)?;
        let error = params.get("error");
        ensure(
            error.map(String::as_str) == Some("invalid_request"),
            format!("{what}: error=\"invalid_request\""),
            format!("{error:?}"),
        )?;
    }
    Ok(())
}

async fn bearer_05b(ctx: Ctx) -> CheckResult {
    let resource = Protected::find(&ctx, BACKOFFICE)?;
    let (_, token) = resource.token(&ctx).await?;
    if !resource.serves(&ctx, &token).await? {
        return Err(skip(
            "the resource does not serve the token obtained for it (see bearer-01)",
        ));
    }
    let url = resource.with_query("access_token", &token);
    let reply = resource
        .send(&ctx, resource.request(&ctx, &url, None))
        .await?;
    // RFC 6750 §2.3 lets a resource server accept it; the reference does not.
    ensure(
        !is_success(reply.status),
        "a token in the URI query not accepted",
        reply.summary(),
    )?;
    ensure(
        reply.status == 401,
        "401, as for no credentials",
        reply.summary(),
    )?;
    let (params, _) = bearer_params(&reply, "a token only in the query")?;
    let error = params.get("error");
    ensure(
        error.is_none(),
        "no error code, as for no credentials",
        format!("{error:?}"),
    )
}
