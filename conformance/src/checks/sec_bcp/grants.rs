//! SEC-BCP-04: no implicit grant (RFC 9700 §2.1.2) and no password grant (§2.4).

use serde_json::Value;
use url::Url;

use crate::check;
use crate::checks::vredir::{client_query, unjudged};
use crate::ctx::{Ctx, form_pair};
use crate::model::{Check, CheckResult, Deviations, deviate, ensure};
use crate::ua::{Landing, UserAgent};

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "sec-bcp-04a",
            ["SEC-BCP-04"],
            [(
                ShouldNot,
                "RFC 9700 §2.1.2",
                "clients SHOULD NOT use the implicit grant (response type `token`) or other response types issuing access tokens in the authorization response"
            )],
            Both,
            [Ua],
            "no implicit flow: response_type=token gives unsupported_response_type, never a token, \
             and is not advertised",
            bcp_04a
        ),
        check!(
            "sec-bcp-04b",
            ["SEC-BCP-04"],
            [
                (
                    MustNot,
                    "RFC 9700 §2.4",
                    "The resource owner password credentials grant [RFC6749] MUST NOT be used."
                ),
                (
                    Required,
                    "RFC 6749 §5.2",
                    "error REQUIRED. A single ASCII [USASCII] error code from the following: … unsupported_grant_type The authorization grant type is not supported by the authorization server."
                )
            ],
            Both,
            [],
            "no password grant: it gives unsupported_grant_type, never a token, and is not advertised",
            bcp_04b
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// SEC-BCP-04: no implicit, no password grant

/// The metadata array `name`, as strings.
fn advertised(ctx: &Ctx, name: &str) -> Vec<String> {
    ctx.endpoints()
        .metadata
        .get(name)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// A redirect's response parameters, from its query and (where an implicit-flow server puts
/// them, RFC 6749 §4.2.2.1) its fragment.
fn response_params(location: &str) -> Vec<(String, String)> {
    let Ok(url) = Url::parse(location) else {
        return Vec::new();
    };
    let mut params: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    if let Some(fragment) = url.fragment() {
        params.extend(url::form_urlencoded::parse(fragment.as_bytes()).into_owned());
    }
    params
}

async fn bcp_04a(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let ua = UserAgent::new(&ctx);
    let query = client_query(&client, client.redirect()).replace(
        &form_pair("response_type", "code"),
        &form_pair("response_type", "token"),
    );
    let landing = ua.authorize(&query).await?;
    unjudged(&landing)?;
    // All of it is a SHOULD NOT: each finding warns, the worst first.
    let deviations = Deviations::default();
    match &landing {
        Landing::Redirect(location) => {
            let shown = ctx.run.redactor.url(location);
            let params = response_params(location);
            let error = params.iter().find(|(k, _)| k == "error").map(|(_, v)| v);
            if params.iter().any(|(k, _)| k == "access_token") {
                deviations.note("no access token for response_type=token", &shown);
            }
            // unauthorized_client fits where other clients may use implicit (RFC 6749 §4.1.2.1).
            if !matches!(
                error.map(String::as_str),
                Some("unsupported_response_type" | "unauthorized_client")
            ) {
                deviations.note(
                    "error=unsupported_response_type (or unauthorized_client)",
                    &shown,
                );
            }
        }
        Landing::Page { status, .. } => deviations.note(
            "an error redirect with unsupported_response_type",
            format!("the server's own page ({status})"),
        ),
    }
    let response_types = advertised(&ctx, "response_types_supported");
    if response_types
        .iter()
        .any(|t| t.split(' ').any(|p| p == "token"))
    {
        deviations.note(
            "response_types_supported without token",
            format!("{response_types:?}"),
        );
    }
    let grants = advertised(&ctx, "grant_types_supported");
    if grants.iter().any(|g| g == "implicit") {
        deviations.note(
            "grant_types_supported without implicit",
            format!("{grants:?}"),
        );
    }
    deviations.end()
}

async fn bcp_04b(ctx: Ctx) -> CheckResult {
    // The real test user, so that a server with the grant would answer with a token.
    let login = ctx.run.target.login.as_ref();
    let username = login
        .and_then(|l| l.username.clone())
        .unwrap_or_else(|| "test-user".to_owned());
    let password = login
        .and_then(|l| l.password.as_ref())
        .map_or_else(|| "test-password".to_owned(), |p| p.expose().to_owned());
    let client = ctx.code_client().await?;
    let mut body = [
        form_pair("grant_type", "password"),
        form_pair("username", &username),
        form_pair("password", &password),
    ]
    .join("&");
    if let Some(scope) = &client.scope {
        body.push('&');
        body.push_str(&form_pair("scope", scope));
    }
    let reply = ctx.token(&client, &body).await?;
    let token = reply
        .json()
        .ok()
        .is_some_and(|v| v.get("access_token").is_some());
    ensure(!token, "no token for grant_type=password", reply.summary())?;
    // Both codes fit §5.2: a grant the server lacks, or one this client may not use.
    ensure(
        reply.status == 400
            && matches!(
                reply.error_code().as_deref(),
                Some("unsupported_grant_type" | "unauthorized_client")
            ),
        "400 unsupported_grant_type (or unauthorized_client), no token",
        reply.summary(),
    )?;
    // Advertising the grant offers it; no one used it here, so that only deviates.
    let grants = advertised(&ctx, "grant_types_supported");
    if grants.iter().any(|g| g == "password") {
        return Err(deviate(
            "grant_types_supported without password",
            format!("{grants:?}"),
        ));
    }
    Ok(())
}
