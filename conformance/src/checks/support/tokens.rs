//! Requests to the token endpoint and its neighbours: client credentials, the redemption of a
//! code, a refresh, a whole code flow, and the `token=…` calls of introspection, revocation and
//! check_token.

use serde_json::{Value, json};

use super::{CodeRequest, VERIFIER, code_for, granted, join};
use crate::ctx::{ClientCreds, Ctx, basic, form_encode, form_pair, member};
use crate::http::Reply;
use crate::model::{CheckResult, Outcome, ensure, fail, skip};
use crate::ua::UserAgent;

pub(crate) const CC: &str = "grant_type=client_credentials";

/// `scope=…` with `client`'s configured scope, or nothing.
pub(crate) fn scope_param(client: &ClientCreds) -> String {
    client
        .scope
        .as_deref()
        .map(|scope| form_pair("scope", scope))
        .unwrap_or_default()
}

/// `body` with `client`'s configured scope added: a server may require a scope, so every
/// request that is not about scope carries it.
pub(crate) fn with_scope(client: &ClientCreds, body: &str) -> String {
    join(&[body, &scope_param(client)])
}

/// `grant_type=client_credentials` [`with_scope`].
pub(crate) fn cc_body(client: &ClientCreds) -> String {
    with_scope(client, CC)
}

/// A POST to the token endpoint with this exact form body and this `Authorization` value.
pub(crate) async fn post_token(
    ctx: &Ctx,
    body: impl Into<reqwest::Body>,
    authorization: Option<&str>,
) -> Result<Reply, Outcome> {
    let url = ctx.endpoint("token")?;
    let mut request = ctx
        .http()
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body);
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    ctx.send(request).await
}

/// A token request with the credentials in the form body instead of Basic.
pub(crate) async fn token_with_body_credentials(
    ctx: &Ctx,
    client: &ClientCreds,
    body: &str,
) -> Result<Reply, Outcome> {
    let body = format!(
        "{body}&{}&{}",
        form_pair("client_id", &client.id),
        form_pair("client_secret", client.secret.expose())
    );
    post_token(ctx, body, None).await
}

/// `Basic` with the parts given raw, base64-encoded as they are.
pub(crate) fn raw_basic(pair: &str) -> String {
    use base64::Engine as _;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// `Basic` as RFC 6749 §2.3.1 builds it: each part form-encoded, then base64.
pub(crate) fn basic_value(id: &str, secret: &str) -> String {
    raw_basic(&format!("{}:{}", form_encode(id), form_encode(secret)))
}

/// `grant_type=authorization_code&code=…` plus `extra`.
pub(crate) fn code_grant(code: &str, extra: &str) -> String {
    join(&[
        "grant_type=authorization_code",
        &form_pair("code", code),
        extra,
    ])
}

/// The token request's half of a code obtained with S256: `redirect_uri` and the Appendix B
/// verifier.
pub(crate) fn exchange(redirect_uri: &str) -> String {
    join(&[
        &form_pair("redirect_uri", redirect_uri),
        &form_pair("code_verifier", VERIFIER),
    ])
}

/// [`code_grant`] as `client` with Basic.
pub(crate) async fn redeem(
    ctx: &Ctx,
    client: &ClientCreds,
    code: &str,
    extra: &str,
) -> Result<Reply, Outcome> {
    ctx.token(client, &code_grant(code, extra)).await
}

/// `grant_type=refresh_token&refresh_token=…` plus `extra`.
pub(crate) fn refresh_grant(refresh_token: &str, extra: &str) -> String {
    join(&[
        "grant_type=refresh_token",
        &form_pair("refresh_token", refresh_token),
        extra,
    ])
}

/// [`refresh_grant`] as `client` with Basic.
pub(crate) async fn refresh(
    ctx: &Ctx,
    client: &ClientCreds,
    refresh_token: &str,
    extra: &str,
) -> Result<Reply, Outcome> {
    ctx.token(client, &refresh_grant(refresh_token, extra))
        .await
}

/// A refresh that must succeed; its body.
pub(crate) async fn refreshed(
    ctx: &Ctx,
    client: &ClientCreds,
    refresh_token: &str,
    extra: &str,
) -> Result<Value, Outcome> {
    let reply = refresh(ctx, client, refresh_token, extra).await?;
    granted(&reply, "the refresh")
}

/// The whole code flow for `client` with this `scope` in a fresh user agent, then the
/// redemption: the token response, which must come with 200.
pub(crate) async fn user_tokens(
    ctx: &Ctx,
    client: &ClientCreds,
    scope: Option<&str>,
) -> Result<Value, Outcome> {
    let query = CodeRequest::of(client).scope(scope).query();
    let code = code_for(&UserAgent::new(ctx), &query).await?;
    ctx.remember(&code);
    let reply = redeem(ctx, client, &code, &exchange(client.redirect())).await?;
    granted(&reply, "the code exchange")
}

/// What a token response without a refresh token means to the caller.
#[derive(Debug, Clone, Copy)]
pub(crate) enum IfAbsent {
    /// A missing premise: the check cannot go on.
    Skip,
    /// A broken rule: code clients get one (TOKEN-CODE-01).
    Fail,
}

/// The refresh token of a token response. Absent, it skips or fails as `absent` says; present
/// but not a string, it fails.
pub(crate) fn refresh_token(tokens: &Value, absent: IfAbsent) -> Result<String, Outcome> {
    match (tokens.get("refresh_token"), absent) {
        (None | Some(Value::Null), IfAbsent::Skip) => Err(skip(
            "the target issued no refresh token with the code flow",
        )),
        _ => member(tokens, "refresh_token"),
    }
}

/// The access token of a token response, or a failure.
pub(crate) fn access_token(tokens: &Value) -> Result<String, Outcome> {
    member(tokens, "access_token")
}

/// `token=…` plus extra raw form parameters, to introspection, revocation or check_token.
pub(crate) async fn token_call_with(
    ctx: &Ctx,
    endpoint: &str,
    caller: &ClientCreds,
    token: &str,
    extra: &str,
) -> Result<Reply, Outcome> {
    let url = ctx.endpoint(endpoint)?;
    let body = join(&[&form_pair("token", token), extra]);
    ctx.send(basic(ctx.post_form(&url, &body), caller)).await
}

/// `{"active": false}` for `token`, asked by its own client.
pub(crate) async fn inactive(
    ctx: &Ctx,
    client: &ClientCreds,
    token: &str,
    what: &str,
) -> CheckResult {
    let view = ctx.introspect(client, token).await?;
    ensure(
        view.get("active") == Some(&json!(false)),
        format!("{what}: introspection active:false"),
        crate::http::short(&view.to_string()),
    )
}

/// With the test clock frozen at a fixed instant: a fresh client_credentials client, one of
/// its access tokens and the token's `expires_in`.
pub(crate) async fn token_at_fixed_time(ctx: &Ctx) -> Result<(ClientCreds, String, i64), Outcome> {
    ctx.set_clock("2030-06-15T12:00:00Z").await?;
    let client = ctx.cc_client().await?;
    let reply = ctx.client_credentials(&client).await?;
    if reply.status != 200 {
        return Err(fail("200 from client_credentials", reply.summary()));
    }
    let issued = reply.json()?;
    let token = access_token(&issued)?;
    let expires_in = issued
        .get("expires_in")
        .and_then(Value::as_i64)
        .ok_or_else(|| fail("a numeric expires_in", &issued))?;
    Ok((client, token, expires_in))
}
