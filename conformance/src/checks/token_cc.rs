//! TOKEN-CC: the client_credentials grant (RFC 6749 §4.4) and the vendor clients' requests
//! (seed 001 › Scopes, seed 002 › Authenticate using a client ID).

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::token_err::{CC, expect_error, granted, post_token, said, unique};
use super::token_req::scope_of;
use crate::check;
use crate::ctx::{ClientCreds, Ctx, form_encode, form_pair, member};
use crate::model::{Check, CheckResult, ensure, fail};

/// Seed 001 › Scopes: an Admin API client's default set.
const ADMIN_API_DEFAULT_SCOPES: [&str; 7] = [
    "web-origins",
    "address",
    "phone",
    "roles",
    "profile",
    "paymentiq",
    "email",
];

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "token-cc-01",
            ["TOKEN-CC-01"],
            Must,
            Both,
            [],
            "client_credentials with a valid client gives 200 and a bearer access token",
            cc_01
        ),
        check!(
            "token-cc-02a",
            ["TOKEN-CC-02"],
            Should,
            Both,
            [],
            "client_credentials issues no refresh_token",
            cc_02a
        ),
        check!(
            "token-cc-02b",
            ["TOKEN-CC-02"],
            Should,
            Both,
            [Admin],
            "client_credentials issues no refresh_token even to a client with a refresh token validity (AMB-24)",
            cc_02b
        ),
        check!(
            "token-cc-03",
            ["TOKEN-CC-03"],
            Must,
            Both,
            [],
            "a scope outside the client's allowed set is 400 invalid_scope, or a reduced grant that reports its scope",
            cc_03
        ),
        check!(
            "token-cc-04",
            ["TOKEN-CC-04"],
            Vendor,
            VendorOnly,
            [Admin],
            "without scope an Admin API client gets the default set `web-origins address phone roles profile paymentiq email`",
            cc_04
        ),
        check!(
            "token-cc-05a",
            ["TOKEN-CC-05"],
            Vendor,
            VendorOnly,
            [Admin],
            "seed 002's example request (form body, client_id wallet-{external-key}-{id}, client_secret) gives a Bearer token",
            cc_05a
        ),
        check!(
            "token-cc-05b",
            ["TOKEN-CC-05"],
            Vendor,
            VendorOnly,
            [Admin],
            "a wallet's short id alone, or its id in another letter case, is 401 invalid_client (AMB-26)",
            cc_05b
        ),
    ]
}

async fn cc_01(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let reply = ctx.client_credentials(&client).await?;
    let body = granted(&reply, "client_credentials")?;
    member(&body, "access_token")?;
    let token_type = member(&body, "token_type")?;
    ensure(
        token_type.eq_ignore_ascii_case("bearer"),
        "token_type Bearer",
        token_type,
    )
}

fn no_refresh_token(body: &Value) -> CheckResult {
    ensure(
        body.get("refresh_token").is_none(),
        "no refresh_token with client_credentials",
        "a refresh_token",
    )
}

async fn cc_02a(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let body = granted(
        &ctx.client_credentials(&client).await?,
        "client_credentials",
    )?;
    no_refresh_token(&body)
}

async fn cc_02b(ctx: Ctx) -> CheckResult {
    let client = ctx
        .client_with(json!({
            "kind": "admin_api",
            "roles": ["PAYMENTS_VIEW"],
            "refresh_token_validity_seconds": 7200,
        }))
        .await?;
    let body = granted(
        &ctx.client_credentials(&client).await?,
        "client_credentials",
    )?;
    no_refresh_token(&body)
}

async fn cc_03(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    // A value no server defines for this client; `openid` is the classic one it may not hold.
    for scope in ["conformance-not-allowed", "openid"] {
        let reply = ctx
            .token(&client, &format!("{CC}&{}", form_pair("scope", scope)))
            .await?;
        if reply.status == 200 {
            let body = reply.json()?;
            let Some(reported) = scope_of(&body) else {
                return Err(fail(
                    format!("400 invalid_scope for scope={scope}, or a grant reporting its scope"),
                    "200 without `scope`",
                ));
            };
            // A client that may hold `openid` is simply granted it.
            if scope == "conformance-not-allowed" {
                ensure(
                    !reported.contains(scope),
                    format!("a reduced grant without {scope}"),
                    reported.into_iter().collect::<Vec<_>>().join(" "),
                )?;
            }
            continue;
        }
        expect_error(&reply, &[400], &["invalid_scope"])
            .map_err(|_| fail(format!("400 invalid_scope for scope={scope}"), said(&reply)))?;
    }
    Ok(())
}

async fn cc_04(ctx: Ctx) -> CheckResult {
    let client = ctx
        .client_with(json!({"kind": "admin_api", "roles": ["PAYMENTS_VIEW"]}))
        .await?;
    let body = granted(&ctx.token(&client, CC).await?, "client_credentials")?;
    let expected: BTreeSet<String> = ADMIN_API_DEFAULT_SCOPES
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let shown = match scope_of(&body) {
        Some(set) => set,
        None => {
            let token = member(&body, "access_token")?;
            let view = ctx.introspect(&client, &token).await?;
            scope_of(&view).unwrap_or_default()
        }
    };
    ensure(
        shown == expected,
        format!("scope {}", ADMIN_API_DEFAULT_SCOPES.join(" ")),
        shown.into_iter().collect::<Vec<_>>().join(" "),
    )
}

/// A fresh wallet client: `wallet-{external-key}-{short id}`.
async fn wallet(ctx: &Ctx) -> Result<(ClientCreds, String), crate::model::Outcome> {
    let short = unique("acme-backend");
    let client = ctx
        .client_with(json!({"kind": "wallet", "id": short, "roles": ["accounts:view"]}))
        .await?;
    ensure(
        client.id.starts_with("wallet-") && client.id.ends_with(&format!("-{short}")),
        format!("a client id wallet-{{external-key}}-{short}"),
        &client.id,
    )?;
    Ok((client, short))
}

/// Seed 002's request: the credentials in the form body, nothing else.
fn seed_request(client_id: &str, secret: &str) -> String {
    format!(
        "grant_type=client_credentials&client_id={}&client_secret={}",
        form_encode(client_id),
        form_encode(secret)
    )
}

async fn cc_05a(ctx: Ctx) -> CheckResult {
    let (client, _) = wallet(&ctx).await?;
    let reply = post_token(&ctx, seed_request(&client.id, client.secret.expose()), None).await?;
    let body = granted(&reply, "seed 002's request")?;
    let token_type = member(&body, "token_type")?;
    ensure(
        token_type.eq_ignore_ascii_case("bearer"),
        "token_type Bearer",
        token_type,
    )
}

async fn cc_05b(ctx: Ctx) -> CheckResult {
    let (client, short) = wallet(&ctx).await?;
    let capitalised = {
        let mut chars = client.id.chars();
        chars
            .next()
            .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
            .unwrap_or_default()
    };
    for other in [short, client.id.to_ascii_uppercase(), capitalised] {
        let reply = post_token(&ctx, seed_request(&other, client.secret.expose()), None).await?;
        expect_error(&reply, &[401], &["invalid_client"]).map_err(|_| {
            fail(
                format!("401 invalid_client for client_id {other}"),
                said(&reply),
            )
        })?;
    }
    Ok(())
}
