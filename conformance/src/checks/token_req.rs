//! TOKEN-REQ: how the token endpoint reads a request (RFC 6749 §3.2, §5.2).

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::token_err::{CC, expect_error, granted, no_token, said};
use crate::check;
use crate::ctx::{ClientCreds, Ctx, basic, form_encode, form_pair};
use crate::model::{Check, CheckResult, Outcome, deviate, ensure, fail, skip};

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "token-req-01a",
            ["TOKEN-REQ-01"],
            Must,
            Both,
            [],
            "a GET to the token endpoint, even with valid Basic credentials, gives a 4xx and no token",
            req_01a
        ),
        check!(
            "token-req-01b",
            ["TOKEN-REQ-01"],
            Must,
            Both,
            [],
            "client_id and client_secret in the URL query do not authenticate: 401 invalid_client or 400 invalid_request, never a token",
            req_01b
        ),
        check!(
            "token-req-02",
            ["TOKEN-REQ-02"],
            Must,
            Both,
            [],
            "a valid grant sent as an application/json body is a 400 JSON error without a token (invalid_request)",
            req_02
        ),
        check!(
            "token-req-03",
            ["TOKEN-REQ-03"],
            Must,
            Both,
            [],
            "a request without grant_type is 400 invalid_request",
            req_03
        ),
        check!(
            "token-req-04a",
            ["TOKEN-REQ-04"],
            Must,
            Both,
            [],
            "an unknown grant_type is 400 unsupported_grant_type",
            req_04a
        ),
        check!(
            "token-req-04b",
            ["TOKEN-REQ-04"],
            Must,
            Both,
            [],
            "the password grant is not offered: 400 unsupported_grant_type, never a token",
            req_04b
        ),
        check!(
            "token-req-05a",
            ["TOKEN-REQ-05"],
            Must,
            Both,
            [],
            "a client_credentials client asking for authorization_code gets 400 unauthorized_client",
            req_05a
        ),
        check!(
            "token-req-05b",
            ["TOKEN-REQ-05"],
            Must,
            Both,
            [],
            "an authorization_code client asking for client_credentials gets 400 unauthorized_client",
            req_05b
        ),
        check!(
            "token-req-06",
            ["TOKEN-REQ-06"],
            Must,
            Both,
            [],
            "a parameter sent twice (grant_type or scope) is 400 invalid_request, no token",
            req_06
        ),
        check!(
            "token-req-07a",
            ["TOKEN-REQ-07"],
            Must,
            Both,
            [],
            "an empty parameter counts as absent: `scope=` grants what no scope grants, `grant_type=` is invalid_request",
            req_07a
        ),
        check!(
            "token-req-07b",
            ["TOKEN-REQ-07"],
            Must,
            Both,
            [],
            "an unrecognised parameter is ignored: the grant succeeds",
            req_07b
        ),
    ]
}

/// The granted scope values of a token response, if it names them.
pub(super) fn scope_of(body: &Value) -> Option<BTreeSet<String>> {
    body.get("scope").and_then(Value::as_str).map(|s| {
        s.split(' ')
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .collect()
    })
}

/// One scope value `client` may certainly ask for: from the target file, else from what a
/// grant without scope reports. A skip when neither names one.
pub(super) async fn allowed_scope(ctx: &Ctx, client: &ClientCreds) -> Result<String, Outcome> {
    if let Some(first) = client.scope.as_deref().and_then(|s| s.split(' ').next()) {
        return Ok(first.to_owned());
    }
    let body = granted(&ctx.token(client, CC).await?, "client_credentials")?;
    scope_of(&body)
        .and_then(|set| set.into_iter().next())
        .ok_or_else(|| {
            skip("needs a scope value the client may ask for: give `scope` in the target file")
        })
}

async fn req_01a(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let url = ctx.endpoint("token")?;
    let separator = if url.contains('?') { '&' } else { '?' };
    let reply = ctx
        .send(basic(
            ctx.http().get(format!("{url}{separator}{CC}")),
            &client,
        ))
        .await?;
    no_token(&reply)?;
    ensure(
        (400..500).contains(&reply.status),
        "a 4xx without a token (405 with Allow: POST on the reference)",
        said(&reply),
    )?;
    if reply.status == 405 {
        // HTTP requires a 405 to say which methods are allowed.
        let allow = reply.header("allow").unwrap_or("");
        ensure(
            allow
                .split(',')
                .any(|m| m.trim().eq_ignore_ascii_case("POST")),
            "405 with an Allow header listing POST",
            format!("Allow: {allow:?}"),
        )?;
    }
    Ok(())
}

