//! ADMIN: our client administration API (`/admin/clients…`; seeds 000–002, AMB-15 to AMB-19,
//! AMB-25, AMB-26, AMB-35). Every check needs the admin API and creates its own clients,
//! wallets under random ids, so that checks running side by side never meet.
//!
//! Layout: this module holds the admin API client ([`Api`]) and the helpers the groups share;
//! each submodule declares its checks next to their run functions, in catalog order:
//! `access` (ADMIN-01), `secrets` (ADMIN-02 to ADMIN-04), `delete` (ADMIN-05), `wallet`
//! (ADMIN-06, ADMIN-07), `kinds` (ADMIN-08, ADMIN-09), `display` (ADMIN-10).

use std::sync::{Mutex, PoisonError};

use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};

use super::support::{
    self, IfAbsent, access_token, client_code, exchange, no_token, redeem, refresh_token,
};
use crate::ctx::{ClientCreds, Ctx, basic, member, url_path_segment};
use crate::http::Reply;
use crate::model::{Check, CheckResult, Deviations, Outcome, ensure, fail, skip};
use crate::target::Secret;
use crate::ua::UserAgent;

/// Runs a check body with an [`Api`] and cleans up after it.
// Defined before the submodules, which use it.
macro_rules! with_api {
    ($name:ident, $body:ident) => {
        async fn $name(ctx: Ctx) -> CheckResult {
            let api = Api::new(&ctx);
            let result = $body(&ctx, &api).await;
            api.clean_up().await;
            result
        }
    };
}

mod access;
mod delete;
mod display;
mod kinds;
mod secrets;
mod wallet;

const SHOP_CB: &str = "https://shop.example/cb";

pub(super) fn checks() -> Vec<Check> {
    [
        access::checks(),
        secrets::checks(),
        delete::checks(),
        wallet::checks(),
        kinds::checks(),
        display::checks(),
    ]
    .concat()
}

// ---------------------------------------------------------------------------------------------
// The admin API, with clean-up of whatever a check creates, whoever created it.

/// Who makes an admin call.
enum Caller<'a> {
    Admin,
    Anonymous,
    Basic(&'a ClientCreds),
    Bearer(&'a str),
    Header(&'a str),
}

struct Api {
    ctx: Ctx,
    made: Mutex<Vec<String>>,
}

impl Api {
    fn new(ctx: &Ctx) -> Self {
        Self {
            ctx: ctx.clone(),
            made: Mutex::new(Vec::new()),
        }
    }

    fn request(
        &self,
        caller: &Caller<'_>,
        method: Method,
        path: &str,
    ) -> Result<RequestBuilder, Outcome> {
        // Skips the check on a target without the admin API, whoever the caller is.
        let as_admin = self.ctx.admin(method.clone(), path)?;
        let plain = self.ctx.http().request(method, self.ctx.run.url(path));
        Ok(match caller {
            Caller::Admin => as_admin,
            Caller::Anonymous => plain,
            Caller::Basic(client) => basic(plain, client),
            Caller::Bearer(token) => plain.bearer_auth(token),
            Caller::Header(value) => plain.header("authorization", *value),
        })
    }

    async fn call(
        &self,
        caller: &Caller<'_>,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Reply, Outcome> {
        let creating = method == Method::POST && path == "/admin/clients";
        let mut request = self.request(caller, method, path)?;
        if let Some(body) = body {
            request = request.json(body);
        }
        let reply = self.ctx.send(request).await?;
        if creating
            && reply.status == 201
            && let Some(id) = reply.json().ok().and_then(|v| member(&v, "client_id").ok())
        {
            self.made
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(id);
        }
        Ok(reply)
    }

    async fn create(&self, body: Value) -> Result<Reply, Outcome> {
        self.call(&Caller::Admin, Method::POST, "/admin/clients", Some(&body))
            .await
    }

    /// Creates a client that must be accepted: its view (secret included) and credentials.
    async fn created(&self, body: Value) -> Result<(Value, ClientCreds), Outcome> {
        let reply = self.create(body.clone()).await?;
        ensure(
            reply.status == 201,
            format!("201 creating {body}"),
            reply.summary(),
        )?;
        let view = reply.json()?;
        let creds = ClientCreds {
            id: member(&view, "client_id")?,
            secret: Secret::new(member(&view, "client_secret")?),
            redirect_uri: view
                .get("redirect_urls")
                .and_then(|u| u.get(0))
                .and_then(Value::as_str)
                .map(str::to_owned),
            scope: None,
        };
        Ok((view, creds))
    }

    async fn wallet(&self, tag: &str, roles: &[&str]) -> Result<ClientCreds, Outcome> {
        let body = json!({"kind": "wallet", "id": wallet_id(tag), "roles": roles});
        Ok(self.created(body).await?.1)
    }

    async fn one_click(&self) -> Result<ClientCreds, Outcome> {
        let body =
            json!({"kind": "one_click", "name": "Admin checks shop", "redirect_urls": [SHOP_CB]});
        Ok(self.created(body).await?.1)
    }

    async fn get(&self, client_id: &str) -> Result<Reply, Outcome> {
        self.call(&Caller::Admin, Method::GET, &client_path(client_id), None)
            .await
    }

    async fn list(&self) -> Result<Reply, Outcome> {
        self.call(&Caller::Admin, Method::GET, "/admin/clients", None)
            .await
    }

    async fn edit(&self, client_id: &str, patch: Value) -> Result<Reply, Outcome> {
        self.call(
            &Caller::Admin,
            Method::PATCH,
            &client_path(client_id),
            Some(&patch),
        )
        .await
    }

    async fn delete(&self, client_id: &str) -> Result<Reply, Outcome> {
        self.call(
            &Caller::Admin,
            Method::DELETE,
            &client_path(client_id),
            None,
        )
        .await
    }

    async fn new_secret(&self, client_id: &str, body: Option<Value>) -> Result<Reply, Outcome> {
        let path = format!("{}/secret", client_path(client_id));
        self.call(&Caller::Admin, Method::POST, &path, body.as_ref())
            .await
    }

    /// Deletes every client the check created; the check's outcome stands whatever happens.
    async fn clean_up(&self) {
        let made = std::mem::take(&mut *self.made.lock().unwrap_or_else(PoisonError::into_inner));
        for id in made {
            if let Ok(request) = self.ctx.admin(Method::DELETE, &client_path(&id)) {
                let _ = request.send().await;
            }
        }
    }
}

fn client_path(client_id: &str) -> String {
    format!("/admin/clients/{}", url_path_segment(client_id))
}

/// A wallet id no other check or earlier run uses.
fn wallet_id(tag: &str) -> String {
    format!("c-{tag}-{:08x}", rand::random::<u32>())
}

/// 401 invalid_client: what a dead or wrong secret gets. The checks authenticate with Basic,
/// so RFC 6749 §5.2 fixes both the status and the code.
fn refused_client(reply: &Reply, what: &str) -> CheckResult {
    ensure(
        reply.status == 401 && reply.error_code().as_deref() == Some("invalid_client"),
        format!("401 invalid_client for {what}"),
        reply.summary(),
    )
}

/// `status` for `case`. The admin API's status codes are the catalog's, not the seeds': an
/// answer of the same class (another success, another refusal) deviates; the other class
/// (a refusal where the seed allows, a success where it forbids) fails.
fn answered(reply: &Reply, status: u16, case: &str, deviations: &Deviations) -> CheckResult {
    if reply.status == status {
        return Ok(());
    }
    let expected = format!("{status} for {case}");
    if reply.status / 100 == status / 100 {
        deviations.note(expected, reply.summary());
        return Ok(());
    }
    Err(fail(expected, reply.summary()))
}

fn strings(value: Option<&Value>) -> Vec<String> {
    let mut items: Vec<String> = value
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    items.sort_unstable();
    items
}

fn field<'a>(view: &'a Value, name: &str) -> &'a Value {
    view.get(name).unwrap_or(&Value::Null)
}

