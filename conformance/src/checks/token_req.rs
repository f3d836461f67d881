//! TOKEN-REQ: how the token endpoint reads a request (RFC 6749 §3.2, §5.2).

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::support::{CC, Refusal, cc_body, granted, has_token, redeem, scope_set, with_scope};
use crate::check;
use crate::ctx::{ClientCreds, Ctx, basic, form_encode, form_pair};
use crate::http::Reply;
use crate::model::{Check, CheckResult, Deviations, Outcome, deviate, ensure, skip};

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "token-req-01a",
            ["TOKEN-REQ-01"],
            [
                (
                    Must,
                    "RFC 9110 §15.5.6",
                    "The origin server MUST generate an Allow header field in a 405 response containing a list of the target resource's currently supported methods."
                ),
                (
                    Must,
                    "RFC 6749 §3.2",
                    "The client MUST use the HTTP \"POST\" method when making access token requests."
                )
            ],
            Both,
            [],
            "a GET to the token endpoint with valid Basic credentials gets no token (a 4xx; a 405 lists POST in Allow)",
            req_01a
        ),
        check!(
            "token-req-01b",
            ["TOKEN-REQ-01"],
            [
                (
                    Required,
                    "RFC 6749 §5.2",
                    "error REQUIRED. … invalid_client Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method)."
                ),
                (
                    MustNot,
                    "RFC 6749 §2.3.1",
                    "The parameters can only be transmitted in the request-body and MUST NOT be included in the request URI."
                )
            ],
            Both,
            [],
            "client_id and client_secret in the URL query do not authenticate: invalid_client (or 400 invalid_request), no token",
            req_01b
        ),
        check!(
            "token-req-02",
            ["TOKEN-REQ-02"],
            [
                (
                    Required,
                    "RFC 6749 §5.2",
                    "error REQUIRED. … invalid_request The request is missing a required parameter, … or is otherwise malformed."
                ),
                (
                    Decision,
                    "AMB-30",
                    "the reference uses `invalid_request` for missing or malformed parameters … The suite accepts the listed alternatives."
                )
            ],
            Both,
            [],
            "a valid grant sent as an application/json body is refused with a JSON 400 invalid_request, as on the reference",
            req_02
        ),
        check!(
            "token-req-03",
            ["TOKEN-REQ-03"],
            [
                (
                    Required,
                    "RFC 6749 §5.2",
                    "error REQUIRED. … invalid_request The request is missing a required parameter"
                ),
                (
                    Decision,
                    "AMB-30",
                    "the reference uses `invalid_request` for missing or malformed parameters"
                )
            ],
            Both,
            [],
            "a request without grant_type is 400 invalid_request",
            req_03
        ),
        check!(
            "token-req-04a",
            ["TOKEN-REQ-04"],
            [(
                Required,
                "RFC 6749 §5.2",
                "error REQUIRED. … unsupported_grant_type The authorization grant type is not supported by the authorization server."
            )],
            Both,
            [],
            "an unknown grant_type is 400 unsupported_grant_type",
            req_04a
        ),
        check!(
            "token-req-04b",
            ["TOKEN-REQ-04"],
            [(
                MustNot,
                "RFC 9700 §2.4",
                "The resource owner password credentials grant [RFC6749] MUST NOT be used."
            )],
            Both,
            [],
            "the password grant gives no token: 400 unsupported_grant_type, or unauthorized_client where other clients may use it",
            req_04b
        ),
        check!(
            "token-req-05a",
            ["TOKEN-REQ-05"],
            [
                (
                    Required,
                    "RFC 6749 §5.2",
                    "error REQUIRED. … unauthorized_client The authenticated client is not authorized to use this authorization grant type."
                ),
                (
                    Decision,
                    "TOKEN-REQ-05",
                    "An authenticated client asks for a grant the server supports but the client is not registered for … → 400 unauthorized_client."
                )
            ],
            Both,
            [],
            "a client_credentials client asking for authorization_code gets 400 unauthorized_client",
            req_05a
        ),
        check!(
            "token-req-05b",
            ["TOKEN-REQ-05"],
            [(
                Required,
                "RFC 6749 §5.2",
                "error REQUIRED. … unauthorized_client The authenticated client is not authorized to use this authorization grant type."
            )],
            Both,
            [],
            "an authorization_code client asking for client_credentials gets 400 unauthorized_client",
            req_05b
        ),
        check!(
            "token-req-06",
            ["TOKEN-REQ-06"],
            [
                (
                    Required,
                    "RFC 6749 §5.2",
                    "error REQUIRED. … invalid_request The request … repeats a parameter"
                ),
                (
                    MustNot,
                    "RFC 6749 §3.2",
                    "Request and response parameters MUST NOT be included more than once."
                )
            ],
            Both,
            [],
            "a parameter sent twice (grant_type or scope) is 400 invalid_request, no token",
            req_06
        ),
        check!(
            "token-req-07a",
            ["TOKEN-REQ-07"],
            [
                (
                    Must,
                    "RFC 6749 §3.2",
                    "Parameters sent without a value MUST be treated as if they were omitted from the request."
                ),
                (
                    Decision,
                    "AMB-30",
                    "the reference uses `invalid_request` for missing or malformed parameters"
                )
            ],
            Both,
            [],
            "an empty parameter counts as absent: `scope=` gets what no scope gets, `grant_type=` what no grant_type gets (invalid_request)",
            req_07a
        ),
        check!(
            "token-req-07b",
            ["TOKEN-REQ-07"],
            [(
                Must,
                "RFC 6749 §3.2",
                "The authorization server MUST ignore unrecognized request parameters."
            )],
            Both,
            [],
            "an unrecognised parameter is ignored: the grant succeeds",
            req_07b
        ),
    ]
}

