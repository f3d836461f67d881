//! ROLE: wallet roles and Admin API roles, and how scopes travel (seed 001, seed 002;
//! AMB-20 to AMB-22).

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};

use super::support::{access_token, client_view, scope_set, wallet};
use crate::check;
use crate::ctx::{ClientCreds, Ctx, form_pair, url_path_segment};
use crate::http::Reply;
use crate::model::{Check, CheckResult, Outcome, deviate, ensure, fail};

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "role-01",
            ["ROLE-01"],
            [(
                Vendor,
                "seed 002 › Permissions",
                "Change column — grants CRUD (create, read, update, delete) access and automatically selects View as well"
            )],
            VendorOnly,
            [Admin],
            "granting change on a resource grants view too, view stays while change does, and view alone is allowed",
            role_01
        ),
        check!(
            "role-02",
            ["ROLE-02"],
            [(
                Decision,
                "AMB-20",
                "Roles travel as the scope values `<resource>:view` and `<resource>:change`. … A request without `scope` gets all of the client's roles."
            )],
            VendorOnly,
            [Admin],
            "wallet roles are scope values: no scope gives all roles, a role the client lacks gives invalid_scope",
            role_02
        ),
        check!(
            "role-03",
            ["ROLE-03"],
            [(
                Decision,
                "AMB-20",
                "After an edit, introspection intersects each existing token's scope with the client's current roles."
            )],
            VendorOnly,
            [Admin],
            "after a role edit, new tokens follow at once; existing tokens lose a removed role but gain no added one",
            role_03
        ),
        check!(
            "role-04",
            ["ROLE-04"],
            [
                (
                    Vendor,
                    "seed 001 › Roles",
                    "Here you set the user access roles corresponding to those for a regular backoffice user."
                ),
                (
                    Decision,
                    "AMB-21",
                    "the roles come from a configurable catalogue … An unknown role is refused. Roles appear as `authorities`, as Spring's token converter does."
                )
            ],
            VendorOnly,
            [Admin],
            "an Admin API role outside the catalogue gives 400; roles appear as authorities in check_token and introspection",
            role_04
        ),
        check!(
            "role-05",
            ["ROLE-05"],
            [
                (
                    Vendor,
                    "seed 001 › Scopes",
                    "For which scopes the client is for, default values are: `web-origins,address,phone,roles,profile,paymentiq,email`"
                ),
                (
                    Must,
                    "RFC 6749 §3.3",
                    "The value of the scope parameter is expressed as a list of space-delimited, case-sensitive strings."
                ),
                (
                    Decision,
                    "AMB-22",
                    "scopes are stored as a set and written on the wire space-separated and case-sensitive"
                )
            ],
            VendorOnly,
            [],
            "scope=paymentiq email grants exactly those two, space-separated; scope values are case-sensitive",
            role_05
        ),
    ]
}

fn set(values: &[&str]) -> BTreeSet<String> {
    values.iter().map(|v| (*v).to_owned()).collect()
}

/// `PATCH /admin/clients/{id}` with these roles.
async fn patch_roles(ctx: &Ctx, client: &ClientCreds, roles: &[&str]) -> Result<Reply, Outcome> {
    let path = format!("/admin/clients/{}", url_path_segment(&client.id));
    ctx.send(
        ctx.admin(Method::PATCH, &path)?
            .json(&json!({ "roles": roles })),
    )
    .await
}

async fn token_with(
    ctx: &Ctx,
    client: &ClientCreds,
    scope: Option<&str>,
) -> Result<Reply, Outcome> {
    let mut body = "grant_type=client_credentials".to_owned();
    if let Some(scope) = scope {
        body.push('&');
        body.push_str(&form_pair("scope", scope));
    }
    ctx.token(client, &body).await
}

