//! TOKEN-CC: the client_credentials grant (RFC 6749 §4.4) and the vendor clients' requests
//! (seed 001 › Scopes, seed 002 › Authenticate using a client ID).

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::support::{CC, Refusal, granted, post_token, unique};
use super::token_req::scope_of;
use crate::check;
use crate::ctx::{ClientCreds, Ctx, form_encode, form_pair, member};
use crate::model::{Check, CheckResult, Deviations, deviate, ensure, fail};

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
            [
                (
                    Required,
                    "RFC 6749 §5.1",
                    "access_token REQUIRED. The access token issued by the authorization server. token_type REQUIRED."
                ),
                (
                    Must,
                    "RFC 6749 §2.3.1",
                    "The authorization server MUST support the HTTP Basic authentication scheme for authenticating clients that were issued a client password."
                ),
                (
                    Decision,
                    "TOKEN-RESP-01",
                    "a `token_type` equal to `Bearer` ignoring case"
                )
            ],
            Both,
            [],
            "client_credentials with a valid client gives 200 and an access token (Bearer, as on the reference)",
            cc_01
        ),
        check!(
            "token-cc-02a",
            ["TOKEN-CC-02"],
            [(
                ShouldNot,
                "RFC 6749 §4.4.3",
                "A refresh token SHOULD NOT be included."
            )],
            Both,
            [],
            "client_credentials issues no refresh_token",
            cc_02a
        ),
        check!(
            "token-cc-02b",
            ["TOKEN-CC-02"],
            [
                (
                    ShouldNot,
                    "RFC 6749 §4.4.3",
                    "A refresh token SHOULD NOT be included."
                ),
                (
                    Decision,
                    "AMB-24",
                    "the field is stored and displayed, but no refresh token is ever issued for client_credentials."
                )
            ],
            Both,
            [Admin],
            "client_credentials issues no refresh_token even to a client with a refresh token validity (AMB-24)",
            cc_02b
        ),
        check!(
            "token-cc-03",
            ["TOKEN-CC-03"],
            [
                (
                    Must,
                    "RFC 6749 §3.3",
                    "If the issued access token scope is different from the one requested by the client, the authorization server MUST include the \"scope\" response parameter"
                ),
                (
                    Decision,
                    "TOKEN-CC-03",
                    "A scope outside the client's allowed set → 400 invalid_scope (reference)."
                )
            ],
            Both,
            [],
            "a scope outside the client's allowed set is 400 invalid_scope, or a reduced grant that reports its scope",
            cc_03
        ),
        check!(
            "token-cc-04",
            ["TOKEN-CC-04"],
            [
                (
                    Vendor,
                    "seed 001 › Scopes",
                    "For which scopes the client is for, default values are: `web-origins,address,phone,roles,profile,paymentiq,email`"
                ),
                (
                    Decision,
                    "AMB-22",
                    "scopes are stored as a set and written on the wire space-separated and case-sensitive … Leaving `scope` out grants the default set."
                )
            ],
            VendorOnly,
            [Admin],
            "without scope an Admin API client gets the default set `web-origins address phone roles profile paymentiq email`",
            cc_04
        ),
        check!(
            "token-cc-05a",
            ["TOKEN-CC-05"],
            [(
                Vendor,
                "seed 002 › Authenticate using a client ID",
                "&client_id=wallet-{external-key}-{your-client-id} &client_secret={your-client-secret} The returned access_token can then be passed as a Bearer token"
            )],
            VendorOnly,
            [Admin],
            "seed 002's example request (form body, client_id wallet-{external-key}-{id}, client_secret) gives a Bearer token",
            cc_05a
        ),
        check!(
            "token-cc-05b",
            ["TOKEN-CC-05"],
            [
                (
                    Required,
                    "RFC 6749 §5.2",
                    "error REQUIRED. … invalid_client Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method)."
                ),
                (
                    Decision,
                    "AMB-26",
                    "The server builds the OAuth id when the client is created and looks it up by exact, case-sensitive match."
                )
            ],
            VendorOnly,
            [Admin],
            "a wallet's short id alone, or its id in another letter case, is no client: invalid_client (401, and no token, as on the reference: AMB-26)",
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
    if !token_type.eq_ignore_ascii_case("bearer") {
        return Err(deviate("token_type Bearer", token_type));
    }
    Ok(())
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

/// The scope a token was granted with, by introspection as `client`, if the server tells.
async fn introspected_scope(
    ctx: &Ctx,
    client: &ClientCreds,
    body: &Value,
) -> Option<BTreeSet<String>> {
    let token = member(body, "access_token").ok()?;
    let view = ctx.introspect(client, &token).await.ok()?;
    if view.get("active") != Some(&Value::Bool(true)) {
        return None;
    }
    Some(scope_of(&view).unwrap_or_default())
}

async fn cc_03(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let deviations = Deviations::default();
    // A value no server defines for this client; `openid` is the classic one it may not hold.
    for scope in ["conformance-not-allowed", "openid"] {
        let reply = ctx
            .token(&client, &format!("{CC}&{}", form_pair("scope", scope)))
            .await?;
        if reply.status != 200 {
            deviations.keep(
                Refusal {
                    preferred: &["invalid_scope"],
                    fitting: &[],
                    statuses: &[400],
                }
                .judge(&reply, &format!("scope={scope}")),
            )?;
            continue;
        }
        let body = reply.json()?;
        let requested = BTreeSet::from([scope.to_owned()]);
        // A client that may hold `openid` is simply granted it; an unknown value granted is
        // the server's own scope model, not the reference's.
        let granted_scope = match scope_of(&body) {
            Some(reported) => reported,
            // Omitted: lawful only if the grant is exactly what was asked.
            None => {
                match introspected_scope(&ctx, &client, &body).await {
                    Some(granted) if granted != requested => {
                        return Err(fail(
                            format!(
                                "`scope` in the response for scope={scope}: the grant differs from the request"
                            ),
                            format!(
                                "no `scope`, and introspection shows {:?}",
                                granted.into_iter().collect::<Vec<_>>().join(" ")
                            ),
                        ));
                    }
                    Some(granted) => granted,
                    None => {
                        deviations.note(
                        format!("400 invalid_scope, or a grant that states its scope, for scope={scope}"),
                        "200 without `scope`, and no introspection to tell what was granted",
                    );
                        continue;
                    }
                }
            }
        };
        if scope == "conformance-not-allowed" && granted_scope.contains(scope) {
            deviations.note(
                format!("400 invalid_scope, or a reduced grant without {scope}"),
                format!(
                    "a grant of {}",
                    granted_scope.into_iter().collect::<Vec<_>>().join(" ")
                ),
            );
        }
    }
    deviations.end()
}

async fn cc_04(ctx: Ctx) -> CheckResult {
    let client = ctx
        .client_with(json!({"kind": "admin_api", "roles": ["PAYMENTS_VIEW"]}))
        .await?;
    // About scope: no scope on purpose.
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
    let deviations = Deviations::default();
    for other in [short, client.id.to_ascii_uppercase(), capitalised] {
        let reply = post_token(&ctx, seed_request(&other, client.secret.expose()), None).await?;
        // Which strings name the client is AMB-26's decision: a token is a deviation.
        if reply.status == 200 {
            deviations.note(
                format!("401 invalid_client for client_id {other}: ids match exactly (AMB-26)"),
                "a token",
            );
            continue;
        }
        deviations.keep(
            Refusal {
                preferred: &["invalid_client"],
                fitting: &[],
                statuses: &[401],
            }
            .judge(&reply, &format!("client_id {other}")),
        )?;
    }
    deviations.end()
}