/// The granted scope values of a token response, if it names them.
pub(super) fn scope_of(body: &Value) -> Option<BTreeSet<String>> {
    body.get("scope")
        .filter(|scope| scope.is_string())
        .map(|scope| scope_set(Some(scope)))
}

/// One scope value `client` may certainly ask for: from the target file, else from what a
/// grant without scope reports. A skip when neither names one.
pub(super) async fn allowed_scope(ctx: &Ctx, client: &ClientCreds) -> Result<String, Outcome> {
    if let Some(first) = client.scope.as_deref().and_then(|s| s.split(' ').next()) {
        return Ok(first.to_owned());
    }
    let reply = ctx.client_credentials(client).await?;
    if reply.status != 200 {
        return Err(skip(format!(
            "needs a scope value the client may ask for: client_credentials without scope is refused ({}); give `scope` in the target file",
            reply.summary()
        )));
    }
    scope_of(&reply.json()?)
        .and_then(|set| set.into_iter().next())
        .ok_or_else(|| {
            skip("needs a scope value the client may ask for: give `scope` in the target file")
        })
}

/// Does the metadata list `grant` among `grant_types_supported`? `None` when it lists none
/// (RFC 8414 §2 then implies authorization_code and implicit only, which says nothing of the
/// others).
fn grant_listed(ctx: &Ctx, grant: &str) -> Option<bool> {
    ctx.endpoints()
        .metadata
        .get("grant_types_supported")
        .and_then(Value::as_array)
        .map(|grants| grants.iter().any(|g| g.as_str() == Some(grant)))
}

