//! TOKEN-RT: refresh tokens (RFC 6749 §6, §10.4; RFC 9700 §4.14.2; seed 001 › Refresh Token
//! Validity seconds).

use serde_json::{Value, json};

use super::races::RACERS;
use super::support::{
    IfAbsent, grant_error, granted, inactive, refresh, refresh_grant, refresh_token, refreshed,
    scoped_client, user_tokens,
};
use crate::check;
use crate::ctx::{CLIENT_CB, ClientCreds, Ctx, form_pair, member};
use crate::model::{Check, CheckResult, Deviations, Outcome, deviate, ensure, fail, skip};

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "token-rt-01a",
            ["TOKEN-RT-01"],
            [
                (
                    Required,
                    "RFC 6749 §5.1",
                    "access_token REQUIRED. The access token issued by the authorization server."
                ),
                (
                    Decision,
                    "TOKEN-RT-01",
                    "`grant_type=refresh_token` with a valid token and client authentication → 200 with a new access token."
                )
            ],
            Both,
            [Ua],
            "a valid refresh token with client authentication gives an access token that works",
            rt_01a
        ),
        check!(
            "token-rt-01b",
            ["TOKEN-RT-01"],
            [(
                Required,
                "RFC 6749 §5.2",
                "error REQUIRED. … invalid_request The request is missing a required parameter"
            )],
            Both,
            [Ua],
            "grant_type=refresh_token without refresh_token gives invalid_request",
            rt_01b
        ),
        check!(
            "token-rt-02",
            ["TOKEN-RT-02"],
            [
                (
                    Required,
                    "RFC 6749 §5.2",
                    "error REQUIRED. … invalid_grant The provided authorization grant … or refresh token is invalid, expired, revoked, … or was issued to another client."
                ),
                (
                    Decision,
                    "TOKEN-RT-02",
                    "The token remains usable by its owner."
                )
            ],
            Both,
            [Ua],
            "another client's refresh token gives invalid_grant; the owner can still use it",
            rt_02
        ),
        check!(
            "token-rt-03",
            ["TOKEN-RT-03"],
            [
                (
                    Required,
                    "RFC 6749 §5.2",
                    "error REQUIRED. … invalid_scope The requested scope is invalid, unknown, malformed, or exceeds the scope granted by the resource owner."
                ),
                (
                    MustNot,
                    "RFC 6749 §6",
                    "The requested scope MUST NOT include any scope not originally granted by the resource owner"
                )
            ],
            Both,
            [Ua],
            "a scope wider than the original grant gives invalid_scope, never the wider scope",
            rt_03
        ),
        check!(
            "token-rt-04",
            ["TOKEN-RT-04"],
            [
                (
                    Must,
                    "RFC 6749 §6",
                    "If a new refresh token is issued, the refresh token scope MUST be identical to that of the refresh token included by the client in the request."
                ),
                (
                    Decision,
                    "TOKEN-RT-04",
                    "A narrower scope → an access token with the narrower scope, and `scope` in the response."
                )
            ],
            Both,
            [Ua],
            "a narrower scope narrows the access token, not the grant",
            rt_04
        ),
        check!(
            "token-rt-05a",
            ["TOKEN-RT-05"],
            [(
                Decision,
                "TOKEN-RT-05",
                "Rotation: every refresh returns a new `refresh_token`, and the old one → invalid_grant. Replaying an old token revokes the whole family"
            )],
            Both,
            [Ua],
            "refresh tokens rotate; replaying an old one revokes the whole family",
            rt_05a
        ),
        check!(
            "token-rt-05b",
            ["TOKEN-RT-05"],
            [(
                Decision,
                "TOKEN-RT-05",
                "Rotation: every refresh returns a new `refresh_token`, and the old one → invalid_grant."
            )],
            Both,
            [Ua],
            "16 concurrent uses of one refresh token: exactly one 200, the rest invalid_grant",
            rt_05b
        ),
        check!(
            "token-rt-06",
            ["TOKEN-RT-06"],
            [
                (
                    Vendor,
                    "seed 001 › Refresh Token Validity seconds",
                    "This shows how many seconds the refresh token is valid."
                ),
                (
                    Required,
                    "RFC 6749 §5.2",
                    "error REQUIRED. … invalid_grant The provided authorization grant … or refresh token is invalid, expired, revoked"
                )
            ],
            Both,
            [Clock, Ua, Admin],
            "a refresh token works until issue + validity − 1 s and fails at issue + validity + 1 s, each rotation starting afresh",
            rt_06
        ),
    ]
}

/// Does introspection show `client` its own live token `live`? A server may refuse a code
/// client introspection, or answer it `active:false` for tokens it may not inspect (RFC 7662
/// §2.2): then introspection tells nothing about this client's tokens.
pub(super) async fn sees_own_tokens(
    ctx: &Ctx,
    client: &ClientCreds,
    live: &str,
) -> Result<bool, Outcome> {
    if ctx.endpoint("introspection").is_err() {
        return Ok(false);
    }
    let reply = ctx.token_call("introspection", client, live).await?;
    Ok(reply.status == 200
        && reply
            .json()
            .is_ok_and(|v| v.get("active") == Some(&Value::Bool(true))))
}