async fn role_01(ctx: Ctx) -> CheckResult {
    let client = wallet(&ctx, &["accounts:change"], json!({})).await?;
    let stored = scope_set(client_view(&ctx, &client.id).await?.get("roles"));
    ensure(
        stored == set(&["accounts:change", "accounts:view"]),
        "roles accounts:change and accounts:view",
        format!("{stored:?}"),
    )?;
    let reply = token_with(&ctx, &client, None).await?;
    ensure(
        reply.status == 200,
        "200 from client_credentials",
        reply.summary(),
    )?;
    let granted = scope_set(reply.json()?.get("scope"));
    ensure(
        granted == set(&["accounts:change", "accounts:view"]),
        "a token with accounts:change and accounts:view",
        format!("{granted:?}"),
    )?;

    let edited = patch_roles(&ctx, &client, &["accounts:change", "reports:view"]).await?;
    ensure(
        edited.status == 200,
        "200 from the role edit",
        edited.summary(),
    )?;
    let roles = scope_set(edited.json()?.get("roles"));
    ensure(
        roles == set(&["accounts:change", "accounts:view", "reports:view"]),
        "view kept while change stays",
        format!("{roles:?}"),
    )?;

    let viewer = wallet(&ctx, &["reports:view"], json!({})).await?;
    let roles = scope_set(client_view(&ctx, &viewer.id).await?.get("roles"));
    ensure(
        roles == set(&["reports:view"]),
        "view alone is allowed",
        format!("{roles:?}"),
    )
}

async fn role_02(ctx: Ctx) -> CheckResult {
    let client = wallet(&ctx, &["accounts:view", "payments:change"], json!({})).await?;

    let all = token_with(&ctx, &client, None).await?;
    ensure(all.status == 200, "200 without scope", all.summary())?;
    let granted = scope_set(all.json()?.get("scope"));
    ensure(
        granted == set(&["accounts:view", "payments:change", "payments:view"]),
        "no scope: every role as a scope value",
        format!("{granted:?}"),
    )?;
    let one = token_with(&ctx, &client, Some("payments:view")).await?;
    ensure(
        one.status == 200,
        "200 for scope=payments:view",
        one.summary(),
    )?;
    let body = one.json()?;
    let view = ctx.introspect(&client, &access_token(&body)?).await?;
    ensure(
        scope_set(view.get("scope")) == set(&["payments:view"]),
        "scope payments:view",
        &view,
    )?;
    for (scope, case) in [
        ("reports:view", "a resource it has no role on"),
        ("accounts:change", "change where it holds view"),
    ] {
        let reply = token_with(&ctx, &client, Some(scope)).await?;
        ensure(
            reply.status == 400 && reply.error_code().as_deref() == Some("invalid_scope"),
            format!("{case} ({scope}): 400 invalid_scope"),
            reply.summary(),
        )?;
    }
    Ok(())
}

async fn role_03(ctx: Ctx) -> CheckResult {
    let client = wallet(&ctx, &["reports:change", "payments:view"], json!({})).await?;
    let old = ctx.access_token(&client).await?;
    let scope_of = |view: &Value| scope_set(view.get("scope"));

    let edited = patch_roles(&ctx, &client, &["reports:view", "payments:view"]).await?;
    ensure(
        edited.status == 200,
        "200 from the role edit",
        edited.summary(),
    )?;
    let after_removal = ctx.introspect(&client, &old).await?;
    ensure(
        after_removal["active"] == true,
        "the existing token stays active",
        &after_removal,
    )?;
    ensure(
        scope_of(&after_removal) == set(&["payments:view", "reports:view"]),
        "a removed role leaves the existing token at once",
        &after_removal,
    )?;
    let fresh = ctx
        .introspect(&client, &ctx.access_token(&client).await?)
        .await?;
    ensure(
        scope_of(&fresh) == set(&["payments:view", "reports:view"]),
        "a new token follows the edit",
        &fresh,
    )?;

    let edited = patch_roles(
        &ctx,
        &client,
        &["reports:view", "payments:view", "accounts:view"],
    )
    .await?;
    ensure(
        edited.status == 200,
        "200 from the role edit",
        edited.summary(),
    )?;
    let after_addition = ctx.introspect(&client, &old).await?;
    ensure(
        !after_addition.to_string().contains("accounts:view"),
        "an added role does not reach the existing token",
        &after_addition,
    )?;
    let fresh = ctx
        .introspect(&client, &ctx.access_token(&client).await?)
        .await?;
    ensure(
        scope_of(&fresh) == set(&["accounts:view", "payments:view", "reports:view"]),
        "a new token carries the added role",
        &fresh,
    )
}