async fn req_01a(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let url = ctx.endpoint("token")?;
    let separator = if url.contains('?') { '&' } else { '?' };
    let reply = ctx
        .send(basic(
            ctx.http()
                .get(format!("{url}{separator}{}", cc_body(&client))),
            &client,
        ))
        .await?;
    if reply.status == 405 {
        let allow = reply.header("allow").unwrap_or("");
        ensure(
            allow
                .split(',')
                .any(|m| m.trim().eq_ignore_ascii_case("POST")),
            "405 with an Allow header listing POST (RFC 9110 §15.5.6)",
            format!("Allow: {allow:?}"),
        )?;
    }
    // The POST rule binds the client: a server that serves a GET anyway deviates.
    if has_token(&reply) {
        return Err(deviate(
            "no token for a GET: RFC 6749 §3.2 token requests are POSTs",
            format!("{} with a token", reply.status),
        ));
    }
    if !(400..500).contains(&reply.status) {
        return Err(deviate(
            "a 4xx without a token (405 with Allow: POST on the reference)",
            reply.summary(),
        ));
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
    let reply = ctx
        .send(ctx.post_form(&with_query, &cc_body(&client)))
        .await?;
    // The URI rule binds the client; a server that reads the query anyway deviates.
    if reply.status == 200 && has_token(&reply) {
        return Err(deviate(
            "no authentication from the URL query (RFC 6749 §2.3.1)",
            "a token",
        ));
    }
    // Without an Authorization header, invalid_client may come with 400 or 401 (§5.2).
    Refusal {
        preferred: &["invalid_client", "invalid_request"],
        fitting: &[],
        statuses: &[400, 401],
    }
    .judge(&reply, "credentials in the query")
}

async fn req_02(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let url = ctx.endpoint("token")?;
    let mut grant = json!({"grant_type": "client_credentials"});
    if let Some(scope) = &client.scope {
        grant["scope"] = json!(scope);
    }
    let reply = ctx
        .send(basic(ctx.http().post(url).json(&grant), &client))
        .await?;
    if reply.status == 200 && has_token(&reply) {
        return Err(deviate(
            "a 400 error: RFC 6749 §4.4.2 requests are form-encoded",
            "a token for the JSON body",
        ));
    }
    // A 4xx from below OAuth (415, say) carries no OAuth error: the reference's choice only.
    if reply.status != 400 && reply.error_code().is_none() && (400..500).contains(&reply.status) {
        return Err(deviate("a JSON 400 invalid_request", reply.summary()));
    }
    Refusal {
        preferred: &["invalid_request"],
        fitting: &["unsupported_grant_type"],
        statuses: &[400],
    }
    .judge(&reply, "a JSON body")
}

async fn req_03(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let missing = Refusal {
        preferred: &["invalid_request"],
        fitting: &["unsupported_grant_type"],
        statuses: &[400],
    };
    let deviations = Deviations::default();
    for body in [with_scope(&client, ""), with_scope(&client, "foo=bar")] {
        let reply = ctx.token(&client, &body).await?;
        deviations.keep(missing.judge(&reply, &format!("the body {body:?}")))?;
    }
    deviations.end()
}

async fn req_04a(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let reply = ctx
        .token(
            &client,
            &with_scope(&client, "grant_type=urn%3Aexample%3Anope"),
        )
        .await?;
    Refusal {
        preferred: &["unsupported_grant_type"],
        fitting: &[],
        statuses: &[400],
    }
    .judge(&reply, "an unknown grant_type")
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
    let reply = ctx.token(&client, &with_scope(&client, &body)).await?;
    // Both codes fit §5.2: the grant is not offered at all, or not to this client.
    Refusal {
        preferred: &["unsupported_grant_type", "unauthorized_client"],
        fitting: &[],
        statuses: &[400],
    }
    .judge(&reply, "the password grant")
}

async fn req_05a(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let redirect = form_pair("redirect_uri", client.redirect());
    let reply = redeem(&ctx, &client, "conformance-code", &redirect).await?;
    // The made-up code is invalid too: invalid_grant fits §5.2 where a server looks at the
    // code before the client's grants. A server whose metadata offers no code grant at all
    // names that exactly with unsupported_grant_type.
    let preferred: &[&str] = if grant_listed(&ctx, "authorization_code") == Some(false) {
        &["unauthorized_client", "unsupported_grant_type"]
    } else {
        &["unauthorized_client"]
    };
    Refusal {
        preferred,
        fitting: &["invalid_grant"],
        statuses: &[400],
    }
    .judge(&reply, "authorization_code by a client_credentials client")
}

async fn req_05b(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let reply = ctx.client_credentials(&client).await?;
    if reply.status == 200 && has_token(&reply) {
        // RFC 6749 leaves grant types per client to registration, which it does not define.
        return Err(skip(
            "the server lets the authorization_code client use client_credentials: it does not restrict grant types per client",
        ));
    }
    let preferred: &[&str] = if grant_listed(&ctx, "client_credentials") == Some(false) {
        &["unauthorized_client", "unsupported_grant_type"]
    } else {
        &["unauthorized_client"]
    };
    Refusal {
        preferred,
        fitting: &[],
        statuses: &[400],
    }
    .judge(&reply, "client_credentials by an authorization_code client")
}

async fn req_06(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let scope = allowed_scope(&ctx, &client).await?;
    let scope = form_encode(&scope);
    let cc = cc_body(&client);
    // A repeated scope is a malformed scope too (or, read last-wins, the unknown value):
    // invalid_scope fits those cases as well.
    let cases: [(String, &str, &[&str]); 3] = [
        (format!("{cc}&{CC}"), "grant_type twice", &[]),
        (
            format!("{CC}&scope={scope}&scope={scope}"),
            "the same scope twice",
            &["invalid_scope"],
        ),
        (
            format!("{CC}&scope={scope}&scope=conformance-other"),
            "two different scopes",
            &["invalid_scope"],
        ),
    ];
    let deviations = Deviations::default();
    for (body, case, fitting) in cases {
        let reply = ctx.token(&client, &body).await?;
        // The rule binds the client: a server that tolerates the repetition deviates.
        if reply.status == 200 {
            deviations.note(
                format!("400 invalid_request for {case} (RFC 6749 §3.2)"),
                reply.summary(),
            );
            continue;
        }
        deviations.keep(
            Refusal {
                preferred: &["invalid_request"],
                fitting,
                statuses: &[400],
            }
            .judge(&reply, case),
        )?;
    }
    deviations.end()
}

/// Status and `error` of an answer, or the granted scope of a 200: what two requests a server
/// must treat alike both get.
fn outcome_of(reply: &Reply) -> Result<String, Outcome> {
    if reply.status == 200 {
        let body = reply.json()?;
        let scope = scope_of(&body).map(|set| set.into_iter().collect::<Vec<_>>().join(" "));
        return Ok(format!("200 with scope {scope:?}"));
    }
    Ok(format!(
        "{} {}",
        reply.status,
        reply
            .error_code()
            .unwrap_or_else(|| "without `error`".into())
    ))
}

async fn req_07a(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    // About scope: this pair leaves the configured scope out on purpose.
    let without = outcome_of(&ctx.token(&client, CC).await?)?;
    let empty = outcome_of(&ctx.token(&client, &format!("{CC}&scope=")).await?)?;
    ensure(
        empty == without,
        format!("`scope=` answered as no scope: {without}"),
        empty,
    )?;
    let absent = ctx.token(&client, &with_scope(&client, "")).await?;
    let blank = ctx
        .token(&client, &with_scope(&client, "grant_type="))
        .await?;
    ensure(
        outcome_of(&blank)? == outcome_of(&absent)?,
        format!(
            "`grant_type=` answered as no grant_type: {}",
            outcome_of(&absent)?
        ),
        blank.summary(),
    )?;
    Refusal {
        preferred: &["invalid_request"],
        fitting: &["unsupported_grant_type"],
        statuses: &[400],
    }
    .judge(&blank, "`grant_type=`")
}

async fn req_07b(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let plain = ctx.client_credentials(&client).await?;
    if plain.status != 200 {
        return Err(skip(format!(
            "client_credentials itself is refused ({}): nothing to compare with",
            plain.summary()
        )));
    }
    let reply = ctx
        .token(
            &client,
            &format!("{}&foo=bar&conformance_extra=1", cc_body(&client)),
        )
        .await?;
    let body = granted(&reply, "client_credentials with foo=bar")?;
    ensure(
        body.get("access_token").is_some_and(Value::is_string),
        "an access_token",
        reply.summary(),
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
