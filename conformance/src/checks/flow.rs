//! Steps shared by the token-use groups (INTROSPECT, CHECK, REVOKE, BEARER, EXP, ROLE): user
//! tokens through the code flow, fresh wallet and resource-server clients, the demo protected
//! resources and their `WWW-Authenticate` challenges.

use rand::Rng;
use reqwest::Method;
use serde_json::{Value, json};

use crate::ctx::{ClientCreds, Ctx, basic, form_pair, member};
use crate::http::Reply;
use crate::model::{Outcome, fail, skip};
use crate::ua::UserAgent;

/// RFC 7636 Appendix B: the strict profile requires PKCE, and S256 works in both.
pub(super) use super::code_flow::{CHALLENGE, VERIFIER};

/// A fresh authorization code for `client` (S256), logged in and approved by a new user agent.
pub(super) async fn code(ctx: &Ctx, client: &ClientCreds) -> Result<String, Outcome> {
    code_for(ctx, &UserAgent::new(ctx), client).await
}

/// A fresh authorization code for `client` (S256), from this user agent's session.
pub(super) async fn code_for(
    ctx: &Ctx,
    ua: &UserAgent,
    client: &ClientCreds,
) -> Result<String, Outcome> {
    let mut query = [
        form_pair("response_type", "code"),
        form_pair("client_id", &client.id),
        form_pair("redirect_uri", client.redirect()),
        form_pair("state", "conformance"),
        form_pair("code_challenge", CHALLENGE),
        form_pair("code_challenge_method", "S256"),
    ]
    .join("&");
    if let Some(scope) = &client.scope {
        query.push('&');
        query.push_str(&form_pair("scope", scope));
    }
    let landing = ua.authorize(&query).await?;
    landing.location()?;
    let code = landing.param("code").ok_or_else(|| {
        fail(
            "a redirect with a code",
            landing.param("error").unwrap_or_else(|| "no code".into()),
        )
    })?;
    ctx.remember(&code);
    Ok(code)
}

/// The token response of a whole code flow for `client`: access and refresh token.
pub(super) async fn user_tokens(ctx: &Ctx, client: &ClientCreds) -> Result<Value, Outcome> {
    let code = code(ctx, client).await?;
    let reply = ctx.token(client, &code_exchange(client, &code)).await?;
    if reply.status != 200 {
        return Err(fail("200 from the code exchange", reply.summary()));
    }
    reply.json()
}

/// The body of `grant_type=authorization_code` for `code`, with the Appendix B verifier.
pub(super) fn code_exchange(client: &ClientCreds, code: &str) -> String {
    [
        form_pair("grant_type", "authorization_code"),
        form_pair("code", code),
        form_pair("redirect_uri", client.redirect()),
        form_pair("code_verifier", VERIFIER),
    ]
    .join("&")
}

/// The refresh token of a token response, or a skip: without one the row cannot be checked.
pub(super) fn refresh_token(tokens: &Value) -> Result<String, Outcome> {
    tokens
        .get("refresh_token")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| skip("the target issued no refresh token with the code flow"))
}

/// `grant_type=refresh_token` as `client`.
pub(super) async fn refresh(
    ctx: &Ctx,
    client: &ClientCreds,
    token: &str,
) -> Result<Reply, Outcome> {
    let body = format!(
        "grant_type=refresh_token&{}",
        form_pair("refresh_token", token)
    );
    ctx.token(client, &body).await
}

/// `token=…` plus extra raw form parameters, to introspection, revocation or check_token.
pub(super) async fn token_call_with(
    ctx: &Ctx,
    endpoint: &str,
    caller: &ClientCreds,
    token: &str,
    extra: &str,
) -> Result<Reply, Outcome> {
    let url = ctx.endpoint(endpoint)?;
    let mut body = form_pair("token", token);
    if !extra.is_empty() {
        body.push('&');
        body.push_str(extra);
    }
    ctx.send(basic(ctx.post_form(&url, &body), caller)).await
}

/// A short id no other check uses: checks run concurrently against one server.
pub(super) fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{:012x}",
        rand::rng().random::<u64>() & 0xffff_ffff_ffff
    )
}

/// A wallet client (`wallet-{key}-{id}`) with these roles and optional extra fields.
pub(super) async fn wallet(
    ctx: &Ctx,
    roles: &[&str],
    extra: Value,
) -> Result<ClientCreds, Outcome> {
    let mut body = json!({"kind": "wallet", "id": unique("w"), "roles": roles});
    if let (Some(target), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        target.extend(extra.clone());
    }
    ctx.client_with(body).await
}

/// A resource-server client that may inspect tokens meant for these resource ids (AMB-33).
pub(super) async fn resource_server(ctx: &Ctx, ids: &[&str]) -> Result<ClientCreds, Outcome> {
    ctx.client_with(json!({"kind": "resource_server", "resource_ids": ids}))
        .await
}

/// A client's view from the admin API.
pub(super) async fn client_view(ctx: &Ctx, client_id: &str) -> Result<Value, Outcome> {
    let path = format!("/admin/clients/{}", crate::ctx::url_path_segment(client_id));
    let reply = ctx.send(ctx.admin(Method::GET, &path)?).await?;
    if reply.status != 200 {
        return Err(fail(format!("200 from GET {path}"), reply.summary()));
    }
    reply.json()
}

/// The demo protected resources are the reference server's, next to its admin API.
pub(super) fn resource_url(ctx: &Ctx, path: &str) -> Result<String, Outcome> {
    if !ctx.has_admin() {
        return Err(skip(
            "needs a protected resource; the target offers no admin API, so no demo resources",
        ));
    }
    Ok(ctx.run.url(path))
}

/// A resource request with this `Authorization` value (or none); a 404 means no such resource.
pub(super) async fn at_resource(
    ctx: &Ctx,
    method: Method,
    url: &str,
    authorization: Option<&str>,
) -> Result<Reply, Outcome> {
    let mut request = ctx.http().request(method, url);
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    no_resource(ctx.send(request).await?)
}

/// Skips on a 404: the target has no such demo resource.
pub(super) fn no_resource(reply: Reply) -> Result<Reply, Outcome> {
    if reply.status == 404 {
        return Err(skip(
            "the target has no demo protected resource at this path",
        ));
    }
    Ok(reply)
}

/// A string set from a space-separated `scope` or a JSON array.
pub(super) fn scope_set(value: Option<&Value>) -> std::collections::BTreeSet<String> {
    match value {
        Some(Value::String(s)) => s
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Default::default(),
    }
}

/// A string member, for messages on other members.
pub(super) fn access_token(tokens: &Value) -> Result<String, Outcome> {
    member(tokens, "access_token")
}

/// With the test clock frozen at a fixed instant: a fresh client_credentials client, one of
/// its access tokens and the token's `expires_in`.
pub(super) async fn token_at_fixed_time(ctx: &Ctx) -> Result<(ClientCreds, String, i64), Outcome> {
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
