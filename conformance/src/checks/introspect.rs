//! INTROSPECT: token introspection (RFC 7662), and who may introspect what (AMB-33).

use reqwest::Method;
use serde_json::{Value, json};

use super::flow::{
    self, access_token, refresh_token, resource_server, token_call_with, user_tokens, wallet,
};
use crate::check;
use crate::ctx::{Ctx, form_pair};
use crate::model::{Check, CheckResult, deviate, ensure, fail};

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "introspect-01",
            ["INTROSPECT-01"],
            Must,
            Both,
            [],
            "no caller authentication gives 401 with a challenge and nothing about the token; a wrong caller secret gives 401 invalid_client",
            introspect_01
        ),
        check!(
            "introspect-02",
            ["INTROSPECT-02"],
            Must,
            Both,
            [],
            "an authenticated POST without token gives 400 invalid_request",
            introspect_02
        ),
        check!(
            "introspect-03",
            ["INTROSPECT-03"],
            Must,
            Both,
            [],
            "a live access token is active:true, with the reference's members and exp = iat + expires_in",
            introspect_03
        ),
        check!(
            "introspect-04a",
            ["INTROSPECT-04"],
            Must,
            Both,
            [],
            "a garbage or revoked token gives 200 with exactly {\"active\":false}",
            introspect_04a
        ),
        check!(
            "introspect-04b",
            ["INTROSPECT-04"],
            Must,
            Both,
            [Clock],
            "a token past its exp gives 200 with exactly {\"active\":false}",
            introspect_04b
        ),
        check!(
            "introspect-05a",
            ["INTROSPECT-05"],
            Must,
            Both,
            [],
            "an access token is found whatever token_type_hint says, including an unknown hint",
            introspect_05a
        ),
        check!(
            "introspect-05b",
            ["INTROSPECT-05"],
            Must,
            Both,
            [Ua],
            "a refresh token is found with token_type_hint=access_token",
            introspect_05b
        ),
        check!(
            "introspect-06",
            ["INTROSPECT-06"],
            Must,
            Both,
            [Ua],
            "a refresh token is active with its client_id and scope, and inactive once rotated or revoked",
            introspect_06
        ),
        check!(
            "introspect-07",
            ["INTROSPECT-07"],
            Decision,
            Both,
            [Admin],
            "the owner and a resource server in aud see a token; other callers see only active:false",
            introspect_07
        ),
        check!(
            "introspect-08",
            ["INTROSPECT-08"],
            Decision,
            Both,
            [],
            "GET with ?token= gives 405, and answers carry Cache-Control: no-store",
            introspect_08
        ),
    ]
}

fn inactive() -> Value {
    json!({"active": false})
}

/// RFC 7662 §4 wants exactly `active:false` for a dead token: anything else is a failure, and
/// extra members beside `active:false` a deviation (SHOULD NOT).
fn expect_inactive(what: &str, body: &Value) -> CheckResult {
    if body.get("active") != Some(&Value::Bool(false)) {
        return Err(fail(format!("{what}: active:false"), body));
    }
    if body != &inactive() {
        return Err(deviate(
            format!("{what}: exactly {{\"active\":false}}"),
            body,
        ));
    }
    Ok(())
}

async fn introspect_01(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let token = ctx.access_token(&client).await?;
    let url = ctx.endpoint("introspection")?;

    let anonymous = ctx
        .send(ctx.post_form(&url, &form_pair("token", &token)))
        .await?;
    ensure(
        anonymous.status == 401,
        "401 without caller authentication",
        anonymous.summary(),
    )?;
    ensure(
        anonymous.header("www-authenticate").is_some(),
        "a WWW-Authenticate challenge with the 401",
        "none",
    )?;
    if let Ok(body) = anonymous.json() {
        for name in ["active", "scope", "client_id", "exp", "sub"] {
            ensure(
                body.get(name).is_none(),
                "nothing about the token",
                format!("`{name}` in {body}"),
            )?;
        }
    }

    let mut wrong = client.clone();
    wrong.secret = crate::target::Secret::new("not-the-secret");
    let reply = ctx.token_call("introspection", &wrong, &token).await?;
    ensure(
        reply.status == 401 && reply.error_code().as_deref() == Some("invalid_client"),
        "401 invalid_client for a wrong caller secret",
        reply.summary(),
    )?;
    ensure(
        reply.json().is_ok_and(|b| b.get("active").is_none()),
        "nothing about the token",
        &reply.body,
    )
}