/// Does the metadata say the server has no refresh grant (a `grant_types_supported` without
/// `refresh_token`)? Then a check that needs a refresh token skips before any flow is run.
pub(super) fn refresh_grant_unlisted(ctx: &Ctx) -> bool {
    ctx.endpoints()
        .metadata
        .get("grant_types_supported")
        .and_then(Value::as_array)
        .is_some_and(|grants| !grants.iter().any(|g| g.as_str() == Some("refresh_token")))
}

/// The space-separated `scope` of a response, sorted, if stated.
fn stated_scope(body: &Value) -> Option<Vec<String>> {
    let mut values: Vec<String> = body
        .get("scope")?
        .as_str()?
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    values.sort();
    Some(values)
}

async fn rt_01a(ctx: Ctx) -> CheckResult {
    // The premises first, before any flow: a refresh grant, and whether there is an
    // introspection endpoint to judge the new token by (TOKEN-RT-01: only as a further use).
    if refresh_grant_unlisted(&ctx) {
        return Err(skip(
            "the metadata lists no refresh_token grant: no refresh token to use",
        ));
    }
    let can_introspect = ctx.endpoint("introspection").is_ok();
    let client = ctx.code_client().await?;
    let tokens = user_tokens(&ctx, &client, client.scope.as_deref()).await?;
    let old = member(&tokens, "access_token")?;
    // Introspection judges the new token only where it shows this client its old one.
    let introspection = can_introspect && sees_own_tokens(&ctx, &client, &old).await?;

    let body = refreshed(&ctx, &client, &refresh_token(&tokens, IfAbsent::Skip)?, "").await?;

    let access = member(&body, "access_token")?;
    let token_type = member(&body, "token_type")?;
    if introspection {
        let view = ctx.introspect(&client, &access).await?;
        if view.get("active") != Some(&Value::Bool(true)) {
            return Err(fail(
                "the new access token active at introspection, as the old one was",
                crate::http::short(&view.to_string()),
            ));
        }
    }
    if access == old {
        return Err(deviate("a new access token", "the old one again"));
    }
    if !token_type.eq_ignore_ascii_case("bearer") {
        return Err(deviate("token_type Bearer", token_type));
    }
    Ok(())
}

async fn rt_01b(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;

    let reply = ctx.token(&client, "grant_type=refresh_token").await?;

    // A server without the refresh grant may call it unsupported: then there is nothing to
    // judge here.
    let code = reply.error_code();
    if matches!(
        code.as_deref(),
        Some("unsupported_grant_type" | "unauthorized_client")
    ) {
        refresh_token(
            &user_tokens(&ctx, &client, client.scope.as_deref()).await?,
            IfAbsent::Skip,
        )?;
    }
    grant_error(&reply, &["invalid_request"], "no refresh_token parameter")
}

async fn rt_02(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let other = ctx.code_client2().await?;
    let tokens = user_tokens(&ctx, &client, client.scope.as_deref()).await?;
    let token = refresh_token(&tokens, IfAbsent::Skip)?;

    let stolen = refresh(&ctx, &other, &token, "").await?;

    grant_error(
        &stolen,
        &["invalid_grant"],
        "another client's refresh token",
    )?;
    let own = refresh(&ctx, &client, &token, "").await?;
    if own.status != 200 {
        return Err(deviate(
            "200 from the owner's refresh after another client presented its token",
            own.summary(),
        ));
    }
    Ok(())
}

async fn rt_03(ctx: Ctx) -> CheckResult {
    let (client, scopes) = scoped_client(&ctx).await?;
    let tokens = user_tokens(&ctx, &client, Some(&scopes[0])).await?;
    if stated_scope(&tokens).is_some_and(|granted| granted != [scopes[0].clone()]) {
        return Err(skip(format!(
            "needs a first grant of exactly {:?}; the server granted {:?}",
            scopes[0],
            stated_scope(&tokens)
        )));
    }
    let token = refresh_token(&tokens, IfAbsent::Skip)?;
    let all = scopes.join(" ");
    let deviations = Deviations::default();
    for scope in [all.as_str(), &scopes[1]] {
        let case = format!("scope {scope:?} beyond the grant {:?}", scopes[0]);
        let reply = refresh(&ctx, &client, &token, &form_pair("scope", scope)).await?;
        if reply.status != 200 {
            grant_error(&reply, &["invalid_scope"], &case)?;
            continue;
        }
        // §6's rule binds the client: a server that grants the original scope instead
        // tolerates the breach, one that grants more gives what no grant allowed.
        let body = reply.json()?;
        let granted = stated_scope(&body).unwrap_or_else(|| {
            let mut asked: Vec<String> = scope.split(' ').map(str::to_owned).collect();
            asked.sort();
            asked
        });
        if granted.iter().any(|s| *s != scopes[0]) {
            return Err(fail(
                format!("{case}: invalid_scope, never more than the grant"),
                format!("200 with scope {granted:?}"),
            ));
        }
        deviations.note(
            format!("{case}: invalid_scope"),
            format!("200 with the original scope {granted:?}"),
        );
    }
    deviations.end()
}

