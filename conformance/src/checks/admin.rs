//! ADMIN: our client administration API (`/admin/clients…`; seeds 000–002, AMB-15 to AMB-19,
//! AMB-25, AMB-26, AMB-35). Every check needs the admin API and creates its own clients,
//! wallets under random ids, so that checks running side by side never meet.

use std::sync::{Mutex, PoisonError};

use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};

use super::flow::{self, code_exchange, refresh};
use crate::check;
use crate::ctx::{ClientCreds, Ctx, basic, member, url_path_segment};
use crate::http::Reply;
use crate::model::{Check, CheckResult, Outcome, ensure, fail};
use crate::target::Secret;

const SHOP_CB: &str = "https://shop.example/cb";

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "admin-01a",
            ["ADMIN-01"],
            Vendor,
            VendorOnly,
            [Admin],
            "every admin endpoint answers 401 with a challenge without valid authentication",
            admin_01a
        ),
        check!(
            "admin-01b",
            ["ADMIN-01"],
            Vendor,
            VendorOnly,
            [Admin],
            "read permission lists and gets; create, edit, delete and New Secret are 403",
            admin_01b
        ),
        check!(
            "admin-01c",
            ["ADMIN-01"],
            Vendor,
            VendorOnly,
            [Admin],
            "change permission or MERCHANT_ADMIN may do everything, reading included",
            admin_01c
        ),
        check!(
            "admin-02a",
            ["ADMIN-02"],
            Vendor,
            VendorOnly,
            [Admin],
            "create is 201 with client_id, a 256-bit unreserved client_secret and no-store",
            admin_02a
        ),
        check!(
            "admin-02b",
            ["ADMIN-02"],
            Vendor,
            VendorOnly,
            [Admin],
            "a wallet's secret is never shown again: not by get, list, edit or an error",
            admin_02b
        ),
        check!(
            "admin-02c",
            ["ADMIN-02"],
            Decision,
            VendorOnly,
            [Admin],
            "an Admin API client's secret is never shown again, and there is no show-secret endpoint",
            admin_02c
        ),
        check!(
            "admin-03",
            ["ADMIN-03"],
            Vendor,
            VendorOnly,
            [Admin],
            "New Secret shows a fresh secret once; the old one is refused at once",
            admin_03
        ),
        check!(
            "admin-04a",
            ["ADMIN-04"],
            Decision,
            VendorOnly,
            [Admin, Ua],
            "after New Secret, earlier access tokens stay active and refresh needs the new secret",
            admin_04a
        ),
        check!(
            "admin-04b",
            ["ADMIN-04"],
            Decision,
            VendorOnly,
            [Admin, Ua],
            "New Secret with revoke_tokens=true kills the client's tokens and pending codes",
            admin_04b
        ),
        check!(
            "admin-05a",
            ["ADMIN-05"],
            Vendor,
            VendorOnly,
            [Admin],
            "delete is 204; the client then fails to authenticate and its tokens are dead",
            admin_05a
        ),
        check!(
            "admin-05b",
            ["ADMIN-05"],
            Decision,
            VendorOnly,
            [Admin, Ua],
            "the same id may be created again, and it revives no token, refresh token or code",
            admin_05b
        ),
        check!(
            "admin-06a",
            ["ADMIN-06"],
            Vendor,
            VendorOnly,
            [Admin],
            "a wallet's answer gives the short id and the OAuth id wallet-{key}-{id}",
            admin_06a
        ),
        check!(
            "admin-06b",
            ["ADMIN-06"],
            Vendor,
            VendorOnly,
            [Admin],
            "a duplicate wallet id is 409 and leaves the first client as it was",
            admin_06b
        ),
        check!(
            "admin-06c",
            ["ADMIN-06"],
            Vendor,
            VendorOnly,
            [Admin],
            "a wallet id is required: 1-64 of a-z 0-9 . _ -, starting with a letter or digit",
            admin_06c
        ),
        check!(
            "admin-07a",
            ["ADMIN-07"],
            Vendor,
            VendorOnly,
            [Admin],
            "a wallet's roles and notes are editable and show on the next GET",
            admin_07a
        ),
        check!(
            "admin-07b",
            ["ADMIN-07"],
            Vendor,
            VendorOnly,
            [Admin],
            "changing the client id or the expiry date is 400; resending the same values is fine",
            admin_07b
        ),
        check!(
            "admin-08a",
            ["ADMIN-08"],
            Vendor,
            VendorOnly,
            [Admin],
            "a 1-Click client gets the code grant, a secret and identity_api by default",
            admin_08a
        ),
        check!(
            "admin-08b",
            ["ADMIN-08"],
            Vendor,
            VendorOnly,
            [Admin],
            "a 1-Click client needs at least one redirect URL",
            admin_08b
        ),
        check!(
            "admin-08c",
            ["ADMIN-08"],
            Vendor,
            VendorOnly,
            [Admin],
            "1-Click resource ids are a non-empty subset of backoffice_api and identity_api",
            admin_08c
        ),
        check!(
            "admin-09a",
            ["ADMIN-09"],
            Vendor,
            VendorOnly,
            [Admin],
            "an Admin API client gets client_credentials, backoffice_api, seven default scopes \
             and shown validities, and expires_in equals its access validity",
            admin_09a
        ),
        check!(
            "admin-09b",
            ["ADMIN-09"],
            Vendor,
            VendorOnly,
            [Admin],
            "an Admin API client's resources and grant are fixed: anything else is 400",
            admin_09b
        ),
        check!(
            "admin-10a",
            ["ADMIN-10"],
            Decision,
            VendorOnly,
            [Admin],
            "notes hold up to 1,000 characters, and name and notes come back verbatim",
            admin_10a
        ),
        check!(
            "admin-10b",
            ["ADMIN-10"],
            Vendor,
            VendorOnly,
            [Admin],
            "editing name and notes changes no id, secret or token",
            admin_10b
        ),
    ]
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
        if creating && reply.status == 201 {
            if let Some(id) = reply.json().ok().and_then(|v| member(&v, "client_id").ok()) {
                self.made
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(id);
            }
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

/// Runs a check body with an [`Api`] and cleans up after it.
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

fn client_path(client_id: &str) -> String {
    format!("/admin/clients/{}", url_path_segment(client_id))
}

/// A wallet id no other check or earlier run uses.
fn wallet_id(tag: &str) -> String {
    format!("c-{tag}-{:08x}", rand::random::<u32>())
}

/// 400 with `error` naming why, from a refused admin call.
fn refused(reply: &Reply, status: u16, error: &str, case: &str) -> CheckResult {
    ensure(
        reply.status == status && reply.error_code().as_deref() == Some(error),
        format!("{status} {error} for {case}"),
        reply.summary(),
    )
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

fn with_secret(client: &ClientCreds, secret: &str) -> ClientCreds {
    ClientCreds {
        secret: Secret::new(secret),
        ..client.clone()
    }
}

async fn redeem(ctx: &Ctx, client: &ClientCreds, code: &str) -> Result<Reply, Outcome> {
    ctx.token(client, &code_exchange(client, code)).await
}

/// Access and refresh token of a code flow for `client`.
async fn user_tokens(ctx: &Ctx, client: &ClientCreds) -> Result<(String, String), Outcome> {
    let body = flow::user_tokens(ctx, client).await?;
    Ok((
        member(&body, "access_token")?,
        member(&body, "refresh_token")?,
    ))
}

/// Neither a 200 nor a token: what a dead credential gets at the token endpoint.
fn no_token(reply: &Reply, what: &str) -> CheckResult {
    let token = reply
        .json()
        .ok()
        .is_some_and(|v| v.get("access_token").is_some());
    ensure(
        reply.status != 200 && !token,
        format!("{what} refused"),
        reply.summary(),
    )
}

fn is_unreserved(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~".contains(c)
}

// ---------------------------------------------------------------------------------------------
// ADMIN-01: who may use the admin API (AMB-35)

with_api!(admin_01a, admin_01a_run);
async fn admin_01a_run(ctx: &Ctx, api: &Api) -> CheckResult {
    let target = api.wallet("target", &[]).await?;
    let path = client_path(&target.id);
    let secret_path = format!("{path}/secret");
    let admin_id = ctx
        .run
        .target
        .admin
        .as_ref()
        .map(|a| a.client_id.clone())
        .unwrap_or_default();
    let wrong = ClientCreds {
        id: admin_id,
        secret: Secret::new("not-the-admin-secret"),
        redirect_uri: None,
        scope: None,
    };
    let intruder = wallet_id("intruder");
    let body = json!({"kind": "wallet", "id": intruder});
    for (method, endpoint) in [
        (Method::GET, "/admin/clients"),
        (Method::POST, "/admin/clients"),
        (Method::GET, path.as_str()),
        (Method::PATCH, path.as_str()),
        (Method::DELETE, path.as_str()),
        (Method::POST, secret_path.as_str()),
    ] {
        for (how, caller) in [
            ("no authentication", Caller::Anonymous),
            ("a wrong admin secret", Caller::Basic(&wrong)),
            (
                "an unknown bearer token",
                Caller::Bearer("no-such-token-c4"),
            ),
            ("an unknown scheme", Caller::Header("Digest x")),
        ] {
            let reply = api
                .call(&caller, method.clone(), endpoint, Some(&body))
                .await?;
            let case = format!("{method} {endpoint} with {how}");
            ensure(
                reply.status == 401,
                format!("401 for {case}"),
                reply.summary(),
            )?;
            ensure(
                reply.header("www-authenticate").is_some(),
                format!("a WWW-Authenticate challenge for {case}"),
                "none",
            )?;
        }
    }
    // The refused calls changed nothing.
    let kept = api.get(&target.id).await?;
    ensure(
        kept.status == 200,
        "the target client still there",
        kept.summary(),
    )?;
    ensure(
        ctx.client_credentials(&target).await?.status == 200,
        "the target's secret unchanged",
        "it no longer works",
    )?;
    let listing = api.list().await?;
    ensure(
        !listing.body.contains(&intruder),
        format!("no client {intruder} created"),
        "it is listed",
    )
}

/// Every call a reader must be refused, and the reads it may make.
async fn reader_calls(
    api: &Api,
    caller: &Caller<'_>,
    how: &str,
    target: &str,
    intruder: &str,
) -> CheckResult {
    let path = client_path(target);
    for (what, method, endpoint) in [
        ("list", Method::GET, "/admin/clients".to_owned()),
        ("get", Method::GET, path.clone()),
    ] {
        let reply = api.call(caller, method, &endpoint, None).await?;
        ensure(
            reply.status == 200,
            format!("200 to {what} via {how}"),
            reply.summary(),
        )?;
    }
    let create = json!({"kind": "wallet", "id": intruder});
    let notes = json!({"notes": "changed by a reader"});
    for (what, method, endpoint, body) in [
        (
            "create",
            Method::POST,
            "/admin/clients".to_owned(),
            Some(&create),
        ),
        ("edit", Method::PATCH, path.clone(), Some(&notes)),
        ("delete", Method::DELETE, path.clone(), None),
        ("New Secret", Method::POST, format!("{path}/secret"), None),
    ] {
        let reply = api.call(caller, method, &endpoint, body).await?;
        ensure(
            reply.status == 403,
            format!("403 to {what} via {how}"),
            reply.summary(),
        )?;
    }
    Ok(())
}

with_api!(admin_01b, admin_01b_run);
async fn admin_01b_run(ctx: &Ctx, api: &Api) -> CheckResult {
    let reader = api.wallet("reader", &["api_access:view"]).await?;
    let target = api.wallet("target", &["accounts:view"]).await?;
    let token = ctx.access_token(&reader).await?;
    let intruder = wallet_id("intruder");
    reader_calls(api, &Caller::Basic(&reader), "Basic", &target.id, &intruder).await?;
    reader_calls(
        api,
        &Caller::Bearer(&token),
        "Bearer",
        &target.id,
        &intruder,
    )
    .await?;
    // A client without any admin permission may not even read.
    let outsider = api.wallet("outsider", &["accounts:change"]).await?;
    let reply = api
        .call(
            &Caller::Basic(&outsider),
            Method::GET,
            "/admin/clients",
            None,
        )
        .await?;
    ensure(
        reply.status == 403,
        "403 listing as a client without an admin permission",
        reply.summary(),
    )?;
    // The refused changes left everything as it was.
    let after = api.get(&target.id).await?.json()?;
    ensure(
        field(&after, "notes").is_null(),
        "the target's notes unchanged",
        field(&after, "notes"),
    )?;
    ensure(
        ctx.client_credentials(&target).await?.status == 200,
        "the target's secret unchanged",
        "it no longer works",
    )?;
    ensure(
        !api.list().await?.body.contains(&intruder),
        format!("no client {intruder} created"),
        "it is listed",
    )
}

with_api!(admin_01c, admin_01c_run);
async fn admin_01c_run(ctx: &Ctx, api: &Api) -> CheckResult {
    let (_, merchant) = api
        .created(json!({"kind": "admin_api", "roles": ["MERCHANT_ADMIN"]}))
        .await?;
    let changer = api.wallet("changer", &["api_access:change"]).await?;
    let merchant_token = ctx.access_token(&merchant).await?;
    let changer_token = ctx.access_token(&changer).await?;
    let callers = [
        ("MERCHANT_ADMIN via Basic", Caller::Basic(&merchant)),
        ("MERCHANT_ADMIN via Bearer", Caller::Bearer(&merchant_token)),
        ("api_access:change via Basic", Caller::Basic(&changer)),
        (
            "api_access:change via Bearer",
            Caller::Bearer(&changer_token),
        ),
    ];
    for (who, caller) in &callers {
        let body = json!({"kind": "wallet", "id": wallet_id("made")});
        let created = api
            .call(caller, Method::POST, "/admin/clients", Some(&body))
            .await?;
        ensure(
            created.status == 201,
            format!("201 creating as {who}"),
            created.summary(),
        )?;
        let id = member(&created.json()?, "client_id")?;
        let path = client_path(&id);
        let notes = json!({"notes": "edited"});
        for (what, method, endpoint, body, status) in [
            ("list", Method::GET, "/admin/clients".to_owned(), None, 200),
            ("get", Method::GET, path.clone(), None, 200),
            ("edit", Method::PATCH, path.clone(), Some(&notes), 200),
            (
                "New Secret",
                Method::POST,
                format!("{path}/secret"),
                None,
                200,
            ),
            ("delete", Method::DELETE, path.clone(), None, 204),
        ] {
            let reply = api.call(caller, method, &endpoint, body).await?;
            ensure(
                reply.status == status,
                format!("{status} to {what} as {who}"),
                reply.summary(),
            )?;
        }
        let gone = api.get(&id).await?;
        ensure(
            gone.status == 404,
            format!("404 after the delete as {who}"),
            gone.summary(),
        )?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// ADMIN-02: the secret is shown once (AMB-17)

with_api!(admin_02a, admin_02a_run);
async fn admin_02a_run(ctx: &Ctx, api: &Api) -> CheckResult {
    let body = json!({"kind": "wallet", "id": wallet_id("shown"), "roles": ["accounts:view"]});
    let reply = api.create(body).await?;
    ensure(reply.status == 201, "201", reply.summary())?;
    ensure(
        reply.header("cache-control").is_some_and(|v| {
            v.split(',')
                .any(|d| d.trim().eq_ignore_ascii_case("no-store"))
        }),
        "Cache-Control: no-store",
        reply.header("cache-control").unwrap_or("none"),
    )?;
    let view = reply.json()?;
    let id = member(&view, "client_id")?;
    let secret = member(&view, "client_secret")?;
    ensure(
        secret.len() >= 43 && secret.chars().all(is_unreserved),
        "a secret of at least 43 unreserved characters (256 bits)",
        format!("{} characters", secret.len()),
    )?;
    let other = api.wallet("other", &[]).await?;
    ensure(
        other.secret.expose() != secret,
        "each client its own secret",
        "two clients share one",
    )?;
    let client = ClientCreds {
        id,
        secret: Secret::new(secret),
        redirect_uri: None,
        scope: None,
    };
    let token = ctx.client_credentials(&client).await?;
    ensure(
        token.status == 200,
        "the shown secret works",
        token.summary(),
    )
}

/// Every later answer about `client` leaves its secret out.
async fn never_again(api: &Api, client: &ClientCreds, edit: Value) -> CheckResult {
    let secret = client.secret.expose().to_owned();
    let path = client_path(&client.id);
    let later = [
        ("get", api.get(&client.id).await?),
        ("list", api.list().await?),
        ("edit", api.edit(&client.id, edit).await?),
        (
            "an edit naming the secret",
            api.edit(&client.id, json!({"client_secret": secret}))
                .await?,
        ),
        (
            "an unknown field",
            api.create(json!({"kind": "wallet", "id": wallet_id("x"), "secret": secret}))
                .await?,
        ),
        (
            "show secret",
            api.call(&Caller::Admin, Method::GET, &format!("{path}/secret"), None)
                .await?,
        ),
    ];
    for (what, reply) in &later {
        ensure(
            !reply.body.contains(&secret),
            format!("{what} without the secret"),
            format!("{} with the secret in its body", reply.status),
        )?;
    }
    ensure(later[0].1.status == 200, "200 to get", later[0].1.summary())?;
    ensure(
        later[2].1.status == 200,
        "200 to the edit",
        later[2].1.summary(),
    )?;
    ensure(
        later[3].1.status == 400,
        "400: the secret is not editable",
        later[3].1.summary(),
    )?;
    Ok(())
}

with_api!(admin_02b, admin_02b_run);
async fn admin_02b_run(_ctx: &Ctx, api: &Api) -> CheckResult {
    let client = api.wallet("once", &["accounts:view"]).await?;
    never_again(api, &client, json!({"notes": "rotated keys"})).await
}

with_api!(admin_02c, admin_02c_run);
async fn admin_02c_run(_ctx: &Ctx, api: &Api) -> CheckResult {
    let (_, client) = api
        .created(json!({"kind": "admin_api", "roles": ["PAYMENTS_VIEW"]}))
        .await?;
    never_again(api, &client, json!({"name": "renamed"})).await?;
    let show = api
        .call(
            &Caller::Admin,
            Method::GET,
            &format!("{}/secret", client_path(&client.id)),
            None,
        )
        .await?;
    ensure(
        matches!(show.status, 404 | 405),
        "no show-secret endpoint: 404 or 405",
        show.summary(),
    )
}

// ---------------------------------------------------------------------------------------------
// ADMIN-03, ADMIN-04: New Secret (AMB-18)

/// New Secret for `client`: 200, a fresh secret; the client with it.
async fn renewed(
    api: &Api,
    client: &ClientCreds,
    body: Option<Value>,
) -> Result<(Reply, ClientCreds), Outcome> {
    let reply = api.new_secret(&client.id, body).await?;
    ensure(reply.status == 200, "200 to New Secret", reply.summary())?;
    let secret = member(&reply.json()?, "client_secret")?;
    ensure(
        secret != client.secret.expose(),
        "a new secret",
        "the old one again",
    )?;
    Ok((reply, with_secret(client, &secret)))
}

with_api!(admin_03, admin_03_run);
async fn admin_03_run(ctx: &Ctx, api: &Api) -> CheckResult {
    let old = api.wallet("rotating", &["accounts:view"]).await?;
    let before = ctx.client_credentials(&old).await?;
    ensure(
        before.status == 200,
        "the first secret works",
        before.summary(),
    )?;
    let (reply, new) = renewed(api, &old, None).await?;
    ensure(
        reply
            .header("cache-control")
            .is_some_and(|v| v.contains("no-store")),
        "Cache-Control: no-store with the new secret",
        reply.header("cache-control").unwrap_or("none"),
    )?;
    ensure(
        new.secret.expose().len() >= 43 && new.secret.expose().chars().all(is_unreserved),
        "a fresh 256-bit secret",
        format!("{} characters", new.secret.expose().len()),
    )?;
    let refused = ctx.client_credentials(&old).await?;
    refused_client(&refused, "the old secret")?;
    let works = ctx.client_credentials(&new).await?;
    ensure(works.status == 200, "the new secret works", works.summary())?;
    for (what, later) in [
        ("get", api.get(&new.id).await?),
        ("list", api.list().await?),
    ] {
        ensure(
            !later.body.contains(new.secret.expose()),
            format!("{what} without the new secret"),
            "the secret shown again",
        )?;
    }
    Ok(())
}

fn refused_client(reply: &Reply, what: &str) -> CheckResult {
    refused(reply, 401, "invalid_client", what)
}

with_api!(admin_04a, admin_04a_run);
async fn admin_04a_run(ctx: &Ctx, api: &Api) -> CheckResult {
    let old = api.one_click().await?;
    let (access, refresh_token) = user_tokens(ctx, &old).await?;
    let (reply, new) = renewed(api, &old, Some(json!({}))).await?;
    ensure(
        field(&reply.json()?, "tokens_revoked") == &Value::Bool(false),
        "tokens_revoked false",
        field(&reply.json()?, "tokens_revoked"),
    )?;
    ensure(
        active(ctx, &new, &access).await?,
        "the earlier access token still active",
        "inactive",
    )?;
    refused_client(
        &refresh(ctx, &old, &refresh_token).await?,
        "refresh with the old secret",
    )?;
    let refreshed = refresh(ctx, &new, &refresh_token).await?;
    ensure(
        refreshed.status == 200,
        "the refresh token works with the new secret",
        refreshed.summary(),
    )
}

with_api!(admin_04b, admin_04b_run);
async fn admin_04b_run(ctx: &Ctx, api: &Api) -> CheckResult {
    let old = api.one_click().await?;
    let (access, refresh_token) = user_tokens(ctx, &old).await?;
    let pending = flow::code(ctx, &old).await?;
    let bystander = api.wallet("bystander", &["accounts:view"]).await?;
    let bystander_token = ctx.access_token(&bystander).await?;

    let (reply, new) = renewed(api, &old, Some(json!({"revoke_tokens": true}))).await?;

    ensure(
        field(&reply.json()?, "tokens_revoked") == &Value::Bool(true),
        "tokens_revoked true",
        field(&reply.json()?, "tokens_revoked"),
    )?;
    ensure(
        !active(ctx, &new, &access).await?,
        "the earlier access token inactive",
        "active",
    )?;
    no_token(
        &refresh(ctx, &new, &refresh_token).await?,
        "the earlier refresh token",
    )?;
    no_token(&redeem(ctx, &new, &pending).await?, "the pending code")?;
    let fresh = user_tokens(ctx, &new).await?;
    ensure(
        active(ctx, &new, &fresh.0).await?,
        "tokens issued afterwards active",
        "inactive",
    )?;
    ensure(
        active(ctx, &bystander, &bystander_token).await?,
        "another client's token untouched",
        "inactive",
    )
}

// ---------------------------------------------------------------------------------------------
// ADMIN-05: delete = revoke (AMB-19)

async fn wallet_resource(ctx: &Ctx, token: &str) -> Result<u16, Outcome> {
    let url = ctx.run.url("/resources/wallet/accounts");
    Ok(ctx
        .send(ctx.http().get(url).bearer_auth(token))
        .await?
        .status)
}

with_api!(admin_05a, admin_05a_run);
async fn admin_05a_run(ctx: &Ctx, api: &Api) -> CheckResult {
    let (_, rs) = api
        .created(json!({"kind": "resource_server", "resource_ids": ["wallet_api"]}))
        .await?;
    let doomed = api.wallet("doomed", &["accounts:view"]).await?;
    let token = ctx.access_token(&doomed).await?;
    ensure(
        active(ctx, &rs, &token).await?,
        "the resource server sees the live token",
        "inactive",
    )?;
    ensure(
        wallet_resource(ctx, &token).await? == 200,
        "the live token opens its resource",
        "refused",
    )?;

    let deleted = api.delete(&doomed.id).await?;

    ensure(
        deleted.status == 204 && deleted.body.is_empty(),
        "204 with no body",
        deleted.summary(),
    )?;
    refused_client(
        &ctx.client_credentials(&doomed).await?,
        "the deleted client",
    )?;
    ensure(
        !active(ctx, &rs, &token).await?,
        "the deleted client's token inactive",
        "active",
    )?;
    let status = wallet_resource(ctx, &token).await?;
    ensure(status == 401, "401 at the resource", status)?;
    let gone = api.get(&doomed.id).await?;
    ensure(
        gone.status == 404,
        "404 for the deleted client",
        gone.summary(),
    )
}

with_api!(admin_05b, admin_05b_run);
async fn admin_05b_run(ctx: &Ctx, api: &Api) -> CheckResult {
    let id = format!("c4-reborn-{:08x}", rand::random::<u32>());
    let body = json!({"kind": "one_click", "client_id": id, "redirect_urls": [SHOP_CB]});
    let (_, first) = api.created(body.clone()).await?;
    let (access, refresh_token) = user_tokens(ctx, &first).await?;
    let pending = flow::code(ctx, &first).await?;
    let deleted = api.delete(&first.id).await?;
    ensure(deleted.status == 204, "204 to delete", deleted.summary())?;

    let (_, again) = api.created(body).await?;

    ensure(
        again.id == first.id,
        format!("the same id {}", first.id),
        &again.id,
    )?;
    refused_client(&ctx.client_credentials(&first).await?, "the old secret")?;
    ensure(
        !active(ctx, &again, &access).await?,
        "the old access token inactive, even for the new owner of the id",
        "active",
    )?;
    no_token(
        &refresh(ctx, &again, &refresh_token).await?,
        "the old refresh token",
    )?;
    no_token(
        &redeem(ctx, &again, &pending).await?,
        "the old pending code",
    )?;
    let fresh = user_tokens(ctx, &again).await?;
    ensure(
        active(ctx, &again, &fresh.0).await?,
        "the new client's own tokens active",
        "inactive",
    )
}

// ---------------------------------------------------------------------------------------------
// ADMIN-06: wallet ids (AMB-26)

with_api!(admin_06a, admin_06a_run);
async fn admin_06a_run(ctx: &Ctx, api: &Api) -> CheckResult {
    let short = wallet_id("acme");
    let (view, client) = api.created(json!({"kind": "wallet", "id": short})).await?;
    ensure(
        field(&view, "id") == &json!(short),
        format!("id {short}"),
        field(&view, "id"),
    )?;
    let key = client
        .id
        .strip_prefix("wallet-")
        .and_then(|rest| rest.strip_suffix(&format!("-{short}")));
    ensure(
        key.is_some_and(|k| !k.is_empty()),
        format!("client_id wallet-{{key}}-{short}, with a key"),
        &client.id,
    )?;
    let got = api.get(&client.id).await?.json()?;
    ensure(
        field(&got, "id") == &json!(short) && field(&got, "kind") == &json!("wallet"),
        "GET shows the short id and kind wallet",
        &got,
    )?;
    let token = ctx.client_credentials(&client).await?;
    ensure(
        token.status == 200,
        "the OAuth id authenticates",
        token.summary(),
    )
}

with_api!(admin_06b, admin_06b_run);
async fn admin_06b_run(ctx: &Ctx, api: &Api) -> CheckResult {
    let short = wallet_id("dup");
    let (_, first) = api
        .created(json!({"kind": "wallet", "id": short, "roles": ["accounts:view"]}))
        .await?;
    let duplicate = api
        .create(json!({"kind": "wallet", "id": short, "roles": ["payments:change"]}))
        .await?;
    ensure(
        duplicate.status == 409,
        "409 for a duplicate wallet id",
        duplicate.summary(),
    )?;
    let kept = api.get(&first.id).await?.json()?;
    ensure(
        strings(kept.get("roles")) == ["accounts:view"],
        "the first client's roles unchanged",
        field(&kept, "roles"),
    )?;
    let works = ctx.client_credentials(&first).await?;
    ensure(
        works.status == 200,
        "the first client's secret unchanged",
        works.summary(),
    )
}

with_api!(admin_06c, admin_06c_run);
async fn admin_06c_run(_ctx: &Ctx, api: &Api) -> CheckResult {
    let nonce = format!("{:08x}", rand::random::<u32>());
    let longest = format!("{nonce}{}", "a".repeat(56));
    for (case, id) in [
        (
            "a digit first and every allowed character",
            format!("0.a_b-{nonce}"),
        ),
        ("64 characters", longest),
    ] {
        let (view, _) = api
            .created(json!({"kind": "wallet", "id": id}))
            .await
            .map_err(|e| with_case(e, case))?;
        ensure(
            field(&view, "id") == &json!(id),
            format!("{case}: id {id}"),
            field(&view, "id"),
        )?;
    }
    for (case, id) in [
        ("upper case", json!(format!("A{nonce}"))),
        ("a leading -", json!(format!("-{nonce}"))),
        ("a leading .", json!(format!(".{nonce}"))),
        ("a leading _", json!(format!("_{nonce}"))),
        ("65 characters", json!(format!("{nonce}{}", "a".repeat(57)))),
        ("empty", json!("")),
        ("a space", json!(format!("a {nonce}"))),
        ("a slash", json!(format!("a/{nonce}"))),
        ("a colon", json!(format!("a:{nonce}"))),
        ("non-ASCII", json!(format!("å{nonce}"))),
    ] {
        let reply = api.create(json!({"kind": "wallet", "id": id})).await?;
        ensure(
            reply.status == 400,
            format!("400 for {case}"),
            reply.summary(),
        )?;
    }
    let missing = api.create(json!({"kind": "wallet"})).await?;
    ensure(
        missing.status == 400,
        "400 without an id",
        missing.summary(),
    )
}

fn with_case(outcome: Outcome, case: &str) -> Outcome {
    match outcome {
        Outcome::Fail { expected, actual } => fail(format!("{case}: {expected}"), actual),
        other => other,
    }
}

// ---------------------------------------------------------------------------------------------
// ADMIN-07: what an edit may change (AMB-15)

with_api!(admin_07a, admin_07a_run);
async fn admin_07a_run(_ctx: &Ctx, api: &Api) -> CheckResult {
    let client = api.wallet("editable", &["accounts:view"]).await?;
    let edited = api
        .edit(
            &client.id,
            json!({"roles": ["payments:change", "reports:view"], "notes": "moved to payments"}),
        )
        .await?;
    ensure(edited.status == 200, "200 to the edit", edited.summary())?;
    let got = api.get(&client.id).await?.json()?;
    let roles = strings(got.get("roles"));
    ensure(
        roles.iter().any(|r| r == "payments:change")
            && roles.iter().any(|r| r == "reports:view")
            && !roles.iter().any(|r| r == "accounts:view"),
        "the new roles on the next GET",
        field(&got, "roles"),
    )?;
    ensure(
        field(&got, "notes") == &json!("moved to payments"),
        "the new notes on the next GET",
        field(&got, "notes"),
    )
}

with_api!(admin_07b, admin_07b_run);
async fn admin_07b_run(_ctx: &Ctx, api: &Api) -> CheckResult {
    // Far enough ahead for any test clock the target may have been left at.
    let expiry = "2099-12-31";
    let short = wallet_id("fixed");
    let (view, client) = api
        .created(json!({"kind": "wallet", "id": short, "expiry_date": expiry, "notes": "before"}))
        .await?;
    let expires_at = field(&view, "expires_at").clone();
    for (case, patch) in [
        (
            "another client_id",
            json!({"client_id": format!("{}-other", client.id), "notes": "after"}),
        ),
        (
            "another wallet id",
            json!({"id": format!("{short}-other"), "notes": "after"}),
        ),
        (
            "a later expiry date",
            json!({"expiry_date": "2100-01-31", "notes": "after"}),
        ),
        (
            "an earlier expiry date",
            json!({"expiry_date": "2099-06-30", "notes": "after"}),
        ),
    ] {
        let reply = api.edit(&client.id, patch).await?;
        ensure(
            reply.status == 400,
            format!("400 for {case}"),
            reply.summary(),
        )?;
    }
    let unchanged = api.get(&client.id).await?.json()?;
    ensure(
        field(&unchanged, "client_id") == &json!(client.id)
            && field(&unchanged, "id") == &json!(short)
            && field(&unchanged, "expiry_date") == &json!(expiry)
            && field(&unchanged, "expires_at") == &expires_at
            && field(&unchanged, "notes") == &json!("before"),
        "the refused edits changed nothing",
        &unchanged,
    )?;
    let same = api
        .edit(
            &client.id,
            json!({"client_id": client.id, "id": short, "expiry_date": expiry, "notes": "after"}),
        )
        .await?;
    ensure(
        same.status == 200,
        "200 resending the same values",
        same.summary(),
    )?;
    let after = same.json()?;
    ensure(
        field(&after, "notes") == &json!("after") && field(&after, "expiry_date") == &json!(expiry),
        "the notes changed, the date kept",
        &after,
    )
}

// ---------------------------------------------------------------------------------------------
// ADMIN-08: 1-Click clients (seed 000; AMB-25, AMB-34)

with_api!(admin_08a, admin_08a_run);
async fn admin_08a_run(_ctx: &Ctx, api: &Api) -> CheckResult {
    let (view, client) = api
        .created(json!({"kind": "one_click", "redirect_urls": [SHOP_CB]}))
        .await?;
    ensure(
        client.secret.expose().len() >= 43,
        "a confidential client with a secret",
        "a short or no secret",
    )?;
    ensure(
        strings(view.get("grants")) == ["authorization_code"],
        "grants [authorization_code]",
        field(&view, "grants"),
    )?;
    ensure(
        strings(view.get("resource_ids")) == ["identity_api"],
        "resource_ids [identity_api] by default",
        field(&view, "resource_ids"),
    )?;
    ensure(
        strings(view.get("redirect_urls")) == [SHOP_CB],
        format!("redirect_urls [{SHOP_CB}]"),
        field(&view, "redirect_urls"),
    )?;
    let (full, _) = api
        .created(json!({
            "kind": "one_click",
            "name": "bambora_client",
            "redirect_urls": [SHOP_CB, "https://*.shop.example/return/*"],
            "resource_ids": ["backoffice_api", "identity_api"],
            "ip_whitelist": ["127.0.0.2"]
        }))
        .await?;
    ensure(
        field(&full, "name") == &json!("bambora_client")
            && strings(full.get("resource_ids")) == ["backoffice_api", "identity_api"]
            && field(&full, "ip_whitelist") == &json!(["127.0.0.2"]),
        "name, both resource ids and the whitelist as given",
        &full,
    )
}

with_api!(admin_08b, admin_08b_run);
async fn admin_08b_run(_ctx: &Ctx, api: &Api) -> CheckResult {
    for (case, body) in [
        ("no redirect_urls", json!({"kind": "one_click"})),
        (
            "an empty list",
            json!({"kind": "one_click", "redirect_urls": []}),
        ),
    ] {
        let reply = api.create(body).await?;
        ensure(
            reply.status == 400,
            format!("400 for {case}"),
            reply.summary(),
        )?;
    }
    let client = api.one_click().await?;
    let emptied = api.edit(&client.id, json!({"redirect_urls": []})).await?;
    ensure(
        emptied.status == 400,
        "400 for an edit removing every URL",
        emptied.summary(),
    )?;
    let got = api.get(&client.id).await?.json()?;
    ensure(
        strings(got.get("redirect_urls")) == [SHOP_CB],
        "the URL kept",
        field(&got, "redirect_urls"),
    )
}

with_api!(admin_08c, admin_08c_run);
async fn admin_08c_run(_ctx: &Ctx, api: &Api) -> CheckResult {
    for ids in [json!(["backoffice_api"]), json!(["identity_api"])] {
        let (view, _) = api
            .created(json!({"kind": "one_click", "redirect_urls": [SHOP_CB], "resource_ids": ids}))
            .await?;
        ensure(
            field(&view, "resource_ids") == &ids,
            format!("resource_ids {ids}"),
            field(&view, "resource_ids"),
        )?;
    }
    for (case, ids) in [
        ("empty", json!([])),
        ("wallet_api", json!(["wallet_api"])),
        ("an unknown id", json!(["identity_api", "payments_api"])),
        ("wrong case", json!(["Identity_API"])),
    ] {
        let reply = api
            .create(json!({"kind": "one_click", "redirect_urls": [SHOP_CB], "resource_ids": ids}))
            .await?;
        ensure(
            reply.status == 400,
            format!("400 for {case}"),
            reply.summary(),
        )?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// ADMIN-09: Admin API clients (seed 001; AMB-22 to AMB-24)

with_api!(admin_09a, admin_09a_run);
async fn admin_09a_run(ctx: &Ctx, api: &Api) -> CheckResult {
    let (view, client) = api
        .created(json!({"kind": "admin_api", "roles": ["PAYMENTS_VIEW"]}))
        .await?;
    ensure(
        strings(view.get("grants")) == ["client_credentials"]
            && strings(view.get("resource_ids")) == ["backoffice_api"],
        "grants [client_credentials], resource_ids [backoffice_api]",
        &view,
    )?;
    let seven = [
        "address",
        "email",
        "paymentiq",
        "phone",
        "profile",
        "roles",
        "web-origins",
    ];
    ensure(
        strings(view.get("scopes")) == seven,
        "seed 001's seven default scopes",
        field(&view, "scopes"),
    )?;
    let got = api.get(&client.id).await?.json()?;
    ensure(
        field(&got, "access_token_validity_seconds") == &json!(3600)
            && field(&got, "refresh_token_validity_seconds") == &json!(2_592_000),
        "validities 3600 / 2592000 shown",
        &got,
    )?;
    let token = ctx.client_credentials(&client).await?.json()?;
    ensure(
        field(&token, "expires_in") == &json!(3600),
        "expires_in 3600",
        field(&token, "expires_in"),
    )?;
    let (_, short) = api
        .created(json!({"kind": "admin_api", "roles": ["PAYMENTS_VIEW"], "access_token_validity_seconds": 600}))
        .await?;
    let token = ctx.client_credentials(&short).await?.json()?;
    ensure(
        field(&token, "expires_in") == &json!(600),
        "expires_in 600 for a client configured so",
        field(&token, "expires_in"),
    )
}

with_api!(admin_09b, admin_09b_run);
async fn admin_09b_run(_ctx: &Ctx, api: &Api) -> CheckResult {
    let (_, client) = api
        .created(json!({"kind": "admin_api", "resource_ids": ["backoffice_api"], "grants": ["client_credentials"]}))
        .await?;
    for (case, body) in [
        (
            "identity_api",
            json!({"kind": "admin_api", "resource_ids": ["identity_api"]}),
        ),
        (
            "both resource ids",
            json!({"kind": "admin_api", "resource_ids": ["backoffice_api", "identity_api"]}),
        ),
        (
            "no resource id",
            json!({"kind": "admin_api", "resource_ids": []}),
        ),
        (
            "the code grant",
            json!({"kind": "admin_api", "grants": ["authorization_code"]}),
        ),
    ] {
        let reply = api.create(body).await?;
        ensure(
            reply.status == 400,
            format!("400 for {case}"),
            reply.summary(),
        )?;
    }
    let moved = api
        .edit(&client.id, json!({"resource_ids": ["identity_api"]}))
        .await?;
    ensure(
        moved.status == 400,
        "400 for an edit to identity_api",
        moved.summary(),
    )?;
    let got = api.get(&client.id).await?.json()?;
    ensure(
        strings(got.get("resource_ids")) == ["backoffice_api"],
        "resource_ids still [backoffice_api]",
        field(&got, "resource_ids"),
    )
}

// ---------------------------------------------------------------------------------------------
// ADMIN-10: name and notes are display-only

with_api!(admin_10a, admin_10a_run);
async fn admin_10a_run(_ctx: &Ctx, api: &Api) -> CheckResult {
    // Characters, not bytes: 1,000 two-byte characters fit.
    let longest = "é".repeat(1_000);
    let notes = "<script>alert('x')</script>\n<b>bold</b> &amp; \"quoted\"  {{template}}  ";
    let name = "<img src=x onerror=alert(1)> & Co";
    let (at_limit, long) = api
        .created(json!({"kind": "wallet", "id": wallet_id("long"), "notes": longest}))
        .await?;
    ensure(
        field(&at_limit, "notes") == &json!(longest),
        "1,000 characters kept",
        "other notes",
    )?;
    let over = api
        .create(json!({"kind": "wallet", "id": wallet_id("over"), "notes": "n".repeat(1_001)}))
        .await?;
    ensure(
        over.status == 400,
        "400 for 1,001 characters",
        over.summary(),
    )?;
    let too_long = api
        .edit(&long.id, json!({"notes": "é".repeat(1_001)}))
        .await?;
    ensure(
        too_long.status == 400,
        "400 for an edit to 1,001 characters",
        too_long.summary(),
    )?;

    let (_, marked) = api
        .created(json!({"kind": "wallet", "id": wallet_id("markup"), "name": name, "notes": notes}))
        .await?;
    let got = api.get(&marked.id).await?;
    ensure(
        got.header("content-type")
            .is_some_and(|t| t.starts_with("application/json")),
        "served as JSON data",
        got.header("content-type").unwrap_or("none"),
    )?;
    let listing = api.list().await?.json()?;
    let listed = listing
        .get("clients")
        .and_then(Value::as_array)
        .and_then(|all| {
            all.iter()
                .find(|c| field(c, "client_id") == &json!(marked.id))
        })
        .cloned()
        .unwrap_or(Value::Null);
    for (what, view) in [("get", got.json()?), ("list", listed)] {
        ensure(
            field(&view, "notes") == &json!(notes) && field(&view, "name") == &json!(name),
            format!("{what} returns name and notes verbatim"),
            &view,
        )?;
    }
    Ok(())
}

with_api!(admin_10b, admin_10b_run);
async fn admin_10b_run(ctx: &Ctx, api: &Api) -> CheckResult {
    let (_, client) = api
        .created(json!({"kind": "admin_api", "roles": ["PAYMENTS_VIEW"], "name": "before", "notes": "old"}))
        .await?;
    let token = ctx.access_token(&client).await?;
    let before = ctx.introspect(&client, &token).await?;
    let edited = api
        .edit(
            &client.id,
            json!({"name": "after <b>", "notes": "new\nline"}),
        )
        .await?;
    ensure(edited.status == 200, "200 to the edit", edited.summary())?;
    let view = edited.json()?;
    ensure(
        field(&view, "client_id") == &json!(client.id)
            && field(&view, "name") == &json!("after <b>")
            && field(&view, "notes") == &json!("new\nline"),
        "the same client id with the new name and notes",
        &view,
    )?;
    let works = ctx.client_credentials(&client).await?;
    ensure(
        works.status == 200,
        "the secret still works",
        works.summary(),
    )?;
    let after = ctx.introspect(&client, &token).await?;
    ensure(
        after == before && field(&after, "active") == &Value::Bool(true),
        "the token untouched",
        &after,
    )
}