async fn introspect_02(ctx: Ctx) -> CheckResult {
    super::flow::no_token_is_invalid_request(&ctx, "introspection").await
}

async fn introspect_03(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let reply = ctx.client_credentials(&client).await?;
    ensure(
        reply.status == 200,
        "200 from client_credentials",
        reply.summary(),
    )?;
    let issued = reply.json()?;
    let token = access_token(&issued)?;

    let body = ctx.introspect(&client, &token).await?;

    ensure(
        body.get("active") == Some(&Value::Bool(true)),
        "active:true",
        &body,
    )?;
    // What follows is the reference's choice of members (DECISION).
    let mut missing = Vec::new();
    for name in [
        "scope",
        "client_id",
        "token_type",
        "exp",
        "iat",
        "sub",
        "aud",
        "iss",
    ] {
        if body.get(name).is_none() {
            missing.push(name);
        }
    }
    if !missing.is_empty() {
        return Err(deviate(
            "scope, client_id, token_type, exp, iat, sub, aud and iss",
            format!("no {} in {body}", missing.join(", ")),
        ));
    }
    if body["client_id"] != client.id.as_str() {
        return Err(deviate(
            format!("client_id {}", client.id),
            &body["client_id"],
        ));
    }
    if !body["scope"].is_string() {
        return Err(deviate("scope as a space-separated string", &body["scope"]));
    }
    if let Some(granted) = issued.get("scope") {
        if flow::scope_set(Some(granted)) != flow::scope_set(body.get("scope")) {
            return Err(deviate(
                format!("the granted scope {granted}"),
                &body["scope"],
            ));
        }
    }
    if body["iss"] != ctx.endpoints().issuer.as_str() {
        return Err(deviate(
            format!("iss {}", ctx.endpoints().issuer),
            &body["iss"],
        ));
    }
    let (Some(exp), Some(iat), Some(expires_in)) = (
        body["exp"].as_i64(),
        body["iat"].as_i64(),
        issued.get("expires_in").and_then(Value::as_i64),
    ) else {
        return Err(deviate("numeric exp, iat and expires_in", &body));
    };
    if (exp - iat - expires_in).abs() > 1 {
        return Err(deviate(
            format!("exp = iat + expires_in ({iat} + {expires_in}) ± 1 s"),
            format!("exp {exp}"),
        ));
    }
    Ok(())
}

async fn introspect_04a(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let revoked = ctx.access_token(&client).await?;
    let reply = ctx.token_call("revocation", &client, &revoked).await?;
    ensure(reply.status == 200, "200 from revocation", reply.summary())?;
    for (what, token) in [
        ("garbage", "garbage"),
        ("x", "x"),
        ("revoked", revoked.as_str()),
    ] {
        let body = ctx.introspect(&client, token).await?;
        expect_inactive(what, &body)?;
    }
    Ok(())
}

async fn introspect_04b(ctx: Ctx) -> CheckResult {
    let (client, token, expires_in) = super::flow::token_at_fixed_time(&ctx).await?;

    ctx.advance_clock(expires_in - 1).await?;
    let last_second = ctx.introspect(&client, &token).await?;
    ensure(
        last_second.get("active") == Some(&Value::Bool(true)),
        "active:true one second before exp",
        &last_second,
    )?;
    ctx.advance_clock(1).await?;
    let at_exp = ctx.introspect(&client, &token).await?;
    expect_inactive("at exp", &at_exp)
}

async fn introspect_05a(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let token = ctx.access_token(&client).await?;
    for hint in ["access_token", "refresh_token", "foo"] {
        let reply = token_call_with(
            &ctx,
            "introspection",
            &client,
            &token,
            &form_pair("token_type_hint", hint),
        )
        .await?;
        ensure(
            reply.status == 200,
            format!("200 with hint {hint}"),
            reply.summary(),
        )?;
        let body = reply.json()?;
        ensure(
            body.get("active") == Some(&Value::Bool(true)),
            format!("active:true with hint {hint}"),
            &body,
        )?;
    }
    Ok(())
}

async fn introspect_05b(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let tokens = user_tokens(&ctx, &client).await?;
    let refresh = refresh_token(&tokens)?;
    let reply = token_call_with(
        &ctx,
        "introspection",
        &client,
        &refresh,
        "token_type_hint=access_token",
    )
    .await?;
    ensure(reply.status == 200, "200", reply.summary())?;
    let body = reply.json()?;
    ensure(
        body.get("active") == Some(&Value::Bool(true)),
        "a refresh token with hint access_token: active:true",
        &body,
    )
}