async fn rt_04(ctx: Ctx) -> CheckResult {
    let (client, scopes) = scoped_client(&ctx).await?;
    let all = scopes.join(" ");
    let tokens = user_tokens(&ctx, &client, Some(&all)).await?;
    if stated_scope(&tokens).is_some_and(|granted| granted != scopes) {
        return Err(skip(format!(
            "needs a first grant of {scopes:?}; the server granted {:?}",
            stated_scope(&tokens)
        )));
    }
    let original = refresh_token(&tokens, IfAbsent::Skip)?;
    let deviations = Deviations::default();

    let narrow = refreshed(&ctx, &client, &original, &form_pair("scope", &scopes[0])).await?;

    // Omitted, the scope is the one requested (§5.1); the reference states it.
    match stated_scope(&narrow) {
        None => deviations.note(
            format!("scope {:?} stated in the response", scopes[0]),
            "none",
        ),
        Some(granted) if granted != [scopes[0].clone()] => deviations.note(
            format!("an access token of scope {:?}", scopes[0]),
            format!("{granted:?}"),
        ),
        Some(_) => {}
    }
    // Without rotation the original token is still the one to use.
    let rotated = narrow
        .get("refresh_token")
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    let next = rotated.clone().unwrap_or(original);
    let full = refresh(&ctx, &client, &next, &form_pair("scope", &all)).await?;
    let granted = if full.status == 200 {
        Some(stated_scope(&full.json()?).unwrap_or_else(|| scopes.clone()))
    } else {
        None
    };
    if granted.as_ref() != Some(&scopes) {
        let got = granted.map_or_else(|| full.summary(), |g| format!("200 with scope {g:?}"));
        let expected = format!("the full scope {scopes:?} again from the grant's refresh token");
        // §6 binds a new refresh token to the original scope; an old one kept is the grant's
        // own business.
        if rotated.is_some() {
            return Err(fail(expected, got));
        }
        deviations.note(expected, got);
    }
    deviations.end()
}

async fn rt_05a(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let tokens = user_tokens(&ctx, &client, client.scope.as_deref()).await?;
    let first = refresh_token(&tokens, IfAbsent::Skip)?;
    let second = refreshed(&ctx, &client, &first, "").await?;
    let Some(second_token) = second.get("refresh_token").and_then(Value::as_str) else {
        return Err(deviate(
            "a new refresh token with every refresh (rotation)",
            "none with the refresh",
        ));
    };
    let second_token = second_token.to_owned();
    let third = refreshed(&ctx, &client, &second_token, "").await?;
    let newest = refresh_token(&third, IfAbsent::Fail)?;
    ensure(
        newest != first && newest != second_token && second_token != first,
        "a new refresh token with every refresh",
        "a refresh token came back again",
    )?;
    // Introspection judges the access tokens only where it shows this client a live one.
    let introspection = sees_own_tokens(&ctx, &client, &member(&third, "access_token")?).await?;

    let replay = refresh(&ctx, &client, &first, "").await?;

    grant_error(&replay, &["invalid_grant"], "the rotated-out refresh token")?;
    let after = refresh(&ctx, &client, &newest, "").await?;
    grant_error(
        &after,
        &["invalid_grant"],
        "the newest refresh token after a replay",
    )?;
    if introspection {
        for (what, body) in [("first", &tokens), ("second", &second), ("third", &third)] {
            let access = member(body, "access_token")?;
            inactive(&ctx, &client, &access, &format!("the {what} access token")).await?;
        }
    }
    Ok(())
}

async fn rt_05b(ctx: Ctx) -> CheckResult {
    let trials = ctx.run.cases_or(3);
    let client = ctx.code_client().await?;
    let what = format!("{RACERS} concurrent refreshes");
    for trial in 1..=trials {
        let tokens = user_tokens(&ctx, &client, client.scope.as_deref()).await?;
        let body = refresh_grant(&refresh_token(&tokens, IfAbsent::Skip)?, "");
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
    let used = user_tokens(&ctx, &client, client.scope.as_deref()).await?;
    let idle = user_tokens(&ctx, &client, client.scope.as_deref()).await?;

    ctx.advance_clock(validity - 1).await?;
    let rotated = refreshed(&ctx, &client, &refresh_token(&used, IfAbsent::Skip)?, "").await?;
    ctx.advance_clock(2).await?;
    let expired = refresh(&ctx, &client, &refresh_token(&idle, IfAbsent::Skip)?, "").await?;

    grant_error(&expired, &["invalid_grant"], "at issue + validity + 1 s")?;
    // With rotation the new token's own period runs from its issue at validity − 1 s.
    let latest = rotated
        .get("refresh_token")
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    if let Some(latest) = latest {
        ctx.advance_clock(validity - 3).await?;
        let body = granted(
            &refresh(&ctx, &client, &latest, "").await?,
            "the rotated token at its issue + validity − 1 s",
        )?;
        let newest = refresh_token(&body, IfAbsent::Fail)?;
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