async fn req_01b(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let url = ctx.endpoint("token")?;
    let separator = if url.contains('?') { '&' } else { '?' };
    let with_query = format!(
        "{url}{separator}{}&{}",
        form_pair("client_id", &client.id),
        form_pair("client_secret", client.secret.expose())
    );
    let reply = ctx.send(ctx.post_form(&with_query, CC)).await?;
    expect_error(&reply, &[400, 401], &["invalid_client", "invalid_request"])?;
    if reply.status == 400 && reply.error_code().as_deref() == Some("invalid_client") {
        return Err(fail(
            "401 invalid_client or 400 invalid_request",
            said(&reply),
        ));
    }
    Ok(())
}

async fn req_02(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let url = ctx.endpoint("token")?;
    let reply = ctx
        .send(basic(
            ctx.http()
                .post(url)
                .json(&json!({"grant_type": "client_credentials"})),
            &client,
        ))
        .await?;
    expect_error(
        &reply,
        &[400],
        &["invalid_request", "unsupported_grant_type"],
    )?;
    if reply.error_code().as_deref() == Some("unsupported_grant_type") {
        return Err(deviate("400 invalid_request (AMB-30)", said(&reply)));
    }
    Ok(())
}

async fn req_03(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let mut deviation = None;
    for body in ["", "foo=bar"] {
        let reply = ctx.token(&client, body).await?;
        expect_error(
            &reply,
            &[400],
            &["invalid_request", "unsupported_grant_type"],
        )
        .map_err(|_| {
            fail(
                format!("400 invalid_request for the body {body:?}"),
                said(&reply),
            )
        })?;
        if reply.error_code().as_deref() == Some("unsupported_grant_type") {
            deviation = Some(deviate(
                format!("invalid_request for the body {body:?}: grant_type is missing"),
                said(&reply),
            ));
        }
    }
    deviation.map_or(Ok(()), Err)
}

async fn req_04a(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let reply = ctx
        .token(&client, "grant_type=urn%3Aexample%3Anope")
        .await?;
    expect_error(&reply, &[400], &["unsupported_grant_type"])
}

async fn req_04b(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let (username, password) = match &ctx.run.target.login {
        Some(login) => (
            login.username.clone().unwrap_or_else(|| "test-user".into()),
            login
                .password
                .as_ref()
                .map_or_else(|| "test-password".into(), |p| p.expose().to_owned()),
        ),
        None => ("test-user".into(), "test-password".into()),
    };
    // The real resource owner's credentials: a server that offers the grant would issue.
    let body = format!(
        "grant_type=password&{}&{}",
        form_pair("username", &username),
        form_pair("password", &password)
    );
    let reply = ctx.token(&client, &body).await?;
    expect_error(&reply, &[400], &["unsupported_grant_type"])
}

async fn req_05a(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let body = format!(
        "grant_type=authorization_code&code=conformance-code&{}",
        form_pair("redirect_uri", client.redirect())
    );
    let reply = ctx.token(&client, &body).await?;
    expect_error(&reply, &[400], &["unauthorized_client"])
}

async fn req_05b(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let reply = ctx.token(&client, CC).await?;
    expect_error(&reply, &[400], &["unauthorized_client"])
}

async fn req_06(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let scope = allowed_scope(&ctx, &client).await?;
    let scope = form_encode(&scope);
    let cases = [
        (format!("{CC}&{CC}"), "grant_type twice"),
        (
            format!("{CC}&scope={scope}&scope={scope}"),
            "the same scope twice",
        ),
        (
            format!("{CC}&scope={scope}&scope=conformance-other"),
            "two different scopes",
        ),
    ];
    for (body, case) in cases {
        let reply = ctx.token(&client, &body).await?;
        expect_error(&reply, &[400], &["invalid_request"])
            .map_err(|_| fail(format!("400 invalid_request for {case}"), said(&reply)))?;
    }
    Ok(())
}

async fn req_07a(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let without = granted(&ctx.token(&client, CC).await?, "client_credentials")?;
    let empty = ctx.token(&client, &format!("{CC}&scope=")).await?;
    let empty = granted(&empty, "`scope=`, which is no scope")?;
    ensure(
        scope_of(&empty) == scope_of(&without),
        format!(
            "the scope granted without scope: {}",
            without.get("scope").unwrap_or(&Value::Null)
        ),
        format!("{}", empty.get("scope").unwrap_or(&Value::Null)),
    )?;
    let reply = ctx.token(&client, "grant_type=").await?;
    expect_error(&reply, &[400], &["invalid_request"])
        .map_err(|_| fail("`grant_type=`: 400 invalid_request", said(&reply)))
}

async fn req_07b(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let reply = ctx
        .token(&client, &format!("{CC}&foo=bar&conformance_extra=1"))
        .await?;
    let body = granted(&reply, "client_credentials with foo=bar")?;
    ensure(
        body.get("access_token").is_some_and(Value::is_string),
        "an access_token",
        said(&reply),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_values_are_split_on_spaces() {
        let body = json!({"scope": "a  b c"});
        assert_eq!(
            scope_of(&body),
            Some(["a", "b", "c"].map(str::to_owned).into_iter().collect())
        );
        assert_eq!(scope_of(&json!({})), None);
    }
}