async fn introspect_06(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let tokens = user_tokens(&ctx, &client).await?;
    let first = refresh_token(&tokens)?;

    let live = ctx.introspect(&client, &first).await?;
    ensure(
        live.get("active") == Some(&Value::Bool(true)),
        "a live refresh token: active:true",
        &live,
    )?;
    ensure(
        live["client_id"] == client.id.as_str(),
        format!("client_id {}", client.id),
        &live,
    )?;
    if let Some(granted) = tokens.get("scope") {
        if flow::scope_set(Some(granted)) != flow::scope_set(live.get("scope")) {
            return Err(deviate(format!("scope {granted}"), &live));
        }
    } else if live.get("scope").is_none() {
        return Err(deviate("the refresh token's scope", &live));
    }

    let reply = flow::refresh(&ctx, &client, &first).await?;
    ensure(
        reply.status == 200,
        "200 from the refresh grant",
        reply.summary(),
    )?;
    let next = reply.json()?;
    let newest = match next.get("refresh_token").and_then(Value::as_str) {
        // Rotation is the reference's choice (TOKEN-RT-05); without it there is nothing to see.
        Some(rotated) if rotated != first => {
            let old = ctx.introspect(&client, &first).await?;
            expect_inactive("the rotated refresh token", &old)?;
            rotated.to_owned()
        }
        _ => first,
    };

    let revoked = token_call_with(
        &ctx,
        "revocation",
        &client,
        &newest,
        "token_type_hint=refresh_token",
    )
    .await?;
    ensure(
        revoked.status == 200,
        "200 from revocation",
        revoked.summary(),
    )?;
    let after = ctx.introspect(&client, &newest).await?;
    expect_inactive("the revoked refresh token", &after)
}

async fn introspect_07(ctx: Ctx) -> CheckResult {
    let owner = ctx
        .client_with(json!({"kind": "admin_api", "roles": ["PAYMENTS_VIEW"]}))
        .await?;
    let token = ctx.access_token(&owner).await?;
    let backoffice = resource_server(&ctx, &["backoffice_api"]).await?;
    let others = resource_server(&ctx, &["identity_api", "wallet_api"]).await?;
    let other_admin = ctx
        .client_with(json!({"kind": "admin_api", "roles": ["PAYMENTS_VIEW"]}))
        .await?;
    let viewer = wallet(&ctx, &["reports:view"], json!({})).await?;

    let cases = [
        ("the owner", &owner, true),
        (
            "a resource server for backoffice_api, in aud",
            &backoffice,
            true,
        ),
        ("a resource server for other resource ids", &others, false),
        ("another admin_api client", &other_admin, false),
        ("a wallet client", &viewer, false),
    ];
    for (who, caller, sees) in cases {
        let body = ctx.introspect(caller, &token).await?;
        if sees {
            ensure(
                body.get("active") == Some(&Value::Bool(true))
                    && body["client_id"] == owner.id.as_str(),
                format!("{who}: active:true with the owner's client_id"),
                &body,
            )?;
        } else {
            ensure(
                body == inactive(),
                format!("{who}: exactly {{\"active\":false}}"),
                &body,
            )?;
        }
    }
    Ok(())
}

async fn introspect_08(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let token = ctx.access_token(&client).await?;
    let url = ctx.endpoint("introspection")?;

    let get = ctx
        .send(crate::ctx::basic(
            ctx.http()
                .request(Method::GET, format!("{url}?{}", form_pair("token", &token))),
            &client,
        ))
        .await?;
    ensure(get.status == 405, "405 for GET with ?token=", get.summary())?;
    ensure(
        get.json().map_or(true, |b| b.get("active").is_none()),
        "nothing about the token in the 405",
        &get.body,
    )?;

    for (what, presented) in [("active", token.as_str()), ("inactive", "garbage")] {
        let reply = ctx.token_call("introspection", &client, presented).await?;
        ensure(
            reply.status == 200,
            format!("200 for an {what} token"),
            reply.summary(),
        )?;
        let cache = reply.header("cache-control").unwrap_or("");
        ensure(
            cache
                .split(',')
                .any(|d| d.trim().eq_ignore_ascii_case("no-store")),
            format!("Cache-Control: no-store for an {what} token"),
            if cache.is_empty() { "none" } else { cache },
        )?;
    }
    Ok(())
}
