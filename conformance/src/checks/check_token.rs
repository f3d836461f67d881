//! CHECK: Spring Security OAuth's `/oauth/check_token`, vendor profile only (AMB-27). The
//! shapes are Spring's: `scope` and `aud` are arrays, and a dead token is a 400 invalid_token.

use reqwest::Method;
use serde_json::{Value, json};

use super::support::{
    access_token, challenge_on_401, scope_set, token_at_fixed_time, unique, user_tokens,
    with_secret,
};
use crate::check;
use crate::ctx::{ClientCreds, Ctx, basic, form_pair};
use crate::http::Reply;
use crate::model::{Check, CheckResult, Deviations, ensure, skip};

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "check-01a",
            ["CHECK-01"],
            [
                (
                    Vendor,
                    "Spring CheckTokenEndpoint",
                    "Map<String, Object> response = (Map<String, Object>)accessTokenConverter.convertAccessToken(token, authentication); … response.put(\"active\", true);"
                ),
                (
                    Vendor,
                    "seed 000 › Create API Client in PaymentIQ Backoffice",
                    "IPs will be checked during server calls e.g token retrieval and check token."
                )
            ],
            VendorOnly,
            [],
            "a live client token gives 200 with active, client_id, numeric exp, scope and aud as arrays, and the client's roles as authorities",
            check_01a
        ),
        check!(
            "check-01b",
            ["CHECK-01"],
            [(
                Vendor,
                "Spring CheckTokenEndpoint",
                "Map<String, Object> response = (Map<String, Object>)accessTokenConverter.convertAccessToken(token, authentication); … response.put(\"active\", true);"
            )],
            VendorOnly,
            [Ua],
            "a live user token adds user_name",
            check_01b
        ),
        check!(
            "check-02",
            ["CHECK-02"],
            [(
                Vendor,
                "Spring CheckTokenEndpoint",
                "throw new InvalidTokenException(\"Token was not recognised\"); … public int getHttpErrorCode() { return 400; }"
            )],
            VendorOnly,
            [],
            "an unknown or revoked token gives 400 invalid_token, not active:false",
            check_02
        ),
        check!(
            "check-03",
            ["CHECK-03"],
            [(
                Vendor,
                "Spring CheckTokenEndpoint",
                "if (token.isExpired()) { throw new InvalidTokenException(\"Token has expired\"); }"
            )],
            VendorOnly,
            [Clock],
            "an expired token gives 400 invalid_token",
            check_03
        ),
        check!(
            "check-04",
            ["CHECK-04"],
            [
                (
                    Must,
                    "RFC 9110 §15.5.2",
                    "The server generating a 401 response MUST send a WWW-Authenticate header field … containing at least one challenge applicable to the target resource."
                ),
                (
                    Vendor,
                    "Spring AuthorizationServerSecurityConfigurer",
                    "private String realm = \"oauth2/client\";"
                ),
                (
                    Decision,
                    "CHECK-04",
                    "The reference body says `invalid_client`; Spring's own says `unauthorized`; both are accepted."
                )
            ],
            VendorOnly,
            [],
            "missing or wrong Basic credentials give 401 with a Basic challenge",
            check_04
        ),
        check!(
            "check-05",
            ["CHECK-05"],
            [
                (
                    Vendor,
                    "Spring CheckTokenEndpoint",
                    "@RequestMapping(value = \"/oauth/check_token\", method = RequestMethod.POST) … checkToken(@RequestParam(\"token\") String value)"
                ),
                (
                    Decision,
                    "CHECK-05",
                    "the reference answers with JSON `invalid_request`."
                )
            ],
            VendorOnly,
            [],
            "GET gives 405, and a POST without token gives 400",
            check_05
        ),
    ]
}

/// `token=…` to check_token as `caller`, read as JSON.
async fn check(
    ctx: &Ctx,
    caller: &ClientCreds,
    token: &str,
) -> Result<(Reply, Value), crate::model::Outcome> {
    let reply = ctx.token_call("check_token", caller, token).await?;
    let body = reply.json()?;
    Ok((reply, body))
}

fn is_string_array(value: Option<&Value>) -> bool {
    value
        .and_then(Value::as_array)
        .is_some_and(|items| items.iter().all(Value::is_string))
}

/// The members every live answer has (DefaultAccessTokenConverter).
fn spring_shape(client: &ClientCreds, reply: &Reply, body: &Value) -> CheckResult {
    ensure(reply.status == 200, "200 for a live token", reply.summary())?;
    ensure(
        body.get("active") == Some(&Value::Bool(true)),
        "active:true",
        body,
    )?;
    ensure(
        body["client_id"] == client.id.as_str(),
        format!("client_id {}", client.id),
        body,
    )?;
    ensure(body["exp"].is_i64(), "exp in epoch seconds", body)?;
    ensure(
        is_string_array(body.get("scope")),
        "scope as a JSON array of strings",
        body,
    )?;
    if let Some(aud) = body.get("aud") {
        ensure(
            is_string_array(Some(aud)),
            "aud as an array of resource ids",
            body,
        )?;
    }
    if let Some(authorities) = body.get("authorities") {
        ensure(
            is_string_array(Some(authorities)),
            "authorities as an array of strings",
            body,
        )?;
    }
    Ok(())
}

