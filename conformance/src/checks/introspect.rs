//! INTROSPECT: token introspection (RFC 7662), and who may introspect what (AMB-33).

use reqwest::Method;
use serde_json::{Value, json};

use super::support::{
    IfAbsent, access_token, refresh, refresh_token, resource_server, scope_set,
    token_at_fixed_time, token_call_with, user_tokens, wallet, with_secret,
};
use crate::check;
use crate::ctx::{ClientCreds, Ctx, basic, form_pair};
use crate::http::Reply;
use crate::model::{Check, CheckResult, Deviations, Outcome, deviate, ensure, fail, skip};

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "introspect-01",
            ["INTROSPECT-01"],
            [
                (
                    Must,
                    "RFC 7662 §2.1",
                    "To prevent token scanning attacks, the endpoint MUST also require some form of authorization to access this endpoint"
                ),
                (
                    Must,
                    "RFC 9110 §15.5.2",
                    "The server generating a 401 response MUST send a WWW-Authenticate header field"
                ),
                (
                    Must,
                    "RFC 7662 §2.3",
                    "If the protected resource uses OAuth 2.0 client credentials … and its credentials are invalid, the authorization server responds with an HTTP 401 (Unauthorized) as described in Section 5.2"
                ),
                (
                    Decision,
                    "INTROSPECT-01",
                    "No caller authentication → 401 with a `WWW-Authenticate` challenge, and nothing about the token is revealed."
                )
            ],
            Both,
            [],
            "no caller authentication reveals nothing about the token (the reference: 401 with a challenge); a wrong caller secret gives 401 invalid_client",
            introspect_01
        ),
        check!(
            "introspect-02",
            ["INTROSPECT-02"],
            [
                (
                    Decision,
                    "INTROSPECT-02",
                    "An authenticated POST without `token` → 400 invalid_request."
                ),
                (
                    Required,
                    "RFC 7662 §2.1",
                    "token REQUIRED. The string value of the token."
                )
            ],
            Both,
            [],
            "an authenticated POST without token reveals nothing (the reference: 400 invalid_request)",
            introspect_02
        ),
        check!(
            "introspect-03",
            ["INTROSPECT-03"],
            [
                (
                    Required,
                    "RFC 7662 §2.2",
                    "active REQUIRED. Boolean indicator of whether or not the presented token is currently active."
                ),
                (
                    Decision,
                    "INTROSPECT-03",
                    "The reference adds `scope` (space-separated string), `client_id`, `token_type`, `exp`, `iat`, `sub`, `aud` (the resource ids) and `iss`"
                )
            ],
            Both,
            [],
            "a live access token introspected by its owner is active:true (the reference adds its members and exp = iat + expires_in)",
            introspect_03
        ),
        check!(
            "introspect-04a",
            ["INTROSPECT-04"],
            [
                (
                    Must,
                    "RFC 7662 §2.2",
                    "If the introspection call is properly authorized but the token is not active … the authorization server MUST return an introspection response with the \"active\" field set to \"false\"."
                ),
                (
                    ShouldNot,
                    "RFC 7662 §2.2",
                    "the authorization server SHOULD NOT include any additional information about an inactive token, including why the token is inactive."
                )
            ],
            Both,
            [],
            "a garbage or revoked token gives 200 with active:false (the reference: exactly {\"active\":false})",
            introspect_04a
        ),
        check!(
            "introspect-04b",
            ["INTROSPECT-04"],
            [
                (
                    Must,
                    "RFC 7662 §2.2",
                    "If the introspection call is properly authorized but the token is not active … the authorization server MUST return an introspection response with the \"active\" field set to \"false\"."
                ),
                (
                    ShouldNot,
                    "RFC 7662 §2.2",
                    "the authorization server SHOULD NOT include any additional information about an inactive token, including why the token is inactive."
                )
            ],
            Both,
            [Clock],
            "a token past its exp gives 200 with active:false (the reference: exactly {\"active\":false})",
            introspect_04b
        ),
        check!(
            "introspect-05a",
            ["INTROSPECT-05"],
            [
                (
                    Must,
                    "RFC 7662 §2.1",
                    "If the server is unable to locate the token using the given hint, it MUST extend its search across all of its supported token types."
                ),
                (
                    Decision,
                    "INTROSPECT-05",
                    "an unknown hint value (`foo`), still find the access token"
                )
            ],
            Both,
            [],
            "an access token is found whatever token_type_hint says, including an unknown hint",
            introspect_05a
        ),
        check!(
            "introspect-05b",
            ["INTROSPECT-05"],
            [(
                Must,
                "RFC 7662 §2.1",
                "If the server is unable to locate the token using the given hint, it MUST extend its search across all of its supported token types."
            )],
            Both,
            [Ua],
            "where refresh tokens are introspected at all, one is found with token_type_hint=access_token",
            introspect_05b
        ),
        check!(
            "introspect-06",
            ["INTROSPECT-06"],
            [(
                Decision,
                "INTROSPECT-06",
                "A refresh token → `active:true` while it is valid, with its `client_id` and `scope`; after rotation or revocation → `active:false`."
            )],
            Both,
            [Ua],
            "a refresh token is active with its client_id and scope, and inactive once rotated or revoked",
            introspect_06
        ),
        check!(
            "introspect-07",
            ["INTROSPECT-07"],
            [(
                Decision,
                "AMB-33",
                "A caller may inspect its own tokens. A resource-server client may inspect tokens whose `aud` includes one of its resource ids. Anyone else sees an inactive token."
            )],
            Both,
            [Admin],
            "the owner and a resource server in aud see a token; other callers see only active:false",
            introspect_07
        ),
        check!(
            "introspect-08",
            ["INTROSPECT-08"],
            [(
                Decision,
                "INTROSPECT-08",
                "A GET with `?token=` → 405, so tokens never travel in URLs. Responses carry `Cache-Control: no-store`."
            )],
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

/// Why a check skips when the target does not admit a client as an introspection caller: RFC
/// 7662 §4 lets it admit only callers specifically authorized.
fn refused_caller(caller: &ClientCreds, reply: &Reply) -> Outcome {
    skip(format!(
        "the target does not admit {} as an introspection caller ({}); RFC 7662 §4 lets it \
         admit only specifically authorized callers",
        caller.id,
        reply.summary()
    ))
}

/// Introspection of `token` as `caller`, with extra raw form parameters; a skip where the
/// target refuses `caller` as an introspection caller (401 or 403).
pub(super) async fn introspection(
    ctx: &Ctx,
    caller: &ClientCreds,
    token: &str,
    extra: &str,
) -> Result<Reply, Outcome> {
    let reply = token_call_with(ctx, "introspection", caller, token, extra).await?;
    if matches!(reply.status, 401 | 403) {
        return Err(refused_caller(caller, &reply));
    }
    Ok(reply)
}

/// The introspection response (RFC 7662 §2.2: 200 and a JSON object with a boolean `active`),
/// or a failure that says what came instead.
fn response(reply: &Reply, what: &str) -> Result<Value, Outcome> {
    ensure(
        reply.status == 200,
        format!("{what}: 200 with an introspection response"),
        reply.summary(),
    )?;
    let body = reply.json()?;
    ensure(
        body.get("active").is_some_and(Value::is_boolean),
        format!("{what}: a boolean `active` (RFC 7662 §2.2 REQUIRED)"),
        &body,
    )?;
    Ok(body)
}

/// The owner's introspection of one of its own live tokens. Where the target does not show
/// the owner its own token (it refuses the caller, or answers `active:false`, which RFC 7662
/// §2.2 allows for any token a caller "is not allowed to introspect"), the check's oracle is
/// absent: a skip.
pub(super) async fn own_view(
    ctx: &Ctx,
    owner: &ClientCreds,
    token: &str,
    extra: &str,
) -> Result<Value, Outcome> {
    let reply = introspection(ctx, owner, token, extra).await?;
    let body = response(&reply, "the owner introspecting its live token")?;
    if body["active"] != true {
        return Err(skip(format!(
            "the target answers active:false to {} for its own live token: it does not show \
             this client its tokens (RFC 7662 §2.2 allows that)",
            owner.id
        )));
    }
    Ok(body)
}

/// Does the target show `owner` its own live `token` (introspection says `active:true`)?
/// Never fails on a refusal: callers use it to pick an oracle.
pub(super) async fn shows_own(
    ctx: &Ctx,
    owner: &ClientCreds,
    token: &str,
) -> Result<bool, Outcome> {
    if ctx.endpoints().introspection.is_none() {
        return Ok(false);
    }
    match own_view(ctx, owner, token, "").await {
        Ok(_) => Ok(true),
        Err(Outcome::Skip { .. }) => Ok(false),
        Err(other) => Err(other),
    }
}

/// RFC 7662 §2.2: a dead token gives `active:false` (MUST); anything beside it is a deviation
/// (SHOULD NOT).
fn expect_inactive(warnings: &Deviations, what: &str, body: &Value) -> CheckResult {
    ensure(
        body.get("active") == Some(&Value::Bool(false)),
        format!("{what}: active:false"),
        body,
    )?;
    if body != &inactive() {
        warnings.note(format!("{what}: exactly {{\"active\":false}}"), body);
    }
    Ok(())
}

/// Member names that say something about a token.
const TOKEN_MEMBERS: [&str; 5] = ["scope", "client_id", "exp", "sub", "username"];

/// Fails if `reply` says anything about the token: `active:true`, or any of its members.
fn reveals_nothing(what: &str, reply: &Reply) -> CheckResult {
    let Ok(body) = reply.json() else {
        return Ok(());
    };
    let shown = |name: &str| body.get(name).is_some();
    if let Some(name) = TOKEN_MEMBERS.into_iter().find(|name| shown(name)) {
        return Err(fail(
            format!("{what}: nothing about the token"),
            format!("`{name}` in {}", crate::http::short(&body.to_string())),
        ));
    }
    ensure(
        body.get("active") != Some(&Value::Bool(true)),
        format!("{what}: nothing about the token"),
        "active:true",
    )
}

async fn introspect_01(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let token = ctx.access_token(&client).await?;
    let url = ctx.endpoint("introspection")?;
    let warnings = Deviations::default();

    let what = "no caller authentication";
    let anonymous = ctx
        .send(ctx.post_form(&url, &form_pair("token", &token)))
        .await?;
    reveals_nothing(what, &anonymous)?;
    if anonymous.status == 401 {
        ensure(
            anonymous.header("www-authenticate").is_some(),
            format!("{what}: a WWW-Authenticate challenge with the 401"),
            "none",
        )?;
    } else {
        // RFC 7662 names no status for a missing authentication (RFC 6749 §5.2 allows 400).
        warnings.note(format!("{what}: 401 with a challenge"), anonymous.summary());
    }

    let what = "a wrong caller secret via Basic";
    let wrong = with_secret(&client, "not-the-secret");
    let reply = ctx.token_call("introspection", &wrong, &token).await?;
    reveals_nothing(what, &reply)?;
    ensure(
        reply.status == 401,
        format!("{what}: 401 (RFC 6749 §5.2: MUST for an Authorization header)"),
        reply.summary(),
    )?;
    ensure(
        reply.header("www-authenticate").is_some(),
        format!("{what}: a WWW-Authenticate challenge with the 401"),
        "none",
    )?;
    match reply.error_code() {
        Some(code) => ensure(
            code == "invalid_client",
            format!("{what}: invalid_client"),
            reply.summary(),
        )?,
        None => warnings.note(format!("{what}: an invalid_client body"), reply.summary()),
    }
    warnings.end()
}

/// An authenticated call to `endpoint` without `token`, with or without a hint: the reference
/// says 400 invalid_request. `token` is REQUIRED of the client, so a server that tolerates its
/// absence deviates; `codes_fixed` says whether the endpoint's errors are RFC 6749 §5.2's
/// (revocation, RFC 7009 §2.2.1), where another code fails.
pub(super) async fn without_token(ctx: &Ctx, endpoint: &str, codes_fixed: bool) -> CheckResult {
    let client = ctx.cc_client().await?;
    let url = ctx.endpoint(endpoint)?;
    let warnings = Deviations::default();
    for body in ["", "token_type_hint=access_token"] {
        let what = format!("{endpoint} without token, body {body:?}");
        let reply = ctx.send(basic(ctx.post_form(&url, body), &client)).await?;
        if endpoint == "introspection" {
            reveals_nothing(&what, &reply)?;
        }
        let code = reply.error_code();
        if reply.status == 400 && code.as_deref() == Some("invalid_request") {
            continue;
        }
        if codes_fixed && reply.status >= 400 {
            return Err(fail(
                format!("{what}: invalid_request (RFC 6749 §5.2: a missing required parameter)"),
                reply.summary(),
            ));
        }
        warnings.note(format!("{what}: 400 invalid_request"), reply.summary());
    }
    warnings.end()
}

async fn introspect_02(ctx: Ctx) -> CheckResult {
    without_token(&ctx, "introspection", false).await
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

    let body = own_view(&ctx, &client, &token, "").await?;

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
    if let Some(granted) = issued.get("scope")
        && scope_set(Some(granted)) != scope_set(body.get("scope"))
    {
        return Err(deviate(
            format!("the granted scope {granted}"),
            &body["scope"],
        ));
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
    let warnings = Deviations::default();
    for (what, token) in [("garbage", "garbage"), ("x", "x")] {
        let reply = introspection(&ctx, &client, token, "").await?;
        expect_inactive(&warnings, what, &response(&reply, what)?)?;
    }

    // A revoked token, where the target revokes access tokens (RFC 7009 §2: SHOULD).
    let revoked = ctx.access_token(&client).await?;
    if ctx.endpoints().revocation.is_some() {
        let answer = ctx.token_call("revocation", &client, &revoked).await?;
        if answer.status == 200 {
            let what = "revoked";
            let reply = introspection(&ctx, &client, &revoked, "").await?;
            let body = response(&reply, what)?;
            if body["active"] == true {
                // The token is still live, so active:true is the truth: revocation's fault.
                warnings.note(
                    "a revoked token inactive (RFC 7009 §2: access-token revocation is a SHOULD)",
                    &body,
                );
            } else {
                expect_inactive(&warnings, what, &body)?;
            }
        }
    }
    warnings.end()
}

async fn introspect_04b(ctx: Ctx) -> CheckResult {
    let (client, token, expires_in) = token_at_fixed_time(&ctx).await?;
    let warnings = Deviations::default();

    ctx.advance_clock(expires_in - 1).await?;
    let reply = introspection(&ctx, &client, &token, "").await?;
    let last_second = response(&reply, "one second before exp")?;
    if last_second["active"] != true {
        warnings.note("active:true one second before exp", &last_second);
    }
    ctx.advance_clock(1).await?;
    let reply = introspection(&ctx, &client, &token, "").await?;
    expect_inactive(&warnings, "at exp", &response(&reply, "at exp")?)?;
    warnings.end()
}

async fn introspect_05a(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let token = ctx.access_token(&client).await?;
    own_view(&ctx, &client, &token, "token_type_hint=access_token").await?;
    let warnings = Deviations::default();
    for hint in ["refresh_token", "foo"] {
        let what = format!("an access token with hint {hint}");
        let reply =
            introspection(&ctx, &client, &token, &form_pair("token_type_hint", hint)).await?;
        // RFC 7662 says nothing of unknown hint values; the reference ignores them.
        if hint == "foo" && (400..500).contains(&reply.status) {
            warnings.note(format!("{what}: 200, the hint ignored"), reply.summary());
            continue;
        }
        let body = response(&reply, &what)?;
        ensure(
            body["active"] == true,
            format!("{what}: active:true"),
            &body,
        )?;
    }
    warnings.end()
}

async fn introspect_05b(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let tokens = user_tokens(&ctx, &client, client.scope.as_deref()).await?;
    let refresh = refresh_token(&tokens, IfAbsent::Skip)?;
    // RFC 7662 lets a server introspect access tokens only: then nothing here to find.
    let reply = introspection(&ctx, &client, &refresh, "token_type_hint=refresh_token").await?;
    let found = response(&reply, "a refresh token with hint refresh_token")?;
    if found["active"] != true {
        return Err(skip(
            "the target does not introspect refresh tokens (active:false for a live one); RFC \
             7662 lets it introspect access tokens only",
        ));
    }
    let reply = introspection(&ctx, &client, &refresh, "token_type_hint=access_token").await?;
    let body = response(&reply, "a refresh token with hint access_token")?;
    ensure(
        body["active"] == true,
        "a refresh token with hint access_token: active:true",
        &body,
    )
}

async fn introspect_06(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let tokens = user_tokens(&ctx, &client, client.scope.as_deref()).await?;
    let first = refresh_token(&tokens, IfAbsent::Skip)?;

    let reply = introspection(&ctx, &client, &first, "").await?;
    let live = response(&reply, "a live refresh token")?;
    ensure(
        live["active"] == true,
        "a live refresh token: active:true",
        &live,
    )?;
    ensure(
        live["client_id"] == client.id.as_str(),
        format!("client_id {}", client.id),
        &live,
    )?;
    if let Some(granted) = tokens.get("scope") {
        if scope_set(Some(granted)) != scope_set(live.get("scope")) {
            return Err(deviate(format!("scope {granted}"), &live));
        }
    } else if live.get("scope").is_none() {
        return Err(deviate("the refresh token's scope", &live));
    }

    let warnings = Deviations::default();
    let reply = refresh(&ctx, &client, &first, "").await?;
    ensure(
        reply.status == 200,
        "200 from the refresh grant",
        reply.summary(),
    )?;
    let next = reply.json()?;
    let newest = match next.get("refresh_token").and_then(Value::as_str) {
        // Rotation is the reference's choice (TOKEN-RT-05); without it there is nothing to see.
        Some(rotated) if rotated != first => {
            let reply = introspection(&ctx, &client, &first, "").await?;
            let old = response(&reply, "the rotated refresh token")?;
            expect_inactive(&warnings, "the rotated refresh token", &old)?;
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
    let reply = introspection(&ctx, &client, &newest, "").await?;
    let after = response(&reply, "the revoked refresh token")?;
    expect_inactive(&warnings, "the revoked refresh token", &after)?;
    warnings.end()
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
    // Only a caller the target admits shows what its answers carry.
    let active = introspection(&ctx, &client, &token, "").await?;

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

    let inactive = introspection(&ctx, &client, "garbage", "").await?;
    for (what, reply) in [("active", active), ("inactive", inactive)] {
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