async fn role_04(ctx: Ctx) -> CheckResult {
    for (case, role) in [
        ("an unknown role", "ROOT"),
        ("wrong case", "merchant_admin"),
        ("a wallet role", "accounts:view"),
    ] {
        let reply = ctx
            .send(
                ctx.admin(Method::POST, "/admin/clients")?
                    .json(&json!({"kind": "admin_api", "roles": ["PAYMENTS_VIEW", role]})),
            )
            .await?;
        if reply.status == 201 {
            // Cleaned up at once; the check fails anyway.
            if let Some(id) = reply.json()?.get("client_id").and_then(Value::as_str) {
                let path = format!("/admin/clients/{}", url_path_segment(id));
                let _ = ctx.send(ctx.admin(Method::DELETE, &path)?).await;
            }
        }
        ensure(
            reply.status == 400,
            format!("{case} ({role}): 400"),
            reply.summary(),
        )?;
    }

    let client = ctx
        .client_with(json!({"kind": "admin_api", "roles": ["PAYMENTS_VIEW", "REPORTS_VIEW"]}))
        .await?;
    let token = ctx.access_token(&client).await?;
    let roles = set(&["PAYMENTS_VIEW", "REPORTS_VIEW"]);
    let introspected = ctx.introspect(&client, &token).await?;
    ensure(
        scope_set(introspected.get("authorities")) == roles,
        "authorities PAYMENTS_VIEW and REPORTS_VIEW in introspection",
        &introspected,
    )?;
    let checked = ctx.token_call("check_token", &client, &token).await?;
    ensure(
        checked.status == 200,
        "200 from check_token",
        checked.summary(),
    )?;
    let checked = checked.json()?;
    ensure(
        scope_set(checked.get("authorities")) == roles,
        "authorities PAYMENTS_VIEW and REPORTS_VIEW in check_token",
        &checked,
    )
}

async fn role_05(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let two = token_with(&ctx, &client, Some("paymentiq email")).await?;
    ensure(
        two.status == 200,
        "200 for scope=paymentiq email",
        two.summary(),
    )?;
    let body = two.json()?;
    // The response may leave out a scope identical to the request (RFC 6749 §5.1).
    let granted = match body.get("scope") {
        Some(Value::String(s)) => {
            ensure(!s.contains(','), "a space-separated scope", s)?;
            scope_set(body.get("scope"))
        }
        Some(other) => return Err(fail("scope as a space-separated string", other)),
        None => set(&["paymentiq", "email"]),
    };
    ensure(
        granted == set(&["paymentiq", "email"]),
        "exactly paymentiq and email",
        format!("{granted:?}"),
    )?;

    // `Email` is not `email`: refused as invalid_scope, or dropped from a grant that then
    // states its scope (RFC 6749 §3.3: MUST when it differs from the request).
    let changed = token_with(&ctx, &client, Some("Email")).await?;
    if changed.status == 200 {
        let body = changed.json()?;
        let granted = scope_set(body.get("scope"));
        ensure(
            body.get("scope").is_some() && !granted.contains("email") && !granted.contains("Email"),
            "scope=Email: refused, or a grant that states a scope without email (scope values are case-sensitive)",
            format!("scope {:?}", body.get("scope")),
        )?;
    } else {
        ensure(
            changed.status == 400 && changed.error_code().as_deref() == Some("invalid_scope"),
            "scope=Email: 400 invalid_scope (scope values are case-sensitive)",
            changed.summary(),
        )?;
    }
    let comma = token_with(&ctx, &client, Some("paymentiq,email")).await?;
    if comma.status == 200 {
        let granted = scope_set(comma.json()?.get("scope"));
        ensure(
            granted != set(&["paymentiq", "email"]),
            "the comma list never read as two scopes",
            format!("{granted:?}"),
        )?;
    } else if comma.error_code().as_deref() != Some("invalid_scope") {
        return Err(deviate(
            "scope=paymentiq,email: invalid_scope",
            comma.summary(),
        ));
    }
    Ok(())
}