/// The client's own view of a token at introspection.
async fn active(ctx: &Ctx, caller: &ClientCreds, token: &str) -> Result<bool, Outcome> {
    let view = ctx.introspect(caller, token).await?;
    Ok(view.get("active") == Some(&Value::Bool(true)))
}

/// Introspection as `caller` shows a fresh `token` active, or the check has no oracle for what
/// happens to it later (a server may show a client none of its tokens): a skip.
async fn sees_active(ctx: &Ctx, caller: &ClientCreds, token: &str, what: &str) -> CheckResult {
    if active(ctx, caller, token).await? {
        return Ok(());
    }
    Err(skip(format!(
        "introspection as {} does not show {what} active while it is fresh, so it cannot tell \
         when it dies",
        caller.id
    )))
}

/// Access and refresh token of a code flow for `client`; a server that issues no refresh
/// token offers no premise for the checks that follow one (a skip).
async fn user_tokens(ctx: &Ctx, client: &ClientCreds) -> Result<(String, String), Outcome> {
    let body = support::user_tokens(ctx, client, client.scope.as_deref()).await?;
    let refresh_token = refresh_token(&body, IfAbsent::Skip)?;
    Ok((access_token(&body)?, refresh_token))
}

/// A fresh code of `client`, to be redeemed after something changed.
async fn pending_code(ctx: &Ctx, client: &ClientCreds) -> Result<String, Outcome> {
    client_code(ctx, &UserAgent::new(ctx), client).await
}

/// The redemption of `code` by `client`.
async fn redeemed(ctx: &Ctx, client: &ClientCreds, code: &str) -> Result<Reply, Outcome> {
    redeem(ctx, client, code, &exchange(client.redirect())).await
}

/// Neither a 200 nor a token: what a dead credential gets at the token endpoint.
fn dead(reply: &Reply, what: &str) -> CheckResult {
    ensure(
        reply.status != 200,
        format!("{what} refused"),
        reply.summary(),
    )?;
    no_token(reply)
}

fn is_unreserved(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~".contains(c)
}