async fn check_01a(ctx: Ctx) -> CheckResult {
    let admin_api = ctx.has_admin();
    let client = if admin_api {
        ctx.client_with(json!({"kind": "admin_api", "roles": ["PAYMENTS_VIEW", "REPORTS_VIEW"]}))
            .await?
    } else {
        ctx.cc_client().await?
    };
    let token = ctx.access_token(&client).await?;

    let (reply, body) = check(&ctx, &client, &token).await?;

    spring_shape(&client, &reply, &body)?;
    ensure(
        body.get("user_name").is_none(),
        "no user_name for a client token",
        &body,
    )?;
    if admin_api {
        // An Admin API client always has backoffice_api (AMB-25) and holds the roles given.
        ensure(
            body["aud"] == json!(["backoffice_api"]),
            "aud [\"backoffice_api\"]",
            &body,
        )?;
        let authorities = scope_set(body.get("authorities"));
        ensure(
            authorities.contains("PAYMENTS_VIEW") && authorities.contains("REPORTS_VIEW"),
            "authorities with the client's roles PAYMENTS_VIEW and REPORTS_VIEW",
            &body,
        )?;
    }
    Ok(())
}

async fn check_01b(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let tokens = user_tokens(&ctx, &client, client.scope.as_deref()).await?;
    let token = access_token(&tokens)?;

    let (reply, body) = check(&ctx, &client, &token).await?;

    spring_shape(&client, &reply, &body)?;
    ensure(
        body.get("user_name").is_some_and(Value::is_string),
        "user_name for a user's token",
        &body,
    )?;
    if let Some(username) = ctx
        .run
        .target
        .login
        .as_ref()
        .and_then(|l| l.username.as_deref())
    {
        ensure(
            body["user_name"] == username,
            format!("user_name {username}"),
            &body,
        )?;
    }
    Ok(())
}

/// Spring answers a dead token through its exception handler: 400 invalid_token.
fn invalid_token(what: &str, reply: &Reply, body: &Value) -> CheckResult {
    ensure(
        reply.status == 400 && reply.error_code().as_deref() == Some("invalid_token"),
        format!("{what}: 400 invalid_token"),
        reply.summary(),
    )?;
    ensure(
        body.get("active").is_none(),
        format!("{what}: not active:false"),
        body,
    )
}

async fn check_02(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let deviations = Deviations::default();
    let described = |what: &str, body: &Value, deviations: &Deviations| {
        if !body["error_description"].is_string() {
            deviations.note(
                format!("{what}: an error_description as Spring gives"),
                body,
            );
        }
    };
    let (reply, body) = check(&ctx, &client, "no-such-token").await?;
    invalid_token("an unknown token", &reply, &body)?;
    described("an unknown token", &body, &deviations);

    let revoked = ctx.access_token(&client).await?;
    let revocation = ctx.token_call("revocation", &client, &revoked).await?;
    if revocation.status != 200 {
        deviations.end()?;
        return Err(skip(format!(
            "revocation answered {}: the revoked-token case cannot be set up",
            revocation.summary()
        )));
    }
    let (reply, body) = check(&ctx, &client, &revoked).await?;
    invalid_token("a revoked token", &reply, &body)?;
    described("a revoked token", &body, &deviations);
    deviations.end()
}

async fn check_03(ctx: Ctx) -> CheckResult {
    let (client, token, expires_in) = token_at_fixed_time(&ctx).await?;

    ctx.advance_clock(expires_in).await?;
    let (reply, body) = check(&ctx, &client, &token).await?;
    invalid_token("a token at its exp", &reply, &body)
}

async fn check_04(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let token = ctx.access_token(&client).await?;
    let url = ctx.endpoint("check_token")?;
    let body = form_pair("token", &token);
    let wrong = with_secret(&client, "wrong-secret-value");
    let mut unknown = client.clone();
    unknown.id = unique("nobody");

    let cases = [
        ("no credentials", ctx.post_form(&url, &body)),
        ("a wrong secret", basic(ctx.post_form(&url, &body), &wrong)),
        (
            "an unknown client",
            basic(ctx.post_form(&url, &body), &unknown),
        ),
    ];
    let deviations = Deviations::default();
    for (what, request) in cases {
        let reply = ctx.send(request).await?;
        ensure(reply.status == 401, format!("{what}: 401"), reply.summary())?;
        challenge_on_401(&reply, what)?;
        let challenge = reply.header("www-authenticate").unwrap_or("");
        ensure(
            challenge
                .split(' ')
                .next()
                .is_some_and(|s| s.eq_ignore_ascii_case("basic")),
            format!("{what}: WWW-Authenticate: Basic"),
            challenge,
        )?;
        // The reference says invalid_client; Spring's own filter says unauthorized.
        let error = reply.error_code();
        if !matches!(error.as_deref(), Some("invalid_client" | "unauthorized")) {
            deviations.note(
                format!("{what}: error invalid_client (or Spring's unauthorized)"),
                reply.summary(),
            );
        }
    }
    deviations.end()
}

async fn check_05(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let token = ctx.access_token(&client).await?;
    let url = ctx.endpoint("check_token")?;

    let get = ctx
        .send(basic(
            ctx.http()
                .request(Method::GET, format!("{url}?{}", form_pair("token", &token))),
            &client,
        ))
        .await?;
    ensure(get.status == 405, "405 for GET", get.summary())?;

    let no_token = ctx.send(basic(ctx.post_form(&url, ""), &client)).await?;
    ensure(
        no_token.status == 400,
        "400 for a POST without token",
        no_token.summary(),
    )?;
    if no_token.error_code().as_deref() != Some("invalid_request") {
        return Err(crate::model::deviate(
            "JSON invalid_request, as the reference answers",
            no_token.summary(),
        ));
    }
    Ok(())
}
