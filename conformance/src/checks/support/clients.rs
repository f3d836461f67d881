//! The clients a check makes or presents: ids no other check uses, wallets, resource servers,
//! a client with other credentials, and a client's view from the admin API.

use rand::Rng;
use reqwest::Method;
use serde_json::{Value, json};

use crate::ctx::{CLIENT_CB, ClientCreds, Ctx, url_path_segment};
use crate::model::{Outcome, fail, skip};
use crate::target::Secret;

/// A short id no other check uses: checks run concurrently against one server, and the
/// throttle of TOKEN-AUTH-08 counts failures per presented id.
pub(crate) fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{:012x}",
        rand::rng().random::<u64>() & 0xffff_ffff_ffff
    )
}

/// `client` with another secret.
pub(crate) fn with_secret(client: &ClientCreds, secret: &str) -> ClientCreds {
    ClientCreds {
        secret: Secret::new(secret),
        ..client.clone()
    }
}

/// A client id nobody registered, with a wrong secret and `like`'s scope, so that its requests
/// differ from `like`'s only in the credentials.
pub(crate) fn stranger(like: &ClientCreds) -> ClientCreds {
    ClientCreds {
        id: unique("no-such-client"),
        secret: Secret::new("wrong-secret"),
        redirect_uri: None,
        scope: like.scope.clone(),
    }
}

/// A wallet client (`wallet-{key}-{id}`) with these roles and optional extra fields.
pub(crate) async fn wallet(
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
pub(crate) async fn resource_server(ctx: &Ctx, ids: &[&str]) -> Result<ClientCreds, Outcome> {
    ctx.client_with(json!({"kind": "resource_server", "resource_ids": ids}))
        .await
}

/// A client's view from the admin API.
pub(crate) async fn client_view(ctx: &Ctx, client_id: &str) -> Result<Value, Outcome> {
    let path = format!("/admin/clients/{}", url_path_segment(client_id));
    let reply = ctx.send(ctx.admin(Method::GET, &path)?).await?;
    if reply.status != 200 {
        return Err(fail(format!("200 from GET {path}"), reply.summary()));
    }
    reply.json()
}

/// A code client whose scopes are known and at least two: one created with `profile` and
/// `email`, or `clients.code` when its scope lists two or more values.
pub(crate) async fn scoped_client(ctx: &Ctx) -> Result<(ClientCreds, Vec<String>), Outcome> {
    if ctx.has_admin() {
        let client = ctx
            .client_with(json!({
                "kind": "one_click",
                "name": "Scoped shop",
                "redirect_urls": [CLIENT_CB],
                "scopes": ["profile", "email"],
            }))
            .await?;
        return Ok((client, vec!["email".into(), "profile".into()]));
    }
    let client = ctx.file_client("code")?;
    let mut scopes: Vec<String> = client
        .scope
        .as_deref()
        .unwrap_or("")
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    scopes.sort();
    if scopes.len() < 2 {
        return Err(skip(
            "needs a code client with two scopes: an admin API, or `clients.code.scope` with two values",
        ));
    }
    Ok((client, scopes))
}
